"""Task 5 (failures) and manual weighing, end to end between the simulator and the stand-in
Odoo: stored before acknowledged, sent once, kept while Odoo is down, final answers kept,
bad words never blocking the area, and a kill between storing and acknowledging."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plc_agent.queue.models import DeliveryState, utcnow
from plc_agent.queue.failure import PlcFailure
from plc_agent.queue.weighing import ManualWeighing

from .helpers import run_line_until_finished, wait_until
from .test_faults import agent

WHEN = datetime(2026, 11, 28, 6, 1, 2, tzinfo=timezone.utc)


def rows(engine: Any, model: Any) -> list[Any]:
    with Session(engine) as s:
        return list(s.scalars(select(model).order_by(model.id)).all())


def report_waiting(simulator: Any, area: Any) -> bool:
    return area.decode(simulator.registers(area.start, area.extent)).waiting


def start_line(tasks: Any, engine: Any, odoo_standin: Any) -> str:
    mo_id = odoo_standin.add_mo()
    tasks.sync()
    run_line_until_finished(tasks, engine, accept=("running", "finished"))
    return odoo_standin.mo(mo_id)["name"]


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


def _env(settings: Any) -> dict[str, str]:
    return {"DATABASE_URL": settings.database_url, "ODOO_URL": settings.odoo_url,
            "ODOO_DATABASE": settings.odoo_database, "ODOO_USERNAME": settings.odoo_username,
            "ODOO_PASSWORD": settings.odoo_password, "PLC_HOST": settings.plc_host,
            "PLC_PORT": str(settings.plc_port), "PLC_TIMEOUT_SECONDS": "1", "ODOO_TIMEOUT_SECONDS": "5"}


def test_report_is_committed_before_the_handshake_is_set(tasks, engine, plc_simulator, register_map):
    seen: list[tuple[int, list[int], int, int]] = []
    write = tasks.plc.write_registers

    def watching(address: int, values: list[int]) -> None:
        with Session(engine) as s:  # another connection: sees only what is committed
            seen.append((address, values, s.scalar(select(func.count()).select_from(PlcFailure)),
                         s.scalar(select(func.count()).select_from(ManualWeighing))))
        write(address, values)

    tasks.plc.write_registers = watching
    plc_simulator.report_failure("silo102", "SENSOR_ERROR", when=WHEN)
    plc_simulator.report_weighing(55, 2.5, "WH/MO/00001", 1)
    wait_until(lambda: report_waiting(plc_simulator, register_map.weighing_area), what="the weighing")
    wait_until(lambda: report_waiting(plc_simulator, register_map.failure_area), what="the failure")
    tasks.read_failures()
    tasks.read_weighing()
    assert seen == [(8022, [1], 1, 0), (9013, [1], 1, 1)]


def test_stored_while_odoo_is_down_and_sent_when_it_returns(tasks, engine, odoo_standin, plc_simulator,
                                                            register_map):
    odoo_standin.add_product(55)
    mo_name = start_line(tasks, engine, odoo_standin)
    odoo_standin.go_down()
    plc_simulator.report_failure("silo101", "START_FAILURE", when=WHEN)
    plc_simulator.report_failure("silo104", "MOTOR_FAILURE", when=WHEN + timedelta(seconds=40))
    plc_simulator.report_weighing(55, 12.5)
    for _ in range(2):  # the PLC's second failure follows the first: the area is not blocked
        wait_until(lambda: report_waiting(plc_simulator, register_map.failure_area), what="a failure")
        assert tasks.read_failures().stored == 1
    wait_until(lambda: report_waiting(plc_simulator, register_map.weighing_area), what="the weighing")
    assert tasks.read_weighing().stored == 1
    assert tasks.push_failures().unsent == 2 and tasks.push_weighings().unsent == 1
    assert [f.last_error is not None for f in rows(engine, PlcFailure)] == [True, False]  # stops at the outage
    odoo_standin.come_up()
    tasks.clock = lambda: utcnow() + timedelta(minutes=30)  # past the backoff
    assert tasks.push_failures().answered == 2
    assert tasks.push_weighings().answered == 1
    assert [f["equipment"] for f in odoo_standin.failures] == ["silo101", "silo104"]
    (consumed,) = odoo_standin.manual_consumption(1)
    assert (consumed["product_template_id"], consumed["quantity"]) == (55, 12.5)
    (weighing,) = rows(engine, ManualWeighing)
    assert weighing.mo_name == mo_name and weighing.batch_number == 1 and weighing.outcome == "consumed"


def test_kept_rejected_and_bad_words_are_final_and_never_block_the_area(
        tasks, engine, odoo_standin, plc_simulator, register_map, agent_settings, tmp_path):
    area = register_map.weighing_area
    odoo_standin.add_product(55)
    odoo_standin.add_product(56, variants=3)
    mo_id = odoo_standin.add_mo()
    bad_quantity = area.encode({"batch_number": 1, "mo_reference": "WH/MO/00001", "product_id": 55,
                                "quantity": 1.0})
    bad_quantity[11:13] = [0xFFFF, 0xFFFF]
    plc_simulator.report_weighing(55, 4.0, "WH/MO/09999", 1)  # an MO the agent never saw
    plc_simulator.report_weighing(56, 4.0, "WH/MO/00001", 1)  # a template with several variants
    plc_simulator.report_raw("weighing", bad_quantity)
    plc_simulator.report_weighing(55, 6000.0, "WH/MO/00001", 1)  # an implausible quantity
    plc_simulator.report_weighing(55, 3.25, "WH/MO/00001", 1)  # a good one after all of them
    for _ in range(5):
        wait_until(lambda: report_waiting(plc_simulator, area), what="the next weighing")
        assert tasks.read_weighing().acknowledged == 1
        tasks.push_weighings()
    wait_until(lambda: plc_simulator.pending_reports("weighing") == 0, what="the PLC to see the last ack")
    stored = rows(engine, ManualWeighing)
    assert [(w.state.value, w.outcome) for w in stored] == [
        ("answered", "kept"), ("answered", "kept"), ("invalid", None), ("answered", "kept"),
        ("answered", "consumed")]
    assert "no MO 'WH/MO/09999'" in stored[0].reason and "3 variants" in stored[1].reason
    assert stored[2].reason == "not sent to Odoo: quantity unreadable"
    assert stored[2].raw_words[11:13] == [0xFFFF, 0xFFFF]
    assert [c["quantity"] for c in odoo_standin.manual_consumption(mo_id)] == [3.25]
    calls = len(odoo_standin.area_calls("plc_report_manual_weighing"))
    assert calls == 4  # the invalid one was never sent
    tasks.clock = lambda: utcnow() + timedelta(days=1)
    assert tasks.push_weighings().attempted == 0  # final answers are never asked again
    p = agent(agent_settings, "status", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "Manual weighings: 1 consumed, 1 invalid, 3 kept" in p.stdout
    assert "not sent to Odoo: quantity unreadable raw [1, " in p.stdout
    assert "kept: mo_name: no MO 'WH/MO/09999'" in p.stdout


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


def test_killed_between_storing_and_acknowledging_sends_nothing_twice(agent_settings, engine, odoo_standin,
                                                                      plc_simulator, register_map, tmp_path):
    odoo_standin.add_product(55)
    odoo_standin.add_mo()
    assert agent(agent_settings, "init-db", cwd=tmp_path).returncode == 0
    plc_simulator.report_failure("silo101", "START_FAILURE", when=WHEN)
    plc_simulator.report_weighing(55, 7.5, "WH/MO/00001", 1)
    for task, area, model in (("failures", register_map.failure_area, PlcFailure),
                              ("weighing", register_map.weighing_area, ManualWeighing)):
        wait_until(lambda: report_waiting(plc_simulator, area), what=f"the {task} report")
        p = agent(agent_settings, "once", task, crash_at="after_area_store", cwd=tmp_path)
        assert p.returncode == 137, p.stderr
        (row,) = rows(engine, model)
        assert row.plc_acknowledged_at is None and row.state is DeliveryState.UNSENT
        assert report_waiting(plc_simulator, area)  # the PLC still shows it: no handshake
        p = agent(agent_settings, "once", task, cwd=tmp_path)
        assert p.returncode == 0, p.stderr
        (row,) = rows(engine, model)  # recognised, not stored again
        assert row.plc_acknowledged_at is not None and row.state is DeliveryState.ANSWERED
        assert not report_waiting(plc_simulator, area)
        assert agent(agent_settings, "once", task, cwd=tmp_path).returncode == 0
    assert len(odoo_standin.area_calls("plc_report_failure")) == 1
    assert len(odoo_standin.area_calls("plc_report_manual_weighing")) == 1
    assert [c["quantity"] for c in odoo_standin.manual_consumption(1)] == [7.5]
    wait_until(lambda: len(plc_simulator.delivered("weighing")) == 1, what="the PLC to see the ack")
    assert len(plc_simulator.delivered("failure")) == 1


def test_lost_answer_is_sent_again_and_odoo_answers_the_first_result(tasks, engine, odoo_standin,
                                                                     plc_simulator, register_map):
    odoo_standin.add_product(55)
    odoo_standin.add_mo()
    plc_simulator.report_weighing(55, 1.5, "WH/MO/00001", 1)
    wait_until(lambda: report_waiting(plc_simulator, register_map.weighing_area), what="the weighing")
    tasks.read_weighing()
    odoo_standin.fail_next("plc_report_manual_weighing", "lost_reply")
    assert tasks.push_weighings().answered == 0
    tasks.clock = lambda: utcnow() + timedelta(minutes=30)
    assert tasks.push_weighings().answered == 1
    results = [c["result"] for c in odoo_standin.area_calls("plc_report_manual_weighing")]
    assert [(r["status"], r["duplicate"]) for r in results] == [("consumed", False), ("consumed", True)]
    assert len(odoo_standin.manual_consumption(1)) == 1
