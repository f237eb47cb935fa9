"""The simulated line's fault switches (``plc_agent.plc.simulator.faults``): failing batches,
garbage, dropped connections at a chosen request, mixed garbage that says what it garbled.
"""

from __future__ import annotations

import time

import pytest

from plc_agent.plc.link import PlcError, PlcLink
from plc_agent.plc.simulator import PlcSimulator

from ...helpers import finished, make_slot_batch, send_set, wait_for


def test_failed_batch_reports_status_operation(plc_link: PlcLink, plc_simulator: PlcSimulator) -> None:
    plc_simulator.faults.fail_batch(2)
    send_set(plc_link, {1: make_slot_batch(1), 2: make_slot_batch(2), 3: make_slot_batch(3)})
    wait_for(lambda: len(plc_simulator.line.completed_batches) == 3)
    readings = plc_link.read_read_area()
    assert [(r.status_manufacturing, r.status_operation) for r in readings[:3]] == [(1, 0), (0, 1), (1, 0)]
    assert readings[1].finished_weight == 0.0
    assert all(
        c.quantity < p.quantity
        for c, p in zip(readings[1].components, make_slot_batch(2).components, strict=True)
    )
    for slot in (1, 2, 3):
        plc_link.acknowledge_read(slot)
    wait_for(lambda: plc_link.read_write_handshake() == 1)
    # The failure was for one run only.
    send_set(plc_link, {2: make_slot_batch(2, 22)})
    wait_for(lambda: len(plc_simulator.line.completed_batches) == 4)
    reading = plc_link.read_read_area()[1]
    assert (reading.status_manufacturing, reading.status_operation) == (1, 0)


def test_garbage_mode_reports_sentinels(plc_link: PlcLink, plc_simulator: PlcSimulator) -> None:
    plc_simulator.faults.set_garbage(True)
    send_set(plc_link, {1: make_slot_batch(1)})
    wait_for(lambda: finished(plc_link.read_read_area()[0]))
    reading = plc_link.read_read_area()[0]
    assert reading.finished_weight is None
    assert len(reading.problems) == 4  # three components and the finished weight
    assert plc_simulator.registers(6028, 2) == [0xFFFF, 0xFFFF]


def test_the_line_keeps_running_through_dropped_connections(
    plc_link: PlcLink, plc_simulator: PlcSimulator
) -> None:
    send_set(plc_link, {s: make_slot_batch(s) for s in range(1, 4)})
    for _ in range(5):
        plc_simulator.drop_connections()
        time.sleep(0.05)
    assert plc_simulator.connection_count == 0
    wait_for(lambda: len(plc_simulator.line.completed_batches) == 3)
    with PlcLink(plc_simulator.host, plc_simulator.port, 1, plc_simulator.register_map, timeout=1) as other:
        assert all(finished(r) for r in other.read_read_area()[:3])
        assert plc_simulator.connection_count == 1


@pytest.mark.parametrize("request_kind", ["read", "write", "handshake", "ack", "report_ack"])
@pytest.mark.parametrize("effect", ["before", "after"])
def test_simulator_drops_the_connection_at_a_chosen_request(plc_simulator, register_map, request_kind, effect):
    """A write dropped "after" has taken effect although its answer never came; one dropped
    "before" has not. The link's single retry on a fresh connection sends a read or a data
    write again; a handshake or acknowledgement write fails instead, sent once."""
    link = PlcLink(plc_simulator.host, plc_simulator.port, 1, register_map, timeout=1.0,
                   reconnect_backoff_initial=0.05, reconnect_backoff_max=0.2)
    handshake_words = {"handshake": register_map.write_handshake_address, "ack": register_map.read_ack_address(5),
                       "report_ack": register_map.weighing_area.handshake_address}
    try:
        link.read_write_handshake()
        plc_simulator.faults.drop_at_next(request_kind, effect)
        if request_kind == "read":
            link.read_read_area()
        elif request_kind == "write":
            link.write_slot(3, None)
        else:
            with pytest.raises(PlcError, match="connection lost"):
                link.write_registers(handshake_words[request_kind], [1])
            assert plc_simulator.handshake_writes == [(handshake_words[request_kind], 1)]  # sent once
            if request_kind != "handshake":  # 7076 reads 1 already: the PLC is ready
                assert plc_simulator.registers(handshake_words[request_kind], 1) == [int(effect == "after")]
        assert len(plc_simulator.faults.dropped_requests) == 1
        kind, how, _address = plc_simulator.faults.dropped_requests[0]
        assert (kind, how) == (request_kind, effect)
    finally:
        link.close()


