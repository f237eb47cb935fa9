"""When the agent next asks Odoo for MOs, and why then: sent with the ping, shown by ``status``.

The agent fetches only into an empty queue (the seed's rule). With the queue empty it
fetches at the next ping that says MOs are ready (``ready_mo_count`` in ``plc_ping``'s
answer, addon 14.0.1.4.0 and later), else at the sync interval; with batches queued it
fetches when they are done (the push that empties the queue runs the sync at once).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Odoo refuses a next fetch further ahead than this (payloads/ping_status.py).
MAX_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class NextFetch:
    in_seconds: int | None  # None: no time can be said (waits for batches, or never)
    reason: str

    def as_status(self) -> dict[str, int | str | None]:
        return {"in_seconds": self.in_seconds, "reason": self.reason}


def plan_next_fetch(*, auto_sync: bool, queued: int, ping_tells_ready: bool | None,
                    ping_interval_seconds: float, seconds_to_sync: float | None,
                    sync_interval_minutes: int) -> NextFetch:
    """The next fetch as things stand.

    ``ping_tells_ready``: whether Odoo's last ping answer carried the ready count (None
    before the first answer; assumed so, an older addon ignores what the agent says).
    ``seconds_to_sync``: until the scheduler's next sync job, None when not known.
    """
    if not auto_sync:
        return NextFetch(None, "never by itself: ENABLE_AUTO_SYNC is off")
    if queued > 0:
        return NextFetch(None, f"when the {queued} batch(es) in its queue are done")
    if ping_tells_ready is not False:
        return NextFetch(_bounded(ping_interval_seconds),
                         f"at the next ping if Odoo has MOs ready (every {ping_interval_seconds:g} s)")
    seconds = seconds_to_sync if seconds_to_sync is not None else sync_interval_minutes * 60
    return NextFetch(_bounded(seconds),
                     f"at the sync every {sync_interval_minutes} min (Odoo's addon does not say "
                     "at the ping when MOs are ready: upgrade it to 14.0.1.4.0)")


def _bounded(seconds: float) -> int:
    return min(max(math.ceil(seconds), 0), MAX_SECONDS)
