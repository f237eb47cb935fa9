"""The PLC's memory layout: value codecs, slot layout and Modbus request plans.

The layout comes from a TOML file (the shipped default is the old PLC program's layout,
`default_register_map.toml`). Everything that is wrong with a map is found at load time,
so the agent never starts with a map that would write one field over another.
"""

from __future__ import annotations

import functools

import logging
import math
import struct
import tomllib
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

MAX_READ_REGISTERS = 125  # Modbus limit for function 3 (read holding registers)
MAX_WRITE_REGISTERS = 123  # Modbus limit for function 16 (write multiple registers)
MAX_ADDRESS = 0xFFFF

NUMERIC_TYPES = (
    "uint16",
    "int16",
    "uint32",
    "int32",
    "float32",
    "scaled_uint16",
    "scaled_int16",
    "scaled_uint32",
    "scaled_int32",
)
TEXT_TYPES = ("ascii",)
ALL_TYPES = NUMERIC_TYPES + TEXT_TYPES
WORD_ORDERS = ("big", "little")
AREAS = ("both", "write", "read")

# The fields the agent knows by name. The map says where they are, not whether they exist.
TEXT_FIELDS = ("mo_reference", "bom_code", "finished_goods")
FIELD_NAMES = (
    "batch_no",
    "mo_reference",
    "bom_code",
    "finished_goods",
    "planned_quantity",
    "status_manufacturing",
    "status_operation",
    "finished_weight",
    "status_read_data",
)
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
# The read area carries every field the agent knows: the PLC echoes the batch and adds its results.
READ_FIELDS = FIELD_NAMES
STATUS_FIELDS = ("status_manufacturing", "status_operation", "status_read_data")


class RegisterMapError(ValueError):
    """A register map entry is wrong, or a value does not fit the map."""


# --------------------------------------------------------------------------- value types


