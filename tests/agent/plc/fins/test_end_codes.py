"""FINS end codes as the FINS commands reference gives them (section "End Codes"): main and
sub-code, their meaning, and the flag bits that are not the command's result."""

from __future__ import annotations

import pytest

from plc_agent.plc.fins.end_codes import EndCode, describe_end_code


@pytest.mark.parametrize(("mres", "sres", "text"), [
    (0x11, 0x03, "end code 1103 hex (parameter error: address range error)"),
    (0x11, 0x01, "end code 1101 hex (parameter error: area classification missing)"),
    (0x04, 0x01, "end code 0401 hex (not executable: undefined command)"),
    (0x10, 0x03, "end code 1003 hex (command format error: elements/data don't match)"),
    (0x22, 0x03, "end code 2203 hex (not executable in current mode: wrong PLC mode (PROGRAM))"),
    (0x02, 0x05, "end code 0205 hex (destination node error: response timeout)"),
    (0x21, 0x01, "end code 2101 hex (write not possible: read-only)"),
])
def test_end_codes_name_code_and_meaning(mres, sres, text):
    code = EndCode.from_bytes(mres, sres)
    assert not code.ok and str(code) == text


def test_cpu_unit_flags_do_not_fail_the_command():
    # SRES bit 7 / bit 6: a fatal / non-fatal error in the CPU unit; MRES bit 7: relay error.
    code = EndCode.from_bytes(0x00, 0x40)
    assert code.ok and code.flags == ("non-fatal CPU unit error",)
    code = EndCode.from_bytes(0x91, 0x83)
    assert code.code == 0x1103 and code.flags == ("relay error", "fatal CPU unit error")
    assert str(code).endswith("[relay error, fatal CPU unit error]")


def test_an_end_code_not_in_the_reference_still_says_what_it_is():
    assert describe_end_code(0x113F) == "parameter error: sub-code 3F hex not in the reference"
    assert describe_end_code(0x7F01) == "unknown main code: sub-code 01 hex not in the reference"
