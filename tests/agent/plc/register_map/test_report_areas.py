"""The failure and manual-weighing areas (``plc_agent.plc.register_map.report_areas``): their words,
encoded and decoded, handshake included.
"""

from __future__ import annotations

from plc_agent.plc.register_map import load_register_map


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
