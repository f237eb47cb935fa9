"""Task 4, health: queue figures, stuck batches, Odoo and PLC reachability, the status file."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..database import BatchState, MoBatch, queue_figures
from ..odoo_gateway import OdooGatewayError
from ..plc import PlcError
from .context import AgentContext
from .line_status import line_status, stuck_batch_count

logger = logging.getLogger(__name__)


@dataclass
class HealthReport:
    checked_at: str
    line: str
    queue: dict[str, Any]
    stuck: list[dict[str, Any]] = field(default_factory=list)
    odoo: dict[str, Any] = field(default_factory=dict)
    plc: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "checked_at": self.checked_at,
            "line": self.line,
            "pid": os.getpid(),
            "queue": self.queue,
            "stuck": self.stuck,
            "odoo": self.odoo,
            "plc": self.plc,
        }


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

    def __init__(self, context: AgentContext):
        self.context = context

    def run(self) -> HealthReport:
        """Queue figures, stuck batches, Odoo and PLC reachability; logged and written to the status file."""
        now = self.context.clock()
        threshold = timedelta(minutes=self.context.settings.batch_stuck_threshold_minutes)
        with self.context.read_sessions() as session:
            figures = queue_figures(session)
            rows = session.scalars(select(MoBatch).order_by(MoBatch.slot)).all()
        stuck: list[dict[str, Any]] = []
        for row in rows:
            for problem in self._stuck_reasons(row, now, threshold):
                stuck.append({"slot": row.slot, "mo": row.mo_name, "batch_key": row.batch_key,
                              "state": row.state.value, "problem": problem})
        report = HealthReport(
            checked_at=now.isoformat(),
            line=self.context.settings.line_code,
            queue={"total": figures.total, "in_progress": figures.in_progress,
                   "finished": figures.finished, "by_state": figures.by_state},
            stuck=stuck,
        )
        # The PLC first: its state goes to Odoo with the ping.
        try:
            self.context.plc.ping()
            report.plc = {"ok": True, "endpoint": self.context.plc.endpoint}
        except PlcError as exc:
            report.plc = {"ok": False, "endpoint": self.context.plc.endpoint, "error": str(exc)}
        self.context.metrics.batches_stuck.set(stuck_batch_count(stuck))
        status = line_status(figures.by_state, rows, stuck, self.context.plc, bool(report.plc["ok"]))
        try:
            ping = self.context.odoo.ping(self.context.settings.line_code, status)
            report.odoo = {"ok": ping.ok, "server_time": ping.server_time,
                           "line_exists": ping.line_exists, "line_active": ping.line_active,
                           "status_sent": bool(self.context.odoo.ping_takes_status)}
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
        for item in stuck:
            logger.warning("[TASK 4] Stuck batch slot %s %s: %s", item["slot"], item["mo"], item["problem"])
        try:
            write_status_file(self.context.settings.status_file, report.as_dict())
        except OSError as exc:
            logger.error("[TASK 4] Cannot write the status file %s: %s", self.context.settings.status_file, exc)
        return report

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
        if row.status_operation:
            out.append("status_operation = 1: failure on the line")
        if row.state == BatchState.HELD:
            out.append(f"held, implausible PLC values: {row.hold_reason}")
        if row.push_attempts:
            out.append(f"report to Odoo failed {row.push_attempts} time(s): {row.last_error}")
        return out
