"""The register map's TOML file: one function per table, every overlap checked in one place.

Everything that is wrong with a map is found at load time, so the agent never starts with a
map that would write one field over another. Every message names the file and the entry.
Model: telegraf's ``plugins/inputs/modbus/configuration_register.go``.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

from .codecs import ALL_TYPES, BCD_TYPES, INTEGER_TYPES, WORD_ORDERS, RegisterMapError, ValueType
from .layout import (
    AREAS,
    BATCH_NUMBER_FIELD,
    FIELD_NAMES,
    READ_FIELDS,
    STATUS_FIELDS,
    TEXT_FIELDS,
    WRITE_FIELDS,
    ComponentSpec,
    FieldSpec,
    RegisterMap,
)
from .report_areas import AREA_FIELDS, HANDSHAKE_FIELD, AreaField, ReportArea

logger = logging.getLogger(__name__)

MAX_ADDRESS = 0xFFFF


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



@dataclass(frozen=True)
class _Areas:
    slot_count: int
    stride: int
    write_start: int
    read_start: int


@dataclass(frozen=True)
class _Handshakes:
    write: int
    read_ack_field: str


def _table(doc: dict, name: str, source: str) -> dict:
    table = doc.get(name)
    if not isinstance(table, dict):
        raise _entry_error(source, name, "table is missing")
    return table


def _areas(doc: dict, source: str) -> _Areas:
    """``[areas]``: how many slots, their stride, where each area starts."""
    areas = _table(doc, "areas", source)
    return _Areas(
        slot_count=_int(areas, "slot_count", source, "areas", minimum=1),
        stride=_int(areas, "slot_stride", source, "areas", minimum=1),
        write_start=_int(areas, "write_start", source, "areas"),
        read_start=_int(areas, "read_start", source, "areas"),
    )


def _handshakes(doc: dict, source: str) -> _Handshakes:
    """``[handshakes]``: the write handshake word and the read area's acknowledgement field."""
    handshakes = _table(doc, "handshakes", source)
    return _Handshakes(
        write=_int(handshakes, "write", source, "handshakes"),
        read_ack_field=handshakes.get("read_ack_field", "status_read_data"),
    )


def _field_entry(entry: Any, index: int, source: str, stride: int,
                 defined: dict[str, FieldSpec]) -> FieldSpec:
    name = entry.get("name") if isinstance(entry, dict) else None
    where = _field_label(index, name)
    if not isinstance(entry, dict) or not isinstance(name, str):
        raise _entry_error(source, where, "needs a 'name'")
    if name not in FIELD_NAMES:
        raise _entry_error(source, where, f"unknown field name; known fields: {', '.join(FIELD_NAMES)}")
    if name in defined:
        raise _entry_error(source, where, "field defined twice")
    area = entry.get("area", "both")
    if area not in AREAS:
        raise _entry_error(source, where, f"bad area {area!r}; use 'both', 'write' or 'read'")
    vtype = _value_type(entry, source, where)
    if name in TEXT_FIELDS and not vtype.is_text:
        raise _entry_error(source, where, f"{name} is text and needs type 'ascii', not {vtype.name}")
    if name not in TEXT_FIELDS and vtype.is_text:
        raise _entry_error(source, where, f"{name} is a number and cannot be ascii")
    if vtype.name in BCD_TYPES:
        raise _entry_error(source, where, f"{vtype.name} is for the failure area's date and time words")
    if name in ("batch_no", "batch_number") + STATUS_FIELDS and vtype.name not in INTEGER_TYPES:
        raise _entry_error(source, where, f"{name} needs an integer type, not {vtype.name}")
    offset = _int(entry, "offset", source, where)
    spec = FieldSpec(name=name, offset=offset, type=vtype, area=area)
    if spec.end > stride:
        raise _entry_error(
            source, where, f"offset {offset} + {vtype.words} word(s) overruns the slot stride {stride}"
        )
    return spec


