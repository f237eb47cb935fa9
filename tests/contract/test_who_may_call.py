"""Who may call the PLC bridge's methods (docs/api.md, "Who may call"), on the stand-in and
on Odoo 14: members of the group PLC agent, each only for the lines it is bound to, and
administrators. A refusal writes nothing and tells nothing of the other line."""

from __future__ import annotations

from typing import Any

from support.contract_sites import ContractLine, ContractSite, RpcRefused

from .conftest import done_payload, failure_payload, fetch, refused, report, sent_mo, weighing_payload

ACCESS_ERROR = "odoo.exceptions.AccessError"


def test_fetch_and_ping_of_another_line_are_refused_as_of_no_line(
        site: ContractSite, line: ContractLine, other_line: ContractLine) -> None:
    theirs = site.new_mo(other_line)
    unknown = f"{other_line.code}-NOPE"
    for method, args in (("plc_fetch_batches", [10]), ("plc_ping", [{"plc": {"up": True}}])):
        of_theirs = refused(line.agent.call, method, other_line.code, *args)
        of_none = refused(line.agent.call, method, unknown, *args)
        assert (of_theirs.name, of_none.name) == (ACCESS_ERROR, ACCESS_ERROR)
        # The same words: the refusal does not say whether a line has the code.
        assert of_theirs.message.replace(other_line.code, "<code>") == of_none.message.replace(unknown, "<code>")
    assert site.mo_status(theirs.id)["plc_state"] == "ready"
    assert site.line_records(other_line)["pings"] == 0
    # The other line's own agent is served.
    assert [b["mo_id"] for b in fetch(other_line)["batches"]] == [theirs.id]


def test_a_batch_report_naming_another_line_is_refused_and_writes_nothing(
        site: ContractSite, line: ContractLine, other_line: ContractLine) -> None:
    theirs, batch = sent_mo(site, other_line)
    before = site.mo_status(theirs.id)
    assert refused(report, line, done_payload(other_line, batch)).name == ACCESS_ERROR
    assert site.mo_status(theirs.id) == before
    assert report(other_line, done_payload(other_line, batch))["status"] == "done"


def test_a_batch_report_of_another_lines_mo_answers_as_of_no_mo(
        site: ContractSite, line: ContractLine, other_line: ContractLine) -> None:
    theirs, batch = sent_mo(site, other_line)
    before = site.mo_status(theirs.id)
    as_mine = done_payload(line, batch, batch_key=f"{line.code}-{theirs.id}-1")
    answer = report(line, as_mine)
    no_mo = report(line, dict(as_mine, mo_id=2147483647))
    assert (answer["status"], answer["mo_state"], answer["duplicate"]) == ("rejected", None, False)
    assert answer["reason"] == no_mo["reason"].replace("2147483647", str(theirs.id))
    assert site.mo_status(theirs.id) == before


def test_a_failure_naming_another_line_is_refused_and_stores_nothing(
        site: ContractSite, line: ContractLine, other_line: ContractLine) -> None:
    error = refused(line.agent.call, "plc_report_failure", failure_payload(other_line))
    assert error.name == ACCESS_ERROR
    assert site.line_records(other_line)["failures"] == 0


def test_a_weighing_naming_another_line_is_refused_and_writes_nothing(
        site: ContractSite, line: ContractLine, other_line: ContractLine) -> None:
    theirs = site.new_mo(other_line)
    error = refused(line.agent.call, "plc_report_manual_weighing", weighing_payload(site, other_line, theirs))
    assert error.name == ACCESS_ERROR
    assert site.line_records(other_line)["weighings"] == 0
    assert site.mo_status(theirs.id)["weighed"] == 0


def test_a_long_line_code_is_not_echoed_back(site: ContractSite, line: ContractLine) -> None:
    code = "L" * 100_000
    calls: list[tuple[str, list[Any]]] = [
        ("plc_fetch_batches", [code]),
        ("plc_ping", [code]),
        ("plc_report_failure", [failure_payload(line, line=code)]),
        ("plc_report_manual_weighing", [weighing_payload(site, line, None, line=code)]),
        ("plc_report_batch", [{"mo_id": 1, "line": code, "batch_key": "k", "consumption": [], "status": "done"}]),
    ]
    problems = []
    for method, args in calls:
        try:
            answer = line.agent.call(method, *args)
        except RpcRefused as error:
            text = error.message
        else:
            text = str(answer.get("reason"))
        if len(text) > 1000:
            problems.append(f"{method}: {len(text)} characters: {text[:100]}...")
    assert not problems, "\n".join(problems)


def test_users_outside_the_group_are_refused(site: ContractSite, line: ContractLine) -> None:
    mo, batch = sent_mo(site, line)
    clerk = site.outsider()
    calls = [("plc_ping", [line.code]), ("plc_fetch_batches", [line.code]),
             ("plc_report_batch", [done_payload(line, batch)]), ("plc_report_failure", [failure_payload(line)]),
             ("plc_report_manual_weighing", [weighing_payload(site, line, mo)])]
    for method, args in calls:
        error = refused(clerk.call, method, *args)
        assert error.name == ACCESS_ERROR and "PLC agent" in error.message, (method, error)
    assert site.mo_status(mo.id)["reported"] is False
    assert site.line_records(line) == {"failures": 0, "weighings": 0, "pings": 0}


def test_private_methods_are_refused(line: ContractLine) -> None:
    error = refused(line.agent.call, "_plc_check_access")
    assert error.name == ACCESS_ERROR and "Private methods" in error.message
