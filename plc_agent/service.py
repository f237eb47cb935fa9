"""The agent's loop: one ``schedule.Scheduler``, one thread, jobs that never overlap.

Jobs (each can be switched off in the settings):

* sync (Task 1) every ``SYNC_INTERVAL_MINUTES`` -- ``ENABLE_AUTO_SYNC``;
* PLC (every ``PLC_POLL_INTERVAL_SECONDS``): first any stored batch the PLC has not confirmed
  is written (Task 1's restart rule; only with ``ENABLE_AUTO_SYNC``), then the read area is
  read (Task 2, ``ENABLE_PLC_READ``);
* push (Task 3) every ``PUSH_INTERVAL_SECONDS`` -- ``ENABLE_PUSH``;
* health (Task 4) every ``HEALTH_INTERVAL_SECONDS`` -- ``ENABLE_HEALTH``; its ping's answer
  says how many MOs Odoo has ready for the line, and when that is above 0 while the queue
  is empty the sync runs at once, in this loop, after the health job (with
  ``ENABLE_AUTO_SYNC``): a new MO reaches an idle line within one health interval;
* failures (Task 5) and manual weighing: their areas are read in the PLC job, after the
  read area, and their reports pushed at once when one was stored, and every
  ``PUSH_INTERVAL_SECONDS`` -- ``ENABLE_FAILURES`` / ``ENABLE_MANUAL_WEIGHING`` (each also
  needs its area in the register map);
* retention (Task 6) every ``RETENTION_INTERVAL_MINUTES`` -- ``ENABLE_RETENTION``.

Chaining keeps a busy line fed: when Task 2 stores a finished (or failed) batch the push
runs at once, and when a push empties ``mo_batch`` the sync runs at once, so the line waits
at most about one PLC poll interval for its next set instead of the sync interval.
A sync that failed on Odoo or the PLC while the queue is empty is tried again at the push
interval rather than an hour later.

Signals only set a flag; the loop ends after the job that is running.

With ``METRICS_PORT`` set, the agent's metrics are served for Prometheus while the loop runs
(:mod:`.metrics`); a port that cannot be opened stops the start with
:class:`~plc_agent.metrics.MetricsEndpointError`.

Before each pass that runs jobs (at most once per PLC poll interval) the loop makes sure the
queue's instance lock is still this agent's: a PostgreSQL session lock goes silently with its
connection. A lost lock stops the agent (:attr:`AgentService.lock_lost` says why) rather
than let two agents drive one line.

:func:`build_tasks` wires one agent: the register map, the PLC link, the Odoo gateway and
the queue's sessions go into one :class:`~plc_agent.tasks.AgentContext` that all the
tasks share; :class:`AgentService` puts the tasks on its scheduler.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import schedule
from sqlalchemy.engine import Engine

from .config import Settings
from .liveness import Heartbeat, heartbeat_path, stale_after_seconds
from .metrics import MetricsEndpoint
from .odoo_gateway import OdooGateway, OdooGatewayError
from .plc.link import PlcError
from .plc.links import make_link
from .plc.register_map import load_register_map
from .queue.engine import make_session_factory, read_only_session_factory
from .queue.instance_lock import InstanceLock, InstanceLockLost
from .tasks import AgentTasks, HealthReport, PushResult, ReadResult, RetentionResult, SyncResult

logger = logging.getLogger(__name__)

MAX_SLEEP_SECONDS = 0.2


def build_tasks(settings: Settings, engine: Engine) -> AgentTasks:
    """The four tasks of one agent over its register map, PLC, Odoo and queue database."""
    register_map = load_register_map(settings.register_map_file)
    plc = make_link(settings, register_map)
    odoo = OdooGateway(settings.odoo_url, settings.odoo_database, settings.odoo_username,
                       settings.odoo_password, timeout=settings.odoo_timeout_seconds)
    return AgentTasks(settings, make_session_factory(engine), register_map, plc, odoo,
                      read_session_factory=read_only_session_factory(engine))


class AgentService:
    def __init__(self, settings: Settings, tasks: AgentTasks,
                 *, scheduler: schedule.Scheduler | None = None, instance_lock: InstanceLock | None = None):
        self.settings = settings
        self.tasks = tasks
        self.instance_lock = instance_lock
        self.lock_lost: str | None = None
        self._lock_checked_at = float("-inf")
        self.scheduler = scheduler or schedule.Scheduler()
        self._stop = threading.Event()
        self._sync_failed = False
        self.job_runs: dict[str, int] = {"sync": 0, "plc": 0, "push": 0, "health": 0, "reports": 0,
                                         "retention": 0}
        self.metrics_endpoint: MetricsEndpoint | None = None
        if settings.metrics_port is not None:
            self.metrics_endpoint = MetricsEndpoint(tasks.metrics, settings.metrics_bind,
                                                    settings.metrics_port)
        self.heartbeat = Heartbeat(
            heartbeat_path(settings.status_file),
            stale_after_seconds(settings.plc_poll_interval_seconds, settings.odoo_timeout_seconds,
                                settings.plc_timeout_seconds),
        )

    # ------------------------------------------------------------------ control

    def request_stop(self, *_args: Any) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)

    def schedule_jobs(self) -> None:
        s = self.settings
        if s.enable_auto_sync:
            sync_job = self.scheduler.every(s.sync_interval_minutes).minutes.do(self.run_sync).tag("sync")
            self.tasks.health_task.next_sync_in = lambda: self._seconds_until(sync_job)
        areas = self.tasks.failures_on or self.tasks.weighing_on
        if s.enable_auto_sync or s.enable_plc_read or areas:
            self.scheduler.every(s.plc_poll_interval_seconds).seconds.do(self.run_plc).tag("plc")
        if s.enable_push:
            self.scheduler.every(s.push_interval_seconds).seconds.do(self.run_push).tag("push")
        if areas:
            self.scheduler.every(s.push_interval_seconds).seconds.do(self.run_reports).tag("reports")
        if s.enable_health:
            self.scheduler.every(s.health_interval_seconds).seconds.do(self.run_health).tag("health")
        if s.enable_retention:
            self.scheduler.every(s.retention_interval_minutes).minutes.do(
                self.run_retention).tag("retention")
        enabled = [name for name, on in (("sync", s.enable_auto_sync), ("plc-read", s.enable_plc_read),
                                         ("push", s.enable_push), ("health", s.enable_health),
                                         ("failures", self.tasks.failures_on),
                                         ("manual-weighing", self.tasks.weighing_on),
                                         ("retention", s.enable_retention)) if on]
        logger.info("Scheduler: tasks enabled: %s", ", ".join(enabled) or "none")

    def run(self, *, max_seconds: float | None = None) -> None:
        """Run until a stop is requested (or ``max_seconds`` passed, for tests)."""
        if self.metrics_endpoint is not None:
            self.metrics_endpoint.start()
        try:
            self._loop(max_seconds)
        finally:
            if self.metrics_endpoint is not None:
                self.metrics_endpoint.stop()

    def _loop(self, max_seconds: float | None) -> None:
        self.schedule_jobs()
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        logger.info("plc-agent running for line %s", self.settings.line_code)
        # Start-up: the restart rule first, then the queue gets its first chance to fill.
        if self.settings.enable_auto_sync and self._lock_still_held():
            self.run_sync()
        if not self.stopping and self.settings.enable_plc_read:
            self.run_plc()
        if not self.stopping and self.settings.enable_push:
            self.run_push()
        if not self.stopping and (self.tasks.failures_on or self.tasks.weighing_on):
            self.run_reports()
        if not self.stopping and self.settings.enable_retention:
            self.run_retention()
        while not self.stopping:
            if deadline is not None and time.monotonic() >= deadline:
                break
            if not self._lock_still_held():
                break
            self.scheduler.run_pending()
            self._beat()
            idle = self.scheduler.idle_seconds
            wait = MAX_SLEEP_SECONDS if idle is None else min(max(idle, 0.0), MAX_SLEEP_SECONDS)
            self._stop.wait(wait)
        self.scheduler.clear()
        try:
            self.heartbeat.stop()
        except OSError as exc:
            logger.warning("Cannot remove the heartbeat file %s: %s", self.heartbeat.path, exc)
        logger.info("plc-agent stopped")

    def _lock_still_held(self) -> bool:
        """False (and the stop requested) once the instance lock is gone."""
        if self.instance_lock is None:
            return True
        now = time.monotonic()
        if now - self._lock_checked_at < self.settings.plc_poll_interval_seconds:
            return True
        self._lock_checked_at = now
        try:
            self.instance_lock.check()
        except InstanceLockLost as exc:
            self.lock_lost = str(exc)
            logger.error("%s; stopping, so that no second agent drives the line alongside this one "
                         "(a restarted agent takes the lock again)", exc)
            self.request_stop()
            return False
        return True

    def _beat(self) -> None:
        """Tell `plc-agent health` that the loop completed a pass; a full disk must not stop it."""
        self.tasks.metrics.loop_pass()
        try:
            self.heartbeat.beat()
        except OSError as exc:
            logger.error("Cannot write the heartbeat file %s: %s", self.heartbeat.path, exc)

    # ------------------------------------------------------------------ jobs

    def _guard(self, task: str, func: Callable[[], Any]) -> Any:
        """Run one task; an error is logged, never raised into the scheduler."""
        try:
            return func()
        except PlcError as exc:
            # An unreachable PLC is logged by the link's outage, once per backoff step.
            (logger.debug if exc.link_down else logger.warning)(
                "[%s] PLC problem, retried at the next run: %s", task, exc)
        except OdooGatewayError as exc:
            # The gateway's outage logged it: once per outage step, or once per refusal.
            logger.debug("[%s] Odoo call failed, retried at the next run: %s", task, exc)
        except Exception:
            logger.exception("[%s] Error in task", task)
        return None

    def run_sync(self) -> SyncResult | None:
        self.job_runs["sync"] += 1
        result = self._guard("TASK 1", self.tasks.sync)
        failed_before, self._sync_failed = self._sync_failed, result is None
        if self._sync_failed and not failed_before:
            logger.info("[TASK 1] Will retry in %s s if the queue stays empty",
                        f"{self.settings.push_interval_seconds:g}")
        return result

    def run_plc(self) -> ReadResult | None:
        self.job_runs["plc"] += 1
        if self.settings.enable_auto_sync and self._guard("TASK 1", self.tasks.pending_count):
            self._guard("TASK 1", self.tasks.write_stored_batches)
        result: ReadResult | None = None
        if self.settings.enable_plc_read and not self.stopping:
            result = self._guard("TASK 2", self.tasks.read_plc)
            if result is not None and result.stored and self.settings.enable_push and not self.stopping:
                self.run_push()
        self._read_report_areas()
        return result

    def _read_report_areas(self) -> None:
        """One read of each report area; a stored report goes to Odoo at once."""
        stored = False
        if self.tasks.failures_on and not self.stopping:
            read = self._guard("TASK 5", self.tasks.read_failures)
            stored = stored or bool(read and read.stored)
        if self.tasks.weighing_on and not self.stopping:
            read = self._guard("WEIGHING", self.tasks.read_weighing)
            stored = stored or bool(read and read.stored)
        if stored and not self.stopping:
            self.run_reports()

    def run_reports(self) -> None:
        """Send the stored failures and weighings Odoo has not answered yet."""
        self.job_runs["reports"] += 1
        if self.tasks.failures_on and not self.stopping:
            self._guard("TASK 5", self.tasks.push_failures)
        if self.tasks.weighing_on and not self.stopping:
            self._guard("WEIGHING", self.tasks.push_weighings)

    def run_retention(self) -> RetentionResult | None:
        self.job_runs["retention"] += 1
        return self._guard("TASK 6", self.tasks.prune)

    def run_push(self) -> PushResult | None:
        self.job_runs["push"] += 1
        result: PushResult | None = self._guard("TASK 3", self.tasks.push)
        if self.settings.enable_auto_sync and not self.stopping and result is not None:
            if result.emptied_queue or (self._sync_failed and result.remaining == 0):
                self.run_sync()
        return result

    @staticmethod
    def _seconds_until(job: schedule.Job) -> float | None:
        # schedule keeps its times in local naive datetimes.
        return None if job.next_run is None else (job.next_run - datetime.now()).total_seconds()

    def run_health(self) -> HealthReport | None:
        self.job_runs["health"] += 1
        report: HealthReport | None = self._guard("TASK 4", self.tasks.health)
        if (report is not None and report.work_waiting and self.settings.enable_auto_sync
                and not self.stopping):
            logger.info("[TASK 1] Odoo has %d MO(s) ready for line %s and the queue is empty: "
                        "fetching now", report.odoo["ready_mos"], self.settings.line_code)
            self.run_sync()
        return report
