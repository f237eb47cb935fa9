"""The addon's report parser (``mrp_plc_bridge/payloads/batch_report.py``), without Odoo.

The ``payloads`` package is plain Python on purpose; it is imported here by its path,
because importing it as part of the addon package would import odoo.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import sys

import pytest

from .loader import PAYLOADS, load_payloads

rp = load_payloads("batch_report")


def payload(**changes):
    base = {
        "mo_id": 42,
        "line": "FM1",
        "batch_key": "FM1-42-1",
        "consumption": [{"silo": "114", "quantity": 29.8}, {"silo": "101", "quantity": 251.37}],
        "finished_quantity": 998.2,
        "status": "done",
        "started_at": "2026-11-28T07:00:01+01:00",
        "finished_at": "2026-11-28T06:04:12Z",
        "message": None,
    }
    base.update(changes)
    return base


def rejected(data) -> str:
    with pytest.raises(rp.ReportRejected) as caught:
        rp.parse_report(data)
    return caught.value.reason


def test_module_does_not_import_odoo():
    for module in PAYLOADS.glob("*.py"):
        source = module.read_text()
        assert "import odoo" not in source and "from odoo" not in source, module.name
    assert "odoo" not in sys.modules


def test_a_valid_report_becomes_a_frozen_typed_object():
    report = rp.parse_report(payload())
    assert report.mo_id == 42 and report.line == "FM1" and report.batch_key == "FM1-42-1"
    assert report.done and report.status == "done"
    assert report.consumption == (rp.SiloActual("114", 29.8), rp.SiloActual("101", 251.37))
    assert report.silos == ["114", "101"]
    assert report.actual("101") == 251.37
    assert report.actual("102") == 0.0, "a silo the report leaves out dosed nothing"
    assert report.finished_quantity == 998.2
    # Offsets are converted to UTC, naive, without microseconds.
    assert report.started_at == datetime.datetime(2026, 11, 28, 6, 0, 1)
    assert report.finished_at == datetime.datetime(2026, 11, 28, 6, 4, 12)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.status = "failed"


def test_digest_is_the_one_reports_were_stored_with():
    # The canonical form the addon hashed before the parser moved here: reports stored
    # then must still be recognised as duplicates after an upgrade.
    canonical = (
        '{"batch_key":"FM1-42-1","consumption":[["101",251.37],["114",29.8]],'
        '"finished_at":"2026-11-28 06:04:12","finished_quantity":998.2,"line":"FM1",'
        '"message":null,"mo_id":42,"started_at":"2026-11-28 06:00:01","status":"done"}'
    )
    assert rp.parse_report(payload()).digest == hashlib.sha256(canonical.encode()).hexdigest()


def test_digest_ignores_how_the_same_report_is_written():
    first = rp.parse_report(payload())
    same = rp.parse_report(
        payload(
            consumption=[{"silo": "101", "quantity": 251.37}, {"silo": "114", "quantity": 29.8}],
            started_at="2026-11-28T06:00:01.400000",
            finished_at="2026-11-28T06:04:12+00:00",
        )
    )
    assert same.digest == first.digest
    assert rp.parse_report(payload(finished_quantity=1000)).digest == rp.parse_report(
        payload(finished_quantity=1000.0)
    ).digest
    assert rp.parse_report(payload(finished_quantity=-0.0)).finished_quantity == 0.0
    assert rp.parse_report(payload(finished_quantity=999)).digest != first.digest


def test_optional_fields_may_be_left_out():
    report = rp.parse_report(
        {"mo_id": 1, "line": "FM1", "batch_key": "FM1-1-1", "consumption": [], "status": "failed"}
    )
    assert (report.finished_quantity, report.started_at, report.finished_at, report.message) == (
        None,
        None,
        None,
        None,
    )
    assert not report.done and report.consumption == ()
    assert (report.slot, report.batch_number) == (None, None)


def test_slot_and_batch_number_are_kept_but_not_part_of_the_digest():
    report = rp.parse_report(payload(slot=3, batch_number=65535))
    assert (report.slot, report.batch_number) == (3, 65535)
    # A report stored before the agent sent them is the same report sent again with them.
    assert report.digest == rp.parse_report(payload()).digest
    assert rp.parse_report(payload(slot=None, batch_number=0)).batch_number == 0


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ([1, 2], "payload: must be an object, got 'list'."),
        ({"mo_id": 1}, "missing field(s): line, batch_key, consumption, status."),
        (payload(extra=1, other=2), "unknown field(s): extra, other."),
        # A blank field name is still a field nobody knows (hypothesis found it accepted).
        ({**payload(), "": 1}, "unknown field(s): ''."),
        (payload(mo_id=True), "mo_id: must be a positive integer, got True."),
        (payload(mo_id="42"), "mo_id: must be a positive integer, got '42'."),
        (payload(mo_id=0), "mo_id: must be a positive integer, got 0."),
        (payload(line=" "), "line: must be a non-empty string, got ' '."),
        (payload(batch_key=7), "batch_key: must be a non-empty string, got 7."),
        (payload(line="F\x00M1"), "line: must not contain NUL characters."),
        (payload(status="ok"), "status: must be 'done' or 'failed', got 'ok'."),
        (payload(consumption={"101": 1}), "consumption: must be a list, got {'101': 1}."),
        (payload(consumption=[5]), "consumption[0]: must be an object."),
        (payload(consumption=[{"silo": "101"}]), "consumption[0]: needs both 'silo' and 'quantity'."),
        (
            payload(consumption=[{"silo": "101", "quantity": 1, "lot": "x"}]),
            "consumption[0]: unknown field(s): lot.",
        ),
        (
            payload(consumption=[{"silo": 101, "quantity": 1}]),
            "consumption[0].silo: must be a non-empty string, got 101.",
        ),
        (
            payload(consumption=[{"silo": "101", "quantity": 1}, {"silo": "101", "quantity": 2}]),
            "consumption[1].silo: silo 101 appears more than once.",
        ),
        (
            payload(consumption=[{"silo": "1\x000", "quantity": 1}]),
            "consumption[0].silo: must not contain NUL characters.",
        ),
        (
            payload(consumption=[{"silo": "101", "quantity": "5"}]),
            "consumption[0].quantity: must be a number, got '5'.",
        ),
        (
            payload(consumption=[{"silo": "101", "quantity": True}]),
            "consumption[0].quantity: must be a number, got True.",
        ),
        (
            payload(consumption=[{"silo": "101", "quantity": float("nan")}]),
            "consumption[0].quantity: must be a finite number, got nan.",
        ),
        (
            payload(consumption=[{"silo": "101", "quantity": float("inf")}]),
            "consumption[0].quantity: must be a finite number, got inf.",
        ),
        (
            payload(consumption=[{"silo": "101", "quantity": -1}]),
            "consumption[0].quantity: must not be negative, got -1.0.",
        ),
        (
            payload(consumption=[{"silo": "101", "quantity": 1e12}]),
            "consumption[0].quantity: must be below 1e+12, got 1000000000000.0.",
        ),
        (payload(finished_quantity=10**400), "finished_quantity: must be below 1e+12, got a larger number."),
        (payload(message=5), "message: must be a string or null, got 5."),
        (payload(message="a\x00b"), "message: must not contain NUL characters."),
        (payload(started_at=20261128), "started_at: must be an ISO 8601 string or null, got 20261128."),
        (payload(finished_at="yesterday"), "finished_at: not an ISO 8601 date and time: 'yesterday'."),
        (
            payload(finished_at="0001-01-01T00:30:00+01:00"),
            "finished_at: not an ISO 8601 date and time: '0001-01-01T00:30:00+01:00'.",
        ),
        (payload(slot=0), "slot: must be from 1 to 65535, got 0."),
        (payload(slot="3"), "slot: must be an integer, got '3'."),
        (payload(slot=True), "slot: must be an integer, got True."),
        (payload(batch_number=65536), "batch_number: must be from 0 to 65535, got 65536."),
        (payload(batch_number=-1), "batch_number: must be from 0 to 65535, got -1."),
        (payload(batch_number=1.0), "batch_number: must be an integer, got 1.0."),
    ],
)
def test_rejections_name_the_field(data, reason):
    assert rejected(data) == reason
