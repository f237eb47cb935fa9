"""Register map: codecs round-trip, the default layout, request plans, bad maps refused."""

from __future__ import annotations

import math
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from plc_agent.plc.register_map import (
    ComponentDose,
    RegisterMap,
    RegisterMapError,
    SlotBatch,
    ValueType,
    load_register_map,
    plan_requests,
)


def default_doc() -> dict:
    text = resources.files("plc_agent.plc.register_map").joinpath("default_register_map.toml").read_text("utf-8")
    return tomllib.loads(text)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def dump_map(doc: dict) -> str:
    """Enough TOML for a register map: scalar tables, arrays of tables, and a table's own
    array of tables (``[[failures.fields]]``)."""
    lines: list[str] = []
    for key, value in doc.items():
        if isinstance(value, dict):
            lines.append(f"[{key}]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in value.items() if not isinstance(v, list))
            for k, entries in value.items():
                if isinstance(entries, list):
                    for entry in entries:
                        lines.append(f"[[{key}.{k}]]")
                        lines.extend(f"{ek} = {_toml_value(ev)}" for ek, ev in entry.items())
        elif isinstance(value, list):
            for entry in value:
                lines.append(f"[[{key}]]")
                lines.extend(f"{k} = {_toml_value(v)}" for k, v in entry.items())
        lines.append("")
    return "\n".join(lines)


def write_map(tmp_path: Path, doc: dict) -> Path:
    path = tmp_path / "map.toml"
    path.write_text(dump_map(doc), "utf-8")
    return path


def field(doc: dict, name: str) -> dict:
    return next(f for f in doc["fields"] if f["name"] == name)


def batch(**overrides) -> SlotBatch:
    values = dict(
        batch_no=3,
        mo_reference="WH/MO/00042",
        bom_code="LAYER-25",
        finished_goods="Layer feed 25 kg",
        planned_quantity=1000.0,
        components=(ComponentDose(101, 250.0), ComponentDose(104, 12.34), ComponentDose(115, 0.5)),
    )
    values.update(overrides)
    return SlotBatch(**values)


# ----------------------------------------------------------------------------- default map


def test_default_map_is_the_old_layout(register_map: RegisterMap) -> None:
    assert register_map.slot_count == 10
    assert register_map.max_components == 15
    assert register_map.write_handshake_address == 7076
    assert register_map.max_read_registers == 125
    assert register_map.max_write_registers == 123
    assert [register_map.write_slot_address(s) for s in (1, 2, 10)] == [7000, 7100, 7900]
    assert [register_map.read_slot_address(s) for s in (1, 2, 10)] == [6000, 6100, 6900]
    assert register_map.read_ack_address(1) == 6076
    assert register_map.read_ack_address(10) == 6976
    assert register_map.field_address("write", 2, "planned_quantity") == 7125
    assert register_map.field_address("read", 1, "finished_weight") == 6074
    assert register_map.components.silo_at(14) == 27 + 3 * 14
    assert register_map.components.quantity_at(0) == 28
    assert register_map.field_address("write", 1, "batch_number") == 7077
    assert register_map.field_address("read", 10, "batch_number") == 6977
    # A slot's words are offsets 0..77; slot 1 is written around word 76, the handshake.
    assert len(register_map.encode_slot(None)) == 78
    assert [(a, len(w)) for a, w in register_map.write_slot_requests(1, [0] * 78)] == [(7000, 76), (7077, 1)]
    assert [(a, len(w)) for a, w in register_map.write_slot_requests(2, [0] * 78)] == [(7100, 78)]
    with pytest.raises(ValueError, match="slot 11 does not exist"):
        register_map.write_slot_address(11)
    with pytest.raises(ValueError, match="slot 0 does not exist"):
        register_map.read_ack_address(0)


def test_request_plans_are_the_protocol_minimum(register_map: RegisterMap) -> None:
    reads = register_map.read_area_requests()
    # 6000..6977 is 978 words: ceil(978 / 125) = 8 requests.
    assert len(reads) == 8
    assert reads[0] == (6000, 125)
    assert all(count <= 125 for _, count in reads)
    covered = {a + i for a, c in reads for i in range(c)}
    for slot in range(1, 11):
        start = register_map.read_slot_address(slot)
        assert set(range(start, start + 78)) <= covered
    writes = register_map.write_area_requests()
    assert len(writes) == 8
    covered = {a + i for a, c in writes for i in range(c)}
    for slot in range(1, 11):
        start = register_map.write_slot_address(slot)
        assert set(range(start, start + 76)) <= covered


def test_plan_requests_coalesces_gaps_and_splits_at_the_limit() -> None:
    assert plan_requests([(0, 10), (50, 10)], 125) == [(0, 60)]
    assert plan_requests([(0, 10), (200, 5)], 125) == [(0, 10), (200, 5)]
    assert plan_requests([(0, 300)], 125) == [(0, 125), (125, 125), (250, 50)]
    assert plan_requests([(100, 5), (0, 5)], 125) == [(0, 105)]
    assert plan_requests([], 125) == []


# ----------------------------------------------------------------------------- codecs

ROUND_TRIPS = [
    (ValueType("uint16"), [0, 1, 12345, 0xFFFF]),
    (ValueType("int16"), [-0x8000, -1, 0, 1, 0x7FFF]),
    (ValueType("uint32", word_order="big"), [0, 1, 0x10000, 123456789, 0xFFFFFFFF]),
    (ValueType("uint32", word_order="little"), [0, 1, 0x10000, 123456789, 0xFFFFFFFF]),
    (ValueType("int32", word_order="big"), [-0x80000000, -123456, -1, 0, 70000, 0x7FFFFFFF]),
    (ValueType("int32", word_order="little"), [-0x80000000, -123456, -1, 0, 70000, 0x7FFFFFFF]),
    (ValueType("float32", word_order="big"), [0.0, 1.5, -2.25, 1000.125, 3.0e38]),
    (ValueType("float32", word_order="little"), [0.0, 1.5, -2.25, 1000.125, 3.0e38]),
    (ValueType("scaled_uint16", scale=100), [0.0, 0.01, 655.35]),
    (ValueType("scaled_int16", scale=10), [-3276.8, -0.1, 0.0, 3276.7]),
    (ValueType("scaled_uint32", scale=100, word_order="big"), [0.0, 251.37, 42949672.95]),
    (ValueType("scaled_uint32", scale=100, word_order="little"), [0.0, 251.37, 42949672.95]),
    (ValueType("scaled_int32", scale=100, word_order="big"), [-21474836.48, -0.01, 0.0, 998.2, 21474836.47]),
    (ValueType("scaled_int32", scale=1000, word_order="little"), [-1.234, 0.0, 2147483.647]),
    (ValueType("ascii", length=16), ["", "A", "WH/MO/00042", "0123456789ABCDEF"]),
    (ValueType("ascii", length=5), ["", "ABCDE", "AB"]),
]


@pytest.mark.parametrize(("vtype", "values"), ROUND_TRIPS, ids=lambda x: getattr(x, "name", None) and f"{x.name}-{x.word_order}")
def test_every_type_round_trips(vtype: ValueType, values: list) -> None:
    for value in values:
        words = vtype.encode(value, "test")
        assert len(words) == vtype.words
        assert all(0 <= w <= 0xFFFF for w in words)
        decoded = vtype.decode(words)
        if isinstance(value, float):
            assert decoded == pytest.approx(value, rel=1e-7, abs=1e-9)
        else:
            assert decoded == value


def test_wire_encodings_are_exact() -> None:
    # The old "REAL": integer x 100, high word first.
    assert ValueType("scaled_int32", scale=100).encode(1000.0, "t") == [0x0001, 0x86A0]
    assert ValueType("scaled_int32", scale=100, word_order="little").encode(1000.0, "t") == [0x86A0, 0x0001]
    assert ValueType("int16").encode(-1, "t") == [0xFFFF]
    assert ValueType("float32").encode(1.0, "t") == [0x3F80, 0x0000]
    assert ValueType("float32", word_order="little").encode(1.0, "t") == [0x0000, 0x3F80]
    # Two characters a word, the first in the high byte, NUL padded.
    assert ValueType("ascii", length=6).encode("ABC", "t") == [0x4142, 0x4300, 0x0000]
    assert ValueType("ascii", length=5).words == 3


@pytest.mark.parametrize(
    ("vtype", "value", "message"),
    [
        (ValueType("uint16"), 65536, "does not fit uint16"),
        (ValueType("uint16"), -1, "does not fit uint16"),
        (ValueType("int16"), 40000, "does not fit int16"),
        (ValueType("uint16"), 1.5, "not a whole number"),
        (ValueType("scaled_int32", scale=100), 21474836.48, "does not fit scaled_int32"),
        (ValueType("scaled_uint16", scale=100), 655.36, "does not fit scaled_uint16"),
        (ValueType("float32"), math.nan, "not a finite number"),
        (ValueType("scaled_int32"), math.inf, "not a finite number"),
        (ValueType("uint16"), "12", "not a number"),
        (ValueType("uint16"), True, "not a number"),
        (ValueType("ascii", length=4), "ABCDE", "longer than 4"),
        (ValueType("ascii", length=8), "Pâtée", "not printable ASCII"),
        (ValueType("ascii", length=8), 12, "not text"),
    ],
)
def test_values_that_do_not_fit_are_refused(vtype: ValueType, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        vtype.encode(value, "the field")


def test_lenient_text_is_transliterated_and_cut() -> None:
    vtype = ValueType("ascii", length=8, strict=False)
    assert vtype.decode(vtype.encode("Pâtée für Hühner", "t")) == "Patee fu"
    assert vtype.decode(vtype.encode("Feed→A", "t")) == "Feed?A"


# ----------------------------------------------------------------------------- slots


def test_slot_round_trips(register_map: RegisterMap) -> None:
    original = batch()
    words = register_map.encode_slot(original)
    assert register_map.decode_write_slot(4, words) == original
    reading = register_map.decode_read_slot(4, words + [0])
    assert reading.slot == 4
    assert reading.batch_no == 3
    assert reading.mo_reference == "WH/MO/00042"
    assert reading.components == original.components
    assert reading.problems == ()
    assert not reading.is_empty


def test_slot_with_every_component_round_trips(register_map: RegisterMap) -> None:
    comps = tuple(ComponentDose(101 + k, 10.0 * k + 0.25) for k in range(15))
    original = batch(components=comps)
    words = register_map.encode_slot(original)
    assert register_map.decode_write_slot(1, words) == original


def test_slot_words_follow_the_documented_layout(register_map: RegisterMap) -> None:
    words = register_map.encode_slot(batch())
    assert words[0] == 3
    assert words[1:7] == [0x5748, 0x2F4D, 0x4F2F, 0x3030, 0x3034, 0x3200]  # "WH/MO/00042"
    assert words[25:27] == [0x0001, 0x86A0]  # 1000.00
    assert words[27] == 101 and words[28:30] == [0, 25000]
    assert words[30] == 104 and words[31:33] == [0, 1234]
    assert words[33] == 115 and words[34:36] == [0, 50]
    assert words[36:72] == [0] * 36  # unused components are zeros
    assert words[72:76] == [0, 0, 0, 0]  # status words and finished weight: the PLC's


def test_empty_slot_is_zeros(register_map: RegisterMap) -> None:
    words = register_map.encode_slot(None)
    assert words == [0] * 78
    assert register_map.decode_write_slot(1, words) is None
    assert register_map.decode_read_slot(1, words).is_empty


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"components": tuple(ComponentDose(1 + k, 1.0) for k in range(16))}, "16 components.*room for 15"),
        ({"batch_no": 0}, "batch_no must be a whole number >= 1"),
        ({"batch_no": 70000}, "batch_no.*does not fit uint16"),
        ({"planned_quantity": -1.0}, "planned_quantity -1.0 is negative"),
        ({"planned_quantity": 30_000_000.0}, "planned_quantity.*does not fit"),
        ({"mo_reference": ""}, "mo_reference is empty"),
        ({"mo_reference": "WH/MO/000000000042"}, "mo_reference.*longer than 16"),
        ({"mo_reference": "WH/MØ/1"}, "mo_reference.*not printable ASCII"),
        ({"components": (ComponentDose(0, 1.0),)}, "component 1 .*silo id must be"),
        ({"components": (ComponentDose(70000, 1.0),)}, "component 1 .*silo id.*does not fit"),
        ({"components": (ComponentDose(101, 1.0), ComponentDose(101, 2.0))}, "component 2 .*silo appears twice"),
        ({"components": (ComponentDose(101, -5.0),)}, "component 1 .*negative"),
        ({"components": (ComponentDose(101, math.nan),)}, "component 1 .*not a finite number"),
    ],
)
def test_batches_that_do_not_fit_are_refused(register_map: RegisterMap, overrides: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        register_map.encode_slot(batch(**overrides))


def test_lenient_text_fields_are_transliterated(register_map: RegisterMap) -> None:
    words = register_map.encode_slot(batch(finished_goods="Pâtée pondeuse 25 kg premium"))
    assert register_map.decode_write_slot(1, words).finished_goods == "Patee pondeuse 2"


def test_too_few_words_are_refused(register_map: RegisterMap) -> None:
    with pytest.raises(ValueError, match="read slot 2: 10 words given, the map needs 78"):
        register_map.decode_read_slot(2, [0] * 10)
    with pytest.raises(ValueError, match="write slot 2: 75 words given, the map needs 78"):
        register_map.decode_write_slot(2, [0] * 75)


# ----------------------------------------------------------------------------- plausibility


def _finished_words(register_map: RegisterMap) -> list[int]:
    words = register_map.encode_slot(batch()) + [0]
    words[72] = 1
    words[74:76] = [0x0001, 0x8606]  # 0x18606 = 99846 -> 998.46
    return words


def test_plausible_reading_has_no_problems(register_map: RegisterMap) -> None:
    reading = register_map.decode_read_slot(1, _finished_words(register_map))
    assert reading.problems == ()
    assert reading.status_manufacturing == 1
    assert reading.finished_weight == pytest.approx(998.46)


def test_sentinel_in_a_component_is_named(register_map: RegisterMap) -> None:
    words = _finished_words(register_map)
    words[31:33] = [0x0000, 0xFFFF]  # the old 655.35 symptom, component 2 (silo 104)
    reading = register_map.decode_read_slot(5, words)
    assert len(reading.problems) == 1
    problem = reading.problems[0]
    assert "slot 5" in problem and "component 2" in problem and "silo 104" in problem
    assert "[0x0000, 0xFFFF]" in problem and "0xFFFF" in problem
    assert math.isnan(reading.components[1].quantity)
    assert reading.components[0].quantity == 250.0


def test_implausible_weight_and_status_are_named(register_map: RegisterMap) -> None:
    words = _finished_words(register_map)
    words[74:76] = [0xFFFF, 0xFFFF]  # -0.01 as int32 and a sentinel
    words[73] = 7
    reading = register_map.decode_read_slot(2, words)
    assert reading.finished_weight is None
    text = " | ".join(reading.problems)
    assert "read slot 2 finished_weight: raw [0xFFFF, 0xFFFF]" in text
    assert "read slot 2 status_operation: raw [0x0007]: status 7 is neither 0 nor 1" in text


def test_negative_and_extreme_values_are_problems(register_map: RegisterMap) -> None:
    words = _finished_words(register_map)
    words[25:27] = [0x8000, 0x0000]  # int32 minimum
    words[28:30] = [0xFFFE, 0x0000]  # negative consumption
    words[31:33] = [0x7FFF, 0xFFFF]  # int32 maximum (also a 0xFFFF word)
    reading = register_map.decode_read_slot(1, words)
    assert reading.planned_quantity is None
    text = " | ".join(reading.problems)
    assert "planned_quantity: raw [0x8000, 0x0000]: 0x80000000 sentinel value" in text
    assert "component 1 (silo 101) quantity: raw [0xFFFE, 0x0000]: negative value" in text
    assert "component 2 (silo 104) quantity" in text


def test_nan_float_is_a_problem(tmp_path: Path) -> None:
    doc = default_doc()
    doc["components"]["quantity_type"] = "float32"
    del doc["components"]["quantity_scale"]
    rmap = load_register_map(write_map(tmp_path, doc))
    words = rmap.encode_slot(batch()) + [0]
    words[28:30] = [0x7FC0, 0x0000]  # NaN
    reading = rmap.decode_read_slot(1, words)
    assert any("component 1 (silo 101) quantity: raw [0x7FC0, 0x0000]: nan is not a finite number" in p for p in reading.problems)
    back = rmap.decode_write_slot(1, rmap.encode_slot(batch()))
    assert [c.quantity for c in back.components] == pytest.approx([250.0, 12.34, 0.5], rel=1e-6)


def test_empty_read_slot_reports_no_problems(register_map: RegisterMap) -> None:
    words = [0] * 78
    words[74:76] = [0xFFFF, 0xFFFF]
    assert register_map.decode_read_slot(1, words).problems == ()


def test_custom_map_with_little_word_order_round_trips(tmp_path: Path) -> None:
    doc = default_doc()
    field(doc, "planned_quantity")["word_order"] = "little"
    field(doc, "planned_quantity")["type"] = "scaled_uint32"
    field(doc, "planned_quantity")["scale"] = 1000
    doc["components"]["quantity_word_order"] = "little"
    rmap = load_register_map(write_map(tmp_path, doc))
    words = rmap.encode_slot(batch(planned_quantity=1234.567))
    assert words[25:27] == [0xD687, 0x0012]  # 1234567 = 0x0012D687, low word first
    assert rmap.decode_write_slot(1, words) == batch(planned_quantity=1234.567)


# ----------------------------------------------------------------------------- bad maps


def _mutate(doc: dict, change: str) -> None:
    if change == "overlap":
        field(doc, "bom_code")["offset"] = 5
    elif change == "overrun":
        field(doc, "status_read_data")["offset"] = 100
    elif change == "unknown_type":
        field(doc, "planned_quantity")["type"] = "real"
    elif change == "bad_word_order":
        field(doc, "finished_weight")["word_order"] = "middle"
    elif change == "components_overrun":
        doc["components"]["count"] = 25
    elif change == "components_overlap_field":
        doc["components"]["count"] = 16
    elif change == "handshake_inside":
        doc["handshakes"]["write"] = 7125
    elif change == "handshake_in_read_area":
        doc["handshakes"]["write"] = 6301
    elif change == "areas_overlap":
        doc["areas"]["read_start"] = 7500
    elif change == "stride_too_small":
        doc["areas"]["slot_stride"] = 60
    elif change == "unknown_field":
        doc["fields"].append({"name": "batch_colour", "offset": 80, "type": "uint16"})
    elif change == "missing_field":
        doc["fields"] = [f for f in doc["fields"] if f["name"] != "mo_reference"]
    elif change == "duplicate_field":
        doc["fields"].append({"name": "batch_no", "offset": 80, "type": "uint16"})
    elif change == "words_mismatch":
        field(doc, "finished_weight")["words"] = 1
    elif change == "text_as_number":
        field(doc, "mo_reference").update(type="uint16")
        del field(doc, "mo_reference")["length"]
    elif change == "bad_component_type":
        doc["components"]["silo_type"] = "ascii"
    elif change == "component_stride":
        doc["components"]["stride"] = 2
    elif change == "beyond_address_space":
        doc["areas"]["write_start"] = 65000
    elif change == "bad_area":
        field(doc, "status_read_data")["area"] = "elsewhere"
    elif change == "negative_offset":
        field(doc, "batch_no")["offset"] = -1
    elif change == "missing_areas":
        del doc["areas"]
    else:
        raise AssertionError(change)


BAD_MAPS = [
    ("overlap", r"\[fields #3 'bom_code'\] offsets 5\.\.12 overlap field 'mo_reference'"),
    ("overrun", r"\[fields #9 'status_read_data'\] offset 100 \+ 1 word\(s\) overruns the slot stride 100"),
    ("unknown_type", r"\[fields #5 'planned_quantity'\] unknown type 'real'"),
    ("bad_word_order", r"\[fields #8 'finished_weight'\] bad word_order 'middle'"),
    ("components_overrun", r"\[components\] 25 components from offset 27 end at 102, overrunning the slot stride 100"),
    ("components_overlap_field", r"overlap.*components|components.*overlap"),
    ("handshake_inside", r"\[handshakes\] write = 7125 lies inside write slot 2 \(offset 25, field 'planned_quantity'\)"),
    ("handshake_in_read_area", r"\[handshakes\] write = 6301 lies inside read slot 4"),
    ("areas_overlap", r"\[areas\] write area 7000\.\.7977 overlaps read area 7500\.\.8477"),
    ("stride_too_small", r"overruns the slot stride 60"),
    ("unknown_field", r"\[fields #11 'batch_colour'\] unknown field name"),
    ("missing_field", r"\[fields\] field 'mo_reference' is missing from the write area"),
    ("duplicate_field", r"\[fields #11 'batch_no'\] field defined twice"),
    ("words_mismatch", r"\[fields #8 'finished_weight'\] 'words' = 1 but scaled_int32 takes 2"),
    ("text_as_number", r"\[fields #2 'mo_reference'\] mo_reference is text"),
    ("bad_component_type", r"\[components\] silo_type cannot be ascii"),
    ("component_stride", r"\[components\] one component needs 3 words, stride is 2"),
    ("beyond_address_space", r"\[areas\] write area ends at 65977"),
    ("bad_area", r"\[fields #9 'status_read_data'\] bad area 'elsewhere'"),
    ("negative_offset", r"\[fields #1 'batch_no'\] 'offset' must be >= 0"),
    ("missing_areas", r"\[areas\] table is missing"),
]


@pytest.mark.parametrize(("change", "message"), BAD_MAPS, ids=[c for c, _ in BAD_MAPS])
def test_bad_maps_are_refused_naming_the_entry(tmp_path: Path, change: str, message: str) -> None:
    doc = default_doc()
    _mutate(doc, change)
    path = write_map(tmp_path, doc)
    with pytest.raises(RegisterMapError, match=message) as info:
        load_register_map(path)
    assert str(path) in str(info.value)


def test_unreadable_and_invalid_files_are_refused(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(RegisterMapError, match="nope.toml: cannot read the register map"):
        load_register_map(missing)
    broken = tmp_path / "broken.toml"
    broken.write_text("[areas\nslot_count = ", "utf-8")
    with pytest.raises(RegisterMapError, match="broken.toml: not valid TOML"):
        load_register_map(broken)


def test_dumped_default_map_loads_the_same(tmp_path: Path, register_map: RegisterMap) -> None:
    rmap = load_register_map(write_map(tmp_path, default_doc()))
    assert rmap.read_area_requests() == register_map.read_area_requests()
    assert rmap.encode_slot(batch()) == register_map.encode_slot(batch())


def test_as_written_is_what_a_read_back_returns(register_map: RegisterMap) -> None:
    original = batch(planned_quantity=1000.125, finished_goods="Pâtée pondeuse 25 kg premium",
                     components=(ComponentDose(101, 250.004),))
    written = register_map.as_written(original)
    assert written != original
    assert written == register_map.decode_write_slot(7, register_map.encode_slot(original))
    assert written.planned_quantity == 1000.12 or written.planned_quantity == 1000.13
    assert written.components == (ComponentDose(101, 250.0),)
    assert written.finished_goods == "Patee pondeuse 2"
    assert register_map.as_written(None) is None
