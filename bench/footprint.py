"""Benchmark 4: the agent's resident memory and CPU, as the service a plant runs.

``plc-agent run`` is started as a subprocess, configured through its environment as a
service manager would; the PLC simulator and the stand-in Odoo run in this process so that
they do not count. psutil samples the agent once a second:

* idle: default intervals (PLC poll 5 s, push 30 s, health 60 s), nothing to dose;
* busy: 10 batches in the PLC's slots, read every second (PLC_POLL_INTERVAL_SECONDS=1),
  finished batches pushed to Odoo as they come.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from plc_agent.plc.register_map import load_register_map
from plc_agent.plc.simulator import PlcSimulator

from .common import BenchResult, BenchSkipped, Stats, Target
from .line_idle import LINE, _standin

MIB = 2**20
SETTLE_SECONDS = 5.0


def _agent_env(standin: Any, simulator: PlcSimulator, work: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ODOO_", "PLC_", "SYNC_", "DATABASE_", "PUSH_", "HEALTH_", "ENABLE_"))}
    env.update(
        PLC_LINE_CODE=LINE,
        ODOO_URL=standin.url,
        ODOO_DATABASE=standin.database,
        ODOO_USERNAME=standin.username,
        ODOO_PASSWORD=standin.password,
        DATABASE_URL=f"sqlite:///{work / 'queue.sqlite3'}",
        PLC_AGENT_DATA_DIR=str(work),
        PLC_HOST=simulator.host,
        PLC_PORT=str(simulator.port),
        LOG_LEVEL="INFO",
    )
    env.update(overrides)
    return env


def stop_agent(process: subprocess.Popen) -> None:
    """SIGTERM, as a service manager stops it; SIGKILL if it does not end within 30 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _measure(pid: int, seconds: float) -> dict[str, Any]:
    import psutil

    process = psutil.Process(pid)
    rss: list[float] = []
    cpu_percent: list[float] = []
    times = process.cpu_times()
    cpu_start = times.user + times.system
    wall_start = last_wall = time.monotonic()
    last_cpu = cpu_start
    while time.monotonic() - wall_start < seconds:
        time.sleep(1.0)
        if not process.is_running():
            raise RuntimeError("the agent ended during the measurement")
        times = process.cpu_times()
        now, cpu = time.monotonic(), times.user + times.system
        cpu_percent.append(100.0 * (cpu - last_cpu) / (now - last_wall))
        last_wall, last_cpu = now, cpu
        rss.append(process.memory_info().rss / MIB)
    wall = last_wall - wall_start
    return {
        "rss_mib": rss,
        "cpu_percent_per_second": cpu_percent,
        "cpu_percent_overall": 100.0 * (last_cpu - cpu_start) / wall,
        "cpu_seconds": last_cpu - cpu_start,
        "wall_seconds": wall,
        "uss_mib_end": getattr(process.memory_full_info(), "uss", 0) / MIB,
    }


def _phase(name: str, seconds: float, *, mos: int, batch_seconds: float, overrides: dict[str, str]) -> dict[str, Any]:
    rmap = load_register_map()
    standin = _standin()
    standin.start()
    simulator = PlcSimulator(rmap, batch_seconds=batch_seconds, noise=0.02, seed=5)
    simulator.start("127.0.0.1", 0)
    for _ in range(mos):
        standin.add_mo()
    work = Path(tempfile.mkdtemp(prefix=f"bench-footprint-{name}-"))
    log_path = work / "agent.log"
    command = [sys.executable, "-m", "plc_agent", "run"]
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, env=_agent_env(standin, simulator, work, **overrides),
                                   stdout=log, stderr=subprocess.STDOUT, cwd=str(work))
    try:
        deadline = time.monotonic() + 60
        # Up: the start-up sync asked Odoo for batches (and, when there is work, the PLC took
        # the set).
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"plc-agent run exited with {process.returncode}: "
                                   f"{log_path.read_text()[-1500:]}")
            if standin.calls("plc_fetch_batches") and (mos == 0 or simulator.line.received_sets):
                break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"plc-agent run did not come up within 60 s: {log_path.read_text()[-1500:]}")
        time.sleep(SETTLE_SECONDS)
        figures = _measure(process.pid, seconds)
        figures["batches_in_plc"] = sum(len(s) for s in simulator.line.received_sets)
        figures["completed_batches"] = len(simulator.line.completed_batches)
        figures["reports"] = len(standin.reports)
        figures["odoo_calls"] = standin.calls()
    finally:
        stop_agent(process)
        simulator.stop()
        standin.stop()
        shutil.rmtree(work, ignore_errors=True)
    figures["exit_code"] = process.returncode
    return figures


