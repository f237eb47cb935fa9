"""When a report Odoo did not answer is sent again: one backoff for batches and report areas.

Task 3 (batches) and the report areas (failures, manual weighings) keep an unanswered row
in the queue with its attempts, its last error and the moment it may be sent again. After
the n-th failed attempt it waits ``PUSH_BACKOFF_BASE_SECONDS`` x 2^(n-1) seconds, at most
``PUSH_BACKOFF_MAX_SECONDS`` (5 s, 10 s, 20 s, ... 900 s by default), so an Odoo that is
down is not hammered and one that comes back is heard from within a few minutes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from ..odoo_gateway import OdooUnavailable
from .context import AgentContext

PUSH_BACKOFF_BASE_SECONDS = 5.0
LAST_ERROR_MAX_CHARS = 2000


class RetriedRow(Protocol):
    """A queue row sent to Odoo until answered (``mo_batch``, ``plc_failure``, ``plc_weighing``)."""

    push_attempts: int
    next_attempt_at: datetime | None
    last_error: str | None


def backoff_seconds(attempts: int, max_seconds: float,
                    base_seconds: float = PUSH_BACKOFF_BASE_SECONDS) -> float:
    """The wait after ``attempts`` failed attempts (>= 1): base x 2^(attempts-1), at most max."""
    if attempts < 1:
        raise ValueError(f"backoff after {attempts} failed attempts: count from 1")
    if attempts > 64:  # far past any maximum; 2 ** attempts would only grow
        return max_seconds
    return min(max_seconds, base_seconds * 2 ** (attempts - 1))


def schedule_retry(row: RetriedRow, error: BaseException, now: datetime, max_seconds: float) -> float:
    """Count a failed attempt on ``row``, keep its error and set when it goes again; the wait."""
    row.push_attempts += 1
    delay = backoff_seconds(row.push_attempts, max_seconds)
    row.next_attempt_at = now + timedelta(seconds=delay)
    row.last_error = str(error)[:LAST_ERROR_MAX_CHARS]
    return delay


def retry_later(context: AgentContext, model: Any, row_id: int, error: BaseException) -> int:
    """:func:`schedule_retry` on the stored row ``row_id`` of ``model``, in its own transaction.

    A row that is gone (archived or pruned meanwhile) needs no retry. Returns the row's
    failed attempts so far (0 for a row that is gone). An unavailable Odoo's outage hears of
    the wait, so that its log follows the backoff's steps.
    """
    with context.sessions.begin() as session:
        row = session.get(model, row_id)
        if row is None:
            return 0
        delay = schedule_retry(row, error, context.clock(), context.settings.push_backoff_max_seconds)
        attempts = row.push_attempts
    if isinstance(error, OdooUnavailable):
        context.odoo.outage.waiting(delay, str(error))
    return attempts
