"""Property-based tests of the read-area decoder: whatever words a PLC leaves in a read slot,
decoding gives a reading (with its problems named) and never another exception; a reading
without problems holds only values the agent may report."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plc_agent.plc.register_map import load_register_map

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
