"""The fault campaign: many batches through the whole agent while faults strike at random.

``plc-agent run`` runs as a subprocess against the PLC simulator (short batches of random
length, answers delayed at random, so the line also moves between the agent's requests)
and the stand-in Odoo. A seeded random generator picks, every few tenths of a second, a
fault and the moment it strikes:

* ``plc_drop``: the connection drops at a request of a kind (read, slot write, handshake
  word, acknowledgement) -- the first to come or one further into its sequence -- before
  the request is served or after a write took effect;
* ``plc_silent``: the PLC answers nothing for seconds;
* ``garbage``: the batches ending meanwhile report some of their values as garbage (0xFFFF
  words, negative, 1000 x the real value, the largest value the words hold);
* ``odoo_down``: Odoo refuses connections for seconds;
* ``lost_reply``: Odoo commits a report, then the connection resets;
* ``sigkill`` / ``sigterm``: the agent is killed or stopped, then started again;
* ``db_locked``: another process holds the queue database locked for seconds;
* ``failed_run``: the next batch the PLC runs in slot 1 fails (status_operation = 1); the
  planner releases its MO again as soon as Odoo marks it failed, and the new run goes first
  into the next set: into slot 1 again, the slot whose read slot still shows the failed run
  (with the old program's layout, the case its exactly-once rules are for);
* over FINS/UDP (``protocol="fins"``, ``fins_transport="udp"``) also what UDP does to a
  datagram and TCP never does: ``lost_request`` (the next 1-3 requests never reach the PLC),
  ``lost_answer`` (the PLC acts on the next 1-3 requests, their answers are lost),
  ``duplicated_answer`` (the next 1-5 answers arrive twice) and ``late_answer`` (the next
  1-3 answers arrive after the agent's timeout, while it waits for its retry's answer).

Over FINS (UDP or TCP) the agent runs with ``PLC_PROTOCOL=fins`` against the FINS simulator;
``plc_drop`` then loses the datagram (UDP) or drops the FINS/TCP connection.

``layout="old-program"`` runs the PLC and the agent with the old program's map (no batch
number at offset 77, ``REGISTER_MAP_FILE=old-program``).

When every MO is reported (or the time is up) the faults stop and the agent gets a quiet
minute to drain. Then the invariants are checked: every MO dosed once (a failed run not
counted), reported once and
closed once (a batch with garbage: recorded in Odoo as suspect, naming each garbled value,
and not closed, for a person to accept), the queue empty, every batch in the history once,
no report rejected, no protocol violation. The same seed gives the same faults in the same order; the
moments depend on the machine's timing, so a failing seed is kept as a regression test
with the smallest batch count that still fails.
"""

from __future__ import annotations

import logging
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from plc_agent.plc.register_map import PACKAGED_MAPS, load_register_map, packaged_map_path
from plc_agent.plc.simulator import GARBAGE_FORMS, PlcSimulator
from plc_agent.plc.simulator.fins_server import FinsPlcSimulator

from .common import BenchResult, Target
from .footprint import _agent_env
from .line_idle import _standin

FAULT_KINDS = ("plc_drop", "plc_silent", "garbage", "odoo_down", "lost_reply", "sigkill", "sigterm",
               "db_locked", "failed_run")
LAYOUTS = tuple(PACKAGED_MAPS)  # the packaged maps the PLC and the agent may run with
# What UDP does to a datagram (FINS/UDP only): campaign kind -> the simulator's datagram fault.
DATAGRAM_KINDS = {"lost_request": "lose_request", "lost_answer": "lose_answer",
                  "duplicated_answer": "duplicate_answer", "late_answer": "late_answer"}
PROTOCOLS = ("modbus", "fins")
FINS_TRANSPORTS = ("udp", "tcp")
FINS_PLC_NODE, FINS_AGENT_NODE = 10, 20
PLC_TIMEOUT_SECONDS = 1.0  # the agent's, in the campaign
DROP_REQUESTS = ("read", "write", "handshake", "ack")
# How far into its sequence a drop may land: the requests of one kind in a PLC cycle (the
# read area's reads, the slot writes of a set, the acknowledgements of a set).
DROP_SKIP_MAX = {"read": 3, "write": 9, "handshake": 1, "ack": 9}
QUIET_SECONDS = 60.0  # after the last fault: time the agent gets to drain the queue


