# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A failure the line reports, checked and normalised in plain Python.

No Odoo import, like batch_report.py: the shape is the agent's contract. What the
failure means for the line (which MO was running) is decided on the failure record.

Runs on the Python of the official Odoo 14 image (3.7).
"""

import datetime
from dataclasses import dataclass

from .checks import (
    MAX_KEY,
    MAX_TEXT,
    ReportRejected,
    check_fields,
    check_line_code,
    check_text,
    parse_datetime,
)

FIELDS = ("line", "failure_key", "equipment", "info", "occurred_at")


@dataclass(frozen=True)
class FailureReport:
    """A failure whose shape is valid; ``occurred_at`` is naive UTC."""

    line: str
    failure_key: str
    equipment: str
    info: str
    occurred_at: datetime.datetime


def parse_failure(payload):
    """Check a failure report's shape; raises ``ReportRejected`` naming the field."""
    check_fields(payload, FIELDS)
    check_line_code(payload["line"], "line")
    check_text(payload["failure_key"], "failure_key", MAX_KEY)
    check_text(payload["equipment"], "equipment", MAX_TEXT)
    check_text(payload["info"], "info", MAX_TEXT)
    if payload["occurred_at"] is None:
        raise ReportRejected("occurred_at: must be an ISO 8601 string, got None.")
    return FailureReport(
        line=payload["line"],
        failure_key=payload["failure_key"],
        equipment=payload["equipment"].strip(),
        info=payload["info"].strip(),
        occurred_at=parse_datetime(payload["occurred_at"], "occurred_at"),
    )
