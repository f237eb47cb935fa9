"""An installed database upgrades in place from the released addon.

The released addon is taken from git (14.0.1.1.0, commit 227f985): installed with demo
data, MOs sent to the line and reported (one done, one recorded, two still sent), then
upgraded with the addon of this checkout. Nothing the line was given or reported changes,
the new fields get their defaults, each silo's history begins with what it held, and the
line's failures and manual weighings then work on the upgraded database, on the MOs the old
release sent and closed.
"""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import tarfile
from pathlib import Path

import pytest

from support.odoo14 import REPO_ROOT, Odoo14, run_odoo, unique_database

pytestmark = pytest.mark.odoo

MODULE = "mrp_plc_bridge"
PREVIOUS_RELEASE = "227f985"

SEND_AND_REPORT = """
batches = env["mrp.production"].plc_fetch_batches("FM1", 4)["batches"]
def report(batch, start, end):
    return env["mrp.production"].plc_report_batch({
        "mo_id": batch["mo_id"], "line": "FM1", "batch_key": batch["batch_key"],
        "consumption": [{"silo": c["silo"], "quantity": c["quantity"] * 1.1}
                        for c in batch["components"]],
        "finished_quantity": None, "status": "done",
        "started_at": "2026-11-28T%s:00+00:00" % start, "finished_at": "2026-11-28T%s:00+00:00" % end,
        "message": None})
# The line's agent user, made by the Agent access button of this release.
env["mrp.plc.line"].search([("code", "=", "FM1")])._plc_agent_grant_access()
done = report(batches[0], "06:00", "06:04")
# A strict BoM refuses the 10 % overdose: the actuals are recorded, the MO stays open.
env["mrp.production"].browse(batches[1]["mo_id"]).consumption = "strict"
recorded = report(batches[1], "06:05", "06:09")
env.cr.commit()
print("SENT=" + ",".join(b["batch_key"] for b in batches))
print("RESULTS=" + done["status"] + "," + recorded["status"])
"""

STATE = """
import json
mos = env["mrp.production"].search([("plc_line_id", "!=", False)], order="id")
line = env["mrp.plc.line"].search([("code", "=", "FM1")])
state = {
    "mos": [[m.name, m.state, m.plc_state, m.plc_batch_key or "", m.plc_line_id.code,
             m.plc_reason or "", m.plc_report_result or "", str(m.plc_started_at or "")]
            for m in mos],
    "consumption": [[c.production_id.name, c.run, c.silo_code, c.planned_qty, c.actual_qty,
                     c.reported, c.move_ids.ids]
                    for c in env["mrp.plc.consumption"].search([], order="id")],
    "moves": [[m.id, m.product_id.id, m.state, m.quantity_done]
              for m in env["stock.move"].search([("raw_material_production_id", "in", mos.ids)],
                                                order="id")],
    "silos": sorted(line.silo_ids.mapped("code")),
}
print("STATE=" + json.dumps(state))
print("CAPACITY=" + json.dumps(line._plc_capacity() if hasattr(line, "_plc_capacity") else None))
"""

# On the upgraded database (14.0.1.5.0): the runs the MOs were reported in, their batch
# record, and the done MO's reported figures refused to a write.
RECORD = """
import json
from odoo.exceptions import UserError
P = env["mrp.production"]
mos = P.search([("plc_line_id", "!=", False), ("plc_reported_at", "!=", False)], order="id")
html = env.ref("mrp_plc_bridge.action_report_batch_record")._render_qweb_html(mos.ids)[0].decode()
done = mos.filtered(lambda m: m.state == "done")[0]
try:
    with env.cr.savepoint():
        done.plc_finished_weight_actual = 1.0
    refused = False
except UserError:
    refused = True
print("RECORD=" + json.dumps({
    "runs": [[r.production_id.plc_state, r.run, r.status, bool(r.reason), r.batch_key == r.production_id.plc_batch_key,
              str(r.started_at or "")]
             for r in env["mrp.plc.run"].search([]).sorted(lambda r: (r.production_id.id, r.run))],
    "in_record": [m.name in html and m.plc_batch_key in html for m in mos],
    "refused": refused,
}))
"""

