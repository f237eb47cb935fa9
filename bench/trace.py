"""Benchmark: Odoo's own Traceability report over 10,000 closed batches of one line.

Issue 20, point 3: from a raw-material lot, Odoo's *Traceability* report reaches every MO
and finished lot that consumed it, and back; a forward trace of one lot answers within 2 s
on 10,000 closed batches.

On a new ``bench_trace_*`` database with ``mrp_plc_bridge`` installed (no demo data), in
``odoo-bin shell`` scripts run by Odoo's own Python, committed:

* one line ``TR`` with silos 101 (lot-tracked maize) and 102 (lot-tracked soybean meal),
  tank 114 (untracked molasses), a lot-tracked feed and its BoM on the line; every silo
  refilled with a new lot every 50-100 batches (drawn, seeded) through the silo's Refill
  wizard, dated on the PLC's timeline, each lot received into WH/Stock by a done receipt;
* the last ``--reported`` batches through the addon's report path: MOs confirmed, fetched
  by the line's agent user (``plc_fetch_batches``) and reported (``plc_report_batch``)
  with the PLC's start and finish, so the addon books each silo on the lot of its history;
* the rest through the ORM, as Odoo's own tests make done MOs, with the addon's own
  booking helper: MO confirmed, ``qty_producing``, each raw move's quantity on the lot the
  silo held (``_plc_set_move_lots``, which the report path books with), a finished lot
  (``action_generate_serial``), ``button_mark_done`` with the context the report path
  closes with. Odoo links the consumed and produced move lines in both ways alike.

Then, rolled back: the forward trace of a maize lot that fed 50-100 batches and the
backward trace of one finished lot, each as the web client asks for them (``get_html`` of
the report, then the calls the client makes when the user follows a row: the
up/downstream button's report with ``auto_unfold`` and the ``get_lines`` the client sends
for each row it unfolds), repeated; what they reach is compared with a direct query of
``stock_move_line``. The slowest queries of one trace are listed with PostgreSQL's plan.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import REPO_ROOT, BenchResult, Stats, Target, fmt_ms, fmt_s
from .odoo_cost import _odoo14

TARGET_SECONDS = 2.0
LINE = "TR"
MINUTES_PER_BATCH = 4  # the PLC's timeline: one batch every 4 minutes, dosed in 3
CHUNK = 50  # MOs made, closed and committed together
REFILL_EVERY = (50, 100)  # batches between two refills of a silo


def parse_refill_every(text: str) -> tuple[int, int]:
    """``LOW,HIGH`` batches between two refills of a silo, 1 <= LOW <= HIGH."""
    try:
        low, high = (int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"--refill-every: expected LOW,HIGH in batches, got {text!r}") from None
    if not 1 <= low <= high:
        raise ValueError(f"--refill-every: expected 1 <= LOW <= HIGH, got {text!r}")
    return low, high


def check_plan(batches: int, reported: int, repeat: int) -> None:
    """Refuse a run that cannot measure what it is for, before anything is built."""
    if batches < 1:
        raise ValueError(f"--batches: at least one batch, got {batches}")
    if not 0 <= reported <= batches:
        raise ValueError(f"--reported: between 0 and --batches ({batches}), got {reported}")
    if repeat < 1:
        raise ValueError(f"--repeat: at least one timed trace, got {repeat}")


def target(seconds: float, name: str) -> Target:
    met = seconds <= TARGET_SECONDS
    margin = (f"{(TARGET_SECONDS - seconds) * 1000:.0f} ms to spare" if met
              else f"{(seconds - TARGET_SECONDS) * 1000:.0f} ms over")
    return Target(name, f"<= {TARGET_SECONDS:g} s", fmt_s(seconds), met, margin)


# ---------------------------------------------------------------------------- shell scripts

# Committed: products, the line, silos and BoM, the agent, the lots' receipts and every
# silo's refills along the PLC's timeline.
SETUP_SCRIPT = r"""
import datetime, json, random
from odoo import fields
P = json.loads(%(params)r)
rng = random.Random(P["seed"])
env = env(context=dict(env.context, tracking_disable=True))
kg = env.ref("uom.product_uom_kgm")
stock = env.ref("stock.stock_location_stock")
supplier = env.ref("stock.stock_location_suppliers")
manager = env.ref("base.user_admin")