@dataclass
class CampaignRun:
    """What happened in one campaign, and what the invariants found."""

    seed: int
    batches: int
    faults: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    reported: int = 0
    invariants: dict[str, str] = field(default_factory=dict)  # name -> "ok" or what is wrong
    agent_log: Path | None = None
    link: str = "Modbus TCP"
    datagrams: Counter = field(default_factory=Counter)  # datagram fault -> datagrams it struck
    stray_answers: int = 0  # FINS: answers the agent dropped as belonging to no waiting request
    resent: int = 0  # FINS/UDP: requests the agent sent again after a timeout
    stalled: str | None = None  # the line made no progress for too long (then the faults stop)
    suspect: int = 0  # batches the line garbled, each to be recorded in Odoo as suspect
    drops: Counter = field(default_factory=Counter)  # (request, before/after) -> drops that struck
    layout: str = "shipped"  # the packaged register map the PLC and the agent ran with
    released_again: int = 0  # failed runs whose MO the planner released again
    same_slot_again: int = 0  # ... whose new run the PLC ran in the failed run's slot

    @property
    def passed(self) -> bool:
        return all(v == "ok" for v in self.invariants.values())

    def summary(self) -> str:
        lines = [f"seed {self.seed}: {self.batches} batches over {self.link}, {self.layout} layout, "
                 f"{self.seconds:.0f} s, {sum(self.faults.values())} faults, {self.suspect} batches with "
                 f"garbage, {self.released_again} failed runs released again ({self.same_slot_again} "
                 "of them into the same slot)"]
        lines += [f"  fault {kind}: {count}" for kind, count in sorted(self.faults.items())]
        lines += [f"  datagrams {fault}: {count}" for fault, count in sorted(self.datagrams.items())]
        if self.link != "Modbus TCP":
            lines.append(f"  the agent sent {self.resent} request(s) again and dropped "
                         f"{self.stray_answers} stray answer(s)")
        if self.stalled:
            lines.append(f"  STALLED: {self.stalled}")
        lines += [f"  invariant {name}: {verdict}" for name, verdict in self.invariants.items()]
        return "\n".join(lines)


class _Agent:
    """The agent subprocess, started again after each kill or stop."""

    def __init__(self, environment: dict[str, str], work: Path):
        self.environment = environment
        self.work = work
        self.log_path = work / "agent.log"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "plc_agent", "run"], env=self.environment,
                                            stdout=log, stderr=subprocess.STDOUT, cwd=str(self.work))
        self.starts += 1

    def stop(self, sig: int, timeout: float = 90.0) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def ensure_running(self) -> None:
        """A stale instance lock (exit 3) or a crash ends the process: a service manager
        starts it again, and so does the campaign."""
        if self.process is None or self.process.poll() is not None:
            self.start()


class _DatabaseLocker:
    """Holds the queue database locked from another connection, as a backup tool might."""

    def __init__(self, database_url: str):
        self.database_url = database_url

    def hold(self, seconds: float) -> None:
        if self.database_url.startswith("sqlite:///"):
            connection = sqlite3.connect(self.database_url[len("sqlite:///"):], timeout=30)
            try:
                connection.execute("BEGIN EXCLUSIVE")
                time.sleep(seconds)
                connection.rollback()
            finally:
                connection.close()
            return
        engine = create_engine(self.database_url)
        try:
            with engine.begin() as connection:
                connection.execute(text("LOCK TABLE mo_batch IN ACCESS EXCLUSIVE MODE"))
                time.sleep(seconds)
        finally:
            engine.dispose()


