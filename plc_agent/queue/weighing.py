"""A manual weighing the PLC reported in its weighing area (table ``plc_weighing``).

Material an operator added by hand at the weighing station, for an MO of the line. One
row per entry, stored before the PLC's handshake word is set, pushed to Odoo's
``plc_report_manual_weighing`` once; Odoo's answer (consumed, kept, rejected) is final.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..plc.register_map import AreaReading
from .failure import KEY_TIME_FORMAT
from .models import Base, DeliveryState, PlcReportFields

# Without these nothing can be consumed: bad words here keep the entry in the agent.
NUMBER_FIELDS = ("batch_number", "product_id", "quantity")


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

    @classmethod
    def from_reading(cls, reading: AreaReading, line_code: str, now: datetime) -> ManualWeighing:
        """The row for one entry of the weighing area, read at ``now``.

        Bad words in the batch number, product id or quantity leave nothing Odoo could
        consume: the entry is kept here as ``invalid`` with its raw words and the reason,
        shown by ``plc-agent status``, and never sent. A bad MO reference alone is sent
        with each unreadable byte as ``?``: Odoo then keeps the entry for a person.
        """
        bad_numbers = [name for name in NUMBER_FIELDS if reading.values[name] is None]
        quantity = reading.values["quantity"]
        return cls(
            line_code=line_code,
            batch_number=reading.values["batch_number"],
            mo_name=reading.values["mo_reference"],
            product_template_id=reading.values["product_id"],
            quantity=None if quantity is None else round(float(quantity), 6),
            raw_words=list(reading.raw_words),
            problem="; ".join(reading.problems) or None,
            read_at=now,
            state=DeliveryState.INVALID if bad_numbers else DeliveryState.UNSENT,
            reason=(f"not sent to Odoo: {', '.join(bad_numbers)} unreadable" if bad_numbers else None),
            push_attempts=0,
        )

    def assign_key(self) -> None:
        """``<line>-W-<read_at UTC>-<row id>`` (the row must have been flushed)."""
        stamp = self.read_at.astimezone(UTC).strftime(KEY_TIME_FORMAT)
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
            "weighed_at": self.read_at.astimezone(UTC).isoformat(),
        }

    def __repr__(self) -> str:
        return f"<ManualWeighing {self.weighing_key} {self.state.value}>"
