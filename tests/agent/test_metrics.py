"""Prometheus metrics: served over HTTP on loopback only when METRICS_PORT is set, with the
counts of a real run (``plc-agent run`` against the simulator and the stand-in Odoo)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

from plc_agent.metrics import AgentMetrics
from plc_agent.odoo_gateway import OdooError
from plc_agent.plc.link import PlcError

from .helpers import agent_env, wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port: int, host: str = "127.0.0.1") -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the endpoint: (name, sorted labels) -> value."""
    with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=5) as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("text/plain")
        text = answer.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def listening(pid: int) -> list[tuple[str, int]]:
    return [tuple(c.laddr) for c in psutil.Process(pid).net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN]


def start_agent(settings, tmp_path, **extra: str) -> subprocess.Popen:
    env = agent_env(settings)
    env.update(PLC_POLL_INTERVAL_SECONDS="0.1", PUSH_INTERVAL_SECONDS="0.5", HEALTH_INTERVAL_SECONDS="0.5",
               ODOO_TIMEOUT_SECONDS="5", **extra)
    return subprocess.Popen([sys.executable, "-m", "plc_agent", "run"], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop_agent(process: subprocess.Popen) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def test_the_endpoint_serves_the_counts_of_a_run(agent_settings, odoo_standin, plc_simulator, tmp_path):
    mo_ids = [odoo_standin.add_mo() for _ in range(4)]
    port = free_port()
    started = time.time()
    agent = start_agent(agent_settings, tmp_path, METRICS_PORT=str(port))
    try:
        wait_until(lambda: all(odoo_standin.mo(i)["state"] == "done" for i in mo_ids), timeout=60,
                   what="every MO to close")
        wait_until(lambda: scrape(port).get(("plc_agent_queue_batches", (("state", "finished"),))) == 0,
                   timeout=10, what="the queue to drain")
        assert listening(agent.pid) == [("127.0.0.1", port)]
        m = scrape(port)
    finally:
        output = stop_agent(agent)
    assert agent.returncode == 0, output

    def value(name: str, **labels: str) -> float | None:
        return m.get((name, tuple(sorted(labels.items()))))

    assert value("plc_agent_info", line="FM1", version=__import__("plc_agent").__version__) == 1
    assert value("plc_agent_batches_fetched_total") == 4
    assert value("plc_agent_batches_stored_total") == 4
    assert value("plc_agent_batches_reported_total", outcome="done") == 4
    assert value("plc_agent_batches_reported_total", outcome="rejected") == 0
    assert value("plc_agent_batches_failed_total", cause="line") == 0
    assert value("plc_agent_batches_suspect_total") == 0
    assert value("plc_agent_batches_stuck") == 0
    for state in ("queued", "written", "running", "finished", "failed", "held"):
        assert value("plc_agent_queue_batches", state=state) == 0, state
    # One report call per batch, each timed.
    assert value("plc_agent_odoo_call_seconds_count", method="plc_report_batch") == 4
    assert value("plc_agent_odoo_call_seconds_count", method="plc_fetch_batches") >= 1
    assert value("plc_agent_odoo_call_seconds_count", method="plc_ping") >= 1
    assert value("plc_agent_odoo_errors_total", method="plc_report_batch", kind="unavailable") is None
    assert value("plc_agent_plc_request_seconds_count", operation="read") > 10
    assert value("plc_agent_plc_request_seconds_count", operation="write") >= 5  # slots, handshake, acks
    assert value("plc_agent_plc_request_seconds_sum", operation="read") > 0
    assert value("plc_agent_plc_errors_total", operation="read") is None
    now = time.time()
    for name in ("plc_agent_plc_last_good_read_timestamp_seconds", "plc_agent_odoo_last_answer_timestamp_seconds",
                 "plc_agent_loop_last_pass_timestamp_seconds"):
        assert started <= value(name) <= now, name
    # What the stand-in Odoo saw agrees.
    assert odoo_standin.calls("plc_report_batch") == 4


def test_no_port_is_opened_unless_one_is_set(agent_settings, odoo_standin, plc_simulator, tmp_path):
    agent = start_agent(agent_settings, tmp_path)
    try:
        wait_until(agent_settings.status_file.exists, timeout=30, what="a first health check")
        assert listening(agent.pid) == []
    finally:
        output = stop_agent(agent)
    assert agent.returncode == 0, output
    assert "Metrics for Prometheus" not in output


def test_a_port_already_taken_stops_the_start_naming_it(agent_settings, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        agent = start_agent(agent_settings, tmp_path, METRICS_PORT=str(port))
        output, _ = agent.communicate(timeout=60)
    assert agent.returncode == 1, output
    assert f"cannot serve metrics on 127.0.0.1 port {port}" in output


def test_bad_metrics_settings_stop_the_agent_with_exit_code_2(agent_settings, tmp_path):
    env = agent_env(agent_settings)
    env.update(METRICS_PORT="65536", METRICS_BIND="plant-net")
    p = subprocess.run([sys.executable, "-m", "plc_agent", "run"], env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert "METRICS_PORT" in p.stderr + p.stdout and "METRICS_BIND" in p.stderr + p.stdout


def test_each_agent_counts_in_its_own_registry(agent_settings, make_tasks, odoo_standin, plc_simulator):
    first = make_tasks(agent_settings)
    second = make_tasks(agent_settings)
    assert first.metrics.registry is not second.metrics.registry
    first.health()
    assert first.metrics.value("plc_agent_odoo_call_seconds_count", {"method": "plc_ping"}) == 1
    assert second.metrics.value("plc_agent_odoo_call_seconds_count", {"method": "plc_ping"}) is None


def test_plc_and_odoo_failures_are_counted(tasks, odoo_standin, plc_simulator):
    plc_simulator.stop()
    with pytest.raises(PlcError):
        tasks.read_plc()
    assert tasks.metrics.value("plc_agent_plc_errors_total", {"operation": "read"}) == 1
    assert tasks.metrics.value("plc_agent_plc_last_good_read_timestamp_seconds") == 0

    odoo_standin.go_down()
    tasks.health()
    assert tasks.metrics.value("plc_agent_odoo_errors_total",
                               {"method": "login", "kind": "unavailable"}) == 1
    odoo_standin.come_up()
    odoo_standin.set_line_active("FM1", False)
    with pytest.raises(OdooError):
        tasks.sync()  # the archived line: Odoo answers with a UserError
    assert tasks.metrics.value("plc_agent_odoo_errors_total",
                               {"method": "plc_fetch_batches", "kind": "refused"}) == 1
    assert tasks.metrics.value("plc_agent_odoo_last_answer_timestamp_seconds") > 0


def test_the_metrics_of_a_fresh_agent_start_at_zero():
    metrics = AgentMetrics("FM2", "9.9.9")
    assert metrics.value("plc_agent_info", {"line": "FM2", "version": "9.9.9"}) == 1
    assert metrics.value("plc_agent_batches_reported_total", {"outcome": "done"}) == 0
    assert metrics.value("plc_agent_batches_failed_total", {"cause": "refused_before_plc"}) == 0
