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
OPTIONAL_FIELDS = (
    "finished_quantity",
    "started_at",
    "finished_at",
    "message",
    "suspect",
)
SUSPECT_FIELDS = ("silo", "raw_words", "reason")
# A value spans a few words; more than this is not one value read from the PLC.
MAX_RAW_WORDS = 64
MAX_SUSPECT_REASON = 500
MAX_WORD = 0xFFFF
# PostgreSQL's integer: a larger id can name no MO, and would fail in SQL instead.
MAX_ID = 2 ** 31 - 1
# Rejection messages quote what they refuse, but never a whole megabyte of it.
SHOW_LIMIT = 200
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


def check_fields(payload, required, optional=()):
    """The payload is an object holding every required field and no field but the optional.

    Shared by every report the line sends (batch, failure, manual weighing).
    """
    if not isinstance(payload, dict):
        raise ReportRejected(
            "payload: must be an object, got %s." % _show(type(payload).__name__)
        )
    missing = [name for name in required if name not in payload]
    if missing:
        raise ReportRejected("missing field(s): %s." % ", ".join(missing))
    # Keys sorted as text: a payload built in Python may mix key types.
    unknown = sorted(map(str, set(payload) - set(required) - set(optional)))
    if unknown:
        raise ReportRejected("unknown field(s): %s." % ", ".join(unknown))


def parse_report(payload):
    """Check a report's shape and return it as a ``BatchReport``.

    Raises ``ReportRejected`` naming the first field that is wrong.
    """
    check_fields(payload, REQUIRED_FIELDS, OPTIONAL_FIELDS)
    mo_id = payload["mo_id"]
    if isinstance(mo_id, bool) or not isinstance(mo_id, int) or mo_id <= 0:
        raise ReportRejected("mo_id: must be a positive integer, got %s." % _show(mo_id))
    if mo_id > MAX_ID:
        raise ReportRejected(
            "mo_id: manufacturing order %s does not exist." % _show(mo_id)
        )
    for name in ("line", "batch_key"):
        _check_name(payload[name], name)
    status = payload["status"]
    if status not in STATUSES:
        raise ReportRejected("status: must be 'done' or 'failed', got %s." % (_show(status),))
    consumption = _parse_consumption(payload["consumption"])
    message = payload.get("message")
    if message is not None and not isinstance(message, str):
        raise ReportRejected("message: must be a string or null, got %s." % (_show(message),))
    if message is not None:
        _check_text(message, "message")
    finished_quantity = None
    if payload.get("finished_quantity") is not None:
        finished_quantity = parse_quantity(
            payload["finished_quantity"], "finished_quantity"
        )
    started_at = parse_datetime(payload.get("started_at"), "started_at")
    finished_at = parse_datetime(payload.get("finished_at"), "finished_at")
    suspect = _parse_suspect(payload.get("suspect"))
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
    if suspect:
        # Only when present: reports without suspect values keep the digest they were
        # stored with before the field existed.
        canonical["suspect"] = sorted(
            (value.canonical for value in suspect),
            key=lambda item: json.dumps(item, sort_keys=True),
        )
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
        suspect=suspect,
    )


def parse_quantity(value, field):
    """A quantity as a float: finite, >= 0 and below ``MAX_QUANTITY``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ReportRejected("%s: must be a number, got %s." % (field, _show(value)))
    try:
        value = float(value)
    except OverflowError:
        raise ReportRejected(
            "%s: must be below %g, got a larger number." % (field, MAX_QUANTITY)
        )
    if math.isnan(value) or math.isinf(value):
        raise ReportRejected("%s: must be a finite number, got %s." % (field, _show(value)))
    if value < 0:
        raise ReportRejected("%s: must not be negative, got %s." % (field, _show(value)))
    if value >= MAX_QUANTITY:
        raise ReportRejected(
            "%s: must be below %g, got %s." % (field, MAX_QUANTITY, _show(value))
        )
    # -0.0 is 0.0: the digest must not depend on how the agent wrote zero.
    return value + 0.0


def parse_datetime(value, field):
    """An ISO 8601 string as a naive UTC datetime without microseconds, or None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ReportRejected(
            "%s: must be an ISO 8601 string or null, got %s." % (field, _show(value))
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
            "%s: not an ISO 8601 date and time: %s." % (field, _show(value))
        )
    return moment.replace(microsecond=0)


def _parse_consumption(lines):
    if not isinstance(lines, list):
        raise ReportRejected("consumption: must be a list, got %s." % (_show(lines),))
    actuals = []
    seen = set()
    for index, item in enumerate(lines):
        where = "consumption[%d]" % index
        if not isinstance(item, dict):
            raise ReportRejected("%s: must be an object." % where)
        if "silo" not in item or "quantity" not in item:
            raise ReportRejected("%s: needs both 'silo' and 'quantity'." % where)
        extra = sorted(map(str, set(item) - {"silo", "quantity"}))
        if extra:
            raise ReportRejected("%s: unknown field(s): %s." % (where, ", ".join(extra)))
        silo = item["silo"]
        if not isinstance(silo, str) or not silo.strip():
            raise ReportRejected(
                "%s.silo: must be a non-empty string, got %s." % (where, _show(silo))
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


def _parse_suspect(values):
    if values is None:
        return ()
    if not isinstance(values, list):
        raise ReportRejected("suspect: must be a list or null, got %s." % (_show(values),))
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
        extra = sorted(map(str, set(item) - set(SUSPECT_FIELDS)))
        if extra:
            raise ReportRejected("%s: unknown field(s): %s." % (where, ", ".join(extra)))
        silo = item["silo"]
        if silo is not None:
            if not isinstance(silo, str) or not silo.strip():
                raise ReportRejected(
                    "%s.silo: must be a non-empty string or null, got %s."
                    % (where, _show(silo))
                )
            _check_text(silo, where + ".silo")
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
            "%s: must be a list of 1 to %d words, got %s." % (field, MAX_RAW_WORDS, _show(words))
        )
    for word in words:
        if isinstance(word, bool) or not isinstance(word, int) or not 0 <= word <= MAX_WORD:
            raise ReportRejected(
                "%s: each word must be an integer from 0 to %d, got %s."
                % (field, MAX_WORD, _show(word))
            )
    return tuple(words)


def _parse_suspect_reason(reason, field):
    if not isinstance(reason, str) or not reason.strip():
        raise ReportRejected("%s: must be a non-empty string, got %s." % (field, _show(reason)))
    if len(reason) >= MAX_SUSPECT_REASON:
        raise ReportRejected(
            "%s: must be shorter than %d characters, got %d."
            % (field, MAX_SUSPECT_REASON, len(reason))
        )
    _check_text(reason, field)
    return reason


def _check_name(value, field):
    if not isinstance(value, str) or not value.strip():
        raise ReportRejected(
            "%s: must be a non-empty string, got %s." % (field, _show(value))
        )
    _check_text(value, field)


def _check_text(value, field):
    # PostgreSQL text cannot hold NUL; failing in SQL instead would raise, which the
    # agent takes for a passing error and retries forever.
    if "\x00" in value:
        raise ReportRejected("%s: must not contain NUL characters." % field)


def _show(value):
    """A value for a rejection message: its repr, shortened; never raises."""
    try:
        text = repr(value)
    except ValueError:
        # Python refuses to print an integer of more than a few thousand digits.
        return "a %s too large to show" % type(value).__name__
    if len(text) > SHOW_LIMIT:
        return text[: SHOW_LIMIT - 3] + "..."
    return text


def _datetime_text(moment):
    return moment.strftime(DATETIME_FORMAT) if moment else None
