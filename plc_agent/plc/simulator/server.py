"""The simulated PLC's server: a pymodbus Modbus TCP server around the line's registers.

:class:`PlcSimulator` serves one line in a background thread with its own asyncio loop. The
line's program is :class:`~.line.BatchingLine` (``simulator.line``: its state and what it
ran), its faults are :class:`~.faults.FaultSwitches` (``simulator.faults``: drops, delays,
exception answers, failing batches, garbage), and, when the register map has them, the
failure and manual-weighing areas work as the PLC's do (:class:`~.reports.ReportAreas`):
reports given by a test, a script (CLI options) or at random are written one at a time,
each waiting for the agent's acknowledgement.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from ..register_map import RegisterMap
from .faults import FaultSwitches
from .line import BatchingLine
from .reports import ReportAreas, ReportStation, ScriptedFailure, ScriptedWeighing, failure_values

logger = logging.getLogger(__name__)



class SimulatorError(RuntimeError):
    """The simulator could not start or was used before it started."""


class PlcSimulator:
    """The line's PLC on Modbus TCP. `start()` serves it in a background thread with its own
    asyncio loop; ``line`` is its program, ``faults`` its fault switches."""

    line_class: type[BatchingLine] = BatchingLine  # a benchmark may time the line's steps

    def __init__(
        self,
        register_map: RegisterMap,
        *,
        batch_seconds: float = 5.0,
        batch_jitter: float = 0.0,
        noise: float = 0.02,
        seed: int | None = None,
        unit_id: int = 1,
        plc_timezone: str = "UTC",
        scripted_failures: tuple[ScriptedFailure, ...] = (),
        scripted_weighings: tuple[ScriptedWeighing, ...] = (),
        random_failure_seconds: float | None = None,
        random_weighing_seconds: float | None = None,
        weighing_products: tuple[int, ...] = (),
        single_writes_on_handshakes_only: bool = False,
    ) -> None:
        if batch_seconds < 0:
            raise ValueError(f"batch_seconds must be >= 0, got {batch_seconds}")
        if not 0 <= batch_jitter <= 1:
            raise ValueError(f"batch_jitter must be in [0, 1], got {batch_jitter}")
        if not 0 <= noise < 1:
            raise ValueError(f"noise must be in [0, 1), got {noise}")
        self.register_map = register_map
        self.unit_id = unit_id
        self.protocol = "modbus"
        # A gateway that allows function 6 (write single register) on the handshake and
        # acknowledgement words only answers it elsewhere with "illegal data address".
        self.single_writes_on_handshakes_only = single_writes_on_handshakes_only
        self.refused_single_writes: list[int] = []  # addresses, in the order refused
        self.host = ""
        self.port = 0
        self._random = random.Random(seed)
        self.faults = FaultSwitches(register_map, self._random)
        self.line = self.line_class(register_map, self.faults, self._random, peek=self._peek, poke=self._poke,
                                    batch_seconds=batch_seconds, batch_jitter=batch_jitter, noise=noise)
        # The report areas: the PLC clock's zone, and what to report when (scripted: seconds
        # after start; random: mean seconds between two reports).
        self.reports = ReportAreas(register_map, self._random, ZoneInfo(plc_timezone),
                                   last_batch=lambda: self.line.last_batch,
                                   scripted=(*scripted_failures, *scripted_weighings),
                                   random_failure_seconds=random_failure_seconds,
                                   random_weighing_seconds=random_weighing_seconds,
                                   weighing_products=weighing_products)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: ModbusTcpServer | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self._memory: list[int] = []
        self._base = 0

        spans = [
            (register_map.write_start, register_map.write_start + register_map.slot_stride * register_map.slot_count),
            (register_map.read_start, register_map.read_start + register_map.slot_stride * register_map.slot_count),
            (register_map.write_handshake_address, register_map.write_handshake_address + 1),
        ]
        for area in (register_map.failure_area, register_map.weighing_area):
            if area is not None:
                spans.append((area.start, area.start + area.extent))
        self._ack_addresses = frozenset(register_map.read_ack_address(n) for n in range(1, register_map.slot_count + 1))
        self._report_handshakes = frozenset(
            area.handshake_address for area in (register_map.failure_area, register_map.weighing_area)
            if area is not None)
        # Every one-word write of a handshake or acknowledgement word that reached the PLC,
        # (address, value) in order, served or dropped: how often the agent sent each.
        self.handshake_writes: list[tuple[int, int]] = []
        self._low = min(s for s, _ in spans)
        self._high = min(max(e for _, e in spans), 0x10000)

    # ------------------------------------------------------------------ control

    def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Serve on host:port (0 = an ephemeral port); returns the bound port."""
        if self._thread is not None:
            raise SimulatorError("simulator already started")
        self.host = host
        self._ready.clear()
        self._thread = threading.Thread(
            target=self._thread_main, args=(host, port), name="plc-simulator", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(timeout=10):
            raise SimulatorError(f"simulator did not start on {host}:{port} within 10 s")
        if self._start_error is not None:
            self._thread.join(timeout=5)
            self._thread = None
            raise SimulatorError(f"simulator cannot listen on {host}:{port}: {self._start_error}")
        logger.info("PLC simulator listening on %s:%d (%s)", host, self.port, self.protocol)
        return self.port

    def stop(self) -> None:
        if self._thread is None:
            return
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stop.set)
            except RuntimeError:
                pass  # the loop already ended
        self._thread.join(timeout=10)
        self._thread = None
        self.line.state = "stopped"
        logger.info("PLC simulator on %s:%d stopped", self.host, self.port)

    def __enter__(self) -> PlcSimulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def report_failure(self, equipment: str, info: str, when: datetime | None = None) -> None:
        """Queue a failure report stamped ``when`` (default now) on the PLC's local clock."""
        when = when or datetime.now(UTC)
        self._queue_report("failure", failure_values(equipment, info, when, self.reports.zone))

    def report_weighing(self, product_id: int, quantity: float, mo_reference: str | None = None,
                        batch_number: int | None = None) -> None:
        """Queue a manual weighing; without an MO, for the batch the line runs (or ran last)."""
        self._queue_report("weighing", self.reports.weighing_for(product_id, quantity, mo_reference,
                                                                 batch_number))

    def report_raw(self, area: str, words: list[int]) -> None:
        """Queue a report of raw words ("failure" / "weighing"), bad words included."""
        station = self._station(area)
        self._call_in_loop(lambda: station.queue_words(words))

    def _queue_report(self, area: str, values: dict[str, object]) -> None:
        station = self._station(area)
        words = station.area.encode(values)  # a value that does not fit fails here, in the caller
        self._call_in_loop(lambda: station.queue_words(words))

    def _station(self, area: str) -> ReportStation:
        station = self.reports.station(area)
        if station is None:
            raise SimulatorError(f"the register map has no {area} area (or the simulator is not started)")
        return station

    def delivered(self, area: str) -> list[list[int]]:
        """The reports of an area the agent acknowledged, as words, in order."""
        return [list(w) for w in self._station(area).delivered]

    def written_at(self, area: str) -> list[datetime]:
        """When each report of an area appeared in the PLC's words (UTC), in order."""
        return list(self._station(area).written_at)

    def pending_reports(self, area: str) -> int:
        return self._station(area).pending

    def _request_kind(self, address: int, count: int, set_values: list | None) -> str:
        """The kind of a request that arrived (see FaultSwitches.drop_at_next); a handshake
        write is noted in ``handshake_writes``."""
        rmap = self.register_map
        if set_values is None:
            return "read"
        if count == 1 and address in rmap.handshake_addresses:
            self.handshake_writes.append((address, int(set_values[0])))
        if count == 1 and address == rmap.write_handshake_address:
            return "handshake"
        if count == 1 and address in self._ack_addresses:
            return "ack"
        if count == 1 and address in self._report_handshakes:
            return "report_ack"
        return "write"

    def drop_connections(self) -> None:
        """Close every open client connection now; the listener stays."""
        self._call_in_loop(self._drop_connections)

    def registers(self, address: int, count: int) -> list[int]:
        self._require_started()
        start = address - self._base
        if start < 0 or start + count > len(self._memory):
            raise ValueError(f"registers {address}..{address + count - 1} are outside the simulated memory")
        return list(self._memory[start : start + count])

    def set_registers(self, address: int, values: list[int]) -> None:
        """Overwrite simulated memory directly (tests that play a misbehaving PLC)."""
        self._require_started()

        def write() -> None:
            self._poke(address, values)

        self._call_in_loop(write)

    @property
    def connection_count(self) -> int:
        server = self._server
        return len(server.active_connections) if server is not None else 0

    # ------------------------------------------------------------------ internals

    def _require_started(self) -> None:
        if not self._memory:
            raise SimulatorError("simulator is not started")

    def _call_in_loop(self, func) -> None:
        self._require_started()
        loop = self._loop
        assert loop is not None

        async def run() -> None:
            func()

        future = asyncio.run_coroutine_threadsafe(run(), loop)
        try:
            future.result(timeout=5)
        except FutureTimeout as exc:
            raise SimulatorError("simulator loop did not answer within 5 s") from exc

    def _drop_connections(self) -> None:
        server = self._server
        if server is None:
            return
        connections = list(server.active_connections.values())
        for connection in connections:
            connection.close()
        logger.info("PLC simulator dropped %d connection(s)", len(connections))

    def _peek(self, address: int, count: int = 1) -> list[int]:
        start = address - self._base
        return self._memory[start : start + count]

    def _poke(self, address: int, values: list[int]) -> None:
        start = address - self._base
        self._memory[start : start + len(values)] = values

    def _thread_main(self, host: str, port: int) -> None:
        try:
            asyncio.run(self._main(host, port))
        except BaseException as exc:  # reported to start(); the thread must not die silently
            if not self._ready.is_set():
                self._start_error = exc
                self._ready.set()
            else:
                logger.exception("PLC simulator stopped on an error")

    async def _main(self, host: str, port: int) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        await self._serve(host, port)
        self.reports.open(self._peek, self._poke)
        self.line.power_on()
        line = asyncio.create_task(self.line.run())
        reports = asyncio.create_task(self.reports.run())
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            for task in (line, reports):
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
            await self._shutdown()

    async def _serve(self, host: str, port: int) -> None:
        """Open the protocol's listener; set ``port``, ``_base`` and ``_memory``."""
        device = SimDevice(
            id=self.unit_id,
            simdata=[
                SimData(
                    address=self._low,
                    count=self._high - self._low,
                    values=0,
                    datatype=DataType.REGISTERS,
                )
            ],
            action=self._action,
        )
        server = ModbusTcpServer(device, address=(host, port))
        await server.serve_forever(background=True)
        if not server.transport:
            raise SimulatorError("listener did not open")
        self._server = server
        self.port = server.transport.sockets[0].getsockname()[1]
        # pymodbus keeps the device memory in its runtime; the line works on that list.
        runtime = server.context.devices[self.unit_id]
        base, _size, memory, _flags = runtime.block["x"]
        self._base, self._memory = base, memory

    async def _shutdown(self) -> None:
        server = self._server
        if server is not None:
            await server.shutdown()
        self._server = None

    async def _action(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        current_registers: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        if (function_code == 6 and self.single_writes_on_handshakes_only
                and address not in self.register_map.handshake_addresses):
            self.refused_single_writes.append(address)
            logger.warning("PLC simulator: function 6 at %d refused: not a handshake word", address)
            return ExcCodes.ILLEGAL_ADDRESS
        kind = self._request_kind(address, count, set_values)
        answer = self.faults.answer(kind)
        if answer.delay:
            await asyncio.sleep(answer.delay)
        if answer.drop is not None:
            if answer.drop == "after" and set_values is not None:
                self._poke(address, [int(v) for v in set_values])
            self.faults.dropped(kind, answer.drop, address)
            logger.info("PLC simulator: connection dropped %s a %s request at %d", answer.drop, kind, address)
            self._drop_connections()
            return ExcCodes.DEVICE_FAILURE  # never delivered: the connection is gone
        if answer.exception:
            return ExcCodes.DEVICE_FAILURE
        if set_values is not None:
            self.line.check_write(address, count)
        return None


def run_simulator(
    register_map: RegisterMap,
    host: str,
    port: int,
    batch_seconds: float,
    noise: float,
    seed: int | None,
    stop_event: threading.Event | None = None,
    unit_id: int = 1,
    protocol: str = "modbus",
    fins_transport: str = "udp",
    fins_node: int = 10,
    **reports: object,
) -> None:
    """Serve the simulator until `stop_event` is set or Ctrl-C (for `plc-agent simulate-plc`).

    ``protocol`` is "modbus" or "fins" (then over ``fins_transport`` as node ``fins_node``);
    ``reports`` are PlcSimulator's report-area options (``plc_timezone``,
    ``scripted_failures``, ``random_failure_seconds``, ...).
    """
    if protocol == "fins":
        from .fins_server import FinsPlcSimulator

        simulator: PlcSimulator = FinsPlcSimulator(
            register_map, transport=fins_transport, node=fins_node, batch_seconds=batch_seconds,
            noise=noise, seed=seed, **reports)
    elif protocol == "modbus":
        simulator = PlcSimulator(register_map, batch_seconds=batch_seconds, noise=noise, seed=seed,
                                 unit_id=unit_id, **reports)  # type: ignore[arg-type]
    else:
        raise SimulatorError(f"unknown protocol {protocol!r}: modbus or fins")
    simulator.start(host, port)
    stop = stop_event or threading.Event()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        logger.info("PLC simulator interrupted")
    finally:
        simulator.stop()
