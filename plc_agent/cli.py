"""``plc-agent``: the command line of the PLC agent.

Commands::

    plc-agent run                        the service (Tasks 1-6 on a schedule)
    plc-agent once sync|read|push|health|failures|weighing|retention
                                         run one task once and exit
    plc-agent status                     the queue and the last health check
    plc-agent health                     is the service loop alive? (for container health checks)
    plc-agent check                      configuration, database, register map, Odoo, PLC
    plc-agent init-db                    create the queue tables or upgrade them (Alembic)
    plc-agent simulate-plc               a PLC simulator (Modbus TCP or FINS) for tests and demos
    plc-agent --version

Settings come from the environment and a settings file: the one given with ``--env-file``,
else ``$PLC_AGENT_HOME/.env`` when ``PLC_AGENT_HOME`` is set, else ``.env`` in the working
directory, if present. Relative paths in the settings are taken against the agent's home
folder (``PLC_AGENT_HOME``, else the settings file's folder, else the working directory; see
:mod:`plc_agent.config`), the same for every command, so ``status``, ``health`` and
``check`` started from any folder look at what ``run`` writes. ``status``, ``health`` and
``init-db`` never talk to Odoo and need no Odoo settings; ``check`` needs them only for its
Odoo step. See ``.env.example``.

Exit codes:

    0  success
    1  runtime failure (the task failed: PLC or Odoo unreachable, database error, ...);
       for ``health``: the service loop is not running or has stalled (Docker's "unhealthy")
    2  bad usage or invalid configuration (every bad setting is listed)
    3  another plc-agent holds the database (its pid and host are shown),
       or ``run`` lost its instance lock (e.g. its database connection dropped)
    4  ``check`` found a problem (each check says OK or what is wrong)
  137  only with the test hook PLC_AGENT_CRASH_AT (see plc_agent.tasks)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import __version__

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_LOCKED = 3
EXIT_CHECK_FAILED = 4

EXIT_CODES_HELP = """exit codes:
  0  success
  1  runtime failure (PLC or Odoo unreachable, database error, ...);
     for 'health': the service loop is not running or has stalled
  2  bad usage or invalid configuration (every bad setting is listed)
  3  another plc-agent holds the database (its pid and host are shown),
     or 'run' lost its instance lock (e.g. its database connection dropped)
  4  'check' found a problem
