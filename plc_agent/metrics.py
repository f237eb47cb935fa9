"""The agent's Prometheus metrics: one set per agent, an HTTP endpoint only when asked.

Counted where the facts happen: the PLC link times its requests, the Odoo gateway its
calls, Task 1 counts the batches it takes from Odoo, Task 2 the batches it stores, holds or
sees fail, Task 3 Odoo's answers, Task 4 the stuck batches, the service loop its passes.
The queue's depth is read from the queue database when Prometheus asks, so it is never
older than the scrape.

Each agent owns its :class:`AgentMetrics` (its own :class:`MetricsRegistry`): several agents
in one process, as in the tests, never count into each other. Counting always happens, in
plain Python, with prometheus-client's names and semantics (``_total``, ``_created``,
cumulative ``_bucket``); prometheus-client itself is imported only by
:class:`MetricsEndpoint`, when ``METRICS_PORT`` is set, to serve the same samples: an agent
without the endpoint does not carry it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

logger = logging.getLogger(__name__)

# Modbus requests on a LAN take milliseconds; a timeout is seconds.
PLC_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# An Odoo report closes an MO: tenths of a second on a quiet server, many seconds on a busy one.
ODOO_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

QUEUE_STATES = ("queued", "written", "running", "finished", "failed", "held")

Sample = tuple[str, dict[str, str], float]  # (sample name, labels, value)


class MetricsEndpointError(Exception):
    """The metrics endpoint could not be opened (address in use, not on this machine, ...)."""


class Series:
    """One labelled series of a metric: a counter's or gauge's value, or a histogram's buckets."""

    def __init__(self, kind: str, lock: threading.Lock, buckets: Sequence[float]) -> None:
        self._kind = kind
        self._lock = lock
        self.created = time.time()
        self.value = 0.0  # a counter's or gauge's value; a histogram's sum
        self.bounds = tuple(buckets) + (math.inf,) if kind == "histogram" else ()
        self.counts = [0] * len(self.bounds)  # observations per bucket, not cumulative

    def inc(self, amount: float = 1.0) -> None:
        if self._kind == "counter" and amount < 0:
            raise ValueError(f"a counter only goes up: inc({amount!r})")
        with self._lock:
            self.value += amount

    def set(self, value: float) -> None:
        if self._kind != "gauge":
            raise TypeError(f"set() is for gauges, not a {self._kind}")
        with self._lock:
            self.value = float(value)

    def observe(self, amount: float) -> None:
        if self._kind != "histogram":
            raise TypeError(f"observe() is for histograms, not a {self._kind}")
        with self._lock:
            self.value += amount
            for index, bound in enumerate(self.bounds):
                if amount <= bound:
                    self.counts[index] += 1
                    break


class Metric:
    """A counter, gauge or histogram and its series by label values (prometheus-client's API)."""

    def __init__(self, registry: MetricsRegistry, kind: str, name: str, documentation: str,
                 labelnames: Sequence[str] = (), buckets: Sequence[float] = ()) -> None:
        self.kind = kind
        self.name = name
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        self._buckets = tuple(buckets)
        self._lock = registry.lock
        self._series: dict[tuple[str, ...], Series] = {}
        if not self.labelnames:  # an unlabelled metric shows 0 from the start
            self._series[()] = Series(kind, self._lock, self._buckets)
        registry.register(self)

    def labels(self, **labels: str) -> Series:
        if set(labels) != set(self.labelnames):
            raise ValueError(f"{self.name}: labels {sorted(labels)}, expected {sorted(self.labelnames)}")
        key = tuple(str(labels[name]) for name in self.labelnames)
        with self._lock:
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = Series(self.kind, self._lock, self._buckets)
        return series

    def _unlabelled(self) -> Series:
        if self.labelnames:
            raise ValueError(f"{self.name} has labels {', '.join(self.labelnames)}: use labels()")
        return self._series[()]

    def inc(self, amount: float = 1.0) -> None:
        self._unlabelled().inc(amount)

    def set(self, value: float) -> None:
        self._unlabelled().set(value)

    def observe(self, amount: float) -> None:
        self._unlabelled().observe(amount)

    def samples(self) -> list[Sample]:
        """The samples prometheus-client would expose for this metric."""
        out: list[Sample] = []
        with self._lock:
            for key, series in self._series.items():
                labels = dict(zip(self.labelnames, key, strict=True))
                if self.kind == "gauge":
                    out.append((self.name, labels, series.value))
                    continue
                if self.kind == "counter":
                    out.append((f"{self.name}_total", labels, series.value))
                else:
                    cumulative = 0
                    for bound, count in zip(series.bounds, series.counts, strict=True):
                        cumulative += count
                        out.append((f"{self.name}_bucket", {**labels, "le": _bound_label(bound)},
                                    float(cumulative)))
                    out.append((f"{self.name}_count", labels, float(cumulative)))
                    out.append((f"{self.name}_sum", labels, series.value))
                out.append((f"{self.name}_created", labels, series.created))
        return out


