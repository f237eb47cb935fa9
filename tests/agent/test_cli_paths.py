"""``status``, ``health`` and ``check`` started from another folder find what ``run`` writes:
relative paths are taken against the agent's home (PLC_AGENT_HOME, else the settings
file's folder), the same for every command; ``status`` and ``health`` need no Odoo
credentials; no command leaves a ``data/`` folder where it was started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import wait_until


def _environ(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ODOO_", "PLC_", "DATABASE_"))}
    env.update(extra)
    return env


def _agent(*args: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "plc_agent", *args], env=_environ(**extra), cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def _settings(odoo_standin, plc_simulator, data_dir: str, key_file: str) -> str:
    return "\n".join([
        "PLC_LINE_CODE=FM1",
        f"ODOO_URL={odoo_standin.url}",
        f"ODOO_DATABASE={odoo_standin.database}",
        f"ODOO_USERNAME={odoo_standin.username}",
        f"ODOO_PASSWORD_FILE={key_file}",
        f"PLC_AGENT_DATA_DIR={data_dir}",
        f"PLC_HOST={plc_simulator.host}",
        f"PLC_PORT={plc_simulator.port}",
        "PLC_TIMEOUT_SECONDS=1",
        "PLC_POLL_INTERVAL_SECONDS=0.2",
        "HEALTH_INTERVAL_SECONDS=1",
        "",
    ])


@pytest.fixture
def plant(tmp_path: Path, odoo_standin, plc_simulator) -> Path:
    """The agent's folder: a .env with relative paths, the key file beside it."""
    home = tmp_path / "plant"
    (home / "secrets").mkdir(parents=True)
    (home / "secrets" / "odoo.key").write_text(odoo_standin.password + "\n", encoding="utf-8")
    (home / ".env").write_text(_settings(odoo_standin, plc_simulator, "data", "secrets/odoo.key"),
                               encoding="utf-8")
    return home


def test_status_health_and_check_from_another_folder_find_the_running_agent(plant, tmp_path, odoo_standin,
                                                                            plc_simulator):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # Absolute paths in a settings file kept in a third folder: the same agent.
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "agent.env").write_text(_settings(odoo_standin, plc_simulator, str(plant / "data"),
                                              str(plant / "secrets" / "odoo.key")), encoding="utf-8")
    data = plant / "data"
    run = subprocess.Popen([sys.executable, "-m", "plc_agent", "run"], env=_environ(), cwd=plant,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: (data / "status.json").is_file() and (data / "heartbeat.json").is_file(),
                   timeout=30, what="the agent's first health check and heartbeat")
        ways = {
            "relative --env-file": (("--env-file", "../plant/.env"), {}),
            "PLC_AGENT_HOME": ((), {"PLC_AGENT_HOME": str(plant)}),
            "absolute paths": (("--env-file", str(conf / "agent.env")), {}),
        }
        for way, (options, extra) in ways.items():
            p = _agent(*options, "status", cwd=elsewhere, **extra)
            assert p.returncode == 0, (way, p.stdout, p.stderr)
            assert f"Status file: {data / 'status.json'}" in p.stdout, way
            assert str(data / "plc_agent.sqlite3") in p.stdout, way
            assert "Odoo: OK" in p.stdout and "PLC:  OK" in p.stdout, way
            p = _agent(*options, "health", cwd=elsewhere, **extra)
            assert p.returncode == 0, (way, p.stdout, p.stderr)
            assert "service loop: OK" in p.stdout and str(data / "heartbeat.json") in p.stdout, way
            p = _agent(*options, "check", cwd=elsewhere, **extra)
            assert p.returncode == 0, (way, p.stdout, p.stderr)
            assert "odoo:           OK" in p.stdout, way
            assert odoo_standin.password not in p.stdout + p.stderr
        # status and health never talk to Odoo: a key file that cannot be read does not stop them.
        (plant / "secrets" / "odoo.key").rename(plant / "secrets" / "moved.key")
        p = _agent("status", cwd=elsewhere, PLC_AGENT_HOME=str(plant))
        assert p.returncode == 0, p.stderr
        p = _agent("health", cwd=elsewhere, PLC_AGENT_HOME=str(plant))
        assert p.returncode == 0, p.stderr
        # check asks for it in its Odoo step only, and says which setting to fix.
        p = _agent("check", cwd=elsewhere, PLC_AGENT_HOME=str(plant))
        assert p.returncode == 4, p.stdout
        assert (f"odoo:           PROBLEM  not checked: ODOO_PASSWORD_FILE: no such file: "
                f"{plant / 'secrets' / 'odoo.key'}") in p.stdout
        assert "plc:            OK" in p.stdout and "database:       OK" in p.stdout
    finally:
        run.send_signal(signal.SIGTERM)
        run.communicate(timeout=30)
    assert run.returncode == 0
    # A recently run agent: its queue and last health check are still there to see.
    p = _agent("--env-file", "../plant/.env", "status", cwd=elsewhere)
    assert p.returncode == 0 and "Last health check:" in p.stdout, p.stdout + p.stderr
    p = _agent("--env-file", "../plant/.env", "health", cwd=elsewhere)
    assert p.returncode == 1
    assert "no heartbeat" in p.stdout and "same --env-file or PLC_AGENT_HOME" in p.stdout
    assert sorted(x.name for x in elsewhere.iterdir()) == []  # no data/ folder appeared here


def test_status_without_a_queue_names_the_fix_and_creates_nothing(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    p = _agent("status", cwd=elsewhere, PLC_LINE_CODE="FM1")
    assert p.returncode == 1
    assert f"no queue database at {elsewhere / 'data' / 'plc_agent.sqlite3'}" in p.stdout
    assert "--env-file or PLC_AGENT_HOME" in p.stdout
    assert list(elsewhere.iterdir()) == []


def test_check_prints_the_settings_and_the_register_map_before_its_checks(plant, tmp_path):
    p = _agent("check", cwd=tmp_path, PLC_AGENT_HOME=str(plant), ODOO_DATABASE="from-the-environment")
    out = p.stdout
    settings = out.index("Settings in force (secrets masked):")
    register_map = out.index("Register map (default_register_map.toml):")
    checks = out.index("Checks:")
    assert settings < register_map < checks
    assert "  PLC_AGENT_DATA_DIR " in out and str(plant / "data") in out
    rows = {line.split()[0]: line for line in out[settings:register_map].splitlines()[1:]}
    assert rows["ODOO_DATABASE"].endswith("from environment")
    assert rows["PLC_LINE_CODE"].endswith(f"from {plant / '.env'}")
    assert rows["PLC_UNIT_ID"].endswith("from default")
    assert f"{plant / 'secrets' / 'odoo.key'} (content not shown)" in rows["ODOO_PASSWORD_FILE"]
    key = (plant / "secrets" / "odoo.key").read_text(encoding="utf-8").strip()
    assert key not in out + p.stderr
    assert ("write area (agent to PLC): words D7000-D7977 (Modbus holding registers 7000-7977): "
            "10 batch slots of 78 words, one every 100 registers; handshake word D7076") in out
    assert "the agent reads the read area in 8 requests of at most 125 words" in out
    assert "slots 2, 3, 4, 7, 8, 9 lie across two of these requests" in out
    assert "cut between" not in out
    # Whatever is logged goes to stderr: the table on stdout is whole.
    assert not [line for line in out.splitlines() if " plc_agent." in line or " pymodbus" in line]
