"""Small helpers shared by the agent's tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from plc_agent.plc.link import PlcLink
from plc_agent.plc.register_map import (
    ComponentDose,
    SlotBatch,
    SlotReading,
)
from plc_agent.queue.models import MoBatch, MoBatchComponent, MoHistory


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


def released_after_a_failed_run_left_unacknowledged(tasks: Any, engine: Any, odoo_standin: Any,
                                                   plc_simulator: Any) -> tuple[int, MoBatch]:
    """An MO's first run fails in slot 1, its acknowledgement is lost, Odoo marks it failed
    and the planner releases it: the MO and its new run, stored for slot 1 and not written."""
    rmap = tasks.register_map
    mo_id = odoo_standin.add_mo()
    plc_simulator.faults.fail_batch(1)
    tasks.sync()
    wait_until(lambda: len(plc_simulator.line.completed_batches) == 1, what="the first run to end")
    plc_simulator.faults.drop_at_next("ack", "before")
    assert tasks.read_plc().acknowledged == 0
    assert plc_simulator.registers(rmap.read_ack_address(1), 1) == [0]
    assert tasks.push().archived == 1
    assert odoo_standin.mo(mo_id)["plc_state"] == "failed"

    odoo_standin.release(mo_id)
    result = tasks.sync()
    assert result.inserted == 1
    (row,) = batches(engine)
    assert row.slot == 1 and row.run == 2
    return mo_id, row


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


def agent_env(settings, crash_at: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ODOO_", "PLC_", "DATABASE_"))}
    env.update({
        "PLC_LINE_CODE": settings.line_code,
        "ODOO_URL": settings.odoo_url,
        "ODOO_DATABASE": settings.odoo_database,
        "ODOO_USERNAME": settings.odoo_username,
        "ODOO_PASSWORD": settings.odoo_password,
        "DATABASE_URL": settings.database_url,
        "PLC_AGENT_DATA_DIR": str(settings.data_dir),
        "PLC_HOST": settings.plc_host,
        "PLC_PORT": str(settings.plc_port),
        "PLC_TIMEOUT_SECONDS": "2",
        "LOG_LEVEL": "INFO",
    })
    if settings.plc_protocol == "fins":
        env.update({name.upper(): str(getattr(settings, name)) for name in settings.describe()
                    if name.startswith("plc_fins_")})
        env["PLC_PROTOCOL"] = "fins"
    if crash_at:
        env["PLC_AGENT_CRASH_AT"] = crash_at
    return env


def agent(settings, *args: str, crash_at: str | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "plc_agent", *args], env=agent_env(settings, crash_at),
                          capture_output=True, text=True, timeout=60, cwd=cwd)


def make_queue_batch(slot: int, key: str | None = None, n_components: int = 3) -> MoBatch:
    row = MoBatch(
        slot=slot, mo_name=f"WH/MO/{slot:05d}", odoo_mo_id=slot, batch_key=key or f"FM1-{slot}-1",
        run=1, planned_quantity=1000.0, line_code="FM1", finished_goods="Layer feed",
        state="queued", created_at=datetime.now(UTC),
    )
    for k in range(n_components):
        row.components.append(MoBatchComponent(position=k, silo_code=str(101 + k), silo_id=101 + k,
                                               planned_quantity=100.0 * (k + 1)))
    return row


def make_slot_batch(slot: int, mo: int | None = None) -> SlotBatch:
    return SlotBatch(
        batch_no=slot,
        mo_reference=f"WH/MO/{mo or slot:05d}",
        bom_code="LAYER-25",
        finished_goods="Layer feed 25 kg",
        planned_quantity=1000.0,
        components=(ComponentDose(101, 250.0), ComponentDose(105, 700.0), ComponentDose(114, 50.0)),
    )


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def send_set(link: PlcLink, batches: dict[int, SlotBatch]) -> None:
    assert link.read_write_handshake() == 1
    for slot in range(1, 11):
        link.write_slot(slot, batches.get(slot))
    link.set_write_handshake(0)


def finished(reading: SlotReading) -> bool:
    return reading.status_manufacturing == 1 or reading.status_operation == 1


def rows(engine: Any, model: Any) -> list[Any]:
    with Session(engine) as s:
        return list(s.scalars(select(model).order_by(model.id)).all())


def report_waiting(simulator: Any, area: Any) -> bool:
    return area.decode(simulator.registers(area.start, area.extent)).waiting


def start_line(tasks: Any, engine: Any, odoo_standin: Any) -> str:
    mo_id = odoo_standin.add_mo()
    tasks.sync()
    run_line_until_finished(tasks, engine, accept=("running", "finished"))
    return odoo_standin.mo(mo_id)["name"]


def default_doc() -> dict:
    text = resources.files("plc_agent.plc.register_map").joinpath("default_register_map.toml").read_text("utf-8")
    return tomllib.loads(text)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def dump_map(doc: dict) -> str:
    """Enough TOML for a register map: scalar tables, arrays of tables, and a table's own
    array of tables (``[[failures.fields]]``)."""
    lines: list[str] = []
    for key, value in doc.items():
        if isinstance(value, dict):
            lines.append(f"[{key}]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in value.items() if not isinstance(v, list))
            for k, entries in value.items():
                if isinstance(entries, list):
                    for entry in entries:
                        lines.append(f"[[{key}.{k}]]")
                        lines.extend(f"{ek} = {_toml_value(ev)}" for ek, ev in entry.items())
        elif isinstance(value, list):
            for entry in value:
                lines.append(f"[[{key}]]")
                lines.extend(f"{k} = {_toml_value(v)}" for k, v in entry.items())
        lines.append("")
    return "\n".join(lines)


def write_map(tmp_path: Path, doc: dict) -> Path:
    path = tmp_path / "map.toml"
    path.write_text(dump_map(doc), "utf-8")
    return path


def map_field(doc: dict, name: str) -> dict:
    return next(f for f in doc["fields"] if f["name"] == name)


WORD = st.integers(min_value=0, max_value=0xFFFF)


EDGE_WORD = st.sampled_from([0, 1, 0x0009, 0x0012, 0x0013, 0x0031, 0x0059, 0x0060, 0x2026, 0x7F,
                             0x8000, 0xC3A9, 0xFFFF])


def words_of(area) -> st.SearchStrategy[list[int]]:
    return st.lists(st.one_of(WORD, EDGE_WORD), min_size=area.extent, max_size=area.extent)