def test_simulator_drops_a_later_request_of_a_sequence(plc_simulator, register_map):
    """``skip`` serves that many requests of the kind first: the drop lands inside a
    sequence (the fourth slot write request of a set), not only at its first request."""
    link = PlcLink(plc_simulator.host, plc_simulator.port, 1, register_map, timeout=1.0,
                   reconnect_backoff_initial=0.05, reconnect_backoff_max=0.2)
    requests = [(slot, address) for slot in range(1, register_map.slot_count + 1)
                for address, _words in register_map.write_slot_requests(slot, [0] * register_map.write_extent)]
    struck_slot, struck_address = requests[3]
    try:
        link.read_write_handshake()
        plc_simulator.faults.drop_at_next("write", "before", skip=3)
        for slot in range(1, struck_slot):
            link.write_slot(slot, None)
        link.write_slot(struck_slot, None)
        assert [(k, how, address) for k, how, address in plc_simulator.faults.dropped_requests] == [
            ("write", "before", struck_address)]
    finally:
        link.close()


def test_mixed_garbage_garbles_some_values_of_each_batch_and_says_which(plc_simulator, register_map):
    from ...helpers import make_slot_batch, send_set, wait_for

    link = PlcLink(plc_simulator.host, plc_simulator.port, 1, register_map, timeout=1.0)
    try:
        plc_simulator.faults.set_mixed_garbage(("negative", "huge", "sentinel", "extreme"))
        send_set(link, {1: make_slot_batch(1, 21), 2: make_slot_batch(2, 22), 3: make_slot_batch(3, 23)})
        wait_for(lambda: len(plc_simulator.line.completed_batches) == 3)
        plc_simulator.faults.set_mixed_garbage(())
        assert [(slot, mo) for slot, _no, mo, _values in plc_simulator.line.garbled_batches] == [
            (1, "WH/MO/00021"), (2, "WH/MO/00022"), (3, "WH/MO/00023")]
        readings = {r.slot: r for r in link.read_read_area()}
        for slot, _no, _mo, values in plc_simulator.line.garbled_batches:
            assert values, "at least one value of a garbled batch is garbage"
            reading = readings[slot]
            for name, form in values:
                if name == "finished_weight":
                    value = reading.finished_weight
                    planned = 1000.0
                else:
                    [k] = [
                        k
                        for k, dose in enumerate(make_slot_batch(slot).components)
                        if name == f"silo {dose.silo_id}"
                    ]
                    value = reading.components[k].quantity
                    planned = make_slot_batch(slot).components[k].quantity
                # whatever the form, no plausible measurement: unreadable, negative or far beyond the plan
                assert value is None or value != value or value < 0 or value > 100 * planned, (name, form, value)
    finally:
        link.close()
    with pytest.raises(ValueError, match="unknown garbage form"):
        plc_simulator.faults.set_mixed_garbage(("confetti",))


def test_simulator_refuses_an_unknown_drop():
    from plc_agent.plc.register_map import load_register_map
    from plc_agent.plc.simulator import PlcSimulator

    simulator = PlcSimulator(load_register_map())
    with pytest.raises(ValueError, match="one of read, write, handshake, ack, report_ack"):
        simulator.faults.drop_at_next("coil", "before")
    with pytest.raises(ValueError, match="'before' or 'after'"):
        simulator.faults.drop_at_next("read", "during")
    with pytest.raises(ValueError, match="skip must be >= 0"):
        simulator.faults.drop_at_next("read", "before", skip=-1)
