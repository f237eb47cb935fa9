"""Tasks 1-4 one by one: refused batches, re-delivery, implausible values, outcomes, health."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

from plc_agent.queue.models import utcnow

from .helpers import batches, history, run_line_until_finished, wait_until

MANY = tuple((str(101 + k), f"RM-{k}", f"Raw {k}", 10.0, "kg") for k in range(16))


def test_batch_that_does_not_fit_is_reported_failed_not_written(tasks, engine, odoo_standin,
                                                                plc_simulator, caplog):
    ok = odoo_standin.add_mo()
    bad_silo = odoo_standin.add_mo(components=(("A", "RM-X", "X", 10.0, "kg"),))
    too_many = odoo_standin.add_mo(components=MANY)
    caplog.set_level(logging.INFO, logger="plc_agent")
    result = tasks.sync()
    assert result.inserted == 3 and result.refused == 2
    rows = {r.mo_name: r for r in batches(engine)}
    assert rows[odoo_standin.mo(bad_silo)["name"]].plc_excluded
    assert "'A'" in rows[odoo_standin.mo(bad_silo)["name"]].message
    assert "16 components" in rows[odoo_standin.mo(too_many)["name"]].message
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any(odoo_standin.mo(bad_silo)["name"] in m for m in errors)
    # only the fitting batch went to the PLC, in its slot; the other slots are zeros
    wait_until(lambda: plc_simulator.line.received_sets, what="set taken")
    assert plc_simulator.line.received_sets == [[(1, 1, odoo_standin.mo(ok)["name"])]]

    push = tasks.push()  # the refused ones are pushable at once
    assert push.archived == 2
    for mo_id in (bad_silo, too_many):
        mo = odoo_standin.mo(mo_id)
        assert mo["plc_state"] == "failed" and "Not sent to the PLC" in mo["plc_reason"]
    assert {h.outcome for h in history(engine)} == {"failed"}

    run_line_until_finished(tasks, engine)
    assert tasks.push().archived == 1
    assert odoo_standin.mo(ok)["plc_state"] == "done"


def test_redelivered_mo_already_in_history_is_not_queued_again(tasks, engine, odoo_standin,
                                                               plc_simulator, caplog):
    mo_id = odoo_standin.add_mo(components=(("101", "RM-A", "A", 100.0, "kg"),))
    tasks.sync()
    run_line_until_finished(tasks, engine)
    # Odoo rejects the report (the MO was cancelled meanwhile) and keeps it "sent".
    odoo_standin.cancel_mo(mo_id)
    caplog.set_level(logging.INFO, logger="plc_agent")
    assert tasks.push().archived == 1
    (h,) = history(engine)
    assert h.outcome == "rejected" and "cancelled" in h.reason
    assert any(r.levelno == logging.ERROR and "rejected" in r.getMessage() for r in caplog.records)
    # Odoo delivers the MO again: the agent refuses to run it twice.
    odoo_standin._mos[mo_id]["state"] = "confirmed"
    wait_until(lambda: plc_simulator.line.state == "ready", what="PLC ready")
    caplog.clear()
    result = tasks.sync()
    assert result.inserted == 0 and batches(engine) == []
    name = odoo_standin.mo(mo_id)["name"]
    assert any(r.levelno == logging.ERROR and name in r.getMessage() and "planner" in r.getMessage()
               for r in caplog.records)
    assert len(plc_simulator.line.received_sets) == 1


def test_garbage_values_are_stored_acknowledged_and_reported_suspect(tasks, engine, odoo_standin,
                                                                     plc_simulator, caplog):
    mo_id = odoo_standin.add_mo(components=(("101", "RM-A", "A", 100.0, "kg"),))
    plc_simulator.faults.set_garbage(True)
    tasks.sync()
    caplog.set_level(logging.WARNING, logger="plc_agent")
    run_line_until_finished(tasks, engine)
    (row,) = batches(engine)
    assert row.state == "finished"
    assert [(s["silo"], s["raw_words"]) for s in row.suspect] == [
        ("101", [0xFFFF, 0xFFFF]), (None, [0xFFFF, 0xFFFF])]
    assert all("0xFFFF" in s["reason"] for s in row.suspect)
    # scaled_int32 0xFFFFFFFF is -0.01: not a quantity, so reported as 0 / no weight
    assert row.components[0].actual_quantity == 0.0 and row.finished_weight is None
    assert any("suspect" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    rmap = tasks.register_map
    assert plc_simulator.registers(rmap.read_ack_address(1), 1) == [1]  # the line goes on
    wait_until(lambda: plc_simulator.line.state == "ready", what="PLC ready")

    assert tasks.push().archived == 1
    (h,) = history(engine)
    assert h.outcome == "recorded" and h.report_payload["suspect"] == row.suspect
    assert h.report_payload["finished_quantity"] is None
    assert h.report_payload["consumption"] == [{"silo": "101", "quantity": 0.0}]
    mo = odoo_standin.mo(mo_id)
    assert mo["plc_state"] == "recorded" and mo["plc_suspect"] and mo["times_closed"] == 0


def test_more_than_the_factor_of_the_plan_is_suspect(tasks, engine, odoo_standin, plc_simulator):
    odoo_standin.add_mo(quantity=1000.0, components=(("101", "RM-A", "A", 100.0, "kg"),))
    plc_simulator.faults.report_weight(1, 5000.0)
    tasks.sync()
    run_line_until_finished(tasks, engine)
    (row,) = batches(engine)
    assert row.state == "finished" and row.finished_weight == pytest.approx(5000.0)
    (entry,) = row.suspect
    assert entry["silo"] is None and "5000 is more than 1.5 x the planned 1000" in entry["reason"]
    assert tasks.push().archived == 1
    assert history(engine)[0].report_payload["finished_quantity"] == pytest.approx(5000.0)


def test_failed_batch_is_reported_failed_with_what_it_used(tasks, engine, odoo_standin, plc_simulator):
    good, bad = odoo_standin.add_mo(), odoo_standin.add_mo()
    plc_simulator.faults.fail_batch(2)
    tasks.sync()
    run_line_until_finished(tasks, engine)
    rows = batches(engine)
    assert [r.state for r in rows] == ["finished", "failed"]
    assert rows[1].status_operation and rows[1].message
    assert tasks.push().archived == 2
    assert odoo_standin.mo(good)["plc_state"] == "done"
    failed = odoo_standin.mo(bad)
    assert failed["plc_state"] == "failed" and failed["actuals"]
    assert [h.outcome for h in history(engine)] == ["done", "failed"]
    # the PLC got every acknowledgement and is ready for the next set
    wait_until(lambda: plc_simulator.line.state == "ready", what="PLC ready")


def test_recorded_outcome_is_archived_with_the_reason(tasks, engine, odoo_standin):
    mo_id = odoo_standin.add_mo()
    odoo_standin.answer_recorded(mo_id, "strict BoM")
    tasks.sync()
    run_line_until_finished(tasks, engine)
    tasks.push()
    (h,) = history(engine)
    assert h.outcome == "recorded" and h.reason == "strict BoM"
    assert h.report_payload["batch_key"] == h.batch_key


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


def test_only_cut_slots_that_show_an_end_are_read_again(tasks, engine, odoo_standin, plc_simulator):
    """Slot 1 is read whole by the area's first request; slot 2 is cut between the first and
    the second, so its end is confirmed by one more request of slot 2 alone (see
    test_torn_read.py for the PLC moving between the two)."""
    assert 1 not in tasks.register_map.read_slots_split and 2 in tasks.register_map.read_slots_split
    odoo_standin.add_mo()
    odoo_standin.add_mo()
    tasks.sync()
    wait_until(lambda: len(plc_simulator.line.completed_batches) == 2, what="both batches done")
    area = len(tasks.register_map.read_area_requests())
    before = tasks.plc.request_count
    result = tasks.read_plc()
    assert result.stored == 2 and result.acknowledged == 2
    assert all(r.state == "finished" for r in batches(engine))
    # the area, slot 2 alone, two acknowledgements
    assert tasks.plc.request_count - before == area + 1 + 2
    before = tasks.plc.request_count
    assert tasks.read_plc().stored == 0
    assert tasks.plc.request_count - before == area


def test_after_a_failed_batch_the_plc_goes_on_and_the_failure_counts_as_ended(
        tasks, engine, odoo_standin, plc_simulator):
    """docs/register-map.md step 7 and 9: the line goes on with the next slot after a failed
    batch, and the failed batch's acknowledgement counts for the next set like a finished one."""
    for _ in range(3):
        odoo_standin.add_mo()
    plc_simulator.faults.fail_batch(2)
    tasks.sync()
    run_line_until_finished(tasks, engine)
    assert [r.state for r in batches(engine)] == ["finished", "failed", "finished"]
    assert [slot for slot, _ in plc_simulator.line.completed_batches] == [1, 2, 3]
    wait_until(lambda: plc_simulator.line.state == "ready", what="the PLC to take the next set")
    assert tasks.push().archived == 3
    odoo_standin.add_mo()
    tasks.sync()
    wait_until(lambda: len(plc_simulator.line.received_sets) == 2, what="the next set taken")
