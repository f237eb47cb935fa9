"""``plc_report_failure`` as docs/api.md states it, on the stand-in and on Odoo 14: each
key once per line, taken as it comes; a malformed failure rejected naming the field."""

from __future__ import annotations

from typing import Any

from support.contract_sites import ContractLine, ContractSite

from .conftest import FAILURE_RESULT_KEYS, failure_payload, nesting_answers, rejections


def report_failure(line: ContractLine, payload: Any) -> dict[str, Any]:
    return line.agent.call("plc_report_failure", payload)


def test_a_failure_is_stored_once_per_key(site: ContractSite, line: ContractLine) -> None:
    payload = failure_payload(line)
    first = report_failure(line, payload)
    assert set(first) == FAILURE_RESULT_KEYS
    assert (first["status"], first["duplicate"], first["reason"], first["api_version"]) == ("stored", False, None, 1)
    assert isinstance(first["failure_id"], int) and not isinstance(first["failure_id"], bool)
    assert report_failure(line, payload) == dict(first, duplicate=True)
    # The key is the failure: whatever else the same key says, it is that failure again.
    assert report_failure(line, dict(payload, info="STOP_FAILURE")) == dict(first, duplicate=True)
    assert site.line_records(line)["failures"] == 1


def test_the_key_is_taken_as_it_comes_once_per_line(
        site: ContractSite, line: ContractLine, other_line: ContractLine) -> None:
    # Not the agent's usual key, and a time without offset (taken as UTC).
    key = "mixer-7 overload, first of the shift"
    here = report_failure(line, failure_payload(line, failure_key=key, occurred_at="2026-11-28T06:01:02"))
    there = report_failure(other_line, failure_payload(other_line, failure_key=key))
    assert (here["status"], here["duplicate"]) == ("stored", False)
    assert (there["status"], there["duplicate"]) == ("stored", False)
    assert here["failure_id"] != there["failure_id"]
    assert [site.line_records(x)["failures"] for x in (line, other_line)] == [1, 1]


def _failures_table() -> list[tuple[str, Any, str]]:
    def drop(name: str):
        return lambda p: p.__delitem__(name)

    return [
        ("payload not an object", lambda p: [p], "payload: must be an object"),
        ("info missing", drop("info"), "missing field(s): info"),
        ("another field", lambda p: p.update(severity="high"), "unknown field(s): severity"),
        ("line not a string", lambda p: p.update(line=5), "line: "),
        ("line empty", lambda p: p.update(line=""), "line: "),
        ("failure_key empty", lambda p: p.update(failure_key=""), "failure_key: "),
        ("failure_key of 201 characters", lambda p: p.update(failure_key="k" * 201), "failure_key: "),
        ("equipment empty", lambda p: p.update(equipment=" "), "equipment: "),
        ("equipment a number", lambda p: p.update(equipment=101), "equipment: "),
        ("equipment of 65 characters", lambda p: p.update(equipment="e" * 65), "equipment: "),
        ("info with NUL", lambda p: p.update(info="START\x00"), "info: must not contain NUL"),
        ("occurred_at null", lambda p: p.update(occurred_at=None), "occurred_at: "),
        ("occurred_at a number", lambda p: p.update(occurred_at=1764309662), "occurred_at: "),
        ("occurred_at not a time", lambda p: p.update(occurred_at="yesterday"), "occurred_at: "),
    ]


def test_bad_failures_are_rejected_naming_the_field_and_store_nothing(site: ContractSite, line: ContractLine) -> None:
    answers: list[dict[str, Any]] = []

    def answer_of(payload: Any) -> dict[str, Any]:
        answers.append(report_failure(line, payload))
        return answers[-1]

    problems = rejections(answer_of, lambda: failure_payload(line), _failures_table(), FAILURE_RESULT_KEYS)
    assert not problems, "\n".join(problems)
    assert all(a["failure_id"] is None for a in answers)
    assert site.line_records(line)["failures"] == 0
    # Rejections are not remembered: the good failure is stored.
    assert report_failure(line, failure_payload(line))["status"] == "stored"


def test_values_nested_as_deep_as_the_server_reads_are_rejected_naming_the_field(
        site: ContractSite, line: ContractLine) -> None:
    arguments = ('[{"line": "%s", "failure_key": "k1", "equipment": %%s, "info": "START_FAILURE", '
                 '"occurred_at": "2026-11-28T06:01:02Z"}]' % line.code)
    answers = nesting_answers(line.agent, "plc_report_failure", arguments)
    assert answers and answers[-1][0] >= 900, answers[-1:]
    wrong = [(depth, answer) for depth, answer in answers
             if not (isinstance(answer, dict) and answer["status"] == "rejected"
                     and answer["reason"].startswith("equipment:") and len(answer["reason"]) < 500)]
    assert not wrong, str(wrong[:3])[:1000]
    assert site.line_records(line)["failures"] == 0
