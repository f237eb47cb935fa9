"""Find and drive a real Odoo 14 server for the tests.

The tests never build Odoo: they use one that is already installed, found through
environment variables (see README, "Running the tests"):

- ``ODOO14_HOME``: the Odoo 14 source tree (the folder holding ``odoo-bin``).
- ``ODOO14_PYTHON``: the Python interpreter that has Odoo 14's requirements
  (default: ``$ODOO14_HOME/.venv/bin/python``).
- ``PGHOST``, ``PGPORT``, ``PGUSER``, ``PGPASSWORD``: the PostgreSQL server Odoo uses. The
  role must be allowed to create databases and must not be ``postgres``.

Without them the Odoo tests are skipped, and the session prints one loud line saying so.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
ADDONS_DIR = REPO_ROOT / "odoo_addon"


@dataclasses.dataclass(frozen=True)
class Odoo14:
    home: Path
    python: Path
    db_host: str
    db_port: str
    db_user: str
    db_password: str

    @property
    def addons_path(self) -> str:
        return ",".join(
            str(p) for p in (self.home / "addons", self.home / "odoo" / "addons", ADDONS_DIR)
        )

    def base_command(self, database: str, http_port: int) -> list[str]:
        return [
            str(self.python),
            str(self.home / "odoo-bin"),
            f"--addons-path={self.addons_path}",
            f"--database={database}",
            f"--db_host={self.db_host}",
            f"--db_port={self.db_port}",
            f"--db_user={self.db_user}",
            f"--db_password={self.db_password}",
            f"--http-port={http_port}",
            "--http-interface=127.0.0.1",
            "--db-filter=^%s$" % re.escape(database),
            "--no-database-list",
            "--max-cron-threads=0",
        ]

    def pg_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            PGHOST=self.db_host,
            PGPORT=self.db_port,
            PGUSER=self.db_user,
            PGPASSWORD=self.db_password,
        )
        return env

    def drop_database(self, database: str) -> None:
        subprocess.run(
            ["dropdb", "--if-exists", "--force", database],
            env=self.pg_env(),
            check=False,
            capture_output=True,
        )


def find_odoo14() -> tuple[Odoo14 | None, str]:
    """Return the Odoo 14 to test against, or None and the reason why there is none."""
    home_value = os.environ.get("ODOO14_HOME", "")
    if not home_value:
        return None, "ODOO14_HOME is not set"
    home = Path(home_value)
    if not (home / "odoo-bin").is_file() or not (home / "addons" / "mrp").is_dir():
        return None, f"ODOO14_HOME={home} holds no Odoo 14 tree (odoo-bin, addons/mrp)"
    python_value = os.environ.get("ODOO14_PYTHON") or str(home / ".venv" / "bin" / "python")
    python = Path(python_value)
    if not python.exists():
        return None, f"ODOO14_PYTHON={python} does not exist"
    probe = subprocess.run(
        [str(python), "-c", "import psycopg2, lxml, werkzeug, babel; print('ok')"],
        capture_output=True,
        text=True,
        cwd=str(home),
    )
    if probe.returncode != 0:
        return None, f"{python} lacks Odoo 14's requirements: {probe.stderr.strip()[-300:]}"
    db_user = os.environ.get("PGUSER", "")
    if not db_user:
        return None, "PGUSER is not set (Odoo needs a PostgreSQL role other than postgres)"
    odoo = Odoo14(
        home=home,
        python=python,
        db_host=os.environ.get("PGHOST", "127.0.0.1"),
        db_port=os.environ.get("PGPORT", "5432"),
        db_user=db_user,
        db_password=os.environ.get("PGPASSWORD", ""),
    )
    ready = subprocess.run(["pg_isready", "-h", odoo.db_host, "-p", odoo.db_port], capture_output=True)
    if ready.returncode != 0:
        return None, f"PostgreSQL at {odoo.db_host}:{odoo.db_port} does not answer"
    return odoo, ""


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unique_database(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@dataclasses.dataclass
class OdooRun:
    returncode: int
    log: str
    seconds: float

    @property
    def tests_started(self) -> list[str]:
        return re.findall(r"INFO \S+ (odoo\.addons\.\S+): Starting (\S+) \.\.\.", self.log)

    @property
    def failures(self) -> list[str]:
        return re.findall(r"^\S+ \S+ \d+ ERROR \S+ \S+: ((?:FAIL|ERROR): .*)$", self.log, re.M)

    @property
    def error_lines(self) -> list[str]:
        return re.findall(r"^\S+ \S+ \d+ (?:ERROR|CRITICAL) .*$", self.log, re.M)

    def summary(self, module_prefix: str) -> str:
        started = [t for t in self.tests_started if t[0].startswith(module_prefix)]
        return (
            f"{len(started)} tests started in {module_prefix}, {len(self.failures)} failed or errored, "
            f"exit code {self.returncode}, {self.seconds:.0f} s"
        )


def run_odoo(odoo: Odoo14, args: list[str], *, database: str, log_file: Path, timeout: float) -> OdooRun:
    """Run odoo-bin to completion (``--stop-after-init``) and keep its log."""
    command = odoo.base_command(database, free_port()) + args + ["--stop-after-init"]
    started = time.monotonic()
    with open(log_file, "w") as log:
        completed = subprocess.run(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=str(odoo.home),
            timeout=timeout,
            env=odoo.pg_env(),
        )
    return OdooRun(completed.returncode, log_file.read_text(errors="replace"), time.monotonic() - started)


class OdooServer:
    """An Odoo 14 server running in the background on a free loopback port."""

    def __init__(self, odoo: Odoo14, database: str, log_file: Path, extra_args: list[str] | None = None):
        self.odoo = odoo
        self.database = database
        self.log_file = log_file
        self.port = free_port()
        self.extra_args = extra_args or []
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> None:
        command = self.odoo.base_command(self.database, self.port) + self.extra_args
        self._log = open(self.log_file, "a")
        self.process = subprocess.Popen(
            command, stdout=self._log, stderr=subprocess.STDOUT, cwd=str(self.odoo.home), env=self.odoo.pg_env()
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Odoo exited with {self.process.returncode}; see {self.log_file}")
            with contextlib.suppress(OSError):
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            time.sleep(0.3)
        raise RuntimeError(f"Odoo did not listen on port {self.port} within {timeout:.0f} s; see {self.log_file}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log:
            self._log.close()
            self._log = None


@dataclasses.dataclass(frozen=True)
class _InstalledTemplate:
    database: str
    data_dir: Path


# One installed database per set of modules for the whole test session, copied for each site
# that needs a fresh one: installing mrp with its demo data takes about a minute, a copy a
# few seconds. Dropped when the session's process ends.
_templates: dict[tuple[Odoo14, str], _InstalledTemplate] = {}


def _installed_template(odoo: Odoo14, modules: str, log_dir: Path) -> _InstalledTemplate:
    key = (odoo, modules)
    if key not in _templates:
        database = unique_database("plc_template")
        data_dir = Path(tempfile.mkdtemp(prefix="odoo-template-data-"))
        atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
        atexit.register(odoo.drop_database, database)
        install = run_odoo(
            odoo,
            ["-i", modules, f"--data-dir={data_dir}", "--log-level=warn"],
            database=database,
            log_file=log_dir / f"{database}-install.log",
            timeout=900,
        )
        assert install.returncode == 0, "\n".join(install.error_lines[-20:])
        _templates[key] = _InstalledTemplate(database, data_dir)
    return _templates[key]


def new_database_with_addon(odoo: Odoo14, prefix: str, *, data_dir: Path, log_dir: Path,
                            modules: str = "mrp_plc_bridge") -> str:
    """A new database with ``modules`` and their demo data, as a copy of the session's one
    installed database of ``modules``; its name. The filestore (attachments, web assets) is
    copied into ``data_dir``, as Odoo's own database manager duplicates a database."""
    template = _installed_template(odoo, modules, log_dir)
    database = unique_database(prefix)
    created = subprocess.run(
        ["createdb", "--template", template.database, database],
        env=odoo.pg_env(),
        capture_output=True,
        text=True,
    )
    assert created.returncode == 0, f"createdb {database} from {template.database}: {created.stderr.strip()}"
    try:
        filestore = template.data_dir / "filestore" / template.database
        if filestore.is_dir():
            shutil.copytree(filestore, data_dir / "filestore" / database)
    except BaseException:
        odoo.drop_database(database)
        raise
    return database


@contextlib.contextmanager
def served_odoo_with_addon(
    odoo: Odoo14,
    prefix: str,
    *,
    data_dir: Path,
    log_dir: Path,
    modules: str = "mrp_plc_bridge",
    before_serving: Callable[[str], None] | None = None,
) -> Iterator[OdooServer]:
    """A new database with ``modules`` and their demo data, served until the block ends,
    then dropped. It is a copy of the session's one installed database of ``modules``.

    ``before_serving(database)`` runs between the copy and the server's start (for an
    ``odoo-bin shell`` script). The logs go to ``log_dir``.
    """
    database = new_database_with_addon(odoo, prefix, data_dir=data_dir, log_dir=log_dir, modules=modules)
    try:
        if before_serving is not None:
            before_serving(database)
        server = OdooServer(
            odoo, database, log_dir / f"{database}-server.log",
            extra_args=[f"--data-dir={data_dir}", "--log-level=info"],
        )
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        odoo.drop_database(database)
