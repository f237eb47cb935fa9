"""Benchmark: how many lines one Odoo 14 serves.

N lines, each with its own PLC simulator (in this process, one loopback port each) and its
own ``plc-agent run`` subprocess (its own line code and SQLite queue), all against ONE real
Odoo 14 with ``mrp_plc_bridge``, threaded (``--workers 0``) or multi-process
(``--workers W``). Every configuration runs on a fresh copy of one template database (the
addon installed with its demo data once per invocation), set up in ``odoo-bin shell``:
per line a PLC line with the demo line's silos, its own finished feed and BoM, and its MOs;
the agents share one agent user.

Stock (``--stock``): ``separate`` gives every line its own stock location (the MOs take
their components from it and put the feed in it) and its own production location (Odoo keeps
quants of what MOs consume there too); ``shared`` makes every line draw the same raw
materials from WH/Stock into Odoo's one production location, as most feed mills do, so
closing MOs in parallel updates the same ``stock_quant`` rows; ``locations`` gives every
line its own stock location but leaves Odoo's one production location shared.

Figures per configuration: MOs closed per minute (from the agents' start to Odoo's last
answer, or over ``--minutes``), report latency from the PLC's finish (stamped inside the
simulator) to Odoo's answer (the agent archives the batch as the answer arrives), CPU by
process group (sampled with psutil), MOs posted twice (must be 0), the serialization
failures and retries Odoo logged, and the agents' retries.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from plc_agent.plc.register_map import load_register_map
from plc_agent.plc.simulator import PlcSimulator
from plc_agent.plc.simulator.line import BatchingLine

from .common import REPO_ROOT, BenchResult, fmt_s

STOCK_MODES = ("separate", "shared", "locations")
MO_QUANTITY = 1000.0
ON_HAND = 1.0e7  # kg of every raw material per stock location: far more than any run uses
ANSWERED_STATES = ("done", "recorded", "failed")
LIMIT_TIME_REAL = 600  # Odoo's --limit-time-real for the runs (Odoo's default: 120)
STALL_SECONDS = 240.0  # no new answer for this long: the run is broken, not slow
ARCHIVE_WAIT_SECONDS = 90.0  # after Odoo answered for every MO: for the agents to hear it
# Odoo's RPC layer logs each retry of a transaction that failed on a concurrency error.
RETRY_LOG = re.compile(
    r"(SERIALIZATION_FAILURE|DEADLOCK_DETECTED|LOCK_NOT_AVAILABLE), "
    r"retry (\d+)/(\d+) in ([\d.]+) sec"
)
GAVE_UP_LOG = re.compile(
    r"(SERIALIZATION_FAILURE|DEADLOCK_DETECTED|LOCK_NOT_AVAILABLE), "
    r"maximum number of tries reached"
)

# ---------------------------------------------------------------------------- set-up script

# Committed: the lines, their silos, feeds, BoMs, stock and MOs, and the agents' user.
SETUP_SCRIPT = r"""
import json
LINES = %(lines)d
STOCK = %(stock)r
MOS = %(mos)d
template_line = env.ref("mrp_plc_bridge.plc_line_fm1")
template_bom = env.ref("mrp_plc_bridge.bom_layer_25")
template_feed = env.ref("mrp_plc_bridge.product_layer_feed_25")
warehouse = env.ref("stock.warehouse0")
picking_type = warehouse.manu_type_id
Quant = env["stock.quant"].sudo()
raw_materials = template_bom.bom_line_ids.mapped("product_id")
group = env.ref("mrp_plc_bridge.group_plc_agent")
user = env["res.users"].create({"name": "PLC agents (bench)", "login": %(login)r, "groups_id": [(6, 0, [group.id])]})
key = env["res.users.apikeys"].with_user(user)._generate(None, "bench lines")
out = {"key": key, "lines": []}
for n in range(1, LINES + 1):
    code = "L%%02d" %% n
    line = template_line.copy({"name": "Bench line " + code, "code": code})
    line.plc_agent_user_ids = [(4, user.id)]
    for silo in template_line.silo_ids:
        silo.copy({"line_id": line.id})
    feed = template_feed.copy({"name": "Layer feed " + code, "default_code": "FEED-" + code})
    bom = template_bom.copy({"product_tmpl_id": feed.product_tmpl_id.id, "product_id": feed.id,
                             "plc_line_id": line.id, "code": "LAYER-" + code})
    if STOCK in ("separate", "locations"):
        location = env["stock.location"].create({"name": "Line " + code, "location_id": warehouse.lot_stock_id.id,
                                                 "usage": "internal"})
    else:
        location = warehouse.lot_stock_id
    if STOCK == "separate":
        # Odoo also keeps quants of what an MO consumes in its production location, by
        # default one per company: separate stock needs one per line as well.
        production_location = env["stock.location"].create({
            "name": "Production " + code, "usage": "production",
            "location_id": env.ref("stock.stock_location_locations_virtual").id})
        feed.product_tmpl_id.property_stock_production = production_location
    if STOCK in ("separate", "locations") or n == 1:
        for product in raw_materials:
            Quant._update_available_quantity(product, location, %(on_hand)r)
    productions = env["mrp.production"]
    for _ in range(MOS):
        production = env["mrp.production"].create({
            "product_id": feed.id, "bom_id": bom.id, "product_qty": %(quantity)r,
            "product_uom_id": feed.uom_id.id, "picking_type_id": picking_type.id, "plc_line_id": line.id,
            "location_src_id": location.id, "location_dest_id": location.id,
        })
        # As mrp's own demo data does: a record created in code gets its moves from the BoM.
        env["stock.move"].create(production._get_moves_raw_values() + production._get_moves_finished_values())
        productions |= production
    productions.action_confirm()
    assert set(productions.mapped("plc_line_id").ids) == {line.id}, "MOs not on line " + code
    assert set(productions.mapped("production_location_id").ids) == {feed.property_stock_production.id}
    out["lines"].append({"code": code, "location": location.complete_name, "mos": productions.mapped("name"),
                         "production_location": feed.property_stock_production.complete_name})
