"""A queue database written by the release before 0.1.0 upgrades and runs on.

Its tables are those of 0.1.0 (only the column order differs), so it is stamped as 0.1.0's
schema and upgraded like one (test_queue_migrations.py covers 0.1.0 itself).

The dumps in previous_release/ were written by the release before the queue's attributes
were renamed (previous_release/make_previous_queue.py says how): six batches in the states
a running line leaves behind and one archived batch. The current models read them, the tasks push and archive
them, and the state column keeps the same strings and the same plain VARCHAR.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateTable

from plc_agent.queue.schema import missing_tables
from plc_agent.queue.models import BatchState, MoBatch, MoHistory
from plc_agent.queue.engine import make_engine, make_session_factory, read_only_session_factory
from plc_agent.queue.schema import init_db
from plc_agent.odoo_gateway import OdooGateway
from plc_agent.plc.link import PlcLink
from plc_agent.tasks import AgentTasks

from .helpers import load_sql_dump

DATA = Path(__file__).resolve().parent / "previous_release"


def _load_dump(engine: Any) -> None:
    load_sql_dump(engine, DATA / f"previous_queue.{engine.dialect.name}.sql")


# What revision 0003_batch_number_suspect adds to the tables a batch lives in.
COLUMNS_0003 = {
    "mo_batch": {"batch_number", "raw_words", "suspect", "plc_changed_at"},
    "mo_batch_component": set(),
    "mo_histories": {"batch_number", "raw_words", "suspect"},
}


@pytest.fixture
def previous_queue(database_url: str) -> Iterator[Any]:
    engine = make_engine(database_url)
    _load_dump(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def _columns(engine: Any) -> dict[str, list[tuple[str, str, bool]]]:
    found = inspect(engine)
    return {t: [(c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(t)]
            for t in ("mo_batch", "mo_batch_component", "mo_histories")}


def test_previous_queue_keeps_its_tables_through_the_upgrade(previous_queue):
    before = _columns(previous_queue)
    assert missing_tables(previous_queue) == ["plc_failure", "plc_weighing"]
    applied = init_db(previous_queue)  # stamped as 0.1.0's schema, then upgraded
    assert applied[:2] == ["0002_failures_weighings", "0003_batch_number_suspect"]
    assert missing_tables(previous_queue) == []
    after = _columns(previous_queue)
    for table, columns in before.items():
        assert after[table][:len(columns)] == columns  # every old column kept, in its place
        assert {c[0] for c in after[table][len(columns):]} == COLUMNS_0003[table]
    with make_session_factory(previous_queue)() as session:
        rows = session.scalars(select(MoBatch).order_by(MoBatch.slot)).all()
        assert [(r.slot, r.state) for r in rows] == [
            (1, BatchState.FINISHED), (2, BatchState.FAILED), (3, BatchState.HELD),
            (4, BatchState.RUNNING), (5, BatchState.WRITTEN), (6, BatchState.FAILED)]
        first = rows[0]
        assert (first.mo_name, first.planned_quantity, first.line_code, first.finished_weight) == (
            "WH/MO/00001", 1000.0, "FM1", pytest.approx(998.2))
        assert [c.silo_id for c in first.components] == [101, 102, 103, 104, 115]
        assert rows[5].plc_excluded and rows[2].hold_reason
        (old,) = session.scalars(select(MoHistory)).all()
        assert (old.slot, old.mo_name, old.outcome, old.components[0]["silo"]) == (
            1, "WH/MO/00900", "done", "101")


def test_previous_queue_is_pushed_archived_and_keeps_its_strings(
        previous_queue, make_settings, database_url, odoo_standin, plc_simulator, register_map):
    init_db(previous_queue)  # what every start does
    for _ in range(6):
        odoo_standin.add_mo()  # ids 1..6, the MOs the stored batches were fetched for
    settings = make_settings(
        DATABASE_URL=database_url, ODOO_URL=odoo_standin.url, ODOO_DATABASE=odoo_standin.database,
        ODOO_USERNAME=odoo_standin.username, ODOO_PASSWORD=odoo_standin.password,
        PLC_HOST=plc_simulator.host, PLC_PORT=str(plc_simulator.port), PLC_TIMEOUT_SECONDS="1")
    odoo = OdooGateway(settings.odoo_url, settings.odoo_database, settings.odoo_username,
                       settings.odoo_password, timeout=5)
    assert len(odoo.fetch_batches("FM1", 10)) == 6  # Odoo now holds them as sent
    plc = PlcLink(settings.plc_host, settings.plc_port, settings.plc_unit_id, register_map, timeout=1)
    tasks = AgentTasks(settings, make_session_factory(previous_queue), register_map, plc, odoo,
                       read_session_factory=read_only_session_factory(previous_queue))
    try:
        push = tasks.push()
        assert (push.archived, push.remaining) == (3, 3)  # finished, failed, refused
        report = tasks.health()
        assert report.queue["by_state"] == {"held": 1, "running": 1, "written": 1}
    finally:
        plc.close()
    assert [odoo_standin.mo(i)["plc_state"] for i in (1, 2, 6)] == ["done", "failed", "failed"]

    with make_session_factory(previous_queue).begin() as session:
        running = session.scalars(select(MoBatch).where(MoBatch.state == BatchState.RUNNING)).one()
        running.state = BatchState.FINISHED
        history = session.scalars(select(MoHistory).order_by(MoHistory.id)).all()
        assert [(h.mo_name, h.outcome) for h in history] == [
            ("WH/MO/00900", "done"), ("WH/MO/00001", "done"), ("WH/MO/00002", "failed"),
            ("WH/MO/00006", "failed")]
        assert history[1].finished_weight == pytest.approx(998.2)
        assert len(history[1].components) == 5
    with previous_queue.connect() as conn:
        stored = conn.execute(text("SELECT batch_no, state FROM mo_batch ORDER BY batch_no")).all()
    assert [tuple(r) for r in stored] == [(3, "held"), (4, "finished"), (5, "written")]


def test_state_column_stays_a_plain_string():
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        ddl = str(CreateTable(MoBatch.__table__).compile(dialect=dialect))
        assert "state VARCHAR(16) NOT NULL" in ddl and "CHECK" not in ddl
