"""An equipment failure the PLC reported in its failure area (table ``plc_failure``).

One row per report, stored before the PLC's handshake word is set, pushed to Odoo's
``plc_report_failure`` once, kept with Odoo's answer until retention prunes it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .database import Base, PlcReportFields, UtcDateTime

KEY_TIME_FORMAT = "%Y%m%dT%H%M%SZ"


def failure_key(line_code: str, equipment: str, info: str, occurred_at: datetime) -> str:
    """``<line>/<equipment>/<info>/<occurred_at UTC>``: the same failure always gets the same key."""
    stamp = occurred_at.astimezone(timezone.utc).strftime(KEY_TIME_FORMAT)
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

    def payload(self) -> dict[str, Any]:
        """The ``plc_report_failure`` payload (see docs/api.md)."""
        return {
            "line": self.line_code,
            "failure_key": self.failure_key,
            "equipment": self.equipment,
            "info": self.info,
            "occurred_at": self.occurred_at.astimezone(timezone.utc).isoformat(),
        }

    def __repr__(self) -> str:
        return f"<PlcFailure {self.failure_key} {self.state.value}>"
