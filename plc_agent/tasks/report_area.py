"""What Task 5 (failures) and the manual-weighing task share: one PLC report area.

Read (every PLC poll): the area in one request. A waiting report (handshake 0, words not
all 0) is committed to the queue first, then the handshake word is set to 1, then the row
is marked acknowledged. A report whose words are bad is stored as such and acknowledged
like any other: the area never stops on one entry.

If the agent ends between the commit and the handshake, the PLC still shows the same
report at the next read; it is recognised (an unacknowledged row with the same raw words)
and only acknowledged, never stored twice. If the agent ends after setting the handshake
but before marking the row, the next report the PLC writes marks it.

Push: each unsent row goes to Odoo once per attempt with its fixed key; Odoo's answer,
whatever it is, is final and stored with the row. While Odoo is down rows stay unsent and
are retried with backoff, oldest first.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..odoo_gateway import AreaReportResult, OdooError, OdooUnavailable
from ..plc.register_map import AreaReading, ReportArea
from ..queue.models import DeliveryState, PlcReportFields
from .context import AgentContext, crash_point
from .retry import retry_later

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AreaReadResult:
    stored: int  # 1 when a new report was committed at this read
    acknowledged: int  # 1 when the handshake word was set at this read


@dataclass(frozen=True)
class AreaPushResult:
    attempted: int
    answered: int
    unsent: int


class ReportAreaTask(ABC):
    """One report area: its handshake with the PLC and its delivery to Odoo."""

    label = "AREA"
    model: type[Any]

    def __init__(self, context: AgentContext):
        self.context = context

    # -- what differs between the areas

    @property
    @abstractmethod
    def area(self) -> ReportArea | None:
        """The area in the register map (None: the line has none)."""

    @abstractmethod
    def build_row(self, reading: AreaReading, now: datetime) -> Any:
        """The new queue row for a waiting report."""

    def same_report(self, session: Session, row: Any) -> Any | None:
        """An earlier row that is this very report, stored already (None: it is new)."""
        return None

    # A hook, not a duty: only a report whose key takes the row's id (a weighing) has
    # anything to do here; a failure's key comes from the PLC's words.
    def after_insert(self, row: Any) -> None:  # noqa: B027
        """Called once the row has its id (still in the storing transaction)."""

    @abstractmethod
    def send(self) -> Callable[[dict[str, Any]], AreaReportResult]:
        """The gateway method that reports one row's payload."""

    @abstractmethod
    def describe(self, row: Any) -> str:
        """The row as a log line names it."""

    # -- the PLC side

    def read(self) -> AreaReadResult:
        area = self.area
        if area is None:
            return AreaReadResult(0, 0)
        reading = area.decode(self.context.plc.read_registers(area.start, area.extent))
        if not reading.waiting:
            return AreaReadResult(0, 0)
        now = self.context.clock()
        stored = 0
        with self.context.sessions.begin() as session:
            model = self.model
            unacknowledged = session.scalars(
                select(model).where(model.plc_acknowledged_at.is_(None)).order_by(model.id)
            ).all()
            row = next((r for r in unacknowledged if r.raw_words == list(reading.raw_words)), None)
            for earlier in unacknowledged:
                if earlier is not row:
                    # The PLC moved on to a new report, so it saw this one's handshake.
                    earlier.plc_acknowledged_at = now
            if row is None:
                new = self.build_row(reading, now)
                row = self.same_report(session, new)
                if row is None:
                    session.add(new)
                    session.flush()
                    self.after_insert(new)
                    row, stored = new, 1
                    self._log_stored(new)
                else:
                    logger.info("[%s] %s is already stored; acknowledged again, not stored twice",
                                self.label, self.describe(row))
            row_id = row.id
        crash_point("after_area_store")
        self.context.plc.write_registers(area.handshake_address, [1])
        with self.context.sessions.begin() as session:
            acknowledged = session.get(self.model, row_id)
            if acknowledged is not None and acknowledged.plc_acknowledged_at is None:
                acknowledged.plc_acknowledged_at = self.context.clock()
        return AreaReadResult(stored, 1)

    def _log_stored(self, row: PlcReportFields) -> None:
        if row.state is DeliveryState.INVALID:
            logger.error("[%s] %s stored with bad words, kept here and not sent: %s (raw words "
                         "kept); acknowledged so the area moves on", self.label, self.describe(row),
                         row.problem)
        elif row.problem:
            logger.warning("[%s] %s stored with bad words (%s); sent with what could be read",
                           self.label, self.describe(row), row.problem)
        else:
            logger.info("[%s] %s stored", self.label, self.describe(row))

    # -- the Odoo side

    def push(self) -> AreaPushResult:
        now = self.context.clock()
        model = self.model
        with self.context.read_sessions() as session:
            ids = session.scalars(
                select(model.id).where(model.state == DeliveryState.UNSENT)
                .where((model.next_attempt_at.is_(None)) | (model.next_attempt_at <= now))
                .order_by(model.id)
            ).all()
        attempted = answered = 0
        send = self.send()
        for row_id in ids:
            with self.context.read_sessions() as session:
                row = session.get(model, row_id)
                if row is None or row.state is not DeliveryState.UNSENT:
                    continue
                payload, label = row.payload(), self.describe(row)
            attempted += 1
            try:
                result = send(payload)
            except OdooUnavailable as exc:
                retry_later(self.context, model, row_id, exc)
                # The gateway's outage says it once; this is the detail per report.
                logger.debug("[%s] %s not sent, Odoo unavailable (kept, retried later): %s",
                             self.label, label, exc)
                break  # the next reports would meet the same outage
            except OdooError as exc:
                attempts = retry_later(self.context, model, row_id, exc)
                (logger.error if attempts == 1 else logger.debug)(
                    "[%s] %s not sent, Odoo refused the call (kept, retried later with backoff): %s",
                    self.label, label, exc)
                continue
            with self.context.sessions.begin() as session:
                row = session.get(model, row_id)
                if row is not None:
                    row.answered(result.status, result.answer, result.reason, self.context.clock())
            answered += 1
            again = " (Odoo had it already)" if result.duplicate else ""
            log = logger.info if result.status in ("stored", "consumed") else logger.warning
            log("[%s] %s: Odoo answered %s%s%s", self.label, label, result.status,
                f": {result.reason}" if result.reason else "", again)
        with self.context.read_sessions() as session:
            unsent = session.scalar(select(func.count()).select_from(model)
                                    .where(model.state == DeliveryState.UNSENT)) or 0
        return AreaPushResult(attempted, answered, unsent)