def _bound_label(bound: float) -> str:
    """A bucket's ``le`` label as prometheus-client writes it (``0.05``, ``1.0``, ``+Inf``)."""
    return "+Inf" if bound == math.inf else repr(float(bound))


class MetricsRegistry:
    """One agent's metrics, and the collectors asked at each read (the queue's depth)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.metrics: list[Metric] = []
        self.collectors: list[Callable[[], Iterator[tuple[Any, list[Sample]]]]] = []

    def register(self, metric: Metric) -> None:
        self.metrics.append(metric)

    def collect(self) -> Iterator[tuple[Any, list[Sample]]]:
        """Each metric (its ``kind``, ``name``, ``documentation``) with its samples now."""
        for metric in self.metrics:
            yield metric, metric.samples()
        for collector in self.collectors:
            yield from collector()

    def get_sample_value(self, name: str, labels: Mapping[str, str]) -> float | None:
        for _metric, samples in self.collect():
            for sample_name, sample_labels, value in samples:
                if sample_name == name and sample_labels == dict(labels):
                    return value
        return None


class _QueueDepth:
    """``plc_agent_queue_batches{state}``: read from the queue when scraped."""

    kind = "gauge"
    name = "plc_agent_queue_batches"
    documentation = "Batches in the agent's queue (mo_batch), by state"

    def __init__(self, registry: MetricsRegistry) -> None:
        self.source: Callable[[], Mapping[str, int]] | None = None
        registry.collectors.append(self.collect)

    def collect(self) -> Iterator[tuple[Any, list[Sample]]]:
        if self.source is None:
            return
        try:
            by_state = dict(self.source())
        except Exception as exc:  # a locked or unreachable queue database must not break the scrape
            logger.warning("metrics: cannot read the queue's depth: %s", exc)
            return
        yield self, [(self.name, {"state": state}, float(by_state.get(state, 0)))
                     for state in sorted(set(QUEUE_STATES) | set(by_state))]


class AgentMetrics:
    """Every metric of one agent, in the agent's own registry."""

    def __init__(self, line_code: str = "", version: str = "") -> None:
        self.registry = MetricsRegistry()
        r = self.registry
        self.info = Metric(r, "gauge", "plc_agent_info", "The agent's line and version (always 1)",
                           ["line", "version"])
        if line_code:
            self.info.labels(line=line_code, version=version).set(1)
        self.batches_fetched = Metric(
            r, "counter", "plc_agent_batches_fetched", "Batches taken from Odoo and stored in the queue")
        self.batches_stored = Metric(
            r, "counter", "plc_agent_batches_stored",
            "Ended batches (finished or failed) read from the PLC and stored with their actuals")
        self.batches_failed = Metric(
            r, "counter", "plc_agent_batches_failed",
            "Batches that failed: on the line (status_operation = 1) or refused before the PLC",
            ["cause"])
        self.batches_suspect = Metric(
            r, "counter", "plc_agent_batches_suspect",
            "Batches stored with suspect values, reported to Odoo for a person to accept")
        self.batches_reported = Metric(
            r, "counter", "plc_agent_batches_reported", "Batches reported to Odoo, by Odoo's final answer",
            ["outcome"])
        self.batches_stuck = Metric(
            r, "gauge", "plc_agent_batches_stuck", "Batches the last health check found stuck")
        self.plc_request_seconds = Metric(
            r, "histogram", "plc_agent_plc_request_seconds",
            "Duration of answered Modbus requests to the PLC", ["operation"], buckets=PLC_BUCKETS)
        self.plc_errors = Metric(
            r, "counter", "plc_agent_plc_errors",
            "PLC requests that failed (no connection, timeout, Modbus exception)", ["operation"])
        self.plc_last_good_read = Metric(
            r, "gauge", "plc_agent_plc_last_good_read_timestamp_seconds",
            "Unix time of the last answered read from the PLC")
        self.odoo_call_seconds = Metric(
            r, "histogram", "plc_agent_odoo_call_seconds", "Duration of answered JSON-RPC calls to Odoo",
            ["method"], buckets=ODOO_BUCKETS)
        self.odoo_errors = Metric(
            r, "counter", "plc_agent_odoo_errors",
            "Odoo calls that failed: unavailable (retry later) or refused (an error answer)",
            ["method", "kind"])
        self.odoo_last_answer = Metric(
            r, "gauge", "plc_agent_odoo_last_answer_timestamp_seconds",
            "Unix time of Odoo's last answer (a result or an error it raised)")
        self.loop_last_pass = Metric(
            r, "gauge", "plc_agent_loop_last_pass_timestamp_seconds",
            "Unix time the service loop last completed a pass")
        self._queue = _QueueDepth(r)
        for state in ("done", "recorded", "failed", "rejected"):
            self.batches_reported.labels(outcome=state)
        for cause in ("line", "refused_before_plc"):
            self.batches_failed.labels(cause=cause)

    # ------------------------------------------------------------------ sources

    def watch_queue(self, source: Callable[[], Mapping[str, int]]) -> None:
        """Read the queue's batches by state from ``source`` at each scrape."""
        self._queue.source = source

    # ------------------------------------------------------------------ facts

    def plc_request(self, operation: str, seconds: float) -> None:
        self.plc_request_seconds.labels(operation=operation).observe(seconds)
        if operation == "read":
            self.plc_last_good_read.set(time.time())

    def plc_error(self, operation: str) -> None:
        self.plc_errors.labels(operation=operation).inc()

    def odoo_answer(self, method: str, seconds: float) -> None:
        self.odoo_call_seconds.labels(method=method).observe(seconds)
        self.odoo_last_answer.set(time.time())

    def odoo_refused(self, method: str) -> None:
        """Odoo answered with an error: it is up, the call failed."""
        self.odoo_errors.labels(method=method, kind="refused").inc()
        self.odoo_last_answer.set(time.time())

    def odoo_unavailable(self, method: str) -> None:
        self.odoo_errors.labels(method=method, kind="unavailable").inc()

    def loop_pass(self) -> None:
        self.loop_last_pass.set(time.time())

    def value(self, name: str, labels: Mapping[str, str] | None = None) -> float | None:
        """One sample's current value, or None when it has none (the tests read them so)."""
        return self.registry.get_sample_value(name, dict(labels or {}))


