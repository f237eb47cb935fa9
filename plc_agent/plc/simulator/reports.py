"""The simulated PLC's report areas: equipment failures and manual weighings.

A :class:`ReportStation` behaves as the PLC program does with one report area: reports
wait in a queue; the first is written (all its words and the handshake at 0 in one step,
so no read sees half a report); when the agent sets the handshake to 1 the report counts as
delivered and the next one is written with the handshake back at 0. Nothing is written
while the agent has not acknowledged: a report the agent never acknowledges blocks the
area, as it did in the old system, which is what the tests watch for.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from ..register_map import ReportArea

EQUIPMENT = ("silo101", "silo102", "silo104", "mixer_01", "motor_pump_01", "conveyor_03")
FAILURE_INFO = ("START_FAILURE", "SENSOR_ERROR", "MOTOR_FAILURE", "OVERLOAD", "TIMEOUT")


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
        if not len(words) in (self.area.extent, self.area.extent - 1):
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
            self.written_at.append(datetime.now(timezone.utc))


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
