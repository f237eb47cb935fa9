"""Benchmark 5: 1,000 batches through the line, and what the agent's memory does meanwhile.

``plc-agent run`` as a subprocess against the PLC simulator (short batches) and the stand-in
Odoo, which holds the MOs. The agent's resident memory is sampled once a second from the
first set to the last report; a leak shows as growth between the first and the last
hundred batches.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from plc_agent.plc.register_map import load_register_map
from plc_agent.plc.simulator import PlcSimulator

from .common import BenchResult, BenchSkipped, Stats, Target
from .footprint import MIB, _agent_env, stop_agent
from .line_idle import _standin


def run(batches: int = 1000, batch_seconds: float = 0.05, timeout: float = 1800.0) -> BenchResult:
    try:
        import psutil
    except ImportError as exc:
        raise BenchSkipped("psutil is not installed (pip install -e '.[test]')") from exc
    rmap = load_register_map()
    standin = _standin()
    standin.start()
    simulator = PlcSimulator(rmap, batch_seconds=batch_seconds, noise=0.02, seed=3)
    simulator.start("127.0.0.1", 0)
    for _ in range(batches):
        standin.add_mo()
    work = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    log_path = work / "agent.log"
    environment = _agent_env(
        standin, simulator, work, PLC_POLL_INTERVAL_SECONDS="0.2", PUSH_INTERVAL_SECONDS="5", LOG_LEVEL="WARNING"
    )
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "plc_agent", "run"], env=environment,
                                   stdout=log, stderr=subprocess.STDOUT, cwd=str(work))
    samples: list[tuple[int, float]] = []  # (batches reported, RSS MiB)
    started = time.monotonic()
    try:
        agent = psutil.Process(process.pid)
        while len(standin.reports) < batches:
            if process.poll() is not None:
                raise RuntimeError(f"plc-agent run exited with {process.returncode}: {log_path.read_text()[-1500:]}")
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"only {len(standin.reports)} of {batches} batches reported in {timeout:.0f} s")
            samples.append((len(standin.reports), agent.memory_info().rss / MIB))
            time.sleep(1.0)
        samples.append((len(standin.reports), agent.memory_info().rss / MIB))
        elapsed = time.monotonic() - started
        cpu = agent.cpu_times()
        cpu_seconds = cpu.user + cpu.system
    finally:
        stop_agent(process)
        simulator.stop()
        standin.stop()
        shutil.rmtree(work, ignore_errors=True)

    dosed: dict[str, int] = {}
    for _slot, reference in simulator.line.completed_batches:
        dosed[reference] = dosed.get(reference, 0) + 1
    doubled = sum(1 for count in dosed.values() if count > 1)
    closed_twice = sum(1 for mo in standin.mos() if mo["times_closed"] > 1)
    first = [rss for done, rss in samples if done <= batches // 10] or [samples[0][1]]
    last = [rss for done, rss in samples if done >= batches - batches // 10] or [samples[-1][1]]
    rss = Stats.of([value for _done, value in samples])
    end_rss = samples[-1][1]
    rows = [[
        f"{batches}",
        f"{len(simulator.line.received_sets)}",
        f"{elapsed:.0f} s",
        f"{Stats.of(first).median:.1f} MiB",
        f"{end_rss:.1f} MiB",
        f"{rss.maximum:.1f} MiB",
        f"{Stats.of(last).median - Stats.of(first).median:+.1f} MiB",
        f"{cpu_seconds:.1f} s",
        f"{doubled} / {closed_twice}",
    ]]
    return BenchResult(
        name="soak",
        title=f"5. {batches} batches through the simulator: the agent's resident memory",
        columns=["batches", "sets", "wall time", "RSS first 10 %", "RSS after the last", "RSS max",
                 "growth first -> last 10 %", "agent CPU", "dosed twice / closed twice"],
        rows=rows,
        notes=[
            f"`plc-agent run` subprocess, SQLite queue, PLC poll 0.2 s, simulator batches of {batch_seconds:g} s, "
            "stand-in Odoo in the benchmark's process; RSS sampled once a second.",
        ],
        targets=[
            Target("agent resident memory <= 60 MB after 1,000 batches", "<= 60 MB (57.2 MiB)",
                   f"{end_rss:.1f} MiB ({end_rss * MIB / 1e6:.1f} MB)", end_rss * MIB <= 60e6,
                   f"{(60e6 - end_rss * MIB) / 1e6:.1f} MB to spare" if end_rss * MIB <= 60e6
                   else f"{(end_rss * MIB - 60e6) / 1e6:.1f} MB over"),
            Target("nothing doubled", "0", f"{doubled} dosed twice, {closed_twice} closed twice",
                   doubled == 0 and closed_twice == 0, "exact"),
        ],
        data={"samples": samples, "elapsed_seconds": elapsed, "cpu_seconds": cpu_seconds,
              "sets": len(simulator.line.received_sets)},
    )