def product(name, code, tracking):
    return env["product.product"].create({"name": name, "default_code": code, "type": "product",
        "uom_id": kg.id, "uom_po_id": kg.id, "tracking": tracking})

maize = product("Maize (trace bench)", "TR-MAIZE", "lot")
soy = product("Soybean meal (trace bench)", "TR-SOY", "lot")
molasses = product("Molasses (trace bench)", "TR-MOL", "none")
feed = product("Layer feed (trace bench)", "TR-FEED", "lot")
line = env["mrp.plc.line"].create({"code": %(line)r, "name": "Trace bench line"})
silos = {}
for code, kind, held in (("101", "silo", False), ("102", "silo", False), ("114", "tank", molasses.id)):
    silos[code] = env["mrp.plc.silo"].create({"code": code, "name": "Silo " + code, "line_id": line.id,
                                             "kind": kind, "product_id": held})
bom = env["mrp.bom"].create({
    "product_tmpl_id": feed.product_tmpl_id.id, "product_qty": 1000.0, "product_uom_id": kg.id,
    "code": "BOM-TR", "consumption": "warning", "plc_line_id": line.id,
    "bom_line_ids": [(0, 0, {"product_id": p.id, "product_qty": q, "product_uom_id": kg.id, "sequence": n})
                     for n, (p, q) in enumerate(((maize, 600.0), (soy, 380.0), (molasses, 20.0)), 1)]})
agent = env["res.users"].with_context(no_reset_password=True).create({
    "name": "PLC agent (trace bench)", "login": "trace-bench-agent", "email": "trace-bench-agent@example.com",
    "groups_id": [(6, 0, [env.ref("mrp_plc_bridge.group_plc_agent").id])],
    "plc_agent_line_ids": [(6, 0, line.ids)]})

N = P["batches"]
step = datetime.timedelta(minutes=%(minutes)d)
t0 = fields.Datetime.now().replace(microsecond=0) - step * (N + 30)

def receive(product, lot, quantity):
    move = env["stock.move"].create({"name": "Receipt of " + lot.name, "product_id": product.id,
        "product_uom": kg.id, "product_uom_qty": quantity, "location_id": supplier.id,
        "location_dest_id": stock.id})
    move._action_confirm()
    env["stock.move.line"].create({"move_id": move.id, "product_id": product.id, "product_uom_id": kg.id,
        "location_id": supplier.id, "location_dest_id": stock.id, "lot_id": lot.id, "qty_done": quantity})
    move._action_done()

Refill = env["mrp.plc.silo.refill"].with_user(manager)
plan = {}
refills = []
for code, material, per_batch in (("101", maize, 600.0), ("102", soy, 380.0)):
    spans, first = [], 0
    while first < N:
        last = min(N, first + rng.randint(P["every_low"], P["every_high"]))
        lot = env["stock.production.lot"].create({"name": "%%s-%%05d" %% (material.default_code, len(spans) + 1),
            "product_id": material.id, "company_id": env.company.id})
        receive(material, lot, per_batch * (last - first))
        # Between two batches: the last batch of the old lot ends a minute before the next starts.
        valid_from = t0 + step * first - datetime.timedelta(seconds=30) if first else t0 - datetime.timedelta(hours=1)
        refills.append((valid_from, code, material, lot))
        spans.append([first, last, lot.id])
        first = last
    plan[code] = spans
# Refills in the order they happened: a silo's history only grows.
for valid_from, code, material, lot in sorted(refills, key=lambda r: (r[0], r[1])):
    action = silos[code].with_user(manager).action_plc_refill()
    Refill.with_context(**action["context"]).create({"product_id": material.id, "lot_id": lot.id,
        "valid_from": valid_from}).action_refill()
env["stock.quant"]._update_available_quantity(molasses, stock, 20.0 * N + 1000.0)
env.cr.commit()
print("BENCH_JSON=" + json.dumps({"plan": plan, "t0": fields.Datetime.to_string(t0), "bom": bom.id,
    "feed": feed.id, "maize": maize.id, "soy": soy.id, "agent": agent.id, "fills": len(refills)}))
