"""The ``trace`` benchmark's options, plan checks and target (the benchmark itself is not run here)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench import trace  # noqa: E402
from bench.__main__ import build_parser  # noqa: E402


def test_trace_runs_only_when_named():
    assert build_parser().parse_args([]).which == "all"
    args = build_parser().parse_args(["trace"])
    assert args.which == ["trace"]
    assert (args.trace_batches, args.reported, args.trace_repeat, args.refill_every) == (10000, 200, 5, (50, 100))


def test_options_parse():
    args = build_parser().parse_args(["trace", "--trace-batches", "500", "--reported", "120", "--trace-repeat",
                                      "3", "--refill-every", "20,40", "--seed", "7"])
    assert (args.trace_batches, args.reported, args.trace_repeat, args.refill_every, args.seed) == (
        500, 120, 3, (20, 40), 7)


@pytest.mark.parametrize("text", ["0,10", "50", "100,50", "a,b"])
def test_a_bad_refill_period_is_named(text, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["trace", "--refill-every", text])
    assert "--refill-every" in capsys.readouterr().err


@pytest.mark.parametrize("batches, reported, repeat, wrong", [
    (0, 0, 5, "--batches"),
    (100, 101, 5, "--reported"),
    (100, -1, 5, "--reported"),
    (100, 10, 0, "--repeat"),
])
def test_a_plan_that_cannot_measure_is_refused_before_building(batches, reported, repeat, wrong):
    with pytest.raises(ValueError, match=wrong):
        trace.check_plan(batches, reported, repeat)


def test_the_target_is_two_seconds():
    met = trace.target(1.25, "forward")
    assert (met.met, met.measured, met.margin) == (True, "1.25 s", "750 ms to spare")
    missed = trace.target(2.5, "forward")
    assert (missed.met, missed.margin) == (False, "500 ms over")
    assert trace.target(2.0, "forward").met


def test_the_traced_lot_fed_only_batches_of_one_way():
    spans = [[0, 60, 11], [60, 140, 12], [140, 230, 13], [230, 300, 14]]
    # Batches 0-199 closed one way: lot 12 lies in the middle of them and wholly inside.
    assert trace._pick_lot(spans, 0, 200) == [60, 140, 12]
    assert trace._pick_lot(spans, 200, 300) == [230, 300, 14]
    with pytest.raises(RuntimeError, match="too few batches"):
        trace._pick_lot(spans, 250, 300)
