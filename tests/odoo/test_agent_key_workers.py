"""A revoked agent key is refused at once by every worker of a running Odoo.

Odoo 14 keeps each accepted (user, key) check of ``execute_kw`` in a cache of every
worker process. The line's key is given by ``deploy/odoo/agent_access.py`` in an Odoo
shell, as the compose stack gives it, used until the workers have checked it, then
replaced by a second run of the script while the server runs: the old key must be
refused by the very next calls, whichever worker answers them, and the new one work.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
from pathlib import Path

import pytest

from support.odoo14 import REPO_ROOT, Odoo14, OdooServer, new_database_with_addon

pytestmark = pytest.mark.odoo

WORKERS = 2
CALLS = 20


def give_key(odoo14: Odoo14, database: str, key_file: Path, log_file: Path) -> None:
    """``deploy/odoo/agent_access.py`` for line FM1, as the compose stack runs it."""
    command = [
        str(odoo14.python),
        str(odoo14.home / "odoo-bin"),
        "shell",
        f"--addons-path={odoo14.addons_path}",
        f"--database={database}",
        f"--db_host={odoo14.db_host}",
        f"--db_port={odoo14.db_port}",
        f"--db_user={odoo14.db_user}",
        f"--db_password={odoo14.db_password}",
        "--no-http",
        "--log-level=warn",
    ]
    environment = dict(odoo14.pg_env(), PLC_LINE_CODE="FM1", PLC_AGENT_KEY_FILE=str(key_file))
    completed = subprocess.run(
        command,
        input=(REPO_ROOT / "deploy" / "odoo" / "agent_access.py").read_text(),
        capture_output=True,
        text=True,
        cwd=str(odoo14.home),
        env=environment,
        timeout=600,
    )
    with open(log_file, "a") as log:
        log.write(completed.stdout + completed.stderr)
    assert completed.returncode == 0, completed.stderr[-2000:]


class Agent:
    def __init__(self, url: str, database: str, key: str):
        self.url = url + "/jsonrpc"
        self.database = database
        self.key = key

    def call(self, service: str, method: str, *args):
        params = {"service": service, "method": method, "args": list(args)}
        body = {"jsonrpc": "2.0", "id": 1, "method": "call", "params": params}
        request = urllib.request.Request(self.url, json.dumps(body).encode(), {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)

    def ping(self, uid: int) -> str:
        """``ok``, or the name of the exception Odoo answered with."""
        args = [self.database, uid, self.key, "mrp.production", "plc_ping", ["FM1"], {}]
        answer = self.call("object", "execute_kw", *args)
        return "ok" if "result" in answer else answer["error"]["data"]["name"]


@pytest.mark.timeout(1200)
def test_a_new_key_stops_the_old_one_on_every_worker(odoo14, artifacts_dir, tmp_path):
    log_file = artifacts_dir / "odoo-agent-key-workers.log"
    data_dir = tmp_path / "odoo-data"
    database = new_database_with_addon(odoo14, "plc_key_workers", data_dir=data_dir, log_dir=artifacts_dir)
    try:
        give_key(odoo14, database, tmp_path / "old-key", log_file)
        server = OdooServer(odoo14, database, log_file,
                            extra_args=[f"--data-dir={data_dir}", f"--workers={WORKERS}", "--log-level=info"])
        server.start()
        try:
            old = Agent(server.url, database, (tmp_path / "old-key").read_text().strip())
            uid = old.call("common", "login", database, "plc-agent-fm1", old.key)["result"]
            assert uid
            # Enough calls for every worker to check the old key and cache the check.
            assert [old.ping(uid) for _ in range(CALLS)] == ["ok"] * CALLS
            give_key(odoo14, database, tmp_path / "new-key", log_file)
            new = Agent(server.url, database, (tmp_path / "new-key").read_text().strip())
            # The new key first: Odoo blocks every login from an address for a minute
            # after a few refused ones, the new key's too.
            assert [new.ping(uid) for _ in range(5)] == ["ok"] * 5
            refused = [old.ping(uid) for _ in range(CALLS)]
            assert refused == ["odoo.exceptions.AccessDenied"] * CALLS, (
                f"{refused.count('ok')} of {CALLS} calls with the revoked key were answered"
            )
            assert old.call("common", "login", database, "plc-agent-fm1", old.key)["result"] is False
        finally:
            server.stop()
    finally:
        odoo14.drop_database(database)
