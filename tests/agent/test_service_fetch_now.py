"""New work goes at once: the health job's ping says MOs are ready, and on an empty queue the
service runs the sync right after it, in its own loop; never over a queue that holds batches,
and not at all when Odoo's addon does not say (the sync interval stays the fallback)."""

from __future__ import annotations

import threading
import time

from plc_agent.service import AgentService

from .conftest import with_settings
from .helpers import wait_until


def test_ready_mos_on_an_empty_queue_run_exactly_one_sync_at_once(agent_settings, make_tasks,
                                                                   odoo_standin, plc_simulator):
    service = AgentService(agent_settings, make_tasks(agent_settings))
    service.schedule_jobs()
    mos = [odoo_standin.add_mo() for _ in range(2)]
    report = service.run_health()
    assert report is not None and report.work_waiting
    assert service.job_runs["sync"] == 1
    assert odoo_standin.calls("plc_fetch_batches") == 1
    assert all(odoo_standin.mo(mo)["plc_state"] == "sent" for mo in mos)
    wait_until(lambda: len(plc_simulator.line.received_sets) == 1, what="the set in the PLC")
    # The next ping finds the queue full and nothing ready: no further sync.
    service.run_health()
    assert service.job_runs["sync"] == 1
    assert odoo_standin.calls("plc_fetch_batches") == 1


def test_ready_mos_while_the_queue_holds_batches_run_nothing(agent_settings, make_tasks, odoo_standin):
    tasks = make_tasks(agent_settings)
    service = AgentService(agent_settings, tasks)
    service.schedule_jobs()
    odoo_standin.add_mo()
    tasks.sync()
    later = odoo_standin.add_mo()
    report = service.run_health()
    assert report.odoo["ready_mos"] == 1 and report.queue["total"] == 1
    assert not report.work_waiting
    assert service.job_runs["sync"] == 0
    assert odoo_standin.calls("plc_fetch_batches") == 1
    assert odoo_standin.mo(later)["plc_state"] == "ready"


def test_an_addon_without_the_count_keeps_the_sync_interval(agent_settings, make_tasks, odoo_standin):
    odoo_standin.ping_counts_ready = False
    service = AgentService(agent_settings, make_tasks(agent_settings))
    service.schedule_jobs()
    mo = odoo_standin.add_mo()
    for _ in range(3):
        report = service.run_health()
        assert report.odoo["ok"] and report.odoo["ready_mos"] is None
    assert service.job_runs["sync"] == 0
    assert odoo_standin.calls("plc_fetch_batches") == 0
    assert odoo_standin.mo(mo)["plc_state"] == "ready"
    assert report.next_fetch.reason.startswith("at the sync every 60 min")
    assert 3500 < report.next_fetch.in_seconds <= 3600


def test_no_auto_sync_fetches_nothing_on_the_count(agent_settings, make_tasks, odoo_standin):
    settings = with_settings(agent_settings, enable_auto_sync=False)
    service = AgentService(settings, make_tasks(settings))
    service.schedule_jobs()
    odoo_standin.add_mo()
    service.run_health()
    assert service.job_runs["sync"] == 0 and odoo_standin.calls("plc_fetch_batches") == 0


def test_an_mo_released_on_an_idle_line_reaches_the_plc_within_the_ping_interval(
        agent_settings, make_tasks, odoo_standin, plc_simulator):
    """The whole loop: sync every 60 min, ping every second; the MO goes at the next ping."""
    settings = with_settings(agent_settings, health_interval_seconds=1.0, plc_poll_interval_seconds=0.2)
    service = AgentService(settings, make_tasks(settings))
    thread = threading.Thread(target=service.run, kwargs={"max_seconds": 30}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: service.job_runs["health"] >= 1, what="the first ping")
        assert service.job_runs["sync"] == 1  # the start-up sync, into an empty Odoo
        released = time.monotonic()
        odoo_standin.add_mo()
        wait_until(lambda: len(plc_simulator.line.received_sets) == 1, timeout=10, interval=0.01,
                   what="the MO in the PLC")
        waited = time.monotonic() - released
    finally:
        service.request_stop()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert waited <= settings.health_interval_seconds + 1.0, waited
    assert service.job_runs["sync"] == 2
