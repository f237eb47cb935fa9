"""Task 4, health (``plc_agent.tasks.health``): the queue's figures, stuck batches, both ends and
the status file.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from plc_agent.queue.models import utcnow


def test_health_reports_queue_stuck_batches_and_both_ends(tasks, engine, odoo_standin,
                                                          plc_simulator, agent_settings, caplog):
    for _ in range(2):
        odoo_standin.add_mo()
    tasks.sync()
    caplog.set_level(logging.INFO, logger="plc_agent")
    report = tasks.health()
    assert report.queue["total"] == 2 and report.queue["finished"] == 0
    assert report.odoo["ok"] and report.plc["ok"] and report.stuck == []
    data = json.loads(agent_settings.status_file.read_text())
    assert data["queue"]["total"] == 2 and data["odoo"]["ok"] is True

    # An hour later nothing was read: written but never seen is stuck.
    tasks.clock = lambda: utcnow() + timedelta(hours=1)
    odoo_standin.go_down()
    plc_simulator.stop()
    report = tasks.health()
    problems = [s["problem"] for s in report.stuck]
    assert sum("never seen in the read area" in p for p in problems) == 2
    assert any("the PLC has started none of its 2 batch(es)" in p for p in problems)
    assert len(report.stuck) == 3
    assert report.odoo["ok"] is False and report.plc["ok"] is False
    assert any("[TASK 4] Stuck batch slot 1" in m for m in caplog.messages)
    data = json.loads(agent_settings.status_file.read_text())
    assert len(data["stuck"]) == 3 and data["plc"]["ok"] is False
