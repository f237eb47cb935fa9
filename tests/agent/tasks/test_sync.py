"""The rolling batch number: 1..65535, never one still in the queue or in either PLC area,
written in the write slot and read back in the read slot; the agent matches a read slot by
its slot, number and MO reference."""

from __future__ import annotations

from dataclasses import replace

import pytest

from .helpers import batches, history, run_line_until_finished, wait_until


def test_rereleased_mo_in_the_same_slot_is_not_taken_for_its_previous_run(
        tasks, engine, odoo_standin, plc_simulator):
    """The first run failed in slot 1 and its acknowledgement was lost; Odoo releases the MO
    again and it lands in slot 1 while the read slot still shows the first run, ended and
    unacknowledged. Same slot, same MO reference: only the number tells the runs apart. The
    new run must wait for the PLC and be written, not be taken as already running (which
    would report the first run's consumption a second time)."""
    rmap = tasks.register_map
    mo_id = odoo_standin.add_mo()
    plc_simulator.faults.fail_batch(1)
    tasks.sync()
    wait_until(lambda: len(plc_simulator.line.completed_batches) == 1, what="the first run to end")
    plc_simulator.faults.drop_at_next("ack", "before", times=2)
    assert tasks.read_plc().acknowledged == 0
    assert plc_simulator.registers(rmap.read_ack_address(1), 1) == [0]
    assert tasks.push().archived == 1
    assert odoo_standin.mo(mo_id)["plc_state"] == "failed"

    odoo_standin.release(mo_id)
    result = tasks.sync()
    assert result.inserted == 1
    (row,) = batches(engine)
    assert row.slot == 1 and row.run == 2
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


def test_numbers_roll_over_and_skip_those_in_use():
    from plc_agent.plc.batch_numbers import next_batch_numbers

    assert next_batch_numbers(None, 3, set()) == [1, 2, 3]
    assert next_batch_numbers(65533, 4, {1}) == [65534, 65535, 2, 3]
    assert next_batch_numbers(10, 3, {11, 13}) == [12, 14, 15]
    with pytest.raises(ValueError, match="only 1 are free"):
        next_batch_numbers(1, 2, set(range(2, 65536)))


def test_number_is_written_at_offset_77_and_echoed_in_the_read_slot(tasks, engine, odoo_standin,
                                                                   plc_simulator):
    rmap = tasks.register_map
    for _ in range(2):
        odoo_standin.add_mo()
    tasks.sync()
    numbers = [r.batch_number for r in batches(engine)]
    assert numbers == [1, 2]
    assert plc_simulator.registers(rmap.write_slot_address(2) + 77, 1) == [2]
    assert plc_simulator.registers(rmap.write_slot_address(2), 1) == [2]  # offset 0: the slot
    run_line_until_finished(tasks, engine)
    assert [r.batch_number for r in tasks.plc.read_read_area()[:2]] == [1, 2]
    assert tasks.push().archived == 2
    wait_until(lambda: plc_simulator.line.state == "ready", what="PLC ready")
    odoo_standin.add_mo()
    tasks.sync()
    assert [r.batch_number for r in batches(engine)] == [3]  # rolls on from the history
    with pytest.raises(ValueError, match="batch_number must be a whole number from 0 to 65535"):
        rmap.encode_slot(replace(_batch(), batch_number=70000))


def test_number_still_shown_by_the_plc_is_not_given_again(tasks, engine, odoo_standin,
                                                          plc_simulator):
    """A read slot can show an old batch for a long time; its number is skipped."""
    rmap = tasks.register_map
    plc_simulator.set_registers(rmap.read_slot_address(5), [5])
    plc_simulator.set_registers(rmap.field_address("read", 5, "batch_number"), [1])
    odoo_standin.add_mo()
    tasks.sync()
    assert [r.batch_number for r in batches(engine)] == [2]


def _batch():
    from plc_agent.plc.register_map import ComponentDose, SlotBatch

    return SlotBatch(batch_no=1, mo_reference="WH/MO/1", bom_code="", finished_goods="",
                     planned_quantity=1.0, components=(ComponentDose(101, 1.0),))
