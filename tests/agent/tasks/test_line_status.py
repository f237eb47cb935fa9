"""Task 4 sends the line's status with ``plc_ping`` (docs/api.md); an older addon that only
knows ``plc_ping(line_code)`` still gets its ping, and the agent says so once."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from plc_agent import __version__
from plc_agent.odoo_gateway import OdooError, OdooGateway

from ..helpers import run_line_until_finished, wait_until


def test_health_sends_the_line_status_odoo_stores(tasks, engine, odoo_standin, plc_simulator):
    mo_ids = [odoo_standin.add_mo() for _ in range(3)]
    plc_simulator.faults.hold_before(3, "end")  # the third batch is running when health looks
    tasks.sync()
    wait_until(lambda: tasks.read_plc() and plc_simulator.line.held_at == (3, "end"), timeout=20,
               what="the third batch to be running")
    tasks.read_plc()

    report = tasks.health()
    assert report.odoo["ok"] and report.odoo["status_sent"] is True
    sent = odoo_standin.line_status("FM1")
    assert sent is not None
    status = sent["status"]
    assert status["agent_version"] == __version__
    assert status["queue"] == {"queued": 0, "written": 0, "running": 1, "finished": 2, "failed": 0, "held": 0,
                               "suspect": 0}
    assert status["running_mo"] == odoo_standin.mo(mo_ids[2])["name"]
    assert status["unsent"] == {"batches": 2, "failures": 0, "weighings": 0}
    assert status["stuck"] == 0
    assert status["plc"]["up"] is True and status["plc"]["last_error"] is None
    last_read = datetime.fromisoformat(status["plc"]["last_good_read_at"])
    assert timedelta(0) <= datetime.now(UTC) - last_read < timedelta(seconds=30)

    plc_simulator.faults.release()
    run_line_until_finished(tasks, engine)
    tasks.push()
    tasks.health()
    status = odoo_standin.line_status("FM1")["status"]
    assert status["queue"] == dict.fromkeys(status["queue"], 0)
    assert status["running_mo"] is None and status["unsent"] == {"batches": 0, "failures": 0, "weighings": 0}


def test_status_says_the_plc_is_down_with_its_error_and_counts_suspect(
        tasks, engine, odoo_standin, plc_simulator):
    odoo_standin.add_mo()
    plc_simulator.faults.set_garbage(True)  # 0xFFFF actuals: stored, acknowledged, marked suspect
    tasks.sync()
    wait_until(lambda: tasks.read_plc().suspect, timeout=20, what="the batch to be stored as suspect")
    plc_simulator.stop()

    report = tasks.health()
    assert report.plc["ok"] is False
    status = odoo_standin.line_status("FM1")["status"]
    assert status["plc"]["up"] is False
    assert "127.0.0.1" in status["plc"]["last_error"]
    assert status["plc"]["last_good_read_at"] is not None  # the reads before it went away
    assert status["queue"]["suspect"] == 1 and status["queue"]["finished"] == 1
    assert status["unsent"]["batches"] == 1
    # A suspect batch is stored and acknowledged: the line goes on, nothing is stuck.
    assert status["stuck"] == 0
    assert tasks.metrics.value("plc_agent_batches_stuck") == 0
    assert tasks.metrics.value("plc_agent_batches_suspect_total") == 1


def test_an_addon_without_the_status_argument_still_gets_its_ping(tasks, odoo_standin, caplog):
    odoo_standin.ping_takes_status = False
    with caplog.at_level(logging.WARNING, logger="plc_agent.odoo_gateway"):
        first = tasks.health()
        second = tasks.health()
    assert first.odoo["ok"] and second.odoo["ok"]
    assert first.odoo["status_sent"] is False
    assert [p["status"] for p in odoo_standin.pings] == [None, None]
    # The refused call once, then the old call each time: 3 pings for 2 health checks.
    assert odoo_standin.calls("plc_ping") == 3
    warnings = [r for r in caplog.records if "does not take the line's status" in r.getMessage()]
    assert len(warnings) == 1


def test_other_odoo_errors_of_the_ping_are_not_taken_for_an_old_addon(odoo_standin):
    gateway = OdooGateway(odoo_standin.url, odoo_standin.database, odoo_standin.username,
                          odoo_standin.password, timeout=5)
    with pytest.raises(OdooError, match="status.stuck: must be a whole number"):
        gateway.ping("FM1", {"stuck": "many"})
    assert gateway.ping_takes_status is None
    assert gateway.ping("FM1", {"stuck": 0}).ok and gateway.ping_takes_status is True


@pytest.mark.parametrize("status, key", [
    ({"agent_version": 2}, "agent_version"),
    ({"queue": {"running": -1}}, "queue"),
    ({"plc": {"up": "yes"}}, "plc.up"),
    ({"plc": {"last_error": 5}}, "plc.last_error"),
    ({"running_mo": ["WH/MO/1"]}, "running_mo"),
    ({"unsent": {"batches": True}}, "unsent"),
    ("up", "must be an object"),
])
def test_the_standin_refuses_a_status_of_the_wrong_type_naming_the_key(odoo_standin, status, key):
    gateway = OdooGateway(odoo_standin.url, odoo_standin.database, odoo_standin.username,
                          odoo_standin.password, timeout=5)
    with pytest.raises(OdooError, match="UserError") as caught:
        gateway.ping("FM1", status)
    assert key in str(caught.value)
    assert gateway.ping("FM1", {"future_key": {"anything": 1}}).ok  # unknown keys are ignored
