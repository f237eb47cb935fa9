"""The FINS link against the FINS simulator on loopback, over UDP and TCP: the request plan
from the link's limits, service ids that keep late, duplicated and stray answers out, lost
datagrams sent again, end codes as PlcError, reconnects."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import pytest

from plc_agent.plc.fins import frames
from plc_agent.plc.fins.frames import FinsAddress, FinsHeader
from plc_agent.plc.fins_link import FinsLink
from plc_agent.plc.link import PlcError
from plc_agent.plc.register_map import RegisterMap, SlotBatch
from plc_agent.plc.simulator.fins_server import FinsPlcSimulator

PLC_NODE = 10
AGENT_NODE = 20


@pytest.fixture(params=["udp", "tcp"])
def transport(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def fins_simulator(register_map: RegisterMap, transport: str) -> Iterator[FinsPlcSimulator]:
    simulator = FinsPlcSimulator(register_map, transport=transport, node=PLC_NODE, batch_seconds=0.2, seed=3)
    simulator.start("127.0.0.1", 0)
    try:
        yield simulator
    finally:
        simulator.stop()


def make_link(simulator: FinsPlcSimulator, register_map: RegisterMap, **options) -> FinsLink:  # type: ignore[no-untyped-def]
    options.setdefault("timeout", 0.3)
    options.setdefault("reconnect_backoff_initial", 0.05)
    options.setdefault("reconnect_backoff_max", 0.1)
    return FinsLink("127.0.0.1", simulator.port, register_map, transport=simulator.transport,
                    destination=FinsAddress(0, PLC_NODE, 0), source=FinsAddress(0, AGENT_NODE, 0), **options)


@pytest.fixture
def link(fins_simulator: FinsPlcSimulator, register_map: RegisterMap) -> Iterator[FinsLink]:
    with make_link(fins_simulator, register_map) as made:
        yield made


def test_the_whole_read_area_is_one_request_and_no_slot_is_cut(link, register_map):
    assert register_map.read_area_requests() != [(6000, 978)]  # Modbus: several requests
    assert link.register_map.read_area_requests() == [(register_map.read_start, 978)]
    assert link.register_map.read_slots_split == frozenset()
    before = link.request_count
    readings = link.read_read_area()
    assert len(readings) == register_map.slot_count and link.request_count == before + 1


def test_slots_written_and_read_back(link, fins_simulator, register_map):
    batch = SlotBatch(batch_no=1, mo_reference="WH/MO/00002", bom_code="B1", finished_goods="Layer",
                      planned_quantity=1000.0, components=(), batch_number=7)
    assert link.read_write_handshake() == 1
    link.write_slot(1, batch)
    assert link.read_write_area()[0] == register_map.as_written(batch)
    assert fins_simulator.registers(register_map.write_start, 1) == [1]
    link.set_write_handshake(0)
    assert fins_simulator.registers(register_map.write_handshake_address, 1) == [0]


def test_end_codes_become_plc_errors_naming_code_and_meaning(link, fins_simulator):
    with pytest.raises(PlcError, match=r"read 1 DM word\(s\) at D100: PLC answered with end code 1103 hex "
                                       r"\(parameter error: address range error\)"):
        link.read_registers(100, 1)
    fins_simulator.faults.set_exception_responses(True)
    with pytest.raises(PlcError, match="end code 2502 hex \\(unit error: memory error\\)"):
        link.read_write_handshake()
    fins_simulator.faults.set_exception_responses(False)
    assert link.read_write_handshake() == 1 and link.connected  # no reconnect needed


@pytest.mark.parametrize("transport", ["tcp"])  # the node-address handshake is FINS/TCP's
def test_tcp_handshake_takes_the_node_the_plc_allocates(fins_simulator, register_map):
    with FinsLink("127.0.0.1", fins_simulator.port, register_map, transport="tcp",
                  destination=FinsAddress(0, 0, 0), source=FinsAddress(0, 0, 0), timeout=0.5) as link:
        assert link.read_write_handshake() == 1
        assert "PLC node 0.10.0, agent node 0.239.0" in link.describe()


@pytest.mark.parametrize("transport", ["tcp"])  # a UDP socket has no connection to drop
def test_tcp_reconnects_after_the_plc_dropped_the_connection(link, fins_simulator):
    assert link.read_write_handshake() == 1
    fins_simulator.drop_connections()
    assert link.read_write_handshake() == 1  # one retry on a fresh connection


# ---------------------------------------------------------------------- UDP only


@pytest.fixture
def udp_simulator(fins_simulator: FinsPlcSimulator) -> FinsPlcSimulator:
    """The simulator of a test marked ``ON_UDP``: datagram faults are UDP's."""
    assert fins_simulator.transport == "udp", "a UDP test without ON_UDP"
    return fins_simulator


ON_UDP = pytest.mark.parametrize("transport", ["udp"])


