"""The simulated PLC's report areas: equipment failures and manual weighings.

A :class:`ReportStation` behaves as the PLC program does with one report area: reports
wait in a queue; the first is written (all its words and the handshake at 0 in one step,
so no read sees half a report); when the agent sets the handshake to 1 the report counts as
delivered and the next one is written with the handshake back at 0. Nothing is written
while the agent has not acknowledged: a report the agent never acknowledges blocks the
area, as it did in the old system, which is what the tests watch for.

:class:`ReportAreas` runs the line's stations: reports given by a test, a script (the
``simulate-plc`` options) or at random, with the PLC clock in its own zone.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ..register_map import RegisterMap, ReportArea

EQUIPMENT = ("silo101", "silo102", "silo104", "mixer_01", "motor_pump_01", "conveyor_03")
FAILURE_INFO = ("START_FAILURE", "SENSOR_ERROR", "MOTOR_FAILURE", "OVERLOAD", "TIMEOUT")
POLL_SECONDS = 0.01  # how often the stations look at their handshakes


@dataclass
class ReportStation:
    """One report area of the PLC, driven from the simulator's loop (``step``)."""

    area: ReportArea
    peek: Callable[[int, int], list[int]]
    poke: Callable[[int, list[int]], None]

    def __post_init__(self) -> None:
        self.waiting: deque[list[int]] = deque()
        self.current: list[int] | None = None
        self.delivered: list[list[int]] = []  # each report's words (handshake excluded), in order
        self.written_at: list[datetime] = []  # when each report appeared in the area (UTC)

    def queue_words(self, words: list[int]) -> None:
        """A report as raw words (handshake word included or not; it is written as 0)."""
        if len(words) not in (self.area.extent, self.area.extent - 1):
            raise ValueError(f"{self.area.name}: {len(words)} words, the area has {self.area.extent}")
        self.waiting.append(list(words[: self.area.extent]) + [0] * (self.area.extent - len(words)))

    def queue(self, values: dict[str, object]) -> None:
        self.queue_words(self.area.encode(values, handshake=0))

    @property
    def pending(self) -> int:
        return len(self.waiting) + (1 if self.current is not None else 0)

    def step(self) -> None:
        handshake = self.area.handshake_address
        if self.current is not None:
            if self.peek(handshake, 1)[0] != 1:
                return  # the agent has not acknowledged yet: the PLC waits
            words = list(self.current)
            offset = self.area.fields["status_read_data"].offset
            del words[offset]
            self.delivered.append(words)
            self.current = None
        if self.waiting:
            self.current = self.waiting.popleft()
            self.poke(self.area.start, self.current)
            self.written_at.append(datetime.now(UTC))


def failure_values(equipment: str, info: str, when: datetime, zone: ZoneInfo) -> dict[str, object]:
    """A failure report's fields with the PLC clock's local time of ``when``."""
    local = when.astimezone(zone)
    return {"equipment": equipment, "info": info, "year": local.year, "month": local.month,
            "day": local.day, "hour": local.hour, "minute": local.minute, "second": local.second}


def weighing_values(batch_number: int, mo_reference: str, product_id: int,
                    quantity: float) -> dict[str, object]:
    return {"batch_number": batch_number, "mo_reference": mo_reference, "product_id": product_id,
            "quantity": quantity}


@dataclass(frozen=True)
class ScriptedFailure:
    equipment: str
    info: str
    after_seconds: float


@dataclass(frozen=True)
class ScriptedWeighing:
    product_id: int
    quantity: float
    mo_reference: str | None  # None: the batch on the line at that moment
    after_seconds: float


def parse_failure(text: str) -> ScriptedFailure:
    """``EQUIPMENT:INFO[@SECONDS]``, e.g. ``silo101:START_FAILURE@30``."""
    body, _, when = text.partition("@")
    equipment, sep, info = body.partition(":")
    if not sep or not equipment or not info:
        raise ValueError(f"--failure {text!r}: use EQUIPMENT:INFO[@SECONDS], e.g. silo101:START_FAILURE@30")
    return ScriptedFailure(equipment, info, _seconds(when, text, "--failure"))


def parse_weighing(text: str) -> ScriptedWeighing:
    """``PRODUCT_ID:KG[:MO_REFERENCE][@SECONDS]``, e.g. ``55:12.5@20`` or ``55:3:WH/MO/00042``."""
    body, _, when = text.partition("@")
    parts = body.split(":", 2)
    try:
        product_id, quantity = int(parts[0]), float(parts[1])
    except (ValueError, IndexError):
        raise ValueError(f"--weighing {text!r}: use PRODUCT_ID:KG[:MO_REFERENCE][@SECONDS], "
                         "e.g. 55:12.5@20") from None
    return ScriptedWeighing(product_id, quantity, parts[2] if len(parts) > 2 else None,
                            _seconds(when, text, "--weighing"))


