"""What every benchmark shares: timing statistics, the machine description, the tables.

Each benchmark returns a :class:`BenchResult`; the runner prints it as one table (median,
min, max and the ratio to a baseline where there is one), names the machine under it and
writes the figures as JSON to ``bench/results/``.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = Path(__file__).resolve().parent / "results"


class BenchSkipped(Exception):
    """A benchmark cannot run here (say why); the others still run."""


# --------------------------------------------------------------------------- statistics


@dataclass(frozen=True)
class Stats:
    median: float
    minimum: float
    maximum: float
    count: int

    @classmethod
    def of(cls, values: list[float]) -> Stats:
        if not values:
            raise ValueError("no samples to summarise")
        return cls(statistics.median(values), min(values), max(values), len(values))


def time_calls(call: Callable[[], Any], repeat: int, warmup: int = 1) -> list[float]:
    """Seconds per call of `call`, `repeat` samples after `warmup` unmeasured calls."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def fmt_ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    ms = seconds * 1000.0
    if ms >= 100:
        return f"{ms:.0f} ms"
    if ms >= 10:
        return f"{ms:.1f} ms"
    return f"{ms:.2f} ms"


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.2f} s"


def fmt_ratio(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 10:
        return f"{value:.0f} x"
    return f"{value:.2f} x"


# --------------------------------------------------------------------------- the machine


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _ram_bytes() -> int | None:
    try:
        import psutil

        return int(psutil.virtual_memory().total)
    except ImportError:
        pass
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _os_name() -> str:
    try:
        info = platform.freedesktop_os_release()
        pretty = info.get("PRETTY_NAME")
        if pretty:
            return f"{pretty}, kernel {platform.release()}"
    except OSError:
        pass
    return platform.platform()


def machine_info() -> dict[str, Any]:
    ram = _ram_bytes()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": round(ram / 2**30, 1) if ram else None,
        "python": platform.python_version(),
        "os": _os_name(),
        "load_average_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def describe_machine(info: dict[str, Any]) -> str:
    ram = f"{info['ram_gib']} GiB RAM" if info.get("ram_gib") else "RAM unknown"
    load = info.get("load_average_1min")
    return (f"{info['cpu']}, {info['cores']} cores, {ram}, Python {info['python']}, "
            f"{info['os']}" + (f"; load average {load} at the start" if load is not None else ""))


# --------------------------------------------------------------------------- results


@dataclass
class Target:
    """One of the issue's targets, as measured."""

    name: str
    goal: str
    measured: str
    met: bool
    margin: str  # by how much it was met or missed

    def line(self) -> str:
        verdict = "met" if self.met else "MISSED"
        return f"{self.name}: goal {self.goal}, measured {self.measured} -> {verdict} ({self.margin})"


@dataclass
class BenchResult:
    name: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def table(self, machine: dict[str, Any]) -> str:
        """The result as a Markdown table (readable in a terminal, pasted as is into docs)."""
        widths = [len(c) for c in self.columns]
        for row in self.rows:
            for i, cell in enumerate(row):
                widths[i] = max(widths[i], len(cell))

        def line(cells: list[str]) -> str:
            return "| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(cells)) + " |"

        out = [f"### {self.title}", "", line(self.columns),
               "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        out.extend(line(row) for row in self.rows)
        out.append("")
        for note in self.notes:
            out.append(f"- {note}")
        for target in self.targets:
            out.append(f"- Target {target.line()}")
        out.append(f"- Machine: {describe_machine(machine)}; run took {self.seconds:.0f} s.")
        return "\n".join(out)


def save_results(results: list[BenchResult], skipped: dict[str, str], machine: dict[str, Any]) -> Path:
    """Write one JSON file per run (and ``latest.json``) to ``bench/results/``."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC)
    document = {
        "run_at": stamp.isoformat(timespec="seconds"),
        "machine": machine,
        "argv": sys.argv[1:],
        "benchmarks": {r.name: asdict(r) for r in results},
        "skipped": skipped,
    }
    path = RESULTS_DIR / f"bench-{stamp.strftime('%Y%m%dT%H%M%SZ')}.json"
    text = json.dumps(document, indent=2, default=str)
    path.write_text(text)
    (RESULTS_DIR / "latest.json").write_text(text)
    return path
