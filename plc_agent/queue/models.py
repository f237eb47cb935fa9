"""The queue database: ``mo_batch``, ``mo_batch_component``, ``mo_histories``.

The tables of the failure and weighing areas are in :mod:`plc_agent.failure` and
:mod:`plc_agent.weighing`; the schema itself is made and upgraded by Alembic
(:mod:`plc_agent.schema`).

``mo_batch`` keeps the old middleware's table and columns (its users query them) and adds
what exactly-once delivery needs. One row is one batch in one PLC slot (``batch_no``).
``mo_histories`` keeps every batch that left ``mo_batch`` together with Odoo's answer.

Cross-process safety:

* The fill gate (:func:`fill_if_empty`) counts ``mo_batch`` and inserts the new set in one
  transaction under a lock that holds across processes: ``pg_advisory_xact_lock`` on
  PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite (every write transaction of this engine starts
  that way, SQLAlchemy's documented pysqlite recipe). Two agents can never both see 0.
* The instance lock (:class:`InstanceLock`) keeps a second ``plc-agent run`` off the same
  database: a session advisory lock on a dedicated PostgreSQL connection, or an ``flock``
  on a file beside the SQLite database. Either one names the holder (pid, host, start).
"""

from __future__ import annotations

import enum
import fcntl
import json
import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    sessionmaker,
)

logger = logging.getLogger(__name__)

# Arbitrary fixed keys: one for the fill gate (transaction scope), one for the instance lock
# (session scope). Same database = same keys = the same lock, whichever agent asks.
FILL_LOCK_KEY = 0x504C_4331  # "PLC1"
INSTANCE_LOCK_KEY = 0x504C_4332  # "PLC2"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class BatchState(str, enum.Enum):
    QUEUED = "queued"  # stored, not yet confirmed in the PLC's write area
    WRITTEN = "written"  # confirmed in the write area, not yet seen running
    RUNNING = "running"  # seen in the read area, not finished
    FINISHED = "finished"  # status_manufacturing = 1 stored: waits for the push
    FAILED = "failed"  # failed on the line, or refused before the PLC: waits for the push
    HELD = "held"  # implausible values from the PLC: never pushed as they are


PUSHABLE = (BatchState.FINISHED, BatchState.FAILED)


class Outcome(str, enum.Enum):
    DONE = "done"
    RECORDED = "recorded"
    FAILED = "failed"
    REJECTED = "rejected"
    SKIPPED = "skipped"


def _stored_as_value(enum_class: type[enum.Enum], length: int) -> Enum:
    """The enum's values in a plain VARCHAR: the strings the queue always held, no CHECK."""
    return Enum(enum_class, native_enum=False, create_constraint=False, length=length,
                values_callable=lambda members: [m.value for m in members], validate_strings=True)


class Base(DeclarativeBase):
    pass


# Column order in new databases: id and the slot first, then the old middleware's columns in
# its order (some of its users read them by position), then the agent's own.
FIRST, OWN = -1, 1


class BatchFields:
    """The columns a batch keeps from ``mo_batch`` into ``mo_histories``.

    Several keep the old middleware's column names, which say less than the attributes:
    ``mo_id`` holds the MO's name, ``consumption`` the planned finished quantity.
    """

    mo_name: Mapped[str] = mapped_column("mo_id", String(64), index=True)  # WH/MO/00002
    planned_quantity: Mapped[float] = mapped_column("consumption", Float)  # of the finished product
    line_code: Mapped[str] = mapped_column("equipment_id_batch", String(64))
    finished_goods: Mapped[str] = mapped_column(String(128), default="")  # product name, for the PLC
    status_manufacturing: Mapped[bool] = mapped_column(Boolean, default=False)
    status_operation: Mapped[bool] = mapped_column(Boolean, default=False)
    last_read_from_plc: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_weight: Mapped[float | None] = mapped_column(
        "actual_weight_finished_goods", Float, nullable=True
    )
    odoo_mo_id: Mapped[int] = mapped_column(Integer)
    run: Mapped[int] = mapped_column(Integer, default=1)
    bom_code: Mapped[str] = mapped_column(String(64), default="")
    product_code: Mapped[str] = mapped_column(String(64), default="")
    uom: Mapped[str] = mapped_column(String(32), default="")
    plc_written_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    push_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The rolling number the PLC knows the batch by (1..65535); None: stored by release 0.1.0.
    batch_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The read slot's words as the batch ended (offset 0 onwards), kept for a person to check.
    raw_words: Mapped[list[int] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    # Values that looked wrong, as reported to Odoo: [{"silo", "raw_words", "reason"}].
    suspect: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True), nullable=True)


