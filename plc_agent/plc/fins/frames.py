"""FINS frames: the 10-byte header and memory area read (01 01) / write (01 02) of DM words.

Plain bytes in, plain values out, no I/O. The layout follows Omron's FINS commands
reference and the Ethernet units' manuals: header ICF RSV GCT DNA DA1 DA2 SNA SA1 SA2 SID,
then the command code (MRC SRC), then its parameters; a response repeats the command
code and adds the end code (MRES SRES) before its data. Words travel high byte first.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .end_codes import EndCode

HEADER_BYTES = 10
ICF_COMMAND = 0x80  # bit 7 always set; bit 6 = 0: a command; bit 0 = 0: a response is wanted
ICF_RESPONSE_BIT = 0x40  # bit 6: the frame is a response
ICF_NO_RESPONSE_BIT = 0x01
GATEWAY_COUNT = 0x02  # GCT: the reference's value for frames sent from a host
DM_WORDS = 0x82  # I/O memory area code: DM area, word access

MEMORY_AREA_READ = 0x0101
MEMORY_AREA_WRITE = 0x0102
MEMORY_PARAMETER_BYTES = 6  # area code (1), beginning address (2) + bit (1), number of items (2)

# The Ethernet units' frame sizes: a command's parameters and data are at most 2000 bytes
# after MRC SRC, a response's data at most 1998 bytes after MRES SRES (FINS frame 2012).
MAX_COMMAND_TEXT_BYTES = 2000
MAX_RESPONSE_DATA_BYTES = 1998
MAX_FRAME_BYTES = HEADER_BYTES + 2 + MAX_COMMAND_TEXT_BYTES
# Words of one request: 999 read (1998 bytes of data), 997 written (2000 - 6 bytes of
# parameters). The request planner takes these through the link.
MAX_READ_WORDS = MAX_RESPONSE_DATA_BYTES // 2
MAX_WRITE_WORDS = (MAX_COMMAND_TEXT_BYTES - MEMORY_PARAMETER_BYTES) // 2
MAX_DM_ADDRESS = 0xFFFF


class FinsFrameError(ValueError):
    """Bytes that are not the FINS frame they should be; the message says what is wrong."""


@dataclass(frozen=True)
class FinsAddress:
    """One end of a FINS exchange: network (0 = the local network), node, unit (0 = the CPU unit)."""

    network: int = 0
    node: int = 0
    unit: int = 0

    def __post_init__(self) -> None:
        for name, value, high in (("network", self.network, 127), ("node", self.node, 255),
                                  ("unit", self.unit, 255)):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
                raise ValueError(f"FINS {name} address must be a whole number 0..{high}, got {value!r}")

    def __str__(self) -> str:
        return f"{self.network}.{self.node}.{self.unit}"


@dataclass(frozen=True)
class FinsHeader:
    icf: int
    rsv: int
    gct: int
    destination: FinsAddress
    source: FinsAddress
    sid: int

    @classmethod
    def command(cls, destination: FinsAddress, source: FinsAddress, sid: int) -> FinsHeader:
        if not 0 <= sid <= 0xFF:
            raise ValueError(f"FINS service id must be 0..255, got {sid}")
        return cls(ICF_COMMAND, 0, GATEWAY_COUNT, destination, source, sid)

    @property
    def is_response(self) -> bool:
        return bool(self.icf & ICF_RESPONSE_BIT)

    def response(self) -> FinsHeader:
        """The header of the answer to this command: addresses swapped, same service id."""
        return FinsHeader(ICF_COMMAND | ICF_RESPONSE_BIT, 0, GATEWAY_COUNT, self.source, self.destination,
                          self.sid)

    def encode(self) -> bytes:
        d, s = self.destination, self.source
        return bytes((self.icf, self.rsv, self.gct, d.network, d.node, d.unit, s.network, s.node, s.unit,
                      self.sid))

    @classmethod
    def decode(cls, frame: bytes) -> FinsHeader:
        if len(frame) < HEADER_BYTES:
            raise FinsFrameError(f"FINS frame of {len(frame)} byte(s): shorter than its 10-byte header")
        icf, rsv, gct, dna, da1, da2, sna, sa1, sa2, sid = frame[:HEADER_BYTES]
        if not icf & 0x80:
            raise FinsFrameError(f"FINS header: ICF {icf:02X} hex lacks bit 7, not a FINS frame")
        try:
            return cls(icf, rsv, gct, FinsAddress(dna, da1, da2), FinsAddress(sna, sa1, sa2), sid)
        except ValueError as exc:
            raise FinsFrameError(f"FINS header: {exc}") from exc


@dataclass(frozen=True)
class FinsCommand:
    header: FinsHeader
    code: int  # MRC << 8 | SRC
    text: bytes  # parameters and data after the command code


@dataclass(frozen=True)
class FinsResponse:
    header: FinsHeader
    code: int
    end_code: EndCode
    data: bytes


@dataclass(frozen=True)
class MemoryAreaRequest:
    """The parameters of a memory area read or write, as the PLC reads them."""

    area: int
    address: int
    bit: int
    count: int
    data: bytes  # a write's words; empty for a read


def _check_words(address: int, count: int, limit: int, what: str) -> None:
    if not 0 <= address <= MAX_DM_ADDRESS:
        raise ValueError(f"{what}: DM address {address} is outside 0..{MAX_DM_ADDRESS}")
    if not 1 <= count <= limit:
        raise ValueError(f"{what}: {count} word(s); one command carries 1..{limit}")
    if address + count - 1 > MAX_DM_ADDRESS:
        raise ValueError(f"{what}: words {address}..{address + count - 1} run past D{MAX_DM_ADDRESS}")


def words_to_bytes(words: list[int]) -> bytes:
    bad = [w for w in words if isinstance(w, bool) or not isinstance(w, int) or not 0 <= w <= 0xFFFF]
    if bad:
        raise ValueError(f"{bad[:3]!r} are not 16-bit words")
    return struct.pack(f">{len(words)}H", *words)


def bytes_to_words(data: bytes) -> list[int]:
    if len(data) % 2:
        raise FinsFrameError(f"{len(data)} data bytes: not whole words")
    return list(struct.unpack(f">{len(data) // 2}H", data))


def encode_command(header: FinsHeader, code: int, text: bytes) -> bytes:
    if len(text) > MAX_COMMAND_TEXT_BYTES:
        raise ValueError(f"FINS command text of {len(text)} bytes: at most {MAX_COMMAND_TEXT_BYTES}")
    return header.encode() + code.to_bytes(2, "big") + text


def memory_area_read(header: FinsHeader, address: int, count: int) -> bytes:
    """MEMORY AREA READ (01 01) of `count` DM words from D`address`."""
    _check_words(address, count, MAX_READ_WORDS, "memory area read")
    text = bytes((DM_WORDS,)) + address.to_bytes(2, "big") + b"\x00" + count.to_bytes(2, "big")
    return encode_command(header, MEMORY_AREA_READ, text)


def memory_area_write(header: FinsHeader, address: int, words: list[int]) -> bytes:
    """MEMORY AREA WRITE (01 02) of `words` into DM from D`address`."""
    _check_words(address, len(words), MAX_WRITE_WORDS, "memory area write")
    text = (bytes((DM_WORDS,)) + address.to_bytes(2, "big") + b"\x00" + len(words).to_bytes(2, "big")
            + words_to_bytes(words))
    return encode_command(header, MEMORY_AREA_WRITE, text)


def decode_command(frame: bytes) -> FinsCommand:
    header = FinsHeader.decode(frame)
    if header.is_response:
        raise FinsFrameError(f"FINS frame with ICF {header.icf:02X} hex is a response, not a command")
    if len(frame) < HEADER_BYTES + 2:
        raise FinsFrameError(f"FINS command of {len(frame)} bytes has no command code")
    return FinsCommand(header, int.from_bytes(frame[10:12], "big"), bytes(frame[12:]))


def decode_memory_area_request(command: FinsCommand) -> MemoryAreaRequest:
    """The parameters of a 01 01 / 01 02 command; FinsFrameError when they are short or the
    write's data does not match its number of items."""
    text = command.text
    if len(text) < MEMORY_PARAMETER_BYTES:
        raise FinsFrameError(f"memory area command of {len(text)} parameter byte(s): needs 6")
    request = MemoryAreaRequest(area=text[0], address=int.from_bytes(text[1:3], "big"), bit=text[3],
                                count=int.from_bytes(text[4:6], "big"), data=bytes(text[6:]))
    if command.code == MEMORY_AREA_WRITE and len(request.data) != 2 * request.count:
        raise FinsFrameError(f"memory area write of {request.count} item(s) carries {len(request.data)} bytes")
    return request


def encode_response(command_header: FinsHeader, code: int, end_code: int, data: bytes = b"") -> bytes:
    """The answer to a command: its header turned round, the code, the end code, the data."""
    return (command_header.response().encode() + code.to_bytes(2, "big") + end_code.to_bytes(2, "big")
            + data)


def decode_response(frame: bytes) -> FinsResponse:
    header = FinsHeader.decode(frame)
    if not header.is_response:
        raise FinsFrameError(f"FINS frame with ICF {header.icf:02X} hex is a command, not a response")
    if len(frame) < HEADER_BYTES + 4:
        raise FinsFrameError(f"FINS response of {len(frame)} bytes lacks its command and end codes")
    return FinsResponse(header, int.from_bytes(frame[10:12], "big"), EndCode.from_bytes(frame[12], frame[13]),
                        bytes(frame[14:]))
