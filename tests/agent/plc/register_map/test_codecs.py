"""The value codecs (``plc_agent.plc.register_map.codecs``): every type round-trips, the wire
encodings are exact, what does not fit is refused, BCD.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plc_agent.plc.register_map import (
    ValueType,
)

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


@pytest.mark.parametrize(
    ("vtype", "values"),
    ROUND_TRIPS,
    ids=lambda x: getattr(x, "name", None) and f"{x.name}-{x.word_order}",
)
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


BCD = ValueType("bcd16")


@pytest.mark.parametrize("value, word", [(0, 0x0000), (9, 0x0009), (13, 0x0013), (59, 0x0059),
                                         (2026, 0x2026), (9999, 0x9999)])
def test_bcd_round_trip(value, word):
    assert BCD.encode(value, "year") == [word]
    assert BCD.decode([word]) == value
    assert BCD.implausible([word]) is None


@pytest.mark.parametrize("word, why", [(0xFFFF, "0xFFFF sentinel word"),
                                       (0x201A, "0x201A is not BCD (a digit above 9)"),
                                       (0xA000, "0xA000 is not BCD (a digit above 9)")])
def test_bcd_bad_words(word, why):
    assert BCD.decode([word]) is None or word == 0xFFFF
    assert BCD.implausible([word]) == why


@pytest.mark.parametrize("value", [-1, 10000, 2.5, float("nan")])
def test_bcd_refuses_what_does_not_fit(value):
    with pytest.raises(ValueError, match="year"):
        BCD.encode(value, "year")


@given(st.integers(min_value=0, max_value=9999))
def test_bcd_round_trips(value):
    bcd = ValueType("bcd16")
    assert bcd.decode(bcd.encode(value, "v")) == value
    assert f"{bcd.encode(value, 'v')[0]:04X}" == f"{value:04d}"