class MoBatch(BatchFields, Base):
    """One batch in one PLC slot, from its fetch until Odoo's answer (table ``mo_batch``)."""

    __tablename__ = "mo_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True, sort_order=FIRST)
    slot: Mapped[int] = mapped_column("batch_no", Integer, unique=True, sort_order=FIRST)
    batch_key: Mapped[str] = mapped_column(String(128), unique=True, sort_order=OWN)
    date_planned_start: Mapped[str | None] = mapped_column(String(32), nullable=True, sort_order=OWN)
    redelivered: Mapped[bool] = mapped_column(Boolean, default=False, sort_order=OWN)
    # True for a batch refused before the PLC (does not fit the register map): it keeps its
    # slot number but the slot is written as zeros, and it is reported to Odoo as failed.
    plc_excluded: Mapped[bool] = mapped_column(Boolean, default=False, sort_order=OWN)
    state: Mapped[BatchState] = mapped_column(
        _stored_as_value(BatchState, 16), default=BatchState.QUEUED, index=True, sort_order=OWN
    )
    hold_reason: Mapped[str | None] = mapped_column(Text, nullable=True, sort_order=OWN)
    message: Mapped[str | None] = mapped_column(Text, nullable=True, sort_order=OWN)  # sent to Odoo
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True, sort_order=OWN)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, sort_order=OWN)
    # When the batch's read slot last changed while it ran: a slot that stops changing is stuck.
    plc_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, sort_order=OWN)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, sort_order=OWN)

    components: Mapped[list["MoBatchComponent"]] = relationship(
        back_populates="batch",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="MoBatchComponent.position",
        lazy="selectin",
    )

    def shown_in(self, slot: int, plc_number: int, mo_reference: str) -> bool:
        """A PLC slot (its position, its batch number, its MO reference) shows this batch."""
        return (not self.plc_excluded and slot == self.slot and plc_number == self.plc_number
                and mo_reference == self.mo_name)

    @property
    def plc_number(self) -> int:
        """The rolling number written to the PLC; 0 for a batch stored by release 0.1.0."""
        return self.batch_number or 0

    def refuse_before_plc(self, problem: str, now: datetime) -> None:
        """The batch cannot go to the PLC: its slot stays zeros and Odoo hears it failed."""
        self.plc_excluded = True
        self.state = BatchState.FAILED
        self.finished_at = now
        self.message = f"Not sent to the PLC: {problem}"

    def __repr__(self) -> str:
        return f"<MoBatch slot={self.slot} {self.mo_name} key={self.batch_key} {self.state.value}>"


