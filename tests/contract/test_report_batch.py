"""``plc_report_batch`` as docs/api.md states it, on the stand-in and on Odoo 14: what a
report answers, that a batch counts once by its ``batch_key``, and every rejection naming
the field."""

from __future__ import annotations

import copy
import math
from typing import Any

from support.contract_sites import ContractLine, ContractSite

from .conftest import RESULT_KEYS, done_payload, fetch, nesting_answers, rejections, report, sent_mo


def test_a_done_report_closes_the_mo(site: ContractSite, line: ContractLine) -> None:
    mo, batch = sent_mo(site, line)
    result = report(line, done_payload(line, batch))
    assert result == {"status": "done", "mo_state": "done", "reason": None, "duplicate": False, "api_version": 1}
    assert site.mo_status(mo.id) == {
        "state": "done", "plc_state": "done", "run": 1, "batch_key": batch["batch_key"], "reported": True,
        "weighed": 0}
    assert fetch(line)["batches"] == []


def test_optional_fields_may_be_null_or_absent(site: ContractSite, line: ContractLine) -> None:
    mo, batch = sent_mo(site, line)
    payload = done_payload(line, batch, finished_quantity=None, message=None)
    del payload["started_at"], payload["finished_at"]
    assert report(line, payload)["status"] == "done"
    assert site.mo_status(mo.id)["state"] == "done"


def test_the_plc_slot_and_batch_number_are_kept_outside_the_digest(site: ContractSite, line: ContractLine) -> None:
    mo, batch = sent_mo(site, line)
    payload = done_payload(line, batch, slot=3, batch_number=42)
    first = report(line, payload)
    assert (first["status"], first["duplicate"]) == ("done", False)
    # The same report from an agent that did not send them, or with others: the first stands.
    for other in ({}, {"slot": None, "batch_number": None}, {"slot": 4, "batch_number": 0}):
        again = {k: v for k, v in payload.items() if k not in ("slot", "batch_number")}
        assert report(line, dict(again, **other)) == dict(first, duplicate=True)


def test_the_same_report_again_answers_the_first_result_as_a_duplicate(site: ContractSite, line: ContractLine) -> None:
    mo, batch = sent_mo(site, line)
    payload = done_payload(line, batch, consumption=[
        {"silo": "101", "quantity": 606.0}, {"silo": "102", "quantity": 383.8}, {"silo": "103", "quantity": 20.2}])
    first = report(line, payload)
    assert (first["status"], first["duplicate"]) == ("done", False)
    assert report(line, copy.deepcopy(payload)) == dict(first, duplicate=True)
    # The same report written another way: another order, 606 for 606.0, another offset.
    rewritten = dict(payload, started_at="2026-11-28T07:00:01+01:00", finished_at="2026-11-28T06:04:12Z",
                     consumption=[{"silo": "103", "quantity": 20.2}, {"silo": "101", "quantity": 606},
                                  {"silo": "102", "quantity": 383.8}])
    assert report(line, rewritten) == dict(first, duplicate=True)
    assert site.mo_status(mo.id)["state"] == "done"


def test_the_same_key_with_another_payload_is_rejected(site: ContractSite, line: ContractLine) -> None:
    mo, batch = sent_mo(site, line)
    payload = done_payload(line, batch)
    first = report(line, payload)
    before = site.mo_status(mo.id)
    result = report(line, dict(payload, finished_quantity=990.0))
    assert set(result) == RESULT_KEYS
    assert (result["status"], result["mo_state"], result["duplicate"]) == ("rejected", None, False)
    assert result["reason"].startswith(f"batch_key: {batch['batch_key']}") and "different payload" in result["reason"]
    assert site.mo_status(mo.id) == before
    # The first report stands, and still answers.
    assert report(line, payload) == dict(first, duplicate=True)


