"""Release to done on a real Odoo 14, through the agent's CLI and the PLC simulator.

The first test runs the demo MOs of line FM1 (plus a few more, so that the line is refilled
twice); the fault tests each bring MOs of their own, and so do the runs over Omron FINS
(UDP and TCP). Every test checks the same promise:
each MO was dosed once by the PLC, closed once in Odoo with the PLC's actuals on its
component moves, and every batch left the agent's queue with a trace in its history.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from plc_agent.plc.register_map import load_register_map, packaged_map_path
from plc_agent.plc.simulator.fins_server import FinsPlcSimulator

from .conftest import OdooSite, screenshot_batch_record, screenshot_mo_form, wait_until

pytestmark = pytest.mark.odoo

BATCH_TIMEOUT = 300
FINS_PLC_NODE = 10


class LineMonitor:
    """Samples the simulator to time the line's idle gaps between two sets of batches."""

    def __init__(self, simulator):
        self.simulator = simulator
        self.completed_at: list[float] = []  # monotonic time the n-th batch finished
        self.set_received_at: list[float] = []  # monotonic time the n-th set reached the PLC
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self):
        while not self._stop.is_set():
            now = time.monotonic()
            while len(self.completed_at) < len(self.simulator.line.completed_batches):
                self.completed_at.append(now)
            while len(self.set_received_at) < len(self.simulator.line.received_sets):
                self.set_received_at.append(now)
            time.sleep(0.01)

    def refill_gaps(self) -> list[float]:
        """Seconds from the last batch of each set finishing to the next set in the PLC."""
        gaps = []
        done = 0
        sets = self.simulator.line.received_sets
        for index in range(len(sets) - 1):
            done += len(sets[index])
            if done <= len(self.completed_at) and index + 1 < len(self.set_received_at):
                gaps.append(self.set_received_at[index + 1] - self.completed_at[done - 1])
        return gaps