"""

STATUS_WEIGHINGS_SHOWN = 10
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def configure_logging(level: str) -> None:
    """The one place logging is configured: to stderr, so that stdout holds only results."""
    logging.basicConfig(level=getattr(logging, level, logging.INFO), format=LOG_FORMAT,
                        stream=sys.stderr, force=True)
    quiet_libraries(logging.getLogger().level)


def quiet_libraries(level: int) -> None:
    """Keep the libraries' own loggers to what the agent does not say itself.

    pymodbus logs every failed connect and every bad frame as an error; the agent's PLC link
    turns each of those into a PlcError and :mod:`plc_agent.outage` logs the outage once
    per backoff step. So pymodbus speaks only when something is critical, or with DEBUG.
    Alembic narrates its plugins and steps; plc_agent.queue.schema logs each applied revision.
    """
    logging.getLogger("pymodbus").setLevel(logging.DEBUG if level <= logging.DEBUG else logging.CRITICAL)
    logging.getLogger("alembic").setLevel(max(logging.WARNING, level))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plc-agent",
        description="Runs Odoo 14 Manufacturing Orders on one PLC batching line over Modbus TCP "
                    "and reports the actual consumption back.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"plc-agent {__version__}")
    parser.add_argument("--env-file", type=Path, default=None,
                        help="settings file (default: .env in the working directory, if present)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, summary: str, description: str, *, codes: bool = True) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=summary, description=description,
                              epilog=EXIT_CODES_HELP if codes else None,
                              formatter_class=argparse.RawDescriptionHelpFormatter)

    command("run", "run the service (Tasks 1-6)",
            "Runs the agent for one PLC line until stopped (SIGTERM or Ctrl-C): fetches ready MOs\n"
            "from Odoo into the queue and the PLC's write area, reads the finished batches from\n"
            "the read area, reports them to Odoo, checks both ends, and prunes old history.\n"
            "Applies a pending schema upgrade of the queue first. One agent per queue database.")
    once = command("once", "run one task once",
                   "Runs one task once and exits, e.g. 'plc-agent once sync' to fetch now. Refused\n"
                   "(exit 3) while 'plc-agent run' holds the same queue database.")
    once.add_argument("task", choices=("sync", "read", "push", "health", "failures", "weighing",
                                       "retention"),
                      help="failures / weighing: read the area once and send what is unsent")
    command("status", "show the queue and the last health check",
            "Shows the queue's batches, the reports not yet answered and the last health check\n"
            "of 'plc-agent run', with the absolute paths it read. Reads the queue database and\n"
            "the status file only: needs no Odoo settings and changes nothing.")
    command("health", "is 'plc-agent run' alive? exit 0 (maybe degraded) or 1; "
            "reads two files, opens no connection",
            "For a container or service health check: exit 0 while the service loop of\n"
            "'plc-agent run' is alive (an unreachable PLC or Odoo is shown as DEGRADED, still 0),\n"
            "1 when it is not running or has stalled. Reads the heartbeat and the status file\n"
            "only; needs no Odoo settings.")
    command("check", "check settings, database, register map, Odoo and PLC",
            "Prints the settings in force (secrets masked) and where each came from, the\n"
            "register map in the plant's words, then checks the queue database, Odoo (login and\n"
            "the line) and the PLC (one read). Each check says OK or what to fix; exit 4 if any\n"
            "found a problem.")
    command("init-db", "create the queue tables or upgrade them to the latest schema",
            "Creates the queue database's tables, or upgrades them to this version's schema\n"
            "(Alembic). 'plc-agent run' does the same by itself at start.")
    sim = command("simulate-plc", "run a PLC simulator (Modbus TCP or Omron FINS server)",
                  "A PLC simulator for tests and demos: a Modbus TCP server, or an Omron FINS server\n"
                  "over UDP or TCP (--protocol fins), with the register map's areas, that runs each\n"
                  "batch written to it and reports actuals with some noise, and, if asked, failures\n"
                  "and manual weighings. Not for a real line.", codes=False)
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=None, help="default 5020 (Modbus), 9600 (FINS)")
    sim.add_argument("--protocol", choices=("modbus", "fins"), default="modbus")
    sim.add_argument("--fins-transport", choices=("udp", "tcp"), default="udp")
    sim.add_argument("--fins-node", type=int, default=10, help="the simulated PLC's FINS node number")
    sim.add_argument("--batch-seconds", type=float, default=5.0)
    sim.add_argument("--noise", type=float, default=0.02, help="relative deviation of actuals, e.g. 0.02")
    sim.add_argument("--seed", type=int, default=None)
    sim.add_argument("--unit-id", type=int, default=1)
    sim.add_argument("--register-map", type=Path, default=None,
                     help="register map TOML (default: REGISTER_MAP_FILE or the shipped map)")
    sim.add_argument("--plc-timezone", default=os.environ.get("PLC_TIMEZONE", "UTC"),
                     help="zone of the simulated PLC clock (failure timestamps), e.g. Europe/Paris")
    sim.add_argument("--failure", action="append", default=[], metavar="EQUIPMENT:INFO[@SECONDS]",
                     help="report a failure SECONDS after start (repeatable), e.g. silo101:START_FAILURE@30")
    sim.add_argument("--weighing", action="append", default=[],
                     metavar="PRODUCT_ID:KG[:MO_REFERENCE][@SECONDS]",
                     help="report a manual weighing SECONDS after start (repeatable); without an MO "
                          "reference, for the batch the line runs, e.g. 55:12.5@20")
    sim.add_argument("--random-failures", type=float, default=None, metavar="SECONDS",
                     help="report random failures, on average one every SECONDS")
    sim.add_argument("--random-weighings", type=float, default=None, metavar="SECONDS",
                     help="report random manual weighings, on average one every SECONDS")
    sim.add_argument("--weighing-products", default="1", metavar="ID,ID,...",
                     help="product template ids the random weighings use (default 1)")
    sim.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "INFO").upper())
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help/--version (0) or bad usage (2)
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if args.command == "simulate-plc":
        return _simulate_plc(args)

    from .config import ConfigError, load_settings

    env_file = settings_file(args.env_file)
    try:
        settings = load_settings(env_file=env_file, need_odoo=args.command not in OFFLINE_COMMANDS)
    except ConfigError as exc:
        configure_logging("INFO")
        if args.command == "check":
            print(f"configuration: PROBLEM\n{exc}")
            return EXIT_USAGE
        logger.error("%s", exc)
        return EXIT_USAGE
    configure_logging(settings.log_level)
    handlers = {"run": _run, "once": _once, "status": _status, "check": _check, "init-db": _init_db,
                "health": _health}
    try:
        return handlers[args.command](settings, args)
    except KeyboardInterrupt:
        return EXIT_FAILURE


# --------------------------------------------------------------------------- helpers

# Commands that never talk to Odoo (check asks for the Odoo settings only in its Odoo step).
OFFLINE_COMMANDS = ("status", "health", "init-db", "check")


def settings_file(given: Path | None) -> Path | None:
    """--env-file, else $PLC_AGENT_HOME/.env when PLC_AGENT_HOME is set, else ./.env, if any."""
    if given is not None:
        return given
    home = os.environ.get("PLC_AGENT_HOME", "").strip()
    candidate = Path(home).expanduser() / ".env" if home else Path(".env")
    return candidate.absolute() if candidate.is_file() else None


def _missing_database(settings: Any) -> str | None:
    """For a command that only reads: the fix when the SQLite queue file does not exist.

    Opening a missing SQLite file would create an empty one (and its folder) where the
    settings point, which then looks like a queue that needs a schema upgrade.
    """
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database)
    if path.is_file():
        return None
    return (f"no queue database at {path}: start 'plc-agent run' (or run 'plc-agent init-db') "
            f"there, or point this command at the agent's settings with --env-file or "
            f"PLC_AGENT_HOME ({_where_settings(settings)})")


def _where_settings(settings: Any) -> str:
    file = f"settings file {settings.env_file}" if settings.env_file else "no settings file"
    return f"{file}, relative paths against {settings.home}"


def _load_map(settings: Any) -> Any:
    from .plc.register_map import load_register_map

    return load_register_map(settings.register_map_file)


def _open_database(settings: Any) -> Any:
    from .queue.engine import make_engine

    return make_engine(settings.database_url)


def _schema_problem(engine: Any) -> str | None:
    """What `init-db` would still do to the queue's schema, or None when it is current."""
    from .queue.schema import pending_revisions

    pending = pending_revisions(engine)
    if not pending:
        return None
    return (f"schema upgrade pending ({', '.join(pending)}); run 'plc-agent init-db' "
            "(or start 'plc-agent run', which applies it)")


