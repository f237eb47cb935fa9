"""The PLC's memory layout: named fields and components of a slot, both areas, request plans.

A :class:`RegisterMap` knows where every field of every slot lies in the write area (what
the agent writes) and the read area (what the PLC reports), encodes a :class:`SlotBatch`
into a slot's words and decodes a slot's words into a :class:`SlotBatch` or
:class:`SlotReading`. :func:`plan_requests` covers an area with the fewest Modbus
requests. Model: telegraf's ``plugins/inputs/modbus/request.go``.
"""

from __future__ import annotations

import copy
import functools
import math
from dataclasses import dataclass
from typing import Any

from .codecs import RegisterMapError, ValueType, hex_words
from .report_areas import ReportArea

MAX_READ_REGISTERS = 125  # Modbus limit for function 3 (read holding registers)
MAX_WRITE_REGISTERS = 123  # Modbus limit for function 16 (write multiple registers)

AREAS = ("both", "write", "read")

TEXT_FIELDS = ("mo_reference", "bom_code", "finished_goods")
# Fields the agent needs in the write area and in the read area.
WRITE_FIELDS = (
    "batch_no",
    "mo_reference",
    "bom_code",
    "finished_goods",
    "planned_quantity",
    "status_manufacturing",
    "status_operation",
)
# The fields the agent knows by name. The map says where they are, not whether they exist.
# The rolling batch number (offset 77 in the shipped map). The old program has no such word: a
# map leaves it out of both areas for a PLC that runs that program unchanged.
BATCH_NUMBER_FIELD = "batch_number"
FIELD_NAMES = WRITE_FIELDS + (BATCH_NUMBER_FIELD, "finished_weight", "status_read_data")
# The read area carries every field the agent needs: the PLC echoes the batch and adds its results.
READ_FIELDS = WRITE_FIELDS + ("finished_weight", "status_read_data")
STATUS_FIELDS = ("status_manufacturing", "status_operation", "status_read_data")


# --------------------------------------------------------------------------- batches


@dataclass(frozen=True)
class ComponentDose:
    silo_id: int
    quantity: float


@dataclass(frozen=True)
class SlotBatch:
    """One batch as written into a write-area slot."""

    batch_no: int  # the slot number (the old program's "batch number", 1..slot_count)
    mo_reference: str
    bom_code: str
    finished_goods: str
    planned_quantity: float
    components: tuple[ComponentDose, ...]
    batch_number: int = 0  # the agent's rolling number, 1..65535 (0: a batch of release 0.1.0)


@dataclass(frozen=True)
class SlotReading:
    """One read-area slot, decoded.

    `planned_quantity` / `finished_weight` are None when their raw words are implausible;
    an implausible component quantity decodes as NaN. Every such value is described in
    `problems`, and a reading with problems must not be reported as it is.
    """

    slot: int
    batch_no: int
    mo_reference: str
    bom_code: str
    finished_goods: str
    planned_quantity: float | None
    components: tuple[ComponentDose, ...]
    status_manufacturing: int
    status_operation: int
    finished_weight: float | None
    status_read_data: int
    problems: tuple[str, ...]
    batch_number: int = 0  # the rolling number the PLC echoed from the write slot
    words: tuple[int, ...] = ()  # the slot's raw words, offset 0 .. read_extent - 1

    @property
    def is_empty(self) -> bool:
        return self.batch_no == 0


# --------------------------------------------------------------------------- the map


@dataclass(frozen=True)
class FieldSpec:
    name: str
    offset: int
    type: ValueType
    area: str  # both / write / read

    @property
    def end(self) -> int:
        return self.offset + self.type.words

    def in_area(self, area: str) -> bool:
        return self.area in ("both", area)


@dataclass(frozen=True)
class ComponentSpec:
    base: int
    stride: int
    count: int
    silo_offset: int
    silo_type: ValueType
    quantity_offset: int
    quantity_type: ValueType

    def silo_at(self, k: int) -> int:
        return self.base + self.stride * k + self.silo_offset

    def quantity_at(self, k: int) -> int:
        return self.base + self.stride * k + self.quantity_offset

    @property
    def end(self) -> int:
        last = self.count - 1
        return max(
            self.silo_at(last) + self.silo_type.words,
            self.quantity_at(last) + self.quantity_type.words,
        )


