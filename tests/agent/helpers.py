"""Small helpers shared by the agent's tests."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from plc_agent.queue.models import MoBatch, MoHistory


def wait_until(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05,
               what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def batches(engine: Any) -> list[MoBatch]:
    with Session(engine) as s:
        return list(s.scalars(select(MoBatch).order_by(MoBatch.slot)).all())


def history(engine: Any) -> list[MoHistory]:
    with Session(engine) as s:
        return list(s.scalars(select(MoHistory).order_by(MoHistory.id)).all())


def run_line_until_finished(tasks: Any, engine: Any, timeout: float = 20.0,
                            accept: tuple[str, ...] = ("finished", "failed")) -> None:
    """Call Task 2 until every batch in mo_batch is in one of the ``accept`` states."""

    def done() -> bool:
        tasks.read_plc()
        rows = batches(engine)
        return bool(rows) and all(r.state in accept for r in rows)

    wait_until(done, timeout=timeout, what="the PLC to finish the set")


def load_sql_dump(engine: Any, dump_file: Path) -> None:
    """Run a queue database dump (one file per dialect) as the release that wrote it left it."""
    dump = dump_file.read_text(encoding="utf-8")
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "sqlite":
            raw.driver_connection.executescript(dump)
        else:
            with raw.cursor() as cur:
                cur.execute(dump)
        raw.commit()
    finally:
        raw.close()
    engine.dispose()  # the PostgreSQL dump empties search_path on its connection
