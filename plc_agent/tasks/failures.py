"""Task 5, equipment failures: the PLC's failure area -> the queue -> Odoo, each report once.

The flow is :mod:`.report_area`'s. A failure's key is made of the line, the equipment, the
failure info and the PLC's time of it (UTC): the same report read again after a crash, or
repeated by the PLC, gets the same key, is acknowledged and not stored twice, and Odoo
answers a repeated key as a duplicate.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..odoo_gateway import AreaReportResult
from ..plc.register_map import AreaReading, ReportArea
from ..queue.failure import PlcFailure
from .report_area import ReportAreaTask


class FailureTask(ReportAreaTask):
    label = "TASK 5"
    model = PlcFailure

    @property
    def area(self) -> ReportArea | None:
        return self.context.register_map.failure_area

    def build_row(self, reading: AreaReading, now: datetime) -> PlcFailure:
        return PlcFailure.from_reading(reading, self.context.settings.line_code,
                                       ZoneInfo(self.context.settings.plc_timezone), now)

    def same_report(self, session: Session, row: PlcFailure) -> PlcFailure | None:
        return session.scalars(
            select(PlcFailure).where(PlcFailure.failure_key == row.failure_key)).first()

    def send(self) -> Callable[[dict[str, Any]], AreaReportResult]:
        return self.context.odoo.report_failure

    def describe(self, row: PlcFailure) -> str:
        return f"failure {row.failure_key}"
