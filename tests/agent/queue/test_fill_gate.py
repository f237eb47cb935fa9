"""The fill gate (``plc_agent.queue.fill_gate``) in one process: only an empty queue is filled,
all or nothing (scenarios/test_gate.py races two processes).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plc_agent.queue.engine import make_session_factory
from plc_agent.queue.fill_gate import fill_if_empty
from plc_agent.queue.models import MoBatch

from ..helpers import make_queue_batch


def test_fill_gate_inserts_only_into_an_empty_queue(engine):
    factory = make_session_factory(engine)
    calls = []

    def fetch(_session):
        calls.append(1)
        return [make_queue_batch(1), make_queue_batch(2)]

    first = fill_if_empty(factory, fetch)
    assert first.filled and first.inserted == 2
    second = fill_if_empty(factory, fetch)
    assert second.count_before == 2 and second.inserted == 0
    assert len(calls) == 1


def test_fill_gate_stores_all_or_nothing(engine):
    factory = make_session_factory(engine)

    def fetch(_session):
        # two rows with one batch_key: the second insert fails, the first must not stay
        return [make_queue_batch(1, key="same"), make_queue_batch(2, key="same")]

    with pytest.raises(IntegrityError):
        fill_if_empty(factory, fetch)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(MoBatch)) == 0

    def failing(_session):
        raise RuntimeError("Odoo went away")

    with pytest.raises(RuntimeError):
        fill_if_empty(factory, failing)
    assert fill_if_empty(factory, lambda s: [make_queue_batch(1)]).inserted == 1
