# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The line's batch report, checked and normalised in plain Python.

No Odoo import on purpose: the shape of a report is the agent's contract, so its checks
run in the agent's test suite as well, without a database. What the report means for an
MO (is it the MO's current run, does it know the silos) is decided on the MO.

Runs on the Python of the official Odoo 14 image (3.7).
"""

import datetime
import hashlib
import json
import math
from dataclasses import dataclass
from typing import Optional, Tuple

# Far beyond any batch in any UoM, and low enough that rounding to a UoM's precision
# cannot overflow a float.
MAX_QUANTITY = 1e12
STATUSES = ("done", "failed")
REQUIRED_FIELDS = ("mo_id", "line", "batch_key", "consumption", "status")
OPTIONAL_FIELDS = ("finished_quantity", "started_at", "finished_at", "message")
# Odoo's server datetime format: the digest of reports stored before this module existed
# was computed with it, so it must not change.
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class ReportRejected(Exception):
    """A report that can never be accepted as it is; the message names the field."""

    @property
    def reason(self):
        return str(self.args[0])


@dataclass(frozen=True)
class SiloActual:
    """What the line says it dosed from one silo."""

    silo: str
    quantity: float


@dataclass(frozen=True)
class BatchReport:
    """A report whose shape is valid; ``digest`` identifies its content."""

    mo_id: int
    line: str
    batch_key: str
    status: str
    consumption: Tuple[SiloActual, ...]
    finished_quantity: Optional[float]
    started_at: Optional[datetime.datetime]
    finished_at: Optional[datetime.datetime]
    message: Optional[str]
    digest: str

    @property
    def done(self):
        return self.status == "done"

    @property
    def silos(self):
        return [actual.silo for actual in self.consumption]

    def actual(self, silo):
        """The reported quantity of a silo; a silo the report leaves out dosed 0."""
        for actual in self.consumption:
            if actual.silo == silo:
                return actual.quantity
        return 0.0


def parse_report(payload):
    """Check a report's shape and return it as a ``BatchReport``.

    Raises ``ReportRejected`` naming the first field that is wrong.
    """
    if not isinstance(payload, dict):
        raise ReportRejected(
            "payload: must be an object, got %r." % type(payload).__name__
        )
    missing = [name for name in REQUIRED_FIELDS if name not in payload]
    if missing:
        raise ReportRejected("missing field(s): %s." % ", ".join(missing))
    unknown = sorted(set(payload) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        raise ReportRejected("unknown field(s): %s." % ", ".join(map(str, unknown)))
    mo_id = payload["mo_id"]
    if isinstance(mo_id, bool) or not isinstance(mo_id, int) or mo_id <= 0:
        raise ReportRejected("mo_id: must be a positive integer, got %r." % (mo_id,))
    for name in ("line", "batch_key"):
        _check_name(payload[name], name)
    status = payload["status"]
    if status not in STATUSES:
        raise ReportRejected("status: must be 'done' or 'failed', got %r." % (status,))
    consumption = _parse_consumption(payload["consumption"])
    message = payload.get("message")
    if message is not None and not isinstance(message, str):
        raise ReportRejected("message: must be a string or null, got %r." % (message,))
    if message is not None:
        _check_text(message, "message")
    finished_quantity = None
    if payload.get("finished_quantity") is not None:
        finished_quantity = parse_quantity(
            payload["finished_quantity"], "finished_quantity"
        )
    started_at = parse_datetime(payload.get("started_at"), "started_at")
    finished_at = parse_datetime(payload.get("finished_at"), "finished_at")
    canonical = {
        "mo_id": mo_id,
        "line": payload["line"],
        "batch_key": payload["batch_key"],
        "status": status,
        "consumption": sorted([a.silo, a.quantity] for a in consumption),
        "finished_quantity": finished_quantity,
        "started_at": _datetime_text(started_at),
        "finished_at": _datetime_text(finished_at),
        "message": message,
    }
    digest = hashlib.sha256(
        json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    return BatchReport(
        mo_id=mo_id,
        line=payload["line"],
        batch_key=payload["batch_key"],
        status=status,
        consumption=consumption,
        finished_quantity=finished_quantity,
        started_at=started_at,
        finished_at=finished_at,
        message=message,
        digest=digest,
    )


def parse_quantity(value, field):
    """A quantity as a float: finite, >= 0 and below ``MAX_QUANTITY``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ReportRejected("%s: must be a number, got %r." % (field, value))
    try:
        value = float(value)
    except OverflowError:
        raise ReportRejected(
            "%s: must be below %g, got a larger number." % (field, MAX_QUANTITY)
        )
    if math.isnan(value) or math.isinf(value):
        raise ReportRejected("%s: must be a finite number, got %r." % (field, value))
    if value < 0:
        raise ReportRejected("%s: must not be negative, got %r." % (field, value))
    if value >= MAX_QUANTITY:
        raise ReportRejected(
            "%s: must be below %g, got %r." % (field, MAX_QUANTITY, value)
        )
    # -0.0 is 0.0: the digest must not depend on how the agent wrote zero.
    return value + 0.0


def parse_datetime(value, field):
    """An ISO 8601 string as a naive UTC datetime without microseconds, or None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ReportRejected(
            "%s: must be an ISO 8601 string or null, got %r." % (field, value)
        )
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.datetime.fromisoformat(text)
        if moment.tzinfo is not None:
            # Overflows for the first and last hours of the datetime range.
            moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise ReportRejected(
            "%s: not an ISO 8601 date and time: %r." % (field, value)
        )
    return moment.replace(microsecond=0)


def _parse_consumption(lines):
    if not isinstance(lines, list):
        raise ReportRejected("consumption: must be a list, got %r." % (lines,))
    actuals = []
    seen = set()
    for index, item in enumerate(lines):
        where = "consumption[%d]" % index
        if not isinstance(item, dict):
            raise ReportRejected("%s: must be an object." % where)
        if "silo" not in item or "quantity" not in item:
            raise ReportRejected("%s: needs both 'silo' and 'quantity'." % where)
        extra = sorted(set(item) - {"silo", "quantity"})
        if extra:
            raise ReportRejected(
                "%s: unknown field(s): %s." % (where, ", ".join(map(str, extra)))
            )
        silo = item["silo"]
        if not isinstance(silo, str) or not silo.strip():
            raise ReportRejected(
                "%s.silo: must be a non-empty string, got %r." % (where, silo)
            )
        _check_text(silo, where + ".silo")
        if silo in seen:
            raise ReportRejected(
                "%s.silo: silo %s appears more than once." % (where, silo)
            )
        seen.add(silo)
        quantity = parse_quantity(item["quantity"], where + ".quantity")
        actuals.append(SiloActual(silo=silo, quantity=quantity))
    return tuple(actuals)


def _check_name(value, field):
    if not isinstance(value, str) or not value.strip():
        raise ReportRejected(
            "%s: must be a non-empty string, got %r." % (field, value)
        )
    _check_text(value, field)


def _check_text(value, field):
    # PostgreSQL text cannot hold NUL; failing in SQL instead would raise, which the
    # agent takes for a passing error and retries forever.
    if "\x00" in value:
        raise ReportRejected("%s: must not contain NUL characters." % field)


def _datetime_text(moment):
    return moment.strftime(DATETIME_FORMAT) if moment else None
