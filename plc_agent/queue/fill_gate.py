"""The fill gate: the queue is filled only when it is empty, by one agent at a time.

:func:`fill_if_empty` counts ``mo_batch`` and inserts the new set in one transaction under
a lock that holds across processes: ``pg_advisory_xact_lock`` on PostgreSQL, ``BEGIN
IMMEDIATE`` on SQLite (every write transaction of the queue's engine starts that way, see
:mod:`plc_agent.queue.engine`). Two agents can never both see 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from .models import MoBatch

# An arbitrary fixed key (transaction scope): same database = same key = the same lock,
# whichever agent asks. The instance lock and the migrations use keys beside it.
FILL_LOCK_KEY = 0x504C_4331  # "PLC1"


@dataclass(frozen=True)
class FillResult:
    count_before: int
    inserted: int

    @property
    def filled(self) -> bool:
        return self.count_before == 0 and self.inserted > 0


def take_fill_lock(session: Session) -> None:
    """Take the cross-process fill lock inside the session's current transaction."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FILL_LOCK_KEY})
    else:
        # The transaction began with BEGIN IMMEDIATE; touching the database makes sure
        # the connection (and so the lock) is really taken before counting.
        session.execute(text("SELECT 1"))


def fill_if_empty(
    session_factory: sessionmaker[Session],
    fetch: Callable[[Session], Iterable[MoBatch]],
) -> FillResult:
    """Count ``mo_batch`` and, only when it is empty, insert what ``fetch`` returns.

    One transaction under the fill lock: either the whole new set is stored or nothing.
    ``fetch`` runs under the lock (so only one agent asks Odoo) and gets the session, e.g.
    to look at ``mo_histories``. An exception from ``fetch`` rolls everything back.
    """
    with session_factory.begin() as session:
        take_fill_lock(session)
        count = session.scalar(select(func.count()).select_from(MoBatch)) or 0
        if count:
            return FillResult(count_before=count, inserted=0)
        rows = list(fetch(session))
        session.add_all(rows)
        session.flush()
        return FillResult(count_before=0, inserted=len(rows))
