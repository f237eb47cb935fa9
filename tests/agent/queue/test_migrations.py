"""Revisions 0003_batch_number_suspect and 0004_earlier_run_shown: up keeps every batch, down and up again."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, select, text

from plc_agent.queue.engine import make_engine, make_session_factory
from plc_agent.queue.models import MoBatch
from plc_agent.queue.schema import alembic_config, init_db


def _columns(engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_0003_adds_its_columns_and_goes_down_and_up_again(database_url):
    engine = make_engine(database_url)
    try:
        init_db(engine)
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0002_failures_weighings")
        assert not {"batch_number", "raw_words", "suspect", "plc_changed_at"} & _columns(engine, "mo_batch")
        assert not {"batch_number", "raw_words", "suspect"} & _columns(engine, "mo_histories")
        with engine.begin() as connection:  # a batch stored before the upgrade
            connection.execute(text(
                "INSERT INTO mo_batch (batch_no, mo_id, consumption, equipment_id_batch, "
                "finished_goods, status_manufacturing, status_operation, odoo_mo_id, run, bom_code, "
                "product_code, uom, push_attempts, batch_key, redelivered, plc_excluded, state, "
                "created_at) VALUES (1, 'WH/MO/00001', 1000, 'FM1', '', false, false, 1, 1, '', '', "
                "'kg', 0, 'FM1-1-1', false, false, 'written', CURRENT_TIMESTAMP)"))
        assert init_db(engine) == ["0003_batch_number_suspect", "0004_earlier_run_shown"]
        with make_session_factory(engine)() as session:
            (row,) = session.scalars(select(MoBatch)).all()
            # numberless, as 0.1.0 wrote it: the PLC shows such a batch with number 0
            assert row.batch_number is None and row.plc_number == 0 and row.suspect is None
    finally:
        engine.dispose()


def test_0004_adds_earlier_run_shown_and_goes_down_and_up_again(database_url):
    engine = make_engine(database_url)
    try:
        init_db(engine)
        assert "earlier_run_shown" in _columns(engine, "mo_batch")
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0003_batch_number_suspect")
        assert "earlier_run_shown" not in _columns(engine, "mo_batch")
        assert init_db(engine) == ["0004_earlier_run_shown"]
        assert "earlier_run_shown" in _columns(engine, "mo_batch")
    finally:
        engine.dispose()