# On the upgraded database: a failure during the done MO's batch, weighings on the done,
# the recorded and a sent MO, and a weighing Odoo keeps.
STATION = """
import json
P = env["mrp.production"]
mos = P.search([("plc_line_id", "!=", False)], order="id")
done = mos.filtered(lambda m: m.plc_state == "done")[0]
recorded = mos.filtered(lambda m: m.plc_state == "recorded")[0]
sent = mos.filtered(lambda m: m.plc_state == "sent")[0]
component = done.move_raw_ids[0].product_id
line = env["mrp.plc.line"].search([("code", "=", "FM1")])
failure = P.plc_report_failure({"line": "FM1", "failure_key": "FM1/silo101/START_FAILURE/20261128T060200Z",
    "equipment": "silo101", "info": "START_FAILURE", "occurred_at": "2026-11-28T06:02:00+00:00"})
def weigh(mo, key, quantity=2.5):
    return P.plc_report_manual_weighing({"line": "FM1", "weighing_key": key, "mo_name": mo.name,
        "batch_number": 1, "product_template_id": component.product_tmpl_id.id,
        "quantity": quantity, "weighed_at": "2026-11-28T06:03:00+00:00"})
results = [weigh(done, "W1")["status"], weigh(recorded, "W2")["status"], weigh(sent, "W3")["status"],
           weigh(sent, "W4", -1)["status"], weigh(done, "W1")["duplicate"]]
env.cr.commit()
weighings = env["mrp.plc.weighing"].search([], order="weighing_key")
agent = env["res.users"].search([("login", "=", "plc-agent-fm1")])
print("STATION=" + json.dumps({
    "agent_lines": agent.plc_agent_line_ids.mapped("code"),
    "silo_units": sorted(set(line.silo_ids.mapped("plc_uom_id.name"))),
    "failure": [failure["status"], env["mrp.plc.failure"].browse(failure["failure_id"]).production_id.name],
    "done_mo": done.name,
    "weighings": results,
    "posted": [[w.weighing_key, w.state, w.posted] for w in weighings],
    "line_defaults": [line.weighing_max_qty, line.responsible_id.id, line.failure_open_count],
    # 14.0.1.4.0: nothing said yet about the next fetch, no MO sent now, and the ping's count.
    "next_fetch": [line.plc_next_fetch_at, line.plc_next_fetch_reason],
    "sent_now": P.search_count([("plc_send_now_at", "!=", False)]),
    # 14.0.1.4.1: no failed run's report kept yet (kept from the next release again on).
    "failed_runs_kept": P.search_count([("plc_failed_run_key", "!=", False)]),
    "ready_mo_count": P.plc_ping("FM1")["ready_mo_count"],
    "ready_mos": P.search_count([("plc_line_id", "=", line.id), ("plc_state", "=", "ready"),
                                 ("state", "in", ("confirmed", "progress")), ("plc_hold", "=", False)]),
}))
"""

# On the upgraded database: the MOs sent before the upgrade come back as they were sent
# (the PLC's units default to what the consumption lines were sent in) and close.
REDELIVER = """
import json
P = env["mrp.production"]
batches = [b for b in P.plc_fetch_batches("FM1", 10)["batches"] if b["redelivered"]]
results = []
for b in batches:
    results.append(P.plc_report_batch({
        "mo_id": b["mo_id"], "line": "FM1", "batch_key": b["batch_key"],
        "consumption": [{"silo": c["silo"], "quantity": c["quantity"]} for c in b["components"]],
        "finished_quantity": None, "status": "done",
        "started_at": "2026-11-28T07:00:00+00:00", "finished_at": "2026-11-28T07:04:00+00:00",
        "message": None})["status"])
env.cr.commit()
print("REDELIVER=" + json.dumps({
    "sent": [[b["batch_key"], [[c["silo"], c["quantity"], c["uom"]] for c in b["components"]]]
             for b in batches],
    "results": results}))
"""

# On the upgraded database (14.0.1.5.0): each silo's history begins with what it held, from
# the silo's creation; the closed MOs' consumption lines were not booked again.
HISTORY = """
import json
silos = env["mrp.plc.silo"].with_context(active_test=False).search([], order="id")
done = env["mrp.production"].search([("plc_state", "=", "done")])
print("HISTORY=" + json.dumps({
    "silos": [[s.code, s.product_id.id, s.lot_id.id, str(s.create_date),
               [[f.how, f.product_id.id, f.lot_id.id, str(f.valid_from), f.entered_by.id]
                for f in s.fill_ids]]
              for s in silos],
    "done_lines": sorted(set(str(c.lot_state) + "/" + str(c.dosed_from) for c in done.plc_consumption_ids)),
}))
"""

SENT_BEFORE = """
import json
batches = [b for b in env["mrp.production"].plc_fetch_batches("FM1", 10)["batches"] if b["redelivered"]]
print("SENT_BEFORE=" + json.dumps([[b["batch_key"], [[c["silo"], c["quantity"], c["uom"]] for c in b["components"]]]
                                   for b in batches]))
"""


@dataclasses.dataclass(frozen=True)
class _OdooWithAddons(Odoo14):
    addons_dir: Path = REPO_ROOT / "odoo_addon"

    @property
    def addons_path(self) -> str:
        return ",".join(str(p) for p in (self.home / "addons", self.home / "odoo" / "addons", self.addons_dir))


