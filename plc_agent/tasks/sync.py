"""Task 1, sync: Odoo -> queue -> PLC, with the restart rule.

A batch is stored in ``mo_batch`` before anything reaches the PLC. A stored set that the
PLC has not confirmed is brought into it exactly once, before anything else, by what the
PLC shows (the table "After a reconnect or a restart" in docs/register-map.md):

* the read area shows one of its batches (slot, number and MO reference): the PLC has it;
  marked written, never written again;
* the write area holds exactly the set and the handshake is 0: the PLC took it; marked written;
* the write area holds exactly the set and the handshake is still 1: the agent's write of 0
  was lost; the PLC waits for it, so the agent writes it (the read-back just compared is the
  verification) and marks the set written;
* anything else in the write area: written, read back and started while the handshake is 1;
  while it is 0 the PLC runs another set and the stored one waits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..batch import slot_batch, slot_problem
from ..plc.batch_numbers import next_batch_numbers, numbers_in_areas
from ..plc.link import PlcError
from ..plc.register_map import RegisterMapError, SlotBatch, SlotReading
from ..queue.fill_gate import fill_if_empty
from ..queue.models import BatchState, MoBatch, MoHistory
from .context import AgentContext, crash_point

logger = logging.getLogger(__name__)


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


class SyncTask:
    """Fills an empty queue from Odoo and brings the stored set into the PLC exactly once."""

    def __init__(self, context: AgentContext):
        self.context = context
        slots = context.register_map.slot_count
        self.batch_limit = min(context.settings.sync_batch_limit, slots)
        if context.settings.sync_batch_limit > slots:
            logger.warning(
                "SYNC_BATCH_LIMIT=%d is more than the PLC's %d slots; fetching at most %d",
                context.settings.sync_batch_limit, slots, slots,
            )

    def run(self) -> SyncResult:
        """Write stored batches first (restart rule), then fill an empty queue and write it."""
        # While Odoo is down the sync is tried every push interval: its outage speaks for it.
        quiet = self.context.odoo.outage.troubled
        (logger.debug if quiet else logger.info)("[TASK 1] Auto-sync MO task running...")
        try:
            self.write_stored_batches()
        except PlcError as exc:
            # The stored set stays queued; the gate below will not refill over it.
            (logger.debug if exc.link_down else logger.warning)(
                "[TASK 1] PLC not reachable, stored batches wait: %s", exc)
        refused: list[int] = []
        in_plc = self._numbers_in_plc() if self._queue_empty() else set()
        result = fill_if_empty(self.context.sessions, lambda s: self._fetch_rows(s, refused, in_plc))
        if result.count_before:
            logger.info(
                "[TASK 1] Table mo_batch has %d records. Skipping sync - waiting for PLC to "
                "complete all batches.", result.count_before,
            )
            return SyncResult(result.count_before, 0, 0, None)
        if not result.inserted:
            logger.info("[TASK 1] No batch ready in Odoo for line %s.", self.context.settings.line_code)
            return SyncResult(0, 0, 0, None)
        logger.info("[TASK 1] ✓ Auto-sync completed: %d MO batches synced", result.inserted)
        self.context.metrics.batches_fetched.inc(result.inserted)
        if refused:
            self.context.metrics.batches_failed.labels(cause="refused_before_plc").inc(len(refused))
        crash_point("after_store")
        write: WriteResult | None = None
        try:
            write = self.write_stored_batches()
        except PlcError as exc:
            (logger.debug if exc.link_down else logger.warning)(
                "[TASK 1] PLC not reachable, the stored set is written when it answers: %s", exc)
        return SyncResult(0, result.inserted, len(refused), write)

    def _queue_empty(self) -> bool:
        with self.context.read_sessions() as session:
            return not session.scalar(select(func.count()).select_from(MoBatch))

    def _numbers_in_plc(self) -> set[int]:
        """Batch numbers the PLC areas hold now; empty when the PLC does not answer (the
        write checks them again before the set goes to the PLC)."""
        try:
            return numbers_in_areas(self.context.plc.read_write_area(), self.context.plc.read_read_area())
        except PlcError as exc:
            logger.debug("[TASK 1] PLC not reachable, batch numbers are checked before the write: %s", exc)
            return set()

    def _fetch_rows(self, session: Session, refused: list[int], in_plc: set[int]) -> list[MoBatch]:
        (logger.debug if self.context.odoo.outage.troubled else logger.info)(
            "[TASK 1] Table mo_batch is empty. Fetching new batches from Odoo...")
        batches = self.context.odoo.fetch_batches(self.context.settings.line_code, self.batch_limit)
        keys = [b.batch_key for b in batches]
        archived = {}
        if keys:
            for key, outcome in session.execute(
                select(MoHistory.batch_key, MoHistory.outcome).where(MoHistory.batch_key.in_(keys))
            ):
                archived[key] = outcome
        rows: list[MoBatch] = []
        now = self.context.clock()
        for batch in batches:
            if batch.batch_key in archived:
                logger.error(
                    "[TASK 1] MO %s (batch_key %s) is delivered again by Odoo, but this agent "
                    "already reported it (history: %s). Not queued: a planner must look at the MO.",
                    batch.mo_name, batch.batch_key, archived[batch.batch_key],
                )
                continue
            slot = len(rows) + 1
            row = batch.queue_row(slot, now)
            problem = slot_problem(row, self.context.register_map)
            if problem:
                row.refuse_before_plc(problem, now)
                refused.append(slot)
                logger.error(
                    "[TASK 1] MO %s (batch_key %s) cannot be written to the PLC: %s. "
                    "It is reported to Odoo as failed.", row.mo_name, row.batch_key, problem,
                )
            elif batch.redelivered:
                logger.info("[TASK 1] MO %s is delivered again by Odoo (not reported yet); "
                            "queued in slot %d", row.mo_name, slot)
            rows.append(row)
        last = session.scalar(select(MoHistory.batch_number).where(MoHistory.batch_number.is_not(None))
                              .order_by(MoHistory.id.desc()).limit(1))
        for row, number in zip(rows, next_batch_numbers(last, len(rows), in_plc), strict=True):
            row.batch_number = number
        return rows

    def _same_set(self, area: list[SlotBatch | None], expected: list[SlotBatch | None]) -> bool:
        # Compare what the words would be: text cut to the field and quantity scaling are
        # then the same on both sides.
        if len(area) != len(expected):
            return False
        for found, wanted in zip(area, expected, strict=True):
            if (found is None) != (wanted is None):
                return False
            if found is None:
                continue
            try:
                if self.context.register_map.encode_slot(found) != self.context.register_map.encode_slot(wanted):
                    return False
            except (ValueError, RegisterMapError):
                return False
        return True

    def pending_count(self) -> int:
        with self.context.read_sessions() as session:
            return session.scalar(
                select(func.count()).select_from(MoBatch).where(MoBatch.state == BatchState.QUEUED)
            ) or 0

    def write_stored_batches(self) -> WriteResult:
        """The restart rule: bring the stored, unconfirmed set into the PLC exactly once."""
        with self.context.read_sessions() as session:
            rows = list(session.scalars(select(MoBatch).order_by(MoBatch.slot)).all())
        pending = [r for r in rows if r.state == BatchState.QUEUED and not r.plc_excluded]
        if not pending:
            return WriteResult(0, False, False)
        expected = self._expected_area(rows)
        ids = [r.id for r in pending]
        names = ", ".join(f"{r.slot}:{r.mo_name}" for r in pending)

        in_write_area = self._same_set(self.context.plc.read_write_area(), expected)
        readings = self.context.plc.read_read_area()
        echoes = self.context.register_map.echoes_batch_number
        shown = [
            reading.slot for reading in readings
            if any(r.shown_by(reading, echoes) for r in pending)
        ]
        if shown:
            self._mark_written(ids)
            logger.warning(
                "[TASK 1] The PLC already shows stored batches in read slot(s) %s; the set is "
                "marked as written and not written again.", ", ".join(map(str, shown)),
            )
            return WriteResult(len(pending), False, True)
        if not echoes and not self._record_earlier_runs(pending, readings):
            return WriteResult(len(pending), False, False)
        handshake = self.context.plc.read_write_handshake()
        if in_write_area and handshake == 0:
            self._mark_written(ids)
            logger.info("[TASK 1] The PLC holds the stored set (%s) and has taken it (write "
                        "handshake 0); marked as written.", names)
            return WriteResult(len(pending), False, True)
        if in_write_area and handshake == 1:
            # The write of 0 that ends step 4 was lost (the connection dropped before it took
            # effect): the PLC still waits for it, and nobody else will write it.
            self.context.plc.set_write_handshake(0)
            crash_point("after_plc_write")
            self._mark_written(ids)
            logger.warning("[TASK 1] The PLC holds the stored set (%s) and still waits for the "
                           "write handshake: lowered it to 0, the line starts the set.", names)
            return WriteResult(len(pending), False, True)
        if handshake != 1:
            logger.info(
                "[TASK 1] PLC not ready for new batches (write handshake %d): %d stored batch(es) "
                "wait (%s).", handshake, len(pending), names,
            )
            return WriteResult(len(pending), False, False)
        if self._renumber_if_in_use(rows, pending, readings):
            expected = self._expected_area(rows)
        for slot, batch in enumerate(expected, start=1):
            self.context.plc.write_slot(slot, batch)
        back = self.context.plc.read_write_area()
        if not self._same_set(back, expected):
            differing = [
                str(i) for i, (a, b) in enumerate(zip(back, expected, strict=False), start=1)
                if not self._same_set([a], [b])
            ]
            logger.error(
                "[TASK 1] Read-back of the PLC write area differs in slot(s) %s; the handshake "
                "stays at 1 and the set is written again next time.", ", ".join(differing),
            )
            return WriteResult(len(pending), True, False)
        self.context.plc.set_write_handshake(0)
        crash_point("after_plc_write")
        self._mark_written(ids)
        logger.info("[TASK 1] Wrote %d batch(es) to the PLC and started the line: %s",
                    len(pending), names)
        return WriteResult(len(pending), True, True)

    def _record_earlier_runs(self, pending: list[MoBatch], readings: list[SlotReading]) -> bool:
        """The old program's layout: before anything of the set can reach the PLC, record for
        each batch whether its read slot shows its earlier run; False (nothing recorded) while
        such a run is not acknowledged, so the two runs are never taken for each other."""
        unrecorded = [r for r in pending if r.earlier_run_shown is None]
        if not unrecorded:
            return True
        by_slot = {reading.slot: reading for reading in readings}
        earlier: dict[int, bool] = {}
        for row in unrecorded:
            reading = by_slot.get(row.slot)
            shows = reading is not None and not reading.is_empty and reading.mo_reference == row.mo_name
            if shows and reading.status_read_data != 1:
                logger.warning(
                    "[TASK 1] Read slot %d still shows an earlier run of %s, not acknowledged "
                    "(status_read_data %d); the stored set waits until it is.",
                    row.slot, row.mo_name, reading.status_read_data,
                )
                return False
            earlier[row.id] = shows
        with self.context.sessions.begin() as session:
            for row in unrecorded:
                session.get(MoBatch, row.id).earlier_run_shown = earlier[row.id]
                row.earlier_run_shown = earlier[row.id]
        return True

    def _renumber_if_in_use(self, rows: list[MoBatch], pending: list[MoBatch],
                            readings: list[SlotReading]) -> bool:
        """Give new numbers to stored batches whose number a read slot shows for another batch
        (the PLC did not answer when the set was stored). Only before the set is written."""
        in_area = numbers_in_areas([], readings)
        clashing = [r for r in pending if r.plc_number in in_area]
        if not clashing:
            return False
        in_use = in_area | {r.plc_number for r in rows}
        last = max(r.plc_number for r in rows)
        numbers = next_batch_numbers(last, len(clashing), in_use)
        with self.context.sessions.begin() as session:
            for row, number in zip(clashing, numbers, strict=True):
                session.get(MoBatch, row.id).batch_number = number
                logger.info("[TASK 1] Slot %d %s: batch number %d is still in the PLC's read area; "
                            "renumbered %d", row.slot, row.mo_name, row.plc_number, number)
                row.batch_number = number
        return True

    def _expected_area(self, rows: list[MoBatch]) -> list[SlotBatch | None]:
        """The write area as it holds the stored set: each batch in its slot, zeros elsewhere."""
        expected: list[SlotBatch | None] = [None] * self.context.register_map.slot_count
        for row in rows:
            if not row.plc_excluded and 1 <= row.slot <= self.context.register_map.slot_count:
                expected[row.slot - 1] = slot_batch(row)
        return expected

    def start_waiting_set(self) -> bool:
        """Health's re-drive of a written set the PLC has not started; True if it wrote 7076 = 0.

        Safe only where the PLC itself says it waits for the start signal: 7076 reads 1, the
        write area holds exactly the stored set and the read area shows none of its batches
        (the first row of the restart table). Anything else is only reported.
        """
        with self.context.read_sessions() as session:
            rows = list(session.scalars(select(MoBatch).order_by(MoBatch.slot)).all())
        written = [r for r in rows if r.state == BatchState.WRITTEN and not r.plc_excluded]
        if not written:
            return False
        if not self._same_set(self.context.plc.read_write_area(), self._expected_area(rows)):
            return False
        echoes = self.context.register_map.echoes_batch_number
        for reading in self.context.plc.read_read_area():
            if any(r.shown_by(reading, echoes) for r in rows):
                return False
        if self.context.plc.read_write_handshake() != 1:
            return False
        self.context.plc.set_write_handshake(0)
        logger.warning(
            "[TASK 4] The PLC holds the written set (%s) and waits for the write handshake; "
            "lowered it to 0, the line starts the set.",
            ", ".join(f"{r.slot}:{r.mo_name}" for r in written),
        )
        return True

    def _mark_written(self, ids: list[int]) -> None:
        with self.context.sessions.begin() as session:
            session.execute(
                update(MoBatch)
                .where(MoBatch.id.in_(ids), MoBatch.state == BatchState.QUEUED)
                .values(state=BatchState.WRITTEN, plc_written_at=self.context.clock())
            )

