"""The agent's four tasks: sync (Odoo -> queue -> PLC), PLC read, push (-> Odoo), health.

Each task is a method of :class:`AgentTasks` and returns a small result the service uses
for chaining (a stored finished batch triggers a push; a push that empties ``mo_batch``
triggers a sync). PLC and Odoo errors propagate as :class:`~plc_agent.plc.PlcError` and
:class:`~plc_agent.odoo_gateway.OdooGatewayError`; the database keeps every batch where it
was, so a task can always be run again.

Exactly-once rules kept here:

* A batch is stored in ``mo_batch`` before anything reaches the PLC. A stored batch that
  the PLC has not confirmed is written again, identically, before anything else: if the
  write area already holds exactly the stored set, or the read area shows one of its
  batches running or done, it is only marked written; otherwise it is written only while
  the PLC's write handshake is 1 (never over a set the PLC runs).
* A finished batch is acknowledged to the PLC only after its values are committed.
* A batch leaves ``mo_batch`` only together with its ``mo_histories`` row, in one
  transaction, after Odoo answered for its ``batch_key``; a retry after a crash gets the
  first answer back (Odoo's idempotency), so nothing is consumed twice.

Test hook: the environment variable ``PLC_AGENT_CRASH_AT`` set to ``after_store``,
``after_plc_write`` or ``after_push`` makes the process end at once with ``os._exit(137)``
at that point (between storing and writing the PLC; between writing the PLC and marking
the rows written; between Odoo's answer and the archive). The kill -9 tests use it because
timing a real SIGKILL that precisely is not reliable. It has no other effect.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from .config import Settings
from .database import (
    BatchState,
    MoBatch,
    MoBatchComponent,
    MoHistory,
    Outcome,
    fill_if_empty,
    history_entry,
    queue_figures,
    utcnow,
)
from .odoo_gateway import OdooError, OdooGateway, OdooGatewayError, OdooUnavailable
from .plc import PlcError, PlcLink
from .register_map import ComponentDose, RegisterMap, RegisterMapError, SlotBatch, SlotReading

logger = logging.getLogger(__name__)

CRASH_ENV = "PLC_AGENT_CRASH_AT"
CRASH_POINTS = ("after_store", "after_plc_write", "after_push")
CRASH_EXIT_CODE = 137
PUSH_BACKOFF_BASE_SECONDS = 5.0
PUSHABLE = (BatchState.FINISHED.value, BatchState.FAILED.value)


def crash_point(name: str) -> None:
    """Test hook (see the module docstring): end the process here if asked to."""
    if os.environ.get(CRASH_ENV) == name:
        logger.critical("test hook %s=%s: ending the process now", CRASH_ENV, name)
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(CRASH_EXIT_CODE)


@dataclass(frozen=True)
class WriteResult:
    pending: int  # batches that were waiting to be confirmed in the PLC
    written: bool  # the set was written by this call
    confirmed: bool  # the set is now marked written (by writing or by finding it there)


@dataclass(frozen=True)
class SyncResult:
    count_before: int
    inserted: int
    refused: int
    write: WriteResult | None


@dataclass(frozen=True)
class ReadResult:
    slots_seen: int
    stored: int  # batches newly finished or failed: ready for the push
    held: int
    acknowledged: int


@dataclass(frozen=True)
class PushResult:
    attempted: int
    archived: int
    remaining: int

    @property
    def emptied_queue(self) -> bool:
        return self.archived > 0 and self.remaining == 0


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


class AgentTasks:
    """Tasks 1 to 4 of one agent over its queue database, PLC link and Odoo gateway."""

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
        self.settings = settings
        self.sessions = session_factory
        self.read_sessions = read_session_factory or session_factory
        self.register_map = register_map
        self.plc = plc
        self.odoo = odoo
        self.clock = clock
        self.batch_limit = min(settings.sync_batch_limit, register_map.slot_count)
        if settings.sync_batch_limit > register_map.slot_count:
            logger.warning(
                "SYNC_BATCH_LIMIT=%d is more than the PLC's %d slots; fetching at most %d",
                settings.sync_batch_limit, register_map.slot_count, register_map.slot_count,
            )

    # ================================================================== Task 1: sync

    def sync(self) -> SyncResult:
        """Write stored batches first (restart rule), then fill an empty queue and write it."""
        logger.info("[TASK 1] Auto-sync MO task running...")
        try:
            self.write_stored_batches()
        except PlcError as exc:
            # The stored set stays queued; the gate below will not refill over it.
            logger.warning("[TASK 1] PLC not reachable, stored batches wait: %s", exc)
        refused: list[int] = []
        result = fill_if_empty(self.sessions, lambda s: self._fetch_rows(s, refused))
        if result.count_before:
            logger.info(
                "[TASK 1] Table mo_batch has %d records. Skipping sync - waiting for PLC to "
                "complete all batches.", result.count_before,
            )
            return SyncResult(result.count_before, 0, 0, None)
        if not result.inserted:
            logger.info("[TASK 1] No batch ready in Odoo for line %s.", self.settings.line_code)
            return SyncResult(0, 0, 0, None)
        logger.info("[TASK 1] ✓ Auto-sync completed: %d MO batches synced", result.inserted)
        crash_point("after_store")
        write: WriteResult | None = None
        try:
            write = self.write_stored_batches()
        except PlcError as exc:
            logger.warning("[TASK 1] PLC not reachable, the stored set is written when it "
                           "answers: %s", exc)
        return SyncResult(0, result.inserted, len(refused), write)

    def _fetch_rows(self, session: Session, refused: list[int]) -> list[MoBatch]:
        logger.info("[TASK 1] Table mo_batch is empty. Fetching new batches from Odoo...")
        batches = self.odoo.fetch_batches(self.settings.line_code, self.batch_limit)
        keys = [b["batch_key"] for b in batches]
        archived = {}
        if keys:
            for key, outcome in session.execute(
                select(MoHistory.batch_key, MoHistory.outcome).where(MoHistory.batch_key.in_(keys))
            ):
                archived[key] = outcome
        rows: list[MoBatch] = []
        now = self.clock()
        for batch in batches:
            if batch["batch_key"] in archived:
                logger.error(
                    "[TASK 1] MO %s (batch_key %s) is delivered again by Odoo, but this agent "
                    "already reported it (history: %s). Not queued: a planner must look at the MO.",
                    batch["mo_name"], batch["batch_key"], archived[batch["batch_key"]],
                )
                continue
            slot = len(rows) + 1
            row = self._row_from_odoo(batch, slot, now)
            problem = self._plc_problem(row)
            if problem:
                row.plc_excluded = True
                row.state = BatchState.FAILED.value
                row.finished_at = now
                row.message = f"Not sent to the PLC: {problem}"
                refused.append(slot)
                logger.error(
                    "[TASK 1] MO %s (batch_key %s) cannot be written to the PLC: %s. "
                    "It is reported to Odoo as failed.", row.mo_id, row.batch_key, problem,
                )
            elif batch["redelivered"]:
                logger.info("[TASK 1] MO %s is delivered again by Odoo (not reported yet); "
                            "queued in slot %d", row.mo_id, slot)
            rows.append(row)
        return rows

    def _row_from_odoo(self, batch: dict[str, Any], slot: int, now: datetime) -> MoBatch:
        row = MoBatch(
            batch_no=slot,
            mo_id=batch["mo_name"],
            odoo_mo_id=batch["mo_id"],
            batch_key=batch["batch_key"],
            run=batch["run"],
            consumption=batch["quantity"],
            equipment_id_batch=self.settings.line_code,
            finished_goods=batch["product_name"] or batch["product_code"],
            bom_code=batch["bom_code"],
            product_code=batch["product_code"],
            uom=batch["uom"],
            date_planned_start=batch["date_planned_start"],
            redelivered=batch["redelivered"],
            plc_excluded=False,
            state=BatchState.QUEUED.value,
            status_manufacturing=False,
            status_operation=False,
            push_attempts=0,
            created_at=now,
        )
        for position, comp in enumerate(batch["components"]):
            row.components.append(MoBatchComponent(
                position=position,
                silo_code=comp["silo"],
                silo_id=_silo_id(comp["silo"]),
                product_code=comp["product_code"],
                product_name=comp["product_name"],
                uom=comp["uom"],
                planned_quantity=comp["quantity"],
            ))
        return row

    def _plc_problem(self, row: MoBatch) -> str | None:
        bad = [c.silo_code for c in row.components if c.silo_id is None]
        if bad:
            return (f"silo code(s) {', '.join(repr(b) for b in bad)} are not whole numbers from "
                    "1 to 65535, which the PLC needs")
        if len(row.components) > self.register_map.max_components:
            return (f"{len(row.components)} components, the PLC slot has room for "
                    f"{self.register_map.max_components}")
        try:
            self.register_map.encode_slot(self._slot_batch(row))
        except (ValueError, RegisterMapError) as exc:
            return str(exc)
        return None

    @staticmethod
    def _slot_batch(row: MoBatch) -> SlotBatch:
        return SlotBatch(
            batch_no=row.batch_no,
            mo_reference=row.mo_id,
            bom_code=row.bom_code,
            finished_goods=row.finished_goods,
            planned_quantity=row.consumption,
            components=tuple(
                ComponentDose(silo_id=int(c.silo_id or 0), quantity=c.planned_quantity)
                for c in row.components
            ),
        )

    def _same_set(self, area: list[SlotBatch | None], expected: list[SlotBatch | None]) -> bool:
        # Compare what the words would be: text cut to the field and quantity scaling are
        # then the same on both sides.
        if len(area) != len(expected):
            return False
        for found, wanted in zip(area, expected):
            if (found is None) != (wanted is None):
                return False
            if found is None:
                continue
            try:
                if self.register_map.encode_slot(found) != self.register_map.encode_slot(wanted):
                    return False
            except (ValueError, RegisterMapError):
                return False
        return True

    def pending_count(self) -> int:
        with self.read_sessions() as session:
            return session.scalar(
                select(func.count()).select_from(MoBatch).where(MoBatch.state == BatchState.QUEUED.value)
            ) or 0

    def write_stored_batches(self) -> WriteResult:
        """The restart rule: bring the stored, unconfirmed set into the PLC exactly once."""
        with self.read_sessions() as session:
            rows = session.scalars(select(MoBatch).order_by(MoBatch.batch_no)).all()
        pending = [r for r in rows if r.state == BatchState.QUEUED.value and not r.plc_excluded]
        if not pending:
            return WriteResult(0, False, False)
        expected: list[SlotBatch | None] = [None] * self.register_map.slot_count
        for row in rows:
            if not row.plc_excluded and 1 <= row.batch_no <= self.register_map.slot_count:
                expected[row.batch_no - 1] = self._slot_batch(row)
        ids = [r.id for r in pending]
        names = ", ".join(f"{r.batch_no}:{r.mo_id}" for r in pending)

        if self._same_set(self.plc.read_write_area(), expected):
            self._mark_written(ids)
            logger.info("[TASK 1] The PLC already holds the stored set (%s); marked as written.", names)
            return WriteResult(len(pending), False, True)
        by_slot = {r.batch_no: r.mo_id for r in pending}
        running = [
            reading.slot for reading in self.plc.read_read_area()
            if not reading.is_empty and reading.status_read_data == 0
            and by_slot.get(reading.batch_no) == reading.mo_reference
        ]
        if running:
            self._mark_written(ids)
            logger.warning(
                "[TASK 1] The PLC already runs stored batches in slot(s) %s; the set is marked "
                "as written and not written again.", ", ".join(map(str, running)),
            )
            return WriteResult(len(pending), False, True)
        handshake = self.plc.read_write_handshake()
        if handshake != 1:
            logger.info(
                "[TASK 1] PLC not ready for new batches (write handshake %d): %d stored batch(es) "
                "wait (%s).", handshake, len(pending), names,
            )
            return WriteResult(len(pending), False, False)
        for slot, batch in enumerate(expected, start=1):
            self.plc.write_slot(slot, batch)
        back = self.plc.read_write_area()
        if not self._same_set(back, expected):
            differing = [
                str(i) for i, (a, b) in enumerate(zip(back, expected), start=1)
                if not self._same_set([a], [b])
            ]
            logger.error(
                "[TASK 1] Read-back of the PLC write area differs in slot(s) %s; the handshake "
                "stays at 1 and the set is written again next time.", ", ".join(differing),
            )
            return WriteResult(len(pending), True, False)
        self.plc.set_write_handshake(0)
        crash_point("after_plc_write")
        self._mark_written(ids)
        logger.info("[TASK 1] Wrote %d batch(es) to the PLC and started the line: %s",
                    len(pending), names)
        return WriteResult(len(pending), True, True)

    def _mark_written(self, ids: list[int]) -> None:
        with self.sessions.begin() as session:
            session.execute(
                update(MoBatch)
                .where(MoBatch.id.in_(ids), MoBatch.state == BatchState.QUEUED.value)
                .values(state=BatchState.WRITTEN.value, plc_written_at=self.clock())
            )

    # ================================================================== Task 2: PLC read

    def read_plc(self) -> ReadResult:
        """Read the whole read area once, store actuals and states, acknowledge stored batches."""
        readings = self._settle_split_slots(self.plc.read_read_area())
        now = self.clock()
        acks: list[int] = []
        stored = held = 0
        with self.sessions.begin() as session:
            rows = session.scalars(select(MoBatch).where(MoBatch.plc_excluded.is_(False))).all()
            by_slot = {r.batch_no: r for r in rows}
            for reading in readings:
                if reading.is_empty:
                    continue
                row = by_slot.get(reading.batch_no)
                if row is None or row.mo_id != reading.mo_reference:
                    # An earlier set's batch. If its acknowledgement was lost and it has since
                    # been archived, acknowledge it now: the PLC raises its write handshake
                    # only when every slot of the set is acknowledged.
                    if self._archived_unacknowledged(session, reading):
                        acks.append(reading.slot)
                    continue
                if row.state == BatchState.QUEUED.value:
                    continue  # the restart rule decides about unconfirmed batches
                if row.state in PUSHABLE:
                    if _ended_unacknowledged(reading):
                        acks.append(reading.slot)  # stored earlier, acknowledgement was lost
                    continue
                if reading.status_read_data == 1:
                    continue  # acknowledged data of an earlier run in this slot
                outcome = self._apply_reading(row, reading, now)
                if outcome == "held":
                    held += 1
                elif outcome in PUSHABLE:
                    stored += 1
                    acks.append(reading.slot)
        acknowledged = 0
        for slot in acks:
            try:
                self.plc.acknowledge_read(slot)
                acknowledged += 1
            except PlcError as exc:
                logger.warning("[TASK 2] Could not acknowledge slot %d (done at the next read): %s", slot, exc)
        return ReadResult(len(readings), stored, held, acknowledged)

    @staticmethod
    def _archived_unacknowledged(session: Session, reading: SlotReading) -> bool:
        if not _ended_unacknowledged(reading):
            return False
        found = session.scalar(
            select(MoHistory.id).where(MoHistory.batch_no == reading.batch_no,
                                       MoHistory.mo_id == reading.mo_reference).limit(1)
        )
        return found is not None

    def _settle_split_slots(self, readings: list[SlotReading]) -> list[SlotReading]:
        """Read again, in one request each, the split slots that show an ended batch.

        The whole area takes several Modbus requests and the PLC moves on between them: a
        slot cut between two requests can combine one batch's number with another batch's
        status, acknowledgement word or actuals. Every store and every acknowledgement is
        decided on an ended, unacknowledged reading, so such a reading of a split slot is
        replaced by a single-request read of that slot, which is answered from one moment.
        """
        split = self.register_map.read_slots_split
        out = []
        for reading in readings:
            if reading.slot in split and _ended_unacknowledged(reading):
                settled = self.plc.read_read_slot(reading.slot)
                if settled != reading:
                    logger.info(
                        "[TASK 2] Slot %d changed during the area read (batch %d %s, now %d %s, "
                        "status %d/%d/%d); deciding on its single-request read", reading.slot,
                        reading.batch_no, reading.mo_reference, settled.batch_no, settled.mo_reference,
                        settled.status_manufacturing, settled.status_operation, settled.status_read_data,
                    )
                reading = settled
            out.append(reading)
        return out

    def _implausible(self, row: MoBatch, reading: SlotReading) -> list[str]:
        problems = list(reading.problems)
        factor = self.settings.actual_max_factor
        planned = {c.silo_id: c for c in row.components}
        seen: set[int] = set()
        for dose in reading.components:
            comp = planned.get(dose.silo_id)
            if comp is None:
                problems.append(f"silo {dose.silo_id} is reported but not in the batch")
                continue
            seen.add(dose.silo_id)
            q = dose.quantity
            if math.isnan(q) or math.isinf(q):
                if not reading.problems:
                    problems.append(f"silo {comp.silo_code}: quantity is not a number")
            elif q < 0:
                problems.append(f"silo {comp.silo_code}: negative quantity {q:g}")
            elif q > factor * comp.planned_quantity + 1e-9:
                problems.append(
                    f"silo {comp.silo_code}: {q:g} {comp.uom} is more than {factor:g} x the "
                    f"planned {comp.planned_quantity:g}"
                )
        finished = reading.status_manufacturing == 1 and reading.status_operation != 1
        if finished:
            missing = [c.silo_code for c in row.components if c.silo_id not in seen]
            if missing:
                problems.append(f"silo(s) {', '.join(missing)} planned but not reported")
        weight = reading.finished_weight
        if weight is not None:
            if math.isnan(weight) or weight < 0:
                problems.append(f"finished weight {weight!r} is not a quantity")
            elif weight > factor * row.consumption + 1e-9:
                problems.append(
                    f"finished weight {weight:g} is more than {factor:g} x the planned "
                    f"{row.consumption:g}"
                )
        elif finished and not reading.problems:
            problems.append("finished weight missing")
        return problems

    def _apply_reading(self, row: MoBatch, reading: SlotReading, now: datetime) -> str:
        row.last_read_from_plc = now
        problems = self._implausible(row, reading)
        if problems:
            reason = "; ".join(problems)
            if row.state != BatchState.HELD.value or row.hold_reason != reason:
                logger.warning(
                    "[TASK 2] Slot %d %s: implausible values from the PLC, batch held (not "
                    "pushed): %s", row.batch_no, row.mo_id, reason,
                )
            row.state = BatchState.HELD.value
            row.hold_reason = reason
            return BatchState.HELD.value
        if row.state == BatchState.HELD.value:
            logger.info("[TASK 2] Slot %d %s: values plausible again, hold released",
                        row.batch_no, row.mo_id)
        row.hold_reason = None
        actual = {d.silo_id: d.quantity for d in reading.components}
        for comp in row.components:
            if comp.silo_id in actual:
                comp.actual_quantity = round(actual[comp.silo_id], 6)
        row.actual_weight_finished_goods = (
            round(reading.finished_weight, 6) if reading.finished_weight is not None else None
        )
        row.status_manufacturing = bool(reading.status_manufacturing)
        row.status_operation = bool(reading.status_operation)
        if row.started_at is None:
            row.started_at = now
        if reading.status_operation == 1:
            row.state = BatchState.FAILED.value
            row.finished_at = now
            row.message = f"The line reported a failure (status_operation = 1) in slot {row.batch_no}."
            logger.warning("[TASK 2] Slot %d %s failed on the line (status_operation = 1)",
                           row.batch_no, row.mo_id)
        elif reading.status_manufacturing == 1:
            row.state = BatchState.FINISHED.value
            row.finished_at = now
            logger.info("[TASK 2] Slot %d %s finished: %s %s of %s planned", row.batch_no,
                        row.mo_id, row.actual_weight_finished_goods, row.uom, row.consumption)
        else:
            row.state = BatchState.RUNNING.value
        return row.state

    # ================================================================== Task 3: push

    def report_payload(self, row: MoBatch) -> dict[str, Any]:
        """The report for one batch; built only from stored values, so a retry is identical."""
        done = row.state == BatchState.FINISHED.value
        consumption = [
            {"silo": c.silo_code, "quantity": round(float(c.actual_quantity), 3)}
            for c in row.components
            if c.actual_quantity is not None
        ]
        if done:
            finished = (round(row.actual_weight_finished_goods, 3)
                        if row.actual_weight_finished_goods is not None else None)
        else:
            finished = round(row.actual_weight_finished_goods or 0.0, 3)
        return {
            "mo_id": row.odoo_mo_id,
            "line": row.equipment_id_batch,
            "batch_key": row.batch_key,
            "consumption": consumption,
            "finished_quantity": finished,
            "status": "done" if done else "failed",
            "started_at": row.started_at.isoformat() if row.started_at else None,
            "finished_at": row.finished_at.isoformat() if row.finished_at else None,
            "message": row.message,
        }

    def push(self) -> PushResult:
        """Report finished and failed batches; archive each on Odoo's final answer."""
        now = self.clock()
        with self.read_sessions() as session:
            ids = session.scalars(
                select(MoBatch.id)
                .where(MoBatch.state.in_(PUSHABLE))
                .where((MoBatch.next_attempt_at.is_(None)) | (MoBatch.next_attempt_at <= now))
                .order_by(MoBatch.batch_no)
            ).all()
        attempted = archived = 0
        for batch_id in ids:
            with self.read_sessions() as session:
                row = session.get(MoBatch, batch_id)
                if row is None or row.state not in PUSHABLE:
                    continue
                payload = self.report_payload(row)
                label = f"MO {row.mo_id} (slot {row.batch_no}, {row.batch_key})"
            attempted += 1
            try:
                result = self.odoo.report_batch(payload)
            except OdooUnavailable as exc:
                self._push_failed(batch_id, exc)
                logger.warning("[TASK 3] %s not reported, Odoo unavailable (kept, retried later): %s",
                               label, exc)
                break  # the next batches would meet the same outage
            except OdooError as exc:
                self._push_failed(batch_id, exc)
                logger.error("[TASK 3] %s not reported, Odoo refused the call (kept, retried "
                             "later): %s", label, exc)
                continue
            crash_point("after_push")
            self._archive(batch_id, payload, result, label)
            archived += 1
        with self.read_sessions() as session:
            remaining = session.scalar(select(func.count()).select_from(MoBatch)) or 0
        return PushResult(attempted, archived, remaining)

    def _push_failed(self, batch_id: int, exc: OdooGatewayError) -> None:
        with self.sessions.begin() as session:
            row = session.get(MoBatch, batch_id)
            if row is None:
                return
            row.push_attempts += 1
            delay = min(self.settings.push_backoff_max_seconds,
                        PUSH_BACKOFF_BASE_SECONDS * 2 ** (row.push_attempts - 1))
            row.next_attempt_at = self.clock() + timedelta(seconds=delay)
            row.last_error = str(exc)[:2000]

    def _archive(self, batch_id: int, payload: dict[str, Any], result: dict[str, Any],
                 label: str) -> None:
        status = result["status"]
        reason = result.get("reason") or None
        outcome = Outcome(status)
        with self.sessions.begin() as session:
            row = session.get(MoBatch, batch_id)
            if row is None:
                return
            session.add(history_entry(row, outcome, odoo_result=result, reason=reason, payload=payload))
            session.delete(row)
        again = " (already reported earlier; Odoo gave its first answer)" if result.get("duplicate") else ""
        if outcome is Outcome.DONE:
            logger.info("[TASK 3] %s reported: done, MO state %s%s", label, result.get("mo_state"), again)
        elif outcome is Outcome.RECORDED:
            logger.warning("[TASK 3] %s reported: recorded, the MO did not close: %s%s", label, reason, again)
        elif outcome is Outcome.FAILED:
            logger.warning("[TASK 3] %s reported as failed: %s%s", label, reason, again)
        else:
            logger.error("[TASK 3] %s: Odoo rejected the report: %s. Moved to history as "
                         "rejected; a person must look at the MO.", label, reason)

    # ================================================================== Task 4: health

    def health(self) -> HealthReport:
        """Queue figures, stuck batches, Odoo and PLC reachability; logged and written to the status file."""
        now = self.clock()
        threshold = timedelta(minutes=self.settings.batch_stuck_threshold_minutes)
        with self.read_sessions() as session:
            figures = queue_figures(session)
            rows = session.scalars(select(MoBatch).order_by(MoBatch.batch_no)).all()
        stuck: list[dict[str, Any]] = []
        for row in rows:
            for problem in self._stuck_reasons(row, now, threshold):
                stuck.append({"slot": row.batch_no, "mo": row.mo_id, "batch_key": row.batch_key,
                              "state": row.state, "problem": problem})
        report = HealthReport(
            checked_at=now.isoformat(),
            line=self.settings.line_code,
            queue={"total": figures.total, "in_progress": figures.in_progress,
                   "finished": figures.finished, "by_state": figures.by_state},
            stuck=stuck,
        )
        try:
            ping = self.odoo.ping(self.settings.line_code)
            ok = bool(ping.get("line_exists")) and ping.get("line_active", True) is not False
            report.odoo = {"ok": ok, "server_time": ping.get("server_time"),
                           "line_exists": ping.get("line_exists"), "line_active": ping.get("line_active")}
            if not ok:
                report.odoo["error"] = f"line {self.settings.line_code} is unknown or archived in Odoo"
        except OdooGatewayError as exc:
            report.odoo = {"ok": False, "error": str(exc)}
        try:
            self.plc.ping()
            report.plc = {"ok": True, "endpoint": self.plc.endpoint}
        except PlcError as exc:
            report.plc = {"ok": False, "endpoint": self.plc.endpoint, "error": str(exc)}

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
            write_status_file(self.settings.status_file, report.as_dict())
        except OSError as exc:
            logger.error("[TASK 4] Cannot write the status file %s: %s", self.settings.status_file, exc)
        return report

    @staticmethod
    def _stuck_reasons(row: MoBatch, now: datetime, threshold: timedelta) -> list[str]:
        out: list[str] = []
        if row.state == BatchState.QUEUED.value and now - row.created_at > threshold:
            out.append(f"stored {_minutes(now - row.created_at)} min ago, the PLC has not taken it")
        if (row.state == BatchState.WRITTEN.value and row.last_read_from_plc is None
                and row.plc_written_at is not None and now - row.plc_written_at > threshold):
            out.append(f"written to the PLC {_minutes(now - row.plc_written_at)} min ago, "
                       "never seen in the read area")
        if (row.state in (BatchState.WRITTEN.value, BatchState.RUNNING.value)
                and row.last_read_from_plc is not None and now - row.last_read_from_plc > threshold):
            out.append(f"last read from the PLC {_minutes(now - row.last_read_from_plc)} min ago")
        if row.status_operation:
            out.append("status_operation = 1: failure on the line")
        if row.state == BatchState.HELD.value:
            out.append(f"held, implausible PLC values: {row.hold_reason}")
        if row.push_attempts:
            out.append(f"report to Odoo failed {row.push_attempts} time(s): {row.last_error}")
        return out


def _silo_id(code: str) -> int | None:
    text = code.strip()
    if not text.isdigit():
        return None
    value = int(text)
    return value if 1 <= value <= 0xFFFF else None


def _ended_unacknowledged(reading: SlotReading) -> bool:
    """The slot reports a batch that has ended and that the agent has not acknowledged."""
    return (not reading.is_empty and reading.status_read_data == 0
            and (reading.status_manufacturing == 1 or reading.status_operation == 1))
