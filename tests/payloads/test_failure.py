"""The addon's failure parser (``payloads/failure.py``), without Odoo.

They import the shared ``payloads/checks.py`` relatively, so they are loaded as modules of
the ``payloads`` package without running the addon's ``__init__`` (which imports odoo).
"""

from __future__ import annotations

import datetime

import pytest

from .loader import load_payloads

fp = load_payloads("failure")
Rejected = load_payloads("checks").ReportRejected


def failure(**changes):
    base = {
        "line": "FM1",
        "failure_key": "FM1/silo101/START_FAILURE/20261128T060102Z",
        "equipment": "silo101",
        "info": "START_FAILURE",
        "occurred_at": "2026-11-28T07:01:02+01:00",
    }
    base.update(changes)
    return base


def test_failure_is_normalised_to_utc():
    report = fp.parse_failure(failure(equipment=" silo101 "))
    assert report.occurred_at == datetime.datetime(2026, 11, 28, 6, 1, 2)
    assert report.equipment == "silo101"
    assert report.failure_key == "FM1/silo101/START_FAILURE/20261128T060102Z"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"line": None}, "line: must be a non-empty string"),
        ({"equipment": ""}, "equipment: must be a non-empty string"),
        ({"info": "x\x00"}, "info: must not contain NUL"),
        ({"failure_key": "k" * 201}, "failure_key: at most 200 characters"),
        ({"occurred_at": "2026-11-28 25:00"}, "occurred_at: not an ISO 8601"),
        ({"occurred_at": 1764309662}, "occurred_at: must be an ISO 8601 string or null"),
        ({"occurred_at": None}, "occurred_at: must be an ISO 8601 string, got None"),
        ({"severity": 3}, "unknown field(s): severity"),
    ],
)
def test_malformed_failure_names_the_field(changes, reason):
    with pytest.raises(Rejected) as raised:
        fp.parse_failure(failure(**changes))
    assert raised.value.reason.startswith(reason), raised.value.reason
