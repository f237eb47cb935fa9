"""Manual weighing: the PLC's weighing area -> the queue -> Odoo, each entry once.

The flow is :mod:`.report_area`'s. An entry's key (``<line>-W-<read time>-<row id>``) is
made when it is stored and never changes, so a retry after a lost answer is recognised by
Odoo. An entry for an MO the agent does not know is sent all the same: Odoo decides.
Odoo's ``kept`` and ``rejected`` are final like ``consumed``: the entry stays in the
agent's history with the reason (``plc-agent status`` lists it) and is not sent again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..odoo_gateway import AreaReportResult
from ..plc.register_map import AreaReading, ReportArea
from ..queue.weighing import ManualWeighing
from .report_area import ReportAreaTask


class WeighingTask(ReportAreaTask):
    label = "WEIGHING"
    model = ManualWeighing

    @property
    def area(self) -> ReportArea | None:
        return self.context.register_map.weighing_area

    def build_row(self, reading: AreaReading, now: datetime) -> ManualWeighing:
        return ManualWeighing.from_reading(reading, self.context.settings.line_code, now)

    def after_insert(self, row: ManualWeighing) -> None:
        row.assign_key()

    def send(self) -> Callable[[dict[str, Any]], AreaReportResult]:
        return self.context.odoo.report_manual_weighing

    def describe(self, row: ManualWeighing) -> str:
        return (f"weighing {row.weighing_key or '(new)'} ({row.quantity} kg of product "
                f"{row.product_template_id} for {row.mo_name!r}, batch {row.batch_number})")
