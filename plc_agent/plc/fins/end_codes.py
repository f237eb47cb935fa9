"""FINS end codes (MRES/SRES): what the PLC says about a command it could not carry out.

The meanings follow Omron's FINS commands reference (section "End Codes"). The two flag
bits of the second byte report the CPU unit's own state (a fatal or non-fatal error in
the PLC) and the first byte's top bit a relay error on the way; none of them means that
*this* command failed, so they are taken off before the code is judged.
"""

from __future__ import annotations

from dataclasses import dataclass

MAIN_CODES: dict[int, str] = {
    0x00: "normal completion",
    0x01: "local node error",
    0x02: "destination node error",
    0x03: "communications controller error",
    0x04: "not executable",
    0x05: "routing error",
    0x10: "command format error",
    0x11: "parameter error",
    0x20: "read not possible",
    0x21: "write not possible",
    0x22: "not executable in current mode",
    0x23: "no such device",
    0x24: "cannot start/stop",
    0x25: "unit error",
    0x26: "command error",
    0x30: "access right error",
    0x40: "abort",
}

END_CODES: dict[int, str] = {
    0x0000: "normal completion",
    0x0001: "service canceled",
    0x0101: "local node not in network",
    0x0102: "token timeout",
    0x0103: "retries failed",
    0x0104: "too many send frames",
    0x0105: "node address range error",
    0x0106: "node address duplication",
    0x0201: "destination node not in network",
    0x0202: "unit missing",
    0x0203: "third node missing",
    0x0204: "destination node busy",
    0x0205: "response timeout",
    0x0301: "communications controller error",
    0x0302: "CPU unit error",
    0x0303: "controller error",
    0x0304: "unit number error",
    0x0401: "undefined command",
    0x0402: "not supported by model/version",
    0x0501: "destination address setting error",
    0x0502: "no routing tables",
    0x0503: "routing table error",
    0x0504: "too many relays",
    0x1001: "command too long",
    0x1002: "command too short",
    0x1003: "elements/data don't match",
    0x1004: "command format error",
    0x1005: "header error",
    0x1101: "area classification missing",
    0x1102: "access size error",
    0x1103: "address range error",
    0x1104: "address range exceeded",
    0x1106: "program missing",
    0x1109: "relational error",
    0x110A: "duplicate data access",
    0x110B: "response too long",
    0x110C: "parameter error",
    0x2002: "protected",
    0x2003: "table missing",
    0x2004: "data missing",
    0x2005: "program missing",
    0x2006: "file missing",
    0x2007: "data mismatch",
    0x2101: "read-only",
    0x2102: "protected",
    0x2103: "cannot register",
    0x2105: "program missing",
    0x2106: "file missing",
    0x2107: "file name already exists",
    0x2108: "cannot change",
    0x2201: "not possible during execution",
    0x2202: "not possible while running",
    0x2203: "wrong PLC mode (PROGRAM)",
    0x2204: "wrong PLC mode (DEBUG)",
    0x2205: "wrong PLC mode (MONITOR)",
    0x2206: "wrong PLC mode (RUN)",
    0x2207: "specified node not polling node",
    0x2208: "step cannot be executed",
    0x2301: "file device missing",
    0x2302: "memory missing",
    0x2303: "clock missing",
    0x2401: "table missing",
    0x2502: "memory error",
    0x2503: "I/O setting error",
    0x2504: "too many I/O points",
    0x2505: "CPU bus error",
    0x2506: "I/O duplication",
    0x2507: "I/O bus error",
    0x2509: "SYSMAC BUS/2 error",
    0x250A: "CPU bus unit error",
    0x250D: "SYSMAC BUS number duplication",
    0x250F: "memory error",
    0x2510: "SYSMAC BUS terminator missing",
    0x2601: "no protection",
    0x2602: "incorrect password",
    0x2604: "protected",
    0x2605: "service already executing",
    0x2606: "service stopped",
    0x2607: "no execution right",
    0x2608: "settings not complete",
    0x2609: "necessary items not set",
    0x260A: "number already defined",
    0x260B: "error will not clear",
    0x3001: "no access right",
    0x4001: "service aborted",
}

RELAY_ERROR_FLAG = 0x80  # MRES bit 7
FATAL_CPU_ERROR_FLAG = 0x80  # SRES bit 7
NON_FATAL_CPU_ERROR_FLAG = 0x40  # SRES bit 6


@dataclass(frozen=True)
class EndCode:
    """One response's end code, its flag bits taken apart."""

    main: int  # MRES without the relay-error bit
    sub: int  # SRES without the two CPU-unit flags
    relay_error: bool
    fatal_cpu_error: bool
    non_fatal_cpu_error: bool

    @classmethod
    def from_bytes(cls, mres: int, sres: int) -> EndCode:
        return cls(main=mres & 0x7F, sub=sres & 0x3F, relay_error=bool(mres & RELAY_ERROR_FLAG),
                   fatal_cpu_error=bool(sres & FATAL_CPU_ERROR_FLAG),
                   non_fatal_cpu_error=bool(sres & NON_FATAL_CPU_ERROR_FLAG))

    @property
    def code(self) -> int:
        return self.main << 8 | self.sub

    @property
    def ok(self) -> bool:
        return self.code == 0

    @property
    def meaning(self) -> str:
        return describe_end_code(self.code)

    @property
    def flags(self) -> tuple[str, ...]:
        """The PLC's own state the code carries beside the command's result."""
        return tuple(name for name, on in (("relay error", self.relay_error),
                                            ("fatal CPU unit error", self.fatal_cpu_error),
                                            ("non-fatal CPU unit error", self.non_fatal_cpu_error)) if on)

    def __str__(self) -> str:
        text = f"end code {self.code:04X} hex ({self.meaning})"
        return text + (f" [{', '.join(self.flags)}]" if self.flags else "")


def describe_end_code(code: int) -> str:
    """The reference's words for an end code (flags already taken off); never empty."""
    main = code >> 8 & 0x7F
    category = MAIN_CODES.get(main, "unknown main code")
    meaning = END_CODES.get(code & 0x7F3F)
    if meaning is None:
        return f"{category}: sub-code {code & 0x3F:02X} hex not in the reference"
    if main == 0 or meaning == category:
        return meaning
    return f"{category}: {meaning}"
