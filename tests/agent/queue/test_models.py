"""The queue's tables (``plc_agent.queue.models``) on SQLite and PostgreSQL: the old middleware's
columns, components deleted with their batch, UTC datetimes back as UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from plc_agent.queue.engine import make_session_factory
from plc_agent.queue.models import MoBatch, MoBatchComponent
from plc_agent.queue.schema import missing_tables

from ..helpers import make_queue_batch


def test_schema_has_the_old_columns(engine):
    assert missing_tables(engine) == []
    cols = {c["name"] for c in inspect(engine).get_columns("mo_batch")}
    for old in ("id", "batch_no", "mo_id", "consumption", "equipment_id_batch", "finished_goods",
                "status_manufacturing", "status_operation", "last_read_from_plc",
                "actual_weight_finished_goods"):
        assert old in cols
    for new in ("odoo_mo_id", "batch_key", "push_attempts", "last_error", "next_attempt_at", "state"):
        assert new in cols
    assert {"mo_batch_component", "mo_histories"} <= set(inspect(engine).get_table_names())


def test_components_cascade_and_utc_roundtrip(engine):
    factory = make_session_factory(engine)
    when = datetime(2026, 11, 28, 6, 0, 1, tzinfo=UTC)
    with factory.begin() as s:
        row = make_queue_batch(1)
        row.last_read_from_plc = when
        s.add(row)
    with factory() as s:
        row = s.scalars(select(MoBatch)).one()
        assert row.last_read_from_plc == when and row.last_read_from_plc.tzinfo is not None
        assert [c.silo_code for c in row.components] == ["101", "102", "103"]
    with factory.begin() as s:
        s.delete(s.scalars(select(MoBatch)).one())
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(MoBatchComponent)) == 0
