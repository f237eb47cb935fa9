"""Task 6, retention: prune history that Odoo has answered, older than ``RETENTION_DAYS``.

Three histories: archived batches (``mo_histories``, by ``archived_at``, only outcomes
Odoo gave), failures and manual weighings (by ``answered_at``, only rows in state
``answered``). A row Odoo has not answered -- unsent, or a weighing kept here as invalid
-- is never pruned, whatever its age. Rows go in chunks of ``RETENTION_CHUNK_ROWS``, one
short transaction each, at most ``MAX_CHUNKS_PER_RUN`` per run, so the PLC poll that
shares the scheduler never waits long; what is left goes at the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select

from ..queue.failure import PlcFailure
from ..queue.models import DeliveryState, MoHistory, Outcome
from ..queue.weighing import ManualWeighing
from .context import AgentContext

logger = logging.getLogger(__name__)

MAX_CHUNKS_PER_RUN = 20
# The outcomes a batch gets from Odoo's answer (Outcome.SKIPPED was never Odoo's).
ODOO_OUTCOMES = tuple(o.value for o in (Outcome.DONE, Outcome.RECORDED, Outcome.FAILED,
                                        Outcome.REJECTED))


@dataclass(frozen=True)
class RetentionResult:
    pruned: dict[str, int]
    more_left: bool

    @property
    def total(self) -> int:
        return sum(self.pruned.values())


class RetentionTask:
    def __init__(self, context: AgentContext):
        self.context = context

    def _prunable(self) -> list[tuple[str, Any, Any]]:
        """(history, model, condition) for each history: answered and older than the cut-off."""
        cutoff = self.context.clock() - timedelta(days=self.context.settings.retention_days)
        return [
            ("batches", MoHistory, (MoHistory.archived_at < cutoff)
             & MoHistory.outcome.in_(ODOO_OUTCOMES)),
            ("failures", PlcFailure, (PlcFailure.state == DeliveryState.ANSWERED)
             & (PlcFailure.answered_at < cutoff)),
            ("weighings", ManualWeighing, (ManualWeighing.state == DeliveryState.ANSWERED)
             & (ManualWeighing.answered_at < cutoff)),
        ]

    def run(self) -> RetentionResult:
        chunk = self.context.settings.retention_chunk_rows
        pruned = {name: 0 for name, _m, _c in self._prunable()}
        chunks = 0
        more_left = False
        for name, model, condition in self._prunable():
            while True:
                if chunks >= MAX_CHUNKS_PER_RUN:
                    more_left = True
                    break
                with self.context.sessions.begin() as session:
                    ids = session.scalars(
                        select(model.id).where(condition).order_by(model.id).limit(chunk)).all()
                    if ids:
                        session.execute(delete(model).where(model.id.in_(ids)))
                chunks += 1
                pruned[name] += len(ids)
                if len(ids) < chunk:
                    break
            if more_left:
                break
        if any(pruned.values()):
            logger.info("[TASK 6] Pruned history older than %d days: %s%s",
                        self.context.settings.retention_days,
                        ", ".join(f"{n} {name}" for name, n in pruned.items()),
                        "; more at the next run" if more_left else "")
        return RetentionResult(pruned, more_left)
