"""What the four tasks share: settings, sessions, the PLC link, the Odoo gateway, the clock, the metrics.

Test hook: the environment variable ``PLC_AGENT_CRASH_AT`` set to ``after_store``,
``after_plc_write``, ``after_push`` or ``after_area_store`` makes the process end at once
with ``os._exit(137)`` at that point (between storing and writing the PLC; between writing
the PLC and marking the rows written; between Odoo's answer and the archive; between
storing a failure or weighing report and setting its area's handshake word). The kill -9 tests use it because
timing a real SIGKILL that precisely is not reliable. It has no other effect.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from ..config import Settings
from ..metrics import AgentMetrics
from ..odoo_gateway import OdooGateway
from ..plc.link import PlcLinkBase
from ..plc.register_map import RegisterMap

logger = logging.getLogger(__name__)

CRASH_ENV = "PLC_AGENT_CRASH_AT"
CRASH_POINTS = ("after_store", "after_plc_write", "after_push", "after_area_store")
CRASH_EXIT_CODE = 137


def crash_point(name: str) -> None:
    """Test hook (see the module docstring): end the process here if asked to."""
    if os.environ.get(CRASH_ENV) == name:
        logger.critical("test hook %s=%s: ending the process now", CRASH_ENV, name)
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(CRASH_EXIT_CODE)


@dataclass(frozen=True)
class AgentContext:
    """One agent's line: its settings, queue database, PLC and Odoo.

    ``sessions`` write (on SQLite they take the write lock at BEGIN); ``read_sessions`` only
    read, so status figures never wait behind a writer.
    """

    settings: Settings
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    register_map: RegisterMap
    plc: PlcLinkBase
    odoo: OdooGateway
    clock: Callable[[], datetime]
    metrics: AgentMetrics
