# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The checks every payload of the line shares: texts, numbers, times, and how a refused
value is quoted back.

Every limit an agent's input is held to is here (docs/api.md lists them). A value is
checked before anything is formatted from it, and a refusal quotes it through ``show()``,
which never raises and never grows with the input: a value nested thousands deep or a
text of megabytes is answered like any other bad value, never with a server error (which
the agent would take for "try again later" and send again forever).

No Odoo import on purpose: the shape of a payload is the agent's contract, so these checks
run in the agent's test suite as well, without a database. Runs on the Python of the
official Odoo 14 image (3.7).
"""

import datetime
import hashlib
import json
import math
import reprlib

# Far beyond any batch in any UoM, and low enough that rounding to a UoM's precision
# cannot overflow a float.
MAX_QUANTITY = 1e12
# PostgreSQL's integer: a larger id can name no record, and would fail in SQL instead.
MAX_ID = 2 ** 31 - 1
# A line's code, as every call names it (and the line's form allows it).
MAX_LINE_CODE = 64
# The PLC's texts are 16 characters (equipment, failure info, MO reference, silo code);
# the room above that is for other PLC programs.
MAX_TEXT = 64
# Keys the agent makes (batch, failure and weighing keys): an index entry of bounded size.
MAX_KEY = 200
# A batch report's message, stored on the MO and shown as its PLC reason.
MAX_MESSAGE = 2000
# The consumption and suspect lists of one batch report: far beyond what one PLC batch
# slot holds (a line's components_per_batch is at most MAX_COMPONENTS).
MAX_COMPONENTS = 100
MAX_LIST_ITEMS = 2 * MAX_COMPONENTS
# How many batches one fetch may ask for.
MAX_FETCH_LIMIT = 100
# A refusal quotes what it refuses, but never more than this of it.
SHOW_LIMIT = 200
# Unknown field names are listed, each cut to this, and at most this many of them.
SHOW_NAME_LIMIT = 40
SHOW_NAMES = 10
# Odoo's server datetime format: the digests of reports stored before the payload checks
# moved here were computed with it, so it must not change.
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"

_REPR = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxstring = SHOW_LIMIT
_REPR.maxother = SHOW_LIMIT
_REPR.maxlong = SHOW_LIMIT
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 10


class ReportRejected(Exception):
    """A payload that can never be accepted as it is; the message names the field."""

    @property
    def reason(self):
        return str(self.args[0])


def show(value):
    """A value as a refusal quotes it: its repr, bounded in depth and length; never raises."""
    try:
        text = _REPR.repr(value)
    except ValueError:
        # Python refuses to print an integer of more than a few thousand digits.
        return "a %s too large to show" % type(value).__name__
    if len(text) > SHOW_LIMIT:
        return text[: SHOW_LIMIT - 3] + "..."
    return text


def show_name(name):
    """A field name as a refusal lists it: as it is when short and a string.

    A blank name is quoted, so that it still shows (and is still refused) in the list.
    """
    text = name if isinstance(name, str) and name.strip() else show(name)
    if len(text) > SHOW_NAME_LIMIT:
        return text[: SHOW_NAME_LIMIT - 3] + "..."
    return text


def check_fields(payload, required, optional=()):
    """The payload is an object holding every required field and no field but the optional.

    Shared by every report the line sends (batch, failure, manual weighing).
    """
    if not isinstance(payload, dict):
        raise ReportRejected(
            "payload: must be an object, got %s." % show(type(payload).__name__)
        )
    missing = [name for name in required if name not in payload]
    if missing:
        raise ReportRejected("missing field(s): %s." % ", ".join(missing))
    unknown = unknown_names(payload, tuple(required) + tuple(optional))
    if unknown:
        raise ReportRejected("unknown field(s): %s." % unknown)


def unknown_names(mapping, known):
    """The keys of ``mapping`` not in ``known``, as a refusal lists them, or ""."""
    # Sorted as text: a payload built in Python may mix key types.
    names = sorted(show_name(name) for name in mapping if name not in known)
    if len(names) > SHOW_NAMES:
        names = names[:SHOW_NAMES] + ["and %d more" % (len(names) - SHOW_NAMES)]
    return ", ".join(names)


def check_text(value, field, max_length):
    """A non-empty string without NUL, at most ``max_length`` characters."""
    if not isinstance(value, str) or not value.strip():
        raise ReportRejected(
            "%s: must be a non-empty string, got %s." % (field, show(value))
        )
    check_no_nul(value, field)
    check_length(value, field, max_length)


def check_line_code(value, field="line"):
    """A line's code as a call names it."""
    check_text(value, field, MAX_LINE_CODE)
    return value


def check_length(value, field, max_length):
    if len(value) > max_length:
        raise ReportRejected(
            "%s: at most %d characters, got %d." % (field, max_length, len(value))
        )


def check_no_nul(value, field):
    # PostgreSQL text cannot hold NUL; failing in SQL instead would raise, which the
    # agent takes for a passing error and retries forever.
    if "\x00" in value:
        raise ReportRejected("%s: must not contain NUL characters." % field)


def check_list(value, field, max_items=MAX_LIST_ITEMS, null=False):
    """A list of at most ``max_items`` items (or None when ``null``)."""
    if not isinstance(value, list):
        raise ReportRejected(
            "%s: must be a list%s, got %s." % (field, " or null" if null else "", show(value))
        )
    if len(value) > max_items:
        raise ReportRejected(
            "%s: at most %d items, got %d." % (field, max_items, len(value))
        )
    return value


def parse_integer(value, field):
    """An integer that fits PostgreSQL's integer (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ReportRejected("%s: must be an integer, got %s." % (field, show(value)))
    if not -(2 ** 31) <= value < 2 ** 31:
        raise ReportRejected("%s: out of range, got %s." % (field, show(value)))
    return value


def parse_number(value, field):
    """A finite float below ``MAX_QUANTITY`` in size; ``-0.0`` is 0.0."""
    value = _finite(value, field)
    if abs(value) >= MAX_QUANTITY:
        raise ReportRejected(
            "%s: must be below %g, got %s." % (field, MAX_QUANTITY, show(value))
        )
    # The digest must not depend on how the agent wrote zero.
    return value + 0.0


def parse_quantity(value, field):
    """A quantity as a float: finite, >= 0 and below ``MAX_QUANTITY``."""
    value = _finite(value, field)
    if value < 0:
        raise ReportRejected("%s: must not be negative, got %s." % (field, show(value)))
    return parse_number(value, field)


def _finite(value, field):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ReportRejected("%s: must be a number, got %s." % (field, show(value)))
    try:
        value = float(value)
    except OverflowError:
        raise ReportRejected(
            "%s: must be below %g, got a larger number." % (field, MAX_QUANTITY)
        )
    if math.isnan(value) or math.isinf(value):
        raise ReportRejected(
            "%s: must be a finite number, got %s." % (field, show(value))
        )
    return value


def parse_datetime(value, field):
    """An ISO 8601 string as a naive UTC datetime without microseconds, or None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ReportRejected(
            "%s: must be an ISO 8601 string or null, got %s." % (field, show(value))
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
            "%s: not an ISO 8601 date and time: %s." % (field, show(value))
        )
    return moment.replace(microsecond=0)


def datetime_text(moment):
    return moment.strftime(DATETIME_FORMAT) if moment else None


def digest(canonical):
    """The SHA-256 of a payload's canonical form: what "the same payload" means."""
    return hashlib.sha256(
        json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
