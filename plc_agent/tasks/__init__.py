"""The agent's four tasks, one module each, over one shared :class:`AgentContext`.

* :mod:`.sync` -- Task 1: Odoo -> queue -> PLC, with the restart rule;
* :mod:`.plc_read` -- Task 2: the read area, with plausibility checks and acknowledgements;
* :mod:`.push` -- Task 3: the reports to Odoo, with backoff, and the archive;
* :mod:`.health` -- Task 4: queue figures, stuck batches, both ends, the status file.

Each task returns a small result the service uses for chaining (a stored finished batch
triggers a push; a push that empties ``mo_batch`` triggers a sync). PLC and Odoo errors
propagate as :class:`~plc_agent.plc.PlcError` and
:class:`~plc_agent.odoo_gateway.OdooGatewayError`; the database keeps every batch where it
was, so a task can always be run again. The crash-point test hook is described in
:mod:`.context`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from ..config import Settings
from ..database import utcnow
from ..odoo_gateway import OdooGateway
from ..plc import PlcLink
from ..register_map import RegisterMap
from .context import CRASH_ENV, CRASH_EXIT_CODE, CRASH_POINTS, AgentContext, crash_point
from .health import HealthReport, HealthTask, write_status_file
from .plc_read import PlcReadTask, ReadResult
from .push import PushResult, PushTask
from .sync import SyncResult, SyncTask, WriteResult

__all__ = [
    "CRASH_ENV", "CRASH_EXIT_CODE", "CRASH_POINTS", "AgentContext", "AgentTasks", "HealthReport",
    "HealthTask", "PlcReadTask", "PushResult", "PushTask", "ReadResult", "SyncResult", "SyncTask",
    "WriteResult", "crash_point", "write_status_file",
]


class AgentTasks:
    """The four tasks of one agent, built over one context; the calls the service schedules."""

    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session],
        register_map: RegisterMap,
        plc: PlcLink,
        odoo: OdooGateway,
        *,
        read_session_factory: sessionmaker[Session] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.context = AgentContext(
            settings=settings, sessions=session_factory,
            read_sessions=read_session_factory or session_factory,
            register_map=register_map, plc=plc, odoo=odoo, clock=clock,
        )
        self.sync_task = SyncTask(self.context)
        self.plc_read_task = PlcReadTask(self.context)
        self.push_task = PushTask(self.context)
        self.health_task = HealthTask(self.context, self.sync_task.start_waiting_set)

    @property
    def register_map(self) -> RegisterMap:
        return self.context.register_map

    @property
    def plc(self) -> PlcLink:
        return self.context.plc

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.context.clock

    @clock.setter
    def clock(self, clock: Callable[[], datetime]) -> None:
        # Tests move time forward; every task sees the same clock.
        self.context = replace(self.context, clock=clock)
        for task in (self.sync_task, self.plc_read_task, self.push_task, self.health_task):
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