def run(seconds: float = 60.0) -> BenchResult:
    try:
        import psutil  # noqa: F401
    except ImportError as exc:
        raise BenchSkipped("psutil is not installed (pip install -e '.[test]')") from exc
    started_run = time.monotonic()
    print(f"   idle phase ({seconds:.0f} s) ...", flush=True)
    idle = _phase("idle", seconds, mos=0, batch_seconds=5.0, overrides={})
    print(f"   busy phase ({seconds:.0f} s) ...", flush=True)
    # 10 batches of 9 s keep all slots of the set occupied for the whole minute.
    busy = _phase("busy", seconds, mos=10, batch_seconds=max(9.0, (seconds + 2 * SETTLE_SECONDS) / 10 + 1),
                  overrides={"PLC_POLL_INTERVAL_SECONDS": "1"})

    columns = ["phase", "measured", "RSS median", "RSS min", "RSS max", "CPU overall",
               "CPU/s median", "CPU/s min", "CPU/s max"]
    rows = []
    for label, data in (("idle (poll 5 s, nothing queued)", idle),
                        ("busy (10 slots read every 1 s, batches pushed)", busy)):
        rss, cpu = Stats.of(data["rss_mib"]), Stats.of(data["cpu_percent_per_second"])
        rows.append([label, f"{data['wall_seconds']:.0f} s", f"{rss.median:.1f} MiB", f"{rss.minimum:.1f} MiB",
                     f"{rss.maximum:.1f} MiB", f"{data['cpu_percent_overall']:.2f} %", f"{cpu.median:.2f} %",
                     f"{cpu.minimum:.2f} %", f"{cpu.maximum:.2f} %"])
    peak = max(max(idle["rss_mib"]), max(busy["rss_mib"]))
    notes = [
        "`python -m plc_agent run` (the `plc-agent run` entry point) as a subprocess with SQLite; "
        "simulator and stand-in Odoo in the benchmark's process. psutil samples once a second after "
        f"the agent is up plus {SETTLE_SECONDS:g} s; CPU = user + system time of the agent / wall time "
        "(100 % = one core).",
        f"Busy phase: {busy['batches_in_plc']} batches in the PLC, {busy['completed_batches']} finished "
        f"and {busy['reports']} reported during the phase. USS at the end: idle "
        f"{idle['uss_mib_end']:.1f} MiB, busy {busy['uss_mib_end']:.1f} MiB. Exit codes after SIGTERM: "
        f"{idle['exit_code']}, {busy['exit_code']}.",
    ]
    targets = [
        Target("agent resident memory <= 60 MB", "<= 60 MB (57.2 MiB)", f"max {peak:.1f} MiB "
               f"({peak * MIB / 1e6:.1f} MB)", peak * MIB <= 60e6,
               f"{(60e6 - peak * MIB) / 1e6:.1f} MB to spare" if peak * MIB <= 60e6
               else f"{(peak * MIB - 60e6) / 1e6:.1f} MB over"),
        Target("idle CPU <= 1 %", "<= 1 %", f"{idle['cpu_percent_overall']:.2f} %",
               idle["cpu_percent_overall"] <= 1.0,
               f"{1.0 - idle['cpu_percent_overall']:.2f} points under" if idle["cpu_percent_overall"] <= 1.0
               else f"{idle['cpu_percent_overall'] - 1.0:.2f} points over"),
    ]
    return BenchResult(
        name="footprint",
        title="4. Agent footprint: `plc-agent run` resident memory and CPU",
        columns=columns,
        rows=rows,
        notes=notes,
        targets=targets,
        data={"idle": idle, "busy": busy},
        seconds=time.monotonic() - started_run,
    )
