"""The agent's tasks, one module each, over one shared :class:`AgentContext`.

* :mod:`.sync` -- Task 1: Odoo -> queue -> PLC, with the restart rule;
* :mod:`.plc_read` -- Task 2: the read area, with plausibility checks and acknowledgements;
* :mod:`.push` -- Task 3: the reports to Odoo, with backoff, and the archive;
* :mod:`.health` -- Task 4: queue figures, stuck batches, both ends, the status file;
* :mod:`.failures` -- Task 5: the failure area -> Odoo, and :mod:`.weighings`: the manual
  weighing area -> Odoo, both on :mod:`.report_area`'s store-then-acknowledge flow;
* :mod:`.retention` -- Task 6: prune answered history older than ``RETENTION_DAYS``.

Each task returns a small result the service uses for chaining (a stored finished batch
triggers a push; a push that empties ``mo_batch`` triggers a sync). PLC and Odoo errors
propagate as :class:`~plc_agent.plc.link.PlcError` and
:class:`~plc_agent.odoo_gateway.OdooGatewayError`; the database keeps every batch where it
was, so a task can always be run again. The crash-point test hook is described in
:mod:`.context`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from .. import __version__
from ..config import Settings
from ..metrics import AgentMetrics
from ..odoo_gateway import OdooGateway
from ..plc.link import PlcLinkBase
from ..plc.register_map import RegisterMap
from ..queue.figures import queue_figures
from ..queue.models import utcnow
from .context import CRASH_ENV, CRASH_EXIT_CODE, CRASH_POINTS, AgentContext, crash_point
from .failures import FailureTask
from .health import HealthReport, HealthTask, write_status_file
from .plc_read import PlcReadTask, ReadResult
from .push import PushResult, PushTask
from .report_area import AreaPushResult, AreaReadResult
from .retention import RetentionResult, RetentionTask
from .sync import SyncResult, SyncTask, WriteResult
from .weighings import WeighingTask

__all__ = [
    "CRASH_ENV", "CRASH_EXIT_CODE", "CRASH_POINTS", "AgentContext", "AgentTasks", "AreaPushResult",
    "AreaReadResult", "FailureTask", "HealthReport", "HealthTask", "PlcReadTask", "PushResult",
    "PushTask", "ReadResult", "RetentionResult", "RetentionTask", "SyncResult", "SyncTask",
    "WeighingTask", "WriteResult", "crash_point", "write_status_file",
]


class AgentTasks:
    """The tasks of one agent, built over one context; the calls the service schedules."""

    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session],
        register_map: RegisterMap,
        plc: PlcLinkBase,
        odoo: OdooGateway,
        *,
        read_session_factory: sessionmaker[Session] | None = None,
        clock: Callable[[], datetime] = utcnow,
        metrics: AgentMetrics | None = None,
    ):
        metrics = metrics or AgentMetrics(settings.line_code, __version__)
        # One agent, one registry: its link and gateway count into it too.
        plc.metrics = metrics
        # The tasks plan their reads with the link's limits (one FINS request, several Modbus ones).
        register_map = register_map.with_request_limits(plc.max_read_words, plc.max_write_words)
        odoo.metrics = metrics
        read_sessions = read_session_factory or session_factory

        def queue_depth() -> dict[str, int]:
            with read_sessions() as session:
                return queue_figures(session).by_state

        metrics.watch_queue(queue_depth)
        self.context = AgentContext(
            settings=settings, sessions=session_factory, read_sessions=read_sessions,
            register_map=register_map, plc=plc, odoo=odoo, clock=clock, metrics=metrics,
        )
        self.sync_task = SyncTask(self.context)
        self.plc_read_task = PlcReadTask(self.context)
        self.push_task = PushTask(self.context)
        self.health_task = HealthTask(self.context, self.sync_task.start_waiting_set)
        self.failure_task = FailureTask(self.context)
        self.weighing_task = WeighingTask(self.context)
        self.retention_task = RetentionTask(self.context)

    @property
    def failures_on(self) -> bool:
        """Task 5 runs: switched on and the register map has a failure area."""
        return self.context.settings.enable_failures and self.register_map.failure_area is not None

    @property
    def weighing_on(self) -> bool:
        return (self.context.settings.enable_manual_weighing
                and self.register_map.weighing_area is not None)

    @property
    def register_map(self) -> RegisterMap:
        return self.context.register_map

    @property
    def metrics(self) -> AgentMetrics:
        return self.context.metrics

    @property
    def plc(self) -> PlcLinkBase:
        return self.context.plc

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.context.clock

    @clock.setter
    def clock(self, clock: Callable[[], datetime]) -> None:
        # Tests move time forward; every task sees the same clock.
        self.context = replace(self.context, clock=clock)
        for task in (self.sync_task, self.plc_read_task, self.push_task, self.health_task,
                     self.failure_task, self.weighing_task, self.retention_task):
            task.context = self.context

    def sync(self) -> SyncResult:
        return self.sync_task.run()

    def write_stored_batches(self) -> WriteResult:
        return self.sync_task.write_stored_batches()

    def pending_count(self) -> int:
        return self.sync_task.pending_count()

    def read_plc(self) -> ReadResult:
        return self.plc_read_task.run()

    def push(self) -> PushResult:
        return self.push_task.run()

    def health(self) -> HealthReport:
        return self.health_task.run()

    def read_failures(self) -> AreaReadResult:
        return self.failure_task.read()

    def push_failures(self) -> AreaPushResult:
        return self.failure_task.push()

    def read_weighing(self) -> AreaReadResult:
        return self.weighing_task.read()

    def push_weighings(self) -> AreaPushResult:
        return self.weighing_task.push()

    def prune(self) -> RetentionResult:
        return self.retention_task.run()
