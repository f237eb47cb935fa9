"""Task 5, failures (``plc_agent.tasks.failures``): a failure during a batch reaches Odoo once with
its MO, the PLC clock's zone is the setting's, a repeated report is stored once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from plc_agent.queue.failure import PlcFailure
from plc_agent.queue.models import DeliveryState

from ..helpers import report_waiting, rows, start_line, wait_until

WHEN = datetime(2026, 11, 28, 6, 1, 2, tzinfo=UTC)


def _env(settings: Any) -> dict[str, str]:
    return {"DATABASE_URL": settings.database_url, "ODOO_URL": settings.odoo_url,
            "ODOO_DATABASE": settings.odoo_database, "ODOO_USERNAME": settings.odoo_username,
            "ODOO_PASSWORD": settings.odoo_password, "PLC_HOST": settings.plc_host,
            "PLC_PORT": str(settings.plc_port), "PLC_TIMEOUT_SECONDS": "1", "ODOO_TIMEOUT_SECONDS": "5"}


def test_failure_during_a_batch_reaches_odoo_once_with_its_mo(tasks, engine, odoo_standin, plc_simulator,
                                                              register_map):
    area = register_map.failure_area
    mo_name = start_line(tasks, engine, odoo_standin)
    plc_simulator.report_failure("silo101", "START_FAILURE", when=WHEN)
    wait_until(lambda: report_waiting(plc_simulator, area), what="the failure in the area")
    assert tasks.read_failures().stored == 1
    assert plc_simulator.registers(area.handshake_address, 1) == [1]
    (failure,) = rows(engine, PlcFailure)
    assert failure.failure_key == "FM1/silo101/START_FAILURE/20261128T060102Z"
    assert failure.plc_acknowledged_at is not None and failure.state is DeliveryState.UNSENT
    push = tasks.push_failures()
    assert (push.attempted, push.answered, push.unsent) == (1, 1, 0)
    assert [f["mo_names"] for f in odoo_standin.failures] == [[mo_name]]
    assert odoo_standin.failures[0]["occurred_at"] == "2026-11-28T06:01:02+00:00"
    # Read and pushed again: nothing new, nothing sent twice.
    assert tasks.read_failures().stored == 0
    assert tasks.push_failures().attempted == 0
    wait_until(lambda: plc_simulator.delivered("failure"), what="the PLC to see the acknowledgement")
    assert len(odoo_standin.area_calls("plc_report_failure")) == 1
    (failure,) = rows(engine, PlcFailure)
    assert (failure.state, failure.outcome, failure.odoo_result["failure_id"]) == (
        DeliveryState.ANSWERED, "stored", 1)


def test_the_plc_clock_zone_setting(make_settings, make_tasks, agent_settings, engine, plc_simulator,
                                    register_map):
    tasks = make_tasks(make_settings(**{**_env(agent_settings), "PLC_TIMEZONE": "Europe/Paris"}))
    plc_simulator.reports.zone = ZoneInfo("Europe/Paris")
    plc_simulator.report_failure("mixer_01", "OVERLOAD", when=WHEN)
    wait_until(lambda: report_waiting(plc_simulator, register_map.failure_area), what="the failure")
    tasks.read_failures()
    (failure,) = rows(engine, PlcFailure)
    # The PLC wrote 07:01:02 Paris time; the agent stores and reports UTC.
    assert plc_simulator.registers(8019, 3) == [0x07, 0x01, 0x02]
    assert failure.occurred_at == WHEN and failure.failure_key.endswith("/20261128T060102Z")


def test_a_repeated_failure_is_acknowledged_not_stored_twice(tasks, engine, plc_simulator, register_map,
                                                             odoo_standin):
    for _ in range(2):
        plc_simulator.report_failure("silo101", "START_FAILURE", when=WHEN)
    for _ in range(2):
        wait_until(lambda: report_waiting(plc_simulator, register_map.failure_area), what="a failure")
        assert tasks.read_failures().acknowledged == 1
    assert len(rows(engine, PlcFailure)) == 1
    tasks.push_failures()
    assert len(odoo_standin.area_calls("plc_report_failure")) == 1
