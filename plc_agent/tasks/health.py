"""Task 4, health: queue figures, stuck batches, Odoo and PLC reachability, the status file.

A line that makes no progress is stuck: a written set the PLC has not started within
:data:`SET_START_POLLS` poll intervals (re-driven where the PLC says it waits for the start
signal, :meth:`~.sync.SyncTask.start_waiting_set`), a running batch whose read slot has not
changed for the stuck threshold, a batch written and never seen, a failure, a refused report.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..odoo_gateway import OdooGatewayError
from ..plc.link import PlcError
from ..queue.failure import PlcFailure
from ..queue.figures import delivery_figures, queue_figures
from ..queue.models import BatchState, DeliveryState, MoBatch, MoHistory
from ..queue.weighing import ManualWeighing
from .context import AgentContext
from .line_status import line_status, stuck_batch_count
from .next_fetch import NextFetch, plan_next_fetch

logger = logging.getLogger(__name__)

SET_START_POLLS = 3  # PLC poll intervals a written set may wait before it counts as not started


@dataclass
class HealthReport:
    checked_at: str
    line: str
    queue: dict[str, Any]
    stuck: list[dict[str, Any]] = field(default_factory=list)
    odoo: dict[str, Any] = field(default_factory=dict)
    plc: dict[str, Any] = field(default_factory=dict)
    next_fetch: NextFetch | None = None

    @property
    def work_waiting(self) -> bool:
        """Odoo said at this ping that MOs are ready, and the queue is empty: fetch now."""
        return self.queue.get("total") == 0 and (self.odoo.get("ready_mos") or 0) > 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "checked_at": self.checked_at,
            "line": self.line,
            "pid": os.getpid(),
            "queue": self.queue,
            "stuck": self.stuck,
            "stuck_count": len(self.stuck),
            "odoo": self.odoo,
            "plc": self.plc,
            "next_fetch": self._next_fetch_dict(),
        }

    def _next_fetch_dict(self) -> dict[str, Any] | None:
        if self.next_fetch is None:
            return None
        seconds = self.next_fetch.in_seconds
        at = (None if seconds is None
              else (datetime.fromisoformat(self.checked_at) + timedelta(seconds=seconds)).isoformat())
        return {**self.next_fetch.as_status(), "at": at}


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def write_status_file(path: Path, data: dict[str, Any]) -> None:
    """Replace the status file atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".status-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True, default=str)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class HealthTask:
    """Logs the line's health and writes it to the status file."""

    def __init__(self, context: AgentContext, start_waiting_set: Callable[[], bool]):
        self.context = context
        self.start_waiting_set = start_waiting_set  # the sync task's safe re-drive
        # The stuck batches already warned about: a batch stuck for an hour is one warning,
        # not one per check (the summary counts them, `plc-agent status` lists them).
        self._stuck_warned: set[tuple[object, object]] = set()
        # Seconds until the scheduler's next sync; the service sets it (None: not known).
        self.next_sync_in: Callable[[], float | None] = lambda: None
        # Whether Odoo's last ping answer said how many MOs are ready (None: not asked yet).
        self.ping_tells_ready: bool | None = None

    def run(self) -> HealthReport:
        """Queue figures, stuck batches, Odoo and PLC reachability; logged and written to the status file."""
        now = self.context.clock()
        threshold = timedelta(minutes=self.context.settings.batch_stuck_threshold_minutes)
        with self.context.read_sessions() as session:
            figures = queue_figures(session)
            unsent_reports = {
                "failures": delivery_figures(session, PlcFailure).get(DeliveryState.UNSENT.value, 0),
                "weighings": delivery_figures(session, ManualWeighing).get(DeliveryState.UNSENT.value, 0),
            }
            rows = session.scalars(select(MoBatch).order_by(MoBatch.slot)).all()
            waiting = self._set_not_started(session, list(rows), now)
        stuck: list[dict[str, Any]] = []
        if waiting is not None:
            first, problem = waiting
            try:
                if self.start_waiting_set():
                    problem += "; the PLC waited for the write handshake: lowered to 0"
            except PlcError as exc:
                problem += f"; could not look at the PLC: {exc}"
            stuck.append({"slot": first.slot, "mo": first.mo_name, "batch_key": first.batch_key,
                          "state": first.state.value, "problem": problem})
        for row in rows:
            for problem in self._stuck_reasons(row, now, threshold):
                stuck.append({"slot": row.slot, "mo": row.mo_name, "batch_key": row.batch_key,
                              "state": row.state.value, "problem": problem})
        report = HealthReport(
            checked_at=now.isoformat(),
            line=self.context.settings.line_code,
            queue={"total": figures.total, "in_progress": figures.in_progress,
                   "finished": figures.finished, "by_state": figures.by_state,
                   "suspect": figures.suspect},
            stuck=stuck,
        )
        # The PLC first: its state goes to Odoo with the ping.
        try:
            self.context.plc.ping()
            report.plc = {"ok": True, "endpoint": self.context.plc.endpoint}
        except PlcError as exc:
            report.plc = {"ok": False, "endpoint": self.context.plc.endpoint, "error": str(exc)}
        self.context.metrics.batches_stuck.set(stuck_batch_count(stuck))
        status = line_status(figures.by_state, rows, stuck, self.context.plc, bool(report.plc["ok"]),
                             unsent_reports)
        settings = self.context.settings
        report.next_fetch = plan_next_fetch(
            auto_sync=settings.enable_auto_sync, queued=figures.total,
            ping_tells_ready=self.ping_tells_ready, ping_interval_seconds=settings.health_interval_seconds,
            seconds_to_sync=self.next_sync_in(), sync_interval_minutes=settings.sync_interval_minutes)
        status["next_fetch"] = report.next_fetch.as_status()
        try:
            ping = self.context.odoo.ping(self.context.settings.line_code, status)
            report.odoo = {"ok": ping.ok, "server_time": ping.server_time,
                           "line_exists": ping.line_exists, "line_active": ping.line_active,
                           "status_sent": bool(self.context.odoo.ping_takes_status),
                           "ready_mos": ping.ready_mo_count}
            self.ping_tells_ready = ping.ready_mo_count is not None
            if not ping.ok:
                report.odoo["error"] = f"line {self.context.settings.line_code} is unknown or archived in Odoo"
        except OdooGatewayError as exc:
            report.odoo = {"ok": False, "error": str(exc)}

        logger.info(
            "[TASK 4] Queue: %d total, %d in progress, %d finished; Odoo %s; PLC %s; %d stuck",
            figures.total, figures.in_progress, figures.finished,
            "OK" if report.odoo.get("ok") else f"PROBLEM ({report.odoo.get('error')})",
            "OK" if report.plc.get("ok") else f"PROBLEM ({report.plc.get('error')})",
            len(stuck),
        )
        still_stuck = {(item["slot"], item["batch_key"]) for item in stuck}
        for item in stuck:
            (logger.debug if (item["slot"], item["batch_key"]) in self._stuck_warned else logger.warning)(
                "[TASK 4] Stuck batch slot %s %s: %s", item["slot"], item["mo"], item["problem"])
        self._stuck_warned = still_stuck
        try:
            write_status_file(self.context.settings.status_file, report.as_dict())
        except OSError as exc:
            logger.error("[TASK 4] Cannot write the status file %s: %s", self.context.settings.status_file, exc)
        return report

    def _set_not_started(self, session: Any, rows: list[MoBatch],
                         now: datetime) -> tuple[MoBatch, str] | None:
        """The first batch of a written set none of whose batches the PLC has shown yet."""
        in_plc = [r for r in rows if not r.plc_excluded]
        if not in_plc or any(r.state != BatchState.WRITTEN or r.last_read_from_plc for r in in_plc):
            return None
        stamps = [r.plc_written_at for r in in_plc if r.plc_written_at is not None]
        if not stamps:
            return None
        written_at = min(stamps)
        wait = timedelta(seconds=SET_START_POLLS * self.context.settings.plc_poll_interval_seconds)
        if now - written_at <= wait:
            return None
        # Batches of this set already reported and archived: the set did start.
        started = session.scalar(select(MoHistory.id).where(
            MoHistory.plc_written_at == written_at).limit(1))
        if started is not None:
            return None
        seconds = int((now - written_at).total_seconds())
        return in_plc[0], (f"set written to the PLC {seconds} s ago, the PLC has started none of "
                           f"its {len(in_plc)} batch(es)")

    @staticmethod
    def _stuck_reasons(row: MoBatch, now: datetime, threshold: timedelta) -> list[str]:
        out: list[str] = []
        if row.state == BatchState.QUEUED and now - row.created_at > threshold:
            out.append(f"stored {_minutes(now - row.created_at)} min ago, the PLC has not taken it")
        if (row.state == BatchState.WRITTEN and row.last_read_from_plc is None
                and row.plc_written_at is not None and now - row.plc_written_at > threshold):
            out.append(f"written to the PLC {_minutes(now - row.plc_written_at)} min ago, "
                       "never seen in the read area")
        if (row.state in (BatchState.WRITTEN, BatchState.RUNNING)
                and row.last_read_from_plc is not None and now - row.last_read_from_plc > threshold):
            out.append(f"last read from the PLC {_minutes(now - row.last_read_from_plc)} min ago")
        changed = row.plc_changed_at or row.started_at
        if row.state == BatchState.RUNNING and changed is not None and now - changed > threshold:
            out.append(f"running, its read slot unchanged for {_minutes(now - changed)} min")
        if row.status_operation:
            out.append("status_operation = 1: failure on the line")
        if row.state == BatchState.HELD:
            out.append(f"held by an earlier release: {row.hold_reason}; judged again at the next read")
        if row.push_attempts:
            out.append(f"report to Odoo failed {row.push_attempts} time(s): {row.last_error}")
        return out
