"""Task 3, push: finished and failed batches -> Odoo, with backoff; archive on the answer.

A batch leaves ``mo_batch`` only together with its ``mo_histories`` row, in one
transaction, after Odoo answered for its ``batch_key``; a retry after a crash gets the
first answer back (Odoo's idempotency), so nothing is consumed twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from ..batch import ReportResult, report_payload
from ..odoo_gateway import OdooError, OdooUnavailable
from ..queue.models import PUSHABLE, MoBatch, MoHistory, Outcome
from .context import AgentContext, crash_point
from .retry import retry_later

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PushResult:
    attempted: int
    archived: int
    remaining: int

    @property
    def emptied_queue(self) -> bool:
        return self.archived > 0 and self.remaining == 0


class PushTask:
    """Reports finished and failed batches; archives each on Odoo's final answer."""

    def __init__(self, context: AgentContext):
        self.context = context

    def run(self) -> PushResult:
        """Report finished and failed batches; archive each on Odoo's final answer."""
        now = self.context.clock()
        with self.context.read_sessions() as session:
            ids = session.scalars(
                select(MoBatch.id)
                .where(MoBatch.state.in_(PUSHABLE))
                .where((MoBatch.next_attempt_at.is_(None)) | (MoBatch.next_attempt_at <= now))
                .order_by(MoBatch.slot)
            ).all()
        attempted = archived = 0
        for batch_id in ids:
            with self.context.read_sessions() as session:
                row = session.get(MoBatch, batch_id)
                if row is None or row.state not in PUSHABLE:
                    continue
                payload = report_payload(row)
                label = f"MO {row.mo_name} (slot {row.slot}, {row.batch_key})"
            attempted += 1
            try:
                result = self.context.odoo.report_batch(payload)
            except OdooUnavailable as exc:
                retry_later(self.context, MoBatch, batch_id, exc)
                # The gateway's outage says it once; this is the detail per batch.
                logger.debug("[TASK 3] %s not reported, Odoo unavailable (kept, retried later): %s",
                             label, exc)
                break  # the next batches would meet the same outage
            except OdooError as exc:
                attempts = retry_later(self.context, MoBatch, batch_id, exc)
                # Odoo's message itself is logged once by the gateway; which batch waits, once.
                (logger.error if attempts == 1 else logger.debug)(
                    "[TASK 3] %s not reported, Odoo refused the call (kept, retried later with "
                    "backoff): %s", label, exc)
                continue
            crash_point("after_push")
            self._archive(batch_id, payload, result, label)
            archived += 1
        with self.context.read_sessions() as session:
            remaining = session.scalar(select(func.count()).select_from(MoBatch)) or 0
        return PushResult(attempted, archived, remaining)

    def _archive(self, batch_id: int, payload: dict[str, Any], result: ReportResult,
                 label: str) -> None:
        outcome, reason = result.status, result.reason
        with self.context.sessions.begin() as session:
            row = session.get(MoBatch, batch_id)
            if row is None:
                return
            session.add(MoHistory.of(row, outcome, odoo_result=result.answer, reason=reason,
                                     payload=payload))
            session.delete(row)
        self.context.metrics.batches_reported.labels(outcome=outcome.value).inc()
        again = " (already reported earlier; Odoo gave its first answer)" if result.duplicate else ""
        if outcome is Outcome.DONE:
            logger.info("[TASK 3] %s reported: done, MO state %s%s", label, result.mo_state, again)
        elif outcome is Outcome.RECORDED:
            logger.warning("[TASK 3] %s reported: recorded, the MO did not close: %s%s", label, reason, again)
        elif outcome is Outcome.FAILED:
            logger.warning("[TASK 3] %s reported as failed: %s%s", label, reason, again)
        else:
            logger.error("[TASK 3] %s: Odoo rejected the report: %s. Moved to history as "
                         "rejected; a person must look at the MO.", label, reason)
