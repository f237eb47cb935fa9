"""PlcLink against the real simulator over loopback TCP, and against a misbehaving server."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator

import pytest

from plc_agent.plc.link import PlcError, PlcLink
from plc_agent.plc.register_map import ComponentDose, RegisterMap, SlotBatch
from plc_agent.plc.simulator import PlcSimulator


def make_batch(slot: int) -> SlotBatch:
    return SlotBatch(
        batch_no=slot,
        mo_reference=f"WH/MO/{slot:05d}",
        bom_code=f"BOM-{slot}",
        finished_goods=f"Feed {slot}",
        planned_quantity=100.0 * slot + 0.25,
        components=tuple(ComponentDose(100 + k, 10.0 * k + slot / 100) for k in range(1, 1 + slot)),
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_write_ten_slots_and_read_them_back(plc_link: PlcLink, plc_simulator: PlcSimulator) -> None:
    batches = [make_batch(s) if s <= 7 else None for s in range(1, 11)]
    before = plc_link.request_count
    for slot, batch in enumerate(batches, start=1):
        plc_link.write_slot(slot, batch)
    assert plc_link.request_count - before == 11  # one request per slot, two for slot 1
    before = plc_link.request_count
    assert plc_link.read_write_area() == batches
    assert plc_link.request_count - before == 8
    # The handshake word between slot 1 and slot 2 is never touched by a slot write.
    assert plc_simulator.registers(7076, 1) == [1]
    assert plc_simulator.registers(7100, 1) == [2]


def test_read_area_takes_eight_requests(plc_link: PlcLink) -> None:
    before = plc_link.request_count
    readings = plc_link.read_read_area()
    assert plc_link.request_count - before == 8
    assert [r.slot for r in readings] == list(range(1, 11))
    assert all(r.is_empty for r in readings)


def test_handshake_and_acknowledgement(plc_link: PlcLink, plc_simulator: PlcSimulator) -> None:
    assert plc_link.read_write_handshake() == 1
    assert plc_link.ping() is True
    plc_link.acknowledge_read(3)
    assert plc_simulator.registers(6276, 1) == [1]
    plc_link.set_write_handshake(0)
    assert plc_simulator.registers(7076, 1)[0] in (0, 1)  # the line may already have taken the empty set


def test_dropped_connection_is_reopened_without_an_error(plc_link: PlcLink, plc_simulator: PlcSimulator) -> None:
    plc_link.ping()
    plc_simulator.drop_connections()
    time.sleep(0.05)
    assert plc_link.read_write_handshake() == 1
    assert plc_link.consecutive_failures == 0


def test_drop_in_the_middle_of_an_area_read(plc_link: PlcLink, plc_simulator: PlcSimulator) -> None:
    plc_link.ping()
    stop = threading.Event()

    def keep_dropping() -> None:
        while not stop.is_set():
            plc_simulator.drop_connections()
            time.sleep(0.001)

    dropper = threading.Thread(target=keep_dropping)
    dropper.start()
    outcomes = {"ok": 0, "error": 0}
    try:
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            try:
                plc_link.read_read_area()
                outcomes["ok"] += 1
            except PlcError as exc:
                assert f"127.0.0.1:{plc_simulator.port}" in str(exc)
                outcomes["error"] += 1
                time.sleep(0.05)
    finally:
        stop.set()
        dropper.join()
    assert outcomes["ok"] + outcomes["error"] > 0
    time.sleep(2.1)  # longer than the fixture's backoff cap
    assert len(plc_link.read_read_area()) == 10


def test_exception_response_is_a_plc_error(plc_link: PlcLink, plc_simulator: PlcSimulator) -> None:
    plc_link.ping()
    plc_simulator.faults.set_exception_responses(True)
    with pytest.raises(PlcError) as info:
        plc_link.read_read_area()
    message = str(info.value)
    assert f"127.0.0.1:{plc_simulator.port}" in message
    assert "read 125 register(s) at 6000" in message
    assert "Modbus exception 4 (DEVICE_FAILURE)" in message
    with pytest.raises(PlcError, match="write 78 register\\(s\\) at 7100.*exception 4"):
        plc_link.write_slot(2, make_batch(2))
    plc_simulator.faults.set_exception_responses(False)
    # An exception answer does not break the connection or start a backoff.
    assert plc_link.connected
    assert plc_link.read_write_handshake() == 1


def test_timeout_is_a_plc_error_and_the_link_recovers(plc_link: PlcLink, plc_simulator: PlcSimulator) -> None:
    plc_link.ping()
    plc_simulator.faults.set_response_delay(1.5)
    started = time.monotonic()
    with pytest.raises(PlcError, match="read 1 register\\(s\\) at 7076: no answer within 1 s"):
        plc_link.read_write_handshake()
    assert time.monotonic() - started < 1.4
    plc_simulator.faults.set_response_delay(0)
    # First failure: the next attempt may reconnect at once.
    assert plc_link.read_write_handshake() == 1


def test_refused_connection_backs_off(register_map: RegisterMap) -> None:
    port = free_port()
    link = PlcLink(
        "127.0.0.1",
        port,
        1,
        register_map,
        timeout=0.5,
        reconnect_backoff_initial=0.2,
        reconnect_backoff_max=0.4,
    )
    with link:
        with pytest.raises(PlcError, match=f"127.0.0.1:{port}: cannot connect"):
            link.ping()
        with pytest.raises(PlcError, match="next connection attempt in 0.2 s"):
            link.ping()  # second failure: tried again, then waits
        started = time.monotonic()
        with pytest.raises(
            PlcError, match="unreachable after 2 failed attempt\\(s\\); next connection attempt in 0\\.[0-2] s"
        ):
            link.read_read_area()
        assert time.monotonic() - started < 0.05  # refused at once, the PLC is not asked
        time.sleep(0.25)
        with pytest.raises(PlcError, match="next connection attempt in 0.4 s"):
            link.ping()
        time.sleep(0.45)
        with pytest.raises(PlcError, match="next connection attempt in 0.4 s"):
            link.ping()  # capped at reconnect_backoff_max
        assert link.consecutive_failures == 4
        # The PLC comes up on that port: the link connects once the wait is over.
        simulator = PlcSimulator(register_map, batch_seconds=0.1)
        simulator.start("127.0.0.1", port)
        try:
            time.sleep(0.45)
            assert link.ping() is True
            assert link.consecutive_failures == 0
        finally:
            simulator.stop()


@pytest.fixture
def short_answer_server() -> Iterator[int]:
    """A server that answers every read with one register, whatever was asked."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    request = conn.recv(260)
                except OSError:
                    continue
                if len(request) < 12:
                    continue
                tid = request[0:2]
                unit = request[6]
                pdu = struct.pack(">BBH", 3, 2, 0x1234)
                conn.sendall(tid + b"\x00\x00" + struct.pack(">H", len(pdu) + 1) + bytes([unit]) + pdu)
                time.sleep(0.1)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        listener.close()