env.cr.commit()
print("BENCH_JSON=" + json.dumps(out))
"""


# ---------------------------------------------------------------------------- options


@dataclass(frozen=True)
class LinesConfig:
    """One measured configuration."""

    lines: int
    workers: int
    stock: str
    batch_seconds: float
    mos: int  # per line
    minutes: float | None  # a fixed window instead of running every MO

    @property
    def label(self) -> str:
        mode = "threaded" if self.workers == 0 else f"{self.workers} workers"
        return f"{self.lines} line(s), {self.stock} stock, {mode}"


def _int_list(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole numbers separated by commas, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one number")
    return values


def parse_lines(text: str) -> list[int]:
    values = _int_list(text)
    if any(v < 1 or v > 99 for v in values):
        raise argparse.ArgumentTypeError(f"--lines: every count must be 1-99, got {text!r}")
    return values


def parse_workers(text: str) -> list[int]:
    values = _int_list(text)
    if any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"--workers: 0 (threaded) or more, got {text!r}")
    return values


def parse_stock(text: str) -> list[str]:
    values = [part.strip() for part in text.split(",") if part.strip()]
    wrong = [v for v in values if v not in STOCK_MODES]
    if not values or wrong:
        raise argparse.ArgumentTypeError(f"--stock: separate, shared, locations or several comma-separated, "
                                         f"got {text!r}")
    return values


def configurations(lines: list[int], workers: list[int], stock: list[str], batch_seconds: float,
                   mos: int | None, minutes: float | None, set_size: int = 10) -> list[LinesConfig]:
    """Every combination asked for; with --minutes, enough MOs that no line runs dry."""
    if batch_seconds <= 0:
        raise ValueError(f"--batch-seconds must be > 0, got {batch_seconds}")
    if minutes is not None and minutes <= 0:
        raise ValueError(f"--minutes must be > 0, got {minutes}")
    if mos is not None and mos < 1:
        raise ValueError(f"--mos must be >= 1, got {mos}")
    if minutes is not None:
        per_line = math.ceil(minutes * 60.0 / batch_seconds) + set_size
    else:
        per_line = mos if mos is not None else 40
    return [LinesConfig(n, w, s, batch_seconds, per_line, minutes)
            for s in stock for w in workers for n in lines]


# ---------------------------------------------------------------------------- figures


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (p95 of 20 values is the 19th smallest)."""
    if not values:
        raise ValueError("no samples")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def report_latencies(finished: dict[str, list[float]], answered: dict[str, float]) -> list[float]:
    """Seconds from the PLC's finish of each batch to Odoo's answer about it.

    ``finished``: MO reference -> wall-clock times the PLC finished a batch of it;
    ``answered``: MO reference -> when the agent got Odoo's final answer. A batch the
    agent never got an answer for within the run has no latency.
    """
    out = []
    for reference, answer in answered.items():
        before = [t for t in finished.get(reference, []) if t <= answer]
        if before:
            out.append(answer - before[-1])
    return out