def plan_requests(ranges: list[tuple[int, int]], limit: int) -> list[tuple[int, int]]:
    """Fewest (address, count) requests of at most `limit` words covering `ranges`.

    Gaps between ranges are read along with them: one request costs far more than the
    words it carries, so a request is cut only when it would exceed `limit`. Greedy from
    the lowest needed word is optimal for covering points with fixed-length windows.
    """
    needed = sorted((start, start + count) for start, count in ranges if count > 0)
    requests: list[tuple[int, int]] = []
    index = 0
    cursor = needed[0][0] if needed else 0
    while index < len(needed):
        start, end = needed[index]
        cursor = max(cursor, start)
        window_end = cursor + limit
        last_end = cursor
        while index < len(needed) and needed[index][0] < window_end:
            last_end = min(max(last_end, needed[index][1]), window_end)
            if needed[index][1] > window_end:
                break
            index += 1
        requests.append((cursor, last_end - cursor))
        cursor = last_end
    return requests


class RegisterMap:
    """Slot layout of both areas; built by `load_register_map`."""

    max_read_registers = MAX_READ_REGISTERS
    max_write_registers = MAX_WRITE_REGISTERS

    def __init__(
        self,
        *,
        source: str,
        slot_count: int,
        slot_stride: int,
        write_start: int,
        read_start: int,
        write_handshake_address: int,
        read_ack_field: str,
        fields: dict[str, FieldSpec],
        components: ComponentSpec,
        failure_area: ReportArea | None = None,
        weighing_area: ReportArea | None = None,
    ) -> None:
        self.source = source
        self.slot_count = slot_count
        self.slot_stride = slot_stride
        self.write_start = write_start
        self.read_start = read_start
        self.write_handshake_address = write_handshake_address
        self.read_ack_field = read_ack_field
        self.fields = fields
        self.components = components
        # The optional report areas (None: the line has no such area, its task is off).
        self.failure_area = failure_area
        self.weighing_area = weighing_area
        self.max_components = components.count
        self.write_fields = {n: f for n, f in fields.items() if f.in_area("write")}
        self.read_fields = {n: f for n, f in fields.items() if f.in_area("read")}
        # The loader admits the batch number in both areas or in neither.
        self.echoes_batch_number = BATCH_NUMBER_FIELD in self.read_fields
        # The agent writes one contiguous block per slot, from offset 0 to its last field.
        self.write_extent = max([f.end for f in self.write_fields.values()] + [components.end])
        self.read_extent = max([f.end for f in self.read_fields.values()] + [components.end])

    @property
    def text_width(self) -> int:
        """Characters of the MO reference a slot holds (the agent refuses a longer one)."""
        return self.write_fields["mo_reference"].type.length

    def capacity_disagreements(self, components_per_batch: int, text_width: int) -> tuple[list[str], list[str]]:
        """Where a line's capacity in Odoo differs from this map's slot.

        Returns (problems, notes): Odoo allowing more than a slot holds sends MOs the agent
        must refuse; Odoo allowing less blocks MOs the PLC could run.
        """
        problems: list[str] = []
        notes: list[str] = []
        for what, odoo, here in (("components per batch", components_per_batch, self.max_components),
                                 ("MO reference characters", text_width, self.text_width)):
            if odoo > here:
                problems.append(f"Odoo allows {odoo} {what}, a slot of {self.source} holds {here}: "
                                f"such MOs are sent and then refused by the agent")
            elif odoo < here:
                notes.append(f"Odoo allows {odoo} {what}, a slot holds {here}: MOs that would fit "
                             f"are blocked in Odoo")
        return problems, notes

    # -- addresses

    def _check_slot(self, slot: int) -> None:
        if isinstance(slot, bool) or not isinstance(slot, int) or not 1 <= slot <= self.slot_count:
            raise ValueError(f"slot {slot!r} does not exist: slots are 1..{self.slot_count}")

    def write_slot_address(self, slot: int) -> int:
        self._check_slot(slot)
        return self.write_start + self.slot_stride * (slot - 1)

    def read_slot_address(self, slot: int) -> int:
        self._check_slot(slot)
        return self.read_start + self.slot_stride * (slot - 1)

    def read_ack_address(self, slot: int) -> int:
        return self.read_slot_address(slot) + self.fields[self.read_ack_field].offset

    @property
    def handshake_addresses(self) -> frozenset[int]:
        """Every handshake and acknowledgement word: the write handshake, each read slot's
        status_read_data and each report area's handshake. The only words the agent writes
        with function 6 (write single register); every other write is function 16."""
        addresses = {self.write_handshake_address}
        addresses.update(self.read_ack_address(n) for n in range(1, self.slot_count + 1))
        for area in (self.failure_area, self.weighing_area):
            if area is not None:
                addresses.add(area.handshake_address)
        return frozenset(addresses)

    def field_address(self, area: str, slot: int, name: str) -> int:
        """Absolute address of a named field in one slot of `area` ("write"/"read")."""
        spec = (self.write_fields if area == "write" else self.read_fields).get(name)
        if spec is None:
            raise KeyError(f"field {name!r} is not in the {area} area of {self.source}")
        start = self.write_slot_address(slot) if area == "write" else self.read_slot_address(slot)
        return start + spec.offset

    # -- request plans

    def with_request_limits(self, max_read: int, max_write: int) -> RegisterMap:
        """This map planned for a link that carries `max_read` / `max_write` words per
        request (itself when those are its limits already)."""
        if (max_read, max_write) == (self.max_read_registers, self.max_write_registers):
            return self
        if max_read < 1 or max_write < 1:
            raise ValueError(f"words per request must be >= 1, got read {max_read}, write {max_write}")
        limited = copy.copy(self)
        limited.max_read_registers = max_read
        limited.max_write_registers = max_write
        limited.__dict__.pop("read_slots_split", None)  # planned with the old limits
        return limited

    def read_area_requests(self) -> list[tuple[int, int]]:
        return plan_requests(
            [(self.read_slot_address(s), self.read_extent) for s in range(1, self.slot_count + 1)],
            self.max_read_registers,
        )

    @functools.cached_property
    def read_slots_split(self) -> frozenset[int]:
        """Read slots that the area's request plan cuts between two requests.

        Such a slot is assembled from two moments, so whatever the agent decides about it
        (store, acknowledge) must come from a read of the slot in one request instead.
        """
        bounds = [(start, start + count) for start, count in self.read_area_requests()]
        split = set()
        for slot in range(1, self.slot_count + 1):
            start = self.read_slot_address(slot)
            end = start + self.read_extent
            if not any(lo <= start and end <= hi for lo, hi in bounds):
                split.add(slot)
        return frozenset(split)

    def write_area_requests(self) -> list[tuple[int, int]]:
        return plan_requests(
            [(self.write_slot_address(s), self.write_extent) for s in range(1, self.slot_count + 1)],
            self.max_read_registers,
        )

    # -- codecs

    def encode_slot(self, batch: SlotBatch | None) -> list[int]:
        """Write-area words of one slot, offset 0 .. write_extent - 1.

        Status words are always 0: only the PLC sets them. Raises ValueError (or
        RegisterMapError) naming the batch and field that does not fit; nothing is
        truncated silently except where the map allows it (ascii strict = false).
        """
        words = [0] * self.write_extent
        if batch is None:
            return words
        label = f"batch {batch.batch_no!r} ({batch.mo_reference!r})"
        if isinstance(batch.batch_no, bool) or not isinstance(batch.batch_no, int) or batch.batch_no < 1:
            raise ValueError(f"{label}: batch_no must be a whole number >= 1 (0 means an empty slot)")
        number = batch.batch_number
        if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= 0xFFFF:
            raise ValueError(f"{label}: batch_number must be a whole number from 0 to 65535")
        values = {
            "batch_no": batch.batch_no,
            "batch_number": number,
            "mo_reference": batch.mo_reference,
            "bom_code": batch.bom_code,
            "finished_goods": batch.finished_goods,
            "planned_quantity": batch.planned_quantity,
        }
        if isinstance(batch.planned_quantity, (int, float)) and batch.planned_quantity < 0:
            raise ValueError(f"{label}: planned_quantity {batch.planned_quantity!r} is negative")
        if not batch.mo_reference:
            raise ValueError(f"{label}: mo_reference is empty; the agent matches slots by it")
        for name, spec in self.write_fields.items():
            if name in STATUS_FIELDS or name not in values:
                continue  # status words stay 0; finished_weight is the PLC's to fill
            encoded = spec.type.encode(values[name], f"{label} field {name}")
            words[spec.offset : spec.end] = encoded
        comps = self.components
        if len(batch.components) > comps.count:
            raise RegisterMapError(
                f"{label}: {len(batch.components)} components, the map ({self.source}) "
                f"has room for {comps.count}"
            )
        seen: set[int] = set()
        for k, dose in enumerate(batch.components):
            what = f"{label} component {k + 1} (silo {dose.silo_id!r})"
            if isinstance(dose.silo_id, bool) or not isinstance(dose.silo_id, int) or dose.silo_id < 1:
                raise ValueError(f"{what}: silo id must be a whole number >= 1 (0 marks an unused entry)")
            if dose.silo_id in seen:
                raise ValueError(f"{what}: silo appears twice in one batch")
            seen.add(dose.silo_id)
            if isinstance(dose.quantity, (int, float)) and dose.quantity < 0:
                raise ValueError(f"{what}: quantity {dose.quantity!r} is negative")
            silo_words = comps.silo_type.encode(dose.silo_id, f"{what} silo id")
            qty_words = comps.quantity_type.encode(dose.quantity, f"{what} quantity")
            at = comps.silo_at(k)
            words[at : at + len(silo_words)] = silo_words
            at = comps.quantity_at(k)
            words[at : at + len(qty_words)] = qty_words
        return words

    def write_slot_requests(self, slot: int, words: list[int]) -> list[tuple[int, list[int]]]:
        """(address, words) requests that write one slot's words and leave the write
        handshake alone: a slot whose words span it is written in two requests."""
        start = self.write_slot_address(slot)
        handshake = self.write_handshake_address - start
        if not 0 <= handshake < len(words):
            return [(start, list(words))]
        parts = [(start, list(words[:handshake])),
                 (start + handshake + 1, list(words[handshake + 1:]))]
        return [(address, part) for address, part in parts if part]

    def as_written(self, batch: SlotBatch | None) -> SlotBatch | None:
        """`batch` as the PLC will hold it (quantities rounded to the scale, lenient text
        transliterated and cut): what a read-back of the write area must equal."""
        return self.decode_write_slot(1, self.encode_slot(batch))

    def _check_words(self, slot: int, words: list[int], need: int, area: str) -> None:
        self._check_slot(slot)
        if len(words) < need:
            raise ValueError(f"{area} slot {slot}: {len(words)} words given, the map needs {need}")

    def decode_write_slot(self, slot: int, words: list[int]) -> SlotBatch | None:
        self._check_words(slot, words, self.write_extent, "write")
        f = self.write_fields
        batch_no = f["batch_no"].type.decode(words[f["batch_no"].offset : f["batch_no"].end])
        if batch_no == 0:
            return None

        def get(name: str) -> Any:
            spec = f[name]
            return spec.type.decode(words[spec.offset : spec.end])

        return SlotBatch(
            batch_no=batch_no,
            mo_reference=get("mo_reference"),
            bom_code=get("bom_code"),
            finished_goods=get("finished_goods"),
            planned_quantity=get("planned_quantity"),
            components=tuple(self._decode_components(words, slot, "write")[0]),
            batch_number=get(BATCH_NUMBER_FIELD) if BATCH_NUMBER_FIELD in f else 0,
        )

    def _decode_components(
        self, words: list[int], slot: int, area: str
    ) -> tuple[list[ComponentDose], list[str]]:
        comps = self.components
        doses: list[ComponentDose] = []
        problems: list[str] = []
        for k in range(comps.count):
            silo_words = words[comps.silo_at(k) : comps.silo_at(k) + comps.silo_type.words]
            silo_id = comps.silo_type.decode(silo_words)
            if silo_id == 0:
                continue
            qty_words = words[comps.quantity_at(k) : comps.quantity_at(k) + comps.quantity_type.words]
            quantity = comps.quantity_type.decode(qty_words)
            where = f"{area} slot {slot} component {k + 1} (silo {silo_id})"
            why = comps.silo_type.implausible(silo_words)
            if why:
                problems.append(f"{where} silo id: raw {hex_words(silo_words)}: {why}")
            why = comps.quantity_type.implausible(qty_words)
            if why:
                problems.append(f"{where} quantity: raw {hex_words(qty_words)}: {why}")
                quantity = math.nan
            doses.append(ComponentDose(silo_id=silo_id, quantity=float(quantity)))
        return doses, problems

    def decode_read_slot(self, slot: int, words: list[int]) -> SlotReading:
        self._check_words(slot, words, self.read_extent, "read")
        f = self.read_fields
        values: dict[str, Any] = {}
        problems: list[str] = []
        for name in READ_FIELDS:
            spec = f[name]
            raw_words = list(words[spec.offset : spec.end])
            value = spec.type.decode(raw_words)
            why = spec.type.implausible(raw_words)
            if not why and name in STATUS_FIELDS and value not in (0, 1):
                why = f"status {value} is neither 0 nor 1"
            if why:
                problems.append(f"read slot {slot} {name}: raw {hex_words(raw_words)}: {why}")
                if name in ("planned_quantity", "finished_weight"):
                    value = None
            values[name] = value
        number_spec = f.get(BATCH_NUMBER_FIELD)
        values[BATCH_NUMBER_FIELD] = (
            number_spec.type.decode(list(words[number_spec.offset : number_spec.end])) if number_spec else 0
        )
        doses, comp_problems = self._decode_components(words, slot, "read")
        problems.extend(comp_problems)
        batch_no = values["batch_no"]
        if batch_no == 0:
            # An empty slot carries whatever the PLC left there; nothing in it is reported.
            problems = []
        return SlotReading(
            slot=slot,
            batch_no=batch_no,
            mo_reference=values["mo_reference"],
            bom_code=values["bom_code"],
            finished_goods=values["finished_goods"],
            planned_quantity=values["planned_quantity"],
            components=tuple(doses),
            status_manufacturing=values["status_manufacturing"],
            status_operation=values["status_operation"],
            finished_weight=values["finished_weight"],
            status_read_data=values["status_read_data"],
            problems=tuple(problems),
            batch_number=values["batch_number"],
            words=tuple(words[: self.read_extent]),
        )
