"""The addon's weighing parser (``payloads/weighing.py``), without Odoo.

They import the shared ``payloads/checks.py`` relatively, so they are loaded as modules of
the ``payloads`` package without running the addon's ``__init__`` (which imports odoo).
"""

from __future__ import annotations

import datetime

import pytest

from .loader import load_payloads

wp = load_payloads("weighing")
Rejected = load_payloads("checks").ReportRejected


def weighing(**changes):
    base = {
        "line": "FM1",
        "weighing_key": "FM1-W-20261128T060102Z-17",
        "mo_name": "WH/MO/00042",
        "batch_number": 17,
        "product_template_id": 55,
        "quantity": 12.5,
        "weighed_at": "2026-11-28T06:01:02Z",
    }
    base.update(changes)
    return base


def test_weighing_digest_ignores_how_numbers_and_times_are_written():
    first = wp.parse_weighing(weighing(quantity=12, weighed_at="2026-11-28T07:01:02+01:00"))
    second = wp.parse_weighing(weighing(quantity=12.0))
    assert first.digest == second.digest
    assert first.weighed_at == datetime.datetime(2026, 11, 28, 6, 1, 2)
    assert wp.parse_weighing(weighing(quantity=12.01)).digest != first.digest


def test_weighing_values_odoo_judges_are_well_formed():
    # Negative or zero quantities, unknown template ids and empty MO references are kept
    # by Odoo with a reason, not refused as malformed.
    parsed = wp.parse_weighing(weighing(quantity=-3, product_template_id=0, mo_name=""))
    assert (parsed.quantity, parsed.product_template_id, parsed.mo_name) == (-3.0, 0, "")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"quantity": "12.5"}, "quantity: must be a number"),
        ({"quantity": float("inf")}, "quantity: must be a finite number"),
        ({"quantity": 10**13}, "quantity: must be below"),
        ({"batch_number": -1}, "batch_number: must be from 0 to 65535"),
        ({"batch_number": 1.0}, "batch_number: must be an integer"),
        ({"product_template_id": True}, "product_template_id: must be an integer"),
        ({"product_template_id": 2**40}, "product_template_id: out of range"),
        ({"mo_name": 42}, "mo_name: must be a string"),
        ({"weighed_at": None}, "weighed_at: must be an ISO 8601 string"),
    ],
)
def test_malformed_weighing_names_the_field(changes, reason):
    with pytest.raises(Rejected) as raised:
        wp.parse_weighing(weighing(**changes))
    assert raised.value.reason.startswith(reason), raised.value.reason


def test_missing_weighing_fields_are_listed():
    with pytest.raises(Rejected) as raised:
        wp.parse_weighing({"line": "FM1"})
    assert raised.value.reason.startswith("missing field(s): weighing_key, mo_name")
