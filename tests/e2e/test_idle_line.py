"""New work goes at once on a real Odoo 14: an MO confirmed on an idle line reaches the PLC
within one ping interval, not at the hourly sync.

The agent runs as ``plc-agent run`` with the default ping interval (HEALTH_INTERVAL_SECONDS)
and SYNC_INTERVAL_MINUTES 60. It first runs the demo MOs; once its queue is empty and the
line stands still, an MO is confirmed over RPC and timed until the simulator holds it.
The test confirms it as soon as the line shows the agent's next fetch, which a ping has
just written: just after a ping, so it times the worst case, a whole ping interval.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time

import pytest

from plc_agent.config import Settings

from .conftest import LINE, odoo_shell, wait_until

pytestmark = pytest.mark.odoo

CREATE_DRAFT_MO = """
from odoo.tests import Form
bom = env["mrp.bom"].search([("plc_line_id.code", "=", %(line)r)], limit=1)
form = Form(env["mrp.production"])
form.product_id = bom.product_id
form.bom_id = bom
form.product_qty = 500.0
production = form.save()
env.cr.commit()
print("DRAFT_MO=%%d,%%s" %% (production.id, production.name))
"""

BATCH_TIMEOUT = 300
# Past the ping: the sync's own fetch, the write and its read-back, and the simulator's
# poll. Seconds.
FETCH_AND_WRITE_ALLOWANCE = 5.0


def queue_rows(tmp_path) -> int:
    with sqlite3.connect(tmp_path / "agent.sqlite3") as db:
        return db.execute("SELECT count(*) FROM mo_batch").fetchone()[0]


def test_an_mo_confirmed_on_an_idle_line_reaches_the_plc_within_the_ping_interval(
    odoo_site, line_simulator, agent_factory, tmp_path, artifacts_dir
):
    ping_interval = Settings.health_interval_seconds
    assert ping_interval <= 30
    out = odoo_shell(odoo_site.odoo, odoo_site.database, odoo_site.data_dir,
                     CREATE_DRAFT_MO % {"line": LINE}, odoo_site.log_dir / "odoo-shell.log")
    mo_id, mo_name = re.search(r"DRAFT_MO=(\d+),(\S+)", out).groups()
    client = odoo_site.admin()
    # A draft MO of a line is Ready for the PLC too; it goes when it is confirmed.
    ready = [p["name"] for p in odoo_site.line_productions(client)
             if p["plc_state"] == "ready" and p["name"] != mo_name]

    agent = agent_factory(HEALTH_INTERVAL_SECONDS=f"{ping_interval:g}")
    agent.start()
    # The demo MOs run first; then the line is idle: every MO done, the queue empty.
    wait_until(lambda: all(p["state"] == "done" for p in odoo_site.line_productions(client, ready)),
               BATCH_TIMEOUT, what="the demo MOs to close")
    wait_until(lambda: queue_rows(tmp_path) == 0, 60, what="the agent's queue to empty")
    sets_before = len(line_simulator.line.received_sets)
    # The agent has said at a ping that it fetches at the next one.
    wait_until(
        lambda: client.execute("mrp.plc.line", "search_read", [("code", "=", LINE)],
                               ["plc_next_fetch_reason"])[0]["plc_next_fetch_reason"]
        and "next ping" in client.execute("mrp.plc.line", "search_read", [("code", "=", LINE)],
                                          ["plc_next_fetch_reason"])[0]["plc_next_fetch_reason"],
        2 * ping_interval + 10, what="the line to show the agent's next fetch")

    confirmed = time.monotonic()
    client.execute("mrp.production", "action_confirm", [int(mo_id)])
    wait_until(
        lambda: any(reference == mo_name for batch_set in line_simulator.line.received_sets[sets_before:]
                    for _slot, _number, reference in batch_set),
        ping_interval + 30, interval=0.05, what=f"{mo_name} in the PLC",
    )
    seconds = time.monotonic() - confirmed

    status = agent.run_command("status")
    assert agent.stop() == 0
    (artifacts_dir / "e2e" / "idle-line.json").write_text(json.dumps(
        {"mo": mo_name, "ping_interval_seconds": ping_interval,
         "confirmed_to_plc_seconds": round(seconds, 2)}, indent=2))
    print(f"{mo_name}: confirmed to in the PLC in {seconds:.1f} s (ping interval {ping_interval:g} s)")
    assert seconds <= ping_interval + FETCH_AND_WRITE_ALLOWANCE, seconds
    assert "Next fetch: " in status.stdout, status.stdout + status.stderr
    assert not line_simulator.line.protocol_violations
