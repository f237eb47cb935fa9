"""A torn read: the PLC moves on between two of the agent's read requests.

The read area takes several Modbus requests, and some slots are cut between two of them.
If the PLC starts or ends a batch in such a slot between those two requests, the agent
sees one batch's number with another batch's status, acknowledgement word or actuals.
Nothing may then be acknowledged or stored on the strength of that assembled reading:
every batch is still stored once and reported once. The PLC's move is placed exactly
between the two requests by holding the real simulator at that step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from plc_agent.plc.register_map import load_register_map
from plc_agent.plc.simulator import PlcSimulator

from ..conftest import with_settings
from ..helpers import batches, history, run_line_until_finished, wait_until

SPLIT_SLOTS = sorted(load_register_map().read_slots_split)


@pytest.fixture
def plc_simulator(register_map) -> Iterator[PlcSimulator]:
    """Short batches: each case runs one or two sets through the line."""
    simulator = PlcSimulator(register_map, batch_seconds=0.05, noise=0.02, seed=13)
    simulator.start("127.0.0.1", 0)
    try:
        yield simulator
    finally:
        simulator.stop()


def test_the_default_map_has_split_slots():
    # 10 slots of 77 words at a stride of 100, 125 words a request: six slots are cut.
    assert SPLIT_SLOTS == [2, 3, 4, 7, 8, 9]


def _move_between_requests(tasks: Any, monkeypatch: pytest.MonkeyPatch, slot: int,
                           move: Callable[[], None]) -> list[tuple[int, int]]:
    """Run `move` once, right after the read request holding the start of `slot`."""
    rmap = tasks.register_map
    plan = rmap.read_area_requests()
    start = rmap.read_slot_address(slot)
    first = next(req for req in plan if req[0] <= start < req[0] + req[1])
    assert start + rmap.read_extent > first[0] + first[1], "the slot must be split"
    real_read = tasks.plc.read_registers
    requests: list[tuple[int, int]] = []

    def read_registers(address: int, count: int) -> list[int]:
        words = real_read(address, count)
        requests.append((address, count))
        if (address, count) == first and requests.count(first) == 1:
            move()
        return words

    monkeypatch.setattr(tasks.plc, "read_registers", read_registers)
    return requests


def _status_address(rmap: Any, slot: int, name: str) -> int:
    return rmap.field_address("read", slot, name)


def _run_to_history(tasks: Any, engine: Any, odoo_standin: Any, mo_ids: list[int]) -> None:
    run_line_until_finished(tasks, engine, timeout=20)
    assert tasks.push().remaining == 0
    assert batches(engine) == []
    names = [odoo_standin.mo(i)["name"] for i in mo_ids]
    archived = [h.mo_name for h in history(engine)]
    assert sorted(archived) == sorted(names), "every MO is archived exactly once"
    for mo_id in mo_ids:
        mo = odoo_standin.mo(mo_id)
        assert mo["plc_state"] == "done" and mo["times_closed"] == 1, mo["name"]


@pytest.mark.parametrize("slot", SPLIT_SLOTS)
@pytest.mark.parametrize("move", ["start", "start_and_end"])
def test_archived_batch_path(slot, move, tasks, engine, odoo_standin, plc_simulator, monkeypatch):
    """The slot still shows the previous set's acknowledged batch; the PLC starts (and maybe
    ends) the new set's batch in it between the two requests that cover the slot."""
    rmap = tasks.register_map
    first_set = [odoo_standin.add_mo() for _ in range(slot)]
    tasks.sync()
    run_line_until_finished(tasks, engine)
    assert tasks.push().archived == slot
    wait_until(lambda: plc_simulator.line.state == "ready", what="the PLC to be ready for the next set")

    plc_simulator.faults.hold_before(slot, "start")
    second_set = [odoo_standin.add_mo() for _ in range(slot)]
    assert tasks.sync().write.confirmed
    wait_until(lambda: plc_simulator.line.held_at == (slot, "start"), what=f"the line to reach slot {slot}")
    new_batch = batches(engine)[slot - 1]
    ended = _status_address(rmap, slot, "status_manufacturing")

    def plc_moves_on() -> None:
        plc_simulator.faults.hold_before(slot, "end")
        wait_until(lambda: plc_simulator.line.held_at == (slot, "end"), what="the new batch to start")
        if move == "start_and_end":
            plc_simulator.faults.release()
            wait_until(lambda: plc_simulator.registers(ended, 1) == [1], what="the new batch to end")

    requests = _move_between_requests(tasks, monkeypatch, slot, plc_moves_on)
    tasks.read_plc()
    assert len(requests) >= len(rmap.read_area_requests())
    ack = plc_simulator.registers(rmap.read_ack_address(slot), 1)[0]
    row = next(r for r in batches(engine) if r.slot == slot)
    assert row.mo_name == new_batch.mo_name
    if move == "start":
        assert ack == 0, "the running batch must not be acknowledged"
        assert row.state in ("written", "running")
    else:
        assert ack == 1 and row.state == "finished", "stored from one moment, then acknowledged"

    plc_simulator.faults.release()
    _run_to_history(tasks, engine, odoo_standin, first_set + second_set)
    assert sorted(plc_simulator.line.completed_batches) == sorted(set(plc_simulator.line.completed_batches))
    assert len(plc_simulator.line.completed_batches) == 2 * slot
    assert plc_simulator.line.protocol_violations == []


