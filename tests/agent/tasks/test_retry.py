"""The one backoff of batches and report rows Odoo did not answer (``plc_agent.tasks.retry``):
5 s after the first failed attempt, doubling up to PUSH_BACKOFF_MAX_SECONDS, the error kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from plc_agent.queue.engine import make_session_factory
from plc_agent.queue.failure import PlcFailure
from plc_agent.queue.models import DeliveryState, MoBatch
from plc_agent.queue.weighing import ManualWeighing
from plc_agent.tasks.retry import LAST_ERROR_MAX_CHARS, backoff_seconds, retry_later, schedule_retry

NOW = datetime(2026, 11, 28, 6, 0, 0, tzinfo=UTC)


def batch_row() -> MoBatch:
    return MoBatch(slot=1, mo_name="WH/MO/00001", odoo_mo_id=1, batch_key="FM1-1-1", run=1,
                   planned_quantity=1000.0, line_code="FM1", state="finished", push_attempts=0,
                   created_at=NOW)


def failure_row() -> PlcFailure:
    return PlcFailure(line_code="FM1", equipment="silo101", info="START_FAILURE", occurred_at=NOW,
                      failure_key="FM1/silo101/START_FAILURE/20261128T060000Z", raw_words=[0] * 22,
                      read_at=NOW, state=DeliveryState.UNSENT, push_attempts=0)


def weighing_row() -> ManualWeighing:
    return ManualWeighing(line_code="FM1", weighing_key="FM1-W-20261128T060000Z-1", batch_number=1,
                          mo_name="WH/MO/00001", product_template_id=55, quantity=12.5, raw_words=[0] * 13,
                          read_at=NOW, state=DeliveryState.UNSENT, push_attempts=0)


def test_the_wait_doubles_from_five_seconds_up_to_the_maximum():
    assert [backoff_seconds(n, 900.0) for n in range(1, 11)] == [5, 10, 20, 40, 80, 160, 320, 640, 900, 900]
    assert [backoff_seconds(n, 2.0) for n in (1, 2, 3)] == [2, 2, 2]
    assert backoff_seconds(1, 0.0) == 0.0  # PUSH_BACKOFF_MAX_SECONDS=0: retried at every push
    assert backoff_seconds(100_000, 900.0) == 900.0


@pytest.mark.parametrize("attempts", [0, -1])
def test_a_backoff_needs_a_failed_attempt(attempts):
    with pytest.raises(ValueError, match="count from 1"):
        backoff_seconds(attempts, 900.0)


@pytest.mark.parametrize("make_row", [batch_row, failure_row, weighing_row])
def test_a_failed_attempt_is_counted_its_error_kept_and_the_row_waits(make_row):
    row = make_row()
    assert schedule_retry(row, OSError("x" * 3000), NOW, 900.0) == 5.0
    assert row.push_attempts == 1
    assert row.next_attempt_at == NOW + timedelta(seconds=5)
    assert row.last_error == "x" * LAST_ERROR_MAX_CHARS
    later = NOW + timedelta(minutes=1)
    assert schedule_retry(row, ConnectionRefusedError("Odoo refused the connection"), later, 900.0) == 10.0
    assert (row.push_attempts, row.next_attempt_at, row.last_error) == (
        2, later + timedelta(seconds=10), "Odoo refused the connection")


def test_retry_later_updates_the_stored_row_in_its_own_transaction(tasks, engine):
    tasks.clock = lambda: NOW
    with make_session_factory(engine).begin() as session:
        session.add_all([batch_row(), failure_row()])
    with make_session_factory(engine)() as session:
        batch_id = session.scalar(select(MoBatch.id))
        failure_id = session.scalar(select(PlcFailure.id))
    retry_later(tasks.context, MoBatch, batch_id, TimeoutError("timed out"))
    retry_later(tasks.context, PlcFailure, failure_id, TimeoutError("timed out"))
    retry_later(tasks.context, PlcFailure, failure_id, TimeoutError("timed out again"))
    retry_later(tasks.context, ManualWeighing, 4711, TimeoutError("gone"))  # no such row: nothing to do
    with make_session_factory(engine)() as session:
        batch = session.get(MoBatch, batch_id)
        failure = session.get(PlcFailure, failure_id)
        assert (batch.push_attempts, batch.next_attempt_at, batch.last_error) == (
            1, NOW + timedelta(seconds=5), "timed out")
        assert (failure.push_attempts, failure.next_attempt_at, failure.last_error) == (
            2, NOW + timedelta(seconds=10), "timed out again")
        assert session.scalar(select(ManualWeighing.id)) is None