def fault_kinds(protocol: str = "modbus", fins_transport: str = "udp") -> tuple[str, ...]:
    """Every fault kind the campaign draws over this link: the datagram faults over FINS/UDP."""
    if protocol == "fins" and fins_transport == "udp":
        return FAULT_KINDS + tuple(DATAGRAM_KINDS)
    return FAULT_KINDS


class _Faults:
    """Strikes one fault at a time; each fault that lasts ends by a timer of its own."""

    def __init__(self, rng: random.Random, kinds: tuple[str, ...], simulator: PlcSimulator, standin: Any,
                 agent: _Agent, locker: _DatabaseLocker):
        self.rng = rng
        self.kinds = kinds
        self.simulator = simulator
        self.standin = standin
        self.agent = agent
        self.locker = locker
        self.counts: Counter = Counter()
        self._timers: list[threading.Thread] = []

    def _later(self, seconds: float, action: Callable[[], None]) -> None:
        thread = threading.Thread(target=lambda: (time.sleep(seconds), action()), daemon=True)
        thread.start()
        self._timers.append(thread)

    def strike(self, kind: str | None = None) -> None:
        """One fault: `kind`, or one drawn from the campaign's kinds."""
        kind = kind or self.rng.choice(self.kinds)
        self.counts[kind] += 1
        rng = self.rng
        if kind == "plc_drop":
            request = rng.choice(DROP_REQUESTS)
            self.simulator.faults.drop_at_next(request, rng.choice(("before", "after")),
                                        skip=rng.randint(0, DROP_SKIP_MAX[request]))
        elif kind == "plc_silent":
            self.simulator.faults.set_response_delay(rng.uniform(1.5, 3.0))
            self._later(rng.uniform(1.0, 4.0), lambda: self.simulator.faults.set_response_delay(0.0))
        elif kind == "garbage":
            self.simulator.faults.set_mixed_garbage(GARBAGE_FORMS)
            # Long enough to catch a batch ending: the line often waits for the agent.
            self._later(rng.uniform(0.3, 1.5), lambda: self.simulator.faults.set_mixed_garbage(()))
        elif kind == "odoo_down":
            if self.standin.is_up:
                self.standin.go_down()
                self._later(rng.uniform(0.5, 4.0), self.standin.come_up)
        elif kind == "lost_reply":
            self.standin.clear_faults()  # one lost reply pending at a time, not a wall of them
            self.standin.fail_next("plc_report_batch", "lost_reply")
        elif kind == "sigkill":
            self.agent.stop(signal.SIGKILL)
            self.agent.start()
        elif kind == "sigterm":
            self.agent.stop(signal.SIGTERM)
            self.agent.start()
        elif kind == "failed_run":
            self.simulator.faults.fail_batch(1)
        elif kind == "db_locked":
            seconds = rng.uniform(0.5, 3.0)
            self._later(0.0, lambda: self.locker.hold(seconds))
        elif kind in DATAGRAM_KINDS:
            fault = DATAGRAM_KINDS[kind]
            # Late beyond the agent's timeout: the answer lands while it waits for its retry's.
            self.simulator.faults.datagram_fault_next(
                fault, times=rng.randint(1, 5 if fault == "duplicate_answer" else 3),
                late_seconds=rng.uniform(1.05, 1.8) * PLC_TIMEOUT_SECONDS)
        else:
            raise ValueError(f"unknown fault kind {kind!r}")

    def release_failed(self) -> int:
        """The planner: every MO Odoo marks failed is released again at once; how many."""
        released = 0
        for mo in self.standin.mos():
            if mo["plc_state"] == "failed":
                self.standin.release(mo["id"])
                released += 1
        return released

    def settle(self) -> None:
        """End every lasting fault: the quiet phase starts from a healthy plant."""
        for thread in self._timers:
            thread.join(timeout=10)
        self.simulator.faults.set_response_delay(0.0)
        self.simulator.faults.set_mixed_garbage(())
        self.standin.come_up()
        self.standin.clear_faults()