def _field_label(index: int, name: Any) -> str:
    return f"fields #{index + 1}" + (f" {name!r}" if name else "")


def _fields(doc: dict, source: str, stride: int, handshakes: _Handshakes) -> dict[str, FieldSpec]:
    """``[[fields]]``: the named words of a slot, and that both areas have what the agent needs."""
    raw_fields = doc.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise _entry_error(source, "fields", "no [[fields]] entries")
    fields: dict[str, FieldSpec] = {}
    for index, entry in enumerate(raw_fields):
        spec = _field_entry(entry, index, source, stride, fields)
        fields[spec.name] = spec
    ack = handshakes.read_ack_field
    if ack not in fields or not fields[ack].in_area("read"):
        raise _entry_error(source, "handshakes", f"read_ack_field {ack!r} is not a field of the read area")
    for area, needed in (("write", WRITE_FIELDS), ("read", READ_FIELDS)):
        for name in needed:
            if name not in fields or not fields[name].in_area(area):
                raise _entry_error(source, "fields", f"field {name!r} is missing from the {area} area")
    number = fields.get(BATCH_NUMBER_FIELD)
    if number is not None and not (number.in_area("write") and number.in_area("read")):
        raise _entry_error(
            source, "fields",
            f"field {BATCH_NUMBER_FIELD!r} must be in both areas (a PLC that echoes it) or in neither "
            "(the old program's layout)",
        )
    return fields


def _components(doc: dict, source: str, stride: int) -> ComponentSpec:
    """``[components]``: the silo id and quantity of each component of a slot."""
    raw_comps = _table(doc, "components", source)
    silo_type = _value_type(raw_comps, source, "components", prefix="silo_")
    quantity_type = _value_type(raw_comps, source, "components", prefix="quantity_")
    if silo_type.name not in INTEGER_TYPES:
        raise _entry_error(source, "components", f"silo_type must be an integer type, not {silo_type.name}")
    if quantity_type.is_text or quantity_type.name in BCD_TYPES:
        raise _entry_error(source, "components", f"quantity_type cannot be {quantity_type.name}")
    comps = ComponentSpec(
        base=_int(raw_comps, "base", source, "components"),
        stride=_int(raw_comps, "stride", source, "components", minimum=1),
        count=_int(raw_comps, "count", source, "components", minimum=1),
        silo_offset=_int(raw_comps, "silo_offset", source, "components", default=0),
        silo_type=silo_type,
        quantity_offset=_int(raw_comps, "quantity_offset", source, "components", default=silo_type.words),
        quantity_type=quantity_type,
    )
    need = max(comps.silo_offset + silo_type.words, comps.quantity_offset + quantity_type.words)
    if need > comps.stride:
        raise _entry_error(source, "components", f"one component needs {need} words, stride is {comps.stride}")
    if comps.end > stride:
        raise _entry_error(
            source,
            "components",
            f"{comps.count} components from offset {comps.base} end at {comps.end}, "
            f"overrunning the slot stride {stride}",
        )
    return comps


Span = tuple[int, int, str, str]  # first word, word after the last, TOML entry, what it is


def _overlap(spans: list[Span]) -> tuple[Span, Span] | None:
    """The one overlap rule: the first two spans, in address order, that share a word."""
    ordered = sorted(spans)
    for first, second in pairwise(ordered):
        if second[0] < first[1]:
            return first, second
    return None


def _check_slot_overlaps(source: str, fields: dict[str, FieldSpec], comps: ComponentSpec,
                         labels: dict[str, str]) -> None:
    """Within one component, and within a slot of each area: no two entries share a word."""
    silo = (comps.silo_offset, comps.silo_offset + comps.silo_type.words, "components", "silo id")
    quantity = (comps.quantity_offset, comps.quantity_offset + comps.quantity_type.words,
                "components", "quantity")
    if _overlap([silo, quantity]):
        raise _entry_error(source, "components", "silo id and quantity overlap within one component")
    for area in ("write", "read"):
        spans = [(f.offset, f.end, labels[f.name], f"field {f.name!r}")
                 for f in fields.values() if f.in_area(area)]
        spans.append((comps.base, comps.end, "components", "the components"))
        found = _overlap(spans)
        if found:
            (s1, e1, _k1, n1), (s2, e2, k2, _n2) = found
            raise _entry_error(
                source, k2, f"offsets {s2}..{e2 - 1} overlap {n1} (offsets {s1}..{e1 - 1}) in the {area} area"
            )


