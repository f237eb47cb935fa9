# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A manual weighing the line reports, checked and normalised in plain Python.

Only the shape is checked here: a payload that fails is ``rejected`` and nothing is
written. Whether the weighing can be applied (known MO and product, plausible quantity)
is decided on the weighing record, which keeps the ones it cannot apply.

Runs on the Python of the official Odoo 14 image (3.7).
"""

import datetime
from dataclasses import dataclass

from .checks import (
    DATETIME_FORMAT,
    MAX_KEY,
    MAX_TEXT,
    ReportRejected,
    check_fields,
    check_length,
    check_line_code,
    check_no_nul,
    check_text,
    digest,
    parse_datetime,
    parse_integer,
    parse_number,
    show,
)

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
    check_line_code(payload["line"], "line")
    check_text(payload["weighing_key"], "weighing_key", MAX_KEY)
    mo_name = payload["mo_name"]
    # An empty reference is a weighing the PLC could not tie to an MO: kept, not refused.
    if not isinstance(mo_name, str):
        raise ReportRejected("mo_name: must be a string, got %s." % show(mo_name))
    check_no_nul(mo_name, "mo_name")
    check_length(mo_name, "mo_name", MAX_TEXT)
    batch_number = parse_integer(payload["batch_number"], "batch_number")
    if not 0 <= batch_number <= MAX_BATCH_NUMBER:
        raise ReportRejected(
            "batch_number: must be from 0 to %d, got %s."
            % (MAX_BATCH_NUMBER, batch_number)
        )
    # Any integer is well formed: 0 or an id Odoo does not know is an unknown product.
    product_template_id = parse_integer(
        payload["product_template_id"], "product_template_id"
    )
    # Its sign and size are judged on the record (kept, not refused).
    quantity = parse_number(payload["quantity"], "quantity")
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
    return ManualWeighing(
        line=payload["line"],
        weighing_key=payload["weighing_key"],
        mo_name=mo_name.strip(),
        batch_number=batch_number,
        product_template_id=product_template_id,
        quantity=quantity,
        weighed_at=weighed_at,
        digest=digest(canonical),
    )