@dataclass(frozen=True)
class ValueType:
    """How one value sits in 16-bit words."""

    name: str
    word_order: str = "big"
    scale: float = 1.0
    length: int = 0  # characters, ascii only
    strict: bool = True  # ascii only: refuse instead of transliterating/cutting

    @property
    def words(self) -> int:
        if self.name == "ascii":
            return (self.length + 1) // 2
        if self.name.endswith("32"):
            return 2
        return 1

    @property
    def is_text(self) -> bool:
        return self.name == "ascii"

    @property
    def _int_name(self) -> str:
        return self.name.removeprefix("scaled_")

    def _int_range(self) -> tuple[int, int]:
        return {
            "uint16": (0, 0xFFFF),
            "int16": (-0x8000, 0x7FFF),
            "uint32": (0, 0xFFFFFFFF),
            "int32": (-0x80000000, 0x7FFFFFFF),
        }[self._int_name]

    def _split(self, raw32: int) -> list[int]:
        high, low = (raw32 >> 16) & 0xFFFF, raw32 & 0xFFFF
        return [high, low] if self.word_order == "big" else [low, high]

    def _join(self, words: list[int]) -> int:
        high, low = (words[0], words[1]) if self.word_order == "big" else (words[1], words[0])
        return (high << 16) | low

    def encode(self, value: Any, what: str) -> list[int]:
        """Words for `value`; ValueError naming `what` if it does not fit."""
        if self.is_text:
            return self._encode_text(value, what)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{what}: {value!r} is not a number")
        if not math.isfinite(value):
            raise ValueError(f"{what}: {value!r} is not a finite number")
        if self.name == "float32":
            raw32 = struct.unpack(">I", struct.pack(">f", float(value)))[0]
            return self._split(raw32)
        if self.name.startswith("scaled_"):
            raw = round(value * self.scale)
        else:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(f"{what}: {value!r} is not a whole number ({self.name})")
            raw = int(value)
        low, high = self._int_range()
        if not low <= raw <= high:
            raise ValueError(
                f"{what}: {value!r} does not fit {self.name}"
                + (f" (x {self.scale:g})" if self.name.startswith("scaled_") else "")
                + f", range {low}..{high}"
            )
        unsigned = raw & (0xFFFF if self.words == 1 else 0xFFFFFFFF)
        return [unsigned] if self.words == 1 else self._split(unsigned)

    def _encode_text(self, value: Any, what: str) -> list[int]:
        if not isinstance(value, str):
            raise ValueError(f"{what}: {value!r} is not text")
        text = value
        if not text.isascii() or any(not 0x20 <= ord(c) <= 0x7E for c in text):
            if self.strict:
                raise ValueError(f"{what}: {value!r} contains characters that are not printable ASCII")
            text = _to_ascii(text)
        if len(text) > self.length:
            if self.strict:
                raise ValueError(f"{what}: {value!r} is longer than {self.length} characters")
            text = text[: self.length]
        data = text.encode("ascii").ljust(self.words * 2, b"\0")
        return [(data[i] << 8) | data[i + 1] for i in range(0, len(data), 2)]

    def raw(self, words: list[int]) -> int:
        """The integer on the wire (signed for int types), before scaling."""
        if self.words == 1:
            raw = words[0]
        else:
            raw = self._join(words)
        if self._int_name == "int16" and raw & 0x8000:
            raw -= 0x10000
        if self._int_name == "int32" and raw & 0x80000000:
            raw -= 0x100000000
        return raw

    def decode(self, words: list[int]) -> Any:
        if self.is_text:
            data = b"".join(w.to_bytes(2, "big") for w in words)[: self.length]
            return data.split(b"\0", 1)[0].decode("latin-1").rstrip(" ")
        if self.name == "float32":
            return struct.unpack(">f", struct.pack(">I", self._join(words)))[0]
        raw = self.raw(words)
        if self.name.startswith("scaled_"):
            return raw / self.scale
        return raw

    def implausible(self, words: list[int]) -> str | None:
        """Why the raw words cannot be a real measurement, or None."""
        if self.is_text:
            data = b"".join(w.to_bytes(2, "big") for w in words)[: self.length]
            text = data.split(b"\0", 1)[0]
            if any(not 0x20 <= b <= 0x7E for b in text):
                return "text contains bytes that are not printable ASCII"
            return None
        if any(w == 0xFFFF for w in words):
            return "0xFFFF sentinel word"
        if self.name == "float32":
            value = self.decode(words)
            if not math.isfinite(value):
                return f"{value} is not a finite number"
            if value < 0:
                return f"negative value {value}"
            return None
        raw = self.raw(words)
        if self._int_name in ("int16", "int32"):
            low, high = self._int_range()
            if raw in (low, high):
                return f"0x{raw & (0xFFFF if self.words == 1 else 0xFFFFFFFF):X} sentinel value"
        if raw < 0:
            return f"negative value {self.decode(words)}"
        return None


def _to_ascii(text: str) -> str:
    # Accented letters keep their base letter ("Pâtée" -> "Patee"); anything else becomes "?".
    decomposed = unicodedata.normalize("NFKD", text)
    out = []
    for char in decomposed:
        if unicodedata.combining(char):
            continue
        out.append(char if 0x20 <= ord(char) <= 0x7E else "?")
    return "".join(out)


def _hex_words(words: list[int]) -> str:
    return "[" + ", ".join(f"0x{w:04X}" for w in words) + "]"


# --------------------------------------------------------------------------- batches


@dataclass(frozen=True)
class ComponentDose:
    silo_id: int
    quantity: float


