"""How long one failure and one weighing take from the PLC's words to the (stand-in) Odoo's
answer, with the service running as deployed (one scheduler, the PLC poll, the chained push).

The figures are printed (run with ``-s``); the assertion only bounds them by one poll
interval plus a generous margin, because the machine is shared and times are noisy.
"""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from plc_agent.queue.failure import PlcFailure
from plc_agent.queue.weighing import ManualWeighing
from plc_agent.service import AgentService

from ..conftest import with_settings
from ..helpers import wait_until

POLL_SECONDS = 1.0


def test_failure_and_weighing_from_plc_to_odoo(agent_settings, make_tasks, engine, odoo_standin,
                                               plc_simulator):
    odoo_standin.add_product(55)
    odoo_standin.add_mo()
    settings = with_settings(agent_settings, plc_poll_interval_seconds=POLL_SECONDS,
                             enable_auto_sync=False, push_interval_seconds=30.0)
    service = AgentService(settings, make_tasks(settings))
    runner = threading.Thread(target=service.run, kwargs={"max_seconds": 60}, daemon=True)
    runner.start()
    try:
        figures, handling = {}, {}
        for area, method, model, report in (
                ("failure", "plc_report_failure", PlcFailure,
                 lambda: plc_simulator.report_failure("silo101", "START_FAILURE")),
                ("weighing", "plc_report_manual_weighing", ManualWeighing,
                 lambda: plc_simulator.report_weighing(55, 12.5, "WH/MO/00001", 1))):
            report()
            calls = wait_until(lambda method=method: odoo_standin.area_calls(method), timeout=15,
                               what=f"the {area} in Odoo")
            written = plc_simulator.written_at(area)[0]
            answered = datetime.fromisoformat(calls[0]["at"])
            figures[area] = (answered - written).total_seconds()
            with Session(engine) as session:
                read_at = session.scalars(select(model.read_at)).one()
            handling[area] = (answered - read_at).total_seconds()  # store, acknowledge, send
            assert calls[0]["result"]["status"] in ("stored", "consumed")
    finally:
        service.request_stop()
        runner.join(timeout=10)
    print(f"\nPLC -> Odoo with a {POLL_SECONDS:g} s poll: failure {figures['failure']:.3f} s, "
          f"weighing {figures['weighing']:.3f} s; from the agent's read: failure "
          f"{handling['failure']:.3f} s, weighing {handling['weighing']:.3f} s")
    assert all(0 <= seconds < POLL_SECONDS + 3 for seconds in figures.values()), figures