class MoBatchComponent(Base):
    """One silo's dose of a batch: component k of the PLC slot."""

    __tablename__ = "mo_batch_component"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("mo_batch.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)  # component k of the PLC slot
    silo_code: Mapped[str] = mapped_column(String(32))  # as Odoo names it
    silo_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # as the PLC knows it
    product_code: Mapped[str] = mapped_column(String(64), default="")
    product_name: Mapped[str] = mapped_column(String(128), default="")
    uom: Mapped[str] = mapped_column(String(32), default="")
    planned_quantity: Mapped[float] = mapped_column(Float)
    actual_quantity: Mapped[float | None] = mapped_column(Float, nullable=True)

    batch: Mapped[MoBatch] = relationship(back_populates="components")

    def as_history(self) -> dict[str, Any]:
        """The component as ``mo_histories.components`` keeps it."""
        return {
            "position": self.position,
            "silo": self.silo_code,
            "silo_id": self.silo_id,
            "product_code": self.product_code,
            "product_name": self.product_name,
            "uom": self.uom,
            "planned_quantity": self.planned_quantity,
            "actual_quantity": self.actual_quantity,
        }


class MoHistory(BatchFields, Base):
    """A batch that left ``mo_batch``, with what it was sent and Odoo's answer."""

    __tablename__ = "mo_histories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True, sort_order=FIRST)
    slot: Mapped[int | None] = mapped_column("batch_no", Integer, nullable=True, sort_order=FIRST)
    batch_key: Mapped[str] = mapped_column(String(128), index=True, sort_order=FIRST)
    created_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, sort_order=OWN)
    components: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, sort_order=OWN)
    report_payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, sort_order=OWN)
    outcome: Mapped[str] = mapped_column(String(16), index=True, sort_order=OWN)
    odoo_result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True, sort_order=OWN)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True, sort_order=OWN)
    archived_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True,
                                                  sort_order=OWN)

    @classmethod
    def of(cls, batch: MoBatch, outcome: Outcome, *, odoo_result: dict[str, Any] | None,
           reason: str | None, payload: dict[str, Any] | None) -> MoHistory:
        """A history row carrying everything the batch had."""
        shared = {name: getattr(batch, name) for name in BatchFields.__annotations__}
        return cls(
            **shared,
            slot=batch.slot,
            batch_key=batch.batch_key,
            created_at=batch.created_at,
            components=[c.as_history() for c in batch.components],
            report_payload=payload,
            outcome=outcome.value,
            odoo_result=odoo_result,
            reason=reason,
            archived_at=utcnow(),
        )


class DeliveryState(str, enum.Enum):
    """Where a report read from the PLC (failure, manual weighing) stands with Odoo."""

    UNSENT = "unsent"  # stored; waits for Odoo (retried with backoff while Odoo is down)
    ANSWERED = "answered"  # Odoo's final answer is stored in ``outcome``
    INVALID = "invalid"  # words that cannot be reported: kept here, never sent


class PlcReportFields:
    """A report read from one PLC area: its words, the handshake, and Odoo's answer.

    The row is committed before the area's handshake word is set (``plc_acknowledged_at``
    records that it was), so a report is never acknowledged without being stored.
    """

    raw_words: Mapped[list[int]] = mapped_column(JSON)  # the area as read, handshake excluded
    problem: Mapped[str | None] = mapped_column(Text, nullable=True)  # why words were bad
    read_at: Mapped[datetime] = mapped_column(UtcDateTime)
    plc_acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    state: Mapped[DeliveryState] = mapped_column(
        _stored_as_value(DeliveryState, 16), default=DeliveryState.UNSENT, index=True
    )
    push_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    odoo_result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)

    def answered(self, outcome: str, result: dict[str, Any], reason: str | None,
                 now: datetime) -> None:
        """Odoo's final answer: kept with the row, never asked again."""
        self.state = DeliveryState.ANSWERED
        self.outcome = outcome
        self.odoo_result = result
        self.reason = reason
        self.answered_at = now
        self.next_attempt_at = None
        self.last_error = None


class AgentInstance(Base):
    """Who runs on this database (PostgreSQL; on SQLite the lock file says it)."""

    __tablename__ = "plc_agent_instance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)


