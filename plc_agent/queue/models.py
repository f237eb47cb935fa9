"""The queue's tables: ``mo_batch``, ``mo_batch_component``, ``mo_histories``, and the shared
columns of the report areas' tables.

The tables of the failure and weighing areas are in :mod:`plc_agent.queue.failure` and
:mod:`plc_agent.queue.weighing`; the schema itself is made and upgraded by Alembic
(:mod:`plc_agent.queue.schema`).

``mo_batch`` keeps the old middleware's table and columns (its users query them) and adds
what exactly-once delivery needs. One row is one batch in one PLC slot (``batch_no``).
``mo_histories`` keeps every batch that left ``mo_batch`` together with Odoo's answer.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

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
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

if TYPE_CHECKING:
    from ..plc.register_map import SlotReading


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


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
    # The old program's layout (no batch number echoed): whether the batch's read slot showed
    # this MO reference (its earlier run) just before the set's first write; None until then,
    # so a batch without it has never reached the PLC.
    earlier_run_shown: Mapped[bool | None] = mapped_column(Boolean, nullable=True, sort_order=OWN)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, sort_order=OWN)

    components: Mapped[list[MoBatchComponent]] = relationship(
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

    def shown_by(self, reading: SlotReading, echoes_batch_number: bool) -> bool:
        """A read slot shows this batch; without an echoed number (the old program's layout),
        by its slot and MO reference, and after an earlier run in that slot only once the PLC
        has cleared the slot for this run (status_read_data 0)."""
        if echoes_batch_number:
            return self.shown_in(reading.slot, reading.batch_number, reading.mo_reference)
        if (self.plc_excluded or self.earlier_run_shown is None or reading.is_empty
                or reading.slot != self.slot or reading.mo_reference != self.mo_name):
            return False
        return not self.earlier_run_shown or reading.status_read_data == 0

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
