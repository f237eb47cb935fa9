"""Task 2, PLC read: actuals and states from the read area, checked before they are stored.

A finished batch is acknowledged to the PLC only after its values are committed. Values
that cannot be real (sentinels, more than ``ACTUAL_MAX_FACTOR`` x plan, a planned silo
missing) hold the batch: it is never pushed as it is, and it is looked at again at every
read, so a corrected value releases it.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..database import PUSHABLE, BatchState, MoBatch, MoHistory
from ..plc import PlcError
from ..register_map import SlotReading
from .context import AgentContext

logger = logging.getLogger(__name__)

@dataclass(frozen=True)
class ReadResult:
    slots_seen: int
    stored: int  # batches newly finished or failed: ready for the push
    held: int
    acknowledged: int


class PlcReadTask:
    """Reads the whole read area once, stores actuals and states, acknowledges stored batches."""

    def __init__(self, context: AgentContext):
        self.context = context

    def run(self) -> ReadResult:
        readings = self._settle_split_slots(self.context.plc.read_read_area())
        now = self.context.clock()
        acks: list[int] = []
        stored = held = newly_held = failed = 0
        with self.context.sessions.begin() as session:
            rows = session.scalars(select(MoBatch).where(MoBatch.plc_excluded.is_(False))).all()
            by_slot = {r.slot: r for r in rows}
            for reading in readings:
                if reading.is_empty:
                    continue
                row = by_slot.get(reading.batch_no)
                if row is None or row.mo_name != reading.mo_reference:
                    # An earlier set's batch. If its acknowledgement was lost and it has since
                    # been archived, acknowledge it now: the PLC raises its write handshake
                    # only when every slot of the set is acknowledged.
                    if self._archived_unacknowledged(session, reading):
                        acks.append(reading.slot)
                    continue
                if row.state == BatchState.QUEUED:
                    continue  # the restart rule decides about unconfirmed batches
                if row.state in PUSHABLE:
                    if _ended_unacknowledged(reading):
                        acks.append(reading.slot)  # stored earlier, acknowledgement was lost
                    continue
                if reading.status_read_data == 1:
                    continue  # acknowledged data of an earlier run in this slot
                was_held = row.state == BatchState.HELD
                outcome = self._apply_reading(row, reading, now)
                if outcome is BatchState.HELD:
                    held += 1
                    newly_held += not was_held
                elif outcome in PUSHABLE:
                    stored += 1
                    failed += outcome is BatchState.FAILED
                    acks.append(reading.slot)
        # Counted once committed: a rolled-back read stored nothing.
        metrics = self.context.metrics
        metrics.batches_stored.inc(stored)
        metrics.batches_held.inc(newly_held)
        if failed:
            metrics.batches_failed.labels(cause="line").inc(failed)
        acknowledged = 0
        for slot in acks:
            try:
                self.context.plc.acknowledge_read(slot)
                acknowledged += 1
            except PlcError as exc:
                logger.warning("[TASK 2] Could not acknowledge slot %d (done at the next read): %s", slot, exc)
        return ReadResult(len(readings), stored, held, acknowledged)

    @staticmethod
    def _archived_unacknowledged(session: Session, reading: SlotReading) -> bool:
        if not _ended_unacknowledged(reading):
            return False
        found = session.scalar(
            select(MoHistory.id).where(MoHistory.slot == reading.batch_no,
                                       MoHistory.mo_name == reading.mo_reference).limit(1)
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
        split = self.context.register_map.read_slots_split
        out = []
        for reading in readings:
            if reading.slot in split and _ended_unacknowledged(reading):
                settled = self.context.plc.read_read_slot(reading.slot)
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
        factor = self.context.settings.actual_max_factor
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
            elif weight > factor * row.planned_quantity + 1e-9:
                problems.append(
                    f"finished weight {weight:g} is more than {factor:g} x the planned "
                    f"{row.planned_quantity:g}"
                )
        elif finished and not reading.problems:
            problems.append("finished weight missing")
        return problems

    def _apply_reading(self, row: MoBatch, reading: SlotReading, now: datetime) -> BatchState:
        row.last_read_from_plc = now
        problems = self._implausible(row, reading)
        if problems:
            reason = "; ".join(problems)
            if row.state != BatchState.HELD or row.hold_reason != reason:
                logger.warning(
                    "[TASK 2] Slot %d %s: implausible values from the PLC, batch held (not "
                    "pushed): %s", row.slot, row.mo_name, reason,
                )
            row.state = BatchState.HELD
            row.hold_reason = reason
            return BatchState.HELD
        if row.state == BatchState.HELD:
            logger.info("[TASK 2] Slot %d %s: values plausible again, hold released",
                        row.slot, row.mo_name)
        row.hold_reason = None
        actual = {d.silo_id: d.quantity for d in reading.components}
        for comp in row.components:
            if comp.silo_id in actual:
                comp.actual_quantity = round(actual[comp.silo_id], 6)
        row.finished_weight = (
            round(reading.finished_weight, 6) if reading.finished_weight is not None else None
        )
        row.status_manufacturing = bool(reading.status_manufacturing)
        row.status_operation = bool(reading.status_operation)
        if row.started_at is None:
            row.started_at = now
        if reading.status_operation == 1:
            row.state = BatchState.FAILED
            row.finished_at = now
            row.message = f"The line reported a failure (status_operation = 1) in slot {row.slot}."
            logger.warning("[TASK 2] Slot %d %s failed on the line (status_operation = 1)",
                           row.slot, row.mo_name)
        elif reading.status_manufacturing == 1:
            row.state = BatchState.FINISHED
            row.finished_at = now
            logger.info("[TASK 2] Slot %d %s finished: %s %s of %s planned", row.slot,
                        row.mo_name, row.finished_weight, row.uom, row.planned_quantity)
        else:
            row.state = BatchState.RUNNING
        return row.state


def _ended_unacknowledged(reading: SlotReading) -> bool:
    """The slot reports a batch that has ended and that the agent has not acknowledged."""
    return (not reading.is_empty and reading.status_read_data == 0
            and (reading.status_manufacturing == 1 or reading.status_operation == 1))