def _upgrade_in_child(args: argparse.Namespace) -> int:
    """Run ``plc-agent init-db`` as a child process; its exit code.

    The schema upgrade needs Alembic, which a long-running agent never needs again: the child
    loads it and ends, and the agent's memory stays what its loop needs. The child reads the
    same settings (environment, working directory, ``--env-file``) and logs to the same stderr.
    """
    command = [sys.executable, "-m", "plc_agent"]
    if args.env_file is not None:
        command += ["--env-file", str(args.env_file)]
    child = subprocess.run([*command, "init-db"], stdout=subprocess.PIPE, text=True, check=False)
    for line in child.stdout.splitlines():
        logger.info("init-db: %s", line)
    return child.returncode


def _locked_run(settings: Any, args: argparse.Namespace, body: Any) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from .plc.register_map import RegisterMapError
    from .queue.instance_lock import InstanceLock, InstanceLocked
    from .queue.schema import up_to_date

    try:
        engine = _open_database(settings)
        lock = InstanceLock(engine).acquire()
    except InstanceLocked as exc:
        logger.error("%s (database %s); refusing to start", exc, settings.masked_database_url)
        return EXIT_LOCKED
    except SQLAlchemyError as exc:
        logger.error("database %s: %s", settings.masked_database_url, _one_line(exc))
        return EXIT_FAILURE
    from .service import build_tasks

    tasks = None
    try:
        # Pending schema migrations run under the instance lock: no other agent of this
        # database is between its reads and writes while a table changes.
        try:
            current = up_to_date(engine)
        except SQLAlchemyError as exc:
            logger.error("database %s: cannot read the schema's revision: %s",
                         settings.masked_database_url, _one_line(exc))
            return EXIT_FAILURE
        if current:
            logger.info("queue schema: up to date at %s", current)
        else:
            code = _upgrade_in_child(args)
            if code != EXIT_OK:
                logger.error("database %s: schema upgrade failed (plc-agent init-db exited %d), "
                             "nothing changed", settings.masked_database_url, code)
                return EXIT_FAILURE
        lock.record_holder()
        try:
            tasks = build_tasks(settings, engine)
        except (RegisterMapError, OSError) as exc:
            logger.error("register map: %s", exc)
            return EXIT_USAGE
        return body(tasks, lock)
    finally:
        if tasks is not None:
            tasks.plc.close()
        lock.release()
        engine.dispose()


