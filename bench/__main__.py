"""Run the benchmarks: ``python -m bench [all|plc|odoo|idle|footprint|soak|lines|campaign|trace] ...``.

``lines`` (how many lines one Odoo serves), ``campaign`` (the fault campaign: batches
through the agent while faults strike at random; it fails when an invariant breaks) and
``trace`` (Odoo's Traceability report over 10,000 closed batches) run only when named.

Prints one table per benchmark, a summary of the targets, and writes the figures as JSON
to ``bench/results/``. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

from .common import BenchResult, BenchSkipped, describe_machine, machine_info, save_results

BENCHMARKS = ("plc", "odoo", "idle", "footprint", "soak")
# Run only when named: a lines run takes from minutes to an hour, a campaign as long.
# A trace run builds 10,000 closed batches first, which takes hours on a small machine.
ON_REQUEST = ("lines", "campaign", "trace")


def _runner(name: str, args: argparse.Namespace) -> Callable[[], BenchResult]:
    if name == "plc":
        from . import plc_io

        return lambda: plc_io.run(repeat=args.repeat)
    if name == "odoo":
        from . import odoo_cost

        return lambda: odoo_cost.run(pairs=args.pairs, keep_database=args.keep_database,
                                     database=args.odoo_database)
    if name == "idle":
        from . import line_idle

        return lambda: line_idle.run(sets=args.sets, old_interval_minutes=args.old_interval_minutes,
                                     old_gaps=args.old_gaps)
    if name == "footprint":
        from . import footprint

        return lambda: footprint.run(seconds=args.seconds)
    if name == "soak":
        from . import soak

        return lambda: soak.run(batches=args.batches)
    if name == "lines":
        from . import lines

        return lambda: lines.run(lines=args.lines, workers=args.workers, stock=args.stock,
                                 batch_seconds=args.batch_seconds, mos=args.mos, minutes=args.minutes,
                                 poll_seconds=args.poll_seconds, template=args.odoo_database,
                                 keep_template=args.keep_database)
    if name == "campaign":
        from . import campaign

        kinds = tuple(k.strip() for k in args.faults.split(",") if k.strip()) if args.faults else None
        return lambda: campaign.run(seed=args.seed, batches=args.batches, kinds=kinds,
                                    database_url=args.database_url, fault_every=args.fault_every,
                                    protocol=args.protocol, fins_transport=args.fins_transport,
                                    layout=args.layout)
    if name == "trace":
        from . import trace

        return lambda: trace.run(batches=args.trace_batches, reported=args.reported, repeat=args.trace_repeat,
                                 refill_every=args.refill_every, seed=20 if args.seed is None else args.seed,
                                 keep_database=args.keep_database)
    raise ValueError(name)


def fault_every_arg(text: str) -> tuple[float, float]:
    """``LOW,HIGH`` seconds, 0 < LOW <= HIGH."""
    try:
        low, high = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LOW,HIGH in seconds, got {text!r}") from None
    if not 0 < low <= high:
        raise argparse.ArgumentTypeError(f"expected 0 < LOW <= HIGH, got {text!r}")
    return low, high


def refill_every_arg(text: str) -> tuple[int, int]:
    """``LOW,HIGH`` batches between two refills of a silo (the trace benchmark's own check)."""
    from . import trace

    try:
        return trace.parse_refill_every(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def lines_arg(parser_name: str) -> Callable[[str], Any]:
    """The lines benchmark's own parser of a comma-separated option (imported when used)."""

    def parse(text: str) -> Any:
        from . import lines

        return getattr(lines, parser_name)(text)

    parse.__name__ = parser_name.removeprefix("parse_")
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    # A string default: Python 3.11's argparse checks a list default against the choices
    # (and refuses it) when no benchmark is named.
    parser.add_argument("which", nargs="*", default="all", choices=("all",) + BENCHMARKS + ON_REQUEST,
                        help="benchmarks to run (default: all; 'lines', 'campaign' and 'trace' only when named)")
    parser.add_argument("--repeat", type=int, default=200,
                        help="plc: repetitions of each timed PLC operation (default 200)")
    parser.add_argument("--pairs", type=int, default=9,
                        help="odoo: pairs of identical MOs closed each way (default 9)")
    parser.add_argument("--odoo-database", default=None,
                        help="odoo: use this existing database (addon installed with demo data) "
                             "instead of creating and dropping a bench_* one; lines: copy every run's "
                             "database from it")
    parser.add_argument("--keep-database", action="store_true",
                        help="odoo, lines, trace: keep the bench_* (template) database it created")
    parser.add_argument("--sets", type=int, default=6,
                        help="idle: sets of 10 batches run with the agent's policy (default 6)")
    parser.add_argument("--old-interval-minutes", type=int, default=1,
                        help="idle: SYNC_INTERVAL_MINUTES of the old-policy run (default 1, the "
                             "smallest the setting allows; 0 skips the old-policy run)")
    parser.add_argument("--old-gaps", type=int, default=3,
                        help="idle: idle gaps measured under the old policy (default 3)")
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="footprint: seconds measured in each phase (default 60)")
    parser.add_argument("--batches", type=int, default=1000,
                        help="soak, campaign: batches run through the simulator (default 1000)")
    parser.add_argument("--lines", type=lines_arg("parse_lines"), default=[1],
                        help="lines: lines run at once against one Odoo; comma-separated for several "
                             "runs, e.g. 1,4,8 (default 1)")
    parser.add_argument("--workers", type=lines_arg("parse_workers"), default=[0],
                        help="lines: Odoo --workers, 0 = threaded; comma-separated for several runs "
                             "(default 0)")
    parser.add_argument("--stock", type=lines_arg("parse_stock"), default=["separate"],
                        help="lines: separate (a stock and a production location per line), shared "
                             "(all lines draw from WH/Stock into Odoo's one production location) or "
                             "locations (a stock location per line, one production location); "
                             "separate,shared runs both (default separate)")
    parser.add_argument("--batch-seconds", type=float, default=2.0,
                        help="lines: how long the simulated PLC takes per batch (default 2)")
    run_length = parser.add_mutually_exclusive_group()
    run_length.add_argument("--mos", type=int, default=None,
                            help="lines: MOs per line, run until Odoo answered for all (default 40)")
    run_length.add_argument("--minutes", type=float, default=None,
                            help="lines: measure over this many minutes instead of a number of MOs")
    parser.add_argument("--poll-seconds", type=float, default=0.5,
                        help="lines: the agents' PLC_POLL_INTERVAL_SECONDS (default 0.5)")
    parser.add_argument("--seed", type=int, default=None,
                        help="campaign: the random seed (default: a new one, printed); trace: the seed "
                             "of the refills (default 20)")
    parser.add_argument("--faults", default="",
                        help="campaign: comma-separated fault kinds (default: all the link can meet; "
                             "FINS/UDP adds lost_request, lost_answer, duplicated_answer, late_answer)")
    parser.add_argument("--protocol", choices=("modbus", "fins"), default="modbus",
                        help="campaign: the agent's PLC link (default modbus)")
    parser.add_argument("--fins-transport", choices=("udp", "tcp"), default="udp",
                        help="campaign with --protocol fins: FINS over UDP (default) or TCP")
    parser.add_argument("--layout", choices=("shipped", "old-program"), default="shipped",
                        help="campaign: the PLC's layout, the shipped map (batch number at offset 77) "
                             "or the old program's (offsets 0-76; REGISTER_MAP_FILE=old-program)")
    parser.add_argument("--fault-every", type=fault_every_arg, default=(0.5, 3.0), metavar="LOW,HIGH",
                        help="campaign: seconds between two faults, drawn from LOW..HIGH (default 0.5,3)")
    parser.add_argument("--database-url", default=None,
                        help="campaign: the agent's queue database (default: a new SQLite file)")
    parser.add_argument("--trace-batches", type=int, default=10000,
                        help="trace: closed batches the database holds (default 10000)")
    parser.add_argument("--reported", type=int, default=200,
                        help="trace: how many of them go through plc_report_batch; the others are "
                             "closed through the ORM (default 200)")
    parser.add_argument("--trace-repeat", type=int, default=5,
                        help="trace: timed repetitions of each trace after a warm-up (default 5)")
    parser.add_argument("--refill-every", type=refill_every_arg, default=(50, 100), metavar="LOW,HIGH",
                        help="trace: batches between two refills of a silo, drawn from LOW..HIGH "
                             "(default 50,100)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show the agent's log")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # pymodbus' classic datastore warns on every start; the figures do not depend on it.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    requested = [args.which] if isinstance(args.which, str) else args.which
    which = list(BENCHMARKS) if "all" in requested else list(dict.fromkeys(requested))
    machine = machine_info()
    print(f"Machine: {describe_machine(machine)}\n", flush=True)
    results: list[BenchResult] = []
    skipped: dict[str, str] = {}
    failed: dict[str, str] = {}
    for name in which:
        print(f"== running {name} ...", flush=True)
        started = time.monotonic()
        try:
            result = _runner(name, args)()
        except BenchSkipped as exc:
            skipped[name] = str(exc)
            print(f"== {name}: SKIPPED: {exc}\n", flush=True)
            continue
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            logging.getLogger("bench").exception("benchmark %s failed", name)
            failed[name] = f"{type(exc).__name__}: {exc}"
            print(f"== {name}: FAILED: {failed[name]}\n", flush=True)
            continue
        result.seconds = time.monotonic() - started
        results.append(result)
        print(result.table(machine) + "\n", flush=True)
    summary: list[Any] = [t for r in results for t in r.targets]
    if summary:
        print("== targets")
        for target in summary:
            print(f"- {target.line()}")
    for name, why in skipped.items():
        print(f"- {name}: skipped: {why}")
    for name, why in failed.items():
        print(f"- {name}: FAILED: {why}")
    path = save_results(results, {**skipped, **{k: "FAILED: " + v for k, v in failed.items()}}, machine)
    print(f"\nresults written to {path}")
    broken = any(r.name == "campaign" and not all(t.met for t in r.targets) for r in results)
    return 1 if failed or broken else 0


if __name__ == "__main__":
    sys.exit(main())
