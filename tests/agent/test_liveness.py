"""``plc-agent health``: the container health check. It fails only when the service loop is not
alive; an unreachable PLC or Odoo is "degraded" with exit 0; it opens no connection."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest

from plc_agent.cli import main

from .helpers import agent_env, wait_until


def health(settings, env_overrides: dict[str, str] | None = None, cwd=None) -> subprocess.CompletedProcess:
    env = agent_env(settings)
    env.update(PLC_POLL_INTERVAL_SECONDS="0.1", ODOO_TIMEOUT_SECONDS="1", PLC_TIMEOUT_SECONDS="1",
               HEALTH_INTERVAL_SECONDS="0.5", PUSH_INTERVAL_SECONDS="0.5")
    env.update(env_overrides or {})
    return subprocess.run([sys.executable, "-m", "plc_agent", "health"], env=env, capture_output=True,
                          text=True, timeout=30, cwd=cwd)


def test_health_follows_the_service_loop_not_the_plc(agent_settings, odoo_standin, plc_simulator, tmp_path):
    p = health(agent_settings, cwd=tmp_path)
    assert p.returncode == 1 and "no heartbeat" in p.stdout, p.stdout + p.stderr

    env = agent_env(agent_settings)
    env.update(PLC_POLL_INTERVAL_SECONDS="0.1", ODOO_TIMEOUT_SECONDS="1", PLC_TIMEOUT_SECONDS="1",
               HEALTH_INTERVAL_SECONDS="0.5", PUSH_INTERVAL_SECONDS="0.5")
    service = subprocess.Popen([sys.executable, "-m", "plc_agent", "run"], env=env, cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        p = wait_until(lambda: (lambda r: r if r.returncode == 0 else None)(health(agent_settings, cwd=tmp_path)),
                       timeout=30, what="a healthy agent")
        assert "service loop: OK" in p.stdout and "healthy" in p.stdout

        # The PLC goes away: degraded, still healthy for the container.
        plc_simulator.stop()
        p = wait_until(lambda: (lambda r: r if "DEGRADED" in r.stdout else None)(health(agent_settings, cwd=tmp_path)),
                       timeout=30, what="the PLC to show as degraded")
        assert p.returncode == 0 and "PLC unreachable" in p.stdout, p.stdout

        # The loop stops cycling (a hung job looks the same from outside): unhealthy within
        # the allowed age, 3 x 0.1 s + 1 s + 1 s here.
        os.kill(service.pid, signal.SIGSTOP)
        try:
            p = wait_until(lambda: (lambda r: r if r.returncode == 1 else None)(health(agent_settings, cwd=tmp_path)),
                           timeout=30, what="a stalled loop to be unhealthy")
            assert "STALLED" in p.stdout
        finally:
            os.kill(service.pid, signal.SIGCONT)
        wait_until(lambda: health(agent_settings, cwd=tmp_path).returncode == 0, timeout=30,
                   what="the loop to be healthy again")
    finally:
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=30) == 0
    # Stopped: the heartbeat is gone, so no check calls a stopped agent healthy.
    p = health(agent_settings, cwd=tmp_path)
    assert p.returncode == 1 and "no heartbeat" in p.stdout


def test_health_opens_no_connection(agent_settings, tmp_path, monkeypatch, capsys):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.setblocking(False)
    try:
        for key, value in agent_env(agent_settings).items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("PLC_HOST", "127.0.0.1")
        monkeypatch.setenv("PLC_PORT", str(listener.getsockname()[1]))
        monkeypatch.chdir(tmp_path)
        assert main(["health"]) == 1
        assert "no heartbeat" in capsys.readouterr().out
        with pytest.raises(BlockingIOError):  # nobody connected to the "PLC"
            listener.accept()
    finally:
        listener.close()
