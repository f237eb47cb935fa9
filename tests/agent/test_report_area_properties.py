"""Property-based tests of the report areas: whatever words a PLC leaves in the failure or
weighing area, decoding and building the queue row never raise (a bad word must never stop
the area), every bad field is named with its raw words, and BCD round-trips."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from plc_agent.queue.models import DeliveryState
from plc_agent.queue.failure import PlcFailure
from plc_agent.plc.register_map import ValueType, load_register_map
from plc_agent.queue.weighing import ManualWeighing

RMAP = load_register_map()
NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=timezone.utc)
WORD = st.integers(min_value=0, max_value=0xFFFF)
EDGE_WORD = st.sampled_from([0, 1, 0x0009, 0x0012, 0x0013, 0x0031, 0x0059, 0x0060, 0x2026, 0x7F,
                             0x8000, 0xC3A9, 0xFFFF])


def words_of(area) -> st.SearchStrategy[list[int]]:
    return st.lists(st.one_of(WORD, EDGE_WORD), min_size=area.extent, max_size=area.extent)


@settings(max_examples=300, deadline=None)
@given(words_of(RMAP.failure_area), st.sampled_from(["UTC", "Europe/Paris", "America/Santiago"]))
def test_any_failure_words_make_a_row_that_can_be_sent(words, zone):
    reading = RMAP.failure_area.decode(words)
    assert all("raw [" in p for p in reading.problems)
    failure = PlcFailure.from_reading(reading, "FM1", ZoneInfo(zone), NOW)
    assert failure.state is DeliveryState.UNSENT  # a failure is always forwarded
    assert failure.equipment and failure.info and failure.occurred_at.tzinfo is not None
    assert all(0x20 <= ord(c) <= 0x7E for c in failure.equipment + failure.info)
    assert failure.raw_words == list(reading.raw_words)
    assert failure.payload()["failure_key"] == failure.failure_key


@settings(max_examples=300, deadline=None)
@given(words_of(RMAP.weighing_area))
def test_any_weighing_words_make_a_row_sent_only_when_its_numbers_are_sound(words):
    reading = RMAP.weighing_area.decode(words)
    weighing = ManualWeighing.from_reading(reading, "FM1", NOW)
    numbers = (weighing.batch_number, weighing.product_template_id, weighing.quantity)
    if weighing.state is DeliveryState.INVALID:
        assert None in numbers and weighing.reason.startswith("not sent to Odoo")
    else:
        assert None not in numbers and weighing.quantity >= 0
    assert all(0x20 <= ord(c) <= 0x7E for c in weighing.mo_name)


@given(st.integers(min_value=0, max_value=9999))
def test_bcd_round_trips(value):
    bcd = ValueType("bcd16")
    assert bcd.decode(bcd.encode(value, "v")) == value
    assert f"{bcd.encode(value, 'v')[0]:04X}" == f"{value:04d}"
