"""The FINS frame codec against frames taken from Omron's manuals.

Sources: the CJ-series programmable controllers' reference manual, section "FINS
Commands" (the command-format examples below: read 10 words from D00010, write 5 words
from D00010); the CS/CJ Ethernet units' operation manual, "FINS Command Frame
Configuration" (ICF 80 hex for a command that wants an answer, GCT 02 hex, parameter/data
at most 2000 bytes, response data at most 1998 bytes); the FINS commands reference's end
codes.
"""

from __future__ import annotations

import pytest

from plc_agent.plc.fins import frames
from plc_agent.plc.fins.frames import FinsAddress, FinsFrameError, FinsHeader

PLC = FinsAddress(0, 10, 0)
AGENT = FinsAddress(0, 20, 0)


def hx(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def test_header_of_a_command_that_wants_an_answer():
    header = FinsHeader.command(PLC, AGENT, sid=0x2A)
    # ICF 80: bit 7 set, a command (bit 6 = 0), response required (bit 0 = 0); RSV 00; GCT 02.
    assert header.encode() == hx("80 00 02 00 0A 00 00 14 00 2A")
    assert FinsHeader.decode(header.encode()) == header
    assert not header.is_response


def test_response_header_turns_the_addresses_round_and_keeps_the_sid():
    response = FinsHeader.command(PLC, AGENT, sid=7).response()
    assert response.encode() == hx("C0 00 02 00 14 00 00 0A 00 07")
    assert response.is_response


def test_memory_area_read_of_ten_words_from_d00010_as_in_the_reference():
    frame = frames.memory_area_read(FinsHeader.command(PLC, AGENT, 1), address=10, count=10)
    assert frame[10:] == hx("01 01 82 00 0A 00 00 0A")


def test_memory_area_write_of_five_words_from_d00010_as_in_the_reference():
    frame = frames.memory_area_write(FinsHeader.command(PLC, AGENT, 1), 10, [1, 2, 3, 0xFFFF, 0x1234])
    assert frame[10:] == hx("01 02 82 00 0A 00 00 05 0001 0002 0003 FFFF 1234")


def test_response_from_reading_io_memory_carries_the_words_high_byte_first():
    # "01 01 Hex, end code 00 00 Hex, then 10 words (20 bytes) of read data".
    data = b"".join(n.to_bytes(2, "big") for n in range(0x0101, 0x010B))
    frame = hx("C0 00 02 00 14 00 00 0A 00 05") + hx("01 01 00 00") + data
    response = frames.decode_response(frame)
    assert response.code == frames.MEMORY_AREA_READ and response.end_code.ok
    assert response.header.sid == 5 and response.header.source == PLC
    assert frames.bytes_to_words(response.data) == list(range(0x0101, 0x010B))


def test_the_simulator_side_reads_the_command_back():
    frame = frames.memory_area_write(FinsHeader.command(PLC, AGENT, 9), 7076, [0])
    command = frames.decode_command(frame)
    request = frames.decode_memory_area_request(command)
    assert (command.code, request.area, request.address, request.bit, request.count, request.data) == (
        0x0102, 0x82, 7076, 0, 1, b"\0\0")
    with pytest.raises(FinsFrameError, match="carries 4 bytes"):
        frames.decode_memory_area_request(frames.FinsCommand(command.header, 0x0102, hx("82 1BA4 00 0001 0000 0000")))


def test_words_per_command_follow_the_frame_sizes():
    # 1998 bytes of response data = 999 words; 2000 bytes of parameters and data, 6 of
    # which are area, address and count = 997 words written.
    assert frames.MAX_READ_WORDS == 999 and frames.MAX_WRITE_WORDS == 997
    header = FinsHeader.command(PLC, AGENT, 1)
    assert len(frames.memory_area_read(header, 6000, 999)) == 18
    assert len(frames.memory_area_write(header, 0, [0] * 997)) == frames.MAX_FRAME_BYTES
    with pytest.raises(ValueError, match="1000 word"):
        frames.memory_area_read(header, 0, 1000)
    with pytest.raises(ValueError, match="998 word"):
        frames.memory_area_write(header, 0, [0] * 998)
    with pytest.raises(ValueError, match="run past"):
        frames.memory_area_read(header, 0xFFFF, 2)
    with pytest.raises(ValueError, match="not 16-bit words"):
        frames.memory_area_write(header, 0, [0x10000])


@pytest.mark.parametrize(("frame", "message"), [
    (hx("80 00 02"), "shorter than its 10-byte header"),
    (hx("00 00 02 00 0A 00 00 14 00 01 01 01 00 00"), "lacks bit 7"),
    (hx("80 00 02 00 0A 00 00 14 00 01 01 01 00 00"), "is a command, not a response"),
    (hx("C0 00 02 00 14 00 00 0A 00 01 01 01"), "lacks its command and end codes"),
])
def test_frames_that_are_not_responses_are_refused(frame, message):
    with pytest.raises(FinsFrameError, match=message):
        frames.decode_response(frame)


def test_addresses_are_checked():
    with pytest.raises(ValueError, match="network address must be a whole number 0..127"):
        FinsAddress(128, 1, 0)
    with pytest.raises(ValueError, match="service id"):
        FinsHeader.command(PLC, AGENT, 256)
