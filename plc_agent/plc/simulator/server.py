"""A batching line on a pymodbus server: the PLC side of the register map, for tests and demos.

The line behaves as the PLC program does: it raises the write handshake when it is ready,
takes the set of batches the agent wrote once the agent lowers it, runs them in slot
order, reports each in the read area, and becomes ready again only when every batch of
the set is finished and acknowledged. Faults can be injected: a failing batch, dropped
connections, implausible values, Modbus exception responses, slow answers.

When the register map has them, the failure and manual-weighing areas work as the PLC's
do (:mod:`plc_agent.plc.simulator.reports`): reports given by a test, a script (CLI options)
or at random are written one at a time, each waiting for the agent's acknowledgement.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from ..register_map import RegisterMap, SlotBatch
from .reports import (
    EQUIPMENT,
    FAILURE_INFO,
    ReportStation,
    ScriptedFailure,
    ScriptedWeighing,
    failure_values,
    next_random_delay,
    weighing_values,
)

logger = logging.getLogger(__name__)

_POLL_SECONDS = 0.01  # how often the line looks at its handshake and acknowledgements
GARBAGE_FORMS = ("sentinel", "negative", "huge", "extreme")  # see PlcSimulator.set_mixed_garbage


class SimulatorError(RuntimeError):
    """The simulator could not start or was used before it started."""


class PlcSimulator:
    """The line. `start()` serves it in a background thread with its own asyncio loop."""

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
    ) -> None:
        if batch_seconds < 0:
            raise ValueError(f"batch_seconds must be >= 0, got {batch_seconds}")
        if not 0 <= batch_jitter <= 1:
            raise ValueError(f"batch_jitter must be in [0, 1], got {batch_jitter}")
        if not 0 <= noise < 1:
            raise ValueError(f"noise must be in [0, 1), got {noise}")
        self.register_map = register_map
        self.batch_seconds = batch_seconds
        # Each batch lasts batch_seconds x (1 +- batch_jitter): batches end at moments that
        # have nothing to do with the agent's polling, as on a real line.
        self.batch_jitter = batch_jitter
        self.noise = noise
        self.unit_id = unit_id
        self.host = ""
        self.port = 0
        # Inspection for tests: what ran, what was received, what the agent did wrong.
        self.completed_batches: list[tuple[int, str]] = []
        self.received_sets: list[list[tuple[int, int, str]]] = []
        self.protocol_violations: list[str] = []
        self.state = "stopped"  # ready / running / waiting_ack
        self._random = random.Random(seed)
        self._fail_slots: set[int] = set()
        self._weights: dict[int, float] = {}
        self._hold: tuple[int, str] | None = None
        self._drop_next: tuple[str, str] | None = None
        self._drop_skip = 0  # requests of the kind served before the drop
        self._drops_left = 0
        self.dropped_requests: list[tuple[str, str, int]] = []  # (request, effect, address)
        self.held_at: tuple[int, str] | None = None  # where the line waits for `release()`
        self._garbage = False
        self._mixed_garbage: tuple[str, ...] = ()
        # (slot, batch_no, MO reference, [(value, form)]): each batch the line garbled,
        # value "silo <id>" or "finished_weight".
        self.garbled_batches: list[tuple[int, int, str, list[tuple[str, str]]]] = []
        self._exceptions = False
        self._delay = 0.0
        self._jitter = 0.0
        self._settings_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: ModbusTcpServer | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self._memory: list[int] = []
        self._base = 0
        # The report areas: the PLC clock's zone, and what to report when (scripted: seconds
        # after start; random: mean seconds between two reports).
        self.plc_zone = ZoneInfo(plc_timezone)
        self._scripted: list[ScriptedFailure | ScriptedWeighing] = sorted(
            [*scripted_failures, *scripted_weighings], key=lambda e: e.after_seconds)
        self._random_failure_seconds = random_failure_seconds
        self._random_weighing_seconds = random_weighing_seconds
        self._weighing_products = weighing_products or (1,)
        self.last_batch: tuple[int, str] | None = None  # (batch number, MO) the line ran last
        self.failure_station: ReportStation | None = None
        self.weighing_station: ReportStation | None = None

        spans = [
            (register_map.write_start, register_map.write_start + register_map.slot_stride * register_map.slot_count),
            (register_map.read_start, register_map.read_start + register_map.slot_stride * register_map.slot_count),
            (register_map.write_handshake_address, register_map.write_handshake_address + 1),
        ]
        for area in (register_map.failure_area, register_map.weighing_area):
            if area is not None:
                spans.append((area.start, area.start + area.extent))
        self._ack_addresses = frozenset(register_map.read_ack_address(n) for n in range(1, register_map.slot_count + 1))
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
        logger.info("PLC simulator listening on %s:%d (unit %d)", host, self.port, self.unit_id)
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
        self.state = "stopped"
        logger.info("PLC simulator on %s:%d stopped", self.host, self.port)

    def __enter__(self) -> PlcSimulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_batch(self, slot: int) -> None:
        """The next batch run in `slot` ends with status_operation = 1."""
        self.register_map.read_slot_address(slot)  # refuses a slot that does not exist
        with self._settings_lock:
            self._fail_slots.add(slot)

    def report_weight(self, slot: int, weight: float) -> None:
        """The next batch finished in `slot` reports exactly `weight` (kg) as its finished
        weight: a real value whose words look like a sentinel (2621.43 = 0x0003 0xFFFF)."""
        self.register_map.read_slot_address(slot)  # refuses a slot that does not exist
        with self._settings_lock:
            self._weights[slot] = weight

    def hold_before(self, slot: int, step: str) -> None:
        """Stop the line just before its next batch in `slot` starts ("start") or ends ("end").

        The line waits there until `release()`, so a test can make the PLC move at an exact
        point of the agent's request sequence (for example between two read requests).
        """
        self.register_map.read_slot_address(slot)  # refuses a slot that does not exist
        if step not in ("start", "end"):
            raise ValueError(f"step must be 'start' or 'end', got {step!r}")
        with self._settings_lock:
            self._hold = (slot, step)

    def release(self) -> None:
        """Let a line stopped by `hold_before` go on."""
        with self._settings_lock:
            self._hold = None

    async def _hold_point(self, slot: int, step: str) -> None:
        while True:
            with self._settings_lock:
                if self._hold != (slot, step):
                    break
            self.held_at = (slot, step)
            await asyncio.sleep(_POLL_SECONDS)
        self.held_at = None

    def report_failure(self, equipment: str, info: str, when: datetime | None = None) -> None:
        """Queue a failure report stamped ``when`` (default now) on the PLC's local clock."""
        when = when or datetime.now(timezone.utc)
        self._queue_report("failure", failure_values(equipment, info, when, self.plc_zone))

    def report_weighing(self, product_id: int, quantity: float, mo_reference: str | None = None,
                        batch_number: int | None = None) -> None:
        """Queue a manual weighing; without an MO, for the batch the line runs (or ran last)."""
        last = self.last_batch or (0, "")
        values = weighing_values(last[0] if batch_number is None else batch_number,
                                 last[1] if mo_reference is None else mo_reference,
                                 product_id, quantity)
        self._queue_report("weighing", values)

    def report_raw(self, area: str, words: list[int]) -> None:
        """Queue a report of raw words ("failure" / "weighing"), bad words included."""
        station = self._station(area)
        self._call_in_loop(lambda: station.queue_words(words))

    def _queue_report(self, area: str, values: dict[str, object]) -> None:
        station = self._station(area)
        words = station.area.encode(values)  # a value that does not fit fails here, in the caller
        self._call_in_loop(lambda: station.queue_words(words))

    def _station(self, area: str) -> ReportStation:
        station = {"failure": self.failure_station, "weighing": self.weighing_station}.get(area)
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

    def set_garbage(self, enabled: bool) -> None:
        """Finished batches report 0xFFFF words for consumption and finished weight."""
        with self._settings_lock:
            self._garbage = enabled

    def set_mixed_garbage(self, forms: tuple[str, ...] = GARBAGE_FORMS) -> None:
        """Finished batches report some values (at least one, chosen at random) as garbage
        of a random form: ``sentinel`` (every word 0xFFFF), ``negative`` (minus the real
        value), ``huge`` (1000 x the real value), ``extreme`` (the largest value the words
        hold). An empty tuple ends it. Each garbled batch lands in :attr:`garbled_batches`."""
        unknown = sorted(set(forms) - set(GARBAGE_FORMS))
        if unknown:
            raise ValueError(f"unknown garbage form(s) {', '.join(unknown)}; known: {', '.join(GARBAGE_FORMS)}")
        with self._settings_lock:
            self._mixed_garbage = tuple(forms)

    def set_exception_responses(self, enabled: bool) -> None:
        """Answer every request with Modbus exception 4 (device failure)."""
        with self._settings_lock:
            self._exceptions = enabled

    def set_response_delay(self, seconds: float) -> None:
        with self._settings_lock:
            self._delay = max(0.0, seconds)

    def set_response_jitter(self, seconds: float) -> None:
        """Answer each request after a random 0..`seconds` delay, so that the line moves at
        random moments between the requests of one area read."""
        with self._settings_lock:
            self._jitter = max(0.0, seconds)

    def drop_at_next(self, request: str, effect: str, skip: int = 0, times: int = 1) -> None:
        """Drop the connection at the next request of one kind, `times` times in a row, after
        `skip` more requests of that kind are served (any request of a sequence, not only
        its first).

        `request`: "read", "write" (a slot of the write area), "handshake" (word 7076) or
        "ack" (a read slot's status_read_data). `effect`: "before" (the request is not
        served) or "after" (a write takes effect, then the answer is lost with the
        connection) -- the two cases an agent cannot tell apart. `times` = 2 drops the agent's
        one retry on a fresh connection too, so the request fails for the agent.
        """
        if request not in ("read", "write", "handshake", "ack"):
            raise ValueError(f"request must be read, write, handshake or ack, got {request!r}")
        if effect not in ("before", "after"):
            raise ValueError(f"effect must be 'before' or 'after', got {effect!r}")
        if skip < 0:
            raise ValueError(f"skip must be >= 0, got {skip}")
        if times < 1:
            raise ValueError(f"times must be >= 1, got {times}")
        with self._settings_lock:
            self._drop_next = (request, effect)
            self._drop_skip = skip
            self._drops_left = times

    def _request_kind(self, address: int, count: int, set_values: list | None) -> str:
        rmap = self.register_map
        if set_values is None:
            return "read"
        if count == 1 and address == rmap.write_handshake_address:
            return "handshake"
        if count == 1 and address in self._ack_addresses:
            return "ack"
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
        self._poke(self.register_map.write_handshake_address, [1])
        rmap = self.register_map
        if rmap.failure_area is not None:
            self.failure_station = ReportStation(rmap.failure_area, self._peek, self._poke)
        if rmap.weighing_area is not None:
            self.weighing_station = ReportStation(rmap.weighing_area, self._peek, self._poke)
        self.state = "ready"
        line = asyncio.create_task(self._run_line())
        reports = asyncio.create_task(self._run_reports())
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
        with self._settings_lock:
            delay, exceptions = self._delay, self._exceptions
            if self._jitter:
                delay += self._random.uniform(0.0, self._jitter)
            drop = self._drop_next
            kind = self._request_kind(address, count, set_values)
            if drop is not None and drop[0] == kind and self._drop_skip > 0:
                self._drop_skip -= 1
                drop = None
            elif drop is not None and drop[0] == kind:
                self._drops_left -= 1
                if self._drops_left <= 0:
                    self._drop_next = None
            else:
                drop = None
        if delay:
            await asyncio.sleep(delay)
        if drop is not None:
            if drop[1] == "after" and set_values is not None:
                self._poke(address, [int(v) for v in set_values])
            self.dropped_requests.append((kind, drop[1], address))
            logger.info("PLC simulator: connection dropped %s a %s request at %d", drop[1], kind, address)
            self._drop_connections()
            return ExcCodes.DEVICE_FAILURE  # never delivered: the connection is gone
        if exceptions:
            return ExcCodes.DEVICE_FAILURE
        if set_values is not None and self.state != "ready":
            rmap = self.register_map
            write_low = rmap.write_start
            write_high = rmap.write_start + rmap.slot_stride * rmap.slot_count
            if address < write_high and write_low < address + count and not (
                count == 1 and address == rmap.write_handshake_address
            ):
                message = (
                    f"write of {count} register(s) at {address} while the line is {self.state} "
                    f"(write handshake is 0)"
                )
                self.protocol_violations.append(message)
                logger.warning("PLC simulator: %s", message)
        return None

    # ------------------------------------------------------------------ the line

    async def _run_line(self) -> None:
        rmap = self.register_map
        handshake = rmap.write_handshake_address
        while True:
            await asyncio.sleep(_POLL_SECONDS)
            if self._peek(handshake)[0] != 0:
                continue
            batches = self._take_set()
            self.state = "running"
            for slot, batch in batches:
                await self._hold_point(slot, "start")
                await self._run_batch(slot, batch)
            self.state = "waiting_ack"
            while batches and not all(self._peek(rmap.read_ack_address(slot))[0] == 1 for slot, _ in batches):
                await asyncio.sleep(_POLL_SECONDS)
            self._poke(handshake, [1])
            self.state = "ready"
            logger.info("PLC simulator: set of %d batch(es) done and acknowledged; ready", len(batches))

    async def _run_reports(self) -> None:
        """The report areas: scripted and random reports, each station's handshake."""
        started = time.monotonic()
        now = datetime.now(timezone.utc)
        next_failure = (now + next_random_delay(self._random, self._random_failure_seconds)
                        if self._random_failure_seconds else None)
        next_weighing = (now + next_random_delay(self._random, self._random_weighing_seconds)
                         if self._random_weighing_seconds else None)
        while True:
            await asyncio.sleep(_POLL_SECONDS)
            now = datetime.now(timezone.utc)
            while self._scripted and self._scripted[0].after_seconds <= time.monotonic() - started:
                self._queue_event(self._scripted.pop(0), now)
            if next_failure is not None and now >= next_failure and self.failure_station:
                self.failure_station.queue(failure_values(
                    self._random.choice(EQUIPMENT), self._random.choice(FAILURE_INFO), now, self.plc_zone))
                next_failure = now + next_random_delay(self._random, self._random_failure_seconds or 1)
            if next_weighing is not None and now >= next_weighing and self.weighing_station:
                last = self.last_batch or (0, "")
                self.weighing_station.queue(weighing_values(
                    last[0], last[1], self._random.choice(self._weighing_products),
                    round(self._random.uniform(0.5, 25.0), 2)))
                next_weighing = now + next_random_delay(self._random, self._random_weighing_seconds or 1)
            for station in (self.failure_station, self.weighing_station):
                if station is not None:
                    station.step()

    def _queue_event(self, event: ScriptedFailure | ScriptedWeighing, now: datetime) -> None:
        if isinstance(event, ScriptedFailure):
            if self.failure_station is not None:
                self.failure_station.queue(failure_values(event.equipment, event.info, now, self.plc_zone))
            return
        if self.weighing_station is not None:
            last = self.last_batch or (0, "")
            self.weighing_station.queue(weighing_values(
                last[0], event.mo_reference if event.mo_reference is not None else last[1],
                event.product_id, event.quantity))

    def _take_set(self) -> list[tuple[int, SlotBatch]]:
        # The PLC copies the set when the handshake drops, as a recipe buffer would.
        rmap = self.register_map
        batches: list[tuple[int, SlotBatch]] = []
        for slot in range(1, rmap.slot_count + 1):
            words = self._peek(rmap.write_slot_address(slot), rmap.write_extent)
            try:
                batch = rmap.decode_write_slot(slot, words)
            except ValueError as exc:
                self.protocol_violations.append(f"write slot {slot} cannot be decoded: {exc}")
                continue
            if batch is not None:
                batches.append((slot, batch))
        self.received_sets.append([(slot, b.batch_no, b.mo_reference) for slot, b in batches])
        logger.info("PLC simulator: took a set of %d batch(es): %s", len(batches), [b.mo_reference for _, b in batches])
        return batches

    def _field(self, slot: int, name: str) -> int:
        return self.register_map.field_address("read", slot, name)

    def _put(self, slot: int, name: str, value: object) -> None:
        spec = self.register_map.read_fields[name]
        self._poke(self._field(slot, name), spec.type.encode(value, f"simulator read slot {slot} {name}"))

    async def _run_batch(self, slot: int, batch: SlotBatch) -> None:
        rmap = self.register_map
        start = rmap.read_slot_address(slot)
        self._poke(start, [0] * rmap.read_extent)
        self._put(slot, "batch_no", batch.batch_no)
        self._put(slot, "batch_number", batch.batch_number)
        self._put(slot, "mo_reference", batch.mo_reference)
        self._put(slot, "bom_code", batch.bom_code)
        self._put(slot, "finished_goods", batch.finished_goods)
        self._put(slot, "planned_quantity", batch.planned_quantity)
        self.last_batch = (batch.batch_no, batch.mo_reference)
        logger.info("PLC simulator: slot %d batch %d %s started", slot, batch.batch_no, batch.mo_reference)
        jitter = self.batch_jitter
        await asyncio.sleep(self.batch_seconds * self._random.uniform(1 - jitter, 1 + jitter) if jitter
                            else self.batch_seconds)
        await self._hold_point(slot, "end")

        with self._settings_lock:
            fail = slot in self._fail_slots
            self._fail_slots.discard(slot)
            garbage = self._garbage
            mixed_garbage = self._mixed_garbage
            weight = None if fail else self._weights.pop(slot, None)
        comps = rmap.components
        # A failed batch stops part-way: each silo has dosed only a share of its target.
        share = self._random.uniform(0.2, 0.8) if fail else 1.0
        for k, dose in enumerate(batch.components):
            self._poke(start + comps.silo_at(k), comps.silo_type.encode(dose.silo_id, "silo"))
            if garbage:
                qty_words = [0xFFFF] * comps.quantity_type.words
            else:
                actual = dose.quantity * share * (1 + self._random.uniform(-self.noise, self.noise))
                qty_words = comps.quantity_type.encode(max(0.0, actual), "consumption")
            self._poke(start + comps.quantity_at(k), qty_words)
        weight_spec = rmap.read_fields["finished_weight"]
        if garbage:
            self._poke(self._field(slot, "finished_weight"), [0xFFFF] * weight_spec.type.words)
        elif fail:
            self._put(slot, "finished_weight", 0.0)
        elif weight is not None:
            self._put(slot, "finished_weight", weight)
        else:
            weight = batch.planned_quantity * (1 + self._random.uniform(-self.noise, self.noise))
            self._put(slot, "finished_weight", max(0.0, weight))
        if mixed_garbage:
            self._garble(slot, batch, mixed_garbage)
        if fail:
            self._put(slot, "status_operation", 1)
        else:
            self._put(slot, "status_manufacturing", 1)
        self.completed_batches.append((slot, batch.mo_reference))
        logger.info(
            "PLC simulator: slot %d batch %d %s %s",
            slot,
            batch.batch_no,
            batch.mo_reference,
            "FAILED (status_operation = 1)" if fail else "finished",
        )

    def _garble(self, slot: int, batch: SlotBatch, forms: tuple[str, ...]) -> None:
        """Overwrite a random non-empty choice of the batch's values with garbage."""
        rmap = self.register_map
        start = rmap.read_slot_address(slot)
        comps = rmap.components
        values = [(f"silo {dose.silo_id}", start + comps.quantity_at(k), comps.quantity_type)
                  for k, dose in enumerate(batch.components)]
        weight_spec = rmap.read_fields["finished_weight"]
        values.append(("finished_weight", self._field(slot, "finished_weight"), weight_spec.type))
        chosen = self._random.sample(values, self._random.randint(1, len(values)))
        garbled: list[tuple[str, str]] = []
        for name, address, codec in chosen:
            form = self._random.choice(forms)
            words = _garbage_words(codec, self._peek(address, codec.words), form)
            self._poke(address, words)
            garbled.append((name, form))
        self.garbled_batches.append((slot, batch.batch_no, batch.mo_reference, garbled))
        logger.info("PLC simulator: slot %d batch %d %s garbled: %s", slot, batch.batch_no, batch.mo_reference,
                    ", ".join(f"{name} {form}" for name, form in garbled))