"""

# Committed chunk by chunk: the batches [start, end), reported ones through the addon's
# report path, the others through the ORM with the addon's booking helper.
BUILD_SCRIPT = r"""
import bisect, datetime, json, time
from odoo import fields
P = json.loads(%(params)r)
S = P["setup"]
env = env(context=dict(env.context, tracking_disable=True))
step = datetime.timedelta(minutes=%(minutes)d)
t0 = fields.Datetime.from_string(S["t0"])
Lot = env["stock.production.lot"]
bom = env["mrp.bom"].browse(S["bom"])
feed = env["product.product"].browse(S["feed"])
by_product = {S["maize"]: S["plan"]["101"], S["soy"]: S["plan"]["102"]}
starts = {pid: [span[0] for span in spans] for pid, spans in by_product.items()}
CLOSE = {"skip_immediate": True, "skip_consumption": True, "skip_backorder": True}

def silo_lot(product_id, index):
    spans = by_product[product_id]
    return Lot.browse(spans[bisect.bisect_right(starts[product_id], index) - 1][2])

def iso(value):
    return value.strftime("%%Y-%%m-%%dT%%H:%%M:%%S+00:00")

def make_mos(indices):
    vals = [{"product_id": feed.id, "bom_id": bom.id, "product_qty": 1000.0, "product_uom_id": feed.uom_id.id,
             "date_planned_start": t0 + step * i} for i in indices]
    # Odoo's import path: create() builds the component and finished moves as the form does.
    created = env["mrp.production"].with_context(import_file=True).create(vals)
    mos = env["mrp.production"].browse(created.ids)
    mos.action_confirm()
    return mos

def close_by_orm(indices):
    mos = make_mos(indices)
    for index, mo in zip(indices, mos):
        mo.qty_producing = 1000.0
        for move in mo.move_raw_ids:
            lot = silo_lot(move.product_id.id, index) if move.product_id.id in by_product else Lot
            mo._plc_set_move_lots(move, {lot: move.product_uom_qty})
        mo.action_generate_serial()
    mos.with_context(**CLOSE).button_mark_done()
    bad = mos.filtered(lambda m: m.state != "done")
    assert not bad, "not closed: %%s" %% bad.mapped("name")

agent = env["res.users"].browse(S["agent"])
Agent = env["mrp.production"].with_user(agent)

def close_by_report(indices):
    mos = make_mos(indices)
    env.cr.commit()
    sent = {b["mo_id"]: b for b in Agent.plc_fetch_batches(%(line)r, len(indices))["batches"]}
    assert set(sent) == set(mos.ids), "fetched %%s, made %%s" %% (sorted(sent), mos.ids)
    for index, mo in zip(indices, mos):
        batch = sent[mo.id]
        start = t0 + step * index
        result = Agent.plc_report_batch({
            "mo_id": mo.id, "line": batch["line"], "batch_key": batch["batch_key"], "status": "done",
            "consumption": [{"silo": c["silo"], "quantity": c["quantity"]} for c in batch["components"]],
            "finished_quantity": None, "started_at": iso(start),
            "finished_at": iso(start + step - datetime.timedelta(minutes=1)), "message": None})
        assert result["status"] == "done", (mo.name, result)

start, end, reported_from = P["start"], P["end"], P["reported_from"]
chunk = %(chunk)d
for way, lo, hi in (("report", max(start, reported_from), end), ("orm", start, min(end, reported_from))):
    for first in range(lo, hi, chunk):
        indices = list(range(first, min(hi, first + chunk)))
        began = time.perf_counter()
        (close_by_report if way == "report" else close_by_orm)(indices)
        env.cr.commit()
        env.clear()
        print("BENCH_CHUNK=" + json.dumps({"way": way, "first": indices[0], "count": len(indices),
              "seconds": time.perf_counter() - began}), flush=True)
"""

# Rolled back: the traces, as the web client asks for them, and the database's own answer.
MEASURE_SCRIPT = r"""
import json, time
from lxml import html as lxml_html
P = json.loads(%(params)r)
out = {}
Report = env["stock.traceability.report"]
Lot = env["stock.production.lot"]
client_context = dict(env.context, tz="UTC")

def rpc(calls, method, *args, **kwargs):
    # One request of the client: a fresh cache, timed, its queries counted.
    env.clear()
    before = env.cr.sql_log_count
    began = time.perf_counter()
    result = getattr(Report, method)(*args, **kwargs)
    calls.append((time.perf_counter() - began, env.cr.sql_log_count - before, method))
    return result

