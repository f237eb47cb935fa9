"""Task 6, retention: only history Odoo has answered, only older than RETENTION_DAYS, in chunks."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plc_agent.queue.engine import make_session_factory
from plc_agent.queue.failure import PlcFailure
from plc_agent.queue.models import DeliveryState, MoHistory
from plc_agent.queue.weighing import ManualWeighing

from ..conftest import with_settings

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=91)
RECENT = NOW - timedelta(days=89)


def history(key: str, archived_at: datetime, outcome: str) -> MoHistory:
    return MoHistory(batch_key=key, mo_name=key, planned_quantity=1.0, line_code="FM1", odoo_mo_id=1,
                     status_manufacturing=True, status_operation=False, components=[], outcome=outcome,
                     odoo_result={"status": outcome}, archived_at=archived_at, run=1, push_attempts=0,
                     finished_goods="", bom_code="", product_code="", uom="kg")


def failure(key: str, state: DeliveryState, answered_at: datetime | None) -> PlcFailure:
    return PlcFailure(line_code="FM1", equipment="silo101", info=key, occurred_at=OLD, failure_key=key,
                      raw_words=[0] * 22, read_at=OLD - timedelta(days=5), state=state, push_attempts=0,
                      outcome="stored" if answered_at else None, answered_at=answered_at)


def weighing(key: str, state: DeliveryState, answered_at: datetime | None, outcome: str | None) -> ManualWeighing:
    return ManualWeighing(line_code="FM1", weighing_key=key, batch_number=1, mo_name="WH/MO/00001",
                          product_template_id=55, quantity=1.0, raw_words=[0] * 13,
                          read_at=OLD - timedelta(days=5), state=state, push_attempts=0, outcome=outcome,
                          answered_at=answered_at)


def keys(engine: Any) -> dict[str, list[str]]:
    with Session(engine) as s:
        return {"batches": sorted(s.scalars(select(MoHistory.batch_key))),
                "failures": sorted(s.scalars(select(PlcFailure.failure_key))),
                "weighings": sorted(s.scalars(select(ManualWeighing.weighing_key)))}


def test_prunes_only_answered_rows_past_the_limit_in_chunks(make_tasks, engine, agent_settings, caplog):
    caplog.set_level(logging.INFO, logger="plc_agent.tasks.retention")
    with make_session_factory(engine).begin() as s:
        s.add_all([history(f"old-{n}", OLD, "done") for n in range(5)])
        s.add_all([history("old-rejected", OLD, "rejected"), history("old-skipped", OLD, "skipped"),
                   history("recent", RECENT, "done")])
        s.add_all([failure("old-stored", DeliveryState.ANSWERED, OLD),
                   failure("old-unsent", DeliveryState.UNSENT, None),
                   failure("recent", DeliveryState.ANSWERED, RECENT)])
        s.add_all([weighing("old-consumed", DeliveryState.ANSWERED, OLD, "consumed"),
                   weighing("old-kept", DeliveryState.ANSWERED, OLD, "kept"),
                   weighing("old-invalid", DeliveryState.INVALID, None, None),
                   weighing("old-unsent", DeliveryState.UNSENT, None, None),
                   weighing("recent", DeliveryState.ANSWERED, RECENT, "consumed")])
    tasks = make_tasks(with_settings(agent_settings, retention_chunk_rows=2))
    tasks.clock = lambda: NOW
    result = tasks.prune()
    assert result.pruned == {"batches": 6, "failures": 1, "weighings": 2} and not result.more_left
    assert keys(engine) == {"batches": ["old-skipped", "recent"], "failures": ["old-unsent", "recent"],
                            "weighings": ["old-invalid", "old-unsent", "recent"]}
    assert "[TASK 6] Pruned history older than 90 days: 6 batches, 1 failures, 2 weighings" in caplog.text
    assert tasks.prune().total == 0


def test_a_large_backlog_goes_over_several_runs(make_tasks, engine, agent_settings):
    from plc_agent.tasks.retention import MAX_CHUNKS_PER_RUN

    with make_session_factory(engine).begin() as s:
        s.add_all([history(f"old-{n}", OLD, "done") for n in range(MAX_CHUNKS_PER_RUN * 2 + 3)])
    tasks = make_tasks(with_settings(agent_settings, retention_chunk_rows=1))
    tasks.clock = lambda: NOW
    first = tasks.prune()
    assert (first.pruned["batches"], first.more_left) == (MAX_CHUNKS_PER_RUN, True)
    assert tasks.prune().pruned["batches"] == MAX_CHUNKS_PER_RUN
    last = tasks.prune()
    assert (last.pruned["batches"], last.more_left) == (3, False)
    assert keys(engine)["batches"] == []
