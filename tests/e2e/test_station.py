"""Equipment failures and manual weighings, PLC to Odoo, on a real Odoo 14.

The PLC simulator raises them in its failure and weighing areas, ``plc-agent run`` stores
and acknowledges them and reports them; Odoo shows each failure on the line and on the MO
whose batch was running, and consumes each weighing on its MO once: before the MO closes
(it counts in the closing) and after (posted on the done MO). A bad weighing is kept in
Odoo and the next one goes through; what the line reports while Odoo is down arrives when
it is back. The time from the PLC raising a report to Odoo holding it is measured.
"""

from __future__ import annotations

import json
import os
import time

import pytest

from .conftest import LINE, wait_until

pytestmark = pytest.mark.odoo

TIMEOUT = 180


def _failures(client) -> list[dict]:
    return client.execute(
        "mrp.plc.failure",
        "search_read",
        [("line_id.code", "=", LINE)],
        ["equipment", "info", "production_id", "state", "failure_key"],
    )


def _weighings(client) -> list[dict]:
    rows = client.execute(
        "mrp.plc.weighing",
        "search_read",
        [("line_id.code", "=", LINE)],
        ["mo_name", "production_id", "product_id", "quantity_kg", "state", "posted", "reason", "move_id"],
    )
    return sorted(rows, key=lambda row: row["id"])


def _done_quantity(client, mo_name: str, product_id: int) -> float:
    moves = client.execute(
        "stock.move",
        "search_read",
        [
            ("raw_material_production_id.name", "=", mo_name),
            ("product_id", "=", product_id),
            ("state", "=", "done"),
        ],
        ["quantity_done"],
    )
    return round(sum(m["quantity_done"] for m in moves), 6)


def _timed(action, predicate, what: str) -> float:
    started = time.monotonic()
    action()
    wait_until(predicate, TIMEOUT, interval=0.05, what=what)
    return time.monotonic() - started


def test_failures_and_weighings_reach_odoo_once(odoo_site, line_simulator, agent_factory, artifacts_dir):
    simulator = line_simulator
    client = odoo_site.admin()
    kg = client.env.ref("uom.product_uom_kgm").id
    premix_template = client.execute(
        "product.template",
        "create",
        {"name": "Vitamin premix (hand-added)", "type": "product", "uom_id": kg, "uom_po_id": kg},
    )
    premix = client.execute("product.template", "read", [premix_template], ["product_variant_id"])[0][
        "product_variant_id"
    ][0]

    # The line stops just before the end of its first batch: that batch is running.
    simulator.faults.hold_before(1, "end")
    agent = agent_factory()
    agent.start()
    wait_until(lambda: simulator.line.held_at == (1, "end"), TIMEOUT, what="the first batch to run")
    mo_running = simulator.line.last_batch[1]
    time.sleep(1.5)  # past the agent's first read of the batch, which is its start time

    # A failure and a weighing during the batch.
    failure_seconds = _timed(
        lambda: simulator.report_failure("silo101", "START_FAILURE"),
        lambda: _failures(client),
        "the failure in Odoo",
    )
    weighing_seconds = _timed(
        lambda: simulator.report_weighing(premix_template, 2.5),
        lambda: _weighings(client),
        "the weighing in Odoo",
    )
    [weighing] = _weighings(client)
    assert (weighing["mo_name"], weighing["state"], weighing["posted"]) == (mo_running, "consumed", False)
    assert _done_quantity(client, mo_running, premix) == 0.0  # counts at the closing

    simulator.faults.release()

    def closed():
        [production] = odoo_site.line_productions(client, [mo_running])
        return production["state"] == "done"

    wait_until(closed, TIMEOUT, what=f"{mo_running} closed")
    [failure] = _failures(client)
    assert (failure["equipment"], failure["info"], failure["state"]) == ("silo101", "START_FAILURE", "new")
    assert failure["production_id"] and failure["production_id"][1] == mo_running
    assert _weighings(client)[0]["posted"] is True
    assert _done_quantity(client, mo_running, premix) == 2.5

    # After the closing: posted on the done MO at once.
    simulator.report_weighing(premix_template, 1.5, mo_reference=mo_running)
    wait_until(lambda: len(_weighings(client)) == 2, TIMEOUT, what="the weighing after the closing")
    assert _weighings(client)[1]["state"] == "consumed" and _weighings(client)[1]["posted"] is True
    assert _done_quantity(client, mo_running, premix) == 4.0

    # A weighing Odoo cannot apply does not stop the next one.
    simulator.report_weighing(987654, 1.0, mo_reference=mo_running)
    simulator.report_weighing(premix_template, 0.5, mo_reference=mo_running)
    wait_until(lambda: len(_weighings(client)) == 4, TIMEOUT, what="a bad weighing, then a good one")
    bad, good = _weighings(client)[2:]
    assert bad["state"] == "kept" and "Unknown product" in bad["reason"], bad
    assert good["state"] == "consumed", good
    assert _done_quantity(client, mo_running, premix) == 4.5

    # Odoo down: the agent stores and acknowledges; both arrive when Odoo is back.
    odoo_site.server.stop()
    try:
        simulator.report_failure("motor_pump_01", "MOTOR_FAILURE")
        simulator.report_weighing(premix_template, 0.75, mo_reference=mo_running)
        wait_until(
            lambda: simulator.pending_reports("failure") == 0 and simulator.pending_reports("weighing") == 0,
            TIMEOUT,
            what="the agent to acknowledge both reports while Odoo is down",
        )
    finally:
        odoo_site.server.start()
    client = odoo_site.admin()
    wait_until(lambda: len(_failures(client)) == 2, TIMEOUT, what="the failure stored while Odoo was down")
    wait_until(lambda: len(_weighings(client)) == 5, TIMEOUT, what="the weighing stored while Odoo was down")
    assert _weighings(client)[4]["state"] == "consumed"
    assert _done_quantity(client, mo_running, premix) == 5.25
    # Each once: no duplicate records, one failure of each key.
    keys = [f["failure_key"] for f in _failures(client)]
    assert len(keys) == len(set(keys)) == 2
    assert len({w["move_id"][0] for w in _weighings(client) if w["move_id"]}) == 4

    figures = {
        "failure_plc_to_odoo_seconds": round(failure_seconds, 3),
        "weighing_plc_to_odoo_seconds": round(weighing_seconds, 3),
        "poll_interval_seconds": 0.5,
        "load_average": os.getloadavg(),
    }
    (artifacts_dir / "e2e" / "station-latency.json").write_text(json.dumps(figures, indent=2))
    print("PLC to Odoo:", figures)