def carets(html):
    # The rows the client shows a caret on (unfoldable, not used further): it unfolds them.
    doc = lxml_html.fromstring(html)
    found = []
    for tr in doc.xpath("//tr[.//i[contains(@class, 'fa-caret-right')]]"):
        td = tr.xpath(".//td[@data-level]")[0]
        found.append({"id": int(td.get("data-id")), "model": td.get("data-model"),
                      "model_id": int(td.get("data-model_id")), "level": int(td.get("data-level") or 0),
                      "lot_name": tr.get("data-lot_name")})
    return found

def top_rows(html):
    doc = lxml_html.fromstring(html)
    return [{"model_id": int(tr.get("data-model_id")), "lot_name": tr.get("data-lot_name")}
            for tr in doc.xpath("//tr[@data-model_id]")]

def unfold(calls, row, lot_name=None, rows=None):
    # The client's autounfold: get_lines of the row, then again for every unfoldable row
    # of the same lot (only when following a lot, as after the up/downstream button).
    lines = rpc(calls, "get_lines", row["id"], model_id=row["model_id"], model_name=row["model"],
                level=(row["level"] + 30) or 1)
    if rows is not None:
        rows.extend(lines)
    for line in lines:
        if lot_name and line["unfoldable"] and line["lot_name"] == lot_name:
            unfold(calls, line, lot_name, rows)
    return lines

def page(calls, active_id, model, lot_name=False, auto_unfold=False):
    ctx = dict(client_context, active_id=active_id, model=model, ttype=False, auto_unfold=auto_unfold,
               lot_name=lot_name)
    return rpc(calls, "get_html", ctx)["html"]

def forward(lot):
    # The lot's Traceability button, then each consumption row's up/downstream button.
    calls_lot, clicks = [], []
    html = page(calls_lot, lot.id, "stock.production.lot")
    rows = Report.with_context(client_context, active_id=lot.id, model="stock.production.lot").get_lines()
    mos = sorted({r["res_id"] for r in rows if r["res_model"] == "mrp.production" and r["is_used"]})
    finished = set()
    for row in [r for r in rows if r["is_used"]]:
        calls = []
        down = page(calls, row["model_id"], "stock.move.line", lot_name=row["lot_name"], auto_unfold=True)
        finished |= {r["lot_name"] for r in top_rows(down)}
        for caret in carets(down):
            unfold(calls, caret, row["lot_name"])
        clicks.append(calls)
    return {"lot_seconds": sum(c[0] for c in calls_lot), "lot_queries": sum(c[1] for c in calls_lot),
            "rows": len(rows), "mos": mos, "finished": sorted(finished),
            "click_seconds": [sum(c[0] for c in calls) for calls in clicks],
            "click_queries": [sum(c[1] for c in calls) for calls in clicks],
            "click_rpcs": [len(calls) for calls in clicks]}

def backward(lot):
    # The finished lot's Traceability button, unfold its MO row, then each component lot.
    calls = []
    html = page(calls, lot.id, "stock.production.lot")
    reached = []
    for caret in carets(html):
        for line in unfold(calls, caret):
            reached.append(line)
            if line["unfoldable"] and line["lot_name"]:
                reached.extend(unfold(calls, line))
    return {"seconds": sum(c[0] for c in calls), "queries": sum(c[1] for c in calls), "rpcs": len(calls),
            "lots": sorted({r["lot_name"] for r in reached if r["lot_name"]})}

def db_forward(lot):
    env.cr.execute('''SELECT DISTINCT m.raw_material_production_id FROM stock_move_line ml
                      JOIN stock_move m ON m.id = ml.move_id
                      WHERE ml.lot_id = %%s AND ml.state = 'done' AND m.raw_material_production_id IS NOT NULL''',
                   (lot.id,))
    mos = sorted(r[0] for r in env.cr.fetchall())
    env.cr.execute('''SELECT DISTINCT l.name FROM stock_move_line ml JOIN stock_move m ON m.id = ml.move_id
                      JOIN mrp_production p ON p.id = m.production_id AND m.product_id = p.product_id
                      JOIN stock_production_lot l ON l.id = ml.lot_id
                      WHERE p.id IN %%s AND ml.state = 'done' ''', (tuple(mos) or (0,),))
    return mos, sorted(r[0] for r in env.cr.fetchall())