@dataclass(frozen=True)
class SlotBatch:
    """One batch as written into a write-area slot."""

    batch_no: int
    mo_reference: str
    bom_code: str
    finished_goods: str
    planned_quantity: float
    components: tuple[ComponentDose, ...]


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
        self.max_components = components.count
        self.write_fields = {n: f for n, f in fields.items() if f.in_area("write")}
        self.read_fields = {n: f for n, f in fields.items() if f.in_area("read")}
        # The agent writes one contiguous block per slot, from offset 0 to its last field.
        self.write_extent = max([f.end for f in self.write_fields.values()] + [components.end])
        self.read_extent = max([f.end for f in self.read_fields.values()] + [components.end])

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

    def field_address(self, area: str, slot: int, name: str) -> int:
        """Absolute address of a named field in one slot of `area` ("write"/"read")."""
        spec = (self.write_fields if area == "write" else self.read_fields).get(name)
        if spec is None:
            raise KeyError(f"field {name!r} is not in the {area} area of {self.source}")
        start = self.write_slot_address(slot) if area == "write" else self.read_slot_address(slot)
        return start + spec.offset

    # -- request plans

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
        values = {
            "batch_no": batch.batch_no,
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
                problems.append(f"{where} silo id: raw {_hex_words(silo_words)}: {why}")
            why = comps.quantity_type.implausible(qty_words)
            if why:
                problems.append(f"{where} quantity: raw {_hex_words(qty_words)}: {why}")
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
                problems.append(f"read slot {slot} {name}: raw {_hex_words(raw_words)}: {why}")
                if name in ("planned_quantity", "finished_weight"):
                    value = None
            values[name] = value
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
        )


# --------------------------------------------------------------------------- loading


def _entry_error(source: str, key: str, message: str) -> RegisterMapError:
    return RegisterMapError(f"{source}: [{key}] {message}")


def _int(table: dict, key: str, source: str, where: str, *, minimum: int = 0, default: Any = None) -> int:
    value = table.get(key, default)
    if value is None:
        raise _entry_error(source, where, f"'{key}' is missing")
    if isinstance(value, bool) or not isinstance(value, int):
        raise _entry_error(source, where, f"'{key}' must be a whole number, got {value!r}")
    if value < minimum:
        raise _entry_error(source, where, f"'{key}' must be >= {minimum}, got {value}")
    return value


def _value_type(table: dict, source: str, where: str, *, prefix: str = "") -> ValueType:
    type_key = f"{prefix}type"
    name = table.get(type_key)
    if name not in ALL_TYPES:
        raise _entry_error(
            source, where, f"unknown {type_key} {name!r}; known types: {', '.join(ALL_TYPES)}"
        )
    word_order = table.get(f"{prefix}word_order", "big")
    if word_order not in WORD_ORDERS:
        raise _entry_error(source, where, f"bad {prefix}word_order {word_order!r}; use 'big' or 'little'")
    scale_value = table.get(f"{prefix}scale", 100 if name.startswith("scaled_") else 1)
    if isinstance(scale_value, bool) or not isinstance(scale_value, (int, float)) or not scale_value > 0:
        raise _entry_error(source, where, f"'{prefix}scale' must be a positive number, got {scale_value!r}")
    if f"{prefix}scale" in table and not name.startswith("scaled_"):
        raise _entry_error(source, where, f"'{prefix}scale' only applies to scaled_* types, not {name}")
    length = 0
    strict = True
    if name == "ascii" and prefix:
        raise _entry_error(source, where, f"{type_key} cannot be ascii")
    if name == "ascii":
        length = _int(table, f"{prefix}length", source, where, minimum=1)
        strict = table.get("strict", True)
        if not isinstance(strict, bool):
            raise _entry_error(source, where, f"'strict' must be true or false, got {strict!r}")
    vtype = ValueType(name=name, word_order=word_order, scale=float(scale_value), length=length, strict=strict)
    words = table.get(f"{prefix}words")
    if words is not None and words != vtype.words:
        raise _entry_error(
            source, where, f"'{prefix}words' = {words!r} but {name} takes {vtype.words} word(s)"
        )
    return vtype