def test_another_key_for_a_reported_mo_is_rejected(site: ContractSite, line: ContractLine) -> None:
    mo, batch = sent_mo(site, line)
    report(line, done_payload(line, batch))
    before = site.mo_status(mo.id)
    result = report(line, done_payload(line, batch, batch_key=batch["batch_key"] + "-retry"))
    assert (result["status"], result["mo_state"]) == ("rejected", None)
    assert result["reason"].startswith("batch_key:") and "already reported" in result["reason"]
    assert site.mo_status(mo.id) == before


def test_a_failed_run_released_runs_again_under_a_new_key(site: ContractSite, line: ContractLine) -> None:
    mo, batch = sent_mo(site, line)
    failed = done_payload(line, batch, status="failed", finished_quantity=None,
                          consumption=[{"silo": "101", "quantity": 120.0}], message="Mixer motor tripped")
    result = report(line, failed)
    assert result == {"status": "failed", "mo_state": "progress", "reason": "Mixer motor tripped",
                      "duplicate": False, "api_version": 1}
    assert report(line, failed) == dict(result, duplicate=True)
    assert site.mo_status(mo.id)["plc_state"] == "failed"
    assert fetch(line)["batches"] == []  # a failed MO is neither re-delivered nor claimed

    site.release(mo.id)
    (again,) = fetch(line)["batches"]
    assert (again["mo_id"], again["run"], again["batch_key"], again["redelivered"]) == (
        mo.id, 2, f"{line.code}-{mo.id}-2", False)
    # The failed run's report sent again (its answer lost before the release) gets the
    # same answer; another payload under its key is refused.
    assert report(line, failed) == dict(result, duplicate=True)
    other = report(line, dict(failed, message="Another reason"))
    assert (other["status"], other["duplicate"]) == ("rejected", False)
    assert "already reported with a different payload" in other["reason"]
    assert report(line, done_payload(line, again))["status"] == "done"
    assert site.mo_status(mo.id) == {
        "state": "done", "plc_state": "done", "run": 2, "batch_key": again["batch_key"], "reported": True,
        "weighed": 0}


def test_suspect_values_leave_the_mo_recorded(site: ContractSite, line: ContractLine) -> None:
    mo, batch = sent_mo(site, line)
    payload = done_payload(line, batch, suspect=[
        {"silo": "102", "raw_words": [3, 65535], "reason": "low word 0xFFFF"}])
    result = report(line, payload)
    assert (result["status"], result["duplicate"]) == ("recorded", False)
    assert result["mo_state"] in ("progress", "to_close")
    assert "silo 102" in result["reason"] and "low word 0xFFFF" in result["reason"]
    status = site.mo_status(mo.id)
    assert (status["plc_state"], status["state"]) == ("recorded", result["mo_state"])
    assert report(line, payload) == dict(result, duplicate=True)
    assert fetch(line)["batches"] == []