def _previous_addon(target: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", PREVIOUS_RELEASE, "odoo_addon"],
        capture_output=True,
    )
    if archive.returncode != 0:
        pytest.skip(f"commit {PREVIOUS_RELEASE} is not in this clone: {archive.stderr.decode()[-200:]}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target)
    return target / "odoo_addon"


def _shell(odoo: Odoo14, database: str, script: str, log_file: Path) -> str:
    command = [str(odoo.python), str(odoo.home / "odoo-bin"), "shell"]
    command += odoo.base_command(database, 0)[2:] + ["--no-http", "--log-level=warn"]
    command = [arg for arg in command if not arg.startswith(("--http-port", "--http-interface"))]
    completed = subprocess.run(
        command, input=script, capture_output=True, text=True, cwd=str(odoo.home), timeout=600, env=odoo.pg_env()
    )
    with open(log_file, "a") as log:
        log.write(completed.stdout + completed.stderr)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout


def _value(output: str, key: str):
    for line in output.splitlines():
        if line.startswith(key + "="):
            return line[len(key) + 1 :] if key in ("SENT", "RESULTS") else json.loads(line[len(key) + 1 :])
    raise AssertionError(f"no {key}= line in {output[-1000:]}")


def test_upgrades_in_place_from_the_released_addon(odoo14, artifacts_dir, tmp_path):
    previous = _OdooWithAddons(**dataclasses.asdict(odoo14), addons_dir=_previous_addon(tmp_path))
    current = _OdooWithAddons(**dataclasses.asdict(odoo14))
    database = unique_database("plc_bridge_upgrade")
    log_dir = artifacts_dir
    shell_log = log_dir / "odoo-upgrade-shell.log"
    try:
        install = run_odoo(
            previous, ["-i", MODULE, "--log-level=warn"], database=database,
            log_file=log_dir / "odoo-upgrade-previous-install.log", timeout=900,
        )
        assert install.returncode == 0 and not install.error_lines, "\n".join(install.error_lines[-20:])
        output = _shell(previous, database, SEND_AND_REPORT, shell_log)
        assert len(_value(output, "SENT").split(",")) == 4, output
        assert _value(output, "RESULTS") == "done,recorded"
        before = _value(_shell(previous, database, STATE, shell_log), "STATE")
        sent_before = _value(_shell(previous, database, SENT_BEFORE, shell_log), "SENT_BEFORE")
        assert len(sent_before) == 2

        upgrade = run_odoo(
            current, ["-u", MODULE, "--log-level=warn"], database=database,
            log_file=log_dir / "odoo-upgrade-in-place.log", timeout=900,
        )
        assert upgrade.returncode == 0, "\n".join(upgrade.error_lines[-20:])
        assert not upgrade.error_lines, "\n".join(upgrade.error_lines[-20:])

        output = _shell(current, database, STATE, shell_log)
        assert _value(output, "STATE") == before
        assert sorted(m[2] for m in before["mos"] if m[2] in ("sent", "done", "recorded")) == [
            "done", "recorded", "sent", "sent"
        ]
        assert _value(output, "CAPACITY") == {"components_per_batch": 15, "text_width": 16}

        history = _value(_shell(current, database, HISTORY, shell_log), "HISTORY")
        held = [silo for silo in history["silos"] if silo[1]]
        assert held, history
        for code, product, lot, created, entries in history["silos"]:
            expected = [["upgrade", product, lot, created, 1]] if product else []
            assert entries == expected, (code, entries)
        assert history["done_lines"] == ["False/False"]
        # 14.0.1.5.0: each reported MO has the run it was reported in; its record prints.
        record = _value(_shell(current, database, RECORD, shell_log), "RECORD")
        assert sorted(record["runs"]) == [
            ["done", 1, "done", False, True, "2026-11-28 06:00:00"],
            ["recorded", 1, "recorded", True, True, "2026-11-28 06:05:00"],
        ]
        assert record["in_record"] == [True, True]
        assert record["refused"] is True

        station = _value(_shell(current, database, STATION, shell_log), "STATION")
        assert station["failure"] == ["stored", station["done_mo"]]
        assert station["weighings"] == ["consumed", "consumed", "consumed", "kept", True]
        # Posted at once on the done MO; waiting for the closing on the open ones.
        assert station["posted"] == [
            ["W1", "consumed", True], ["W2", "consumed", False],
            ["W3", "consumed", False], ["W4", "kept", False],
        ]
        assert station["line_defaults"] == [1000.0, False, 1]
        assert station["next_fetch"] == [False, False]
        assert station["sent_now"] == 0
        assert station["failed_runs_kept"] == 0
        assert station["ready_mo_count"] == station["ready_mos"]
        # The agent user the previous release made is bound to its line, and every silo
        # doses in kg, the unit the previous release wrote in.
        assert station["agent_lines"] == ["FM1"]
        assert station["silo_units"] == ["kg"]

        redelivered = _value(_shell(current, database, REDELIVER, shell_log), "REDELIVER")
        assert redelivered["sent"] == sent_before
        assert redelivered["results"] == ["done", "done"]
    finally:
        odoo14.drop_database(database)
