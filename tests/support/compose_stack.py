"""Run docker-compose.yml's own command lines on this machine, as its containers would.

There is no Docker engine on the test machines, so the tests run what Docker would run: each
service's command, environment and configuration are read from the compose file (never
copied into the tests) and run against the real Odoo 14 of the Odoo tests. What differs
between a container and this machine is translated, and only that:

- the odoo image's entrypoint: a command starting with ``odoo`` gets ``--db_host``,
  ``--db_port``, ``--db_user``, ``--db_password`` from HOST / PORT / USER / PASSWORD, as the
  image's ``/entrypoint.sh`` does; any other command runs as it is;
- ``odoo`` is Odoo 14's ``odoo-bin`` run by ``ODOO14_PYTHON`` (a wrapper put first on PATH);
- ``/etc/odoo/odoo.conf`` is the compose config's content, interpolated as compose does, with
  Odoo's own addons folder added (the image's package keeps them inside Odoo), the HTTP port
  on a free loopback port, and no cron threads (a cron run at a random moment would make the
  before/after comparisons flaky; the restart problem is not about crons);
- bind mounts and named volumes are folders here: their container paths are replaced in the
  commands, the environment and the configuration;
- the database server is the tests' (``PG*``), and the database name gets a unique suffix so
  that parallel runs never meet.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml

from support.odoo14 import Odoo14, free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"

_VARIABLE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*)|(:?\?)([^}]*))?\}")


def load_compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def interpolate(value: str, environ: dict[str, str]) -> str:
    """Compose's variable substitution: ``$$``, ``${X}``, ``${X:-default}``, ``${X:?error}``."""

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        current = environ.get(name)
        if match.group(2) is not None:
            empty_counts = match.group(2) == ":-"
            if current is None or (empty_counts and current == ""):
                return match.group(3)
            return current
        if match.group(4) is not None:
            if current is None or (match.group(4) == ":?" and current == ""):
                raise ValueError(f"compose would stop: {name}: {match.group(5)}")
            return current
        return current or ""

    return _VARIABLE.sub(replace, value)


@dataclasses.dataclass
class ServiceRun:
    returncode: int
    output: str


