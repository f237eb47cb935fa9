"""FINS/TCP: the 16-byte header around FINS frames on a TCP stream, and the node-address handshake.

Every message starts with "FINS", the length of what follows the length field, a command
and an error code (all 4-byte big-endian). The client opens with NODE ADDRESS DATA SEND
(command 0, its node address or 0 for one allocated by the server); the server answers
with command 1 and both node addresses; then FINS frames travel in FRAME SEND (command 2).
A server that finds a bad header answers FRAME SEND ERROR NOTIFICATION (command 3) and
closes the connection. Layout and codes: the Ethernet units' manuals, "FINS/TCP Method".
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .frames import MAX_FRAME_BYTES, FinsFrameError

MAGIC = b"FINS"
HEADER_BYTES = 16
NODE_ADDRESS_REQUEST = 0  # client to server
NODE_ADDRESS_RESPONSE = 1  # server to client
FRAME_SEND = 2
FRAME_SEND_ERROR = 3
CONNECTION_CONFIRMATION = 6
MAX_LENGTH = 8 + MAX_FRAME_BYTES  # 2020: command + error code + the longest FINS frame

ERROR_CODES: dict[int, str] = {
    0x00: "normal",
    0x01: "the header is not 'FINS'",
    0x02: "the data length is too long",
    0x03: "the command is not supported",
    0x20: "all connections are in use",
    0x21: "the specified node is already connected",
    0x22: "attempt to access a protected node from an unspecified IP address",
    0x23: "the client FINS node address is out of range",
    0x24: "the same FINS node address is being used by the client and server",
    0x25: "all the node addresses available for allocation have been used",
}


def describe_error(code: int) -> str:
    return f"FINS/TCP error code {code:08X} hex ({ERROR_CODES.get(code, 'not in the reference')})"


@dataclass(frozen=True)
class TcpMessage:
    command: int
    error_code: int
    payload: bytes


def encode(command: int, payload: bytes = b"", error_code: int = 0) -> bytes:
    return MAGIC + struct.pack(">III", 8 + len(payload), command, error_code) + payload


def node_address_request(client_node: int) -> bytes:
    """The client's opening message; 0 asks the server to allocate the client's node address."""
    if not 0 <= client_node <= 254:
        raise ValueError(f"FINS/TCP client node address must be 0..254, got {client_node}")
    return encode(NODE_ADDRESS_REQUEST, client_node.to_bytes(4, "big"))


def node_address_response(client_node: int, server_node: int, error_code: int = 0) -> bytes:
    return encode(NODE_ADDRESS_RESPONSE, client_node.to_bytes(4, "big") + server_node.to_bytes(4, "big"),
                  error_code)


def frame_send(frame: bytes) -> bytes:
    return encode(FRAME_SEND, frame)


def node_addresses(message: TcpMessage) -> tuple[int, int]:
    """(client node, server node) of a NODE ADDRESS DATA SEND (server to client)."""
    if message.command != NODE_ADDRESS_RESPONSE:
        raise FinsFrameError(f"FINS/TCP handshake: command {message.command} instead of 1 (node address data)")
    if message.error_code:
        raise FinsFrameError(f"FINS/TCP handshake refused: {describe_error(message.error_code)}")
    if len(message.payload) != 8:
        raise FinsFrameError(f"FINS/TCP handshake: {len(message.payload)} bytes of node addresses, not 8")
    client, server = struct.unpack(">II", message.payload)
    return client, server


class StreamDecoder:
    """Cuts a TCP byte stream into FINS/TCP messages; FinsFrameError on a header that is not one."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[TcpMessage]:
        self._buffer += data
        messages = []
        while len(self._buffer) >= 8:
            if bytes(self._buffer[:4]) != MAGIC:
                raise FinsFrameError(f"FINS/TCP: header {bytes(self._buffer[:4])!r} is not 'FINS'")
            length = int.from_bytes(self._buffer[4:8], "big")
            if not 8 <= length <= MAX_LENGTH:
                raise FinsFrameError(f"FINS/TCP: length {length} outside 8..{MAX_LENGTH}")
            if len(self._buffer) < 8 + length:
                break
            command, error_code = struct.unpack(">II", self._buffer[8:16])
            messages.append(TcpMessage(command, error_code, bytes(self._buffer[16:8 + length])))
            del self._buffer[:8 + length]
        return messages
