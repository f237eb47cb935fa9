"""The fill gate across processes: two agents racing to fill one database never both fill it.

Each process opens its own engine and calls the real gate (``fill_if_empty``) with a fetch
that takes a while, as an Odoo round trip does; a barrier starts both at the same moment.
Refill right after the last push is covered by test_service.py (the service chaining test).
"""

from __future__ import annotations

import multiprocessing as mp
import time
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from plc_agent.queue.engine import make_engine, make_session_factory
from plc_agent.queue.fill_gate import fill_if_empty
from plc_agent.queue.models import MoBatch, MoBatchComponent


def _racer(url: str, name: str, barrier, results) -> None:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    fetched = []

    def fetch(_session):
        fetched.append(time.monotonic())
        time.sleep(0.5)  # the Odoo call, made while holding the lock
        rows = []
        for slot in range(1, 11):
            row = MoBatch(slot=slot, mo_name=f"{name}/{slot}", odoo_mo_id=slot,
                          batch_key=f"{name}-{slot}", run=1, planned_quantity=1.0,
                          line_code="FM1", state="queued",
                          created_at=datetime.now(UTC))
            row.components.append(MoBatchComponent(position=0, silo_code="101", silo_id=101,
                                                   planned_quantity=1.0))
            rows.append(row)
        return rows

    barrier.wait(timeout=30)
    try:
        result = fill_if_empty(factory, fetch)
        results.put((name, result.count_before, result.inserted, len(fetched), None))
    except Exception as exc:  # reported to the parent, which fails the test
        results.put((name, -1, -1, len(fetched), repr(exc)))
    finally:
        engine.dispose()


def test_two_processes_never_both_fill(engine, database_url):
    ctx = mp.get_context("spawn")
    for _round in range(3):
        with Session(engine) as s, s.begin():
            for row in s.scalars(select(MoBatch)).all():
                s.delete(row)
        barrier = ctx.Barrier(2)
        results = ctx.Queue()
        procs = [ctx.Process(target=_racer, args=(database_url, n, barrier, results)) for n in ("A", "B")]
        for p in procs:
            p.start()
        outcome = sorted(results.get(timeout=60) for _ in procs)
        for p in procs:
            p.join(timeout=30)
            assert p.exitcode == 0
        assert all(err is None for *_, err in outcome), outcome
        fillers = [o for o in outcome if o[2] > 0]
        skippers = [o for o in outcome if o[2] == 0]
        assert len(fillers) == 1 and len(skippers) == 1, outcome
        assert skippers[0][1] == 10  # it counted the other's rows ...
        assert skippers[0][3] == 0  # ... and never asked Odoo
        with Session(engine) as s:
            keys = s.scalars(select(MoBatch.batch_key)).all()
        assert len(keys) == 10 and len({k.split("-")[0] for k in keys}) == 1
