"""``plc_report_manual_weighing`` as docs/api.md states it, on the stand-in and on Odoo 14:
consumed once per key, kept when Odoo cannot apply it, rejected naming the field when
malformed."""

from __future__ import annotations

import math
from typing import Any

from support.contract_sites import ContractLine, ContractSite

from .conftest import WEIGHING_RESULT_KEYS, nesting_answers, rejections, weighing_payload


def report_weighing(line: ContractLine, payload: Any) -> dict[str, Any]:
    return line.agent.call("plc_report_manual_weighing", payload)


def test_a_weighing_is_consumed_once_per_key(site: ContractSite, line: ContractLine) -> None:
    mo = site.new_mo(line)
    payload = weighing_payload(site, line, mo)
    first = report_weighing(line, payload)
    assert first == {"status": "consumed", "duplicate": False, "reason": None, "api_version": 1}
    assert report_weighing(line, payload) == dict(first, duplicate=True)
    # The same weighing written another way: 12.5 kg as given, the same moment in another offset.
    assert report_weighing(line, dict(payload, weighed_at="2026-11-28T07:01:02+01:00")) == dict(first, duplicate=True)
    assert site.mo_status(mo.id)["weighed"] == 1


def test_the_same_key_with_another_payload_is_rejected(site: ContractSite, line: ContractLine) -> None:
    mo = site.new_mo(line)
    payload = weighing_payload(site, line, mo, quantity=12)
    first = report_weighing(line, payload)
    assert report_weighing(line, dict(payload, quantity=12.0)) == dict(first, duplicate=True)
    result = report_weighing(line, dict(payload, quantity=13.0))
    assert set(result) == WEIGHING_RESULT_KEYS
    assert (result["status"], result["duplicate"]) == ("rejected", False)
    assert result["reason"].startswith(f"weighing_key: {payload['weighing_key']}")
    assert "different payload" in result["reason"]
    assert site.mo_status(mo.id)["weighed"] == 1
    assert report_weighing(line, payload) == dict(first, duplicate=True)


def test_a_weighing_odoo_cannot_apply_is_kept(site: ContractSite, line: ContractLine) -> None:
    mo = site.new_mo(line)
    cancelled = site.new_mo(line)
    site.cancel_mo(cancelled.id)
    cases = {
        "no such MO": dict(mo_name="WH/MO/99999"),
        "no MO named": dict(mo_name=""),
        "MO cancelled": dict(mo_name=cancelled.name),
        "no such product": dict(product_template_id=999999),
        "nothing weighed": dict(quantity=0.0),
        "a negative weight": dict(quantity=-2.5),
        "above the line's largest weighing": dict(quantity=1000.5),
    }
    problems = []
    for index, (name, changes) in enumerate(cases.items()):
        payload = weighing_payload(site, line, mo, weighing_key=f"{line.code}-W-kept-{index}", **changes)
        first = report_weighing(line, payload)
        again = report_weighing(line, payload)
        if (set(first) != WEIGHING_RESULT_KEYS or (first["status"], first["duplicate"]) != ("kept", False)
                or not isinstance(first["reason"], str) or not first["reason"]
                or again != dict(first, duplicate=True)):
            problems.append(f"{name}: {first!r} then {again!r}")
    assert not problems, "\n".join(problems)
    assert site.mo_status(mo.id)["weighed"] == 0
    assert site.line_records(line)["weighings"] == len(cases)


def test_a_weighing_naming_another_lines_mo_is_kept_as_for_no_mo(
        site: ContractSite, line: ContractLine, other_line: ContractLine) -> None:
    theirs = site.new_mo(other_line)
    kept = report_weighing(line, weighing_payload(site, line, theirs))
    unknown = report_weighing(line, weighing_payload(site, line, None, mo_name="WH/MO/99999",
                                                     weighing_key=f"{line.code}-W-unknown"))
    assert (kept["status"], unknown["status"]) == ("kept", "kept")
    assert kept["reason"].replace(theirs.name, "<mo>") == unknown["reason"].replace("WH/MO/99999", "<mo>")
    assert other_line.code not in kept["reason"]
    assert site.mo_status(theirs.id)["weighed"] == 0


