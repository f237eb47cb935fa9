"""The FINS simulator as a CS/CJ CPU unit answers raw frames: end codes for what it cannot
do, nothing for frames addressed to another node, the FINS/TCP handshake and its errors."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from plc_agent.plc.fins import frames, tcp
from plc_agent.plc.fins.frames import FinsAddress, FinsHeader
from plc_agent.plc.register_map import RegisterMap
from plc_agent.plc.simulator.fins_server import FinsPlcSimulator

PLC = FinsAddress(0, 10, 0)
AGENT = FinsAddress(0, 20, 0)


@pytest.fixture
def udp_plc(register_map: RegisterMap) -> Iterator[FinsPlcSimulator]:
    with FinsPlcSimulator(register_map, transport="udp", node=10) as simulator:
        simulator.start("127.0.0.1", 0)
        yield simulator


def ask(simulator: FinsPlcSimulator, frame: bytes) -> bytes | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)
        sock.sendto(frame, ("127.0.0.1", simulator.port))
        try:
            return sock.recv(4096)
        except TimeoutError:
            return None


@pytest.mark.parametrize(("text", "end_code"), [
    (bytes.fromhex("0101 B0 0000 00 0001"), 0x1101),  # CIO area: not served, area classification missing
    (bytes.fromhex("0101 82 0064 00 0001"), 0x1103),  # D100: outside the simulated DM words
    (bytes.fromhex("0101 82 1B58 01 0001"), 0x1103),  # a bit number with word access
    (bytes.fromhex("0101 82 1B58 00 03E8"), 0x110B),  # 1000 words: the response would be too long
    (bytes.fromhex("0102 82 1B58 00 0002 0001"), 0x1003),  # 2 items, 1 word of data
    (bytes.fromhex("0501"), 0x0401),  # CONTROLLER DATA READ: not this simulator's
])
def test_what_the_cpu_unit_cannot_do_gets_its_end_code(udp_plc, text, end_code):
    header = FinsHeader.command(PLC, AGENT, 3)
    answer = ask(udp_plc, header.encode() + text)
    assert answer is not None
    response = frames.decode_response(answer)
    assert response.header.sid == 3 and response.code == int.from_bytes(text[:2], "big")
    assert response.end_code.code == end_code


def test_a_frame_for_another_node_gets_no_answer(udp_plc):
    frame = frames.memory_area_read(FinsHeader.command(FinsAddress(0, 11, 0), AGENT, 1), 7076, 1)
    assert ask(udp_plc, frame) is None
    assert ask(udp_plc, frames.memory_area_read(FinsHeader.command(PLC, AGENT, 2), 7076, 1)) is not None


def test_tcp_handshake_then_frames_and_a_bad_header_closes(register_map):
    with FinsPlcSimulator(register_map, transport="tcp", node=10) as simulator:
        simulator.start("127.0.0.1", 0)
        with socket.create_connection(("127.0.0.1", simulator.port), timeout=2) as sock:
            sock.sendall(tcp.node_address_request(0))
            decoder = tcp.StreamDecoder()
            (hello,) = decoder.feed(sock.recv(4096))
            assert tcp.node_addresses(hello) == (239, 10)
            sock.sendall(tcp.frame_send(frames.memory_area_read(
                FinsHeader.command(PLC, FinsAddress(0, 239, 0), 1), 7076, 1)))
            (answer,) = decoder.feed(sock.recv(4096))
            assert frames.bytes_to_words(frames.decode_response(answer.payload).data) == [1]
            assert simulator.connection_count == 1
            sock.sendall(b"SNIF" + bytes(12))
            (error,) = decoder.feed(sock.recv(4096))
            assert (error.command, error.error_code) == (tcp.FRAME_SEND_ERROR, 1)
            assert sock.recv(4096) == b""  # the server closed the connection


def test_datagram_faults_are_checked(register_map):
    simulator = FinsPlcSimulator(register_map, transport="udp")
    with pytest.raises(ValueError, match="datagram fault must be one of"):
        simulator.faults.datagram_fault_next("reorder")
    with pytest.raises(ValueError, match="rates must be in"):
        simulator.faults.set_datagram_fault_rates(lose_request=1.5)
    with pytest.raises(ValueError, match="FINS node must be 1..254"):
        FinsPlcSimulator(register_map, node=0)