def _parse(doc: dict, source: str) -> RegisterMap:
    areas = doc.get("areas")
    if not isinstance(areas, dict):
        raise _entry_error(source, "areas", "table is missing")
    slot_count = _int(areas, "slot_count", source, "areas", minimum=1)
    stride = _int(areas, "slot_stride", source, "areas", minimum=1)
    write_start = _int(areas, "write_start", source, "areas")
    read_start = _int(areas, "read_start", source, "areas")

    handshakes = doc.get("handshakes")
    if not isinstance(handshakes, dict):
        raise _entry_error(source, "handshakes", "table is missing")
    write_handshake = _int(handshakes, "write", source, "handshakes")
    read_ack_field = handshakes.get("read_ack_field", "status_read_data")

    raw_fields = doc.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise _entry_error(source, "fields", "no [[fields]] entries")
    fields: dict[str, FieldSpec] = {}
    for index, entry in enumerate(raw_fields):
        name = entry.get("name") if isinstance(entry, dict) else None
        where = f"fields #{index + 1}" + (f" {name!r}" if name else "")
        if not isinstance(entry, dict) or not isinstance(name, str):
            raise _entry_error(source, where, "needs a 'name'")
        if name not in FIELD_NAMES:
            raise _entry_error(source, where, f"unknown field name; known fields: {', '.join(FIELD_NAMES)}")
        if name in fields:
            raise _entry_error(source, where, "field defined twice")
        area = entry.get("area", "both")
        if area not in AREAS:
            raise _entry_error(source, where, f"bad area {area!r}; use 'both', 'write' or 'read'")
        vtype = _value_type(entry, source, where)
        if name in TEXT_FIELDS and not vtype.is_text:
            raise _entry_error(source, where, f"{name} is text and needs type 'ascii', not {vtype.name}")
        if name not in TEXT_FIELDS and vtype.is_text:
            raise _entry_error(source, where, f"{name} is a number and cannot be ascii")
        if name in ("batch_no",) + STATUS_FIELDS and vtype.name not in ("uint16", "int16", "uint32", "int32"):
            raise _entry_error(source, where, f"{name} needs an integer type, not {vtype.name}")
        offset = _int(entry, "offset", source, where)
        spec = FieldSpec(name=name, offset=offset, type=vtype, area=area)
        if spec.end > stride:
            raise _entry_error(
                source, where, f"offset {offset} + {vtype.words} word(s) overruns the slot stride {stride}"
            )
        fields[name] = spec

    if read_ack_field not in fields or not fields[read_ack_field].in_area("read"):
        raise _entry_error(source, "handshakes", f"read_ack_field {read_ack_field!r} is not a field of the read area")
    for area, needed in (("write", WRITE_FIELDS), ("read", READ_FIELDS)):
        for name in needed:
            if name not in fields or not fields[name].in_area(area):
                raise _entry_error(source, "fields", f"field {name!r} is missing from the {area} area")

    raw_comps = doc.get("components")
    if not isinstance(raw_comps, dict):
        raise _entry_error(source, "components", "table is missing")
    silo_type = _value_type(raw_comps, source, "components", prefix="silo_")
    quantity_type = _value_type(raw_comps, source, "components", prefix="quantity_")
    if silo_type.name not in ("uint16", "uint32", "int16", "int32"):
        raise _entry_error(source, "components", f"silo_type must be an integer type, not {silo_type.name}")
    if quantity_type.is_text:
        raise _entry_error(source, "components", "quantity_type cannot be ascii")
    comps = ComponentSpec(
        base=_int(raw_comps, "base", source, "components"),
        stride=_int(raw_comps, "stride", source, "components", minimum=1),
        count=_int(raw_comps, "count", source, "components", minimum=1),
        silo_offset=_int(raw_comps, "silo_offset", source, "components", default=0),
        silo_type=silo_type,
        quantity_offset=_int(raw_comps, "quantity_offset", source, "components", default=silo_type.words),
        quantity_type=quantity_type,
    )
    silo_span = (comps.silo_offset, comps.silo_offset + silo_type.words)
    qty_span = (comps.quantity_offset, comps.quantity_offset + quantity_type.words)
    if silo_span[0] < qty_span[1] and qty_span[0] < silo_span[1]:
        raise _entry_error(source, "components", "silo id and quantity overlap within one component")
    if max(silo_span[1], qty_span[1]) > comps.stride:
        raise _entry_error(
            source, "components", f"one component needs {max(silo_span[1], qty_span[1])} words, stride is {comps.stride}"
        )
    if comps.end > stride:
        raise _entry_error(
            source, "components", f"{comps.count} components from offset {comps.base} end at {comps.end}, overrunning the slot stride {stride}"
        )

    # Overlaps inside one slot, per area: every field and the component block.
    entry_of = {f["name"]: f"fields #{i + 1} {f['name']!r}" for i, f in enumerate(raw_fields)}
    for area in ("write", "read"):
        spans = [(f.offset, f.end, entry_of[f.name], f"field {f.name!r}") for f in fields.values() if f.in_area(area)]
        spans.append((comps.base, comps.end, "components", "the components"))
        spans.sort()
        for (s1, e1, _k1, n1), (s2, e2, k2, _n2) in zip(spans, spans[1:]):
            if s2 < e1:
                raise _entry_error(
                    source, k2, f"offsets {s2}..{e2 - 1} overlap {n1} (offsets {s1}..{e1 - 1}) in the {area} area"
                )

    rmap = RegisterMap(
        source=source,
        slot_count=slot_count,
        slot_stride=stride,
        write_start=write_start,
        read_start=read_start,
        write_handshake_address=write_handshake,
        read_ack_field=read_ack_field,
        fields=fields,
        components=comps,
    )
    write_span = (write_start, write_start + stride * (slot_count - 1) + rmap.write_extent)
    read_span = (read_start, read_start + stride * (slot_count - 1) + rmap.read_extent)
    for name, (start, end) in (("write", write_span), ("read", read_span)):
        if end - 1 > MAX_ADDRESS:
            raise _entry_error(source, "areas", f"{name} area ends at {end - 1}, beyond register {MAX_ADDRESS}")
    if write_span[0] < read_span[1] and read_span[0] < write_span[1]:
        raise _entry_error(
            source,
            "areas",
            f"write area {write_span[0]}..{write_span[1] - 1} overlaps read area {read_span[0]}..{read_span[1] - 1}",
        )
    if write_handshake > MAX_ADDRESS:
        raise _entry_error(source, "handshakes", f"write = {write_handshake} is beyond register {MAX_ADDRESS}")
    for area, start, extent in (("write", write_start, rmap.write_extent), ("read", read_start, rmap.read_extent)):
        for slot in range(1, slot_count + 1):
            slot_start = start + stride * (slot - 1)
            offset = write_handshake - slot_start
            if 0 <= offset < extent:
                raise _entry_error(
                    source,
                    "handshakes",
                    f"write = {write_handshake} lies inside {area} slot {slot} (offset {offset}), "
                    f"which the agent or the PLC uses for batch data",
                )
    return rmap


def load_register_map(path: Path | None = None) -> RegisterMap:
    """Load and check a register map; None loads the packaged default."""
    if path is None:
        source = "default_register_map.toml"
        text = resources.files("plc_agent").joinpath("default_register_map.toml").read_text("utf-8")
    else:
        path = Path(path)
        source = str(path)
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise RegisterMapError(f"{source}: cannot read the register map: {exc.strerror or exc}") from exc
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegisterMapError(f"{source}: not valid TOML: {exc}") from exc
    rmap = _parse(doc, source)
    logger.debug(
        "register map %s: %d slots, write %d, read %d, handshake %d",
        source,
        rmap.slot_count,
        rmap.write_start,
        rmap.read_start,
        rmap.write_handshake_address,
    )
    return rmap
