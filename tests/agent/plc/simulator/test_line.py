"""The simulated line's program (``plc_agent.plc.simulator.line``): handshakes, slot order, one
run per batch, a write while the line runs recorded."""

from __future__ import annotations

import time

import pytest

from plc_agent.plc.link import PlcLink
from plc_agent.plc.register_map import RegisterMap
from plc_agent.plc.simulator import PlcSimulator

from ...helpers import finished, make_slot_batch, send_set, wait_for


def test_starts_ready_on_an_ephemeral_port(plc_simulator: PlcSimulator) -> None:
    assert plc_simulator.port > 0
    assert plc_simulator.registers(7076, 1) == [1]
    assert plc_simulator.line.state == "ready"


def test_a_set_runs_in_slot_order_once_and_waits_for_acknowledgement(
    plc_link: PlcLink, plc_simulator: PlcSimulator
) -> None:
    batches = {1: make_slot_batch(1, 11), 2: make_slot_batch(2, 12), 4: make_slot_batch(4, 14)}
    send_set(plc_link, batches)
    wait_for(lambda: len(plc_simulator.line.completed_batches) == 3)
    assert plc_simulator.line.completed_batches == [(1, "WH/MO/00011"), (2, "WH/MO/00012"), (4, "WH/MO/00014")]
    readings = plc_link.read_read_area()
    for slot, batch in batches.items():
        reading = readings[slot - 1]
        assert reading.batch_no == slot and reading.mo_reference == batch.mo_reference
        assert reading.status_manufacturing == 1 and reading.status_operation == 0
        assert reading.problems == ()
        assert reading.finished_weight == pytest.approx(1000.0, rel=0.021)
        assert [c.silo_id for c in reading.components] == [101, 105, 114]
        for actual, planned in zip(reading.components, batch.components, strict=True):
            assert actual.quantity == pytest.approx(planned.quantity, rel=0.021)
    assert readings[2].is_empty
    # Not ready again until every batch of the set is acknowledged.
    plc_link.acknowledge_read(1)
    plc_link.acknowledge_read(2)
    time.sleep(0.3)
    assert plc_link.read_write_handshake() == 0
    assert plc_simulator.line.state == "waiting_ack"
    plc_link.acknowledge_read(4)
    wait_for(lambda: plc_link.read_write_handshake() == 1)
    time.sleep(0.5)  # longer than two batches: nothing runs again
    assert len(plc_simulator.line.completed_batches) == 3
    assert plc_simulator.line.received_sets == [[(1, 1, "WH/MO/00011"), (2, 2, "WH/MO/00012"), (4, 4, "WH/MO/00014")]]
    assert plc_simulator.line.protocol_violations == []


def test_header_appears_at_batch_start_and_old_values_are_cleared(
    plc_link: PlcLink, plc_simulator: PlcSimulator, register_map: RegisterMap
) -> None:
    plc_simulator.line.batch_seconds = 1.0
    # Leftovers of an earlier batch in read slot 1, acknowledged.
    plc_simulator.set_registers(6000, [9] + [0x4141] * 71 + [1, 1, 0xFFFF, 0xFFFF, 1])
    send_set(plc_link, {1: make_slot_batch(1, 21)})
    wait_for(lambda: plc_link.read_read_area()[0].mo_reference == "WH/MO/00021", timeout=3)
    reading = plc_link.read_read_area()[0]
    assert reading.batch_no == 1
    assert reading.planned_quantity == 1000.0
    assert reading.status_manufacturing == 0 and reading.status_operation == 0
    assert reading.status_read_data == 0
    assert reading.finished_weight == 0.0
    assert reading.components == ()
    wait_for(lambda: finished(plc_link.read_read_area()[0]), timeout=5)


def test_writing_while_the_line_runs_is_recorded(plc_link: PlcLink, plc_simulator: PlcSimulator) -> None:
    plc_simulator.line.batch_seconds = 1.0
    send_set(plc_link, {1: make_slot_batch(1)})
    wait_for(lambda: plc_simulator.line.state == "running")
    plc_link.write_slot(2, make_slot_batch(2))
    assert plc_simulator.line.protocol_violations == [
        "write of 78 register(s) at 7100 while the line is running (write handshake is 0)"
    ]


def test_empty_set_makes_the_line_ready_again(plc_link: PlcLink, plc_simulator: PlcSimulator) -> None:
    send_set(plc_link, {})
    wait_for(lambda: plc_link.read_write_handshake() == 1)
    assert plc_simulator.line.completed_batches == []
    assert plc_simulator.line.received_sets == [[]]
