"""A manual weighing the PLC reported in its weighing area (table ``plc_weighing``).

Material an operator added by hand at the weighing station, for an MO of the line. One
row per entry, stored before the PLC's handshake word is set, pushed to Odoo's
``plc_report_manual_weighing`` once; Odoo's answer (consumed, kept, rejected) is final.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .database import Base, PlcReportFields
from .failure import KEY_TIME_FORMAT


class ManualWeighing(PlcReportFields, Base):
    """One entry of the weighing station. ``read_at`` is when the agent read it (UTC)."""

    __tablename__ = "plc_weighing"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    line_code: Mapped[str] = mapped_column(String(64))
    # Made from read_at and the row id once the row has an id; it never changes after.
    weighing_key: Mapped[str | None] = mapped_column(String(128), unique=True, nullable=True)
    batch_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    mo_name: Mapped[str] = mapped_column(String(32))
    product_template_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quantity: Mapped[float | None] = mapped_column(Float, nullable=True)  # kg

    def assign_key(self) -> None:
        """``<line>-W-<read_at UTC>-<row id>`` (the row must have been flushed)."""
        stamp = self.read_at.astimezone(timezone.utc).strftime(KEY_TIME_FORMAT)
        self.weighing_key = f"{self.line_code}-W-{stamp}-{self.id}"

    @property
    def weighed_at(self) -> datetime:
        return self.read_at

    def payload(self) -> dict[str, Any]:
        """The ``plc_report_manual_weighing`` payload (see docs/api.md)."""
        return {
            "line": self.line_code,
            "weighing_key": self.weighing_key,
            "mo_name": self.mo_name,
            "batch_number": self.batch_number,
            "product_template_id": self.product_template_id,
            "quantity": self.quantity,
            "weighed_at": self.read_at.astimezone(timezone.utc).isoformat(),
        }

    def __repr__(self) -> str:
        return f"<ManualWeighing {self.weighing_key} {self.state.value}>"
