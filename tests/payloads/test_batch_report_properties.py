"""Property-based tests of the addon's report parser (``payloads/batch_report.py``): whatever an
agent sends, parsing gives a report whose every value is one Odoo may store, or a rejection
naming a field, and never another exception (which the agent would take for "try again").
"""

from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from .test_batch_report import payload as valid_payload
from .test_batch_report import rp

FIELDS = rp.REQUIRED_FIELDS + rp.OPTIONAL_FIELDS
# Any JSON value, biased toward the numbers and texts that break parsers.
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**31 - 2, max_value=2**31 + 1),
    st.integers(min_value=10**4000, max_value=10**4400),
    st.floats(),
    st.sampled_from([-0.0, 1e12, 1e308, float("nan"), float("inf"), 65535, 65536, -1]),
    st.text(max_size=20),
    st.sampled_from(["", " ", "\x00", "101", "2026-11-28T06:00:01Z", "9999-12-31T23:59:59-01:00"]),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
SILO = st.one_of(st.sampled_from(["101", "114", "", " ", "1\x000", None]), SCALARS)
SUSPECT_ITEM = st.fixed_dictionaries(
    {},
    optional={
        "silo": SILO,
        "raw_words": st.one_of(st.lists(st.one_of(st.integers(-2, 0x10001), SCALARS), max_size=70), JSON),
        "reason": st.one_of(st.text(max_size=600), st.sampled_from(["", "x" * 499, "x" * 500]), SCALARS),
        "extra": JSON,
    },
)
CONSUMPTION_ITEM = st.fixed_dictionaries(
    {},
    optional={"silo": SILO, "quantity": st.one_of(st.floats(), SCALARS), "note": JSON},
)


@st.composite
def payloads(draw) -> object:
    """Mostly a valid report with some fields replaced, dropped or added; sometimes anything."""
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON)
    data = valid_payload()
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=4)):
        choice = draw(st.integers(0, 3))
        if choice == 0:
            data.pop(name, None)
        elif name == "consumption" and choice == 1:
            data[name] = draw(st.lists(st.one_of(CONSUMPTION_ITEM, JSON), max_size=4))
        elif name == "suspect" or choice == 1:
            data["suspect"] = draw(st.one_of(st.lists(st.one_of(SUSPECT_ITEM, JSON), max_size=4), JSON))
        else:
            data[name] = draw(JSON)
    if draw(st.integers(0, 9)) == 0:
        data[draw(st.text(max_size=8))] = draw(JSON)
    return data


def _valid_quantity(value: float) -> bool:
    return isinstance(value, float) and math.isfinite(value) and 0 <= value < rp.MAX_QUANTITY


def _assert_storable_report(report) -> None:
    assert 0 < report.mo_id <= rp.MAX_ID
    assert report.status in rp.STATUSES
    for text in (report.line, report.batch_key):
        assert isinstance(text, str) and text.strip() and "\x00" not in text
    silos = [actual.silo for actual in report.consumption]
    assert len(silos) == len(set(silos))
    for actual in report.consumption:
        assert isinstance(actual.silo, str) and actual.silo.strip() and "\x00" not in actual.silo
        assert _valid_quantity(actual.quantity)
    assert report.finished_quantity is None or _valid_quantity(report.finished_quantity)
    assert report.message is None or (isinstance(report.message, str) and "\x00" not in report.message)
    for value in report.suspect:
        assert value.silo is None or (isinstance(value.silo, str) and value.silo.strip() and "\x00" not in value.silo)
        assert 1 <= len(value.raw_words) <= rp.MAX_RAW_WORDS
        assert all(type(word) is int and 0 <= word <= 0xFFFF for word in value.raw_words)
        assert isinstance(value.reason, str) and value.reason.strip() and len(value.reason) < rp.MAX_SUSPECT_REASON
        assert "\x00" not in value.reason
    assert len(report.digest) == 64 and int(report.digest, 16) >= 0


@settings(max_examples=600, deadline=None)
@given(payloads())
def test_any_payload_is_a_storable_report_or_a_named_rejection(data):
    try:
        report = rp.parse_report(data)
    except rp.ReportRejected as rejection:
        reason = rejection.reason
        assert isinstance(reason, str) and reason.strip()
        # Short enough to store and to read, and it names where the problem is.
        assert len(reason) < 1000
        assert reason.split(":")[0].split("[")[0].split(".")[0] in FIELDS + (
            "payload",
            "missing field(s)",
            "unknown field(s)",
        )
        return
    _assert_storable_report(report)


@settings(max_examples=300, deadline=None)
@given(payloads())
def test_the_digest_does_not_depend_on_order_or_number_spelling(data):
    try:
        report = rp.parse_report(data)
    except rp.ReportRejected:
        return
    assert isinstance(data, dict)
    shuffled = json.loads(json.dumps(data))
    shuffled["consumption"] = list(reversed(shuffled["consumption"]))
    if isinstance(shuffled.get("suspect"), list):
        shuffled["suspect"] = list(reversed(shuffled["suspect"]))
    for item in shuffled["consumption"]:
        if float(item["quantity"]).is_integer():
            item["quantity"] = int(item["quantity"])
    assert rp.parse_report(shuffled).digest == report.digest


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "silo": st.one_of(st.none(), st.sampled_from(["101", "114"])),
                "raw_words": st.lists(st.integers(0, 0xFFFF), min_size=1, max_size=rp.MAX_RAW_WORDS),
                "reason": st.text(min_size=1, max_size=rp.MAX_SUSPECT_REASON - 1).filter(
                    lambda text: text.strip() and "\x00" not in text
                ),
            }
        ),
        max_size=5,
    )
)
def test_suspect_values_as_the_contract_describes_them_are_accepted(suspect):
    report = rp.parse_report(valid_payload(suspect=suspect))
    assert [(v.silo, list(v.raw_words), v.reason) for v in report.suspect] == [
        (v["silo"], v["raw_words"], v["reason"]) for v in suspect
    ]
    # No suspect value, no change to the digest reports had before the field existed.
    if not suspect:
        assert report.digest == rp.parse_report(valid_payload()).digest