def _weighings_table() -> list[tuple[str, Any, str]]:
    return [
        ("payload not an object", lambda p: [p], "payload: must be an object"),
        ("quantity missing", lambda p: p.__delitem__("quantity"), "missing field(s): quantity"),
        ("another field", lambda p: p.update(unit="kg"), "unknown field(s): unit"),
        ("line empty", lambda p: p.update(line=""), "line: "),
        ("weighing_key empty", lambda p: p.update(weighing_key=""), "weighing_key: "),
        ("weighing_key of 201 characters", lambda p: p.update(weighing_key="w" * 201), "weighing_key: "),
        ("mo_name a number", lambda p: p.update(mo_name=42), "mo_name: "),
        ("mo_name of 65 characters", lambda p: p.update(mo_name="M" * 65), "mo_name: "),
        ("mo_name with NUL", lambda p: p.update(mo_name="WH/MO/1\x00"), "mo_name: must not contain NUL"),
        ("batch_number above 65535", lambda p: p.update(batch_number=65536), "batch_number: "),
        ("batch_number negative", lambda p: p.update(batch_number=-1), "batch_number: "),
        ("batch_number a string", lambda p: p.update(batch_number="17"), "batch_number: "),
        ("batch_number a bool", lambda p: p.update(batch_number=True), "batch_number: "),
        ("product_template_id a string", lambda p: p.update(product_template_id="55"), "product_template_id: "),
        ("product_template_id a float", lambda p: p.update(product_template_id=55.5), "product_template_id: "),
        ("quantity a string", lambda p: p.update(quantity="lots"), "quantity: "),
        ("quantity a bool", lambda p: p.update(quantity=True), "quantity: "),
        ("quantity NaN", lambda p: p.update(quantity=math.nan), "quantity: "),
        ("quantity 10^12", lambda p: p.update(quantity=1e12), "quantity: "),
        ("weighed_at null", lambda p: p.update(weighed_at=None), "weighed_at: "),
        ("weighed_at not a time", lambda p: p.update(weighed_at="yesterday"), "weighed_at: "),
    ]


def test_bad_weighings_are_rejected_naming_the_field_and_write_nothing(site: ContractSite, line: ContractLine) -> None:
    mo = site.new_mo(line)
    problems = rejections(lambda payload: report_weighing(line, payload), lambda: weighing_payload(site, line, mo),
                          _weighings_table(), WEIGHING_RESULT_KEYS)
    assert not problems, "\n".join(problems)
    assert site.line_records(line)["weighings"] == 0
    assert site.mo_status(mo.id)["weighed"] == 0
    assert report_weighing(line, weighing_payload(site, line, mo))["status"] == "consumed"


def test_values_nested_as_deep_as_the_server_reads_are_rejected_naming_the_field(
        site: ContractSite, line: ContractLine) -> None:
    arguments = ('[{"line": "%s", "weighing_key": "w1", "mo_name": %%s, "batch_number": 17, '
                 '"product_template_id": %d, "quantity": 12.5, "weighed_at": "2026-11-28T06:01:02Z"}]'
                 % (line.code, site.weighing_template_id()))
    answers = nesting_answers(line.agent, "plc_report_manual_weighing", arguments)
    assert answers and answers[-1][0] >= 900, answers[-1:]
    wrong = [(depth, answer) for depth, answer in answers
             if not (isinstance(answer, dict) and answer["status"] == "rejected"
                     and answer["reason"].startswith("mo_name:") and len(answer["reason"]) < 500)]
    assert not wrong, str(wrong[:3])[:1000]
    assert site.line_records(line)["weighings"] == 0