@pytest.mark.parametrize("slot", SPLIT_SLOTS)
def test_current_set_path(slot, tasks, engine, odoo_standin, plc_simulator, monkeypatch):
    """The slot runs a batch of the current set; the PLC ends it between the two requests:
    the stored actuals are the PLC's final words, not half of them."""
    rmap = tasks.register_map
    mo_ids = [odoo_standin.add_mo() for _ in range(slot)]
    plc_simulator.faults.hold_before(slot, "end")
    assert tasks.sync().write.confirmed
    wait_until(lambda: plc_simulator.line.held_at == (slot, "end"), what=f"slot {slot} to run")
    ended = _status_address(rmap, slot, "status_manufacturing")

    def plc_moves_on() -> None:
        plc_simulator.faults.hold_before(slot + 1, "start")  # a split slot is never the last one
        wait_until(lambda: plc_simulator.registers(ended, 1) == [1], what="the batch to end")

    _move_between_requests(tasks, monkeypatch, slot, plc_moves_on)
    tasks.read_plc()
    # Where the status words lie in the first request the slot still looked running: the
    # next read stores it. Either way, what is stored is the PLC's final words.
    if next(r for r in batches(engine) if r.slot == slot).state != "finished":
        assert plc_simulator.registers(rmap.read_ack_address(slot), 1) == [0]
        tasks.read_plc()
    row = next(r for r in batches(engine) if r.slot == slot)
    assert row.state == "finished"
    final = rmap.decode_read_slot(slot, plc_simulator.registers(rmap.read_slot_address(slot), rmap.read_extent))
    assert {c.silo_id: c.actual_quantity for c in row.components} == pytest.approx(
        {d.silo_id: round(d.quantity, 6) for d in final.components})
    assert row.finished_weight == pytest.approx(final.finished_weight)
    assert plc_simulator.registers(rmap.read_ack_address(slot), 1) == [1]

    plc_simulator.faults.release()
    _run_to_history(tasks, engine, odoo_standin, mo_ids)
    assert plc_simulator.line.protocol_violations == []


@pytest.mark.slow
def test_random_moments_300_batches(agent_settings, make_tasks, engine, odoo_standin, register_map,
                                    caplog):
    """300 batches while the line starts and ends batches at random moments relative to the
    agent's requests: every MO is dosed once, stored once and reported once."""
    simulator = PlcSimulator(register_map, batch_seconds=0.03, batch_jitter=1.0, noise=0.02, seed=2026)
    simulator.start("127.0.0.1", 0)
    try:
        simulator.faults.set_response_jitter(0.008)
        tasks = make_tasks(with_settings(agent_settings, plc_port=simulator.port))
        mo_ids = [odoo_standin.add_mo() for _ in range(300)]
        caplog.set_level("INFO", logger="plc_agent.tasks")

        def all_reported() -> bool:
            tasks.sync()
            tasks.read_plc()
            tasks.push()
            return all(odoo_standin.mo(i)["plc_state"] == "done" for i in mo_ids)

        wait_until(all_reported, timeout=150, interval=0, what="300 MOs reported")
    finally:
        simulator.stop()
    assert batches(engine) == []
    assert len(history(engine)) == 300
    assert all(odoo_standin.mo(i)["times_closed"] == 1 for i in mo_ids)
    assert len(simulator.line.completed_batches) == 300
    assert len({ref for _, ref in simulator.line.completed_batches}) == 300
    assert simulator.line.protocol_violations == []
    torn = [r for r in caplog.records if "changed during the area read" in r.getMessage()]
    print(f"\n300 batches, {len(torn)} slot(s) seen changing during an area read")
