"""The ``lines`` benchmark's options and figures (the benchmark itself is not run here)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench import lines  # noqa: E402
from bench.__main__ import build_parser  # noqa: E402


def test_options_parse_into_every_combination():
    args = build_parser().parse_args(["lines", "--lines", "1,4,8", "--workers", "0,4", "--stock",
                                      "separate,shared", "--batch-seconds", "2", "--mos", "30"])
    assert args.which == ["lines"]
    plan = lines.configurations(args.lines, args.workers, args.stock, args.batch_seconds, args.mos, args.minutes)
    assert len(plan) == 12
    assert {(c.lines, c.workers, c.stock) for c in plan} == {
        (n, w, s) for n in (1, 4, 8) for w in (0, 4) for s in ("separate", "shared")}
    assert all(c.mos == 30 and c.minutes is None for c in plan)
    assert plan[0].label == "1 line(s), separate stock, threaded"


def test_defaults_run_one_threaded_line_of_separate_stock():
    args = build_parser().parse_args(["lines"])
    plan = lines.configurations(args.lines, args.workers, args.stock, args.batch_seconds, args.mos, args.minutes)
    assert [(c.lines, c.workers, c.stock, c.batch_seconds, c.mos) for c in plan] == [(1, 0, "separate", 2.0, 40)]


def test_minutes_give_every_line_more_mos_than_it_can_run():
    plan = lines.configurations([2], [0], ["shared"], 2.0, None, 3.0)
    # 3 minutes of 2 s batches is at most 90 batches; one more set keeps the line busy.
    assert plan[0].mos == 100 and plan[0].minutes == 3.0


@pytest.mark.parametrize("argv, wrong", [
    (["--lines", "0"], "--lines"),
    (["--lines", "two"], "whole numbers"),
    (["--workers", "-1"], "--workers"),
    (["--stock", "common"], "--stock"),
])
def test_bad_options_are_named(argv, wrong, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["lines", *argv])
    assert wrong in capsys.readouterr().err


def test_mos_and_minutes_exclude_each_other(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["lines", "--mos", "10", "--minutes", "2"])
    assert "not allowed with" in capsys.readouterr().err


@pytest.mark.parametrize("kwargs, message", [
    ({"batch_seconds": 0.0}, "--batch-seconds"),
    ({"minutes": -1.0}, "--minutes"),
    ({"mos": 0}, "--mos"),
])
def test_impossible_runs_are_refused(kwargs, message):
    values = {"batch_seconds": 2.0, "mos": None, "minutes": None, **kwargs}
    with pytest.raises(ValueError, match=message):
        lines.configurations([1], [0], ["separate"], **values)


def test_percentile_is_the_nearest_rank():
    values = [float(v) for v in range(1, 21)]  # 1..20
    assert lines.percentile(values, 0.5) == 10.0
    assert lines.percentile(values, 0.95) == 19.0
    assert lines.percentile(values, 1.0) == 20.0
    assert lines.percentile([3.0], 0.95) == 3.0
    with pytest.raises(ValueError):
        lines.percentile([], 0.5)


def test_latency_runs_from_the_last_finish_before_the_answer():
    finished = {"WH/MO/1": [100.0], "WH/MO/2": [110.0, 130.0], "WH/MO/3": [140.0]}
    # MO 2 ran twice (a failed run, then a good one); the answer is about the second run.
    # MO 3 was never answered; MO 4 was answered but never seen finishing.
    answered = {"WH/MO/1": 101.5, "WH/MO/2": 133.0, "WH/MO/4": 150.0}
    assert sorted(lines.report_latencies(finished, answered)) == [1.5, 3.0]


def test_retries_are_counted_from_odoos_log():
    log = "\n".join([
        "2026-11-29 08:00:01,000 7 INFO db odoo.service.model: SERIALIZATION_FAILURE, retry 1/5 in 0.5000 sec...",
        "2026-11-29 08:00:02,000 7 INFO db odoo.service.model: SERIALIZATION_FAILURE, retry 2/5 in 1.2500 sec...",
        "2026-11-29 08:00:03,000 7 INFO db odoo.service.model: DEADLOCK_DETECTED, retry 1/5 in 0.2500 sec...",
        "2026-11-29 08:00:04,000 7 INFO db odoo.service.model: "
        "SERIALIZATION_FAILURE, maximum number of tries reached",
        "2026-11-29 08:00:05,000 7 ERROR db odoo.sql_db: bad query: could not serialize access",
    ])
    assert lines.count_retries(log) == {"SERIALIZATION_FAILURE": 2, "DEADLOCK_DETECTED": 1, "gave_up": 1,
                                        "deepest": 2, "slept": 2.0}


def test_a_run_becomes_one_table_row():
    run = {
        "config": {"lines": 4, "workers": 4, "stock": "shared"},
        "mo_done": 118, "mos_planned": 120, "closed_per_minute": 61.4,
        "latencies": [1.0, 2.0, 3.0, 10.0],
        "odoo_retries": {"SERIALIZATION_FAILURE": 7, "LOCK_NOT_AVAILABLE": 1, "gave_up": 0, "deepest": 3,
                         "slept": 9.5},
        "cpu_seconds": {"odoo": 60.0, "agents": 12.0, "simulators (bench process)": 6.0, "postgresql": 30.0},
        "cpu_window": 120.0, "doubled": 0,
        "agent_logs": {"L01": {"odoo_unavailable": 2}, "L02": {"odoo_unavailable": 1}},
        "load_before": (3.04, 2.0, 1.0), "load_after": (4.46, 3.0, 2.0),
    }
    row = lines.summarise(run)
    assert len(row) == len(lines.COLUMNS)
    assert row == ["4", "shared", "4 workers", "118/120", "61", "2.00 s", "10.00 s", "10.00 s",
                   "0.50 / 0.10 / 0.05 / 0.25", "0", "8 (deepest 3/5, 0 gave up)", "3", "3.0 -> 4.5"]