def _check_registers(source: str, rmap: RegisterMap) -> None:
    """Both areas and the handshake word within the address space and apart from each other."""
    last = rmap.slot_stride * (rmap.slot_count - 1)
    write_span = (rmap.write_start, rmap.write_start + last + rmap.write_extent)
    read_span = (rmap.read_start, rmap.read_start + last + rmap.read_extent)
    for name, (_start, end) in (("write", write_span), ("read", read_span)):
        if end - 1 > MAX_ADDRESS:
            raise _entry_error(source, "areas", f"{name} area ends at {end - 1}, beyond register {MAX_ADDRESS}")
    if _overlap([(*write_span, "areas", "write area"), (*read_span, "areas", "read area")]):
        raise _entry_error(
            source,
            "areas",
            f"write area {write_span[0]}..{write_span[1] - 1} overlaps read area {read_span[0]}..{read_span[1] - 1}",
        )
    handshake = rmap.write_handshake_address
    if handshake > MAX_ADDRESS:
        raise _entry_error(source, "handshakes", f"write = {handshake} is beyond register {MAX_ADDRESS}")
    comps = rmap.components
    for area, start, fields in (("write", rmap.write_start, rmap.write_fields),
                                ("read", rmap.read_start, rmap.read_fields)):
        spans = [(f.offset, f.end, f"field {f.name!r}") for f in fields.values()]
        spans.append((comps.base, comps.end, "the components"))
        for slot in range(1, rmap.slot_count + 1):
            offset = handshake - (start + rmap.slot_stride * (slot - 1))
            for first, end, what in spans:
                if first <= offset < end:
                    raise _entry_error(
                        source,
                        "handshakes",
                        f"write = {handshake} lies inside {area} slot {slot} (offset {offset}, "
                        f"{what}), which the agent or the PLC uses for batch data",
                    )


_KIND_TYPES = {
    "text": ("ascii",),
    "clock": BCD_TYPES + INTEGER_TYPES,
    "integer": INTEGER_TYPES,
    "number": tuple(t for t in ALL_TYPES if t not in ("ascii",) + BCD_TYPES),
}


def _report_area(doc: dict, source: str, name: str) -> ReportArea | None:
    """``[failures]`` / ``[manual_weighing]``: optional; a line without the area leaves it out."""
    table = doc.get(name)
    if table is None:
        return None
    if not isinstance(table, dict):
        raise _entry_error(source, name, "must be a table")
    known = AREA_FIELDS[name]
    start = _int(table, "start", source, name)
    raw_fields = table.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise _entry_error(source, name, f"no [[{name}.fields]] entries")
    fields: dict[str, AreaField] = {}
    for index, entry in enumerate(raw_fields):
        field_name = entry.get("name") if isinstance(entry, dict) else None
        where = f"{name}.fields #{index + 1}" + (f" {field_name!r}" if field_name else "")
        if field_name not in known:
            raise _entry_error(source, where, f"unknown field; the {name} area has: {', '.join(known)}")
        if field_name in fields:
            raise _entry_error(source, where, "field defined twice")
        vtype = _value_type(entry, source, where)
        allowed = _KIND_TYPES[known[field_name]]
        if vtype.name not in allowed:
            raise _entry_error(source, where, f"{field_name} needs a type among {', '.join(allowed)}, "
                                              f"not {vtype.name}")
        if field_name == HANDSHAKE_FIELD and vtype.words != 1:
            raise _entry_error(source, where, f"{HANDSHAKE_FIELD} is one word, not {vtype.name}")
        fields[field_name] = AreaField(field_name, _int(entry, "offset", source, where), vtype)
    missing = [f for f in known if f not in fields]
    if missing:
        raise _entry_error(source, name, f"fields missing: {', '.join(missing)}")
    found = _overlap([(f.offset, f.end, name, f"field {f.name!r}") for f in fields.values()])
    if found:
        (s1, e1, _k, n1), (s2, e2, _k2, n2) = found
        raise _entry_error(source, name, f"{n2} (offsets {s2}..{e2 - 1}) overlaps {n1} "
                                         f"(offsets {s1}..{e1 - 1})")
    area = ReportArea(name=name, start=start, fields=fields)
    if start + area.extent - 1 > MAX_ADDRESS:
        raise _entry_error(source, name, f"ends at {start + area.extent - 1}, beyond register {MAX_ADDRESS}")
    return area


