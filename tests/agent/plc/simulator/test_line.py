"""The simulated line: handshakes, slot order, one run per batch, faults."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from plc_agent.plc.link import PlcLink
from plc_agent.plc.register_map import ComponentDose, RegisterMap, SlotBatch, SlotReading
from plc_agent.plc.simulator import PlcSimulator, SimulatorError, run_simulator


def make_batch(slot: int, mo: int | None = None) -> SlotBatch:
    return SlotBatch(
        batch_no=slot,
        mo_reference=f"WH/MO/{mo or slot:05d}",
        bom_code="LAYER-25",
        finished_goods="Layer feed 25 kg",
        planned_quantity=1000.0,
        components=(ComponentDose(101, 250.0), ComponentDose(105, 700.0), ComponentDose(114, 50.0)),
    )


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def send_set(link: PlcLink, batches: dict[int, SlotBatch]) -> None:
    assert link.read_write_handshake() == 1
    for slot in range(1, 11):
        link.write_slot(slot, batches.get(slot))
    link.set_write_handshake(0)


def finished(reading: SlotReading) -> bool:
    return reading.status_manufacturing == 1 or reading.status_operation == 1


def test_starts_ready_on_an_ephemeral_port(plc_simulator: PlcSimulator) -> None:
    assert plc_simulator.port > 0
    assert plc_simulator.registers(7076, 1) == [1]
    assert plc_simulator.line.state == "ready"


def test_a_set_runs_in_slot_order_once_and_waits_for_acknowledgement(
    plc_link: PlcLink, plc_simulator: PlcSimulator
) -> None:
    batches = {1: make_batch(1, 11), 2: make_batch(2, 12), 4: make_batch(4, 14)}
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
        for actual, planned in zip(reading.components, batch.components):
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
    plc_simulator.batch_seconds = 1.0
    # Leftovers of an earlier batch in read slot 1, acknowledged.
    plc_simulator.set_registers(6000, [9] + [0x4141] * 71 + [1, 1, 0xFFFF, 0xFFFF, 1])
    send_set(plc_link, {1: make_batch(1, 21)})
    wait_for(lambda: plc_link.read_read_area()[0].mo_reference == "WH/MO/00021", timeout=3)
    reading = plc_link.read_read_area()[0]
    assert reading.batch_no == 1
    assert reading.planned_quantity == 1000.0
    assert reading.status_manufacturing == 0 and reading.status_operation == 0
    assert reading.status_read_data == 0
    assert reading.finished_weight == 0.0
    assert reading.components == ()
    wait_for(lambda: finished(plc_link.read_read_area()[0]), timeout=5)


def test_failed_batch_reports_status_operation(plc_link: PlcLink, plc_simulator: PlcSimulator) -> None:
    plc_simulator.faults.fail_batch(2)
    send_set(plc_link, {1: make_batch(1), 2: make_batch(2), 3: make_batch(3)})
    wait_for(lambda: len(plc_simulator.line.completed_batches) == 3)
    readings = plc_link.read_read_area()
    assert [(r.status_manufacturing, r.status_operation) for r in readings[:3]] == [(1, 0), (0, 1), (1, 0)]
    assert readings[1].finished_weight == 0.0
    assert all(c.quantity < p.quantity for c, p in zip(readings[1].components, make_batch(2).components))
    for slot in (1, 2, 3):
        plc_link.acknowledge_read(slot)
    wait_for(lambda: plc_link.read_write_handshake() == 1)
    # The failure was for one run only.
    send_set(plc_link, {2: make_batch(2, 22)})
    wait_for(lambda: len(plc_simulator.line.completed_batches) == 4)
    reading = plc_link.read_read_area()[1]
    assert (reading.status_manufacturing, reading.status_operation) == (1, 0)


def test_garbage_mode_reports_sentinels(plc_link: PlcLink, plc_simulator: PlcSimulator) -> None:
    plc_simulator.faults.set_garbage(True)
    send_set(plc_link, {1: make_batch(1)})
    wait_for(lambda: finished(plc_link.read_read_area()[0]))
    reading = plc_link.read_read_area()[0]
    assert reading.finished_weight is None
    assert len(reading.problems) == 4  # three components and the finished weight
    assert plc_simulator.registers(6028, 2) == [0xFFFF, 0xFFFF]


def test_the_line_keeps_running_through_dropped_connections(
    plc_link: PlcLink, plc_simulator: PlcSimulator
) -> None:
    send_set(plc_link, {s: make_batch(s) for s in range(1, 4)})
    for _ in range(5):
        plc_simulator.drop_connections()
        time.sleep(0.05)
    assert plc_simulator.connection_count == 0
    wait_for(lambda: len(plc_simulator.line.completed_batches) == 3)
    with PlcLink(plc_simulator.host, plc_simulator.port, 1, plc_simulator.register_map, timeout=1) as other:
        assert all(finished(r) for r in other.read_read_area()[:3])
        assert plc_simulator.connection_count == 1


def test_writing_while_the_line_runs_is_recorded(plc_link: PlcLink, plc_simulator: PlcSimulator) -> None:
    plc_simulator.batch_seconds = 1.0
    send_set(plc_link, {1: make_batch(1)})
    wait_for(lambda: plc_simulator.line.state == "running")
    plc_link.write_slot(2, make_batch(2))
    assert plc_simulator.line.protocol_violations == [
        "write of 78 register(s) at 7100 while the line is running (write handshake is 0)"
    ]


def test_empty_set_makes_the_line_ready_again(plc_link: PlcLink, plc_simulator: PlcSimulator) -> None:
    send_set(plc_link, {})
    wait_for(lambda: plc_link.read_write_handshake() == 1)
    assert plc_simulator.line.completed_batches == []
    assert plc_simulator.line.received_sets == [[]]


def test_unit_id_and_start_errors(register_map: RegisterMap, plc_simulator: PlcSimulator) -> None:
    other = PlcSimulator(register_map, unit_id=5)
    with pytest.raises(SimulatorError, match=f"cannot listen on 127.0.0.1:{plc_simulator.port}"):
        other.start("127.0.0.1", plc_simulator.port)
    with pytest.raises(SimulatorError, match="not started"):
        other.registers(7076, 1)
    with pytest.raises(ValueError, match="noise must be"):
        PlcSimulator(register_map, noise=1.5)
    with pytest.raises(ValueError, match="slot 12 does not exist"):
        plc_simulator.faults.fail_batch(12)


def test_run_simulator_serves_until_stopped(register_map: RegisterMap) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    stop = threading.Event()
    thread = threading.Thread(
        target=run_simulator,
        kwargs=dict(register_map=register_map, host="127.0.0.1", port=port, batch_seconds=0.1, noise=0.0, seed=1, stop_event=stop),
    )
    thread.start()
    try:
        link = PlcLink("127.0.0.1", port, 1, register_map, timeout=1, reconnect_backoff_initial=0.05)
        deadline = time.monotonic() + 5
        while True:
            try:
                assert link.ping()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        link.close()
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
