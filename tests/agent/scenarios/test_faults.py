"""Faults: the PLC drops, times out, answers exceptions or garbage; Odoo is unreachable,
loses a reply, rejects; the agent is killed at the three dangerous points (and between
storing a failure or weighing and acknowledging it) and restarted.
Nothing is lost, nothing runs twice in the PLC, nothing is reported twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plc_agent.odoo_gateway import OdooUnavailable
from plc_agent.plc.link import PlcError
from plc_agent.queue.failure import PlcFailure
from plc_agent.queue.models import DeliveryState, utcnow
from plc_agent.queue.weighing import ManualWeighing

from ..helpers import agent, batches, history, report_waiting, rows, run_line_until_finished, wait_until

# ----------------------------------------------------------------------------- PLC


def test_plc_connection_drop_between_and_during_reads(tasks, engine, odoo_standin, plc_simulator):
    odoo_standin.add_mo()
    tasks.sync()
    tasks.read_plc()
    plc_simulator.drop_connections()
    tasks.read_plc()  # one reconnect on a fresh connection is transparent
    # drop while a read waits for its answer
    plc_simulator.faults.set_response_delay(0.3)
    import threading

    timer = threading.Timer(0.1, plc_simulator.drop_connections)
    timer.start()
    try:
        tasks.read_plc()  # PlcLink may retry once on a fresh connection and succeed
    except PlcError as exc:
        assert "PLC" in str(exc) or ":" in str(exc)
    timer.join()
    plc_simulator.faults.set_response_delay(0)
    before = [(r.state, r.last_read_from_plc) for r in batches(engine)]
    assert before[0][0] in ("written", "running", "finished")
    wait_until(lambda: _read_ok(tasks), timeout=10, what="PLC reachable again")
    run_line_until_finished(tasks, engine)
    assert tasks.push().archived == 1


def _read_ok(tasks) -> bool:
    try:
        tasks.read_plc()
        return True
    except PlcError:
        return False


def test_plc_timeout_changes_nothing(tasks, engine, odoo_standin, plc_simulator):
    odoo_standin.add_mo()
    tasks.sync()
    plc_simulator.faults.set_response_delay(1.5)  # timeout is 1 s
    snapshot = [(r.state, r.last_read_from_plc) for r in batches(engine)]
    with pytest.raises(PlcError):
        tasks.read_plc()
    assert [(r.state, r.last_read_from_plc) for r in batches(engine)] == snapshot
    plc_simulator.faults.set_response_delay(0)
    wait_until(lambda: _read_ok(tasks), timeout=10, what="PLC answers again")
    run_line_until_finished(tasks, engine)


def test_plc_exception_responses_keep_batches_queued(tasks, engine, odoo_standin, plc_simulator):
    odoo_standin.add_mo()
    plc_simulator.faults.set_exception_responses(True)
    result = tasks.sync()  # stored, then the PLC refuses every request
    assert result.inserted == 1 and result.write is None or not result.write.confirmed
    assert [r.state for r in batches(engine)] == ["queued"]
    with pytest.raises(PlcError, match="exception"):
        tasks.read_plc()
    plc_simulator.faults.set_exception_responses(False)
    assert tasks.sync().count_before == 1  # the restart rule wrote the stored set
    assert [r.state for r in batches(engine)] == ["written"]
    assert odoo_standin.calls("plc_fetch_batches") == 1
    run_line_until_finished(tasks, engine)
    assert len(plc_simulator.line.received_sets) == 1


# ----------------------------------------------------------------------------- Odoo


def test_odoo_down_during_sync_stores_nothing(tasks, engine, odoo_standin):
    odoo_standin.add_mo()
    odoo_standin.go_down()
    with pytest.raises(OdooUnavailable):
        tasks.sync()
    assert batches(engine) == []
    odoo_standin.come_up()
    assert tasks.sync().inserted == 1


def test_odoo_network_error_on_push_backs_off_then_drains(tasks, engine, odoo_standin):
    mo_id = odoo_standin.add_mo()
    tasks.sync()
    run_line_until_finished(tasks, engine)
    odoo_standin.fail_next("plc_report_batch", "network")
    push = tasks.push()
    assert push.archived == 0
    (row,) = batches(engine)
    assert row.push_attempts == 1 and row.last_error and row.next_attempt_at > utcnow()
    assert tasks.push().attempted == 0  # waits for its next attempt time
    odoo_standin.go_down()
    tasks.clock = lambda: utcnow() + timedelta(hours=1)
    tasks.push()
    (row,) = batches(engine)
    assert row.push_attempts == 2
    delay = (row.next_attempt_at - tasks.clock()).total_seconds()
    assert 5 < delay <= 10.5  # exponential: 5 s, 10 s, ... capped
    odoo_standin.come_up()
    tasks.clock = lambda: utcnow() + timedelta(hours=2)
    assert tasks.push().archived == 1
    assert odoo_standin.mo(mo_id)["plc_state"] == "done"


def test_lost_reply_is_retried_and_reported_once(tasks, engine, odoo_standin):
    mo_id = odoo_standin.add_mo()
    tasks.sync()
    run_line_until_finished(tasks, engine)
    odoo_standin.fail_next("plc_report_batch", "lost_reply")  # Odoo commits, the answer is lost
    assert tasks.push().archived == 0
    tasks.clock = lambda: utcnow() + timedelta(minutes=5)
    assert tasks.push().archived == 1
    mo = odoo_standin.mo(mo_id)
    assert mo["times_closed"] == 1 and len(mo["reports_received"]) == 1
    assert [r["result"]["duplicate"] for r in odoo_standin.reports] == [False, True]
    (h,) = history(engine)
    assert h.outcome == "done" and h.odoo_result["duplicate"] is True


def test_server_side_error_push_is_kept(tasks, engine, odoo_standin):
    odoo_standin.add_mo()
    tasks.sync()
    run_line_until_finished(tasks, engine)
    odoo_standin.fail_next("plc_report_batch", "serialization")
    assert tasks.push().archived == 0
    assert batches(engine)[0].push_attempts == 1


# ----------------------------------------------------------------------------- kill -9


def test_killed_at_each_point_then_restarted(agent_settings, engine, odoo_standin, plc_simulator,
                                             tmp_path):
    mo_ids = [odoo_standin.add_mo() for _ in range(3)]
    names = [odoo_standin.mo(i)["name"] for i in mo_ids]

    # 1. between storing the set and writing the PLC
    p = agent(agent_settings, "once", "sync", crash_at="after_store", cwd=tmp_path)
    assert p.returncode == 137, p.stderr
    assert [r.state for r in batches(engine)] == ["queued"] * 3
    assert plc_simulator.line.received_sets == []
    p = agent(agent_settings, "once", "sync", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert [r.state for r in batches(engine)] == ["written"] * 3
    assert odoo_standin.calls("plc_fetch_batches") == 1  # no second fetch
    wait_until(lambda: plc_simulator.line.received_sets, what="set taken")
    assert plc_simulator.line.received_sets == [[(i + 1, i + 1, n) for i, n in enumerate(names)]]

    # finish and push these so the line can take the next set
    p = agent(agent_settings, "once", "read", cwd=tmp_path)
    wait_until(lambda: len(plc_simulator.line.completed_batches) == 3, what="set done")
    p = agent(agent_settings, "once", "read", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert [r.state for r in batches(engine)] == ["finished"] * 3

    # 3. between Odoo's answer and the archive
    p = agent(agent_settings, "once", "push", crash_at="after_push", cwd=tmp_path)
    assert p.returncode == 137, p.stderr
    assert len(batches(engine)) == 3 and history(engine) == []
    assert odoo_standin.mo(mo_ids[0])["plc_state"] == "done"
    p = agent(agent_settings, "once", "push", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert batches(engine) == [] and [h.outcome for h in history(engine)] == ["done"] * 3
    for mo_id in mo_ids:
        mo = odoo_standin.mo(mo_id)
        assert mo["times_closed"] == 1 and len(mo["reports_received"]) == 1
    assert sum(1 for r in odoo_standin.reports if r["result"]["duplicate"]) == 1

    # 2. between writing the PLC and marking the rows written
    wait_until(lambda: plc_simulator.line.state == "ready", what="PLC ready")
    more = [odoo_standin.add_mo() for _ in range(2)]
    p = agent(agent_settings, "once", "sync", crash_at="after_plc_write", cwd=tmp_path)
    assert p.returncode == 137, p.stderr
    assert [r.state for r in batches(engine)] == ["queued"] * 2
    wait_until(lambda: len(plc_simulator.line.received_sets) == 2, what="second set taken")
    p = agent(agent_settings, "once", "sync", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert [r.state for r in batches(engine)] == ["written"] * 2
    assert "marked" in p.stderr
    wait_until(lambda: len(plc_simulator.line.completed_batches) == 5, what="second set done")
    assert agent(agent_settings, "once", "read", cwd=tmp_path).returncode == 0
    assert agent(agent_settings, "once", "push", cwd=tmp_path).returncode == 0
    assert {odoo_standin.mo(i)["plc_state"] for i in more} == {"done"}

    # the PLC received each batch exactly once, in two sets
    assert [len(s) for s in plc_simulator.line.received_sets] == [3, 2]
    completed = [mo for _, mo in plc_simulator.line.completed_batches]
    assert sorted(completed) == sorted(set(completed)) and len(completed) == 5
    assert plc_simulator.line.protocol_violations == []
    assert len(history(engine)) == 5
    assert odoo_standin.calls("plc_fetch_batches") == 2


def test_acknowledgement_lost_before_archive_is_sent_again(tasks, engine, odoo_standin, plc_simulator,
                                                           monkeypatch):
    """The PLC raises its write handshake only once every read slot is acknowledged. If the
    acknowledgement of a stored batch fails and the batch is then pushed and archived, the
    next read must acknowledge it again from the history, or the line waits for ever."""
    rmap = tasks.register_map
    odoo_standin.add_mo()
    tasks.sync()
    real_ack = tasks.plc.acknowledge_read

    def failing_ack(slot: int) -> None:
        raise PlcError("simulated drop while acknowledging")

    monkeypatch.setattr(tasks.plc, "acknowledge_read", failing_ack)
    run_line_until_finished(tasks, engine)
    assert plc_simulator.registers(rmap.read_ack_address(1), 1) == [0]
    assert tasks.push().archived == 1
    assert batches(engine) == []
    monkeypatch.setattr(tasks.plc, "acknowledge_read", real_ack)

    assert tasks.read_plc().acknowledged == 1
    assert plc_simulator.registers(rmap.read_ack_address(1), 1) == [1]
    wait_until(lambda: plc_simulator.registers(rmap.write_handshake_address, 1) == [1],
               what="the PLC to be ready for the next set")
    assert tasks.read_plc().acknowledged == 0  # acknowledged once, not on every read


def test_handshake_writes_whose_answer_is_lost_are_never_sent_twice(tasks, engine, odoo_standin,
                                                                    plc_simulator, register_map):
    """A handshake or acknowledgement write that reached the PLC but lost its answer is not
    sent again by the link: the PLC may already have moved on (its next report written with
    H = 0, its next set asked for), and the same write again would acknowledge a report
    nobody stored. The write fails; the task reads the word again at its next poll."""
    rmap = register_map
    area = rmap.weighing_area
    odoo_standin.add_product(55)
    odoo_standin.add_mo()
    plc_simulator.report_weighing(55, 4.0, "WH/MO/00001", 1)
    plc_simulator.report_weighing(55, 5.0, "WH/MO/00001", 1)
    wait_until(lambda: report_waiting(plc_simulator, area), what="the first weighing")
    plc_simulator.faults.drop_at_next("report_ack", "after")
    with pytest.raises(PlcError):
        tasks.read_weighing()  # stored, then its acknowledgement's answer is lost
    wait_until(lambda: report_waiting(plc_simulator, area), what="the PLC's next weighing")
    assert tasks.read_weighing().stored == 1
    wait_until(lambda: plc_simulator.pending_reports("weighing") == 0, what="the PLC to see the last ack")
    assert [w.quantity for w in rows(engine, ManualWeighing)] == [4.0, 5.0]
    assert [w for w in plc_simulator.handshake_writes if w[0] == area.handshake_address] == [
        (area.handshake_address, 1)] * 2  # once per weighing

    plc_simulator.faults.hold_before(1, "start")
    plc_simulator.faults.drop_at_next("handshake", "after")
    tasks.sync()  # 7076 = 0 took effect, its answer was lost: the set stays stored
    assert [w for w in plc_simulator.handshake_writes if w[0] == rmap.write_handshake_address] == [
        (rmap.write_handshake_address, 0)]
    wait_until(lambda: plc_simulator.line.held_at == (1, "start"), what="the PLC to take the set")
    write = tasks.write_stored_batches()
    assert write.confirmed and not write.written  # recovery row 2: the PLC has it
    plc_simulator.faults.drop_at_next("ack", "after")
    plc_simulator.faults.release()
    run_line_until_finished(tasks, engine)
    tasks.read_plc()
    assert len(plc_simulator.line.received_sets) == 1 and plc_simulator.line.protocol_violations == []
    assert [w for w in plc_simulator.handshake_writes if w[0] == rmap.read_ack_address(1)] == [
        (rmap.read_ack_address(1), 1)]


WHEN = datetime(2026, 11, 28, 6, 1, 2, tzinfo=UTC)


def test_killed_between_storing_and_acknowledging_sends_nothing_twice(agent_settings, engine, odoo_standin,
                                                                      plc_simulator, register_map, tmp_path):
    odoo_standin.add_product(55)
    odoo_standin.add_mo()
    assert agent(agent_settings, "init-db", cwd=tmp_path).returncode == 0
    plc_simulator.report_failure("silo101", "START_FAILURE", when=WHEN)
    plc_simulator.report_weighing(55, 7.5, "WH/MO/00001", 1)
    for task, area, model in (("failures", register_map.failure_area, PlcFailure),
                              ("weighing", register_map.weighing_area, ManualWeighing)):
        wait_until(lambda area=area: report_waiting(plc_simulator, area), what=f"the {task} report")
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
