"""What a plant's monitoring sees of a run on a real Odoo 14: the agent's metrics endpoint
answers with the run's counts, and the health task's ping reaches Odoo (with the line's
status when the addon takes it, without it from an addon that does not)."""

from __future__ import annotations

import ast
import json
import socket
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from support.odoo14 import ADDONS_DIR

from .conftest import LINE, wait_until
from .test_chain import BATCH_TIMEOUT, assert_each_mo_once

pytestmark = pytest.mark.odoo


def addon_version() -> tuple[int, ...]:
    manifest = ast.literal_eval((ADDONS_DIR / "mrp_plc_bridge" / "__manifest__.py").read_text(encoding="utf-8"))
    return tuple(int(part) for part in manifest["version"].split("."))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_endpoint_answers_with_the_runs_counts(odoo_site, line_simulator, agent_factory, tmp_path):
    odoo_site.create_mos(3, quantity=600.0)
    client = odoo_site.admin()
    ready = [p["name"] for p in odoo_site.line_productions(client) if p["plc_state"] == "ready"]
    assert len(ready) >= 3
    port = free_port()
    agent = agent_factory(SYNC_BATCH_LIMIT="4", METRICS_PORT=str(port), HEALTH_INTERVAL_SECONDS="2")
    log_offset = agent.log_file.stat().st_size if agent.log_file.exists() else 0
    started = time.time()
    agent.start()
    wait_until(
        lambda: all(p["state"] == "done" for p in odoo_site.line_productions(client, ready)),
        BATCH_TIMEOUT,
        what="every ready MO to close",
    )
    wait_until(lambda: scrape(port).get(("plc_agent_queue_batches", (("state", "finished"),))) == 0,
               30, what="the agent's queue to drain")
    status_file = tmp_path / "status.json"

    def drained_and_pinged() -> bool:
        if not status_file.exists():
            return False
        health = json.loads(status_file.read_text())
        return health["queue"]["total"] == 0 and bool(health["odoo"].get("ok"))

    wait_until(drained_and_pinged, 30, what="a health check of the drained queue that reached Odoo")
    samples = scrape(port)
    assert agent.stop() == 0
    assert_each_mo_once(odoo_site, line_simulator, ready, tmp_path)

    def value(name: str, **labels: str) -> float | None:
        return samples.get((name, tuple(sorted(labels.items()))))

    count = len(ready)
    assert value("plc_agent_batches_fetched_total") == count
    assert value("plc_agent_batches_stored_total") == count
    assert value("plc_agent_batches_reported_total", outcome="done") == count
    for outcome in ("recorded", "failed", "rejected"):
        assert value("plc_agent_batches_reported_total", outcome=outcome) == 0, outcome
    assert value("plc_agent_batches_suspect_total") == 0
    for state in ("queued", "written", "running", "finished", "failed", "held"):
        assert value("plc_agent_queue_batches", state=state) == 0, state
    assert value("plc_agent_odoo_call_seconds_count", method="plc_report_batch") == count
    assert value("plc_agent_odoo_call_seconds_count", method="plc_ping") >= 1
    assert value("plc_agent_plc_request_seconds_count", operation="read") > 0
    now = time.time()
    assert started < value("plc_agent_odoo_last_answer_timestamp_seconds") <= now
    assert started < value("plc_agent_plc_last_good_read_timestamp_seconds") <= now

    # The ping with the line's status: taken by an addon of 14.0.1.2.0 or later; an older one
    # refuses the argument with Odoo's own TypeError and the agent pings without it.
    health = json.loads(status_file.read_text())
    log = agent.log_file.read_text()[log_offset:]
    if addon_version() >= (14, 0, 1, 2, 0):
        assert health["odoo"]["status_sent"] is True, health
        assert "does not take the line's status" not in log
        # What the line in Odoo shows from the agent's last ping: the drained queue after the run.
        line = client.execute("mrp.plc.line", "search_read", [("code", "=", LINE)],
                              ["plc_seen_at", "plc_agent_version", "plc_link", "plc_last_error",
                               "plc_last_good_read_at", "plc_queue_queued", "plc_queue_running",
                               "plc_held", "plc_stuck", "plc_running_mo", "plc_unsent_batches"])[0]
        assert line["plc_agent_version"] == __import__("plc_agent").__version__
        assert line["plc_link"] == "up" and not line["plc_last_error"]
        assert line["plc_last_good_read_at"] and line["plc_seen_at"]
        assert (line["plc_queue_queued"], line["plc_queue_running"], line["plc_held"], line["plc_stuck"],
                line["plc_unsent_batches"]) == (0, 0, 0, 0, 0), line
        assert not line["plc_running_mo"]
        pings = client.execute("mrp.plc.line.ping", "search_count", [("line_id.code", "=", LINE)])
        assert pings >= 1
    else:
        assert health["odoo"]["status_sent"] is False, health
        assert log.count("does not take the line's status") == 1
    assert LINE == health["line"]