def _reports_table(line: ContractLine) -> list[tuple[str, Any, str]]:
    def drop(*names: str):
        def spoil(payload: dict[str, Any]) -> None:
            for name in names:
                del payload[name]
        return spoil

    def consumption(index: int, **changes: Any):
        return lambda p: p["consumption"][index].update(changes)

    def suspect(**entry: Any):
        return lambda p: p.update(suspect=[{"silo": "101", "raw_words": [3], "reason": "r", **entry}])

    return [
        ("payload not an object", lambda p: [p], "payload: must be an object"),
        ("mo_id missing", drop("mo_id"), "missing field(s): mo_id"),
        ("consumption and status missing", drop("consumption", "status"), "missing field(s): consumption, status"),
        ("misspelt field", lambda p: p.update(finished_qty=1.0), "unknown field(s): finished_qty"),
        ("mo_id a string", lambda p: p.update(mo_id=str(p["mo_id"])), "mo_id: must be a positive integer"),
        ("mo_id a bool", lambda p: p.update(mo_id=True), "mo_id: must be a positive integer"),
        ("mo_id 0", lambda p: p.update(mo_id=0), "mo_id: must be a positive integer"),
        ("mo_id negative", lambda p: p.update(mo_id=-3), "mo_id: must be a positive integer"),
        ("no such MO", lambda p: p.update(mo_id=2147483647), "mo_id: manufacturing order 2147483647 does not exist."),
        ("MO id beyond an integer", lambda p: p.update(mo_id=2 ** 31), "mo_id: manufacturing order 2147483648 does"),
        ("line not a string", lambda p: p.update(line=1), "line: "),
        ("line empty", lambda p: p.update(line=""), "line: "),
        ("batch_key empty", lambda p: p.update(batch_key=" "), "batch_key: "),
        ("batch_key null", lambda p: p.update(batch_key=None), "batch_key: "),
        ("batch_key with NUL", lambda p: p.update(batch_key=p["batch_key"] + "\x00"),
         "batch_key: must not contain NUL"),
        ("status unknown", lambda p: p.update(status="finished"), "status: must be 'done' or 'failed'"),
        ("consumption not a list", lambda p: p.update(consumption={"101": 5}), "consumption: "),
        ("consumption item not an object", lambda p: p.update(consumption=[["101", 5.0]]), "consumption[0]: "),
        ("consumption item without quantity", lambda p: p["consumption"][0].__delitem__("quantity"),
         "consumption[0]: "),
        ("consumption item with another key", consumption(0, unit="kg"), "consumption[0]: "),
        ("silo an integer", consumption(0, silo=101), "consumption[0].silo: "),
        ("silo with NUL", consumption(0, silo="10\x001"), "consumption[0].silo: must not contain NUL"),
        ("silo twice", lambda p: p["consumption"].append(dict(p["consumption"][0])), "consumption[3].silo: "),
        ("silo unknown on the line", consumption(1, silo="999"), "consumption[1].silo: "),
        ("silo not sent with the MO", consumption(1, silo=line.idle_silo), "consumption[1].silo: "),
        ("quantity negative", consumption(2, quantity=-0.5), "consumption[2].quantity: "),
        ("quantity NaN", consumption(2, quantity=math.nan), "consumption[2].quantity: "),
        ("quantity infinite", consumption(2, quantity=math.inf), "consumption[2].quantity: "),
        ("quantity a string", consumption(2, quantity="12.5"), "consumption[2].quantity: "),
        ("quantity a bool", consumption(2, quantity=True), "consumption[2].quantity: "),
        ("quantity null", consumption(2, quantity=None), "consumption[2].quantity: "),
        ("quantity 10^12", consumption(2, quantity=1e12), "consumption[2].quantity: "),
        ("finished negative", lambda p: p.update(finished_quantity=-1), "finished_quantity: "),
        ("finished a string", lambda p: p.update(finished_quantity="998"), "finished_quantity: "),
        ("started_at a number", lambda p: p.update(started_at=1764309601), "started_at: "),
        ("started_at not a time", lambda p: p.update(started_at="yesterday"), "started_at: "),
        ("finished_at month 13", lambda p: p.update(finished_at="2026-13-01T00:00:00Z"), "finished_at: "),
        ("message a number", lambda p: p.update(message=5), "message: "),
        ("message with NUL", lambda p: p.update(message="tripped\x00"), "message: must not contain NUL"),
        ("suspect not a list", lambda p: p.update(suspect={}), "suspect: "),
        ("suspect item not an object", lambda p: p.update(suspect=[5]), "suspect[0]: "),
        ("suspect item without reason", lambda p: p.update(suspect=[{"silo": "101", "raw_words": [1]}]),
         "suspect[0]: "),
        ("suspect item with another key", suspect(unit="kg"), "suspect[0]: "),
        ("suspect silo empty", suspect(silo=""), "suspect[0].silo: "),
        ("suspect silo not sent", suspect(silo=line.idle_silo), "suspect[0].silo: "),
        ("raw words empty", suspect(raw_words=[]), "suspect[0].raw_words: "),
        ("raw word above 65535", suspect(raw_words=[65536]), "suspect[0].raw_words: "),
        ("raw word a bool", suspect(raw_words=[True]), "suspect[0].raw_words: "),
        ("65 raw words", suspect(raw_words=[0] * 65), "suspect[0].raw_words: "),
        ("suspect reason empty", suspect(reason=""), "suspect[0].reason: "),
        ("suspect reason of 500 characters", suspect(reason="x" * 500), "suspect[0].reason: "),
        ("slot 0", lambda p: p.update(slot=0), "slot: "),
        ("slot a string", lambda p: p.update(slot="3"), "slot: "),
        ("batch_number above 65535", lambda p: p.update(batch_number=65536), "batch_number: "),
        ("batch_number a bool", lambda p: p.update(batch_number=True), "batch_number: "),
        ("batch_key of another run", lambda p: p.update(batch_key=p["batch_key"][:-1] + "2"), "batch_key: "),
    ]


