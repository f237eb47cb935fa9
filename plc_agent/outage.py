"""Whether one end of the agent (the PLC link, Odoo) is down: said once, per backoff step, and back.

Every task meets the same outage: with the PLC unreachable the PLC job, the report areas
and the health check all fail every few seconds. Each end has one :class:`Outage` that
every failure goes through, and that alone speaks about it: a line when the outage starts,
a line each time the wait before the next attempt grows (a step of the PLC link's reconnect
backoff, or of the reports' backoff in :mod:`plc_agent.tasks.retry`), and a line when the
end answers again. A failure that changes nothing is logged at DEBUG only, so that a
two-minute outage is a handful of lines, not dozens.

Odoo refusing a call (a wrong line code, a user without rights) is not an outage: Odoo
answers, and will give the same answer until a person fixes the cause. Its message is
logged once, whole, at ERROR (:meth:`Outage.refused`), again only when it changes or after
Odoo accepted a call in between.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


class Outage:
    """The state of one end: up, down since when, the wait last logged, the refusal last logged."""

    def __init__(self, end: str, fix: str, *, clock: Callable[[], float] = time.monotonic):
        self.end = end  # e.g. "PLC 10.0.0.5:502", "Odoo http://odoo:8069"
        self.fix = fix  # what a person checks while it lasts
        self.clock = clock
        self.down_since: float | None = None
        self.failed_attempts = 0
        self._logged_wait = 0.0
        self._refusal: str | None = None

    @property
    def down(self) -> bool:
        return self.down_since is not None

    @property
    def troubled(self) -> bool:
        """Down, or refusing the agent's calls: the routine lines of a retried task are noise."""
        return self.down or self._refusal is not None

    def failed(self, error: str, next_attempt_in: float | None = None) -> None:
        """A call failed because the end could not be reached (or did not answer)."""
        self.failed_attempts += 1
        wait = f"; next attempt in {next_attempt_in:g} s" if next_attempt_in else ""
        if self.down_since is None:
            self.down_since = self.clock()
            self._logged_wait = next_attempt_in or 0.0
            logger.warning("%s is unreachable: %s%s. The agent keeps every batch and report and "
                           "tries again by itself; check %s", self.end, error, wait, self.fix)
            return
        self.waiting(next_attempt_in, error)

    def waiting(self, next_attempt_in: float | None, error: str) -> None:
        """The backoff chose its next wait: logged when it is a new, longer step."""
        if self.down_since is None or next_attempt_in is None or next_attempt_in <= self._logged_wait:
            logger.debug("%s still unreachable: %s", self.end, error)
            return
        self._logged_wait = next_attempt_in
        logger.warning("%s still unreachable after %s (%d failed attempts): %s; next attempt in %g s",
                       self.end, _duration(self.clock() - self.down_since), self.failed_attempts,
                       error, next_attempt_in)

    def refused(self, message: str, reason: str | None = None) -> None:
        """The end answered with a refusal a person must fix; said once per distinct ``reason``
        (the end's own words, without the call they answered; default: the whole message)."""
        reason = message if reason is None else reason
        if reason == self._refusal:
            logger.debug("%s refused again: %s", self.end, message)
            return
        self._refusal = reason
        logger.error("%s refuses the agent: %s", self.end, message)

    def answered(self) -> None:
        """A call succeeded: an outage ends (said once), a refusal may be said again later."""
        self._refusal = None
        if self.down_since is None:
            return
        logger.warning("%s answers again after %s (%d failed attempts)", self.end,
                       _duration(self.clock() - self.down_since), self.failed_attempts)
        self.down_since = None
        self.failed_attempts = 0
        self._logged_wait = 0.0
