"""The queue's figures: batches by state (the old monitoring query) and report rows by answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import DeliveryState, MoBatch


@dataclass(frozen=True)
class QueueFigures:
    """The old monitoring query: total, in progress, finished; and batches with suspect values."""

    total: int
    in_progress: int
    finished: int
    by_state: dict[str, int]
    suspect: int = 0


def queue_figures(session: Session) -> QueueFigures:
    rows = session.execute(select(MoBatch.state, func.count()).group_by(MoBatch.state)).all()
    by_state = {state.value: int(n) for state, n in rows}
    total = sum(by_state.values())
    finished = session.scalar(
        select(func.count()).select_from(MoBatch).where(MoBatch.status_manufacturing.is_(True))
    ) or 0
    suspect = session.scalar(
        select(func.count()).select_from(MoBatch).where(MoBatch.suspect.is_not(None))
    ) or 0
    return QueueFigures(
        total=total, in_progress=total - int(finished), finished=int(finished), by_state=by_state,
        suspect=int(suspect),
    )


def delivery_figures(session: Session, model: Any) -> dict[str, int]:
    """A report table's rows by where they stand: unsent, invalid, and each Odoo outcome."""
    figures: dict[str, int] = {}
    rows = session.execute(
        select(model.state, model.outcome, func.count()).group_by(model.state, model.outcome)).all()
    for state, outcome, count in rows:
        name = outcome if state is DeliveryState.ANSWERED and outcome else state.value
        figures[name] = figures.get(name, 0) + int(count)
    return figures