def _one_line(exc: BaseException) -> str:
    from .config import mask_url

    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return mask_url(text) if "://" in text else text


# --------------------------------------------------------------------------- commands


def _run(settings: Any, args: argparse.Namespace) -> int:
    from .metrics import MetricsEndpointError
    from .service import AgentService

    def body(tasks: Any, lock: Any) -> int:
        service = AgentService(settings, tasks, instance_lock=lock)
        service.install_signal_handlers()
        try:
            service.run()
        except MetricsEndpointError as exc:
            logger.error("%s", exc)
            return EXIT_FAILURE
        # Exit 3 like a start that finds the lock taken: the service manager starts the
        # agent again, and the new one takes the lock anew or waits for whoever has it.
        return EXIT_LOCKED if service.lock_lost else EXIT_OK

    return _locked_run(settings, args, body)


def _once(settings: Any, args: argparse.Namespace) -> int:
    from .odoo_gateway import OdooError, OdooGatewayError
    from .plc.link import PlcError

    def body(tasks: Any, _lock: Any) -> int:
        func = {"sync": tasks.sync, "read": tasks.read_plc, "push": tasks.push,
                "health": tasks.health,
                "failures": lambda: (tasks.read_failures(), tasks.push_failures()),
                "weighing": lambda: (tasks.read_weighing(), tasks.push_weighings()),
                "retention": tasks.prune}[args.task]
        try:
            result = func()
        except PlcError as exc:
            if exc.link_down:  # the link's outage said why, and what to check
                logger.error("%s: not done, the PLC is unreachable (see above)", args.task)
            else:
                logger.error("%s: PLC problem: %s", args.task, exc)
            return EXIT_FAILURE
        except OdooError:  # the gateway logged Odoo's message, whole
            logger.error("%s: not done, Odoo refused the call (see above)", args.task)
            return EXIT_FAILURE
        except OdooGatewayError:
            logger.error("%s: not done, Odoo is unreachable (see above)", args.task)
            return EXIT_FAILURE
        if args.task == "health":
            report = result.as_dict()
            return EXIT_OK if report["odoo"].get("ok") and report["plc"].get("ok") else EXIT_FAILURE
        logger.info("%s: %s", args.task, result)
        return EXIT_OK

    return _locked_run(settings, args, body)


