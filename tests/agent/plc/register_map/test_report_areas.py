"""BCD, the failure and manual-weighing areas of the register map, and their bad words."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from plc_agent.queue.failure import PlcFailure, failure_key, plc_clock_to_utc
from plc_agent.queue.models import DeliveryState
from plc_agent.plc.register_map import RegisterMapError, ValueType, load_register_map
from plc_agent.queue.weighing import ManualWeighing

from .test_register_map import default_doc, write_map

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=timezone.utc)
PARIS = ZoneInfo("Europe/Paris")
BCD = ValueType("bcd16")


# ----------------------------------------------------------------------------- BCD


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


# ----------------------------------------------------------------------------- the areas


def test_default_map_has_both_areas_at_the_old_words():
    rmap = load_register_map()
    failures, weighing = rmap.failure_area, rmap.weighing_area
    assert (failures.start, failures.extent, failures.handshake_address) == (8000, 23, 8022)
    assert (weighing.start, weighing.extent, weighing.handshake_address) == (9000, 14, 9013)
    assert {n: failures.field_address(n) for n in ("equipment", "info", "year", "second")} == {
        "equipment": 8000, "info": 8008, "year": 8016, "second": 8021}
    assert {n: weighing.field_address(n) for n in ("mo_reference", "product_id", "quantity")} == {
        "mo_reference": 9001, "product_id": 9009, "quantity": 9011}


def test_failure_area_words():
    area = load_register_map().failure_area
    words = area.encode({"equipment": "motor_pump_01", "info": "MOTOR_FAILURE", "year": 2026,
                         "month": 11, "day": 28, "hour": 7, "minute": 1, "second": 2})
    assert words[0:7] == [0x6D6F, 0x746F, 0x725F, 0x7075, 0x6D70, 0x5F30, 0x3100]  # "motor_pump_01"
    assert words[16:23] == [0x2026, 0x0011, 0x0028, 0x0007, 0x0001, 0x0002, 0]
    reading = area.decode(words)
    assert reading.waiting and reading.problems == ()
    assert reading.values["equipment"] == "motor_pump_01" and reading.values["info"] == "MOTOR_FAILURE"
    assert len(reading.raw_words) == 22  # the handshake is not part of the report
    assert not area.decode(words[:22] + [1]).waiting  # acknowledged
    assert not area.decode([0] * 23).waiting  # nothing ever written


def test_weighing_area_words():
    area = load_register_map().weighing_area
    words = area.encode({"batch_number": 17, "mo_reference": "WH/MO/00042", "product_id": 70000,
                         "quantity": 12.5})
    assert words[0] == 17
    assert words[9:11] == [0x0001, 0x1170]  # 70000, high word first
    assert words[11:13] == [0x0000, 1250]  # 12.50 kg x 100
    reading = area.decode(words)
    assert reading.values == {"batch_number": 17, "mo_reference": "WH/MO/00042",
                              "product_id": 70000, "quantity": 12.5}


def test_plc_clock_in_its_zone_is_reported_in_utc():
    area = load_register_map().failure_area
    reading = area.decode(area.encode({"equipment": "silo101", "info": "START_FAILURE", "year": 2026,
                                       "month": 7, "day": 1, "hour": 8, "minute": 0, "second": 5}))
    assert plc_clock_to_utc(reading, PARIS) == (datetime(2026, 7, 1, 6, 0, 5, tzinfo=timezone.utc), None)
    assert plc_clock_to_utc(reading, ZoneInfo("UTC"))[0] == datetime(2026, 7, 1, 8, 0, 5, tzinfo=timezone.utc)
    failure = PlcFailure.from_reading(reading, "FM1", PARIS, NOW)
    assert failure.failure_key == "FM1/silo101/START_FAILURE/20260701T060005Z"
    assert failure.payload() == {"line": "FM1", "failure_key": failure.failure_key, "equipment": "silo101",
                                 "info": "START_FAILURE", "occurred_at": "2026-07-01T06:00:05+00:00"}
    assert failure.problem is None and failure.state is DeliveryState.UNSENT


# ----------------------------------------------------------------------------- bad words


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


def _weighing_words(**changes: int) -> list[int]:
    area = load_register_map().weighing_area
    words = area.encode({"batch_number": 3, "mo_reference": "WH/MO/00042", "product_id": 55,
                         "quantity": 12.5})
    for offset, word in changes.items():
        words[int(offset.removeprefix("w"))] = word
    return words


@pytest.mark.parametrize("changes, bad", [
    ({"w11": 0xFFFF, "w12": 0xFFFF}, "quantity"),
    ({"w11": 0x8000, "w12": 0x0000}, "quantity"),  # negative
    ({"w9": 0xFFFF, "w10": 0xFFFF}, "product_id"),
    ({"w0": 0xFFFF}, "batch_number"),
])
def test_weighing_with_bad_numbers_is_kept_and_not_sent(changes, bad):
    area = load_register_map().weighing_area
    weighing = ManualWeighing.from_reading(area.decode(_weighing_words(**changes)), "FM1", NOW)
    assert weighing.state is DeliveryState.INVALID
    assert weighing.reason == f"not sent to Odoo: {bad} unreadable"
    assert f"manual_weighing {bad}" in weighing.problem
    assert len(weighing.raw_words) == 13


def test_weighing_with_a_non_ascii_mo_reference_is_sent_for_odoo_to_keep():
    area = load_register_map().weighing_area
    weighing = ManualWeighing.from_reading(area.decode(_weighing_words(w1=0x57E9)), "FM1", NOW)
    assert weighing.state is DeliveryState.UNSENT
    assert weighing.mo_name == "W?/MO/00042" and "mo_reference" in weighing.problem
    weighing.id = 9
    weighing.assign_key()
    assert weighing.payload() == {"line": "FM1", "weighing_key": "FM1-W-20261128T120000Z-9",
                                  "mo_name": "W?/MO/00042", "batch_number": 3, "product_template_id": 55,
                                  "quantity": 12.5, "weighed_at": "2026-11-28T12:00:00+00:00"}


# ----------------------------------------------------------------------------- the TOML sections


def test_areas_are_optional(tmp_path: Path):
    doc = default_doc()
    del doc["failures"], doc["manual_weighing"]
    rmap = load_register_map(write_map(tmp_path, doc))
    assert rmap.failure_area is None and rmap.weighing_area is None


@pytest.mark.parametrize("change, message", [
    (lambda d: d["failures"].update(start=6050), "[failures] words 6050..6072 overlap the read area"),
    (lambda d: d["manual_weighing"].update(start=8010), "[manual_weighing] words 8010..8023 overlap the failures area"),
    (lambda d: d["failures"]["fields"].pop(), "[failures] fields missing: status_read_data"),
    (lambda d: d["failures"]["fields"][2].update(type="ascii", length=2), "year needs a type among bcd16"),
    (lambda d: d["manual_weighing"]["fields"][3].update(offset=10), "overlaps field 'product_id'"),
    (lambda d: d["manual_weighing"]["fields"].append({"name": "tare", "offset": 20, "type": "uint16"}),
     "unknown field; the manual_weighing area has: batch_number"),
    (lambda d: d["manual_weighing"].update(start=65530), "beyond register 65535"),
    (lambda d: d["fields"][0].update(type="bcd16"), "bcd16 is for the failure area's date and time words"),
])
def test_bad_area_sections_are_refused_naming_the_entry(tmp_path: Path, change, message):
    doc = default_doc()
    change(doc)
    with pytest.raises(RegisterMapError) as caught:
        load_register_map(write_map(tmp_path, doc))
    assert message in str(caught.value)
