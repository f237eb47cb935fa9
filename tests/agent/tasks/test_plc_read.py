"""Task 2, the read area (``plc_agent.tasks.plc_read``): implausible values stored, acknowledged
and reported suspect; only cut slots that show an end read again; a failed batch counts as
ended; a read slot is matched by its slot, number and MO reference."""

from __future__ import annotations

import logging

import pytest

from ..helpers import (
    batches,
    history,
    released_after_a_failed_run_left_unacknowledged,
    run_line_until_finished,
    wait_until,
)


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


def test_rereleased_mo_in_the_same_slot_is_not_taken_for_its_previous_run(
        tasks, engine, odoo_standin, plc_simulator):
    """The first run failed in slot 1 and its acknowledgement was lost; Odoo releases the MO
    again and it lands in slot 1 while the read slot still shows the first run, ended and
    unacknowledged. Same slot, same MO reference: only the number tells the runs apart. The
    new run must wait for the PLC and be written, not be taken as already running (which
    would report the first run's consumption a second time)."""
    rmap = tasks.register_map
    mo_id, row = released_after_a_failed_run_left_unacknowledged(tasks, engine, odoo_standin, plc_simulator)
    assert row.state == "queued"  # the PLC still waits for the first run's acknowledgement
    first_number = history(engine)[0].batch_number
    assert row.batch_number != first_number

    tasks.read_plc()  # acknowledges the first run from the history
    wait_until(lambda: plc_simulator.registers(rmap.write_handshake_address, 1) == [1],
               what="the PLC to be ready")
    assert tasks.write_stored_batches().written
    run_line_until_finished(tasks, engine)
    (row,) = batches(engine)
    assert row.state == "finished"
    assert tasks.push().archived == 1
    mo = odoo_standin.mo(mo_id)
    assert mo["plc_state"] == "done" and len(mo["reports_received"]) == 2
    assert len(plc_simulator.line.received_sets) == 2


def test_a_failed_batch_is_failed_whatever_status_manufacturing_says_and_reports_its_weight(
        tasks, engine, odoo_standin, plc_simulator):
    """docs/register-map.md, "A failed batch's read slot": status_operation = 1 decides, also
    beside status_manufacturing = 1; the weight the PLC reports is sent as what left the line;
    the PLC clears offsets 0-77 at a batch's start, and words 78-99 (unused) are never judged."""
    rmap = tasks.register_map
    assert rmap.read_extent == 78
    mo_id = odoo_standin.add_mo(quantity=1000.0, components=(("101", "RM-A", "A", 100.0, "kg"),))
    plc_simulator.set_registers(rmap.read_slot_address(1) + 78, [0xFFFF] * 22)  # an old program's leftovers
    plc_simulator.faults.fail_batch(1)
    tasks.sync()
    wait_until(lambda: len(plc_simulator.line.completed_batches) == 1, what="the batch to fail")
    plc_simulator.set_registers(rmap.field_address("read", 1, "finished_weight"), [0x0000, 0x7A12])  # 312.50
    plc_simulator.set_registers(rmap.field_address("read", 1, "status_manufacturing"), [1])
    assert tasks.read_plc().stored == 1
    (row,) = batches(engine)
    assert row.state == "failed" and row.status_operation and row.status_manufacturing
    assert row.finished_weight == pytest.approx(312.5) and row.suspect is None
    assert 0 < row.components[0].actual_quantity < 100.0  # what was dosed before the failure
    assert plc_simulator.registers(rmap.read_ack_address(1), 1) == [1]
    assert plc_simulator.registers(rmap.read_slot_address(1) + 78, 22) == [0xFFFF] * 22
    assert tasks.push().archived == 1
    (h,) = history(engine)
    assert h.outcome == "failed"
    assert h.report_payload["status"] == "failed"
    assert h.report_payload["finished_quantity"] == pytest.approx(312.5)
    assert odoo_standin.mo(mo_id)["plc_state"] == "failed"
