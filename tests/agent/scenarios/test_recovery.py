"""What the agent finds after a reconnect or a restart, and what it does: one test per row
of the table in docs/register-map.md ("After a reconnect or a restart"). The PLC is the
project's simulator over loopback; a fault it cannot produce by itself (another program
writing the PLC's words) is played with its ``set_registers``."""

from __future__ import annotations

from ..helpers import batches, run_line_until_finished, wait_until


def _handshake(tasks, plc_simulator) -> int:
    return plc_simulator.registers(tasks.register_map.write_handshake_address, 1)[0]


def _states(engine) -> list[str]:
    return [r.state for r in batches(engine)]


def test_lost_handshake_write_is_finished_after_the_reconnect(tasks, engine, odoo_standin,
                                                              plc_simulator):
    """Row 1: the write area holds the stored set, 7076 is still 1, the read area shows none
    of its batches: the connection dropped while the agent wrote 7076 = 0 and the write never
    took effect. The PLC waits for that write; the agent re-verifies the set and writes it."""
    for _ in range(3):
        odoo_standin.add_mo()
    plc_simulator.faults.drop_at_next("handshake", "before")
    result = tasks.sync()
    assert result.inserted == 3 and (result.write is None or not result.write.confirmed)
    assert _states(engine) == ["queued"] * 3
    assert _handshake(tasks, plc_simulator) == 1 and plc_simulator.line.received_sets == []

    write = tasks.write_stored_batches()  # the next PLC poll, on a new connection
    assert write.confirmed and not write.written  # the slots were not written again
    assert _states(engine) == ["written"] * 3
    wait_until(lambda: plc_simulator.line.received_sets, what="the PLC to take the set")
    assert len(plc_simulator.line.received_sets) == 1 and len(plc_simulator.line.received_sets[0]) == 3
    run_line_until_finished(tasks, engine)
    assert tasks.push().archived == 3
    assert plc_simulator.line.protocol_violations == []


def test_set_taken_but_not_started_is_marked_written(tasks, engine, odoo_standin, plc_simulator):
    """Row 2: the write area holds the stored set, 7076 is 0, the read area shows none of its
    batches: the write of 0 took effect but its answer was lost; the PLC has the set and has
    not started it yet. Marked written, nothing written again."""
    for _ in range(2):
        odoo_standin.add_mo()
    plc_simulator.faults.hold_before(1, "start")
    plc_simulator.faults.drop_at_next("handshake", "after")
    tasks.sync()
    assert _states(engine) == ["queued"] * 2
    wait_until(lambda: plc_simulator.line.held_at == (1, "start"), what="the PLC to take the set")
    assert _handshake(tasks, plc_simulator) == 0

    write = tasks.write_stored_batches()
    assert write.confirmed and not write.written
    assert _states(engine) == ["written"] * 2
    plc_simulator.faults.release()
    run_line_until_finished(tasks, engine)
    assert len(plc_simulator.line.received_sets) == 1 and plc_simulator.line.protocol_violations == []


def test_set_running_is_marked_written(tasks, engine, odoo_standin, plc_simulator):
    """Row 3: the read area shows a batch of the stored set running (7076 = 0): the PLC runs it."""
    for _ in range(2):
        odoo_standin.add_mo()
    plc_simulator.faults.hold_before(1, "end")
    plc_simulator.faults.drop_at_next("handshake", "after")
    tasks.sync()
    wait_until(lambda: plc_simulator.line.held_at == (1, "end"), what="slot 1 to run")
    write = tasks.write_stored_batches()
    assert write.confirmed and not write.written
    assert _states(engine) == ["written"] * 2
    plc_simulator.faults.release()
    run_line_until_finished(tasks, engine)
    assert len(plc_simulator.line.received_sets) == 1 and plc_simulator.line.protocol_violations == []


def test_set_shown_in_the_read_area_is_never_written_again(tasks, engine, odoo_standin,
                                                           plc_simulator):
    """Row 4: the read area shows a batch of the stored set while 7076 reads 1 and the write
    area no longer holds the set (a PLC program or an operator changed them): whatever the
    handshake says, a batch the PLC shows is never sent again."""
    rmap = tasks.register_map
    for _ in range(2):
        odoo_standin.add_mo()
    plc_simulator.faults.hold_before(1, "end")
    plc_simulator.faults.drop_at_next("handshake", "after")
    tasks.sync()
    wait_until(lambda: plc_simulator.line.held_at == (1, "end"), what="slot 1 to run")
    plc_simulator.set_registers(rmap.write_slot_address(1), [0] * rmap.write_extent)
    plc_simulator.set_registers(rmap.write_handshake_address, [1])

    write = tasks.write_stored_batches()
    assert write.confirmed and not write.written
    assert _states(engine) == ["written"] * 2
    assert plc_simulator.registers(rmap.write_slot_address(1), 1) == [0]  # not written again
    plc_simulator.faults.release()
    run_line_until_finished(tasks, engine)
    assert len(plc_simulator.line.received_sets) == 1


def test_torn_write_of_the_set_is_written_again_whole(tasks, engine, odoo_standin, plc_simulator):
    """Row 5: the write area holds something else (here: the set, cut short by a connection
    lost while writing slot 2) and 7076 is 1: the set is written, read back and started."""
    for _ in range(3):
        odoo_standin.add_mo()
    plc_simulator.faults.drop_at_next("write", "before", times=2)
    tasks.sync()
    assert _states(engine) == ["queued"] * 3 and _handshake(tasks, plc_simulator) == 1
    write = tasks.write_stored_batches()
    assert write.written and write.confirmed
    run_line_until_finished(tasks, engine)
    assert [len(s) for s in plc_simulator.line.received_sets] == [3]


