"""The line's status as Task 4 sends it with ``plc_ping``, for the line's health in Odoo.

The shape is the contract of ``plc_ping(line_code, status)`` (docs/api.md): every key is
optional for Odoo, so this module sends only what the agent knows for certain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .. import __version__
from ..plc.link import PlcLinkBase
from ..queue.models import PUSHABLE, BatchState, MoBatch


def stuck_batch_count(stuck: Iterable[Mapping[str, Any]]) -> int:
    """Batches the health check found stuck (a batch with several problems counts once)."""
    return len({(item.get("slot"), item.get("batch_key")) for item in stuck})


def line_status(
    by_state: Mapping[str, int],
    rows: Sequence[MoBatch],
    stuck: Iterable[Mapping[str, Any]],
    plc: PlcLinkBase,
    plc_up: bool,
    unsent_reports: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The status for ``plc_ping``: version, queue, PLC link, stuck, running MO, unsent.

    ``unsent_reports``: failures and weighings stored but not yet answered by Odoo, by area.
    """
    running = [row.mo_name for row in sorted(rows, key=lambda r: r.slot) if row.state == BatchState.RUNNING]
    last_read = plc.last_good_read_at
    return {
        "agent_version": __version__,
        "queue": {**{state.value: int(by_state.get(state.value, 0)) for state in BatchState},
                  "suspect": sum(1 for row in rows if row.suspect)},
        "plc": {
            "up": plc_up,
            # Only a current problem: an old error on a link that answers would mislead.
            "last_error": None if plc_up else plc.last_error,
            "last_good_read_at": last_read.isoformat() if last_read is not None else None,
        },
        "stuck": stuck_batch_count(stuck),
        "running_mo": running[0] if running else None,
        "unsent": {"batches": sum(1 for row in rows if row.state in PUSHABLE),
                   **{area: int(count) for area, count in (unsent_reports or {}).items()}},
    }
