"""The queue's schema (``plc_agent.queue.schema``) under Alembic: a queue of release 0.1.0, or of
the release before it, upgrades in place and runs on; a current queue is seen as such
without Alembic.

The dumps in release_0_1_0/ were written by release 0.1.0's own models and ``create_all``
(release_0_1_0/make_queue_0_1_0.py says how): one batch in each state the queue knows, a
batch refused before the PLC and one archived batch. The dumps in previous_release/ were
written by the release before the queue's attributes were renamed
(previous_release/make_previous_queue.py says how); its tables are those of 0.1.0 (only the
column order differs), so it is stamped as 0.1.0's schema and upgraded like one. Every test
runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateTable

from plc_agent.odoo_gateway import OdooGateway
from plc_agent.plc.link import PlcLink
from plc_agent.queue.engine import make_engine, make_session_factory, read_only_session_factory
from plc_agent.queue.failure import PlcFailure
from plc_agent.queue.models import Base, BatchState, MoBatch, MoHistory
from plc_agent.queue.schema import (
    BASELINE_REVISION,
    alembic_config,
    current_revision,
    head_revision,
    init_db,
    missing_tables,
    newest_revision,
    pending_revisions,
    up_to_date,
)
from plc_agent.queue.weighing import ManualWeighing
from plc_agent.tasks import AgentTasks

from ..helpers import load_sql_dump

DATA_0_1_0 = Path(__file__).resolve().parent / "release_0_1_0"
STATES_0_1_0 = [(1, "finished"), (2, "failed"), (3, "held"), (4, "running"), (5, "written"),
                (6, "failed"), (7, "queued")]


def _load_dump(engine: Any) -> None:
    load_sql_dump(engine, DATA_0_1_0 / f"queue_0_1_0.{engine.dialect.name}.sql")


@pytest.fixture
def queue_0_1_0(database_url: str) -> Iterator[Any]:
    engine = make_engine(database_url)
    _load_dump(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def _schema(engine: Any, tables: tuple[str, ...]) -> dict[str, Any]:
    """What a table is made of, as the database itself describes it."""
    found = inspect(engine)
    described = {}
    for table in tables:
        described[table] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(table)],
            "primary_key": found.get_pk_constraint(table)["constrained_columns"],
            "unique": sorted(tuple(u["column_names"]) for u in found.get_unique_constraints(table)),
            "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                              for i in found.get_indexes(table)),
            "foreign_keys": [(tuple(f["constrained_columns"]), f["referred_table"],
                              f.get("options", {}).get("ondelete"))
                             for f in found.get_foreign_keys(table)],
        }
    return described


TABLES_0_1_0 = ("mo_batch", "mo_batch_component", "mo_histories", "plc_agent_instance")


def test_baseline_revision_is_the_0_1_0_schema(queue_0_1_0):
    made_by_0_1_0 = _schema(queue_0_1_0, TABLES_0_1_0)
    old = MetaData()
    old.reflect(queue_0_1_0)
    old.drop_all(queue_0_1_0)
    with queue_0_1_0.begin() as connection:
        command.upgrade(alembic_config(connection), BASELINE_REVISION)
    assert _schema(queue_0_1_0, TABLES_0_1_0) == made_by_0_1_0


def test_release_0_1_0_queue_is_stamped_then_upgraded(queue_0_1_0, caplog):
    assert pending_revisions(queue_0_1_0)[0] == "0002_failures_weighings"
    with caplog.at_level(logging.INFO, logger="plc_agent.queue.schema"):
        applied = init_db(queue_0_1_0)
    assert applied[0] == "0002_failures_weighings" and BASELINE_REVISION not in applied
    assert "a release 0.1.0 queue, stamped 0001_queue_0_1_0" in caplog.text
    assert "applied 0002_failures_weighings" in caplog.text
    with queue_0_1_0.connect() as connection:
        assert current_revision(connection) == head_revision()
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    assert pending_revisions(queue_0_1_0) == []
    assert init_db(queue_0_1_0) == []  # a second start changes nothing
    with make_session_factory(queue_0_1_0)() as session:
        rows = session.scalars(select(MoBatch).order_by(MoBatch.slot)).all()
        assert [(r.slot, r.state.value) for r in rows] == STATES_0_1_0
        assert [c.silo_id for c in rows[0].components] == [101, 102, 103, 104, 115]
        assert session.scalars(select(PlcFailure)).all() == []
        assert session.scalars(select(ManualWeighing)).all() == []


def test_new_database_runs_every_revision_and_matches_the_models(database_url):
    engine = make_engine(database_url)
    try:
        assert pending_revisions(engine)[0] == BASELINE_REVISION
        applied = init_db(engine)
        assert applied[:2] == [BASELINE_REVISION, "0002_failures_weighings"]
        assert applied[-1] == head_revision()
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        engine.dispose()


def test_upgraded_0_1_0_batches_complete(queue_0_1_0, make_settings, database_url, odoo_standin,
                                         plc_simulator, register_map):
    init_db(queue_0_1_0)
    for _ in range(7):
        odoo_standin.add_mo()  # ids 1..7, the MOs the stored batches were fetched for
    settings = make_settings(
        DATABASE_URL=database_url, ODOO_URL=odoo_standin.url, ODOO_DATABASE=odoo_standin.database,
        ODOO_USERNAME=odoo_standin.username, ODOO_PASSWORD=odoo_standin.password,
        PLC_HOST=plc_simulator.host, PLC_PORT=str(plc_simulator.port), PLC_TIMEOUT_SECONDS="1")
    odoo = OdooGateway(settings.odoo_url, settings.odoo_database, settings.odoo_username,
                       settings.odoo_password, timeout=5)
    assert len(odoo.fetch_batches("FM1", 10)) == 7  # Odoo holds them as sent
    plc = PlcLink(settings.plc_host, settings.plc_port, settings.plc_unit_id, register_map, timeout=1)
    tasks = AgentTasks(settings, make_session_factory(queue_0_1_0), register_map, plc, odoo,
                       read_session_factory=read_only_session_factory(queue_0_1_0))
    try:
        push = tasks.push()
        assert (push.archived, push.remaining) == (3, 4)  # finished, failed, refused
        # The line finishes what was queued, written and running when 0.1.0 stopped
        # (held waits for a person, as it did in 0.1.0).
        with make_session_factory(queue_0_1_0).begin() as session:
            for row in session.scalars(select(MoBatch).where(MoBatch.state.in_(
                    [BatchState.QUEUED, BatchState.WRITTEN, BatchState.RUNNING]))):
                row.state = BatchState.FINISHED
                row.status_manufacturing = True
                row.finished_weight = 1001.0
                for component in row.components:
                    component.actual_quantity = component.planned_quantity
        push = tasks.push()
        assert (push.archived, push.remaining) == (3, 1)
    finally:
        plc.close()
    assert [odoo_standin.mo(i)["plc_state"] for i in (1, 2, 4, 5, 6, 7)] == [
        "done", "failed", "done", "done", "failed", "done"]
    with make_session_factory(queue_0_1_0)() as session:
        history = session.scalars(select(MoHistory).order_by(MoHistory.id)).all()
        assert [h.mo_name for h in history] == [
            "WH/MO/00900", "WH/MO/00001", "WH/MO/00002", "WH/MO/00006", "WH/MO/00004",
            "WH/MO/00005", "WH/MO/00007"]
    with queue_0_1_0.connect() as connection:
        left = connection.execute(text("SELECT batch_no, state FROM mo_batch")).all()
    assert [tuple(r) for r in left] == [(3, "held")]


def test_commands_on_a_0_1_0_queue(queue_0_1_0, make_settings, database_url, odoo_standin,
                                   plc_simulator, tmp_path):
    from ..helpers import agent

    settings = make_settings(
        DATABASE_URL=database_url, ODOO_URL=odoo_standin.url, ODOO_DATABASE=odoo_standin.database,
        ODOO_USERNAME=odoo_standin.username, ODOO_PASSWORD=odoo_standin.password,
        PLC_HOST=plc_simulator.host, PLC_PORT=str(plc_simulator.port))
    p = agent(settings, "status", cwd=tmp_path)
    assert p.returncode == 1
    assert "schema upgrade pending (0002_failures_weighings" in p.stdout
    # A start applies what is pending under its instance lock and says so.
    p = agent(settings, "once", "health", cwd=tmp_path)
    assert "queue schema: a release 0.1.0 queue, stamped 0001_queue_0_1_0" in p.stderr
    assert "queue schema: applied 0002_failures_weighings" in p.stderr
    p = agent(settings, "init-db", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert f"schema at {head_revision()} (nothing to apply)" in p.stdout
    p = agent(settings, "status", cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Queue: 7 total" in p.stdout


def test_the_newest_revision_file_is_alembics_head():
    assert newest_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head_revision() == newest_revision()


def test_up_to_date_reads_the_stored_revision(queue_0_1_0, database_url):
    assert up_to_date(queue_0_1_0) is None  # no alembic_version: 0.1.0 is behind
    init_db(queue_0_1_0)
    assert up_to_date(queue_0_1_0) == head_revision()
    with queue_0_1_0.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0002_failures_weighings'"))
    assert up_to_date(queue_0_1_0) is None
    assert pending_revisions(queue_0_1_0) == ["0003_batch_number_suspect", head_revision()]


DATA_PREVIOUS = Path(__file__).resolve().parent / "previous_release"


def _load_previous_dump(engine: Any) -> None:
    load_sql_dump(engine, DATA_PREVIOUS / f"previous_queue.{engine.dialect.name}.sql")


# What revisions 0003_batch_number_suspect and 0004_earlier_run_shown add to the tables a
# batch lives in.
COLUMNS_0003 = {
    "mo_batch": {"batch_number", "raw_words", "suspect", "plc_changed_at", "earlier_run_shown"},
    "mo_batch_component": set(),
    "mo_histories": {"batch_number", "raw_words", "suspect"},
}


@pytest.fixture
def previous_queue(database_url: str) -> Iterator[Any]:
    engine = make_engine(database_url)
    _load_previous_dump(engine)
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
    assert applied[:3] == ["0002_failures_weighings", "0003_batch_number_suspect", "0004_earlier_run_shown"]
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