def _check(run: CampaignRun, simulator: PlcSimulator, standin: Any, database_url: str,
           names: list[str]) -> None:
    failed = Counter(reference for _slot, _number, reference in simulator.line.failed_batches)
    dosed = Counter(reference for _slot, reference in simulator.line.completed_batches) - failed
    run.same_slot_again = _same_slot_again(simulator.line.completed_batches, simulator.line.failed_batches)
    twice = sorted(ref for ref, n in dosed.items() if n > 1)
    never = sorted(set(names) - set(dosed))
    run.invariants["every MO dosed once"] = (
        "ok" if not twice and not never else f"dosed twice: {twice[:5]}; never dosed: {never[:5]}")
    mos = standin.mos()
    garbled = _garbled_by_mo(simulator)
    applied = Counter(r["payload"].get("batch_key") for r in standin.reports
                      if r["result"]["status"] in ("done", "recorded") and not r["result"]["duplicate"])
    rejected = [r for r in standin.reports if r["result"]["status"] == "rejected"]
    twice = sorted(key for key, n in applied.items() if n > 1)
    unreported = sorted(mo["name"] for mo in mos if mo["batch_key"] not in applied)
    run.invariants["every MO reported once"] = (
        "ok" if not twice and not unreported else f"applied twice: {twice[:5]}; never applied: {unreported[:5]}")
    run.invariants["no report rejected"] = (
        "ok" if not rejected else f"{len(rejected)} rejected, first: {rejected[0]['result']['reason']}")
    wrong = []
    for mo in mos:
        if mo["name"] in garbled:
            if mo["plc_state"] != "recorded" or not mo.get("plc_suspect") or mo["times_closed"] != 0:
                wrong.append(f"{mo['name']} (garbage) {mo['plc_state']}, closed {mo['times_closed']}x")
        elif mo["plc_state"] != "done" or mo["times_closed"] != 1:
            wrong.append(f"{mo['name']} {mo['plc_state']}, closed {mo['times_closed']}x")
    run.invariants["every MO closed once, or recorded suspect when the PLC sent garbage"] = (
        "ok" if not wrong else f"{len(wrong)} wrong: {wrong[:5]}")
    run.suspect = len(garbled)
    run.invariants["each suspect batch accounted for"] = _suspects_accounted(standin, mos, garbled)
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            queued = connection.execute(text("SELECT count(*) FROM mo_batch")).scalar_one()
            keys = Counter(connection.execute(text("SELECT batch_key FROM mo_histories")).scalars())
            held = connection.execute(
                text("SELECT count(*) FROM mo_histories WHERE outcome NOT IN ('done', 'recorded', 'failed')")
            ).scalar_one()
    finally:
        engine.dispose()
    run.invariants["queue drained"] = "ok" if queued == 0 else f"{queued} batch(es) still in mo_batch"
    doubled = sorted(k for k, n in keys.items() if n > 1)
    runs = len(names) + sum(failed.values())  # a failed run and its MO's next run: two keys
    run.invariants["each batch archived once"] = (
        "ok" if len(keys) == runs and not doubled
        else f"{len(keys)} keys archived for {len(names)} MOs and {runs - len(names)} failed runs; "
             f"twice: {doubled[:5]}")
    run.invariants["every failed run released again"] = (
        "ok" if run.released_again == sum(failed.values())
        else f"{sum(failed.values())} runs failed in the PLC, {run.released_again} released again")
    run.invariants["no batch rejected or lost in history"] = (
        "ok" if held == 0 else f"{held} history row(s) not answered done/recorded/failed")
    run.invariants["no PLC protocol violation"] = (
        "ok" if not simulator.line.protocol_violations else "; ".join(simulator.line.protocol_violations[:3]))


def _same_slot_again(completed: list[tuple[int, str]], failed: list[tuple[int, int, str]]) -> int:
    """How many failed runs were followed by their MO's next run in the same slot."""
    failed_slots: dict[str, list[int]] = {}
    for slot, _number, reference in failed:
        failed_slots.setdefault(reference, []).append(slot)
    same = 0
    last_failed_slot: dict[str, int] = {}
    for slot, reference in completed:  # an MO's failed runs end before its good one
        if reference in last_failed_slot and last_failed_slot.pop(reference) == slot:
            same += 1
        if failed_slots.get(reference):
            failed_slots[reference].pop(0)
            last_failed_slot[reference] = slot
    return same