def _init_db(settings: Any, _args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from .queue.schema import head_revision, init_db

    try:
        engine = _open_database(settings)
        try:
            applied = init_db(engine)
        finally:
            engine.dispose()
    except SQLAlchemyError as exc:
        logger.error("database %s: %s", settings.masked_database_url, _one_line(exc))
        return EXIT_FAILURE
    done = f"applied {', '.join(applied)}" if applied else "nothing to apply"
    print(f"database {settings.masked_database_url}: schema at {head_revision()} ({done})")
    return EXIT_OK


def _age(value: str | None) -> str:
    if not value:
        return "-"
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return value
    seconds = int((datetime.now(UTC) - when).total_seconds())
    return f"{value} ({seconds // 60} min {seconds % 60} s ago)"


def _status(settings: Any, _args: argparse.Namespace) -> int:
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from .queue.engine import read_only_session_factory
    from .queue.failure import PlcFailure
    from .queue.figures import delivery_figures, queue_figures
    from .queue.models import DeliveryState, MoBatch
    from .queue.weighing import ManualWeighing

    missing = _missing_database(settings)
    if missing:
        print(missing)
        return EXIT_FAILURE
    try:
        engine = _open_database(settings)
        problem = _schema_problem(engine)
        if problem:
            print(f"database {settings.masked_database_url}: {problem}")
            return EXIT_FAILURE
        with read_only_session_factory(engine)() as session:
            figures = queue_figures(session)
            rows = session.scalars(select(MoBatch).order_by(MoBatch.slot)).all()
            failures = delivery_figures(session, PlcFailure)
            weighings = delivery_figures(session, ManualWeighing)
            not_consumed = session.scalars(
                select(ManualWeighing)
                .where((ManualWeighing.state == DeliveryState.INVALID)
                       | ManualWeighing.outcome.in_(("kept", "rejected")))
                .order_by(ManualWeighing.id.desc()).limit(STATUS_WEIGHINGS_SHOWN)).all()
        engine.dispose()
    except SQLAlchemyError as exc:
        logger.error("database %s: %s", settings.masked_database_url, _one_line(exc))
        return EXIT_FAILURE

    print(f"Line {settings.line_code}   database {settings.masked_database_url}")
    print(f"Settings: {_where_settings(settings)}")
    print(f"Status file: {settings.status_file}")
    print(f"Queue: {figures.total} total, {figures.in_progress} in progress, "
          f"{figures.finished} finished, {figures.suspect} with suspect values")
    if rows:
        print(f"{'slot':>4}  {'MO':<16} {'state':<9} {'planned':>9} {'actual':>9}  "
              f"{'last PLC read':<25} note")
        for r in rows:
            actual = "-" if r.finished_weight is None else f"{r.finished_weight:.2f}"
            last = r.last_read_from_plc.strftime("%Y-%m-%d %H:%M:%S") if r.last_read_from_plc else "-"
            note = r.hold_reason or r.last_error or r.message or ""
            if r.suspect:
                note = "SUSPECT " + "; ".join(f"raw {s['raw_words']}: {s['reason']}" for s in r.suspect)
            print(f"{r.slot:>4}  {r.mo_name:<16} {r.state.value:<9} {r.planned_quantity:>9.2f} {actual:>9}  "
                  f"{last:<25} {note[:80]}")
    for title, counts in (("Failures", failures), ("Manual weighings", weighings)):
        shown = ", ".join(f"{n} {name}" for name, n in sorted(counts.items())) or "none"
        print(f"{title}: {shown}")
    if not_consumed:
        print("Manual weighings not consumed (latest first; kept in the history, never sent again):")
        for w in not_consumed:
            what = w.outcome or w.state.value
            note = w.reason or w.problem or ""
            print(f"  {w.read_at:%Y-%m-%d %H:%M:%S}  {w.weighing_key or '-'}  {w.mo_name!r} "
                  f"product {w.product_template_id} {w.quantity} kg: {what}: {note[:120]}"
                  + (f" raw {w.raw_words}" if w.state is DeliveryState.INVALID else ""))
    path = settings.status_file
    if not path.is_file():
        print(f"Last health check: none yet ({path} does not exist)")
        return EXIT_OK
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"Last health check: unreadable status file {path}: {exc}")
        return EXIT_FAILURE
    odoo, plc = data.get("odoo", {}), data.get("plc", {})
    print(f"Last health check: {_age(data.get('checked_at'))} by pid {data.get('pid')}")
    print(f"  Odoo: {'OK' if odoo.get('ok') else 'PROBLEM: ' + str(odoo.get('error'))}")
    print(f"  PLC:  {'OK' if plc.get('ok') else 'PROBLEM: ' + str(plc.get('error'))}")
    next_fetch = data.get("next_fetch") or {}
    print(f"  Next fetch: {next_fetch.get('reason', 'not said (an agent before this version)')}"
          + (f" (about {next_fetch['at']} UTC)" if next_fetch.get("at") else ""))
    stuck = data.get("stuck") or []
    print(f"  Stuck batches: {len(stuck)}")
    for item in stuck:
        print(f"    slot {item.get('slot')} {item.get('mo')}: {item.get('problem')}")
    return EXIT_OK


def _health(settings: Any, _args: argparse.Namespace) -> int:
    """For a container health check: only whether the loop is alive decides the exit code.

    An unreachable PLC or Odoo is reported as degraded with exit 0: the agent waits for them
    by itself and a restarted container would not bring them back.
    """
    from .liveness import heartbeat_path, read_liveness, stale_after_seconds

    stale_after = stale_after_seconds(settings.plc_poll_interval_seconds, settings.odoo_timeout_seconds,
                                      settings.plc_timeout_seconds)
    liveness = read_liveness(heartbeat_path(settings.status_file), settings.status_file, stale_after)
    print(f"line {settings.line_code}: {_where_settings(settings)}; heartbeat "
          f"{heartbeat_path(settings.status_file)}")
    print(liveness.summary)
    if liveness.alive:
        print("DEGRADED: " + "; ".join(liveness.degraded) if liveness.degraded else "healthy")
    return EXIT_OK if liveness.alive else EXIT_FAILURE