@ON_UDP
@pytest.mark.parametrize("fault", ["lose_request", "lose_answer", "late_answer"])
def test_a_request_without_answer_in_time_is_sent_again_with_a_new_sid(udp_simulator, register_map, fault):
    link = make_link(udp_simulator, register_map, retries=2)
    with link:
        link.write_registers(7000, [5, 6])
        udp_simulator.faults.datagram_fault_next(fault, late_seconds=0.4)
        assert link.read_registers(7000, 2) == [5, 6]
        assert link.request_count == 3  # the write, then the read twice
        udp_simulator.set_registers(7000, [8, 9])
        time.sleep(0.3)  # the late answer (still [5, 6]) is in the socket now
        # It carries the first try's SID: dropped, never taken for this request's answer.
        assert link.read_registers(7000, 2) == [8, 9]
        assert link.stray_answers == (1 if fault == "late_answer" else 0)


@ON_UDP
def test_a_duplicated_answer_is_never_taken_for_the_next_request(udp_simulator, link):
    link.write_registers(7000, [1])
    udp_simulator.faults.datagram_fault_next("duplicate_answer")
    assert link.read_registers(7000, 1) == [1]
    udp_simulator.set_registers(7000, [2])
    # The duplicate of the previous answer (value 1) waits in the socket: dropped by its SID.
    assert link.read_registers(7000, 1) == [2]
    assert link.stray_answers == 1


@ON_UDP
def test_a_stray_datagram_from_the_plc_with_another_sid_is_dropped(udp_simulator, register_map):
    # The PLC's socket sends an answer nobody asked for (SID 200) right before the real one.
    with make_link(udp_simulator, register_map) as link:
        assert link.read_write_handshake() == 1
        stray = frames.encode_response(FinsHeader.command(FinsAddress(0, PLC_NODE, 0),
                                                          FinsAddress(0, AGENT_NODE, 0), 200),
                                       frames.MEMORY_AREA_READ, 0, b"\x00\x07")
        sender = udp_simulator._udp  # the simulator's own socket: the link's connected filter lets it in
        assert sender is not None
        local = link._transport._socket.getsockname()  # type: ignore[union-attr]
        udp_simulator._loop.call_soon_threadsafe(sender.sendto, stray, local)  # type: ignore[union-attr]
        assert link.read_write_handshake() == 1
        assert link.stray_answers == 1


@ON_UDP
def test_every_try_lost_is_a_plc_error_with_backoff(udp_simulator, register_map):
    link = make_link(udp_simulator, register_map, retries=1)
    with link:
        udp_simulator.faults.datagram_fault_next("lose_request", times=2)
        with pytest.raises(PlcError, match="no answer within 0.3 s to 2 tries"):
            link.read_write_handshake()
        assert link.consecutive_failures == 1 and link.last_error
        assert link.read_write_handshake() == 1  # the first reconnect is immediate
        assert link.consecutive_failures == 0


@ON_UDP
def test_an_outage_over_fins_goes_through_the_links_one_outage(udp_simulator, register_map, caplog):
    """The same Outage as the Modbus link: one line when it starts (naming the FINS settings
    to check), one per longer wait, one when the PLC answers again; link_down on the error."""
    link = make_link(udp_simulator, register_map, retries=0, reconnect_backoff_initial=1.0,
                     reconnect_backoff_max=4.0)
    now = [1000.0]
    link.clock = lambda: now[0]
    caplog.set_level(logging.INFO, logger="plc_agent.outage")
    with link:
        udp_simulator.faults.datagram_fault_next("lose_request", times=3)
        for _ in range(3):
            with pytest.raises(PlcError) as failed:
                link.read_write_handshake()
            assert failed.value.link_down
            now[0] += 10  # past each backoff
        assert link.read_write_handshake() == 1
    lines = [r.getMessage() for r in caplog.records if r.name == "plc_agent.outage"]
    assert len(lines) == 4, lines
    assert lines[0].startswith(f"PLC 127.0.0.1:{udp_simulator.port} is unreachable: read 1 DM word(s) at D7076: "
                               "no answer within 0.3 s")
    assert "PLC_FINS_DEST_NODE, PLC_FINS_SOURCE_NODE" in lines[0]
    # The first reconnect is immediate; then the backoff's steps, each said once.
    assert lines[1].endswith("(2 failed attempts): read 1 DM word(s) at D7076: no answer within 0.3 s; "
                             "next attempt in 1 s")
    assert lines[2].endswith("next attempt in 2 s")
    assert lines[3] == f"PLC 127.0.0.1:{udp_simulator.port} answers again after 30 s (3 failed attempts)"
    assert not link.outage.down and link.consecutive_failures == 0


def test_nobody_listening_is_a_plc_error(register_map):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    link = FinsLink("127.0.0.1", port, register_map, destination=FinsAddress(0, PLC_NODE, 0),
                    source=FinsAddress(0, AGENT_NODE, 0), timeout=0.2, retries=0)
    with link, pytest.raises(PlcError, match=f"127.0.0.1:{port} read 1 DM word"):
        link.read_write_handshake()


def test_udp_needs_both_node_numbers(register_map):
    with pytest.raises(ValueError, match="FINS/UDP needs the PLC's node address and the agent's own"):
        FinsLink("127.0.0.1", 9600, register_map, destination=FinsAddress(0, 0, 0),
                 source=FinsAddress(0, AGENT_NODE, 0))