def test_bad_reports_are_rejected_naming_the_field_and_write_nothing(site: ContractSite, line: ContractLine) -> None:
    mo, batch = sent_mo(site, line)
    before = site.mo_status(mo.id)
    answers: list[dict[str, Any]] = []

    def answer_of(payload: Any) -> dict[str, Any]:
        answers.append(report(line, payload))
        return answers[-1]

    problems = rejections(answer_of, lambda: done_payload(line, batch), _reports_table(line), RESULT_KEYS)
    assert not problems, "\n".join(problems)
    assert all(a["mo_state"] is None for a in answers)
    assert site.mo_status(mo.id) == before
    # Nothing was remembered: the good report still goes through.
    assert report(line, done_payload(line, batch))["status"] == "done"


def test_a_report_of_an_mo_not_sent_or_cancelled_is_rejected(site: ContractSite, line: ContractLine) -> None:
    held = site.new_mo(line, hold=True)
    not_sent = report(line, {"mo_id": held.id, "line": line.code, "batch_key": f"{line.code}-{held.id}-1",
                             "consumption": [], "status": "done"})
    assert (not_sent["status"], not_sent["mo_state"]) == ("rejected", None)
    assert not_sent["reason"].startswith(f"mo_id: {held.name} was not sent to the line"), not_sent
    mo, batch = sent_mo(site, line)
    site.cancel_mo(mo.id)
    cancelled = report(line, done_payload(line, batch))
    assert cancelled["status"] == "rejected"
    assert cancelled["reason"].startswith(f"mo_id: {mo.name} is cancel"), cancelled
    assert site.mo_status(mo.id)["reported"] is False


def test_values_nested_as_deep_as_the_server_reads_are_rejected_naming_the_field(
        site: ContractSite, line: ContractLine) -> None:
    mo, batch = sent_mo(site, line)
    base = '[{"mo_id": %d, "line": "%s", "batch_key": "%s", "status": "done", "consumption": []' % (
        mo.id, line.code, batch["batch_key"])
    for field, arguments in (
            ("message", base + ', "message": %s}]'),
            ("suspect[0].reason", base + ', "suspect": [{"silo": null, "raw_words": [1], "reason": %s}]}]')):
        answers = nesting_answers(line.agent, "plc_report_batch", arguments)
        assert answers and answers[-1][0] >= 900, answers[-1:]
        wrong = [(depth, answer) for depth, answer in answers
                 if not (isinstance(answer, dict) and answer["status"] == "rejected"
                         and answer["reason"].startswith(field + ":") and len(answer["reason"]) < 500)]
        assert not wrong, (field, str(wrong[:3])[:1000])
    assert site.mo_status(mo.id)["reported"] is False


def test_a_message_of_a_megabyte_is_rejected(site: ContractSite, line: ContractLine) -> None:
    mo, batch = sent_mo(site, line)
    result = report(line, done_payload(line, batch, message="M" * 1_000_000))
    assert (result["status"], result["mo_state"]) == ("rejected", None)
    assert result["reason"].startswith("message:") and len(result["reason"]) < 500
    assert site.mo_status(mo.id)["reported"] is False
