"""Is the service loop alive? The heartbeat file the loop writes and ``plc-agent health`` reads.

``plc-agent run`` rewrites the file after each pass of its loop (at most once a second), so
a loop stuck in a job, or a process gone, shows as a heartbeat that stops getting younger.
A health check then needs neither the queue database nor the PLC nor Odoo: it reads two
small files and opens no connection. Whether Odoo and the PLC answered comes from the last
Task 4 status file and only makes the answer "degraded": the agent waits for them by itself,
so a restart would not help.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HEARTBEAT_FILE_NAME = "heartbeat.json"
MIN_WRITE_INTERVAL_SECONDS = 1.0


def heartbeat_path(status_file: Path) -> Path:
    """The heartbeat lives next to the status file: the one folder the agent always writes."""
    return status_file.parent / HEARTBEAT_FILE_NAME


def stale_after_seconds(poll_interval: float, odoo_timeout: float, plc_timeout: float) -> float:
    """How old a heartbeat may get: three poll intervals, plus one Odoo call and one PLC request
    that may each block the loop for their whole timeout without anything being wrong."""
    return 3 * poll_interval + odoo_timeout + plc_timeout


class Heartbeat:
    """Written by the service loop; ``beat`` is cheap enough to call on every pass."""

    def __init__(self, path: Path, stale_after: float, *, clock=time.monotonic):
        self.path = path
        self.stale_after = stale_after
        self._clock = clock
        self._last_write: float | None = None

    def beat(self) -> None:
        now = self._clock()
        if self._last_write is not None and now - self._last_write < MIN_WRITE_INTERVAL_SECONDS:
            return
        self._last_write = now
        data = {"pid": os.getpid(), "beat_at": datetime.now(UTC).isoformat(),
                "stale_after_seconds": self.stale_after}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".heartbeat-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def stop(self) -> None:
        """A stopped service is not alive: remove the heartbeat so that no check says it is."""
        self.path.unlink(missing_ok=True)


@dataclass(frozen=True)
class Liveness:
    alive: bool
    summary: str
    degraded: list[str]


def read_liveness(heartbeat_file: Path, status_file: Path, default_stale_after: float,
                  *, now: datetime | None = None) -> Liveness:
    """Judge the heartbeat (alive or not) and the last health check (degraded or not)."""
    now = now or datetime.now(UTC)
    degraded = _degraded(status_file)
    try:
        data: dict[str, Any] = json.loads(heartbeat_file.read_text(encoding="utf-8"))
        beat_at = datetime.fromisoformat(data["beat_at"])
        stale_after = float(data.get("stale_after_seconds") or default_stale_after)
    except FileNotFoundError:
        return Liveness(False, f"service loop: no heartbeat ({heartbeat_file} does not exist: "
                               "'plc-agent run' is not running, has not started its loop yet, "
                               "or runs with other settings: give this command the same --env-file "
                               "or PLC_AGENT_HOME)", degraded)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Liveness(False, f"service loop: unreadable heartbeat {heartbeat_file}: {exc}", degraded)
    age = (now - beat_at).total_seconds()
    if age > stale_after:
        return Liveness(False, f"service loop: STALLED, last cycle {age:.0f} s ago (pid {data.get('pid')}; "
                               f"allowed {stale_after:.0f} s)", degraded)
    return Liveness(True, f"service loop: OK, last cycle {max(age, 0):.0f} s ago (pid {data.get('pid')})",
                    degraded)


def _degraded(status_file: Path) -> list[str]:
    try:
        data = json.loads(status_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        return [f"status file {status_file} unreadable: {exc}"]
    out = []
    for name, label in (("odoo", "Odoo"), ("plc", "PLC")):
        part = data.get(name) or {}
        if part and not part.get("ok"):
            out.append(f"{label} unreachable or refusing at the last health check "
                       f"({data.get('checked_at')}): {part.get('error')}")
    stuck = data.get("stuck") or []
    if stuck:
        out.append(f"{len(stuck)} stuck batch(es) at the last health check")
    return out
