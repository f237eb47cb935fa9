"""``plc_ping`` as docs/api.md states it, on the stand-in and on Odoo 14."""

from __future__ import annotations

from datetime import datetime

from support.contract_sites import ContractLine, ContractSite

from .conftest import PING_KEYS, refused

STATUS = {
    "agent_version": "0.2.0",
    "queue": {"queued": 0, "written": 1, "running": 1, "finished": 0, "held": 0, "suspect": 0},
    "plc": {"up": True, "last_error": None, "last_good_read_at": "2026-11-28T06:01:02+00:00"},
    "stuck": 0, "running_mo": "WH/MO/00042",
    "unsent": {"batches": 0, "failures": 0, "weighings": 0},
}


def test_a_ping_answers_the_documented_keys(site: ContractSite, line: ContractLine) -> None:
    for args in ([line.code], [line.code, STATUS], [line.code, None]):
        ping = line.agent.call("plc_ping", *args)
        assert set(ping) == PING_KEYS, args
        assert (ping["api_version"], ping["line"]) == (1, line.code)
        assert (ping["line_exists"], ping["line_active"]) == (True, True)
        # The addon's defaults for one PLC batch slot.
        assert (ping["components_per_batch"], ping["text_width"]) == (15, 16)
        datetime.strptime(ping["server_time"], "%Y-%m-%d %H:%M:%S")
    assert site.line_records(line)["pings"] == 3


def test_unknown_status_keys_are_ignored(line: ContractLine) -> None:
    status = dict(STATUS, future={"anything": [1, 2]}, queue=dict(STATUS["queue"], later="x"))
    assert line.agent.call("plc_ping", line.code, status)["line_exists"] is True


def test_a_status_key_of_the_wrong_type_is_a_user_error_naming_it(site: ContractSite, line: ContractLine) -> None:
    cases = [
        ({"queue": {"held": "2"}}, "status.queue.held: "),
        ({"unsent": {"failures": -3}}, "status.unsent.failures: "),
        ({"plc": {"up": "yes"}}, "status.plc.up: "),
        ({"plc": {"last_good_read_at": "2026-11-28T06:01:02"}}, "status.plc.last_good_read_at: "),
        ({"stuck": 1.5}, "status.stuck: "),
        ({"agent_version": 2}, "status.agent_version: "),
        ({"running_mo": ["WH/MO/00042"]}, "status.running_mo: "),
        ("up", "status: "),
    ]
    problems = []
    for status, key in cases:
        error = refused(line.agent.call, "plc_ping", line.code, status)
        if error.name != "odoo.exceptions.UserError" or not error.message.startswith(key):
            problems.append(f"{status!r}: {error}")
    assert not problems, "\n".join(problems)
    assert site.line_records(line)["pings"] == 0


def test_administrators_are_told_a_code_names_no_line(site: ContractSite) -> None:
    ping = site.admin().call("plc_ping", "NO-SUCH-LINE")
    assert (ping["line"], ping["line_exists"], ping["line_active"]) == ("NO-SUCH-LINE", False, False)
    # The capacity and the ready count come with a line only.
    assert set(ping) == PING_KEYS - {"components_per_batch", "text_width", "ready_mo_count"}


def test_the_ping_counts_the_mos_a_fetch_would_claim(site: ContractSite, line: ContractLine) -> None:
    assert line.agent.call("plc_ping", line.code)["ready_mo_count"] == 0
    site.new_mo(line)
    site.new_mo(line, hold=True)
    site.new_mo(line)
    assert line.agent.call("plc_ping", line.code)["ready_mo_count"] == 2
    batches = line.agent.call("plc_fetch_batches", line.code, 1)["batches"]
    assert len(batches) == 1
    assert line.agent.call("plc_ping", line.code)["ready_mo_count"] == 1
    site.archive_line(line)
    assert line.agent.call("plc_ping", line.code)["ready_mo_count"] == 0


def test_the_next_fetch_is_taken_and_a_bad_one_refused_naming_it(site: ContractSite,
                                                                  line: ContractLine) -> None:
    status = dict(STATUS, next_fetch={"in_seconds": 30, "reason": "at the next ping"})
    assert line.agent.call("plc_ping", line.code, status)["line_exists"] is True
    for next_fetch, key in (({"in_seconds": -1}, "status.next_fetch.in_seconds: "),
                            ({"in_seconds": 604801}, "status.next_fetch.in_seconds: must be at most"),
                            ({"reason": 3}, "status.next_fetch.reason: "),
                            ([30], "status.next_fetch: ")):
        error = refused(line.agent.call, "plc_ping", line.code, dict(STATUS, next_fetch=next_fetch))
        assert error.name == "odoo.exceptions.UserError" and error.message.startswith(key), error
    assert site.line_records(line)["pings"] == 1