def agent_db(tmp_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(tmp_path / "agent.sqlite3")


def assert_each_mo_once(site: OdooSite, simulator, names: list[str], tmp_path: Path) -> None:
    """The promise: dosed once, closed once with the PLC's actuals, traced once."""
    dosed = Counter(reference for _slot, reference in simulator.line.completed_batches)
    for name in names:
        assert dosed[name] == 1, f"{name} was dosed {dosed[name]} times by the PLC"

    client = site.admin()
    productions = {p["name"]: p for p in site.line_productions(client, names)}
    assert sorted(productions) == sorted(names)
    for name, production in productions.items():
        assert production["state"] == "done", f"{name}: {production}"
        assert production["plc_state"] == "done", f"{name}: {production}"

    with agent_db(tmp_path) as db:
        assert db.execute("SELECT COUNT(*) FROM mo_batch").fetchone()[0] == 0
        rows = db.execute(
            "SELECT mo_id, outcome, components, actual_weight_finished_goods FROM mo_histories WHERE mo_id IN (%s)"
            % ",".join("?" * len(names)),
            names,
        ).fetchall()
    history = Counter(row[0] for row in rows)
    for name in names:
        assert history[name] == 1, f"{name} is {history[name]} times in the agent's history"
    assert all(row[1] == "done" for row in rows), rows

    # The component moves carry exactly what the PLC reported, silo by silo.
    for mo_name, _outcome, components_json, _weight in rows:
        production = productions[mo_name]
        moves = client.execute(
            "stock.move",
            "search_read",
            [("raw_material_production_id", "=", production["id"]), ("state", "=", "done")],
            ["product_id", "quantity_done"],
        )
        done_by_product: Counter = Counter()
        for move in moves:
            done_by_product[move["product_id"][1]] += move["quantity_done"]
        components = json.loads(components_json)
        for component in components:
            matches = [qty for product, qty in done_by_product.items() if component["product_code"] in product]
            assert matches, f"{mo_name}: no done move for {component['product_code']}"
            assert matches[0] == pytest.approx(component["actual_quantity"], abs=0.011), (mo_name, component)


def test_every_ready_mo_runs_once_and_closes_with_the_plc_actuals(
    odoo_site, line_simulator, agent_factory, tmp_path, artifacts_dir
):
    odoo_site.create_mos(4, quantity=800.0)
    client = odoo_site.admin()
    ready = [p["name"] for p in odoo_site.line_productions(client) if p["plc_state"] == "ready"]
    assert len(ready) >= 9, ready  # the 5 demo MOs and the 4 above

    agent = agent_factory(SYNC_BATCH_LIMIT="4")
    released = time.monotonic()
    with LineMonitor(line_simulator) as monitor:
        agent.start()
        first_done = wait_until(
            lambda: any(p["state"] == "done" for p in odoo_site.line_productions(client, ready)),
            BATCH_TIMEOUT,
            what="the first MO to close",
        )
        first_done_seconds = time.monotonic() - released
        wait_until(
            lambda: all(p["state"] == "done" for p in odoo_site.line_productions(client, ready)),
            BATCH_TIMEOUT,
            what="every ready MO to close",
        )
    assert first_done
    assert agent.stop() == 0

    assert_each_mo_once(odoo_site, line_simulator, ready, tmp_path)
    assert len(line_simulator.line.received_sets) >= 3, "the line should have been refilled at least twice"
    assert not line_simulator.line.protocol_violations, line_simulator.line.protocol_violations
    gaps = monitor.refill_gaps()
    assert gaps, "no refill was observed"
    # The sync interval is 60 minutes: a refill within seconds shows the line did not wait for it.
    assert max(gaps) < 30, gaps
    (artifacts_dir / "e2e" / "figures.json").write_text(
        json.dumps(
            {
                "mos": len(ready),
                "first_mo_release_to_done_seconds": round(first_done_seconds, 2),
                "refill_gaps_seconds": [round(g, 3) for g in gaps],
            },
            indent=2,
        )
    )
    print(f"first MO release->done {first_done_seconds:.1f} s; refill gaps {[round(g, 2) for g in gaps]} s")

    status = agent.run_command("status")
    assert status.returncode == 0, status.stderr

    # What a production manager sees: the MO form's PLC page with the PLC's actuals.
    production = odoo_site.line_productions(client, ready[:1])[0]
    with agent_db(tmp_path) as db:
        components = json.loads(
            db.execute("SELECT components FROM mo_histories WHERE mo_id = ?", (production["name"],)).fetchone()[0]
        )
    png = artifacts_dir / "e2e" / "mo_form_plc_page.png"
    text = screenshot_mo_form(odoo_site, production["id"], png)
    assert png.stat().st_size > 10_000
    assert production["plc_batch_key"] in text
    for component in components:
        shown = f"{component['actual_quantity']:,.2f}"
        assert shown in text, f"{component['silo']}: {shown} not on the PLC page:\n{text}"

    # Its batch record, as an auditor reads it: where and when the PLC ran it, what it dosed.
    with agent_db(tmp_path) as db:
        slot, number = db.execute(
            "SELECT batch_no, batch_number FROM mo_histories WHERE mo_id = ?", (production["name"],)
        ).fetchone()
    runs = client.execute("mrp.plc.run", "search_read", [("production_id", "=", production["id"])],
                          ["run", "status", "slot", "batch_number"])
    assert [(r["run"], r["status"], r["slot"], r["batch_number"]) for r in runs] == [(1, "done", slot, number)]
    png = artifacts_dir / "e2e" / "batch_record.png"
    record = " ".join(screenshot_batch_record(odoo_site, production["id"], png).split())
    assert png.stat().st_size > 10_000
    for shown in (production["name"], production["plc_batch_key"], f"PLC slot {slot}",
                  f"PLC batch number {number}", "Consumption by silo", "Weight reported"):
        assert shown in record, f"{shown!r} not on the batch record:\n{record}"
    assert re.search(r"Batch started \(PLC\) \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [A-Z][A-Za-z+-]+", record), record
    for component in components:
        shown = f"{component['actual_quantity']:,.2f}"
        assert shown in record, f"{component['silo']}: {shown} not on the batch record:\n{record}"


def test_batches_wait_while_odoo_is_down_then_drain(odoo_site, line_simulator, agent_factory, tmp_path):
    names = odoo_site.create_mos(3, quantity=600.0)
    client = odoo_site.admin()
    agent = agent_factory()
    agent.start()
    wait_until(lambda: len(line_simulator.line.received_sets) >= 1, 120, what="the set to reach the PLC")
    odoo_site.server.stop()
    try:
        wait_until(lambda: len(line_simulator.line.completed_batches) >= 3, 120, what="the PLC to finish the set")
        time.sleep(3)  # the agent tries to push while Odoo is away
        with agent_db(tmp_path) as db:
            waiting = db.execute("SELECT COUNT(*) FROM mo_batch").fetchone()[0]
        assert waiting == 3, "finished batches must wait in the queue while Odoo is down"
    finally:
        odoo_site.server.start()
    client = odoo_site.admin()
    wait_until(
        lambda: all(p["state"] == "done" for p in odoo_site.line_productions(client, names)),
        BATCH_TIMEOUT,
        what="the waiting batches to drain into Odoo",
    )
    assert agent.stop() == 0
    assert_each_mo_once(odoo_site, line_simulator, names, tmp_path)


def test_agent_killed_and_restarted_mid_run(odoo_site, line_simulator, agent_factory, tmp_path):
    names = odoo_site.create_mos(4, quantity=700.0)
    client = odoo_site.admin()
    first = agent_factory(SYNC_BATCH_LIMIT="4")
    first.start()
    wait_until(lambda: len(line_simulator.line.completed_batches) >= 2, 120, what="two batches to finish")
    first.kill()
    second = agent_factory(SYNC_BATCH_LIMIT="4")
    second.start()
    wait_until(
        lambda: all(p["state"] == "done" for p in odoo_site.line_productions(client, names)),
        BATCH_TIMEOUT,
        what="every MO to close after the restart",
    )
    assert second.stop() == 0
    assert_each_mo_once(odoo_site, line_simulator, names, tmp_path)


def test_simulator_dropping_connections(odoo_site, line_simulator, agent_factory, tmp_path):
    names = odoo_site.create_mos(3, quantity=500.0)
    client = odoo_site.admin()
    agent = agent_factory()
    stop = threading.Event()

    def keep_dropping():
        while not stop.wait(0.7):
            line_simulator.drop_connections()

    dropper = threading.Thread(target=keep_dropping, daemon=True)
    agent.start()
    dropper.start()
    try:
        wait_until(
            lambda: all(p["state"] == "done" for p in odoo_site.line_productions(client, names)),
            BATCH_TIMEOUT,
            what="every MO to close while the PLC drops connections",
        )
    finally:
        stop.set()
        dropper.join(timeout=5)
    assert agent.stop() == 0
    assert_each_mo_once(odoo_site, line_simulator, names, tmp_path)


@pytest.mark.parametrize("transport, layout", [("udp", "old-program"), ("tcp", "shipped")])
def test_the_line_over_omron_fins(odoo_site, agent_factory, tmp_path, transport, layout):
    """The demo line with the agent on PLC_PROTOCOL=fins, as the old middleware reached the PLC:
    over FINS/UDP (a few datagrams lost, duplicated and late on the way) to a PLC that runs the
    old program (no word 77, REGISTER_MAP_FILE=old-program), and over FINS/TCP with the shipped
    map. Each MO dosed once, closed once with the PLC's actuals, and `check` names the link."""
    simulator = FinsPlcSimulator(load_register_map(packaged_map_path(layout)), transport=transport,
                                 node=FINS_PLC_NODE, batch_seconds=1.0, noise=0.03, seed=7)
    simulator.start("127.0.0.1", 0)
    try:
        if transport == "udp":
            simulator.faults.set_datagram_fault_rates(late_seconds=1.3, lose_request=0.02, lose_answer=0.02,
                                                      duplicate_answer=0.05, late_answer=0.02)
        odoo_site.create_mos(4, quantity=650.0)
        client = odoo_site.admin()
        # Every ready MO of the line: the demo MOs too when this runs alone.
        names = [p["name"] for p in odoo_site.line_productions(client) if p["plc_state"] == "ready"]
        assert len(names) >= 4, names
        agent = agent_factory(SYNC_BATCH_LIMIT="4", PLC_PROTOCOL="fins", PLC_FINS_TRANSPORT=transport,
                              PLC_PORT=str(simulator.port), PLC_FINS_DEST_NODE=str(FINS_PLC_NODE),
                              PLC_FINS_SOURCE_NODE="20", PLC_TIMEOUT_SECONDS="1", REGISTER_MAP_FILE=layout)
        assert agent.run_command("init-db").returncode == 0
        check = agent.run_command("check")
        assert check.returncode == 0, check.stdout + check.stderr
        assert f"FINS/{transport.upper()} 127.0.0.1:{simulator.port}, PLC node 0.{FINS_PLC_NODE}.0" in check.stdout
        assert "the agent reads the read area in 1 request of at most 999 words" in check.stdout
        assert ("no batch number (the old program's layout)" in check.stdout) == (layout == "old-program")
        agent.start()
        wait_until(
            lambda: all(p["state"] == "done" for p in odoo_site.line_productions(client, names)),
            BATCH_TIMEOUT,
            what=f"every MO to close over FINS/{transport.upper()}",
        )
        assert agent.stop() == 0
        assert_each_mo_once(odoo_site, simulator, names, tmp_path)
        assert not simulator.line.protocol_violations, simulator.line.protocol_violations
        if transport == "udp":
            assert simulator.faults.datagram_faults, "no datagram fault struck"
        if layout == "old-program":  # the PLC never wrote word 77 of any slot
            rmap = simulator.register_map
            assert all(simulator.registers(rmap.read_slot_address(n) + 77, 1) == [0] for n in range(1, 11))
    finally:
        simulator.stop()