def _garbled_by_mo(simulator: PlcSimulator) -> dict[str, set[str | None]]:
    """MO reference -> the values the line garbled: Odoo's silo codes, None = finished weight."""
    garbled: dict[str, set[str | None]] = {}
    for _slot, _number, reference, values in simulator.line.garbled_batches:
        garbled.setdefault(reference, set()).update(
            None if name == "finished_weight" else name.split()[1] for name, _form in values)
    return garbled


def _suspects_accounted(standin: Any, mos: list[dict[str, Any]], garbled: dict[str, set[str | None]]) -> str:
    """Each garbled value named suspect in the applied report with its raw words; no other
    value suspect unless its words hold 0xFFFF (a real weight such as 2621.43 kg looks like a
    sentinel, and a person looks at it too)."""
    by_key = {mo["batch_key"]: mo["name"] for mo in mos}
    problems = []
    for report in standin.reports:
        result, payload = report["result"], report["payload"]
        if result["status"] not in ("done", "recorded") or result["duplicate"]:
            continue
        name = by_key.get(payload.get("batch_key"))
        named = {entry["silo"]: entry for entry in payload.get("suspect") or []}
        missing = garbled.get(name, set()) - set(named)
        if missing:
            problems.append(f"{name}: garbage in {sorted(map(str, missing))} not named suspect")
        for silo, entry in named.items():
            if silo not in garbled.get(name, set()) and 0xFFFF not in entry["raw_words"]:
                problems.append(f"{name}: {silo or 'finished weight'} suspect without garbage: {entry['reason']}")
            if not entry["raw_words"]:
                problems.append(f"{name}: {silo or 'finished weight'} suspect without its raw words")
    return "ok" if not problems else f"{len(problems)} problem(s): {problems[:4]}"


