"""An equipment failure the PLC reported in its failure area (table ``plc_failure``).

One row per report, stored before the PLC's handshake word is set, pushed to Odoo's
``plc_report_failure`` once, kept with Odoo's answer until retention prunes it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..plc.register_map import AreaReading
from .models import Base, DeliveryState, PlcReportFields, UtcDateTime

KEY_TIME_FORMAT = "%Y%m%dT%H%M%SZ"
CLOCK_FIELDS = ("year", "month", "day", "hour", "minute", "second")
# What is sent for a text field with no readable character.
UNREADABLE_TEXT = "?"


def plc_clock_to_utc(reading: AreaReading, zone: ZoneInfo) -> tuple[datetime | None, str | None]:
    """The report's date and time words (the PLC's local time in ``zone``) in UTC.

    Returns (None, why) when a word is bad or the words are no date (month 13, 31 June).

    Around a change of the clocks a local time is read with the UTC offset in force *before*
    the change, as a PLC clock that is changed by hand (or a little late) still shows it: in
    the hour repeated when clocks go back that is the first of the two moments; in the hour
    that does not exist when clocks go forward it is the moment the clock would have shown
    had it not been put forward (02:30 on 29 March 2026 in Europe/Paris is 01:30 UTC, that is
    03:30 summer time). PEP 495's ``fold=0`` is exactly this rule, for both cases.
    """
    parts = [reading.values.get(name) for name in CLOCK_FIELDS]
    if any(part is None for part in parts):
        return None, "the date and time words are not all readable"
    try:
        local = datetime(*parts, tzinfo=zone, fold=0)  # type: ignore[misc]
    except ValueError as exc:
        shown = "{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}".format(*parts)
        return None, f"the PLC clock words {shown} are not a date and time: {exc}"
    return local.astimezone(UTC), None


def failure_key(line_code: str, equipment: str, info: str, occurred_at: datetime) -> str:
    """``<line>/<equipment>/<info>/<occurred_at UTC>``: the same failure always gets the same key."""
    stamp = occurred_at.astimezone(UTC).strftime(KEY_TIME_FORMAT)
    return f"{line_code}/{equipment}/{info}/{stamp}"


class PlcFailure(PlcReportFields, Base):
    """One failure report of the line's equipment."""

    __tablename__ = "plc_failure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    line_code: Mapped[str] = mapped_column(String(64))
    equipment: Mapped[str] = mapped_column(String(32))  # e.g. silo101, motor_pump_01
    info: Mapped[str] = mapped_column(String(32))  # e.g. START_FAILURE
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)  # the PLC's clock, in UTC
    failure_key: Mapped[str] = mapped_column(String(160), unique=True)

    @classmethod
    def from_reading(cls, reading: AreaReading, line_code: str, zone: ZoneInfo,
                     now: datetime) -> PlcFailure:
        """The row for one report of the failure area, read at ``now``.

        A failure is always forwarded, bad words or not: a person must hear of it. A text
        field shows each unreadable byte as ``?``; a bad or impossible date and time is
        replaced by ``now``, the moment the agent read the report. ``problem`` says what
        was replaced and ``raw_words`` keeps the words as read.
        """
        problems = list(reading.problems)
        occurred_at, clock_problem = plc_clock_to_utc(reading, zone)
        if occurred_at is None:
            problems.append(f"{clock_problem}; sent with the time the agent read it")
            occurred_at = now
        equipment = reading.values["equipment"] or UNREADABLE_TEXT
        info = reading.values["info"] or UNREADABLE_TEXT
        return cls(
            line_code=line_code, equipment=equipment, info=info, occurred_at=occurred_at,
            failure_key=failure_key(line_code, equipment, info, occurred_at),
            raw_words=list(reading.raw_words), problem="; ".join(problems) or None,
            read_at=now, state=DeliveryState.UNSENT, push_attempts=0,
        )

    def payload(self) -> dict[str, Any]:
        """The ``plc_report_failure`` payload (see docs/api.md)."""
        return {
            "line": self.line_code,
            "failure_key": self.failure_key,
            "equipment": self.equipment,
            "info": self.info,
            "occurred_at": self.occurred_at.astimezone(UTC).isoformat(),
        }

    def __repr__(self) -> str:
        return f"<PlcFailure {self.failure_key} {self.state.value}>"