def test_another_set_in_the_plc_makes_the_stored_set_wait(tasks, engine, odoo_standin,
                                                          plc_simulator):
    """Row 6: the write area holds another set and 7076 is 0 (the PLC runs a set the agent
    did not store: an old agent, an operator): the stored set waits, nothing is written."""
    rmap = tasks.register_map
    plc_simulator.faults.hold_before(1, "start")
    foreign = rmap.encode_slot(_foreign_batch())
    plc_simulator.set_registers(rmap.write_slot_address(1), foreign)
    plc_simulator.set_registers(rmap.write_handshake_address, [0])
    wait_until(lambda: plc_simulator.line.held_at == (1, "start"), what="the PLC to take the other set")
    odoo_standin.add_mo()
    result = tasks.sync()
    assert result.inserted == 1 and not result.write.confirmed
    assert _states(engine) == ["queued"]
    assert tasks.write_stored_batches().confirmed is False
    assert plc_simulator.registers(rmap.write_slot_address(1), rmap.write_extent) == foreign
    assert plc_simulator.line.protocol_violations == []


def _foreign_batch():
    from plc_agent.plc.register_map import ComponentDose, SlotBatch

    return SlotBatch(batch_no=1, mo_reference="OTHER/0001", bom_code="X", finished_goods="X",
                     planned_quantity=10.0, components=(ComponentDose(101, 10.0),))


def test_plc_not_ready_makes_the_set_wait_then_it_is_written(tasks, engine, odoo_standin,
                                                             plc_simulator):
    """Row 7: the write area does not hold the set and 7076 is neither 0 nor 1 (a PLC that is
    starting up, or a word another program wrote): the set waits; once the PLC raises 7076 to 1
    the set is written, read back and started."""
    rmap = tasks.register_map
    plc_simulator.set_registers(rmap.write_handshake_address, [2])
    odoo_standin.add_mo()
    assert not tasks.sync().write.confirmed
    assert _states(engine) == ["queued"] and plc_simulator.line.received_sets == []
    plc_simulator.set_registers(rmap.write_handshake_address, [1])
    assert tasks.write_stored_batches().written
    run_line_until_finished(tasks, engine)
    assert len(plc_simulator.line.received_sets) == 1


# ----------------------------------------------------------------------------- health


def _later(tasks, **delta):
    from datetime import timedelta

    from plc_agent.queue.models import utcnow

    tasks.clock = lambda: utcnow() + timedelta(**delta)


def test_health_restarts_a_written_set_the_plc_still_waits_for(tasks, engine, odoo_standin,
                                                                plc_simulator, caplog):
    """A queue left by the previous release in the stalled state of the report: the set is
    marked written, the PLC holds it in its write area and waits at 7076 = 1. Health sees a
    set that has not started, and since the PLC says it waits, lowers 7076."""
    from sqlalchemy import update

    from plc_agent.queue.engine import make_session_factory
    from plc_agent.queue.models import BatchState, MoBatch, utcnow

    for _ in range(2):
        odoo_standin.add_mo()
    plc_simulator.faults.drop_at_next("handshake", "before")
    tasks.sync()
    with make_session_factory(engine).begin() as session:  # what 0.1.0 did after the reconnect
        session.execute(update(MoBatch).values(state=BatchState.WRITTEN, plc_written_at=utcnow()))
    assert tasks.write_stored_batches().pending == 0  # nothing queued: the sync never looks again

    report = tasks.health()
    assert report.stuck == []  # not yet: a set may take a few polls to start
    _later(tasks, seconds=2)  # poll interval 0.1 s: well beyond three polls
    report = tasks.health()
    (item,) = report.stuck
    assert item["slot"] == 1 and "started none of its 2 batch(es)" in item["problem"]
    assert "lowered to 0" in item["problem"]
    assert report.as_dict()["stuck_count"] == 1
    assert any("[TASK 4] Stuck batch slot 1" in m for m in caplog.messages)
    wait_until(lambda: plc_simulator.line.received_sets, what="the PLC to take the set")
    run_line_until_finished(tasks, engine)
    assert tasks.push().archived == 2


def test_health_reports_a_set_the_plc_took_but_does_not_start(tasks, engine, odoo_standin,
                                                             plc_simulator):
    """7076 is 0: the PLC has the set. Not starting it is reported stuck; nothing is written."""
    odoo_standin.add_mo()
    plc_simulator.faults.hold_before(1, "start")
    tasks.sync()
    wait_until(lambda: plc_simulator.line.held_at == (1, "start"), what="the PLC to take the set")
    _later(tasks, seconds=2)
    (item,) = tasks.health().stuck
    assert "started none" in item["problem"] and "lowered" not in item["problem"]
    assert _handshake(tasks, plc_simulator) == 0 and len(plc_simulator.line.received_sets) == 1
    plc_simulator.faults.release()
    run_line_until_finished(tasks, engine)
    _later(tasks, seconds=4)
    assert tasks.health().stuck == []


def test_health_reports_a_running_batch_whose_slot_does_not_change(tasks, engine, odoo_standin,
                                                                   plc_simulator, agent_settings):
    odoo_standin.add_mo()
    plc_simulator.faults.hold_before(1, "end")
    tasks.sync()
    wait_until(lambda: plc_simulator.line.held_at == (1, "end"), what="slot 1 to run")
    tasks.read_plc()
    assert _states(engine) == ["running"]
    assert tasks.health().stuck == []
    _later(tasks, minutes=agent_settings.batch_stuck_threshold_minutes + 1)
    tasks.read_plc()  # read again, unchanged: the batch is read but makes no progress
    problems = [s["problem"] for s in tasks.health().stuck]
    assert any("unchanged for" in p for p in problems), problems
    plc_simulator.faults.release()
    run_line_until_finished(tasks, engine)
