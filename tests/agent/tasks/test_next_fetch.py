"""When the agent fetches next (``plc_agent.tasks.next_fetch``), and how Task 4 sends it with the
ping, reads Odoo's ready count and writes both to the status file."""

from __future__ import annotations

import json

import pytest

from plc_agent.tasks.next_fetch import MAX_SECONDS, NextFetch, plan_next_fetch

from ..helpers import agent

IDLE = {"auto_sync": True, "queued": 0, "ping_tells_ready": True, "ping_interval_seconds": 30.0,
        "seconds_to_sync": 1234.2, "sync_interval_minutes": 60}


def test_an_idle_line_fetches_at_the_next_ping():
    assert plan_next_fetch(**IDLE) == NextFetch(30, "at the next ping if Odoo has MOs ready (every 30 s)")
    # Before Odoo's first answer the ping is assumed to tell (an older addon ignores it).
    assert plan_next_fetch(**{**IDLE, "ping_tells_ready": None}).in_seconds == 30


def test_a_line_with_batches_fetches_when_they_are_done():
    assert plan_next_fetch(**{**IDLE, "queued": 3}) == NextFetch(
        None, "when the 3 batch(es) in its queue are done")


def test_an_older_addon_leaves_the_sync_interval():
    planned = plan_next_fetch(**{**IDLE, "ping_tells_ready": False})
    assert planned.in_seconds == 1235
    assert planned.reason.startswith("at the sync every 60 min")
    assert "14.0.1.4.0" in planned.reason
    unknown = plan_next_fetch(**{**IDLE, "ping_tells_ready": False, "seconds_to_sync": None})
    assert unknown.in_seconds == 3600


def test_no_auto_sync_never_fetches():
    assert plan_next_fetch(**{**IDLE, "auto_sync": False}).in_seconds is None
    assert "ENABLE_AUTO_SYNC" in plan_next_fetch(**{**IDLE, "auto_sync": False}).reason


@pytest.mark.parametrize(("seconds", "sent"), [(-5.0, 0), (10 * 24 * 3600.0, MAX_SECONDS)])
def test_seconds_are_kept_within_what_odoo_takes(seconds, sent):
    assert plan_next_fetch(**{**IDLE, "ping_interval_seconds": seconds}).in_seconds == sent


def test_health_sends_the_next_fetch_and_reads_the_ready_count(tasks, odoo_standin, agent_settings):
    odoo_standin.add_mo()
    odoo_standin.add_mo()
    report = tasks.health()
    assert report.odoo["ready_mos"] == 2
    assert report.work_waiting
    sent = odoo_standin.line_status(agent_settings.line_code)["status"]["next_fetch"]
    assert sent["in_seconds"] == int(agent_settings.health_interval_seconds)
    assert sent["reason"].startswith("at the next ping")
    data = json.loads(agent_settings.status_file.read_text())
    assert data["odoo"]["ready_mos"] == 2
    assert data["next_fetch"]["reason"] == sent["reason"]
    assert data["next_fetch"]["at"] > data["checked_at"]

    tasks.sync()
    report = tasks.health()
    assert report.odoo["ready_mos"] == 0 and not report.work_waiting
    sent = odoo_standin.line_status(agent_settings.line_code)["status"]["next_fetch"]
    assert sent == {"in_seconds": None, "reason": "when the 2 batch(es) in its queue are done"}
    assert json.loads(agent_settings.status_file.read_text())["next_fetch"]["at"] is None


def test_an_older_addon_says_no_count_and_the_next_ping_says_the_sync(tasks, odoo_standin,
                                                                      agent_settings):
    odoo_standin.ping_counts_ready = False
    odoo_standin.add_mo()
    report = tasks.health()
    assert report.odoo["ready_mos"] is None and not report.work_waiting
    tasks.health()
    sent = odoo_standin.line_status(agent_settings.line_code)["status"]["next_fetch"]
    assert sent["reason"].startswith("at the sync every")


def test_status_prints_the_next_fetch(agent_settings, odoo_standin, plc_simulator, tmp_path):
    assert agent(agent_settings, "init-db", cwd=tmp_path).returncode == 0
    assert agent(agent_settings, "once", "health", cwd=tmp_path).returncode == 0
    p = agent(agent_settings, "status", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    line = next(text for text in p.stdout.splitlines() if "Next fetch:" in text)
    assert "at the next ping if Odoo has MOs ready (every 30 s) (about 20" in line
    assert line.endswith(" UTC)")
    odoo_standin.add_mo()
    assert agent(agent_settings, "once", "sync", cwd=tmp_path).returncode == 0
    assert agent(agent_settings, "once", "health", cwd=tmp_path).returncode == 0
    p = agent(agent_settings, "status", cwd=tmp_path)
    assert "  Next fetch: when the 1 batch(es) in its queue are done\n" in p.stdout
