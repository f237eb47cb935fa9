"""The simulated line's program: the state machine a batching PLC runs on its registers.

The line raises the write handshake when it is ready, takes the set of batches the agent
wrote once the agent lowers it, runs them in slot order, reports each in the read area, and
becomes ready again only when every batch of the set is finished and acknowledged::

    stopped -> ready -> running -> waiting_ack -> ready -> ...

It works on the server's memory through ``peek`` and ``poke`` and asks the
:class:`~.faults.FaultSwitches` how each batch ends and where to wait.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable

from ..register_map import RegisterMap, SlotBatch
from .faults import FaultSwitches, garbage_words

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.01  # how often the line looks at its handshake and acknowledgements


class BatchingLine:
    """One line's PLC program; :meth:`run` is a task of the simulator's asyncio loop."""

    def __init__(self, register_map: RegisterMap, faults: FaultSwitches, rng: random.Random, *,
                 peek: Callable[..., list[int]], poke: Callable[[int, list[int]], None],
                 batch_seconds: float, batch_jitter: float, noise: float) -> None:
        self.register_map = register_map
        self.faults = faults
        self._random = rng
        self._peek = peek
        self._poke = poke
        self.batch_seconds = batch_seconds
        # Each batch lasts batch_seconds x (1 +- batch_jitter): batches end at moments that
        # have nothing to do with the agent's polling, as on a real line.
        self.batch_jitter = batch_jitter
        self.noise = noise
        self.state = "stopped"  # ready / running / waiting_ack
        # Inspection for tests: what ran, what was received, what the agent did wrong.
        self.completed_batches: list[tuple[int, str]] = []
        # (slot, batch_no, MO reference): each batch that ended with status_operation = 1
        self.failed_batches: list[tuple[int, int, str]] = []
        self.received_sets: list[list[tuple[int, int, str]]] = []
        self.protocol_violations: list[str] = []
        self.held_at: tuple[int, str] | None = None  # where the line waits for `faults.release()`
        self.last_batch: tuple[int, str] | None = None  # (batch number, MO) the line ran last
        # (slot, batch_no, MO reference, [(value, form)]): each finished batch the line garbled,
        # value "silo <id>" or "finished_weight".
        self.garbled_batches: list[tuple[int, int, str, list[tuple[str, str]]]] = []

    def power_on(self) -> None:
        """The PLC starts: ready for a set (write handshake 1)."""
        self._poke(self.register_map.write_handshake_address, [1])
        self.state = "ready"

    def check_write(self, address: int, count: int) -> None:
        """A write request arrived: one into the write area while the line is busy is noted."""
        if self.state == "ready":
            return
        rmap = self.register_map
        write_low = rmap.write_start
        write_high = rmap.write_start + rmap.slot_stride * rmap.slot_count
        if address < write_high and write_low < address + count and not (
            count == 1 and address == rmap.write_handshake_address
        ):
            message = (
                f"write of {count} register(s) at {address} while the line is {self.state} "
                f"(write handshake is 0)"
            )
            self.protocol_violations.append(message)
            logger.warning("PLC simulator: %s", message)

    async def run(self) -> None:
        rmap = self.register_map
        handshake = rmap.write_handshake_address
        while True:
            await asyncio.sleep(POLL_SECONDS)
            if self._peek(handshake)[0] != 0:
                continue
            batches = self._take_set()
            self.state = "running"
            for slot, batch in batches:
                await self._hold_point(slot, "start")
                await self._run_batch(slot, batch)
            self.state = "waiting_ack"
            while batches and not all(self._peek(rmap.read_ack_address(slot))[0] == 1 for slot, _ in batches):
                await asyncio.sleep(POLL_SECONDS)
            self._poke(handshake, [1])
            self.state = "ready"
            logger.info("PLC simulator: set of %d batch(es) done and acknowledged; ready", len(batches))

    async def _hold_point(self, slot: int, step: str) -> None:
        while self.faults.holds(slot, step):
            self.held_at = (slot, step)
            await asyncio.sleep(POLL_SECONDS)
        self.held_at = None

    def _take_set(self) -> list[tuple[int, SlotBatch]]:
        # The PLC copies the set when the handshake drops, as a recipe buffer would.
        rmap = self.register_map
        batches: list[tuple[int, SlotBatch]] = []
        for slot in range(1, rmap.slot_count + 1):
            words = self._peek(rmap.write_slot_address(slot), rmap.write_extent)
            try:
                batch = rmap.decode_write_slot(slot, words)
            except ValueError as exc:
                self.protocol_violations.append(f"write slot {slot} cannot be decoded: {exc}")
                continue
            if batch is not None:
                batches.append((slot, batch))
        self.received_sets.append([(slot, b.batch_no, b.mo_reference) for slot, b in batches])
        logger.info("PLC simulator: took a set of %d batch(es): %s", len(batches), [b.mo_reference for _, b in batches])
        return batches

    def _field(self, slot: int, name: str) -> int:
        return self.register_map.field_address("read", slot, name)

    def _put(self, slot: int, name: str, value: object) -> None:
        spec = self.register_map.read_fields[name]
        self._poke(self._field(slot, name), spec.type.encode(value, f"simulator read slot {slot} {name}"))

    async def _run_batch(self, slot: int, batch: SlotBatch) -> None:
        rmap = self.register_map
        start = rmap.read_slot_address(slot)
        self._poke(start, [0] * rmap.read_extent)
        self._put(slot, "batch_no", batch.batch_no)
        if rmap.echoes_batch_number:  # the old program has no word for it
            self._put(slot, "batch_number", batch.batch_number)
        self._put(slot, "mo_reference", batch.mo_reference)
        self._put(slot, "bom_code", batch.bom_code)
        self._put(slot, "finished_goods", batch.finished_goods)
        self._put(slot, "planned_quantity", batch.planned_quantity)
        self.last_batch = (batch.batch_no, batch.mo_reference)
        logger.info("PLC simulator: slot %d batch %d %s started", slot, batch.batch_no, batch.mo_reference)
        jitter = self.batch_jitter
        await asyncio.sleep(self.batch_seconds * self._random.uniform(1 - jitter, 1 + jitter) if jitter
                            else self.batch_seconds)
        await self._hold_point(slot, "end")

        end = self.faults.batch_end(slot)
        comps = rmap.components
        # A failed batch stops part-way: each silo has dosed only a share of its target.
        share = self._random.uniform(0.2, 0.8) if end.fail else 1.0
        for k, dose in enumerate(batch.components):
            self._poke(start + comps.silo_at(k), comps.silo_type.encode(dose.silo_id, "silo"))
            if end.garbage:
                qty_words = [0xFFFF] * comps.quantity_type.words
            else:
                actual = dose.quantity * share * (1 + self._random.uniform(-self.noise, self.noise))
                qty_words = comps.quantity_type.encode(max(0.0, actual), "consumption")
            self._poke(start + comps.quantity_at(k), qty_words)
        weight_spec = rmap.read_fields["finished_weight"]
        if end.garbage:
            self._poke(self._field(slot, "finished_weight"), [0xFFFF] * weight_spec.type.words)
        elif end.fail:
            self._put(slot, "finished_weight", 0.0)
        elif end.weight is not None:
            self._put(slot, "finished_weight", end.weight)
        else:
            weight = batch.planned_quantity * (1 + self._random.uniform(-self.noise, self.noise))
            self._put(slot, "finished_weight", max(0.0, weight))
        if end.mixed_garbage:
            self._garble(slot, batch, end.mixed_garbage, failed=end.fail)
        if end.fail:
            self._put(slot, "status_operation", 1)
        else:
            self._put(slot, "status_manufacturing", 1)
        self.completed_batches.append((slot, batch.mo_reference))
        if end.fail:
            self.failed_batches.append((slot, batch.batch_no, batch.mo_reference))
        logger.info(
            "PLC simulator: slot %d batch %d %s %s",
            slot,
            batch.batch_no,
            batch.mo_reference,
            "FAILED (status_operation = 1)" if end.fail else "finished",
        )

    def _garble(self, slot: int, batch: SlotBatch, forms: tuple[str, ...], failed: bool) -> None:
        """Overwrite a random non-empty choice of the batch's values with garbage; a batch
        that finished is noted in ``garbled_batches`` (a failed one is reported failed, its
        values count for nothing)."""
        rmap = self.register_map
        start = rmap.read_slot_address(slot)
        comps = rmap.components
        values = [(f"silo {dose.silo_id}", start + comps.quantity_at(k), comps.quantity_type)
                  for k, dose in enumerate(batch.components)]
        weight_spec = rmap.read_fields["finished_weight"]
        values.append(("finished_weight", self._field(slot, "finished_weight"), weight_spec.type))
        chosen = self._random.sample(values, self._random.randint(1, len(values)))
        garbled: list[tuple[str, str]] = []
        for name, address, codec in chosen:
            form = self._random.choice(forms)
            words = garbage_words(codec, self._peek(address, codec.words), form)
            self._poke(address, words)
            garbled.append((name, form))
        if not failed:
            self.garbled_batches.append((slot, batch.batch_no, batch.mo_reference, garbled))
        logger.info("PLC simulator: slot %d batch %d %s garbled: %s", slot, batch.batch_no, batch.mo_reference,
                    ", ".join(f"{name} {form}" for name, form in garbled))
