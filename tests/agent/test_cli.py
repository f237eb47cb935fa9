"""The ``plc-agent`` command: help, exit codes, init-db / status / check, one instance per
database, SIGTERM, no secret in any output, and a start that loads only what it needs."""

from __future__ import annotations

import signal
import subprocess
import sys

from plc_agent import __version__
from plc_agent.cli import main

from .helpers import agent, agent_env, wait_until


def test_help_and_version(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for word in ("run", "once", "status", "check", "init-db", "simulate-plc", "exit codes", "3  another"):
        assert word in out
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out
    assert main(["once", "bogus"]) == 2
    assert main([]) == 2


def test_every_command_has_a_help_page_with_a_description(capsys):
    from plc_agent.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    assert set(commands) == {"run", "once", "status", "health", "check", "init-db", "simulate-plc"}
    for name, command in commands.items():
        assert command.description and len(command.description) > 60, name
        assert main([name, "--help"]) == 0
        page = capsys.readouterr().out
        assert command.description.splitlines()[0] in page, name
        if name != "simulate-plc":
            assert "exit codes:" in page and "2  bad usage" in page, name


def test_bad_configuration_exits_2_naming_every_setting(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PLC_PORT": "x", "ODOO_PASSWORD": "pw-never-shown",
           "DATABASE_URL": "oracle://u:dbpw-never-shown@h/db"}
    p = subprocess.run([sys.executable, "-m", "plc_agent", "run"], env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    for name in ("PLC_LINE_CODE", "ODOO_URL", "ODOO_DATABASE", "ODOO_USERNAME", "PLC_PORT", "DATABASE_URL"):
        assert name in p.stderr
    assert "never-shown" not in p.stderr + p.stdout
    # status never talks to Odoo: it names only the settings it needs.
    p = subprocess.run([sys.executable, "-m", "plc_agent", "status"], env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    assert "PLC_LINE_CODE" in p.stderr and "PLC_PORT" in p.stderr and "ODOO_" not in p.stderr


def test_init_db_status_check(agent_settings, odoo_standin, plc_simulator, tmp_path):
    p = agent(agent_settings, "init-db", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    odoo_standin.add_mo()
    assert agent(agent_settings, "once", "sync", cwd=tmp_path).returncode == 0
    assert agent(agent_settings, "once", "health", cwd=tmp_path).returncode == 0
    p = agent(agent_settings, "status", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "Queue: 1 total, 1 in progress, 0 finished" in p.stdout
    assert "WH/MO/00001" in p.stdout and "Odoo: OK" in p.stdout and "PLC:  OK" in p.stdout
    p = agent(agent_settings, "check", cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.count(" OK ") >= 5
    assert ("failures: 8000-8022, handshake 8022; manual weighing: 9000-9013, handshake 9013"
            in p.stdout)
    plc_simulator.stop()
    p = agent(agent_settings, "check", cwd=tmp_path)
    assert p.returncode == 4
    assert "plc:" in p.stdout and "PROBLEM" in p.stdout
    for out in (p.stdout, p.stderr):
        assert agent_settings.odoo_password not in out


def test_check_compares_the_lines_capacity_with_the_register_map(agent_settings, odoo_standin, plc_simulator,
                                                                  tmp_path):
    assert agent(agent_settings, "init-db", cwd=tmp_path).returncode == 0
    p = agent(agent_settings, "check", cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "capacity:       OK  line FM1 in Odoo and the register map agree (15 components, 16 characters)" in p.stdout
    # Odoo lets through MOs a slot cannot hold: the agent would refuse them after the fetch.
    odoo_standin.set_line_capacity("FM1", components_per_batch=20, text_width=16)
    p = agent(agent_settings, "check", cwd=tmp_path)
    assert p.returncode == 4
    assert "capacity:       PROBLEM  Odoo allows 20 components per batch, a slot of" in p.stdout
    # Odoo stricter than the slot: MOs are blocked that would fit; said, not a failure.
    odoo_standin.set_line_capacity("FM1", components_per_batch=15, text_width=12)
    p = agent(agent_settings, "check", cwd=tmp_path)
    assert p.returncode == 0, p.stdout
    assert "Odoo allows 12 MO reference characters, a slot holds 16: MOs that would fit are blocked" in p.stdout


def test_second_run_refuses_and_sigterm_stops_the_first(agent_settings, odoo_standin, plc_simulator,
                                                        tmp_path):
    odoo_standin.add_mo()
    first = subprocess.Popen([sys.executable, "-m", "plc_agent", "run"], env=agent_env(agent_settings),
                             cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: plc_simulator.line.received_sets, timeout=30, what="the agent to write the PLC")
        second = agent(agent_settings, "run", cwd=tmp_path)
        assert second.returncode == 3, second.stderr
        assert f"pid {first.pid}" in second.stderr
        once = agent(agent_settings, "once", "push", cwd=tmp_path)
        assert once.returncode == 3
    finally:
        first.send_signal(signal.SIGTERM)
        try:
            _, err = first.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            first.kill()
            raise
    assert first.returncode == 0, err
    assert "plc-agent stopped" in err
    assert "[TASK 1]" in err
    assert agent_settings.odoo_password not in err
    # after the stop the database is free again
    assert agent(agent_settings, "once", "health", cwd=tmp_path).returncode == 0


def test_simulate_plc_command_serves_modbus(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "plc_agent", "simulate-plc", "--port", str(port),
                             "--batch-seconds", "0.1", "--seed", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        from plc_agent.plc.link import PlcLink
        from plc_agent.plc.register_map import load_register_map

        link = PlcLink("127.0.0.1", port, 1, load_register_map(), timeout=1.0)

        def answers() -> bool:
            try:
                return link.read_write_handshake() == 1
            except Exception:
                return False

        wait_until(answers, timeout=20, what="simulate-plc to answer")
        link.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    assert proc.returncode == 0


# Loaded by a command that needs them, never by a start on a current queue without METRICS_PORT
# (pymodbus's client brings its own pymodbus.simulator data types; its server stays out).
LOADED_WHEN_ASKED = ("alembic", "mako", "prometheus_client", "pymodbus.server", "plc_agent.plc.simulator",
                     "hypothesis")


def imported_modules(stderr: str) -> set[str]:
    """The modules a run with PYTHONPROFILEIMPORTTIME=1 imported."""
    return {line.rsplit("|", 1)[1].strip() for line in stderr.splitlines()
            if line.startswith("import time:") and "|" in line}


def test_a_start_on_a_current_queue_loads_only_what_it_needs(agent_settings, engine, odoo_standin,
                                                             plc_simulator, tmp_path):
    env = agent_env(agent_settings)
    env["PYTHONPROFILEIMPORTTIME"] = "1"
    p = subprocess.run([sys.executable, "-m", "plc_agent", "once", "health"], env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "queue schema: up to date at" in p.stderr
    imported = imported_modules(p.stderr)
    assert {"plc_agent.queue.schema", "plc_agent.plc.link", "odoorpc", "sqlalchemy.orm"} <= imported
    assert sorted(m for m in imported if m.startswith(LOADED_WHEN_ASKED)) == []


def test_a_start_on_a_new_queue_has_init_db_upgrade_it_first(agent_settings, odoo_standin, plc_simulator,
                                                             tmp_path):
    p = agent(agent_settings, "once", "health", cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "queue schema: applied 0001_queue_0_1_0" in p.stderr
    assert "init-db: database " in p.stderr and "(applied 0001_queue_0_1_0, " in p.stderr
    p = agent(agent_settings, "once", "health", cwd=tmp_path)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "queue schema: up to date at" in p.stderr and "init-db:" not in p.stderr


def test_bad_simulator_options_exit_2():
    assert main(["simulate-plc", "--failure", "silo101"]) == 2
    assert main(["simulate-plc", "--random-weighings", "0"]) == 2
    assert main(["simulate-plc", "--plc-timezone", "Nowhere/Town"]) == 2
