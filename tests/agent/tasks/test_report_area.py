"""What the failure and manual-weighing areas share (``plc_agent.tasks.report_area``), between
the simulator and the stand-in Odoo: stored before acknowledged, kept while Odoo is down and
sent when it returns, a lost answer sent again and answered with the first result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plc_agent.queue.failure import PlcFailure
from plc_agent.queue.models import utcnow
from plc_agent.queue.weighing import ManualWeighing

from ..helpers import report_waiting, rows, start_line, wait_until

WHEN = datetime(2026, 11, 28, 6, 1, 2, tzinfo=UTC)


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
