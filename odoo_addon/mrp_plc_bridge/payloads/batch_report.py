# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The line's batch report, checked and normalised in plain Python.

No Odoo import on purpose: the shape of a report is the agent's contract, so its checks
run in the agent's test suite as well, without a database. What the report means for an
MO (is it the MO's current run, does it know the silos) is decided on the MO.

Runs on the Python of the official Odoo 14 image (3.7).
"""

import datetime
import json
from dataclasses import dataclass
from typing import Optional, Tuple

from .checks import (
    DATETIME_FORMAT,
    MAX_COMPONENTS,
    MAX_ID,
    MAX_KEY,
    MAX_LIST_ITEMS,
    MAX_MESSAGE,
    MAX_QUANTITY,
    MAX_TEXT,
    ReportRejected,
    check_fields,
    check_length,
    check_line_code,
    check_list,
    check_no_nul,
    check_text,
    datetime_text,
    digest,
    parse_datetime,
    parse_integer,
    parse_quantity,
    show,
    unknown_names,
)

# Shared with the other payloads, and read from here by the agent's tests.
__all__ = [
    "DATETIME_FORMAT",
    "MAX_ID",
    "MAX_QUANTITY",
    "OPTIONAL_FIELDS",
    "REQUIRED_FIELDS",
    "STATUSES",
    "BatchReport",
    "ReportRejected",
    "SiloActual",
    "SuspectValue",
    "no_such_mo",
    "parse_report",
]

STATUSES = ("done", "failed")
REQUIRED_FIELDS = ("mo_id", "line", "batch_key", "consumption", "status")
OPTIONAL_FIELDS = (
    "finished_quantity",
    "started_at",
    "finished_at",
    "message",
    "suspect",
    "slot",
    "batch_number",
)
# Where the PLC ran the batch: its slot of the register map and the rolling number it
# knew the batch by. Kept for the batch record, left out of the digest (see parse_report).
MAX_SLOT = 0xFFFF
MAX_BATCH_NUMBER = 0xFFFF
SUSPECT_FIELDS = ("silo", "raw_words", "reason")
# A value spans a few words; more than this is not one value read from the PLC.
MAX_RAW_WORDS = 64
MAX_SUSPECT_REASON = 500
MAX_WORD = 0xFFFF


@dataclass(frozen=True)
class SiloActual:
    """What the line says it dosed from one silo."""

    silo: str
    quantity: float


@dataclass(frozen=True)
class SuspectValue:
    """A value the line read but does not vouch for; ``silo`` None is the finished weight."""

    silo: Optional[str]
    raw_words: Tuple[int, ...]
    reason: str

    @property
    def canonical(self):
        return [self.silo, list(self.raw_words), self.reason]


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
    suspect: Tuple[SuspectValue, ...] = ()
    slot: Optional[int] = None
    batch_number: Optional[int] = None

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
    check_fields(payload, REQUIRED_FIELDS, OPTIONAL_FIELDS)
    mo_id = payload["mo_id"]
    if isinstance(mo_id, bool) or not isinstance(mo_id, int) or mo_id <= 0:
        raise ReportRejected("mo_id: must be a positive integer, got %s." % show(mo_id))
    if mo_id > MAX_ID:
        raise no_such_mo(mo_id)
    check_line_code(payload["line"], "line")
    check_text(payload["batch_key"], "batch_key", MAX_KEY)
    status = payload["status"]
    if status not in STATUSES:
        raise ReportRejected("status: must be 'done' or 'failed', got %s." % (show(status),))
    consumption = _parse_consumption(payload["consumption"])
    message = payload.get("message")
    if message is not None and not isinstance(message, str):
        raise ReportRejected("message: must be a string or null, got %s." % (show(message),))
    if message is not None:
        check_no_nul(message, "message")
        check_length(message, "message", MAX_MESSAGE)
    finished_quantity = None
    if payload.get("finished_quantity") is not None:
        finished_quantity = parse_quantity(
            payload["finished_quantity"], "finished_quantity"
        )
    started_at = parse_datetime(payload.get("started_at"), "started_at")
    finished_at = parse_datetime(payload.get("finished_at"), "finished_at")
    suspect = _parse_suspect(payload.get("suspect"))
    slot = _parse_position(payload.get("slot"), "slot", 1, MAX_SLOT)
    batch_number = _parse_position(
        payload.get("batch_number"), "batch_number", 0, MAX_BATCH_NUMBER
    )
    # slot and batch_number are not in the digest: they say where the PLC ran the batch,
    # not what it did, and an agent that starts sending them sends a report it stored
    # before again as the same report.
    canonical = {
        "mo_id": mo_id,
        "line": payload["line"],
        "batch_key": payload["batch_key"],
        "status": status,
        "consumption": sorted([a.silo, a.quantity] for a in consumption),
        "finished_quantity": finished_quantity,
        "started_at": datetime_text(started_at),
        "finished_at": datetime_text(finished_at),
        "message": message,
    }
    if suspect:
        # Only when present: reports without suspect values keep the digest they were
        # stored with before the field existed.
        canonical["suspect"] = sorted(
            (value.canonical for value in suspect),
            key=lambda item: json.dumps(item, sort_keys=True),
        )
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
        digest=digest(canonical),
        suspect=suspect,
        slot=slot,
        batch_number=batch_number,
    )


def _parse_position(value, field, low, high):
    """An optional integer from ``low`` to ``high`` (None when absent or null)."""
    if value is None:
        return None
    value = parse_integer(value, field)
    if not low <= value <= high:
        raise ReportRejected(
            "%s: must be from %d to %d, got %s." % (field, low, high, value)
        )
    return value


def _parse_consumption(lines):
    check_list(lines, "consumption", MAX_COMPONENTS)
    actuals = []
    seen = set()
    for index, item in enumerate(lines):
        where = "consumption[%d]" % index
        if not isinstance(item, dict):
            raise ReportRejected("%s: must be an object." % where)
        if "silo" not in item or "quantity" not in item:
            raise ReportRejected("%s: needs both 'silo' and 'quantity'." % where)
        extra = unknown_names(item, ("silo", "quantity"))
        if extra:
            raise ReportRejected("%s: unknown field(s): %s." % (where, extra))
        silo = item["silo"]
        check_text(silo, where + ".silo", MAX_TEXT)
        if silo in seen:
            raise ReportRejected(
                "%s.silo: silo %s appears more than once." % (where, silo)
            )
        seen.add(silo)
        quantity = parse_quantity(item["quantity"], where + ".quantity")
        actuals.append(SiloActual(silo=silo, quantity=quantity))
    return tuple(actuals)


def _parse_suspect(values):
    if values is None:
        return ()
    check_list(values, "suspect", MAX_LIST_ITEMS, null=True)
    parsed = []
    for index, item in enumerate(values):
        where = "suspect[%d]" % index
        if not isinstance(item, dict):
            raise ReportRejected("%s: must be an object." % where)
        missing = [name for name in SUSPECT_FIELDS if name not in item]
        if missing:
            raise ReportRejected(
                "%s: missing field(s): %s." % (where, ", ".join(missing))
            )
        extra = unknown_names(item, SUSPECT_FIELDS)
        if extra:
            raise ReportRejected("%s: unknown field(s): %s." % (where, extra))
        silo = item["silo"]
        if silo is not None:
            if not isinstance(silo, str) or not silo.strip():
                raise ReportRejected(
                    "%s.silo: must be a non-empty string or null, got %s."
                    % (where, show(silo))
                )
            check_no_nul(silo, where + ".silo")
            check_length(silo, where + ".silo", MAX_TEXT)
        parsed.append(
            SuspectValue(
                silo=silo,
                raw_words=_parse_raw_words(item["raw_words"], where + ".raw_words"),
                reason=_parse_suspect_reason(item["reason"], where + ".reason"),
            )
        )
    return tuple(parsed)


def _parse_raw_words(words, field):
    if not isinstance(words, list) or not 1 <= len(words) <= MAX_RAW_WORDS:
        raise ReportRejected(
            "%s: must be a list of 1 to %d words, got %s."
            % (field, MAX_RAW_WORDS, show(words))
        )
    for word in words:
        if isinstance(word, bool) or not isinstance(word, int) or not 0 <= word <= MAX_WORD:
            raise ReportRejected(
                "%s: each word must be an integer from 0 to %d, got %s."
                % (field, MAX_WORD, show(word))
            )
    return tuple(words)


def _parse_suspect_reason(reason, field):
    if not isinstance(reason, str) or not reason.strip():
        raise ReportRejected(
            "%s: must be a non-empty string, got %s." % (field, show(reason))
        )
    if len(reason) >= MAX_SUSPECT_REASON:
        raise ReportRejected(
            "%s: must be shorter than %d characters, got %d."
            % (field, MAX_SUSPECT_REASON, len(reason))
        )
    check_no_nul(reason, field)
    return reason


def no_such_mo(mo_id):
    """The one answer for an MO the caller cannot report: none has the id, or it runs on a
    line the caller is not bound to (the door answers both alike)."""
    return ReportRejected("mo_id: manufacturing order %s does not exist." % show(mo_id))