def db_backward(lot):
    # The finished lot's MO, the lots of what it consumed, and where those lots came in.
    env.cr.execute('''SELECT DISTINCT cl.name, rl.name FROM stock_move_line fl
                      JOIN stock_move fm ON fm.id = fl.move_id AND fm.production_id IS NOT NULL
                      JOIN stock_move rm ON rm.raw_material_production_id = fm.production_id
                      JOIN stock_move_line ml ON ml.move_id = rm.id AND ml.state = 'done'
                      JOIN stock_production_lot cl ON cl.id = ml.lot_id
                      LEFT JOIN stock_production_lot rl ON rl.id = ml.lot_id
                      WHERE fl.lot_id = %%s AND fl.state = 'done' ''', (lot.id,))
    return sorted({name for row in env.cr.fetchall() for name in row if name})

def repeat(call, times):
    call()  # a warm-up: the first call of a server fills its caches
    return [call() for _ in range(times)]

for key, lot_id in P["forward"].items():
    lot = Lot.browse(lot_id)
    runs = repeat(lambda: forward(lot), P["repeat"])
    mos, finished = db_forward(lot)
    out["forward_" + key] = {"lot": lot.name, "runs": runs, "db_mos": mos, "db_finished": finished}
for key, lot_id in P["backward"].items():
    lot = Lot.browse(lot_id)
    runs = repeat(lambda: backward(lot), P["repeat"])
    out["backward_" + key] = {"lot": lot.name, "runs": runs, "db_lots": db_backward(lot)}

# The slowest queries of one forward trace, with PostgreSQL's plan of the slowest.
cr = env.cr
queries = {}
original = cr.execute
def timed_execute(query, params=None, log_exceptions=True):
    began = time.perf_counter()
    try:
        return original(query, params, log_exceptions)
    finally:
        entry = queries.setdefault(str(query), [0, 0.0, params])
        entry[0] += 1
        entry[1] += time.perf_counter() - began
cr.execute = timed_execute
forward(Lot.browse(P["forward"]["bulk"]))
cr.execute = original
slowest = sorted(queries.items(), key=lambda item: -item[1][1])[:5]
out["slowest"] = [{"query": " ".join(q.split())[:300], "calls": n, "seconds": s} for q, (n, s, _p) in slowest]
query, (_n, _s, params) = slowest[0]
cr.execute("EXPLAIN ANALYZE " + query, params)
out["plan"] = [row[0] for row in cr.fetchall()]
cr.execute('''SELECT tablename, indexname, indexdef FROM pg_indexes
              WHERE tablename IN ('stock_move_line', 'stock_move_line_consume_rel') ORDER BY 1, 2''')
out["indexes"] = [list(row) for row in cr.fetchall()]
for table in ("stock_move_line", "stock_move", "mrp_production", "stock_production_lot"):
    cr.execute("SELECT count(*) FROM " + table)
    out.setdefault("counts", {})[table] = cr.fetchone()[0]
