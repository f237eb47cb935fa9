"""FINS/TCP framing against the Ethernet units' manual ("FINS/TCP Method": FINS/TCP headers,
the node-address commands, FRAME SEND, FRAME SEND ERROR NOTIFICATION and the error codes)."""

from __future__ import annotations

import pytest

from plc_agent.plc.fins import tcp
from plc_agent.plc.fins.frames import FinsFrameError


def hx(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def test_node_address_data_send_client_to_server_asks_for_an_allocated_node():
    # Header 'FINS', length 0000000C (12 bytes from the command on), command 00000000,
    # error code 00000000, client node address 00000000 = allocate one.
    assert tcp.node_address_request(0) == hx("46494E53 0000000C 00000000 00000000 00000000")
    assert tcp.node_address_request(20)[-4:] == hx("00000014")


def test_node_address_data_send_server_to_client_gives_both_nodes():
    message = hx("46494E53 00000010 00000001 00000000 000000EF 0000000A")
    (decoded,) = tcp.StreamDecoder().feed(message)
    assert tcp.node_addresses(decoded) == (0xEF, 0x0A)
    assert tcp.node_address_response(0xEF, 0x0A) == message


def test_a_refused_handshake_names_the_error_code():
    refused = tcp.StreamDecoder().feed(hx("46494E53 00000010 00000001 00000021 00000000 00000000"))[0]
    with pytest.raises(FinsFrameError, match="00000021 hex \\(the specified node is already connected\\)"):
        tcp.node_addresses(refused)


def test_frame_send_wraps_a_fins_frame_and_the_stream_is_cut_at_its_length():
    frame = hx("80 00 02 00 0A 00 00 14 00 01 01 01 82 00 0A 00 00 0A")
    wrapped = tcp.frame_send(frame)
    # Length = 8 + the FINS frame (20..2020 bytes per the manual: 00000014 to 000007E4).
    assert wrapped[:16] == hx("46494E53") + (8 + len(frame)).to_bytes(4, "big") + hx("00000002 00000000")
    decoder = tcp.StreamDecoder()
    stream = wrapped + wrapped
    assert decoder.feed(stream[:7]) == []
    got = decoder.feed(stream[7:30]) + decoder.feed(stream[30:])
    assert [(m.command, m.payload) for m in got] == [(tcp.FRAME_SEND, frame)] * 2
    assert tcp.MAX_LENGTH == 0x7E4


@pytest.mark.parametrize(("stream", "message"), [
    (hx("46494E54 00000008 00000002 00000000"), "is not 'FINS'"),
    (hx("46494E53 000007E5 00000002 00000000"), "length 2021 outside 8..2020"),
])
def test_a_header_that_is_not_fins_tcp_is_refused(stream, message):
    with pytest.raises(FinsFrameError, match=message):
        tcp.StreamDecoder().feed(stream)


def test_frame_send_error_notification_codes():
    assert tcp.encode(tcp.FRAME_SEND_ERROR, error_code=1) == hx("46494E53 00000008 00000003 00000001")
    assert tcp.describe_error(0x25) == ("FINS/TCP error code 00000025 hex (all the node addresses "
                                        "available for allocation have been used)")