def _check_report_areas(source: str, rmap: RegisterMap) -> None:
    """The report areas lie apart from both slot areas, the write handshake and each other."""
    last = rmap.slot_stride * (rmap.slot_count - 1)
    spans: list[Span] = [
        (rmap.write_start, rmap.write_start + last + rmap.write_extent, "areas", "the write area"),
        (rmap.read_start, rmap.read_start + last + rmap.read_extent, "areas", "the read area"),
        (rmap.write_handshake_address, rmap.write_handshake_address + 1, "handshakes",
         "the write handshake word"),
    ]
    for area in (rmap.failure_area, rmap.weighing_area):
        if area is None:
            continue
        mine = (area.start, area.start + area.extent, area.name, f"the {area.name} area")
        for other in spans:
            if _overlap([mine, other]):
                raise _entry_error(source, area.name, f"words {mine[0]}..{mine[1] - 1} overlap "
                                                      f"{other[3]} ({other[0]}..{other[1] - 1})")
        spans.append(mine)


def _parse(doc: dict, source: str) -> RegisterMap:
    areas = _areas(doc, source)
    handshakes = _handshakes(doc, source)
    fields = _fields(doc, source, areas.stride, handshakes)
    comps = _components(doc, source, areas.stride)
    labels = {f["name"]: _field_label(i, f["name"]) for i, f in enumerate(doc["fields"])}
    _check_slot_overlaps(source, fields, comps, labels)
    rmap = RegisterMap(
        source=source,
        slot_count=areas.slot_count,
        slot_stride=areas.stride,
        write_start=areas.write_start,
        read_start=areas.read_start,
        write_handshake_address=handshakes.write,
        read_ack_field=handshakes.read_ack_field,
        fields=fields,
        components=comps,
        failure_area=_report_area(doc, source, "failures"),
        weighing_area=_report_area(doc, source, "manual_weighing"),
    )
    _check_registers(source, rmap)
    _check_report_areas(source, rmap)
    return rmap


# The maps the agent ships, by the name REGISTER_MAP_FILE may give instead of a path:
# the shipped layout (offset 77 = the batch number the PLC echoes) and the old program's
# (offsets 0-76 only, docs/register-map.md "The old program's layout").
PACKAGED_MAPS = {"shipped": "default_register_map.toml", "old-program": "old_program_register_map.toml"}


def packaged_map_path(name: str) -> Path:
    """The file of a packaged map named in :data:`PACKAGED_MAPS`."""
    if name not in PACKAGED_MAPS:
        raise RegisterMapError(f"no packaged register map {name!r}; there are {', '.join(PACKAGED_MAPS)}")
    return Path(str(resources.files(__package__).joinpath(PACKAGED_MAPS[name])))


def load_register_map(path: Path | None = None) -> RegisterMap:
    """Load and check a register map; None loads the packaged default."""
    if path is None:
        source = "default_register_map.toml"
        text = resources.files(__package__).joinpath("default_register_map.toml").read_text("utf-8")
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
