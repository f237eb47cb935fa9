"""README's path without Docker, run as written, on a real Odoo 14.

The command lines are read from README ("The demo line in six commands"), not copied here,
and run from a folder that stands for the checkout. What the reader brings is provided:
an Odoo 14 source tree and its Python (``ODOO14_HOME``, ``ODOO14_PYTHON``; neither
``odoo-bin`` nor ``plc-agent`` is on PATH), its configuration file (``ODOO_RC``, with this
repository's addons), a home folder for the key file, and the agent's ``.venv``. Only the
database name and the two ports are changed, to ones of this test run.
"""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
from pathlib import Path

import odoorpc
import pytest

from support.odoo14 import ADDONS_DIR, REPO_ROOT, free_port, unique_database

from .conftest import ADMIN_LOGIN, ADMIN_PASSWORD, LINE, wait_until

# An Odoo install with demo data takes minutes on a busy machine.
pytestmark = [pytest.mark.odoo, pytest.mark.slow, pytest.mark.timeout(1800)]

HEADING = "### The demo line in six commands"


def readme_commands() -> list[str]:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(HEADING):]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def executable(path: Path, body: str) -> None:
    path.write_text(body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture
def readers_machine(odoo14, tmp_path):
    """A checkout (deploy/ and the agent's .venv), Odoo's configuration file and a home
    folder, and the variables README has the reader export."""
    database = unique_database("plc_readme")
    odoo_port, plc_port = free_port(), free_port()
    checkout, home = tmp_path / "checkout", tmp_path / "home"
    (checkout / ".venv" / "bin").mkdir(parents=True)
    home.mkdir()
    (checkout / "deploy").symlink_to(REPO_ROOT / "deploy")
    (tmp_path / "odoo.conf").write_text(
        "[options]\n"
        f"addons_path = {odoo14.home / 'addons'},{odoo14.home / 'odoo' / 'addons'},{ADDONS_DIR}\n"
        f"data_dir = {tmp_path / 'odoo-data'}\n"
        f"db_host = {odoo14.db_host}\ndb_port = {odoo14.db_port}\n"
        f"db_user = {odoo14.db_user}\ndb_password = {odoo14.db_password}\n"
        f"http_port = {odoo_port}\nhttp_interface = 127.0.0.1\n"
        "max_cron_threads = 0\nlist_db = False\n"
    )
    executable(checkout / ".venv" / "bin" / "plc-agent", f'#!/bin/sh\nexec "{sys.executable}" -m plc_agent "$@"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ODOO", "PLC_", "SYNC_", "DATABASE_"))}
    env.update(ODOO14_HOME=str(odoo14.home), ODOO14_PYTHON=str(odoo14.python),
               ODOO_RC=str(tmp_path / "odoo.conf"), HOME=str(home), PYTHONPATH=str(REPO_ROOT))
    processes: list[subprocess.Popen] = []

    def translate(line: str) -> str:
        line = re.sub(r"\bplc_demo\b", database, line)
        line = re.sub(r"\b8069\b", str(odoo_port), line)
        return re.sub(r"\b5020\b", str(plc_port), line)

    def start(command: str, log_name: str) -> subprocess.Popen:
        log = open(tmp_path / log_name, "w")
        process = subprocess.Popen(["bash", "-c", command], cwd=checkout, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        processes.append(process)
        return process

    machine = dict(database=database, odoo_port=odoo_port, env=env, translate=translate, start=start,
                   cwd=checkout, home=home, logs=tmp_path)
    try:
        yield machine
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        odoo14.drop_database(database)


def test_readme_path_without_docker_runs_the_demo_line(readers_machine, artifacts_dir):
    commands = [readers_machine["translate"](line) for line in readme_commands()]
    assert len(commands) == 6, commands
    install, key_folder, key, serve, simulator, agent = commands
    cwd, env, logs = readers_machine["cwd"], readers_machine["env"], readers_machine["logs"]
    log_dir = artifacts_dir / "e2e"
    log_dir.mkdir(exist_ok=True)

    for number, command in enumerate((install, key_folder, key), start=1):
        done = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=1500)
        (log_dir / f"readme-{number}.log").write_text(done.stdout + done.stderr)
        assert done.returncode == 0, f"README command {number} failed: {done.stderr[-3000:]}"
    key_file = readers_machine["home"] / ".config" / "plc-agent" / "fm1-api-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert not [p for p in cwd.rglob("*api-key*")], "a key file in the checkout"

    # README's own line serves the database, in the background.
    assert serve.endswith(" &")
    readers_machine["start"](serve[:-2], "odoo.log")
    wait_until(lambda: subprocess.run(
        [sys.executable, "-c", "import urllib.request; urllib.request.urlopen("
         f"'http://127.0.0.1:{readers_machine['odoo_port']}/web/login', timeout=10)"]).returncode == 0,
        timeout=180, interval=1, what="Odoo to serve")
    client = odoorpc.ODOO("127.0.0.1", port=readers_machine["odoo_port"], timeout=120)
    client.login(readers_machine["database"], ADMIN_LOGIN, ADMIN_PASSWORD)
    demo = client.env["mrp.production"].search([("plc_line_id.code", "=", LINE), ("state", "=", "confirmed")])
    assert len(demo) >= 5

    assert simulator.endswith(" &")
    readers_machine["start"](simulator[:-2], "simulator.log")
    readers_machine["start"](agent, "agent.log")

    def all_done():
        states = client.execute("mrp.production", "read", demo, ["state"])
        return all(s["state"] == "done" for s in states)

    try:
        wait_until(all_done, timeout=600, interval=3, what="the demo MOs to be done")
    finally:
        for name in ("odoo.log", "simulator.log", "agent.log"):
            if (logs / name).exists():
                (log_dir / f"readme-{name}").write_text((logs / name).read_text(errors="replace"))