def _check(settings: Any, _args: argparse.Namespace) -> int:
    """Settings, register map, then one check per end; printed at the end, all at once.

    The checks run first and their lines are collected: whatever the PLC link or the Odoo
    client logs meanwhile goes to stderr before the table, never into it.
    """
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from .config import ConfigError, load_settings
    from .odoo_gateway import OdooGateway, OdooGatewayError
    from .plc.link import PlcError
    from .plc.links import make_link
    from .plc.register_map import RegisterMapError

    out: list[str] = []
    problems = 0
    # Each check below says what is wrong and what to check; the outage's lines ("the agent
    # tries again by itself") are for the service, not for a one-off check.
    logging.getLogger("plc_agent.outage").setLevel(logging.CRITICAL)
    shown = settings

    def line(name: str, ok: bool, detail: str) -> None:
        nonlocal problems
        problems += 0 if ok else 1
        out.append(f"{name + ':':<15} {'OK' if ok else 'PROBLEM'}  {detail}")

    line("configuration", True, f"line {settings.line_code}; {_where_settings(settings)}")
    missing = _missing_database(settings)
    if missing:
        line("database", False, missing)
    else:
        try:
            engine = _open_database(settings)
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            problem = _schema_problem(engine)
            engine.dispose()
            line("database", not problem, settings.masked_database_url
                 + (f" ({problem})" if problem else ""))
        except SQLAlchemyError as exc:
            line("database", False, f"{settings.masked_database_url}: {_one_line(exc)}; check "
                 "DATABASE_URL and that the database server is running")
    register_map = None
    try:
        # Planned with the link's limits: what the agent will really send.
        register_map = make_link(settings, _load_map(settings)).register_map
        line("register map", True, f"{register_map.source}, {register_map.slot_count} batch slots; "
             + _report_areas(settings, register_map))
    except (RegisterMapError, OSError) as exc:
        line("register map", False, f"{exc}; fix the file or REGISTER_MAP_FILE")
    try:
        odoo_settings = load_settings(env_file=settings.env_file, need_odoo=True)
    except ConfigError as exc:
        line("odoo", False, "not checked: " + "; ".join(exc.problems))
    else:
        shown = odoo_settings
        _check_odoo(odoo_settings, register_map, line, OdooGateway, OdooGatewayError)
    link_said = None
    if register_map is not None:
        plc = make_link(settings, register_map)
        try:
            handshake = plc.read_write_handshake()
            line("plc", True, f"{plc.describe()} answers; write handshake "
                 f"D{register_map.write_handshake_address} = {handshake}; read area in "
                 f"{len(register_map.read_area_requests())} request(s) of at most {plc.max_read_words} words")
        except PlcError as exc:
            where = ("PLC_HOST, PLC_PORT, PLC_FINS_TRANSPORT, the FINS nodes (PLC_FINS_DEST_NODE, "
                     "PLC_FINS_SOURCE_NODE) against the Ethernet unit's settings" if plc.protocol == "fins"
                     else "PLC_HOST, PLC_PORT, PLC_UNIT_ID")
            line("plc", False, f"{exc}; check {where}, the cable and that the PLC is in RUN")
        finally:
            link_said = plc.describe()  # after the FINS/TCP handshake: the nodes in use
            plc.close()
    else:
        line("plc", False, "not checked: no usable register map")

    print("Settings in force (secrets masked):")
    rows = shown.in_force()
    width = max(len(name) for name, _value, _source in rows)
    value_width = min(48, max(len(value) for _name, value, _source in rows))
    for name, value, source in rows:
        print(f"  {name:<{width}}  {value:<{value_width}}  from {source}")
    if register_map is not None:
        print(f"Register map ({register_map.source}):")
        for sentence in describe_register_map(register_map, settings.plc_protocol, link_said):
            print(f"  {sentence}")
    print("Checks:")
    for row in out:
        print(row)
    return EXIT_OK if problems == 0 else EXIT_CHECK_FAILED


