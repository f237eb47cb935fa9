"""The shapes the stand-in Odoo accepts, as docs/api.md states them: batch reports,
failures, manual weighings and the status of a ping.

Each check returns the reason of a rejection, naming the field first as the addon does
(``consumption[2].quantity: ...``, ``missing field(s): status.``), or None. A reason
quotes a value only when it is a short scalar: whatever the agent sends (a megabyte of
text, a list nested a thousand deep) never makes the answer long, and nothing here
recurses into a value it has not checked.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime
from typing import Any

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# docs/api.md: quantities below 10^12; PostgreSQL's integer bounds ids.
MAX_QUANTITY = 1e12
MAX_ID = 2 ** 31 - 1
MAX_WORD = 0xFFFF
MAX_RAW_WORDS = 64
MAX_SUSPECT_REASON = 500
# Failures and weighings: texts of at most 64 characters (the PLC's are 16), keys 200.
MAX_TEXT = 64
MAX_KEY = 200
MAX_BATCH_NUMBER = 65535
# The line's message on a batch report. docs/api.md bounds every input of the agent; a
# PLC's message is one text field of its report area, far below this.
MAX_MESSAGE = 2000
# The texts of a ping's status are cut, never refused.
MAX_STATUS_TEXT = 500
SHOW_LIMIT = 60

REPORT_REQUIRED = ("mo_id", "line", "batch_key", "consumption", "status")
REPORT_OPTIONAL = ("finished_quantity", "started_at", "finished_at", "message", "suspect", "slot",
                   "batch_number")
# What the addon before 14.0.1.5.0 knew: the PLC's slot and batch number are unknown fields.
REPORT_OPTIONAL_BEFORE_POSITION = REPORT_OPTIONAL[:-2]
# Where the PLC ran the batch (docs/api.md): kept, and left out of the digest.
MAX_SLOT = 65535
FAILURE_FIELDS = ("line", "failure_key", "equipment", "info", "occurred_at")
WEIGHING_FIELDS = ("line", "weighing_key", "mo_name", "batch_number", "product_template_id",
                   "quantity", "weighed_at")
QUEUE_KEYS = ("queued", "written", "running", "finished", "held", "suspect")
UNSENT_KEYS = ("batches", "failures", "weighings")


class Rejected(Exception):
    """A payload that can never be accepted as it is; the message names the field."""

    @property
    def reason(self) -> str:
        return str(self.args[0])


def show(value: Any) -> str:
    """A value for a reason: a short scalar's repr, else only what kind of value it is."""
    if value is None or isinstance(value, (bool, int, float)):
        text = repr(value)
    elif isinstance(value, str):
        text = repr(value[:SHOW_LIMIT])
        if len(value) > SHOW_LIMIT:
            text += "..."
    else:
        return "a %s" % type(value).__name__
    return text if len(text) <= SHOW_LIMIT + 5 else text[:SHOW_LIMIT] + "..."


def cut(text: str) -> str:
    """A text for a reason, as it is, but never longer than a line of a log."""
    return text if len(text) <= SHOW_LIMIT else text[:SHOW_LIMIT] + "..."


