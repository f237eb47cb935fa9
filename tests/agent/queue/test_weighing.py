"""A manual weighing's queue row (``plc_agent.queue.weighing``): bad numbers keep it in the agent,
a bad MO reference is sent for Odoo to keep, and any words make a row.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings

from plc_agent.plc.register_map import load_register_map
from plc_agent.queue.models import DeliveryState
from plc_agent.queue.weighing import ManualWeighing

from ..helpers import words_of

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


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
    ({"w9": 0xFFFF, "w10": 0xFFFF}, "product_id"),  # 4294967295: above any Odoo id
    ({"w9": 0x8000, "w10": 0x0000}, "product_id"),
])
def test_weighing_with_bad_numbers_is_kept_and_not_sent(changes, bad):
    area = load_register_map().weighing_area
    weighing = ManualWeighing.from_reading(area.decode(_weighing_words(**changes)), "FM1", NOW)
    assert weighing.state is DeliveryState.INVALID
    assert weighing.reason == f"not sent to Odoo: {bad} unreadable"
    assert f"manual_weighing {bad}" in weighing.problem
    assert len(weighing.raw_words) == 13


def test_weighing_whose_words_are_0xffff_but_whose_values_are_real_is_sent():
    # Batch 65535 (the last rolling number), product template 65535 and 655.35 kg are values
    # the plant produces: a 0xFFFF word is no reason to refuse them.
    area = load_register_map().weighing_area
    words = _weighing_words(w0=0xFFFF, w9=0x0000, w10=0xFFFF, w11=0x0000, w12=0xFFFF)
    reading = area.decode(words)
    assert reading.problems == ()
    weighing = ManualWeighing.from_reading(reading, "FM1", NOW)
    assert weighing.state is DeliveryState.UNSENT and weighing.problem is None
    weighing.id = 1
    weighing.assign_key()
    payload = weighing.payload()
    assert (payload["batch_number"], payload["product_template_id"], payload["quantity"]) == (
        65535, 65535, 655.35)


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


RMAP = load_register_map()


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
