"""The addon's ping status parser (``payloads/ping_status.py``), without Odoo: the shape of what
the agent's health task sends with ``plc_ping``."""

from __future__ import annotations

import datetime

import pytest

from .loader import load_payloads

ps = load_payloads("ping_status")

CONTRACT_EXAMPLE = {
    "agent_version": "0.2.0",
    "queue": {"queued": 0, "written": 1, "running": 1, "finished": 0, "held": 0, "suspect": 0},
    "plc": {"up": True, "last_error": None, "last_good_read_at": "2026-11-28T06:01:02+00:00"},
    "stuck": 0,
    "running_mo": "WH/MO/00042",
    "unsent": {"batches": 0, "failures": 0, "weighings": 0},
}


def test_the_contracts_example_is_read_whole():
    status = ps.parse_status(CONTRACT_EXAMPLE)
    assert status.agent_version == "0.2.0"
    assert status.queue == CONTRACT_EXAMPLE["queue"]
    assert status.plc_up is True
    assert status.plc_last_good_read_at == datetime.datetime(2026, 11, 28, 6, 1, 2)
    assert status.running_mo == "WH/MO/00042"
    assert status.unsent == {"batches": 0, "failures": 0, "weighings": 0}


def test_no_status_and_unknown_keys_are_fine():
    assert ps.parse_status(None) == ps.PingStatus()
    assert ps.parse_status({"from_a_newer_agent": [1, 2], "queue": {"later": "x"}}).queue == {}


def test_an_offset_is_converted_to_utc():
    status = ps.parse_status({"plc": {"last_good_read_at": "2026-11-28T07:01:02+01:00"}})
    assert status.plc_last_good_read_at == datetime.datetime(2026, 11, 28, 6, 1, 2)


@pytest.mark.parametrize(
    "status, key",
    [
        ({"queue": {"held": "2"}}, "status.queue.held"),
        ({"queue": {"queued": True}}, "status.queue.queued"),
        ({"queue": [0]}, "status.queue"),
        ({"plc": {"up": 1}}, "status.plc.up"),
        ({"plc": "down"}, "status.plc"),
        ({"plc": {"last_error": 5}}, "status.plc.last_error"),
        ({"plc": {"last_good_read_at": "2026-11-28T06:01:02"}}, "status.plc.last_good_read_at"),
        ({"plc": {"last_good_read_at": "soon"}}, "status.plc.last_good_read_at"),
        ({"stuck": -1}, "status.stuck"),
        ({"stuck": 1.5}, "status.stuck"),
        ({"agent_version": 2}, "status.agent_version"),
        ({"running_mo": ["WH/MO/1"]}, "status.running_mo"),
        ({"unsent": {"failures": -3}}, "status.unsent.failures"),
        ("up", "status"),
    ],
)
def test_a_known_key_of_the_wrong_type_is_refused_by_name(status, key):
    with pytest.raises(ps.PingRejected) as caught:
        ps.parse_status(status)
    assert caught.value.reason.startswith(key + ":")


def test_long_texts_are_cut_and_nul_dropped():
    status = ps.parse_status({"plc": {"last_error": "x\x00" * 600}})
    assert status.plc_last_error == "x" * ps.MAX_TEXT


def test_the_agents_next_fetch_is_read():
    status = ps.parse_status({"next_fetch": {"in_seconds": 30, "reason": "at the next ping"}})
    assert status.next_fetch_in_seconds == 30
    assert status.next_fetch_reason == "at the next ping"
    waiting = ps.parse_status({"next_fetch": {"in_seconds": None, "reason": "when 3 batches are done"}})
    assert waiting.next_fetch_in_seconds is None
    assert waiting.next_fetch_reason == "when 3 batches are done"
    assert ps.parse_status({"next_fetch": None}).next_fetch_reason is None


def test_the_next_fetchs_reason_is_cut_not_refused():
    status = ps.parse_status({"next_fetch": {"reason": "x" * 1000}})
    assert status.next_fetch_reason == "x" * ps.MAX_NEXT_FETCH_REASON


@pytest.mark.parametrize(("next_fetch", "key"), [
    ([30], "status.next_fetch:"),
    ({"in_seconds": -1}, "status.next_fetch.in_seconds:"),
    ({"in_seconds": 1.5}, "status.next_fetch.in_seconds:"),
    ({"in_seconds": True}, "status.next_fetch.in_seconds:"),
    ({"in_seconds": "30"}, "status.next_fetch.in_seconds:"),
    ({"in_seconds": 7 * 24 * 3600 + 1}, "status.next_fetch.in_seconds: must be at most 604800"),
    ({"reason": 5}, "status.next_fetch.reason:"),
])
def test_a_bad_next_fetch_is_refused_by_name(next_fetch, key):
    with pytest.raises(ps.PingRejected) as caught:
        ps.parse_status({"next_fetch": next_fetch})
    assert caught.value.reason.startswith(key)