def count_retries(log_text: str) -> dict[str, float]:
    """Concurrency retries Odoo logged, by kind; the calls that gave up after the last try;
    the deepest retry and the seconds Odoo slept before retrying."""
    counts: dict[str, float] = {"gave_up": len(GAVE_UP_LOG.findall(log_text)), "deepest": 0, "slept": 0.0}
    for match in RETRY_LOG.finditer(log_text):
        counts[match.group(1)] = counts.get(match.group(1), 0) + 1
        counts["deepest"] = max(counts["deepest"], int(match.group(2)))
        counts["slept"] += float(match.group(4))
    return counts


@dataclass
class CpuSampler:
    """CPU seconds used by groups of processes while a run lasts (psutil, every second)."""

    groups: dict[str, Any]  # name -> callable returning the group's psutil.Process list
    interval: float = 1.0
    _first: dict[tuple[str, int], float] = field(default_factory=dict)
    _last: dict[tuple[str, int], float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    started: float = 0.0
    stopped: float = 0.0

    def _sample(self, initial: bool) -> None:
        import psutil

        for name, members in self.groups.items():
            for process in members():
                try:
                    times = process.cpu_times()
                except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                    continue
                used = times.user + times.system
                key = (name, process.pid)
                if key not in self._first:
                    self._first[key] = used if initial else 0.0
                self._last[key] = used

    def start(self) -> None:
        self.started = time.monotonic()
        self._sample(initial=True)
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample(initial=False)

    def stop(self) -> None:
        self._sample(initial=False)
        self.stopped = time.monotonic()
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def seconds(self) -> dict[str, float]:
        out = {name: 0.0 for name in self.groups}
        for (name, pid), last in self._last.items():
            out[name] += max(0.0, last - self._first.get((name, pid), 0.0))
        return out


def _tree(pid: int | None) -> list[Any]:
    import psutil

    if pid is None:
        return []
    try:
        root = psutil.Process(pid)
        return [root] + root.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _postgres_backends(database: str) -> list[Any]:
    """PostgreSQL's backends serving this database (other helpers' databases excluded)."""
    import psutil

    out = []
    for process in psutil.process_iter(["name", "cmdline"]):
        try:
            cmdline = " ".join(process.info["cmdline"] or [])
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if cmdline.startswith("postgres:") and f" {database} " in f" {cmdline} ":
            out.append(process)
    return out


# ---------------------------------------------------------------------------- the line parts


class TimedLine(BatchingLine):
    """The line, stamping the wall-clock time each batch finishes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.finished_at: dict[str, list[float]] = {}
        self.taken_at: list[float] = []

    def _take_set(self):  # type: ignore[override]
        batches = super()._take_set()
        self.taken_at.append(time.time())
        return batches

    async def _run_batch(self, slot, batch):  # type: ignore[override]
        await super()._run_batch(slot, batch)
        self.finished_at.setdefault(batch.mo_reference, []).append(time.time())


class TimedSimulator(PlcSimulator):
    line_class = TimedLine


class Agent:
    """``plc-agent run`` for one line, as a service manager would start it."""

    def __init__(self, code: str, environment: dict[str, str], work: Path) -> None:
        self.code = code
        self.environment = environment
        self.work = work
        self.log_file = work / "agent.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_file, "a") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "plc_agent", "run"], env=self.environment,
                                            stdout=log, stderr=subprocess.STDOUT, cwd=str(self.work))

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def history(self) -> list[dict[str, Any]]:
        """The agent's archive: one row per final answer of Odoo."""
        from sqlalchemy import select

        from plc_agent.queue.engine import make_engine
        from plc_agent.queue.models import MoHistory

        engine = make_engine(self.environment["DATABASE_URL"])
        try:
            with engine.connect() as connection:
                rows = connection.execute(select(MoHistory.mo_id, MoHistory.odoo_mo_id, MoHistory.outcome,
                                                 MoHistory.odoo_result, MoHistory.archived_at,
                                                 MoHistory.push_attempts)).all()
        finally:
            engine.dispose()
        out = []
        for mo_id, odoo_mo_id, outcome, result, archived_at, attempts in rows:
            if archived_at.tzinfo is None:
                archived_at = archived_at.replace(tzinfo=UTC)
            out.append({"mo": mo_id, "odoo_mo_id": odoo_mo_id, "outcome": outcome,
                        "duplicate": bool((result or {}).get("duplicate")),
                        "answered": archived_at.timestamp(), "attempts": attempts})
        return out

    def log_counts(self) -> dict[str, int]:
        text = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
        # The agent's outage lines: one when Odoo becomes unreachable and one per backoff step.
        return {"odoo_unavailable": len(re.findall(r"Odoo \S+ (?:is|still) unreachable", text)),
                "odoo_refused": text.count("refuses the agent"),
                "errors": len(re.findall(r" (?:ERROR|CRITICAL) ", text))}


def agent_environment(*, code: str, url: str, database: str, login: str, key: str, plc_port: int,
                      work: Path, poll_seconds: float) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("ODOO_", "PLC_", "SYNC_", "DATABASE_"))}
    environment.update(
        PLC_LINE_CODE=code,
        ODOO_URL=url,
        ODOO_DATABASE=database,
        ODOO_USERNAME=login,
        ODOO_PASSWORD=key,
        DATABASE_URL=f"sqlite:///{work / 'queue.sqlite3'}",
        PLC_AGENT_DATA_DIR=str(work),
        PLC_HOST="127.0.0.1",
        PLC_PORT=str(plc_port),
        PLC_POLL_INTERVAL_SECONDS=f"{poll_seconds:g}",
        ENABLE_AUTO_SYNC="true",
        SYNC_INTERVAL_MINUTES="60",
        PUSH_INTERVAL_SECONDS="5",
        PUSH_BACKOFF_MAX_SECONDS="10",
        HEALTH_INTERVAL_SECONDS="30",
        LOG_LEVEL="INFO",
    )
    return environment