def _check_odoo(settings: Any, register_map: Any, line: Any, gateway: Any, gateway_error: Any) -> None:
    """Log in to Odoo and ping the line; compare the line's capacity with the register map."""
    odoo = gateway(settings.odoo_url, settings.odoo_database, settings.odoo_username,
                   settings.odoo_password, timeout=settings.odoo_timeout_seconds)
    from .odoo_gateway import OdooUnavailable

    try:
        ping = odoo.ping(settings.line_code)
    except OdooUnavailable as exc:
        line("odoo", False, f"{exc}; check ODOO_URL, the network and that Odoo runs")
        return
    except gateway_error as exc:
        line("odoo", False, str(exc))
        return
    line("odoo", ping.ok, f"{odoo.url} database {settings.odoo_database}: "
         + ("line found" if ping.ok else f"line {settings.line_code} unknown or archived in Odoo: "
            "check PLC_LINE_CODE against Manufacturing > Configuration > PLC lines"))
    if not ping.ok or register_map is None:
        return
    if ping.components_per_batch is None or ping.text_width is None:
        line("capacity", True, "not compared: this Odoo does not send the line's capacity")
        return
    problems_found, notes = register_map.capacity_disagreements(ping.components_per_batch, ping.text_width)
    line("capacity", not problems_found, "; ".join(problems_found + notes) or
         f"line {settings.line_code} in Odoo and the register map agree "
         f"({ping.components_per_batch} components, {ping.text_width} characters)")


def describe_register_map(register_map: Any, protocol: str = "modbus", link: str | None = None) -> list[str]:
    """The register map as a plant engineer reads it: the link, areas, slots, handshakes, requests.

    ``register_map`` is planned with the link's limits (FINS reads far more words per request
    than Modbus); ``link`` is the link's own description (protocol, address, nodes).
    """
    m = register_map
    last_write = m.write_slot_address(m.slot_count) + m.write_extent - 1
    last_read = m.read_slot_address(m.slot_count) + m.read_extent - 1
    slots = f"{m.slot_count} batch slots of {m.write_extent} words"
    if m.slot_stride != m.write_extent:
        slots += f", one every {m.slot_stride} registers"
    requests = m.read_area_requests()
    how = "FINS memory area read (01 01) of the DM area" if protocol == "fins" else "Modbus function 3"
    sentences = [
        f"write area (agent to PLC): {_words(m.write_start, last_write, protocol)}: {slots}; handshake "
        f"word D{m.write_handshake_address} (the PLC sets it to 1 when it is ready for a new set; "
        "the agent writes the set, reads it back, then writes 0)",
        f"read area (PLC to agent): {_words(m.read_start, last_read, protocol)}: {m.slot_count} batch slots "
        f"of {m.read_extent} words; the agent sets word {m.read_ack_address(1) - m.read_slot_address(1)} "
        f"of a slot to 1 once it has stored its batch (D{m.read_ack_address(1)} for slot 1)",
        f"the agent reads the read area in {len(requests)} request{'s' if len(requests) != 1 else ''} "
        f"of at most {m.max_read_registers} words with {how} "
        f"({', '.join(f'D{a}-D{a + n - 1}' for a, n in requests)})",
    ]
    if m.echoes_batch_number:
        number = m.field_address("write", 1, "batch_number") - m.write_slot_address(1)
        sentences.insert(2, f"batch number: word {number} of each slot; the agent writes its rolling "
                            "number there and the PLC echoes it in the read slot when the batch starts")
    else:
        sentences.insert(2, "no batch number (the old program's layout): the agent knows a read slot "
                            "by its slot and MO reference, and an MO's earlier run in the same slot by "
                            "what it recorded before writing the set")
    if link is not None:
        sentences.insert(0, f"PLC link: {link}; at most {m.max_read_registers} words per read request, "
                         f"{m.max_write_registers} per write request")
    split = sorted(m.read_slots_split)
    if split:
        sentences.append(
            f"slot{'s' if len(split) > 1 else ''} {', '.join(map(str, split))} "
            f"{'lie' if len(split) > 1 else 'lies'} across two of these requests: before the agent "
            "stores or acknowledges such a slot it reads that slot again in one request, so every "
            "word of a batch comes from the same moment")
    elif len(requests) == 1:
        sentences.append("the whole read area is one request: every read is one moment of the PLC "
                         "and no slot is cut")
    else:
        sentences.append("every slot lies within one request: each batch is read as one whole")
    for name, area in (("failure area", m.failure_area), ("manual weighing area", m.weighing_area)):
        if area is not None:
            sentences.append(f"{name}: {_words(area.start, area.start + area.extent - 1, protocol)}, "
                             f"handshake word D{area.handshake_address}")
    return sentences