def run_campaign(*, seed: int, batches: int, kinds: tuple[str, ...] = FAULT_KINDS,
                 database_url: str | None = None, fault_every: tuple[float, float] = (0.5, 3.0),
                 timeout: float = 3600.0, stall_seconds: float = 120.0, quiet_seconds: float = QUIET_SECONDS,
                 keep_work: bool = False, protocol: str = "modbus", fins_transport: str = "udp",
                 layout: str = "shipped", opening_fault: str | None = None) -> CampaignRun:
    """One campaign over Modbus TCP or FINS (UDP or TCP) with a packaged register map;
    returns what happened (raises only when the setup itself fails).

    ``opening_fault``: the first fault to strike, the later ones drawn at random. A short
    campaign that must meet a fault whose effect needs batches still to come (``failed_run``
    strikes only a batch not yet run in slot 1) opens with it rather than hoping the draw
    comes early enough on a fast machine."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be modbus or fins, got {protocol!r}")
    if fins_transport not in FINS_TRANSPORTS:
        raise ValueError(f"FINS transport must be udp or tcp, got {fins_transport!r}")
    known = fault_kinds(protocol, fins_transport)
    unknown = sorted(set(kinds) - set(known))
    if unknown:
        over = "FINS/UDP" if protocol == "fins" and fins_transport == "udp" else (
            "FINS/TCP" if protocol == "fins" else "Modbus TCP")
        raise ValueError(f"unknown fault kind(s) {', '.join(unknown)} over {over}; known: {', '.join(known)}")
    if opening_fault is not None and opening_fault not in kinds:
        raise ValueError(f"the opening fault {opening_fault!r} is not among the campaign's kinds: {', '.join(kinds)}")
    if batches < 1:
        raise ValueError(f"batches must be at least 1, got {batches}")
    rng = random.Random(seed)
    link = f"FINS/{fins_transport.upper()}" if protocol == "fins" else "Modbus TCP"
    run = CampaignRun(seed=seed, batches=batches, link=link, layout=layout)
    register_map = load_register_map(packaged_map_path(layout))
    work = Path(tempfile.mkdtemp(prefix="campaign-"))
    database_url = database_url or f"sqlite:///{work / 'queue.sqlite3'}"
    standin = _standin()
    standin.start()
    line = dict(batch_seconds=0.05, batch_jitter=1.0, noise=0.02, seed=seed)
    link_settings: dict[str, str] = {}
    simulator: PlcSimulator
    if protocol == "fins":
        simulator = FinsPlcSimulator(register_map, transport=fins_transport, node=FINS_PLC_NODE, **line)
        link_settings = dict(PLC_PROTOCOL="fins", PLC_FINS_TRANSPORT=fins_transport,
                             PLC_FINS_DEST_NODE=str(FINS_PLC_NODE), PLC_FINS_SOURCE_NODE=str(FINS_AGENT_NODE),
                             PLC_FINS_RETRIES="2")
    else:
        simulator = PlcSimulator(register_map, **line)
    simulator.start("127.0.0.1", 0)
    simulator.faults.set_response_jitter(0.002)
    names = [standin.mo(standin.add_mo())["name"] for _ in range(batches)]
    environment = _agent_env(
        standin, simulator, work, DATABASE_URL=database_url, PLC_POLL_INTERVAL_SECONDS="0.2",
        PUSH_INTERVAL_SECONDS="1", PUSH_BACKOFF_MAX_SECONDS="2", HEALTH_INTERVAL_SECONDS="5",
        PLC_TIMEOUT_SECONDS=f"{PLC_TIMEOUT_SECONDS:g}", PLC_RECONNECT_BACKOFF_MAX_SECONDS="1",
        ODOO_TIMEOUT_SECONDS="5", LOG_LEVEL="INFO", REGISTER_MAP_FILE=layout, **link_settings,
    )
    agent = _Agent(environment, work)
    faults = _Faults(rng, kinds, simulator, standin, agent, _DatabaseLocker(database_url))
    started = time.monotonic()
    try:
        agent.start()
        next_fault = started + rng.uniform(*fault_every)
        progress, progress_at = 0, started
        while time.monotonic() - started < timeout:
            done = sum(1 for mo in standin.mos() if mo["plc_state"] in ("done", "recorded"))
            if done == batches:
                break
            if done > progress:
                progress, progress_at = done, time.monotonic()
            elif time.monotonic() - progress_at > stall_seconds:
                run.stalled = f"no MO closed for {stall_seconds:.0f} s after {done} of {batches}"
                break
            agent.ensure_running()
            run.released_again += faults.release_failed()
            if kinds and time.monotonic() >= next_fault:
                faults.strike(opening_fault)
                opening_fault = None
                next_fault = time.monotonic() + rng.uniform(*fault_every)
            time.sleep(0.05)
        faults.settle()
        quiet_until = time.monotonic() + quiet_seconds
        while time.monotonic() < quiet_until:
            agent.ensure_running()
            run.released_again += faults.release_failed()
            if all(mo["plc_state"] in ("done", "recorded") for mo in standin.mos()) and _queue_empty(database_url):
                break
            time.sleep(0.2)
        agent.stop(signal.SIGTERM)
        run.seconds = time.monotonic() - started
        run.faults = faults.counts
        run.drops = Counter((request, effect) for request, effect, _address in simulator.faults.dropped_requests)
        run.datagrams = Counter(fault for fault, _sid in simulator.faults.datagram_faults)
        if agent.log_path.exists():
            log = agent.log_path.read_text(encoding="utf-8", errors="replace")
            run.stray_answers = log.count("dropped an answer that belongs to no waiting request")
            run.resent = log.count("sending again (")
        run.reported = len(standin.reports)
        _check(run, simulator, standin, database_url, names)
        run.invariants["the line never stalled"] = "ok" if not run.stalled else run.stalled
    finally:
        agent.stop(signal.SIGKILL)
        simulator.stop()
        standin.stop()
        if keep_work or not run.passed:
            kept = Path(tempfile.gettempdir()) / f"campaign-seed-{seed}.log"
            if agent.log_path.exists():
                shutil.copyfile(agent.log_path, kept)
                run.agent_log = kept
        shutil.rmtree(work, ignore_errors=True)
    return run


def _queue_empty(database_url: str) -> bool:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM mo_batch")).scalar_one() == 0
    except Exception:  # locked or not created yet: not empty as far as we know
        return False
    finally:
        engine.dispose()


def run(*, seed: int | None = None, batches: int = 1000, kinds: tuple[str, ...] | None = None,
        database_url: str | None = None, fault_every: tuple[float, float] = (0.5, 3.0),
        protocol: str = "modbus", fins_transport: str = "udp", layout: str = "shipped") -> BenchResult:
    """``python -m bench campaign``: one campaign, printed as a table of faults and invariants.

    ``kinds`` None: every kind the link can meet (:func:`fault_kinds`)."""
    kinds = fault_kinds(protocol, fins_transport) if kinds is None else kinds
    seed = seed if seed is not None else random.SystemRandom().randrange(1, 2**31)
    # The simulator drops connections on purpose; pymodbus reports each with a frame dump.
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    print(f"campaign seed {seed} (repeat with --seed {seed})", flush=True)
    result = run_campaign(seed=seed, batches=batches, kinds=kinds, database_url=database_url,
                          fault_every=fault_every, protocol=protocol, fins_transport=fins_transport,
                          layout=layout)
    rows = [[f"fault: {kind}", str(count)] for kind, count in sorted(result.faults.items())]
    rows += [[f"datagrams struck: {fault}", str(count)] for fault, count in sorted(result.datagrams.items())]
    rows += [[f"invariant: {name}", verdict] for name, verdict in result.invariants.items()]
    notes = [
        f"seed {seed}, {batches} batches over {result.link}, the {layout} layout, {result.seconds:.0f} s, "
        f"{sum(result.faults.values())} faults, {result.released_again} failed runs released again "
        f"({result.same_slot_again} of them run again in the failed run's slot), "
        f"{result.reported} report calls reached Odoo (duplicates after lost replies included); "
        f"{result.suspect} batches carried garbage from the PLC.",
        "PLC drops that struck: " + (", ".join(f"{request} {effect} {count}" for (request, effect), count
                                              in sorted(result.drops.items())) or "none") + ".",
        f"`plc-agent run` subprocess over {result.link}, PLC simulator batches of 0.05 s +-100 %, "
        "answers delayed 0-2 ms "
        f"at random, stand-in Odoo; faults every {fault_every[0]:g}-{fault_every[1]:g} s, then a quiet "
        "minute to drain.",
    ]
    if result.link != "Modbus TCP":
        notes.append(f"The agent sent {result.resent} FINS request(s) again after a timeout and dropped "
                     f"{result.stray_answers} answer(s) that belonged to no waiting request (late, "
                     "duplicated).")
    if result.stalled:
        notes.append(f"STALLED during the faults: {result.stalled}")
    if result.agent_log:
        notes.append(f"agent log kept: {result.agent_log}")
    return BenchResult(
        name="campaign",
        title=f"Fault campaign over {result.link}, {layout} layout, seed {seed}: {batches} batches",
        columns=["what", "count / verdict"],
        rows=rows,
        notes=notes,
        targets=[Target("every invariant holds", "all ok",
                        "all ok" if result.passed else "broken: " + ", ".join(
                            k for k, v in result.invariants.items() if v != "ok"),
                        result.passed, "exact")],
        data={"seed": seed, "batches": batches, "link": result.link, "layout": layout,
              "released_again": result.released_again, "same_slot_again": result.same_slot_again,
              "faults": dict(result.faults),
              "datagrams": dict(result.datagrams), "resent": result.resent,
              "stray_answers": result.stray_answers, "suspect": result.suspect,
              "drops": {f"{request} {effect}": n for (request, effect), n in sorted(result.drops.items())},
              "invariants": result.invariants, "seconds": result.seconds},
    )
