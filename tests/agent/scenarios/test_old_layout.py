"""A PLC running the old program (offsets 0-76, no batch number echoed): the agent keeps
exactly-once by slot, MO reference and the stored set (docs/register-map.md, "The old
program's layout (no word 77)"). The simulator runs the old program's map."""

from __future__ import annotations

from importlib import resources

import pytest

from plc_agent.plc.register_map import RegisterMap, load_register_map

from ..helpers import (
    batches,
    history,
    released_after_a_failed_run_left_unacknowledged,
    run_line_until_finished,
    wait_until,
)


@pytest.fixture
def register_map() -> RegisterMap:
    """The old program's map, for the simulator, the link and the agent of this module."""
    shipped = resources.files("plc_agent.plc.register_map").joinpath("old_program_register_map.toml")
    with resources.as_file(shipped) as path:
        return load_register_map(path)


def test_full_cycle_without_word_77(tasks, engine, odoo_standin, plc_simulator):
    assert not tasks.register_map.echoes_batch_number
    mo_ids = [odoo_standin.add_mo() for _ in range(3)]
    result = tasks.sync()
    assert result.inserted == 3 and result.write and result.write.confirmed
    rows = batches(engine)
    assert [r.earlier_run_shown for r in rows] == [False, False, False]
    run_line_until_finished(tasks, engine)
    rows = batches(engine)
    assert all(r.state == "finished" for r in rows), [(r.state, r.hold_reason) for r in rows]
    rmap = tasks.register_map
    assert [plc_simulator.registers(rmap.read_ack_address(s), 1)[0] for s in (1, 2, 3)] == [1, 1, 1]
    # Word 77 of each slot is never written nor echoed.
    assert [plc_simulator.registers(6000 + 100 * s + 77, 1)[0] for s in range(3)] == [0, 0, 0]
    assert [plc_simulator.registers(7000 + 100 * s + 77, 1)[0] for s in range(3)] == [0, 0, 0]
    assert tasks.push().archived == 3
    assert [h.outcome for h in history(engine)] == ["done"] * 3
    assert {odoo_standin.mo(i)["times_closed"] for i in mo_ids} == {1}

    # The next set runs too: the PLC is ready again once every batch was acknowledged.
    wait_until(lambda: plc_simulator.line.state == "ready", what="PLC ready")
    more = [odoo_standin.add_mo() for _ in range(2)]
    assert tasks.sync().write.confirmed
    run_line_until_finished(tasks, engine)
    assert tasks.push().archived == 2
    assert {odoo_standin.mo(i)["plc_state"] for i in more} == {"done"}
    assert len(plc_simulator.line.completed_batches) == 5
    assert plc_simulator.line.protocol_violations == []


def test_rerun_in_its_previous_slot_is_written_and_run_once(tasks, engine, odoo_standin, plc_simulator):
    """The first run failed in slot 1 and its acknowledgement was lost; Odoo releases the MO
    again and it lands in slot 1 while the read slot still shows the first run, ended and
    unacknowledged. Same slot, same MO reference, no number: the set waits (nothing recorded)
    until the first run is acknowledged, then is recorded with its earlier run shown, written,
    and stored once, from the new run only."""
    rmap = tasks.register_map
    mo_id, row = released_after_a_failed_run_left_unacknowledged(tasks, engine, odoo_standin, plc_simulator)
    assert row.state == "queued" and row.earlier_run_shown is None  # the earlier run is unacknowledged

    tasks.read_plc()  # acknowledges the first run from the history
    assert plc_simulator.registers(rmap.read_ack_address(1), 1) == [1]
    wait_until(lambda: plc_simulator.registers(rmap.write_handshake_address, 1) == [1],
               what="the PLC to be ready")
    # The read slot shows the first run, acknowledged: not taken for the new one. The write
    # area still holds the first run's words, the same as the new set's (no number in them),
    # and 7076 = 1: the read-back is already made, the agent only starts the set.
    write = tasks.write_stored_batches()
    assert write.confirmed and not write.written
    (row,) = batches(engine)
    assert row.earlier_run_shown is True and row.state == "written"
    run_line_until_finished(tasks, engine)
    (row,) = batches(engine)
    assert row.state == "finished"
    assert tasks.push().archived == 1
    mo = odoo_standin.mo(mo_id)
    assert mo["plc_state"] == "done" and len(mo["reports_received"]) == 2
    assert len(plc_simulator.line.received_sets) == 2
    assert plc_simulator.line.protocol_violations == []


