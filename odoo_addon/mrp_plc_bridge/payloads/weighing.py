# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A manual weighing the line reports, checked and normalised in plain Python.

Only the shape is checked here: a payload that fails is ``rejected`` and nothing is
written. Whether the weighing can be applied (known MO and product, plausible quantity)
is decided on the weighing record, which keeps the ones it cannot apply.

Runs on the Python of the official Odoo 14 image (3.7).
"""

import datetime
import hashlib
import json
import math
from dataclasses import dataclass

from .failure_payload import MAX_KEY, MAX_TEXT, check_text
from .report_payload import MAX_QUANTITY, ReportRejected, check_fields, parse_datetime

FIELDS = (
    "line",
    "weighing_key",
    "mo_name",
    "batch_number",
    "product_template_id",
    "quantity",
    "weighed_at",
)
MAX_BATCH_NUMBER = 65535
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class ManualWeighing:
    """A weighing whose shape is valid; ``quantity`` in kg, ``weighed_at`` naive UTC."""

    line: str
    weighing_key: str
    mo_name: str
    batch_number: int
    product_template_id: int
    quantity: float
    weighed_at: datetime.datetime
    digest: str


def parse_weighing(payload):
    """Check a weighing's shape; raises ``ReportRejected`` naming the field."""
    check_fields(payload, FIELDS)
    check_text(payload["line"], "line", MAX_TEXT)
    check_text(payload["weighing_key"], "weighing_key", MAX_KEY)
    mo_name = payload["mo_name"]
    # An empty reference is a weighing the PLC could not tie to an MO: kept, not refused.
    if not isinstance(mo_name, str):
        raise ReportRejected("mo_name: must be a string, got %r." % (mo_name,))
    if "\x00" in mo_name:
        raise ReportRejected("mo_name: must not contain NUL characters.")
    if len(mo_name) > MAX_TEXT:
        raise ReportRejected(
            "mo_name: at most %d characters, got %d." % (MAX_TEXT, len(mo_name))
        )
    batch_number = _integer(payload["batch_number"], "batch_number")
    if not 0 <= batch_number <= MAX_BATCH_NUMBER:
        raise ReportRejected(
            "batch_number: must be from 0 to %d, got %r."
            % (MAX_BATCH_NUMBER, batch_number)
        )
    # Any integer is well formed: 0 or an id Odoo does not know is an unknown product.
    product_template_id = _integer(payload["product_template_id"], "product_template_id")
    quantity = _quantity(payload["quantity"])
    if payload["weighed_at"] is None:
        raise ReportRejected("weighed_at: must be an ISO 8601 string, got None.")
    weighed_at = parse_datetime(payload["weighed_at"], "weighed_at")
    canonical = {
        "line": payload["line"],
        "weighing_key": payload["weighing_key"],
        "mo_name": mo_name,
        "batch_number": batch_number,
        "product_template_id": product_template_id,
        "quantity": quantity,
        "weighed_at": weighed_at.strftime(DATETIME_FORMAT),
    }
    digest = hashlib.sha256(
        json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    return ManualWeighing(
        line=payload["line"],
        weighing_key=payload["weighing_key"],
        mo_name=mo_name.strip(),
        batch_number=batch_number,
        product_template_id=product_template_id,
        quantity=quantity,
        weighed_at=weighed_at,
        digest=digest,
    )


def _integer(value, field):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ReportRejected("%s: must be an integer, got %r." % (field, value))
    # PostgreSQL's integer column; beyond it no record can match anyway.
    if not -(2 ** 31) <= value < 2 ** 31:
        raise ReportRejected("%s: out of range, got %r." % (field, value))
    return value


def _quantity(value):
    """A finite number; its sign and size are judged on the record (kept, not refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ReportRejected("quantity: must be a number, got %r." % (value,))
    try:
        value = float(value)
    except OverflowError:
        raise ReportRejected("quantity: must be below %g." % MAX_QUANTITY)
    if math.isnan(value) or math.isinf(value):
        raise ReportRejected("quantity: must be a finite number, got %r." % (value,))
    if abs(value) >= MAX_QUANTITY:
        raise ReportRejected("quantity: must be below %g, got %r." % (MAX_QUANTITY, value))
    return value + 0.0
