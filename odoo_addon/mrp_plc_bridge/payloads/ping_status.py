# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The status an agent sends with ``plc_ping``, checked in plain Python.

No Odoo import on purpose, like batch_report.py: the shape is the agent's contract.
Every key is optional and unknown keys are ignored, so that an older or newer agent keeps
pinging; a key of a known name with a wrong type is refused, naming the key.

Runs on the Python of the official Odoo 14 image (3.7).
"""

import datetime
from dataclasses import dataclass
from typing import Optional

from .checks import ReportRejected, show

# Texts an agent sends are short; longer ones are cut, never refused (a long PLC error
# text must not stop the health report).
MAX_TEXT = 500
# The agent's next fetch: how far ahead it may say (its hourly sync is the farthest it
# plans; a week leaves room for a long SYNC_INTERVAL_MINUTES), and how long its reason is.
MAX_NEXT_FETCH_SECONDS = 7 * 24 * 3600
MAX_NEXT_FETCH_REASON = 200
QUEUE_KEYS = ("queued", "written", "running", "finished", "held", "suspect")
UNSENT_KEYS = ("batches", "failures", "weighings")


class PingRejected(ReportRejected):
    """A status with a known key of a wrong type; the message names the key."""


@dataclass(frozen=True)
class PingStatus:
    """What the line's agent says about itself; None where it said nothing."""

    agent_version: Optional[str] = None
    queue: Optional[dict] = None
    plc_up: Optional[bool] = None
    plc_last_error: Optional[str] = None
    plc_last_good_read_at: Optional[datetime.datetime] = None
    stuck: Optional[int] = None
    running_mo: Optional[str] = None
    unsent: Optional[dict] = None
    # When the agent fetches next, in seconds from the ping (None: not planned, e.g. it
    # waits for its queued batches to be done), and why then, in plain words.
    next_fetch_in_seconds: Optional[int] = None
    next_fetch_reason: Optional[str] = None

    @property
    def held(self):
        return (self.queue or {}).get("held")


def parse_status(status):
    """Check a ping's status; return a ``PingStatus`` (all None for no status)."""
    if status is None:
        return PingStatus()
    if not isinstance(status, dict):
        raise PingRejected(
            "status: must be an object or null, got %r." % type(status).__name__
        )
    values = {}
    if "agent_version" in status:
        values["agent_version"] = _text(status["agent_version"], "status.agent_version")
    if "queue" in status:
        values["queue"] = _counts(status["queue"], "status.queue", QUEUE_KEYS)
    if "plc" in status:
        plc = status["plc"]
        if plc is not None and not isinstance(plc, dict):
            raise PingRejected(
                "status.plc: must be an object or null, got %r." % type(plc).__name__
            )
        plc = plc or {}
        if plc.get("up") is not None:
            if not isinstance(plc["up"], bool):
                raise PingRejected(
                    "status.plc.up: must be true, false or null, got %s." % show(plc["up"])
                )
            values["plc_up"] = plc["up"]
        if "last_error" in plc:
            values["plc_last_error"] = _text(plc["last_error"], "status.plc.last_error")
        if "last_good_read_at" in plc:
            values["plc_last_good_read_at"] = _datetime(
                plc["last_good_read_at"], "status.plc.last_good_read_at"
            )
    if "stuck" in status:
        values["stuck"] = _count(status["stuck"], "status.stuck")
    if "running_mo" in status:
        values["running_mo"] = _text(status["running_mo"], "status.running_mo")
    if "unsent" in status:
        values["unsent"] = _counts(status["unsent"], "status.unsent", UNSENT_KEYS)
    if "next_fetch" in status:
        values.update(_next_fetch(status["next_fetch"]))
    return PingStatus(**values)


def _next_fetch(value):
    """``{"in_seconds": 0..MAX_NEXT_FETCH_SECONDS or null, "reason": text or null}``."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PingRejected(
            "status.next_fetch: must be an object or null, got %r."
            % type(value).__name__
        )
    seconds = _count(value.get("in_seconds"), "status.next_fetch.in_seconds")
    if seconds is not None and seconds > MAX_NEXT_FETCH_SECONDS:
        raise PingRejected(
            "status.next_fetch.in_seconds: must be at most %d (7 days), got %s."
            % (MAX_NEXT_FETCH_SECONDS, show(seconds))
        )
    reason = _text(value.get("reason"), "status.next_fetch.reason")
    return {
        "next_fetch_in_seconds": seconds,
        "next_fetch_reason": reason[:MAX_NEXT_FETCH_REASON] if reason else None,
    }


def _text(value, key):
    if value is None:
        return None
    if not isinstance(value, str):
        raise PingRejected(
            "%s: must be a string or null, got %r." % (key, type(value).__name__)
        )
    # PostgreSQL cannot store a NUL.
    return value.replace("\x00", "")[:MAX_TEXT] or None


def _count(value, key):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PingRejected(
            "%s: must be a whole number from 0 or null, got %s." % (key, show(value))
        )
    return value


def _counts(value, key, names):
    if value is None:
        return None
    if not isinstance(value, dict):
        raise PingRejected(
            "%s: must be an object or null, got %r." % (key, type(value).__name__)
        )
    return {
        name: _count(value[name], "%s.%s" % (key, name))
        for name in names
        if value.get(name) is not None
    }


def _datetime(value, key):
    """An ISO 8601 time with its offset, as naive UTC (Odoo's way)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise PingRejected(
            "%s: must be an ISO 8601 time or null, got %r."
            % (key, type(value).__name__)
        )
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        moment = datetime.datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise PingRejected(
                "%s: must carry its UTC offset, got %r." % (key, value[:60])
            )
        # Overflows for the first and last hours of the datetime range.
        moment = moment.astimezone(datetime.timezone.utc)
    except (ValueError, OverflowError):
        raise PingRejected("%s: not an ISO 8601 time: %r." % (key, value[:60]))
    return moment.replace(tzinfo=None, microsecond=0)
