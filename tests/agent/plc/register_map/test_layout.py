"""The slot layout (``plc_agent.plc.register_map.layout``): slots encode and decode field by field,
request plans are the protocol minimum, a read slot's bad words are named, and whatever words a
PLC leaves in a read slot decode to a reading or named problems, never another exception."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plc_agent.plc.register_map import (
    ComponentDose,
    RegisterMap,
    SlotBatch,
    load_register_map,
    plan_requests,
)

from ...helpers import default_doc, map_field, write_map


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
    assert any(
        "component 1 (silo 101) quantity: raw [0x7FC0, 0x0000]: nan is not a finite number" in p
        for p in reading.problems
    )
    back = rmap.decode_write_slot(1, rmap.encode_slot(batch()))
    assert [c.quantity for c in back.components] == pytest.approx([250.0, 12.34, 0.5], rel=1e-6)


def test_empty_read_slot_reports_no_problems(register_map: RegisterMap) -> None:
    words = [0] * 78
    words[74:76] = [0xFFFF, 0xFFFF]
    assert register_map.decode_read_slot(1, words).problems == ()


def test_custom_map_with_little_word_order_round_trips(tmp_path: Path) -> None:
    doc = default_doc()
    map_field(doc, "planned_quantity")["word_order"] = "little"
    map_field(doc, "planned_quantity")["type"] = "scaled_uint32"
    map_field(doc, "planned_quantity")["scale"] = 1000
    doc["components"]["quantity_word_order"] = "little"
    rmap = load_register_map(write_map(tmp_path, doc))
    words = rmap.encode_slot(batch(planned_quantity=1234.567))
    assert words[25:27] == [0xD687, 0x0012]  # 1234567 = 0x0012D687, low word first
    assert rmap.decode_write_slot(1, words) == batch(planned_quantity=1234.567)


# ----------------------------------------------------------------------------- bad maps


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


RMAP = load_register_map()


WORD = st.integers(min_value=0, max_value=0xFFFF)


# Plain random words, and words biased toward the values that break decoders.
EDGE_WORD = st.sampled_from([0, 1, 2, 0x20, 0x7E, 0x7F, 0x80, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF])


SLOT_WORDS = st.lists(st.one_of(WORD, EDGE_WORD), min_size=RMAP.read_extent, max_size=RMAP.read_extent)


SLOT = st.integers(min_value=1, max_value=RMAP.slot_count)


def _decodes_to_a_reading_or_named_problems(slot: int, words: list[int]) -> None:
    reading = RMAP.decode_read_slot(slot, words)
    assert reading.slot == slot
    for problem in reading.problems:
        assert problem.startswith(f"read slot {slot}") and "raw [" in problem
    if reading.is_empty or reading.problems:
        return
    assert reading.status_manufacturing in (0, 1) and reading.status_operation in (0, 1)
    assert reading.status_read_data in (0, 1)
    assert all(0x20 <= ord(c) <= 0x7E for c in reading.mo_reference)
    for dose in reading.components:
        assert 1 <= dose.silo_id <= 0xFFFE
        assert math.isfinite(dose.quantity) and dose.quantity >= 0
    for value in (reading.finished_weight, reading.planned_quantity):
        assert value is not None and math.isfinite(value) and value >= 0


@settings(max_examples=400, deadline=None)
@given(slot=SLOT, words=SLOT_WORDS)
def test_any_words_decode_to_a_reading_or_named_problems(slot, words):
    _decodes_to_a_reading_or_named_problems(slot, words)


@st.composite
def plausible_slot_words(draw) -> list[int]:
    """A read slot as a PLC keeping to the register map would leave it."""
    fields = RMAP.read_fields
    words = [0] * RMAP.read_extent

    def put(name: str, value: object) -> None:
        spec = fields[name]
        words[spec.offset:spec.end] = spec.type.encode(value, name)

    text = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=16)
    quantity = st.floats(min_value=0, max_value=20_000_000, allow_nan=False).map(lambda q: round(q, 2))
    put("batch_no", draw(st.integers(min_value=1, max_value=0xFFFE)))
    put("mo_reference", draw(text))
    put("bom_code", draw(text))
    put("finished_goods", draw(text))
    put("planned_quantity", draw(quantity))
    put("finished_weight", draw(quantity))
    put("status_manufacturing", draw(st.integers(0, 1)))
    put("status_operation", draw(st.integers(0, 1)))
    put("status_read_data", draw(st.integers(0, 1)))
    comps = RMAP.components
    for k in range(draw(st.integers(min_value=0, max_value=comps.count))):
        words[comps.silo_at(k):comps.silo_at(k) + comps.silo_type.words] = comps.silo_type.encode(101 + k, "silo")
        q_at = comps.quantity_at(k)
        words[q_at:q_at + comps.quantity_type.words] = comps.quantity_type.encode(draw(quantity), "quantity")
    return words


@settings(max_examples=300, deadline=None)
@given(slot=SLOT, words=plausible_slot_words(),
       corrupt=st.lists(st.tuples(st.integers(0, RMAP.read_extent - 1), st.one_of(WORD, EDGE_WORD)), max_size=3))
def test_a_plausible_slot_with_some_words_broken(slot, words, corrupt):
    clean = RMAP.decode_read_slot(slot, words)
    # A sentinel can be a real value's low word (655.35 kg): then the clean slot is held too.
    if not any(w == 0xFFFF for w in words):
        assert clean.problems == ()
    for index, word in corrupt:
        words[index] = word
    _decodes_to_a_reading_or_named_problems(slot, words)


@settings(max_examples=200, deadline=None)
@given(slot=SLOT, words=st.lists(WORD, max_size=RMAP.read_extent - 1))
def test_too_few_words_are_refused_by_name(slot, words):
    with pytest.raises(ValueError, match=f"read slot {slot}: {len(words)} words given"):
        RMAP.decode_read_slot(slot, words)


@settings(max_examples=200, deadline=None)
@given(slot=st.one_of(st.integers(max_value=0), st.integers(min_value=RMAP.slot_count + 1)),
       words=SLOT_WORDS)
def test_a_slot_that_does_not_exist_is_refused(slot, words):
    with pytest.raises(ValueError, match="does not exist"):
        RMAP.decode_read_slot(slot, words)