def digest(canonical: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def check_fields(payload: Any, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise Rejected("payload: must be an object, got %s." % show(payload))
    missing = [name for name in required if name not in payload]
    if missing:
        raise Rejected("missing field(s): %s." % ", ".join(missing))
    unknown = sorted(set(payload) - set(required) - set(optional))
    if unknown:
        raise Rejected("unknown field(s): %s." % ", ".join(show(name) if len(name) > SHOW_LIMIT else name
                                                          for name in unknown[:5]))
    return payload


def check_text(value: Any, field: str, max_length: int | None = None, *, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise Rejected("%s: must be a%s string, got %s." % (field, "" if empty else " non-empty", show(value)))
    if "\x00" in value:
        raise Rejected("%s: must not contain NUL characters." % field)
    if max_length is not None and len(value) > max_length:
        raise Rejected("%s: at most %d characters, got %d." % (field, max_length, len(value)))
    return value


def check_quantity(value: Any, field: str, *, signed: bool = False) -> float:
    """A finite number below 10^12 as a float (>= 0 unless ``signed``); -0.0 is 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Rejected("%s: must be a number, got %s." % (field, show(value)))
    try:
        number = float(value)
    except OverflowError:
        raise Rejected("%s: must be below %g, got a larger number." % (field, MAX_QUANTITY)) from None
    if not math.isfinite(number):
        raise Rejected("%s: must be a finite number, got %s." % (field, show(value)))
    if not signed and number < 0:
        raise Rejected("%s: must not be negative, got %s." % (field, show(value)))
    if abs(number) >= MAX_QUANTITY:
        raise Rejected("%s: must be below %g, got %s." % (field, MAX_QUANTITY, show(value)))
    return number + 0.0


def check_integer(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Rejected("%s: must be an integer, got %s." % (field, show(value)))
    if not -MAX_ID - 1 <= value <= MAX_ID:
        raise Rejected("%s: out of range, got %s." % (field, show(value)))
    return value


def utc(value: Any, field: str, *, offset_required: bool = False) -> datetime | None:
    """An ISO 8601 time as naive UTC without microseconds; with an offset (or ``Z``)
    converted, without one taken as UTC (unless ``offset_required``); None stays None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise Rejected("%s: must be an ISO 8601 string or null, got %s." % (field, show(value)))
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        elif offset_required:
            raise Rejected("%s: must carry its UTC offset, got %s." % (field, show(value)))
    except (ValueError, OverflowError):
        raise Rejected("%s: not an ISO 8601 date and time: %s." % (field, show(value))) from None
    return moment.replace(microsecond=0)


def _time_text(moment: datetime | None) -> str | None:
    return moment.strftime(DATETIME_FORMAT) if moment else None


# ---------------------------------------------------------------------------- batch report


def check_report(payload: Any, optional: tuple[str, ...] = REPORT_OPTIONAL) -> str:
    """Check a batch report's shape; return the digest of what it says.

    The digest is of the canonical payload: consumption sorted by silo, numbers as floats,
    times in UTC, so ``1000`` and ``1000.0``, another order of the consumption or another
    offset for the same moment are the same report.
    """
    check_fields(payload, REPORT_REQUIRED, optional)
    mo_id = payload["mo_id"]
    if isinstance(mo_id, bool) or not isinstance(mo_id, int) or mo_id <= 0:
        raise Rejected("mo_id: must be a positive integer, got %s." % show(mo_id))
    if mo_id > MAX_ID:
        raise Rejected("mo_id: manufacturing order %s does not exist." % show(mo_id))
    check_text(payload["line"], "line")
    check_text(payload["batch_key"], "batch_key")
    if payload["status"] not in ("done", "failed"):
        raise Rejected("status: must be 'done' or 'failed', got %s." % show(payload["status"]))
    consumption = _consumption(payload["consumption"])
    message = payload.get("message")
    if message is not None:
        if not isinstance(message, str):
            raise Rejected("message: must be a string or null, got %s." % show(message))
        check_text(message, "message", MAX_MESSAGE, empty=True)
    finished = payload.get("finished_quantity")
    if finished is not None:
        finished = check_quantity(finished, "finished_quantity")
    started_at = utc(payload.get("started_at"), "started_at")
    finished_at = utc(payload.get("finished_at"), "finished_at")
    suspect = _suspect(payload.get("suspect"))
    _position(payload.get("slot"), "slot", 1, MAX_SLOT)
    _position(payload.get("batch_number"), "batch_number", 0, MAX_BATCH_NUMBER)
    canonical: dict[str, Any] = {
        "mo_id": mo_id, "line": payload["line"], "batch_key": payload["batch_key"],
        "status": payload["status"], "consumption": sorted(consumption),
        "finished_quantity": finished, "started_at": _time_text(started_at),
        "finished_at": _time_text(finished_at), "message": message,
    }
    if suspect:
        canonical["suspect"] = sorted(suspect, key=lambda item: json.dumps(item))
    return digest(canonical)


def _position(value: Any, field: str, low: int, high: int) -> int | None:
    if value is None:
        return None
    number = check_integer(value, field)
    if not low <= number <= high:
        raise Rejected("%s: must be from %d to %d, got %s." % (field, low, high, show(number)))
    return number


def _consumption(lines: Any) -> list[list[Any]]:
    if not isinstance(lines, list):
        raise Rejected("consumption: must be a list, got %s." % show(lines))
    actuals: list[list[Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(lines):
        where = "consumption[%d]" % index
        if not isinstance(item, dict):
            raise Rejected("%s: must be an object, got %s." % (where, show(item)))
        if "silo" not in item or "quantity" not in item:
            raise Rejected("%s: needs both 'silo' and 'quantity'." % where)
        extra = sorted(set(item) - {"silo", "quantity"})
        if extra:
            raise Rejected("%s: unknown field(s): %s." % (where, ", ".join(show(name) for name in extra[:5])))
        silo = check_text(item["silo"], where + ".silo")
        if silo in seen:
            raise Rejected("%s.silo: silo %s appears more than once." % (where, show(silo)))
        seen.add(silo)
        actuals.append([silo, check_quantity(item["quantity"], where + ".quantity")])
    return actuals


def _suspect(values: Any) -> list[list[Any]]:
    if values is None:
        return []
    if not isinstance(values, list):
        raise Rejected("suspect: must be a list or null, got %s." % show(values))
    parsed = []
    for index, item in enumerate(values):
        where = "suspect[%d]" % index
        if not isinstance(item, dict):
            raise Rejected("%s: must be an object, got %s." % (where, show(item)))
        missing = [name for name in ("silo", "raw_words", "reason") if name not in item]
        if missing:
            raise Rejected("%s: missing field(s): %s." % (where, ", ".join(missing)))
        extra = sorted(set(item) - {"silo", "raw_words", "reason"})
        if extra:
            raise Rejected("%s: unknown field(s): %s." % (where, ", ".join(show(name) for name in extra[:5])))
        silo = item["silo"]
        if silo is not None:
            check_text(silo, where + ".silo")
        words = item["raw_words"]
        if not isinstance(words, list) or not 1 <= len(words) <= MAX_RAW_WORDS:
            raise Rejected("%s.raw_words: must be a list of 1 to %d words, got %s."
                           % (where, MAX_RAW_WORDS, show(words)))
        for word in words:
            if isinstance(word, bool) or not isinstance(word, int) or not 0 <= word <= MAX_WORD:
                raise Rejected("%s.raw_words: each word must be an integer from 0 to %d, got %s."
                               % (where, MAX_WORD, show(word)))
        reason = check_text(item["reason"], where + ".reason")
        if len(reason) >= MAX_SUSPECT_REASON:
            raise Rejected("%s.reason: must be shorter than %d characters, got %d."
                           % (where, MAX_SUSPECT_REASON, len(reason)))
        parsed.append([silo, list(words), reason])
    return parsed


# ---------------------------------------------------------------------------- failure, weighing


def check_failure(payload: Any) -> datetime:
    """Check a failure's shape; return when it occurred (naive UTC)."""
    check_fields(payload, FAILURE_FIELDS)
    check_text(payload["line"], "line", MAX_TEXT)
    check_text(payload["failure_key"], "failure_key", MAX_KEY)
    check_text(payload["equipment"], "equipment", MAX_TEXT)
    check_text(payload["info"], "info", MAX_TEXT)
    occurred_at = utc(payload["occurred_at"], "occurred_at")
    if occurred_at is None:
        raise Rejected("occurred_at: must be an ISO 8601 string, got None.")
    return occurred_at


def check_weighing(payload: Any) -> str:
    """Check a weighing's shape; return the digest of its canonical payload (numbers as
    floats, time in UTC)."""
    check_fields(payload, WEIGHING_FIELDS)
    check_text(payload["line"], "line", MAX_TEXT)
    check_text(payload["weighing_key"], "weighing_key", MAX_KEY)
    # An empty reference is a weighing the station could not tie to an MO: kept, not refused.
    check_text(payload["mo_name"], "mo_name", MAX_TEXT, empty=True)
    batch_number = check_integer(payload["batch_number"], "batch_number")
    if not 0 <= batch_number <= MAX_BATCH_NUMBER:
        raise Rejected("batch_number: must be from 0 to %d, got %s." % (MAX_BATCH_NUMBER, show(batch_number)))
    template_id = check_integer(payload["product_template_id"], "product_template_id")
    quantity = check_quantity(payload["quantity"], "quantity", signed=True)
    weighed_at = utc(payload["weighed_at"], "weighed_at")
    if weighed_at is None:
        raise Rejected("weighed_at: must be an ISO 8601 string, got None.")
    return digest({
        "line": payload["line"], "weighing_key": payload["weighing_key"], "mo_name": payload["mo_name"],
        "batch_number": batch_number, "product_template_id": template_id, "quantity": quantity,
        "weighed_at": _time_text(weighed_at),
    })


# ---------------------------------------------------------------------------- ping status


def check_status(status: Any) -> None:
    """A ping's status: every key optional, unknown keys ignored, a known key of the
    wrong type refused naming its path (``status.queue.held: ...``)."""
    if status is None:
        return
    if not isinstance(status, dict):
        raise Rejected("status: must be an object or null, got %s." % show(status))
    if "agent_version" in status:
        _status_text(status["agent_version"], "status.agent_version")
    for key, names in (("queue", QUEUE_KEYS), ("unsent", UNSENT_KEYS)):
        if key in status:
            _status_counts(status[key], "status." + key, names)
    if "plc" in status:
        plc = status["plc"]
        if plc is not None and not isinstance(plc, dict):
            raise Rejected("status.plc: must be an object or null, got %s." % show(plc))
        plc = plc or {}
        if plc.get("up") is not None and not isinstance(plc["up"], bool):
            raise Rejected("status.plc.up: must be true, false or null, got %s." % show(plc["up"]))
        if "last_error" in plc:
            _status_text(plc["last_error"], "status.plc.last_error")
        if plc.get("last_good_read_at") is not None:
            utc(plc["last_good_read_at"], "status.plc.last_good_read_at", offset_required=True)
    if "stuck" in status:
        _status_count(status["stuck"], "status.stuck")
    if "running_mo" in status:
        _status_text(status["running_mo"], "status.running_mo")
    if status.get("next_fetch") is not None:
        next_fetch = status["next_fetch"]
        if not isinstance(next_fetch, dict):
            raise Rejected("status.next_fetch: must be an object or null, got %s." % show(next_fetch))
        seconds = next_fetch.get("in_seconds")
        _status_count(seconds, "status.next_fetch.in_seconds")
        if seconds is not None and seconds > 7 * 24 * 3600:
            raise Rejected("status.next_fetch.in_seconds: must be at most 604800 (7 days), got %s."
                           % show(seconds))
        _status_text(next_fetch.get("reason"), "status.next_fetch.reason")


def _status_text(value: Any, key: str) -> None:
    if value is not None and not isinstance(value, str):
        raise Rejected("%s: must be a string or null, got %s." % (key, show(value)))


def _status_count(value: Any, key: str) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise Rejected("%s: must be a whole number from 0 or null, got %s." % (key, show(value)))


def _status_counts(value: Any, key: str, names: tuple[str, ...]) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise Rejected("%s: must be an object or null, got %s." % (key, show(value)))
    for name in names:
        if name in value:
            _status_count(value[name], "%s.%s" % (key, name))