cr.execute("SELECT count(*) FROM stock_move_line_consume_rel")
out["counts"]["stock_move_line_consume_rel"] = cr.fetchone()[0]
cr.execute("SELECT state, count(*) FROM mrp_production GROUP BY state")
out["mo_states"] = dict(cr.fetchall())
cr.rollback()
print("BENCH_JSON=" + json.dumps(out))
"""


# ---------------------------------------------------------------------------- helpers


def _shell_command(odoo: Any, database: str, data_dir: Path) -> list[str]:
    return [
        str(odoo.python), str(odoo.home / "odoo-bin"), "shell", f"--addons-path={odoo.addons_path}",
        f"--database={database}", f"--db_host={odoo.db_host}", f"--db_port={odoo.db_port}",
        f"--db_user={odoo.db_user}", f"--db_password={odoo.db_password}", f"--data-dir={data_dir}",
        "--no-http", "--log-level=warn",
    ]


def _shell(odoo: Any, database: str, data_dir: Path, script: str, log: Path,
           on_line: Any = None) -> dict[str, Any]:
    """Run ``script`` in ``odoo-bin shell``; its ``BENCH_JSON=`` line, every line to ``on_line``."""
    process = subprocess.Popen(_shell_command(odoo, database, data_dir), stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               cwd=str(odoo.home), env=odoo.pg_env())
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(script)
    process.stdin.close()
    result = None
    with open(log, "a") as fh:
        for line in process.stdout:
            fh.write(line)
            if line.startswith("BENCH_JSON="):
                result = json.loads(line.split("=", 1)[1])
            elif on_line is not None:
                on_line(line)
    process.wait()
    if process.returncode != 0 or (result is None and on_line is None):
        tail = log.read_text(errors="replace")[-1500:]
        raise RuntimeError(f"odoo-bin shell failed (exit {process.returncode}); log {log}: {tail}")
    return result or {}


def _pick_lot(spans: list[list[int]], lo: int, hi: int) -> list[int]:
    """The span (first, last, lot id) nearest the middle of [lo, hi) lying wholly inside it."""
    inside = [s for s in spans if lo <= s[0] and s[1] <= hi]
    if not inside:
        raise RuntimeError(f"no lot fed only batches {lo}-{hi - 1}: too few batches for the trace")
    middle = (lo + hi) / 2
    return min(inside, key=lambda s: abs((s[0] + s[1]) / 2 - middle))


# ---------------------------------------------------------------------------- the benchmark


def run(batches: int = 10000, reported: int = 200, repeat: int = 5, refill_every: tuple[int, int] = REFILL_EVERY,
        seed: int = 20, keep_database: bool = False) -> BenchResult:
    check_plan(batches, reported, repeat)
    started_run = time.monotonic()
    odoo = _odoo14()
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from tests.support.odoo14 import run_odoo, unique_database

    work = Path(tempfile.mkdtemp(prefix="bench-trace-"))
    data_dir = work / "data"
    database = unique_database("bench_trace")
    log = work / "shell.log"
    notes: list[str] = []
    chunks: list[dict[str, Any]] = []
    try:
        print(f"   installing mrp_plc_bridge without demo data on {database} ...", flush=True)
        install = run_odoo(odoo, ["-i", "mrp_plc_bridge", "--without-demo=all", f"--data-dir={data_dir}",
                                  "--log-level=warn"], database=database, log_file=work / "install.log",
                           timeout=1800)
        if install.returncode != 0:
            raise RuntimeError("installing mrp_plc_bridge failed: " + "\n".join(install.error_lines[-10:]))
        params = {"seed": seed, "batches": batches, "every_low": refill_every[0], "every_high": refill_every[1]}
        began = time.monotonic()
        setup = _shell(odoo, database, data_dir, SETUP_SCRIPT % {
            "params": json.dumps(params), "line": LINE, "minutes": MINUTES_PER_BATCH}, log)
        setup_seconds = time.monotonic() - began
        print(f"   set up in {setup_seconds:.0f} s: {len(setup['plan']['101'])} maize and "
              f"{len(setup['plan']['102'])} soybean meal lots, {setup['fills']} refills", flush=True)

        def progress(line: str) -> None:
            match = re.match(r"BENCH_CHUNK=(.*)", line)
            if match:
                chunk = json.loads(match.group(1))
                chunks.append(chunk)
                done = sum(c["count"] for c in chunks)
                print(f"   {done}/{batches} batches closed ({chunk['way']}: {chunk['count']} in "
                      f"{chunk['seconds']:.1f} s)", flush=True)

        reported_from = batches - reported
        began = time.monotonic()
        _shell(odoo, database, data_dir, BUILD_SCRIPT % {
            "params": json.dumps({"setup": setup, "start": 0, "end": batches, "reported_from": reported_from}),
            "line": LINE, "minutes": MINUTES_PER_BATCH, "chunk": CHUNK}, log, on_line=progress)
        build_seconds = time.monotonic() - began
        closed = sum(c["count"] for c in chunks)
        if closed != batches:
            raise RuntimeError(f"only {closed} of {batches} batches were closed; log {log}")

        bulk_lot = _pick_lot(setup["plan"]["101"], 0, reported_from)
        forward = {"bulk": bulk_lot[2]}
        report_lots = [s for s in setup["plan"]["101"] if reported_from <= s[0]]
        if report_lots and report_lots[0][1] <= batches:
            forward["reported"] = report_lots[0][2]
        print("   tracing (rolled back) ...", flush=True)
        measured = _measure(odoo, database, data_dir, log, forward, bulk_lot, report_lots, repeat)
    finally:
        if keep_database:
            notes.append(f"Database {database} kept (--keep-database).")
        else:
            odoo.drop_database(database)
        if not keep_database:
            shutil.rmtree(work, ignore_errors=True)

    return _result(batches, reported, refill_every, seed, setup, setup_seconds, build_seconds, chunks, measured,
                   notes, started_run)


def _measure(odoo: Any, database: str, data_dir: Path, log: Path, forward: dict[str, int],
             bulk_lot: list[int], report_lots: list[list[int]], repeat: int) -> dict[str, Any]:
    """The traces: forward from the picked raw lots, backward from a finished lot of each."""
    script = MEASURE_SCRIPT % {"params": json.dumps({
        "forward": forward, "repeat": repeat,
        "backward": _finished_lots_of(odoo, database, bulk_lot, report_lots[0] if report_lots else None)})}
    return _shell(odoo, database, data_dir, script, log)


def _finished_lots_of(odoo: Any, database: str, bulk_lot: list[int], report_lot: list[int] | None) -> dict[str, int]:
    """The finished lot of one MO fed by each traced raw lot (psql, read only)."""
    found = {}
    for key, span in (("bulk", bulk_lot), ("reported", report_lot)):
        if span is None:
            continue
        query = ("SELECT p.lot_producing_id FROM stock_move_line ml JOIN stock_move m ON m.id = ml.move_id "
                 "JOIN mrp_production p ON p.id = m.raw_material_production_id "
                 f"WHERE ml.lot_id = {int(span[2])} AND ml.state = 'done' ORDER BY p.id LIMIT 1")
        done = subprocess.run(["psql", "-At", "-d", database, "-c", query], capture_output=True, text=True,
                              env=odoo.pg_env(), check=True)
        found[key] = int(done.stdout.strip())
    return found


def _result(batches: int, reported: int, refill_every: tuple[int, int], seed: int, setup: dict[str, Any],
            setup_seconds: float, build_seconds: float, chunks: list[dict[str, Any]], measured: dict[str, Any],
            notes: list[str], started_run: float) -> BenchResult:
    rows: list[list[str]] = []
    targets: list[Target] = []
    rates = {}
    for way in ("report", "orm"):
        done = [c for c in chunks if c["way"] == way]
        if done:
            count = sum(c["count"] for c in done)
            seconds = sum(c["seconds"] for c in done)
            rates[way] = (count, seconds)
    for key in ("bulk", "reported"):
        name = f"forward_{key}"
        if name not in measured:
            continue
        data = measured[name]
        runs = data["runs"]
        lot_s = Stats.of([r["lot_seconds"] for r in runs])
        total_s = Stats.of([r["lot_seconds"] + sum(r["click_seconds"]) for r in runs])
        clicks = Stats.of([s for r in runs for s in r["click_seconds"]])
        first = runs[0]
        same_mos = all(r["mos"] == data["db_mos"] for r in runs)
        same_finished = all(r["finished"] == data["db_finished"] for r in runs)
        how = "ORM-closed" if key == "bulk" else "plc_report_batch"
        rows += [
            [f"forward, lot {data['lot']} ({how} batches): the lot's report (get_html)",
             f"{first['rows']} rows, {first['lot_queries']} queries", fmt_ms(lot_s.median), fmt_ms(lot_s.maximum),
             f"{len(first['mos'])} MOs (database: {len(data['db_mos'])}, same: {same_mos})"],
            [f"  each consumption row's up/downstream, auto-unfolded ({len(first['click_seconds'])} clicks)",
             f"{max(first['click_rpcs'])} RPC, {max(first['click_queries'])} queries each", fmt_ms(clicks.median),
             fmt_ms(clicks.maximum),
             f"{len(first['finished'])} finished lots (database: {len(data['db_finished'])}, "
             f"same: {same_finished})"],
            ["  the report and every click, one after the other", "-", fmt_ms(total_s.median),
             fmt_ms(total_s.maximum), "-"],
        ]
        # The client expands nothing of a lot's report by itself: the report is the trace's
        # answer; following one MO on to its finished lot is a click, a request of its own.
        targets.append(target(lot_s.median, f"forward trace of lot {data['lot']} ({how}): the lot's report"))
        targets.append(target(clicks.maximum, f"forward trace of lot {data['lot']} ({how}): the slowest click "
                                              "on to a finished lot"))
        targets.append(Target(f"trace of lot {data['lot']} reaches what the database says", "equal",
                              f"{len(first['mos'])} MOs, {len(first['finished'])} finished lots",
                              same_mos and same_finished, "equal" if same_mos and same_finished else "differs"))
    for key in ("bulk", "reported"):
        name = f"backward_{key}"
        if name not in measured:
            continue
        data = measured[name]
        runs = data["runs"]
        back = Stats.of([r["seconds"] for r in runs])
        same = all(r["lots"] == data["db_lots"] for r in runs)
        rows.append([f"backward, finished lot {data['lot']}: report, MO row and each component lot unfolded",
                     f"{runs[0]['rpcs']} RPC, {runs[0]['queries']} queries", fmt_ms(back.median),
                     fmt_ms(back.maximum),
                     f"lots {', '.join(runs[0]['lots'])} (database: same {same})"])
        targets.append(Target(f"backward trace of {data['lot']} reaches what the database says", "equal",
                              ", ".join(runs[0]["lots"]), same, "equal" if same else "differs"))
    counts = measured["counts"]
    notes += [
        f"Database: {batches} closed batches (MO states {measured['mo_states']}), "
        f"{counts['stock_move_line']} stock move lines, {counts['stock_move_line_consume_rel']} "
        f"consumed-produced links, {counts['stock_production_lot']} lots; silos refilled every "
        f"{refill_every[0]}-{refill_every[1]} batches (seed {seed}): {len(setup['plan']['101'])} maize and "
        f"{len(setup['plan']['102'])} soybean meal lots, {setup['fills']} refills through the Refill wizard; "
        f"set up in {setup_seconds:.0f} s, batches closed in {build_seconds:.0f} s.",
    ]
    for way, (count, seconds) in rates.items():
        label = ("plc_report_batch (fetched by the agent user, reported with the PLC's times)"
                 if way == "report" else "the ORM with the addon's booking helper")
        span = f"{batches - reported}-{batches - 1}" if way == "report" else f"0-{batches - reported - 1}"
        notes.append(f"Batches {span} closed through {label}: {count} in {seconds:.0f} s, "
                     f"{seconds / count:.2f} s per batch (10,000 this way: {10000 * seconds / count / 60:.0f} min).")
    notes += [
        f"Timed: each RPC the web client sends, in-process in odoo-bin shell with a fresh cache per call "
        f"(env.clear()), median and max of {len(measured['forward_bulk']['runs'])} traces after a warm-up; "
        "no HTTP. The lot's report is the answer the Traceability button gives: a row per done move "
        "line of the lot, each consumption row naming its MO. A click is the up/downstream button of one "
        "consumption row: the report from that move line (the finished lot), auto-unfolded as the client "
        "does (what the MO consumed, and the traced lot back to its receipt).",
        "Reached vs database: the MOs of the consumption rows and the finished lots of the clicks, against "
        "a direct query of stock_move_line (raw moves of the lot, done; the finished move lines of those MOs).",
        "Slowest queries of one forward trace: " + "; ".join(
            f"{q['calls']} x {fmt_ms(q['seconds'])} total: {q['query'][:140]}" for q in measured["slowest"][:3]),
        "Plan of the slowest: " + " | ".join(line.strip() for line in measured["plan"][:8]),
        "Indexes on stock_move_line: " + ", ".join(i[1] for i in measured["indexes"]),
    ]
    return BenchResult(
        name="trace",
        title=f"Odoo's Traceability report over {batches} closed batches of one line",
        columns=["trace", "rows / RPC / queries", "median", "max", "reaches"],
        rows=rows,
        notes=notes,
        targets=targets,
        data={"setup_seconds": setup_seconds, "build_seconds": build_seconds, "chunks": chunks,
              "measured": measured, "plan": setup["plan"]},
        seconds=time.monotonic() - started_run,
    )