def _seconds(text: str, whole: str, option: str) -> float:
    if not text:
        return 0.0
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{option} {whole!r}: {text!r} after '@' is not a number of seconds") from None
    if value < 0:
        raise ValueError(f"{option} {whole!r}: seconds must be >= 0")
    return value


def next_random_delay(rng: random.Random, mean_seconds: float) -> timedelta:
    """Random moments: exponential gaps of the given mean, as unrelated events arrive."""
    return timedelta(seconds=rng.expovariate(1.0 / mean_seconds))


ScriptedReport = ScriptedFailure | ScriptedWeighing


class ReportAreas:
    """The line's failure and manual-weighing areas, a :class:`ReportStation` each.

    ``last_batch`` tells which batch the line runs (or ran last): a weighing without an MO
    reference is for that one. Scripted reports come ``after_seconds`` after :meth:`run`
    starts; random ones at exponential gaps of the given mean.
    """

    def __init__(self, register_map: RegisterMap, rng: random.Random, zone: ZoneInfo, *,
                 last_batch: Callable[[], tuple[int, str] | None],
                 scripted: tuple[ScriptedReport, ...] = (),
                 random_failure_seconds: float | None = None,
                 random_weighing_seconds: float | None = None,
                 weighing_products: tuple[int, ...] = ()) -> None:
        self.register_map = register_map
        self._random = rng
        self.zone = zone
        self._last_batch = last_batch
        self._scripted: list[ScriptedReport] = sorted(scripted, key=lambda e: e.after_seconds)
        self._random_failure_seconds = random_failure_seconds
        self._random_weighing_seconds = random_weighing_seconds
        self._weighing_products = weighing_products or (1,)
        self.failure_station: ReportStation | None = None
        self.weighing_station: ReportStation | None = None

    def open(self, peek: Callable[[int, int], list[int]], poke: Callable[[int, list[int]], None]) -> None:
        """The PLC starts: a station for each area the register map has."""
        rmap = self.register_map
        if rmap.failure_area is not None:
            self.failure_station = ReportStation(rmap.failure_area, peek, poke)
        if rmap.weighing_area is not None:
            self.weighing_station = ReportStation(rmap.weighing_area, peek, poke)

    def station(self, area: str) -> ReportStation | None:
        """The station of ``area`` ("failure" / "weighing"); None without one."""
        return {"failure": self.failure_station, "weighing": self.weighing_station}.get(area)

    def weighing_for(self, product_id: int, quantity: float, mo_reference: str | None = None,
                     batch_number: int | None = None) -> dict[str, object]:
        """A weighing's fields; without an MO or batch number, those of the line's batch."""
        last = self._last_batch() or (0, "")
        return weighing_values(last[0] if batch_number is None else batch_number,
                               last[1] if mo_reference is None else mo_reference, product_id, quantity)

    async def run(self) -> None:
        """Scripted and random reports, and each station's handshake."""
        started = time.monotonic()
        now = datetime.now(UTC)
        next_failure = (now + next_random_delay(self._random, self._random_failure_seconds)
                        if self._random_failure_seconds else None)
        next_weighing = (now + next_random_delay(self._random, self._random_weighing_seconds)
                         if self._random_weighing_seconds else None)
        while True:
            await asyncio.sleep(POLL_SECONDS)
            now = datetime.now(UTC)
            while self._scripted and self._scripted[0].after_seconds <= time.monotonic() - started:
                self._queue_event(self._scripted.pop(0), now)
            if next_failure is not None and now >= next_failure and self.failure_station:
                self.failure_station.queue(failure_values(
                    self._random.choice(EQUIPMENT), self._random.choice(FAILURE_INFO), now, self.zone))
                next_failure = now + next_random_delay(self._random, self._random_failure_seconds or 1)
            if next_weighing is not None and now >= next_weighing and self.weighing_station:
                self.weighing_station.queue(self.weighing_for(
                    self._random.choice(self._weighing_products), round(self._random.uniform(0.5, 25.0), 2)))
                next_weighing = now + next_random_delay(self._random, self._random_weighing_seconds or 1)
            for station in (self.failure_station, self.weighing_station):
                if station is not None:
                    station.step()

    def _queue_event(self, event: ScriptedReport, now: datetime) -> None:
        if isinstance(event, ScriptedFailure):
            if self.failure_station is not None:
                self.failure_station.queue(failure_values(event.equipment, event.info, now, self.zone))
            return
        if self.weighing_station is not None:
            self.weighing_station.queue(self.weighing_for(event.product_id, event.quantity, event.mo_reference))