def _words(first: int, last: int, protocol: str = "modbus") -> str:
    """A block of PLC words, named as the PLC program and as the link's tools show it."""
    if protocol == "fins":
        return f"words D{first}-D{last} (DM area, FINS area code 82 hex)"
    return f"words D{first}-D{last} (Modbus holding registers {first}-{last})"


def _report_areas(settings: Any, register_map: Any) -> str:
    """The report areas of the map and whether their task runs, for `check`."""
    described = []
    for name, area, on in (("failures", register_map.failure_area, settings.enable_failures),
                           ("manual weighing", register_map.weighing_area,
                            settings.enable_manual_weighing)):
        if area is None:
            described.append(f"{name}: no area in the map (off)")
        else:
            described.append(f"{name}: {area.start}-{area.start + area.extent - 1}, handshake "
                             f"{area.handshake_address}" + ("" if on else " (switched off)"))
    return "; ".join(described)


def _simulated_reports(args: argparse.Namespace, register_map: Any) -> dict[str, Any]:
    """The simulator's report-area options; ValueError naming the bad one."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from .plc.simulator.reports import parse_failure, parse_weighing

    try:
        ZoneInfo(args.plc_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"--plc-timezone {args.plc_timezone!r} is not an IANA time zone") from None
    for option, mean in (("--random-failures", args.random_failures),
                         ("--random-weighings", args.random_weighings)):
        if mean is not None and not mean > 0:
            raise ValueError(f"{option} must be a number of seconds > 0, got {mean}")
    try:
        products = tuple(int(p) for p in args.weighing_products.split(",") if p.strip())
    except ValueError:
        raise ValueError(f"--weighing-products {args.weighing_products!r}: ids separated by commas") from None
    if (args.failure or args.random_failures) and register_map.failure_area is None:
        raise ValueError(f"failures asked for, but {register_map.source} has no [failures] area")
    if (args.weighing or args.random_weighings) and register_map.weighing_area is None:
        raise ValueError(f"weighings asked for, but {register_map.source} has no [manual_weighing] area")
    return {
        "plc_timezone": args.plc_timezone,
        "scripted_failures": tuple(parse_failure(t) for t in args.failure),
        "scripted_weighings": tuple(parse_weighing(t) for t in args.weighing),
        "random_failure_seconds": args.random_failures,
        "random_weighing_seconds": args.random_weighings,
        "weighing_products": products,
    }


def _simulate_plc(args: argparse.Namespace) -> int:
    from .plc.register_map import RegisterMapError, load_register_map
    from .plc.simulator import run_simulator

    configure_logging(args.log_level if args.log_level in logging._nameToLevel else "INFO")
    path = args.register_map or (Path(os.environ["REGISTER_MAP_FILE"])
                                 if os.environ.get("REGISTER_MAP_FILE") else None)
    try:
        register_map = load_register_map(path)
    except (RegisterMapError, OSError) as exc:
        logger.error("register map: %s", exc)
        return EXIT_USAGE
    if args.port is None:
        args.port = 9600 if args.protocol == "fins" else 5020
    if (not 0 <= args.port <= 65535 or args.batch_seconds < 0 or not 0 <= args.noise < 1
            or not 1 <= args.fins_node <= 254):
        logger.error("simulate-plc: --port 0..65535, --batch-seconds >= 0, --noise in [0, 1), --fins-node 1..254")
        return EXIT_USAGE
    try:
        reports = _simulated_reports(args, register_map)
    except ValueError as exc:
        logger.error("simulate-plc: %s", exc)
        return EXIT_USAGE
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        run_simulator(register_map, args.host, args.port, args.batch_seconds, args.noise,
                      args.seed, stop_event=stop, unit_id=args.unit_id, protocol=args.protocol,
                      fins_transport=args.fins_transport, fins_node=args.fins_node, **reports)
    except Exception as exc:
        logger.error("simulate-plc: %s", exc)
        return EXIT_FAILURE
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
