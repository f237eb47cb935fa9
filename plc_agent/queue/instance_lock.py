"""The instance lock: one ``plc-agent run`` per queue database.

A session advisory lock on a dedicated PostgreSQL connection, or an ``flock`` on a file
beside the SQLite database. Either one names the holder (pid, host, start): on PostgreSQL
in the ``plc_agent_instance`` table, on SQLite in the lock file.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from .models import AgentInstance, utcnow

logger = logging.getLogger(__name__)

# An arbitrary fixed key (session scope), beside the fill gate's.
INSTANCE_LOCK_KEY = 0x504C_4332  # "PLC2"


class InstanceLocked(Exception):
    """Another agent holds the database; ``holder`` says who, as far as known."""

    def __init__(self, holder: str):
        self.holder = holder
        super().__init__(f"another plc-agent holds this database: {holder}")


class InstanceLockLost(Exception):
    """The instance lock this agent held is gone: another agent may take the database."""


class InstanceLock:
    """One running agent per database; release with :meth:`release` or as a context manager."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._connection: Any = None
        self._file: Any = None
        self._path: Path | None = None
        self._me: dict[str, Any] | None = None

    def _describe(self, pid: Any, host: Any, started: Any) -> str:
        return f"pid {pid} on {host}, started {started}"

    def acquire(self) -> InstanceLock:
        me = {"pid": os.getpid(), "host": socket.gethostname(), "started": utcnow().isoformat()}
        if self.engine.dialect.name == "postgresql":
            self._acquire_postgresql(me)
        else:
            self._acquire_sqlite(me)
        return self

    def _acquire_postgresql(self, me: dict[str, Any]) -> None:
        conn = self.engine.connect()
        try:
            got = conn.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": INSTANCE_LOCK_KEY}
            ).scalar()
            conn.commit()
            if not got:
                holder = "unknown process"
                try:
                    with Session(self.engine) as s:
                        row = s.get(AgentInstance, 1)
                        if row is not None:
                            holder = self._describe(row.pid, row.host, row.started_at.isoformat())
                except Exception:  # the table may not exist yet; the lock itself is what counts
                    logger.debug("could not read the instance record", exc_info=True)
                raise InstanceLocked(holder)
        except BaseException:
            conn.close()
            raise
        self._connection = conn
        self._me = me
        if AgentInstance.__tablename__ in inspect(self.engine).get_table_names():
            self.record_holder()
        # else: a new database; the caller records the holder after creating the tables.

    def record_holder(self) -> None:
        """Write who holds the PostgreSQL lock into ``plc_agent_instance`` (for the next one)."""
        me = getattr(self, "_me", None)
        if self._connection is None or me is None:
            return
        try:
            with Session(self.engine) as s, s.begin():
                row = s.get(AgentInstance, 1)
                started = datetime.fromisoformat(me["started"])
                if row is None:
                    s.add(AgentInstance(id=1, pid=me["pid"], host=me["host"], started_at=started))
                else:
                    row.pid, row.host, row.started_at = me["pid"], me["host"], started
        except Exception:
            logger.warning("instance lock taken, but its record could not be written", exc_info=True)

    def _acquire_sqlite(self, me: dict[str, Any]) -> None:
        database = self.engine.url.database
        if not database or database == ":memory:":
            return
        path = Path(database + ".lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "a+", encoding="utf-8")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            try:
                info = json.loads(fh.read() or "{}")
                holder = self._describe(info.get("pid"), info.get("host"), info.get("started"))
            except ValueError:
                holder = f"unknown process (lock file {path})"
            fh.close()
            raise InstanceLocked(holder) from None
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps(me))
        fh.flush()
        self._file, self._path = fh, path

    def check(self) -> None:
        """Raise :class:`InstanceLockLost` when the lock is no longer this agent's.

        A PostgreSQL session lock lives exactly as long as its connection: a restarted
        server, a network cut or ``pg_terminate_backend`` frees it silently, and a second
        agent could then take the database while this one still drives the line. A lock
        file that was removed or replaced no longer keeps anyone out either.
        """
        if self._connection is not None:
            self._check_postgresql()
        elif self._file is not None:
            self._check_sqlite()

    def _check_postgresql(self) -> None:
        try:
            held = self._connection.execute(
                text("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
                     " AND pid = pg_backend_pid() AND granted"
                     " AND classid = :high AND objid = :low AND objsubid = 1)"),
                {"high": INSTANCE_LOCK_KEY >> 32, "low": INSTANCE_LOCK_KEY & 0xFFFF_FFFF},
            ).scalar()
            self._connection.commit()
        except SQLAlchemyError as exc:
            raise InstanceLockLost(
                "the instance lock was lost with its database connection: "
                + (str(exc.orig if isinstance(exc, DBAPIError) else exc).strip().splitlines() or ["?"])[0]
            ) from None
        if not held:
            raise InstanceLockLost("the instance lock was lost: its database session no longer holds it")

    def _check_sqlite(self) -> None:
        assert self._path is not None
        try:
            on_disk = os.stat(self._path)
        except FileNotFoundError:
            raise InstanceLockLost(f"the instance lock was lost: its lock file {self._path} was removed") from None
        held = os.fstat(self._file.fileno())
        if (on_disk.st_dev, on_disk.st_ino) != (held.st_dev, held.st_ino):
            raise InstanceLockLost(f"the instance lock was lost: its lock file {self._path} was replaced")

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": INSTANCE_LOCK_KEY}
                )
                self._connection.commit()
            except SQLAlchemyError:
                # The connection is gone, and the session lock went with it.
                logger.debug("instance lock: its connection was already closed", exc_info=True)
            finally:
                self._connection.close()
                self._connection = None
        if self._file is not None:
            try:
                self._file.seek(0)
                self._file.truncate()
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            finally:
                self._file.close()
                self._file = None

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