class ComposeStack:
    """The compose file's odoo services, runnable here against one fresh database."""

    def __init__(self, odoo: Odoo14, work_dir: Path, log_dir: Path, *, host_env: dict[str, str] | None = None):
        self.odoo = odoo
        self.compose = load_compose()
        self.services = self.compose["services"]
        self.work_dir = work_dir
        self.log_dir = log_dir
        self.host_env = dict(host_env or {})
        self.compose_database = self.services["odoo-init"]["environment"]["ODOO_DATABASE"]
        self.database = f"{self.compose_database}_{os.urandom(5).hex()}"
        self.http_port = free_port()
        self.volumes: dict[str, Path] = {}
        for name in self.compose.get("volumes") or {}:
            path = work_dir / "volumes" / name
            path.mkdir(parents=True, exist_ok=True)
            self.volumes[name] = path
        self.bin_dir = work_dir / "bin"
        self.bin_dir.mkdir(exist_ok=True)
        wrapper = self.bin_dir / "odoo"
        wrapper.write_text(f'#!/bin/sh\nexec "{odoo.python}" "{odoo.home / "odoo-bin"}" "$@"\n')
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        self.odoo_conf = work_dir / "odoo.conf"
        self._servers: list[subprocess.Popen] = []

    # ------------------------------------------------------------------ translation

    def mounts(self, service: str) -> list[tuple[str, str]]:
        """(container path, host path) of the service's volumes, longest container path first."""
        out = []
        for volume in self.services[service].get("volumes") or []:
            source, target = volume.split(":")[:2]
            host = (REPO_ROOT / source).resolve() if source.startswith((".", "/")) else self.volumes[source]
            out.append((target, str(host)))
        return sorted(out, key=lambda pair: -len(pair[0]))

    def translate(self, service: str, value: str) -> str:
        value = interpolate(value, self.host_env)
        for container, host in self.mounts(service):
            value = re.sub(re.escape(container) + r"(?=/|$|\s|,)", host.replace("\\", "\\\\"), value)
        return re.sub(r"\b%s\b" % re.escape(self.compose_database), self.database, value)

    def environment(self, service: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ODOO_", "PLC_", "PG"))}
        for key, value in (self.services[service].get("environment") or {}).items():
            env[key] = self.translate(service, str(value))
        if service in ("odoo", "odoo-init"):
            # The database server of the tests, under the image's variable names.
            env.update(HOST=self.odoo.db_host, PORT=self.odoo.db_port, USER=self.odoo.db_user,
                       PASSWORD=self.odoo.db_password)
            env["ODOO_RC"] = str(self.render_odoo_conf(service))
            env["PATH"] = f"{self.bin_dir}{os.pathsep}{env.get('PATH', '')}"
        return env

    def render_odoo_conf(self, service: str) -> Path:
        configs = {c["source"]: c["target"] for c in self.services[service].get("configs") or []}
        assert configs.get("odoo_conf") == "/etc/odoo/odoo.conf", configs
        content = self.translate(service, self.compose["configs"]["odoo_conf"]["content"])
        content = re.sub(
            r"^addons_path\s*=\s*(.*)$",
            lambda m: f"addons_path = {self.odoo.home / 'addons'},{m.group(1)}",
            content,
            flags=re.M,
        )
        content += f"http_port = {self.http_port}\nhttp_interface = 127.0.0.1\nmax_cron_threads = 0\n"
        self.odoo_conf.write_text(content)
        return self.odoo_conf

    def command(self, service: str, override: list[str] | None = None) -> list[str]:
        """The service's command (or ``override``, as ``docker compose run SERVICE ...`` gives)."""
        spec = self.services[service]
        assert "entrypoint" not in spec, f"{service}: the odoo image's own entrypoint is expected"
        command = [self.translate(service, str(arg)) for arg in (override or spec["command"])]
        if command[0] == "odoo" or command[0].startswith("-"):
            if command[0] == "odoo":
                command = command[1:]
            command = ["odoo", *command, "--db_host", self.odoo.db_host, "--db_port", self.odoo.db_port,
                       "--db_user", self.odoo.db_user, "--db_password", self.odoo.db_password]
        return command

    # ------------------------------------------------------------------ running

    def run(self, service: str, override: list[str] | None = None, timeout: float = 1200) -> ServiceRun:
        """Run a one-shot service (or ``docker compose run SERVICE override...``) to its end."""
        log_file = self.log_dir / f"{self.database}-{service}.log"
        completed = subprocess.run(
            self.command(service, override), env=self.environment(service), cwd=str(self.work_dir),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
        )
        with open(log_file, "a") as log:
            log.write(completed.stdout)
        return ServiceRun(completed.returncode, completed.stdout)

    @contextlib.contextmanager
    def serving(self, service: str = "odoo", timeout: float = 300):
        """Start a long-running service, wait until its own health check passes, stop it after."""
        log_file = open(self.log_dir / f"{self.database}-{service}.log", "a")
        process = subprocess.Popen(self.command(service), env=self.environment(service), cwd=str(self.work_dir),
                                   stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
        self._servers.append(process)
        try:
            deadline = time.monotonic() + timeout
            while not self.healthy(service):
                if process.poll() is not None:
                    raise RuntimeError(f"{service} exited with {process.returncode}; see {log_file.name}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{service} not healthy within {timeout:.0f} s; see {log_file.name}")
                time.sleep(1)
            yield process
        finally:
            self._stop(process)
            log_file.close()

    def healthy(self, service: str) -> bool:
        """The service's own compose health check, pointed at the translated port."""
        test = self.services[service]["healthcheck"]["test"]
        assert test[0] == "CMD", test
        args = [a.replace("127.0.0.1:8069", f"127.0.0.1:{self.http_port}") for a in test[1:]]
        if args[0] == "python3":
            args[0] = shutil.which("python3") or "python3"
        with contextlib.suppress(subprocess.TimeoutExpired):
            return subprocess.run(args, capture_output=True, timeout=20).returncode == 0
        return False

    @staticmethod
    def _stop(process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def port_is_free(self) -> bool:
        with contextlib.closing(socket.socket()) as sock:
            return sock.connect_ex(("127.0.0.1", self.http_port)) != 0

    def cleanup(self) -> None:
        for process in self._servers:
            self._stop(process)
        self.odoo.drop_database(self.database)


def odoo_shell(stack: ComposeStack, script: str, service: str = "odoo") -> str:
    """Run a Python script in ``odoo shell`` with the service's configuration; return stdout."""
    command = ["odoo", "shell", f"--database={stack.database}", "--no-http", "--log-level=warn",
               "--db_host", stack.odoo.db_host, "--db_port", stack.odoo.db_port,
               "--db_user", stack.odoo.db_user, "--db_password", stack.odoo.db_password]
    completed = subprocess.run(command, input=script, env=stack.environment(service), cwd=str(stack.work_dir),
                               capture_output=True, text=True, timeout=600)
    with open(stack.log_dir / f"{stack.database}-shell.log", "a") as log:
        log.write(completed.stdout + completed.stderr)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout
