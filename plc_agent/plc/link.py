"""The agent's one link to the PLC, at the level of batch slots: the base and Modbus TCP.

:class:`PlcLinkBase` is what the tasks talk to: slots, handshakes, acknowledgements, the
backoff after failures and the figures for the line's health. A protocol brings the
register-level requests: :class:`PlcLink` here (Modbus TCP), :class:`~.fins_link.FinsLink`
(Omron FINS over UDP or TCP). :func:`make_link` builds the one the settings name.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pymodbus.client import ModbusTcpClient
from pymodbus.constants import ExcCodes
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException

from ..metrics import AgentMetrics
from ..outage import Outage
from .register_map import MAX_READ_REGISTERS, MAX_WRITE_REGISTERS, RegisterMap, SlotBatch, SlotReading

logger = logging.getLogger(__name__)


class PlcError(Exception):
    """Talking to the PLC failed; the message names host:port, the request and what happened.

    ``link_down``: the link could not reach the PLC (not a refusal by a PLC that answers);
    the link's :class:`~plc_agent.outage.Outage` has said so, the caller need not.
    """

    def __init__(self, message: str, *, link_down: bool = False):
        super().__init__(message)
        self.link_down = link_down


class PlcLinkBase:
    """What every link shares: the register map at the link's request limits, the
    reconnect backoff, the figures for the line's health, and the slot-level calls.

    After a failure the connection is closed. The first reconnect is immediate (a PLC
    that dropped an idle connection is usually fine), then every further consecutive
    failure doubles the wait from `reconnect_backoff_initial` up to
    `reconnect_backoff_max`. A call made while waiting raises PlcError at once instead
    of hammering the PLC. :attr:`outage` logs the outage: once when it starts, once per
    longer wait, once when the PLC answers again. Every protocol's failures go through
    :meth:`_failed` and every answer through :meth:`_answered`, so a FINS link and a Modbus
    link back off, log and report their health alike.

    A protocol sets ``protocol``, ``max_read_words``, ``max_write_words`` and
    ``outage_fix``, sets ``host`` and ``port`` before calling this ``__init__``, and brings
    ``connected``, ``_close_transport``, ``read_registers``, ``write_registers`` and
    ``describe``.
    """

    protocol = ""
    max_read_words = 0
    max_write_words = 0
    # What a person checks while the PLC cannot be reached (said by the outage).
    outage_fix = "PLC_HOST, PLC_PORT, the network cable and that the PLC is switched on"
    host: str
    port: int

    def __init__(
        self,
        register_map: RegisterMap,
        timeout: float,
        reconnect_backoff_max: float,
        reconnect_backoff_initial: float,
        metrics: AgentMetrics | None,
    ) -> None:
        # The request planner works with this link's limits: a FINS link reads the whole
        # read area in one request where Modbus needs several.
        self.register_map = register_map.with_request_limits(self.max_read_words, self.max_write_words)
        self.timeout = timeout
        self.reconnect_backoff_max = reconnect_backoff_max
        self.reconnect_backoff_initial = reconnect_backoff_initial
        self.request_count = 0
        self.consecutive_failures = 0
        # The agent that owns this link may rebind it to its own registry.
        self.metrics = metrics or AgentMetrics()
        # For the line's status in Odoo: the last failure's message and the last answered read.
        self.last_error: str | None = None
        self.last_good_read_at: datetime | None = None
        self._next_attempt = 0.0  # self.clock() before which no connect is tried
        # Tests drive the backoff with their own clock (the outage's durations follow it).
        self.clock: Callable[[], float] = time.monotonic
        self.outage = Outage(f"PLC {self.endpoint}", self.outage_fix, clock=lambda: self.clock())
        self._lock = threading.RLock()

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def connected(self) -> bool:
        raise NotImplementedError

    def describe(self) -> str:
        """The protocol, where it talks to and how it reads, for `plc-agent check`."""
        raise NotImplementedError

    def _close_transport(self) -> None:
        raise NotImplementedError

    def read_registers(self, address: int, count: int) -> list[int]:
        raise NotImplementedError

    def write_registers(self, address: int, values: list[int]) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        with self._lock:
            self._close_transport()

    def __enter__(self) -> PlcLinkBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _backoff_delay(self) -> float:
        if self.consecutive_failures <= 1:
            return 0.0
        return min(
            self.reconnect_backoff_max,
            self.reconnect_backoff_initial * 2 ** (self.consecutive_failures - 2),
        )

    def _failed(self, message: str) -> PlcError:
        self._close_transport()
        self.consecutive_failures += 1
        delay = self._backoff_delay()
        self._next_attempt = self.clock() + delay
        self.outage.failed(message.removeprefix(self.endpoint).lstrip(": "), delay)
        if delay:
            message += f"; next connection attempt in {delay:.1f} s"
        return PlcError(message, link_down=True)

    def _answered(self) -> None:
        """The PLC answered a request: the backoff starts over, an outage ends."""
        self.consecutive_failures = 0
        self.outage.answered()

    def _log_connected(self, detail: str) -> None:
        # After an outage the outage's own line says the PLC is back.
        (logger.debug if self.outage.down else logger.info)("PLC %s connected (%s)", self.endpoint, detail)

    def _wait_for_backoff(self) -> None:
        """Raise PlcError while the backoff after the last failure still runs."""
        wait = self._next_attempt - self.clock()
        if wait > 0:
            raise PlcError(
                f"PLC {self.endpoint} unreachable after {self.consecutive_failures} failed attempt(s); "
                f"next connection attempt in {wait:.1f} s", link_down=True,
            )

    def _resend_safe(self, address: int, count: int) -> bool:
        """Whether a write of ``count`` words at ``address`` may be sent again when its
        answer is lost. Reads and data writes may: the same words again mean the same. A
        handshake or acknowledgement word may not: the first write may have arrived and
        the PLC moved on (written its next report with H = 0, or ended the set and set
        7076 = 1), and the same write again would then acknowledge a report nobody stored,
        or hand over the old set a second time. Such a write fails instead, and the task
        reads the word again at its next poll before it writes."""
        handshakes = self.register_map.handshake_addresses
        return not any(word in handshakes for word in range(address, address + count))

    def _execute(self, what: str, call: Callable[[], Any], operation: str,
                 check: Callable[[Any], None] | None = None, resend: bool = True) -> Any:
        """Run one request and ``check`` its answer, timed and counted as ``operation``;
        ``resend`` False: never send it a second time (see :meth:`_resend_safe`)."""
        started = time.monotonic()
        try:
            response = self._request(what, call, resend)
            if check is not None:
                check(response)
        except PlcError as exc:
            self.last_error = str(exc)
            self.metrics.plc_error(operation)
            raise
        self.metrics.plc_request(operation, time.monotonic() - started)
        if operation == "read":
            self.last_good_read_at = datetime.now(UTC)
        return response

    def _request(self, what: str, call: Callable[[], Any], resend: bool) -> Any:
        raise NotImplementedError

    def _read_plan(self, plan: list[tuple[int, int]]) -> dict[int, int]:
        memory: dict[int, int] = {}
        for address, count in plan:
            for i, word in enumerate(self.read_registers(address, count)):
                memory[address + i] = word
        return memory

    # ------------------------------------------------------------------ slots (every protocol)

    def read_read_area(self) -> list[SlotReading]:
        rmap = self.register_map
        slots = self._read_slots(rmap.read_area_requests(), rmap.read_slot_address, rmap.read_extent)
        return [rmap.decode_read_slot(slot, words) for slot, words in slots]

    def read_read_slot(self, slot: int) -> SlotReading:
        """One read slot in a single request: every word of it from the same moment."""
        rmap = self.register_map
        return rmap.decode_read_slot(slot, self.read_registers(rmap.read_slot_address(slot), rmap.read_extent))

    def read_write_area(self) -> list[SlotBatch | None]:
        rmap = self.register_map
        slots = self._read_slots(rmap.write_area_requests(), rmap.write_slot_address, rmap.write_extent)
        return [rmap.decode_write_slot(slot, words) for slot, words in slots]

    def _read_slots(
        self, requests: list[tuple[int, int]], slot_address: Callable[[int], int], extent: int
    ) -> list[tuple[int, list[int]]]:
        """Every slot's words of one area, read with the area's coalesced request plan."""
        memory = self._read_plan(requests)
        slots = []
        for slot in range(1, self.register_map.slot_count + 1):
            start = slot_address(slot)
            slots.append((slot, [memory[start + i] for i in range(extent)]))
        return slots

    def write_slot(self, slot: int, batch: SlotBatch | None) -> None:
        """Write one slot (two requests where it spans the write handshake); None writes zeros."""
        words = self.register_map.encode_slot(batch)
        for address, part in self.register_map.write_slot_requests(slot, words):
            self.write_registers(address, part)

    def read_write_handshake(self) -> int:
        return self.read_registers(self.register_map.write_handshake_address, 1)[0]

    def set_write_handshake(self, value: int) -> None:
        self.write_registers(self.register_map.write_handshake_address, [value])

    def acknowledge_read(self, slot: int) -> None:
        self.write_registers(self.register_map.read_ack_address(slot), [1])

    def ping(self) -> bool:
        """True when the PLC answers a one-register read; raises PlcError otherwise."""
        self.read_write_handshake()
        return True


class PlcLink(PlcLinkBase):
    """One lazily opened Modbus TCP connection (holding registers of one unit id)."""

    protocol = "modbus"
    max_read_words = MAX_READ_REGISTERS
    max_write_words = MAX_WRITE_REGISTERS

    def __init__(
        self,
        host: str,
        port: int,
        unit_id: int,
        register_map: RegisterMap,
        timeout: float = 3.0,
        reconnect_backoff_max: float = 30.0,
        reconnect_backoff_initial: float = 0.5,
        metrics: AgentMetrics | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.unit_id = unit_id
        super().__init__(register_map, timeout, reconnect_backoff_max, reconnect_backoff_initial, metrics)
        # retries=0: a retry after a timeout would read the late answer of the first try.
        self._client = ModbusTcpClient(host, port=port, timeout=timeout, retries=0)

    @property
    def connected(self) -> bool:
        return self._client.connected

    def describe(self) -> str:
        return f"Modbus TCP {self.endpoint} unit {self.unit_id}"

    def _close_transport(self) -> None:
        self._client.close()

    def _connect(self) -> bool:
        """Open the connection if needed; True when it was opened just now."""
        if self._client.connected:
            return False
        self._wait_for_backoff()
        if not self._client.connect():
            raise self._failed(
                f"{self.endpoint}: cannot connect (refused, unreachable or no answer within {self.timeout:g} s)"
            )
        self._log_connected(f"unit {self.unit_id}")
        return True

    # ------------------------------------------------------------------ requests

    def _request(self, what: str, call: Callable[[], Any], resend: bool) -> Any:
        """Run one Modbus request; every failure becomes PlcError naming `what`."""
        with self._lock:
            fresh = self._connect()
            while True:
                self.request_count += 1
                try:
                    response = call()
                except (ConnectionException, OSError) as exc:
                    if not fresh and resend:
                        # The PLC may have closed an idle connection; this request means
                        # the same when sent again, so one retry on a new connection is safe.
                        logger.debug("PLC %s: connection lost (%s), reconnecting", self.endpoint, exc)
                        self._client.close()
                        fresh = self._connect()
                        continue
                    raise self._failed(f"{self.endpoint} {what}: connection lost ({exc})") from exc
                except ModbusIOException as exc:
                    raise self._failed(f"{self.endpoint} {what}: no answer within {self.timeout:g} s ({exc})") from exc
                except ModbusException as exc:
                    raise self._failed(f"{self.endpoint} {what}: {exc}") from exc
                except Exception as exc:  # pymodbus may raise anything on a garbled frame
                    raise self._failed(f"{self.endpoint} {what}: unexpected {type(exc).__name__}: {exc}") from exc
                if response is None:
                    raise self._failed(f"{self.endpoint} {what}: no answer")
                if response.isError():
                    code = getattr(response, "exception_code", None)
                    try:
                        name = ExcCodes(code).name
                    except ValueError:
                        name = "unknown"
                    # The connection itself is fine: keep it, no backoff.
                    raise PlcError(f"{self.endpoint} {what}: PLC answered with Modbus exception {code} ({name})")
                self._answered()
                return response

    def read_registers(self, address: int, count: int) -> list[int]:
        what = f"read {count} register(s) at {address}"

        def check(response: Any) -> None:
            registers = getattr(response, "registers", None) or []
            if len(registers) != count:
                raise self._failed(f"{self.endpoint} {what}: short answer, {len(registers)} register(s)")

        response = self._execute(
            what, lambda: self._client.read_holding_registers(address, count=count, device_id=self.unit_id),
            "read", check,
        )
        return list(response.registers)

    def write_registers(self, address: int, values: list[int]) -> None:
        what = f"write {len(values)} register(s) at {address}"
        if not 1 <= len(values) <= self.max_write_words:
            raise ValueError(f"{what}: a write carries 1..{self.max_write_words} registers")
        bad = [v for v in values if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 0xFFFF]
        if bad:
            raise ValueError(f"{what}: {bad[:3]!r} are not 16-bit register values")
        # Function 6 for the handshake and acknowledgement words only: a gateway may allow
        # it nowhere else (docs/register-map.md), so a one-word data write (word 7077) is 16.
        if len(values) == 1 and address in self.register_map.handshake_addresses:
            def check_one(response: Any) -> None:
                echoed = (getattr(response, "address", None), list(getattr(response, "registers", []) or []))
                if echoed != (address, list(values)):
                    raise self._failed(f"{self.endpoint} {what}: answer echoes {echoed}, not ({address}, {values})")

            self._execute(
                what, lambda: self._client.write_register(address, values[0], device_id=self.unit_id),
                "write", check_one, resend=self._resend_safe(address, 1),
            )
            return

        def check_many(response: Any) -> None:
            echoed = (getattr(response, "address", None), getattr(response, "count", None))
            if echoed != (address, len(values)):
                raise self._failed(f"{self.endpoint} {what}: answer confirms address/count {echoed}")

        self._execute(
            what, lambda: self._client.write_registers(address, values, device_id=self.unit_id),
            "write", check_many, resend=self._resend_safe(address, len(values)),
        )