def _garbage_words(codec, real_words: list[int], form: str) -> list[int]:
    """Words of one garbage value in `form`, from the real value's words."""
    if form == "sentinel":
        return [0xFFFF] * codec.words
    real = abs(codec.decode(real_words)) or 1.0
    if form == "negative":
        try:
            return codec.encode(-real, "garbage")
        except ValueError:  # an unsigned type: no negative, its sentinel instead
            return [0xFFFF] * codec.words
    if form == "huge":
        try:
            return codec.encode(real * 1000, "garbage")
        except ValueError:  # the words cannot hold it: the largest they can
            form = "extreme"
    if form == "extreme":
        return [0x7FFF] + [0xFFFF] * (codec.words - 1)
    raise ValueError(f"unknown garbage form {form!r}")


def run_simulator(
    register_map: RegisterMap,
    host: str,
    port: int,
    batch_seconds: float,
    noise: float,
    seed: int | None,
    stop_event: threading.Event | None = None,
    unit_id: int = 1,
    **reports: object,
) -> None:
    """Serve the simulator until `stop_event` is set or Ctrl-C (for `plc-agent simulate-plc`).

    ``reports`` are PlcSimulator's report-area options (``plc_timezone``,
    ``scripted_failures``, ``random_failure_seconds``, ...).
    """
    simulator = PlcSimulator(register_map, batch_seconds=batch_seconds, noise=noise, seed=seed,
                             unit_id=unit_id, **reports)  # type: ignore[arg-type]
    simulator.start(host, port)
    stop = stop_event or threading.Event()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        logger.info("PLC simulator interrupted")
    finally:
        simulator.stop()
