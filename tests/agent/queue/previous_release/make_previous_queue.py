"""Write the queue of the previous release (before the attribute renames) as SQL dumps.

Run with the plc_agent of that release on the path (git show afc6022:plc_agent), from the
repository root::

    PYTHONPATH=<checkout of afc6022> python tests/agent/queue/previous_release/make_previous_queue.py

It stores six batches in the states a running line leaves behind, and one archived batch,
through that release's own models, then dumps the SQLite file and (when PGHOST is set) a
PostgreSQL database to ``previous_queue.sqlite.sql`` / ``previous_queue.postgresql.sql``
beside this file. queue/test_schema.py opens them with the current models.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from plc_agent.database import (
    MoBatch,
    MoBatchComponent,
    MoHistory,
    init_db,
    make_engine,
    make_session_factory,
)

HERE = Path(__file__).resolve().parent
T0 = datetime(2026, 11, 28, 6, 0, 0, tzinfo=UTC)
COMPONENTS = (("101", "RM-MAIZE", "Maize", 550.0), ("102", "RM-SBM", "Soybean meal 46%", 250.0),
              ("103", "RM-PKP", "Palm kernel pellets", 100.0), ("104", "RM-LIME", "Limestone", 80.0),
              ("115", "RM-OIL", "Soybean oil", 20.0))
# slot -> (state, plc_excluded); MO ids 1..6 of a fresh stand-in Odoo, run 1
STATES = {1: ("finished", False), 2: ("failed", False), 3: ("held", False),
          4: ("running", False), 5: ("written", False), 6: ("failed", True)}


def batch(slot: int) -> MoBatch:
    state, excluded = STATES[slot]
    ran = state in ("finished", "failed", "held", "running") and not excluded
    row = MoBatch(
        batch_no=slot, mo_id=f"WH/MO/{slot:05d}", odoo_mo_id=slot, batch_key=f"FM1-{slot}-1", run=1,
        consumption=1000.0, equipment_id_batch="FM1", finished_goods="Layer feed 25 kg",
        bom_code="LAYER-25", product_code="FEED-LAYER-25", uom="kg",
        date_planned_start="2026-11-28 06:00:00", redelivered=False, plc_excluded=excluded,
        state=state, status_manufacturing=state == "finished",
        status_operation=state == "failed" and not excluded, push_attempts=0,
        created_at=T0, plc_written_at=None if excluded else T0 + timedelta(seconds=5),
        last_read_from_plc=T0 + timedelta(minutes=4) if ran else None,
        started_at=T0 + timedelta(seconds=10) if ran else None,
        finished_at=T0 + timedelta(minutes=4) if state in ("finished", "failed") else None,
        actual_weight_finished_goods=998.2 if state == "finished" else None,
        hold_reason="silo 101: 5000 kg is more than 1.5 x the planned 550" if state == "held" else None,
        message=("Not sent to the PLC: 16 components, the PLC slot has room for 15" if excluded
                 else "The line reported a failure (status_operation = 1) in slot 2."
                 if state == "failed" else None),
    )
    for k, (silo, code, name, qty) in enumerate(COMPONENTS):
        actual = (
            qty * 1.01
            if state in ("finished", "held", "running") or (state == "failed" and k < 2 and not excluded)
            else None
        )
        row.components.append(MoBatchComponent(
            position=k, silo_code=silo, silo_id=int(silo), product_code=code, product_name=name,
            uom="kg", planned_quantity=qty, actual_quantity=actual,
        ))
    return row


def archived() -> MoHistory:
    return MoHistory(
        batch_no=1, mo_id="WH/MO/00900", odoo_mo_id=900, batch_key="FM1-900-1", run=1,
        consumption=500.0, equipment_id_batch="FM1", finished_goods="Layer feed 25 kg",
        bom_code="LAYER-25", product_code="FEED-LAYER-25", uom="kg", status_manufacturing=True,
        status_operation=False, actual_weight_finished_goods=499.0, created_at=T0 - timedelta(hours=1),
        started_at=T0 - timedelta(minutes=50), finished_at=T0 - timedelta(minutes=45), push_attempts=0,
        components=[{"position": 0, "silo": "101", "silo_id": 101, "product_code": "RM-MAIZE",
                     "product_name": "Maize", "uom": "kg", "planned_quantity": 500.0,
                     "actual_quantity": 499.0}],
        report_payload={"mo_id": 900, "batch_key": "FM1-900-1", "status": "done"},
        outcome="done", odoo_result={"status": "done", "mo_state": "done", "duplicate": False},
        reason=None, archived_at=T0 - timedelta(minutes=44),
    )


def fill(url: str) -> None:
    engine = make_engine(url)
    init_db(engine)
    with make_session_factory(engine).begin() as session:
        session.add_all([batch(slot) for slot in STATES] + [archived()])
    engine.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "queue.sqlite3"
        fill(f"sqlite:///{path}")
        with sqlite3.connect(path) as conn:
            dump = "\n".join(line for line in conn.iterdump()
                             if not line.startswith(("BEGIN", "COMMIT")))
        (HERE / "previous_queue.sqlite.sql").write_text(dump + "\n", encoding="utf-8")
    if not os.environ.get("PGHOST"):
        print("PGHOST not set: PostgreSQL dump not written", file=sys.stderr)
        return
    import psycopg2

    name = f"plc_agent_seed_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        fill(f"postgresql://{os.environ['PGUSER']}:{os.environ.get('PGPASSWORD', '')}"
             f"@{os.environ['PGHOST']}:{os.environ.get('PGPORT', '5432')}/{name}")
        dump = subprocess.run(["pg_dump", "--inserts", "--no-owner", "--no-privileges",
                               "--no-comments", name], check=True, capture_output=True,
                              text=True).stdout
        # psql's meta-commands (\restrict) are not SQL; the test runs the dump through psycopg2.
        dump = "".join(line for line in dump.splitlines(keepends=True) if not line.startswith("\\"))
        (HERE / "previous_queue.postgresql.sql").write_text(dump, encoding="utf-8")
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
