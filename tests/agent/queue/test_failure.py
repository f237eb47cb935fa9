"""A failure report's queue row (``plc_agent.queue.failure``): the PLC clock in its zone to UTC,
bad words forwarded with what was replaced named, and any words make a row that can be sent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from plc_agent.plc.register_map import load_register_map
from plc_agent.queue.failure import PlcFailure, failure_key, plc_clock_to_utc
from plc_agent.queue.models import DeliveryState

from ..helpers import words_of

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


PARIS = ZoneInfo("Europe/Paris")


def test_plc_clock_in_its_zone_is_reported_in_utc():
    area = load_register_map().failure_area
    reading = area.decode(area.encode({"equipment": "silo101", "info": "START_FAILURE", "year": 2026,
                                       "month": 7, "day": 1, "hour": 8, "minute": 0, "second": 5}))
    assert plc_clock_to_utc(reading, PARIS) == (datetime(2026, 7, 1, 6, 0, 5, tzinfo=UTC), None)
    assert plc_clock_to_utc(reading, ZoneInfo("UTC"))[0] == datetime(2026, 7, 1, 8, 0, 5, tzinfo=UTC)
    failure = PlcFailure.from_reading(reading, "FM1", PARIS, NOW)
    assert failure.failure_key == "FM1/silo101/START_FAILURE/20260701T060005Z"
    assert failure.payload() == {"line": "FM1", "failure_key": failure.failure_key, "equipment": "silo101",
                                 "info": "START_FAILURE", "occurred_at": "2026-07-01T06:00:05+00:00"}
    assert failure.problem is None and failure.state is DeliveryState.UNSENT


def _clock_reading(year: int, month: int, day: int, hour: int, minute: int, second: int):
    area = load_register_map().failure_area
    return area.decode(area.encode({"equipment": "silo101", "info": "START_FAILURE", "year": year,
                                    "month": month, "day": day, "hour": hour, "minute": minute,
                                    "second": second}))


def test_plc_clock_around_the_changes_of_the_clocks_takes_the_offset_before_the_change():
    # Clocks go forward on 29 March 2026 at 02:00 (UTC+1 -> UTC+2): 02:00-02:59 do not exist.
    gap = _clock_reading(2026, 3, 29, 2, 30, 0)
    assert plc_clock_to_utc(gap, PARIS) == (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), None)
    # 02:00-02:59 are read as 03:00-03:59 summer time, the moments the clock would have shown.
    before = plc_clock_to_utc(_clock_reading(2026, 3, 29, 1, 59, 59), PARIS)[0]
    after = plc_clock_to_utc(_clock_reading(2026, 3, 29, 3, 0, 0), PARIS)[0]
    assert before == datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC)
    assert after == datetime(2026, 3, 29, 1, 0, 0, tzinfo=UTC)
    assert plc_clock_to_utc(_clock_reading(2026, 3, 29, 2, 0, 0), PARIS)[0] == after
    assert plc_clock_to_utc(_clock_reading(2026, 3, 29, 3, 30, 0), PARIS)[0] == datetime(
        2026, 3, 29, 1, 30, tzinfo=UTC)
    # Clocks go back on 25 October 2026 at 03:00 (UTC+2 -> UTC+1): 02:30 comes twice; the first.
    repeated = _clock_reading(2026, 10, 25, 2, 30, 0)
    assert plc_clock_to_utc(repeated, PARIS) == (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), None)
    # A failure in the gap is an ordinary failure: sent, its key from that moment, nothing replaced.
    failure = PlcFailure.from_reading(gap, "FM1", PARIS, NOW)
    assert failure.problem is None and failure.state is DeliveryState.UNSENT
    assert failure.occurred_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert failure.failure_key == "FM1/silo101/START_FAILURE/20260329T013000Z"


def _failure_words(**changes: int) -> list[int]:
    area = load_register_map().failure_area
    words = area.encode({"equipment": "silo101", "info": "START_FAILURE", "year": 2026, "month": 11,
                         "day": 28, "hour": 7, "minute": 1, "second": 2})
    for offset, word in changes.items():
        words[int(offset.removeprefix("w"))] = word
    return words


def test_failure_with_month_13_is_sent_with_the_read_time():
    area = load_register_map().failure_area
    reading = area.decode(_failure_words(w17=0x0013))
    assert reading.problems == ()  # each word is good BCD; together they are no date
    failure = PlcFailure.from_reading(reading, "FM1", PARIS, NOW)
    assert failure.occurred_at == NOW
    assert "2026-13-28 07:01:02 are not a date and time" in failure.problem
    assert "sent with the time the agent read it" in failure.problem
    assert failure.raw_words[17] == 0x0013 and failure.state is DeliveryState.UNSENT
    assert failure.failure_key == failure_key("FM1", "silo101", "START_FAILURE", NOW)


def test_failure_with_ffff_and_non_ascii_words():
    area = load_register_map().failure_area
    reading = area.decode(_failure_words(w0=0xFFFF, w8=0xC9C9, w19=0xFFFF))
    assert [p.split(":")[0] for p in reading.problems] == [
        "failures equipment (word 8000)", "failures info (word 8008)", "failures hour (word 8019)"]
    assert "raw [0xFFFF, 0x6C6F" in reading.problems[0]
    failure = PlcFailure.from_reading(reading, "FM1", PARIS, NOW)
    assert (failure.equipment, failure.info) == ("??lo101", "??ART_FAILURE")
    assert failure.occurred_at == NOW and failure.state is DeliveryState.UNSENT
    assert failure.raw_words[0] == 0xFFFF and failure.raw_words[8] == 0xC9C9


def test_failure_with_no_readable_text_is_named_by_a_question_mark():
    area = load_register_map().failure_area
    words = _failure_words()
    words[0:16] = [0] * 8 + [0x0100] + [0] * 7  # nothing, and one control byte
    failure = PlcFailure.from_reading(area.decode(words), "FM1", PARIS, NOW)
    assert failure.equipment == "?" and failure.info == "?"


RMAP = load_register_map()


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
