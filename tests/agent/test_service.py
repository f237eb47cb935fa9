"""The service loop (``plc_agent.service``): its jobs chained so that a busy line is refilled
right after the push that empties the queue, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
import time

from plc_agent.service import AgentService

from .conftest import with_settings
from .helpers import history, wait_until


def test_service_refills_right_after_last_push(agent_settings, make_tasks, engine, odoo_standin,
                                               plc_simulator):
    """A busy line: the service chains read -> push -> sync, so the PLC waits about one poll
    interval for its next set, not the sync interval (60 min here)."""
    settings = with_settings(agent_settings, plc_poll_interval_seconds=0.5)
    tasks = make_tasks(settings)
    for _ in range(2):
        odoo_standin.add_mo()
    service = AgentService(settings, tasks)
    thread = threading.Thread(target=service.run, kwargs={"max_seconds": 40}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: len(plc_simulator.line.received_sets) == 1, what="first set in the PLC")
        # Released while the first set runs: they go in right after it.
        later = [odoo_standin.add_mo() for _ in range(2)]
        wait_until(lambda: len(plc_simulator.line.completed_batches) == 2, interval=0.005,
                   what="first set finished")
        last_batch_done = time.monotonic()
        wait_until(lambda: len(plc_simulator.line.received_sets) == 2, timeout=20, interval=0.005,
                   what="second set")
        idle = time.monotonic() - last_batch_done
        wait_until(lambda: all(odoo_standin.mo(i)["plc_state"] == "done" for i in later),
                   timeout=20, what="second set reported")
    finally:
        service.request_stop()
        thread.join(timeout=10)
    assert not thread.is_alive()
    print(f"line idle between sets: {idle:.3f} s (poll interval 0.5 s)")
    assert idle <= settings.plc_poll_interval_seconds + 2.0
    assert odoo_standin.calls("plc_fetch_batches") >= 2
    assert len(history(engine)) == 4
    assert [len(s) for s in plc_simulator.line.received_sets] == [2, 2]
    assert plc_simulator.line.protocol_violations == []