def test_short_answer_is_a_plc_error(register_map: RegisterMap, short_answer_server: int) -> None:
    with PlcLink("127.0.0.1", short_answer_server, 1, register_map, timeout=1.0) as link:
        with pytest.raises(
            PlcError,
            match=f"127.0.0.1:{short_answer_server} read 125 register\\(s\\) at 6000: short answer, 1 register",
        ):
            link.read_read_area()


def test_garbage_values_reach_the_agent_as_problems(plc_link: PlcLink, plc_simulator: PlcSimulator) -> None:
    plc_simulator.faults.set_garbage(True)
    plc_link.write_slot(1, make_batch(2))
    plc_link.set_write_handshake(0)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        reading = plc_link.read_read_area()[0]
        if reading.status_manufacturing == 1:
            break
        time.sleep(0.05)
    assert reading.status_manufacturing == 1
    assert reading.finished_weight is None
    assert any("read slot 1 finished_weight: raw [0xFFFF, 0xFFFF]" in p for p in reading.problems)
    assert any("component 1 (silo 101) quantity" in p for p in reading.problems)


def test_bad_calls_are_refused_before_anything_is_sent(plc_link: PlcLink) -> None:
    before = plc_link.request_count
    with pytest.raises(ValueError, match="slot 11 does not exist"):
        plc_link.write_slot(11, None)
    with pytest.raises(ValueError, match="not 16-bit register values"):
        plc_link.set_write_handshake(70000)
    with pytest.raises(ValueError, match="batch_no must be"):
        plc_link.write_slot(1, SlotBatch(0, "X", "", "", 1.0, ()))
    assert plc_link.request_count == before
