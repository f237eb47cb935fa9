"""The fault campaign on a real Odoo 14: a hundred MOs and more through ``plc-agent run``
and the PLC simulator while, at random moments drawn from a seed, the agent is killed
(SIGKILL) or stopped (SIGTERM) and started again, Odoo is restarted, and the PLC drops its
connection at a request of the read or write sequences.

Afterwards each MO must be dosed once, done once in Odoo with its consumption booked once
(the component moves hold exactly the PLC's actuals, not twice), and the agent's queue
drained with one history row per MO. ``PLC_ODOO_CAMPAIGN_SEED`` repeats a run's faults in
the same order; the figures land in ``e2e/campaign-odoo14.json`` of the test artifacts.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter

import pytest

from plc_agent.plc.register_map import load_register_map
from plc_agent.plc.simulator import PlcSimulator

from .conftest import LINE, odoo_shell, wait_until
from .test_chain import assert_each_mo_once

pytestmark = [pytest.mark.odoo, pytest.mark.timeout(1200)]

SEED = int(os.environ.get("PLC_ODOO_CAMPAIGN_SEED", "12"))
NEW_MOS = 100  # plus the demo MOs of the line
# Seconds between two faults. An Odoo restart takes 10-30 s and a report 1-5 s on a busy
# machine: more often and the run no longer fits the Odoo suite's time.
FAULT_EVERY = (4.0, 10.0)
FAULT_WEIGHTS = {"agent_sigkill": 3, "agent_sigterm": 2, "odoo_restart": 1, "plc_drop": 3}
DROP_SKIP_MAX = {"read": 3, "write": 9, "handshake": 1, "ack": 9}
CAMPAIGN_TIMEOUT = 1200.0


# One MO through the form (its moves from the BoM), the others as its copies: a hundred forms
# take minutes on a busy machine, copies seconds.
CREATE_MANY_MOS = """
from odoo.tests import Form
bom = env["mrp.bom"].search([("plc_line_id.code", "=", %(line)r)], limit=1)
assert bom, "no BoM for line %(line)s"
form = Form(env["mrp.production"])
form.product_id = bom.product_id
form.bom_id = bom
form.product_qty = %(quantity)r
first = form.save()
productions = first
for _ in range(%(count)d - 1):
    productions |= first.copy()
productions.action_confirm()
env.cr.commit()
print("CREATED_MOS=" + ",".join(productions.mapped("name")))
"""


@pytest.fixture
def line_simulator():
    """Short batches of random length (0.1-0.5 s) and answers delayed 0-2 ms: the line also
    moves between the agent's requests."""
    simulator = PlcSimulator(load_register_map(), batch_seconds=0.3, batch_jitter=0.66, noise=0.03, seed=SEED)
    simulator.start("127.0.0.1", 0)
    simulator.faults.set_response_jitter(0.002)
    yield simulator
    simulator.stop()


def _strike(kind: str, rng: random.Random, agent, site, simulator) -> None:
    if kind == "agent_sigkill":
        agent.kill()
        agent.start()
    elif kind == "agent_sigterm":
        agent.stop()
        agent.start()
    elif kind == "odoo_restart":
        site.server.stop()
        time.sleep(rng.uniform(0.0, 3.0))
        site.server.start()
    elif kind == "plc_drop":
        request = rng.choice(tuple(DROP_SKIP_MAX))
        simulator.faults.drop_at_next(
            request,
            rng.choice(("before", "after")),
            skip=rng.randint(0, DROP_SKIP_MAX[request]),
        )
    else:
        raise ValueError(f"unknown fault kind {kind!r}")


def test_random_kills_and_odoo_restarts_leave_each_mo_done_once(odoo_site, line_simulator, agent_factory,
                                                                tmp_path, artifacts_dir):
    rng = random.Random(SEED)
    odoo_shell(odoo_site.odoo, odoo_site.database, odoo_site.data_dir,
               CREATE_MANY_MOS % {"line": LINE, "count": NEW_MOS, "quantity": 500.0},
               odoo_site.log_dir / "odoo-shell.log")
    client = odoo_site.admin()
    names = [p["name"] for p in odoo_site.line_productions(client) if p["plc_state"] == "ready"]
    assert len(names) >= NEW_MOS, names

    agent = agent_factory(SYNC_BATCH_LIMIT="10", PLC_POLL_INTERVAL_SECONDS="0.2", PUSH_INTERVAL_SECONDS="1",
                          PUSH_BACKOFF_MAX_SECONDS="2", PLC_TIMEOUT_SECONDS="1",
                          PLC_RECONNECT_BACKOFF_MAX_SECONDS="1", ODOO_TIMEOUT_SECONDS="20")
    kinds = [kind for kind, weight in FAULT_WEIGHTS.items() for _ in range(weight)]
    faults: Counter = Counter()
    started = time.monotonic()
    agent.start()
    next_fault = started + rng.uniform(*FAULT_EVERY)
    done = 0
    while time.monotonic() - started < CAMPAIGN_TIMEOUT:
        if agent.process.poll() is not None:  # an exit 3 after a kill: the service manager starts it again
            agent.start()
        try:
            # A count, seldom: reading a hundred MOs' fields keeps a busy Odoo from the reports.
            done = client.env["mrp.production"].search_count([("name", "in", names), ("state", "=", "done")])
        except Exception:  # Odoo restarting: count again at the next turn
            client = None
            time.sleep(1)
            client = _admin_when_up(odoo_site)
            continue
        if done == len(names):
            break
        if time.monotonic() >= next_fault:
            kind = rng.choice(kinds)
            faults[kind] += 1
            _strike(kind, rng, agent, odoo_site, line_simulator)
            if kind == "odoo_restart":
                client = _admin_when_up(odoo_site)
            next_fault = time.monotonic() + rng.uniform(*FAULT_EVERY)
        time.sleep(min(3.0, max(0.0, next_fault - time.monotonic())))
    seconds = time.monotonic() - started
    figures = {"seed": SEED, "mos": len(names), "done": done, "seconds": round(seconds, 1),
               "faults": dict(sorted(faults.items())), "plc_sets": len(line_simulator.line.received_sets),
               "load_average": os.getloadavg()}
    (artifacts_dir / "e2e" / "campaign-odoo14.json").write_text(json.dumps(figures, indent=2))
    print(f"real-Odoo campaign: {figures}")
    assert done == len(names), f"only {done} of {len(names)} MOs done after {seconds:.0f} s: {figures}"
    # The last batches may still leave the queue for the history.
    wait_until(lambda: _queue_empty(tmp_path), 60, what="the agent's queue to drain")
    assert agent.stop() == 0
    assert sum(faults.values()) >= 10 and faults["agent_sigkill"] and faults["odoo_restart"], figures
    assert not line_simulator.line.protocol_violations, line_simulator.line.protocol_violations
    assert_each_mo_once(odoo_site, line_simulator, names, tmp_path)


def _admin_when_up(site):
    return wait_until(lambda: _try_admin(site), 120, interval=1.0, what="Odoo to answer again")


def _try_admin(site):
    try:
        return site.admin()
    except Exception:
        return None


def _queue_empty(tmp_path) -> bool:
    from .test_chain import agent_db

    with agent_db(tmp_path) as db:
        return db.execute("SELECT COUNT(*) FROM mo_batch").fetchone()[0] == 0
