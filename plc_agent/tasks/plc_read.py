"""Task 2, PLC read: actuals and states from the read area, checked before they are stored.

A batch that ended (finished or failed) is always stored, with the read slot's raw words,
and acknowledged to the PLC once committed, so the line goes on. Values that look wrong
(:mod:`plc_agent.plc.suspect`) are stored as they are and reported to Odoo marked suspect.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..plc.link import PlcError
from ..plc.register_map import SlotReading
from ..plc.suspect import judge_ended_reading
from ..queue.models import PUSHABLE, BatchState, MoBatch, MoHistory
from .context import AgentContext

logger = logging.getLogger(__name__)

@dataclass(frozen=True)
class ReadResult:
    slots_seen: int
    stored: int  # batches newly finished or failed: ready for the push
    suspect: int  # of those, batches stored with values that look wrong
    acknowledged: int


class PlcReadTask:
    """Reads the whole read area once, stores actuals and states, acknowledges stored batches."""

    def __init__(self, context: AgentContext):
        self.context = context

    def run(self) -> ReadResult:
        readings = self._settle_split_slots(self.context.plc.read_read_area())
        now = self.context.clock()
        acks: list[int] = []
        stored = suspect = failed = 0
        echoes = self.context.register_map.echoes_batch_number
        with self.context.sessions.begin() as session:
            rows = session.scalars(select(MoBatch).where(MoBatch.plc_excluded.is_(False))).all()
            by_slot = {r.slot: r for r in rows}
            for reading in readings:
                if reading.is_empty:
                    continue
                row = by_slot.get(reading.slot)
                if row is None or not row.shown_by(reading, echoes):
                    # An earlier set's batch. If its acknowledgement was lost and it has since
                    # been archived, acknowledge it now: the PLC raises its write handshake
                    # only when every slot of the set is acknowledged.
                    if self._archived_unacknowledged(session, reading, echoes):
                        acks.append(reading.slot)
                    continue
                if row.state == BatchState.QUEUED:
                    continue  # the restart rule decides about unconfirmed batches
                if row.state in PUSHABLE:
                    if _ended_unacknowledged(reading):
                        acks.append(reading.slot)  # stored earlier, acknowledgement was lost
                    continue
                if reading.status_read_data == 1:
                    # Only an ended, unacknowledged batch is stored (the single-request rule);
                    # the agent never acknowledged this one, so health reports it stuck.
                    continue
                outcome = self._apply_reading(row, reading, now)
                if outcome in PUSHABLE:
                    stored += 1
                    suspect += bool(row.suspect)
                    failed += outcome is BatchState.FAILED
                    acks.append(reading.slot)
        # Counted once committed: a rolled-back read stored nothing.
        metrics = self.context.metrics
        metrics.batches_stored.inc(stored)
        metrics.batches_suspect.inc(suspect)
        if failed:
            metrics.batches_failed.labels(cause="line").inc(failed)
        acknowledged = 0
        for slot in acks:
            try:
                self.context.plc.acknowledge_read(slot)
                acknowledged += 1
            except PlcError as exc:
                logger.warning("[TASK 2] Could not acknowledge slot %d (done at the next read): %s", slot, exc)
        return ReadResult(len(readings), stored, suspect, acknowledged)

    @staticmethod
    def _archived_unacknowledged(session: Session, reading: SlotReading, echoes: bool) -> bool:
        if not _ended_unacknowledged(reading):
            return False
        query = select(MoHistory.id).where(MoHistory.slot == reading.slot,
                                           MoHistory.mo_name == reading.mo_reference)
        if echoes:
            # Without the echo (the old program), any stored run of this MO in this slot: the
            # agent is the only writer of the write area, so no other set brings it there.
            query = query.where(_number_is(reading.batch_number))
        found = session.scalar(query.limit(1))
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

    def _apply_reading(self, row: MoBatch, reading: SlotReading, now: datetime) -> BatchState:
        """Note a running batch; store an ended one whatever its values, suspect ones named."""
        row.last_read_from_plc = now
        if row.started_at is None:
            row.started_at = now
        if not _ended_unacknowledged(reading):
            # A queue of 0.1.0 may hold a batch as "held"; it is judged again like this one.
            row.state = BatchState.RUNNING
            if row.raw_words != list(reading.words):
                row.raw_words = list(reading.words)
                row.plc_changed_at = now
            return row.state
        judged = judge_ended_reading(row, reading, self.context.register_map,
                                     self.context.settings.actual_max_factor)
        for comp in row.components:
            if comp.position in judged.consumption:
                comp.actual_quantity = round(judged.consumption[comp.position], 6)
        row.finished_weight = (
            round(judged.finished_weight, 6) if judged.finished_weight is not None else None
        )
        row.raw_words = list(reading.words)
        row.suspect = [s.as_report() for s in judged.suspect] or None
        row.hold_reason = None
        row.status_manufacturing = reading.status_manufacturing == 1
        row.status_operation = reading.status_operation == 1
        row.finished_at = now
        if row.status_operation:
            row.state = BatchState.FAILED
            row.message = f"The line reported a failure (status_operation = 1) in slot {row.slot}."
            logger.warning("[TASK 2] Slot %d %s failed on the line (status_operation = 1)",
                           row.slot, row.mo_name)
        else:
            row.state = BatchState.FINISHED
            logger.info("[TASK 2] Slot %d %s finished: %s %s of %s planned", row.slot,
                        row.mo_name, row.finished_weight, row.uom, row.planned_quantity)
        if judged.suspect:
            logger.warning(
                "[TASK 2] Slot %d %s: suspect values, stored and acknowledged, reported to Odoo "
                "for a person to accept or correct: %s", row.slot, row.mo_name,
                "; ".join(f"raw {s.raw_words}: {s.reason}" for s in judged.suspect),
            )
        return row.state


def _number_is(number: int) -> Any:
    """History rows of this PLC batch number (0: batches stored by release 0.1.0, numberless)."""
    return MoHistory.batch_number.is_(None) if number == 0 else MoHistory.batch_number == number


def _ended_unacknowledged(reading: SlotReading) -> bool:
    """The slot reports a batch that has ended and that the agent has not acknowledged."""
    return (not reading.is_empty and reading.status_read_data == 0
            and (reading.status_manufacturing == 1 or reading.status_operation == 1))