def _rerun_after_a_lost_handshake_answer(tasks, engine, odoo_standin, plc_simulator, hold: str) -> int:
    """A first run of an MO fails in slot 1; Odoo releases it again and it lands in slot 1; the
    answer to the agent's 7076 = 0 is lost, so the set stays unconfirmed while the PLC, which
    took it, stops just before the new run's `hold` ("start" or "end")."""
    first = odoo_standin.add_mo()
    other = odoo_standin.add_mo()
    plc_simulator.faults.fail_batch(1)
    tasks.sync()
    run_line_until_finished(tasks, engine)
    assert tasks.push().archived == 2
    assert odoo_standin.mo(first)["plc_state"] == "failed"
    assert odoo_standin.mo(other)["plc_state"] == "done"

    odoo_standin.release(first)
    wait_until(lambda: plc_simulator.line.state == "ready", what="PLC ready")
    plc_simulator.faults.hold_before(1, hold)
    plc_simulator.faults.drop_at_next("handshake", "after")
    tasks.sync()
    (row,) = batches(engine)
    assert row.slot == 1 and row.run == 2 and row.earlier_run_shown is True
    assert row.state == "queued"
    wait_until(lambda: plc_simulator.line.held_at == (1, hold), what=f"the PLC to hold before {hold}")
    return first


def _the_rerun_is_stored_once(tasks, engine, odoo_standin, plc_simulator, mo_id: int) -> None:
    write = tasks.write_stored_batches()
    assert write.confirmed and not write.written
    assert [r.state for r in batches(engine)] == ["written"]
    plc_simulator.faults.release()
    run_line_until_finished(tasks, engine)
    (row,) = batches(engine)
    assert row.state == "finished"
    assert tasks.push().archived == 1
    mo = odoo_standin.mo(mo_id)
    assert mo["plc_state"] == "done" and len(mo["reports_received"]) == 2
    assert len(plc_simulator.line.received_sets) == 2
    assert len(plc_simulator.line.completed_batches) == 3
    assert plc_simulator.line.protocol_violations == []


def test_rerun_taken_before_restart_is_marked_written_not_written_again(
        tasks, engine, odoo_standin, plc_simulator):
    """The PLC took the set and has not started the run: read slot 1 still shows the earlier
    run, acknowledged, which is not the new one; the write area and 7076 = 0 decide."""
    mo_id = _rerun_after_a_lost_handshake_answer(tasks, engine, odoo_standin, plc_simulator, "start")
    assert plc_simulator.registers(tasks.register_map.read_ack_address(1), 1) == [1]
    _the_rerun_is_stored_once(tasks, engine, odoo_standin, plc_simulator, mo_id)


def test_rerun_started_before_restart_is_stored_once(tasks, engine, odoo_standin, plc_simulator):
    """The PLC started the new run: read slot 1, its earlier run recorded, shows the MO with
    status_read_data = 0, so the PLC runs the set; marked written, never written again."""
    mo_id = _rerun_after_a_lost_handshake_answer(tasks, engine, odoo_standin, plc_simulator, "end")
    assert plc_simulator.registers(tasks.register_map.read_ack_address(1), 1) == [0]
    _the_rerun_is_stored_once(tasks, engine, odoo_standin, plc_simulator, mo_id)
