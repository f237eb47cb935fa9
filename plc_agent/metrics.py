"""The agent's Prometheus metrics: one registry per agent, an HTTP endpoint only when asked.

Counted where the facts happen: the PLC link times its requests, the Odoo gateway its
calls, Task 1 counts the batches it takes from Odoo, Task 2 the batches it stores, holds or
sees fail, Task 3 Odoo's answers, Task 4 the stuck batches, the service loop its passes.
The queue's depth is read from the queue database when Prometheus asks, so it is never
older than the scrape.

Each agent owns its :class:`AgentMetrics` (its own ``CollectorRegistry``, not
prometheus-client's global one): several agents in one process, as in the tests, never
count into each other. Counting always happens; :class:`MetricsEndpoint` serves the registry
only when ``METRICS_PORT`` is set.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

# Modbus requests on a LAN take milliseconds; a timeout is seconds.
PLC_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# An Odoo report closes an MO: tenths of a second on a quiet server, many seconds on a busy one.
ODOO_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

QUEUE_STATES = ("queued", "written", "running", "finished", "failed", "held")


class MetricsEndpointError(Exception):
    """The metrics endpoint could not be opened (address in use, not on this machine, ...)."""


class _QueueDepth(Collector):
    """``plc_agent_queue_batches{state}``: read from the queue when scraped."""

    def __init__(self) -> None:
        self.source: Callable[[], Mapping[str, int]] | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("plc_agent_queue_batches",
                                   "Batches in the agent's queue (mo_batch), by state", labels=["state"])
        if self.source is None:
            return
        try:
            by_state = dict(self.source())
        except Exception as exc:  # a locked or unreachable queue database must not break the scrape
            logger.warning("metrics: cannot read the queue's depth: %s", exc)
            return
        for state in sorted(set(QUEUE_STATES) | set(by_state)):
            family.add_metric([state], float(by_state.get(state, 0)))
        yield family


class AgentMetrics:
    """Every metric of one agent, in the agent's own registry."""

    def __init__(self, line_code: str = "", version: str = "") -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.info = Gauge("plc_agent_info", "The agent's line and version (always 1)",
                          ["line", "version"], registry=r)
        if line_code:
            self.info.labels(line=line_code, version=version).set(1)
        self.batches_fetched = Counter(
            "plc_agent_batches_fetched", "Batches taken from Odoo and stored in the queue", registry=r)
        self.batches_stored = Counter(
            "plc_agent_batches_stored",
            "Ended batches (finished or failed) read from the PLC and stored with their actuals",
            registry=r)
        self.batches_failed = Counter(
            "plc_agent_batches_failed",
            "Batches that failed: on the line (status_operation = 1) or refused before the PLC",
            ["cause"], registry=r)
        self.batches_suspect = Counter(
            "plc_agent_batches_suspect",
            "Batches stored with suspect values, reported to Odoo for a person to accept",
            registry=r)
        self.batches_reported = Counter(
            "plc_agent_batches_reported", "Batches reported to Odoo, by Odoo's final answer",
            ["outcome"], registry=r)
        self.batches_stuck = Gauge(
            "plc_agent_batches_stuck", "Batches the last health check found stuck", registry=r)
        self.plc_request_seconds = Histogram(
            "plc_agent_plc_request_seconds", "Duration of answered Modbus requests to the PLC",
            ["operation"], buckets=PLC_BUCKETS, registry=r)
        self.plc_errors = Counter(
            "plc_agent_plc_errors", "PLC requests that failed (no connection, timeout, Modbus exception)",
            ["operation"], registry=r)
        self.plc_last_good_read = Gauge(
            "plc_agent_plc_last_good_read_timestamp_seconds",
            "Unix time of the last answered read from the PLC", registry=r)
        self.odoo_call_seconds = Histogram(
            "plc_agent_odoo_call_seconds", "Duration of answered JSON-RPC calls to Odoo",
            ["method"], buckets=ODOO_BUCKETS, registry=r)
        self.odoo_errors = Counter(
            "plc_agent_odoo_errors",
            "Odoo calls that failed: unavailable (retry later) or refused (an error answer)",
            ["method", "kind"], registry=r)
        self.odoo_last_answer = Gauge(
            "plc_agent_odoo_last_answer_timestamp_seconds",
            "Unix time of Odoo's last answer (a result or an error it raised)", registry=r)
        self.loop_last_pass = Gauge(
            "plc_agent_loop_last_pass_timestamp_seconds",
            "Unix time the service loop last completed a pass", registry=r)
        self._queue = _QueueDepth()
        r.register(self._queue)
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
        try:
            self._server, self._thread = start_http_server(self.port, self.bind, self.metrics.registry)
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