# ---------------------------------------------------------------------------- Odoo side


def _odoo_query(odoo: Any, database: str, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
    import psycopg2

    connection = psycopg2.connect(host=odoo.db_host, port=odoo.db_port, user=odoo.db_user,
                                  password=odoo.db_password, dbname=database)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(sql, tuple(params))
            return cursor.fetchall()
    finally:
        connection.close()


def _answered_count(odoo: Any, database: str) -> int:
    rows = _odoo_query(odoo, database, """
        SELECT count(*) FROM mrp_production mp JOIN mrp_plc_line l ON l.id = mp.plc_line_id
         WHERE l.code LIKE 'L%%' AND mp.plc_state IN %s""", (ANSWERED_STATES,))
    return int(rows[0][0])


def _odoo_outcome(odoo: Any, database: str) -> dict[str, Any]:
    """What Odoo holds after the run: closed MOs, MOs posted twice, quant rows."""
    states = dict(_odoo_query(odoo, database, """
        SELECT mp.plc_state, count(*) FROM mrp_production mp JOIN mrp_plc_line l ON l.id = mp.plc_line_id
         WHERE l.code LIKE 'L%%' GROUP BY mp.plc_state"""))
    done = int(_odoo_query(odoo, database, """
        SELECT count(*) FROM mrp_production mp JOIN mrp_plc_line l ON l.id = mp.plc_line_id
         WHERE l.code LIKE 'L%%' AND mp.state = 'done'""")[0][0])
    # An MO posted twice moved more of a component, or of its feed, than the line reported.
    # (Odoo may post one product in several moves when the actual exceeds the plan, so the
    # quantities are compared, not the number of moves.)
    doubled = {row[0] for row in _odoo_query(odoo, database, """
        WITH posted AS (
            SELECT m.raw_material_production_id AS mo, m.product_id, sum(ml.qty_done) AS qty
              FROM stock_move_line ml JOIN stock_move m ON m.id = ml.move_id
             WHERE m.state = 'done' AND m.raw_material_production_id IS NOT NULL
          GROUP BY 1, 2),
        reported AS (
            SELECT production_id AS mo, product_id, sum(actual_qty) AS qty
              FROM mrp_plc_consumption WHERE reported GROUP BY 1, 2)
        SELECT posted.mo FROM posted JOIN reported USING (mo, product_id)
         WHERE posted.qty > reported.qty * 1.5 + 0.01
        UNION
        SELECT m.production_id FROM stock_move_line ml JOIN stock_move m ON m.id = ml.move_id
          JOIN mrp_production mp ON mp.id = m.production_id
         WHERE m.state = 'done' AND m.product_id = mp.product_id
      GROUP BY m.production_id, mp.plc_finished_qty_actual
        HAVING sum(ml.qty_done) > mp.plc_finished_qty_actual * 1.5 + 0.01""")}
    quants = int(_odoo_query(odoo, database, """
        SELECT count(*) FROM stock_quant q JOIN product_product p ON p.id = q.product_id
          JOIN product_template t ON t.id = p.product_tmpl_id WHERE t.default_code LIKE 'RM-%%'""")[0][0])
    return {"plc_states": states, "mo_done": done, "doubled_mo_ids": sorted(doubled),
            "raw_material_quants": quants}


# ---------------------------------------------------------------------------- one run


def _create_from_template(odoo: Any, template: str, database: str) -> None:
    done = subprocess.run(["createdb", "-T", template, database], env=odoo.pg_env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"createdb -T {template} {database} failed: {done.stderr.strip()}")


def run_configuration(odoo: Any, template: str, config: LinesConfig, work: Path, poll_seconds: float,
                      timeout_minutes: float) -> dict[str, Any]:
    """Set up a fresh database, run the lines, and return the raw figures of the run."""
    import psutil

    from tests.support.odoo14 import OdooServer, unique_database

    from .odoo_cost import _shell

    database = unique_database("bench_lines")
    work.mkdir(parents=True, exist_ok=True)
    data_dir = work / "data"
    _create_from_template(odoo, template, database)
    server = None
    simulators: list[TimedSimulator] = []
    agents: list[Agent] = []
    sampler: CpuSampler | None = None
    try:
        login = f"bench-agents-{uuid.uuid4().hex[:8]}"
        setup_started = time.monotonic()
        setup = _shell(odoo, database, data_dir, SETUP_SCRIPT % {
            "lines": config.lines, "stock": config.stock, "mos": config.mos, "login": login,
            "quantity": MO_QUANTITY, "on_hand": ON_HAND,
        }, work / "shell.log")
        setup_seconds = time.monotonic() - setup_started
        server_log = work / "odoo.log"
        server = OdooServer(odoo, database, server_log, extra_args=[
            f"--data-dir={data_dir}", f"--workers={config.workers}", "--log-level=warn",
            # Odoo logs each retry of a transaction that failed to serialize at INFO here.
            "--log-handler=odoo.service.model:INFO",
            # Shared stock can keep a report in Odoo's retries for minutes; at the default
            # 120 s the threaded server restarts itself and the run measures the restart.
            f"--limit-time-real={LIMIT_TIME_REAL}",
        ])
        server.start()
        rmap = load_register_map()
        for index, line in enumerate(setup["lines"]):
            simulator = TimedSimulator(rmap, batch_seconds=config.batch_seconds, noise=0.02, seed=100 + index)
            simulator.start("127.0.0.1", 0)
            simulators.append(simulator)
            line_work = work / line["code"]
            line_work.mkdir(exist_ok=True)
            agents.append(Agent(line["code"], agent_environment(
                code=line["code"], url=server.url, database=database, login=login, key=setup["key"],
                plc_port=simulator.port, work=line_work, poll_seconds=poll_seconds), line_work))
        me = psutil.Process()
        sampler = CpuSampler({
            "odoo": lambda: _tree(server.process.pid if server and server.process else None),
            "agents": lambda: [p for a in agents for p in _tree(a.process.pid if a.process else None)],
            "simulators (bench process)": lambda: [me],
            "postgresql": lambda: _postgres_backends(database),
        })
        load_before = os.getloadavg()
        sampler.start()
        started = time.time()
        for agent in agents:
            agent.start()
        total = config.lines * config.mos
        deadline = started + (config.minutes * 60.0 if config.minutes else timeout_minutes * 60.0)
        answered, progressed_at, shown_at = 0, time.time(), time.time()
        while time.time() < deadline:
            time.sleep(2.0)
            count = _answered_count(odoo, database)
            if count > answered:
                answered, progressed_at = count, time.time()
            if answered >= total:
                break
            if time.time() - progressed_at > STALL_SECONDS:
                raise RuntimeError(f"no answer from Odoo for {STALL_SECONDS:.0f} s ({answered} of {total} "
                                   f"MOs answered); see the logs in {work}")
            if time.time() - shown_at >= 30:
                shown_at = time.time()
                print(f"     {answered}/{total} answered after {time.time() - started:.0f} s "
                      f"(load {os.getloadavg()[0]:.1f})", flush=True)
            dead = [a.code for a in agents if a.process and a.process.poll() is not None]
            if dead:
                raise RuntimeError(f"agent(s) {dead} ended by themselves; see {work}")
        window_end = time.time()
        sampler.stop()
        load_after = os.getloadavg()
        # The last answers reach the agents' archives a moment after Odoo commits them, or
        # at the agent's next try when its call timed out while Odoo was still retrying.
        archive_deadline = time.time() + ARCHIVE_WAIT_SECONDS
        time.sleep(min(3.0, 1.0 + poll_seconds))
        while answered >= total and time.time() < archive_deadline:
            if sum(len({r["mo"] for r in a.history()}) for a in agents) >= total:
                break
            time.sleep(2.0)
        for agent in agents:
            agent.stop()
        histories = {a.code: a.history() for a in agents}
        agent_logs = {a.code: a.log_counts() for a in agents}
        outcome = _odoo_outcome(odoo, database)
        log_text = server_log.read_text(errors="replace")
    finally:
        if sampler is not None and sampler.stopped == 0.0:
            sampler.stop()
        for agent in agents:
            agent.stop()
        for simulator in simulators:
            simulator.stop()
        if server is not None:
            server.stop()
        odoo.drop_database(database)
    latencies: list[float] = []
    first_answers: dict[int, int] = {}
    answered_in_window = 0
    for simulator, agent in zip(simulators, agents, strict=True):
        rows = histories[agent.code]
        final = {r["mo"]: r["answered"] for r in rows}
        latencies += report_latencies(simulator.line.finished_at, final)
        for r in rows:
            if not r["duplicate"] and r["outcome"] == "done":
                first_answers[r["odoo_mo_id"]] = first_answers.get(r["odoo_mo_id"], 0) + 1
            if r["outcome"] == "done" and r["answered"] <= window_end:
                answered_in_window += 1
    doubled = set(outcome["doubled_mo_ids"]) | {mo for mo, n in first_answers.items() if n > 1}
    window = (window_end - started) if not config.minutes else config.minutes * 60.0
    closed = outcome["mo_done"]
    return {
        "config": config.__dict__, "database": database, "setup_seconds": setup_seconds,
        "window_seconds": window, "mos_planned": config.lines * config.mos, "mo_done": closed,
        "closed_per_minute": closed / (window / 60.0) if window > 0 else 0.0,
        "latencies": latencies, "doubled": len(doubled), "doubled_mo_ids": sorted(doubled),
        "plc_states": outcome["plc_states"], "raw_material_quants": outcome["raw_material_quants"],
        "duplicates_answered": sum(1 for rows in histories.values() for r in rows if r["duplicate"]),
        "odoo_retries": count_retries(log_text), "agent_logs": agent_logs,
        "cpu_seconds": sampler.seconds(), "cpu_window": sampler.stopped - sampler.started,
        "load_before": load_before, "load_after": load_after,
        "batches_finished": sum(len(v) for s in simulators for v in s.line.finished_at.values()),
        "protocol_violations": sum(len(s.line.protocol_violations) for s in simulators),
    }


# ---------------------------------------------------------------------------- the table


def summarise(run: dict[str, Any]) -> list[str]:
    """One table row of a run's figures."""
    config = run["config"]
    latencies = run["latencies"]
    retries = run["odoo_retries"]
    serialization = sum(v for k, v in retries.items() if k in ("SERIALIZATION_FAILURE", "DEADLOCK_DETECTED",
                                                                "LOCK_NOT_AVAILABLE"))
    cpu = run["cpu_seconds"]
    window = run["cpu_window"] or 1.0

    def cores(name: str) -> str:
        return f"{cpu.get(name, 0.0) / window:.2f}"

    mode = "threaded" if config["workers"] == 0 else f"{config['workers']} workers"
    return [
        str(config["lines"]), config["stock"], mode, f"{run['mo_done']}/{run['mos_planned']}",
        f"{run['closed_per_minute']:.0f}",
        fmt_s(percentile(latencies, 0.5)) if latencies else "-",
        fmt_s(percentile(latencies, 0.95)) if latencies else "-",
        fmt_s(max(latencies)) if latencies else "-",
        f"{cores('odoo')} / {cores('agents')} / {cores('simulators (bench process)')} / {cores('postgresql')}",
        str(run["doubled"]),
        f"{serialization:.0f} (deepest {retries.get('deepest', 0):.0f}/5, {retries.get('gave_up', 0):.0f} gave up)",
        str(sum(v["odoo_unavailable"] for v in run["agent_logs"].values())),
        f"{run['load_before'][0]:.1f} -> {run['load_after'][0]:.1f}",
    ]


COLUMNS = ["lines", "stock", "Odoo", "MOs closed", "closed/min", "p50", "p95", "max",
           "CPU cores: Odoo / agents / simulators / PostgreSQL", "doubled", "serialization retries",
           "agent retries", "load 1 min (start -> end)"]


def run(lines: list[int], workers: list[int], stock: list[str], batch_seconds: float = 2.0,
        mos: int | None = None, minutes: float | None = None, poll_seconds: float = 0.5,
        template: str | None = None, keep_template: bool = False, timeout_minutes: float = 30.0) -> BenchResult:
    from .odoo_cost import _odoo14

    started_run = time.monotonic()
    odoo = _odoo14()
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from tests.support.odoo14 import run_odoo, unique_database

    plan = configurations(lines, workers, stock, batch_seconds, mos, minutes)
    work = Path(tempfile.mkdtemp(prefix="bench-lines-"))
    created = template is None
    notes: list[str] = []
    runs: list[dict[str, Any]] = []
    try:
        if created:
            template = unique_database("bench_lines_tpl")
            print(f"   installing mrp_plc_bridge with demo data on {template} (a few minutes) ...", flush=True)
            install = run_odoo(odoo, ["-i", "mrp_plc_bridge", f"--data-dir={work / 'data'}", "--log-level=warn"],
                               database=template, log_file=work / "install.log", timeout=1800)
            if install.returncode != 0:
                raise RuntimeError("installing mrp_plc_bridge failed: " + "\n".join(install.error_lines[-10:]))
        assert template is not None
        for number, config in enumerate(plan, 1):
            print(f"   [{number}/{len(plan)}] {config.label}, {config.mos} MOs per line of "
                  f"{config.batch_seconds:g} s batches (load {os.getloadavg()[0]:.1f}) ...", flush=True)
            try:
                result = run_configuration(odoo, template, config, work / f"run{number}", poll_seconds,
                                           timeout_minutes)
            except KeyboardInterrupt:
                # The rows measured so far are worth keeping; the interrupted one is not.
                notes.append(f"Interrupted during run {number} of {len(plan)} ({config.label}).")
                print(f"   interrupted; keeping the {len(runs)} run(s) done", flush=True)
                break
            runs.append(result)
            print("     " + " | ".join(summarise(result))
                  + f" | Odoo slept {result['odoo_retries'].get('slept', 0.0):.0f} s before retries"
                  + f", raw-material quants {result['raw_material_quants']}", flush=True)
    finally:
        if created and template and not keep_template:
            odoo.drop_database(template)
        elif created and template:
            print(f"   template database kept: {template}", flush=True)
        shutil.rmtree(work, ignore_errors=True)
    notes += [
        f"Each line: its own PLC simulator ({batch_seconds:g} s batches, sets of 10), its own "
        f"`plc-agent run` (SQLite queue, PLC poll {poll_seconds:g} s, push chained on every read), "
        "its own PLC line, silos, feed, BoM and MOs of 1,000 kg (12 components); one Odoo 14 "
        "for all, on a fresh copy of the same database for every row.",
        "Stock: separate = each line's MOs take their raw materials from and put the feed into "
        "the line's own location under WH/Stock, and consume into the line's own production "
        "location; shared = every line draws the same raw materials from WH/Stock into Odoo's "
        "one production location (the common feed-mill case); locations = own stock location, "
        "Odoo's one production location.",
        "closed/min: MOs done in Odoo per minute, from the agents' start to Odoo's last answer "
        "(or over --minutes). Latency: from the PLC finishing a batch (simulator clock) to the "
        "agent receiving Odoo's final answer for it, every batch of the run.",
        "CPU: cores used on average over the run (CPU seconds / wall seconds), sampled every "
        "second with psutil: Odoo (server and its workers), all agents, this process (the "
        "simulators), and PostgreSQL's backends serving this run's database only.",
        "doubled: MOs with a component or the feed posted twice in Odoo, or answered 'done' "
        "twice without the duplicate flag; must be 0. Serialization retries: the retries "
        "Odoo's RPC layer logged (serialization failure, deadlock, lock not available); agent "
        "retries: reports the agents had to send again after a timeout or a lost answer.",
        "The machine is shared with other test runs: the load average (1 min) at the start "
        "and end of each row says how busy it was.",
    ]
    return BenchResult(
        name="lines",
        title="How many lines one Odoo 14 serves: closed MOs, report latency and CPU",
        columns=COLUMNS,
        rows=[summarise(r) for r in runs],
        notes=notes,
        data={"runs": runs, "poll_seconds": poll_seconds},
        seconds=time.monotonic() - started_run,
    )