class _Exposition:
    """A prometheus-client collector over one agent's registry (built when the endpoint starts)."""

    def __init__(self, registry: MetricsRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Any]:
        from prometheus_client.metrics_core import Metric as Family

        for metric, samples in self.registry.collect():
            family = Family(metric.name, metric.documentation, metric.kind)
            for name, labels, value in samples:
                family.add_sample(name, labels, value)
            yield family


class MetricsEndpoint:
    """Serves one agent's registry over HTTP (``/metrics``, any path) on one address."""

    def __init__(self, metrics: AgentMetrics, bind: str, port: int) -> None:
        self.metrics = metrics
        self.bind = bind
        self.port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        host = f"[{self.bind}]" if ":" in self.bind else self.bind
        return f"http://{host}:{self.port}/metrics"

    def start(self) -> None:
        from prometheus_client import CollectorRegistry, start_http_server

        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Exposition(self.metrics.registry))
        try:
            self._server, self._thread = start_http_server(self.port, self.bind, registry)
        except OSError as exc:
            raise MetricsEndpointError(
                f"cannot serve metrics on {self.bind} port {self.port} (METRICS_BIND, METRICS_PORT): "
                f"{exc.strerror or exc}") from None
        logger.info("Metrics for Prometheus at %s", self.address)

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None
