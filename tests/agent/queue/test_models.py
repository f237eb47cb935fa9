"""The queue database on SQLite and PostgreSQL: schema, fill gate, instance lock."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from plc_agent.queue.schema import missing_tables
from plc_agent.queue.instance_lock import InstanceLock, InstanceLocked
from plc_agent.queue.models import MoBatch, MoBatchComponent
from plc_agent.queue.fill_gate import fill_if_empty
from plc_agent.queue.engine import make_engine, make_session_factory


def make_batch(slot: int, key: str | None = None, n_components: int = 3) -> MoBatch:
    row = MoBatch(
        slot=slot, mo_name=f"WH/MO/{slot:05d}", odoo_mo_id=slot, batch_key=key or f"FM1-{slot}-1",
        run=1, planned_quantity=1000.0, line_code="FM1", finished_goods="Layer feed",
        state="queued", created_at=datetime.now(timezone.utc),
    )
    for k in range(n_components):
        row.components.append(MoBatchComponent(position=k, silo_code=str(101 + k), silo_id=101 + k,
                                               planned_quantity=100.0 * (k + 1)))
    return row


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
    when = datetime(2026, 11, 28, 6, 0, 1, tzinfo=timezone.utc)
    with factory.begin() as s:
        row = make_batch(1)
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


def test_fill_gate_inserts_only_into_an_empty_queue(engine):
    factory = make_session_factory(engine)
    calls = []

    def fetch(_session):
        calls.append(1)
        return [make_batch(1), make_batch(2)]

    first = fill_if_empty(factory, fetch)
    assert first.filled and first.inserted == 2
    second = fill_if_empty(factory, fetch)
    assert second.count_before == 2 and second.inserted == 0
    assert len(calls) == 1


def test_fill_gate_stores_all_or_nothing(engine):
    factory = make_session_factory(engine)

    def fetch(_session):
        # two rows with one batch_key: the second insert fails, the first must not stay
        return [make_batch(1, key="same"), make_batch(2, key="same")]

    with pytest.raises(Exception):
        fill_if_empty(factory, fetch)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(MoBatch)) == 0

    def failing(_session):
        raise RuntimeError("Odoo went away")

    with pytest.raises(RuntimeError):
        fill_if_empty(factory, failing)
    assert fill_if_empty(factory, lambda s: [make_batch(1)]).inserted == 1


def test_instance_lock_refuses_a_second_holder_and_names_the_first(database_url):
    eng1 = make_engine(database_url)
    eng2 = make_engine(database_url)
    from plc_agent.queue.schema import init_db

    init_db(eng1)
    lock = InstanceLock(eng1).acquire()
    try:
        with pytest.raises(InstanceLocked) as info:
            InstanceLock(eng2).acquire()
        assert f"pid {os.getpid()}" in str(info.value)
        assert socket.gethostname() in str(info.value)
    finally:
        lock.release()
    again = InstanceLock(eng2).acquire()
    again.release()
    eng1.dispose()
    eng2.dispose()