# --------------------------------------------------------------------------- engine


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Engine for ``url``: SQLite in WAL with a busy timeout and BEGIN IMMEDIATE, or PostgreSQL."""
    sa_url = make_url(url)
    if sa_url.get_backend_name() == "sqlite":
        database = sa_url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        engine = create_engine(sa_url, connect_args=connect_args, **kwargs)
        _install_sqlite_recipe(engine)
        return engine
    if sa_url.get_backend_name() == "postgresql":
        if sa_url.drivername == "postgresql":
            sa_url = sa_url.set(drivername="postgresql+psycopg2")
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(sa_url, **kwargs)
    raise ValueError(f"unsupported database URL scheme: {sa_url.drivername}")


def _install_sqlite_recipe(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling would defer BEGIN; take it over.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Every transaction takes the write lock up front: a read-then-write transaction
        # can then never be overtaken by another writer between its read and its write.
        # Read-only callers ask for a deferred BEGIN through an execution option.
        if conn.get_execution_options().get("sqlite_deferred"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def read_only_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that do not take SQLite's write lock (for status and health figures)."""
    return sessionmaker(engine.execution_options(sqlite_deferred=True), expire_on_commit=False)


# --------------------------------------------------------------------------- fill gate


@dataclass(frozen=True)
class FillResult:
    count_before: int
    inserted: int

    @property
    def filled(self) -> bool:
        return self.count_before == 0 and self.inserted > 0


def take_fill_lock(session: Session) -> None:
    """Take the cross-process fill lock inside the session's current transaction."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FILL_LOCK_KEY})
    else:
        # The transaction began with BEGIN IMMEDIATE; touching the database makes sure
        # the connection (and so the lock) is really taken before counting.
        session.execute(text("SELECT 1"))


def fill_if_empty(
    session_factory: sessionmaker[Session],
    fetch: Callable[[Session], Iterable[MoBatch]],
) -> FillResult:
    """Count ``mo_batch`` and, only when it is empty, insert what ``fetch`` returns.

    One transaction under the fill lock: either the whole new set is stored or nothing.
    ``fetch`` runs under the lock (so only one agent asks Odoo) and gets the session, e.g.
    to look at ``mo_histories``. An exception from ``fetch`` rolls everything back.
    """
    with session_factory.begin() as session:
        take_fill_lock(session)
        count = session.scalar(select(func.count()).select_from(MoBatch)) or 0
        if count:
            return FillResult(count_before=count, inserted=0)
        rows = list(fetch(session))
        session.add_all(rows)
        session.flush()
        return FillResult(count_before=0, inserted=len(rows))


# --------------------------------------------------------------------------- instance lock


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

    def acquire(self) -> "InstanceLock":
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
        from sqlalchemy import inspect

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

    def __enter__(self) -> "InstanceLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class QueueFigures:
    """The old monitoring query: total, in progress, finished; and batches with suspect values."""

    total: int
    in_progress: int
    finished: int
    by_state: dict[str, int]
    suspect: int = 0


def queue_figures(session: Session) -> QueueFigures:
    rows = session.execute(select(MoBatch.state, func.count()).group_by(MoBatch.state)).all()
    by_state = {state.value: int(n) for state, n in rows}
    total = sum(by_state.values())
    finished = session.scalar(
        select(func.count()).select_from(MoBatch).where(MoBatch.status_manufacturing.is_(True))
    ) or 0
    suspect = session.scalar(
        select(func.count()).select_from(MoBatch).where(MoBatch.suspect.is_not(None))
    ) or 0
    return QueueFigures(
        total=total, in_progress=total - int(finished), finished=int(finished), by_state=by_state,
        suspect=int(suspect),
    )


def delivery_figures(session: Session, model: Any) -> dict[str, int]:
    """A report table's rows by where they stand: unsent, invalid, and each Odoo outcome."""
    figures: dict[str, int] = {}
    rows = session.execute(
        select(model.state, model.outcome, func.count()).group_by(model.state, model.outcome)).all()
    for state, outcome, count in rows:
        name = outcome if state is DeliveryState.ANSWERED and outcome else state.value
        figures[name] = figures.get(name, 0) + int(count)
    return figures
