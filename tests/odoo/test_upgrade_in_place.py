"""An installed database upgrades in place from the previous release of the addon.

The previous release is taken from git (the last commit before the addon was split by
concern, 14.0.1.0.0): installed with demo data, two MOs sent to the line, then upgraded
with the addon of this checkout. The new fields get their defaults and nothing the line
was given changes.
"""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import tarfile
from pathlib import Path

import pytest

from support.odoo14 import REPO_ROOT, Odoo14, run_odoo, unique_database

pytestmark = pytest.mark.odoo

MODULE = "mrp_plc_bridge"
PREVIOUS_RELEASE = "12dea31"

SEND_TWO = """
result = env["mrp.production"].plc_fetch_batches("FM1", 2)
env.cr.commit()
print("SENT=" + ",".join(b["batch_key"] for b in result["batches"]))
"""

STATE = """
import json
mos = env["mrp.production"].search([("plc_line_id", "!=", False)], order="id")
line = env["mrp.plc.line"].search([("code", "=", "FM1")])
state = {
    "mos": [[m.name, m.plc_state, m.plc_batch_key or "", m.plc_line_id.code] for m in mos],
    "consumption": [[c.production_id.name, c.run, c.silo_code, c.planned_qty, c.move_ids.ids]
                    for c in env["mrp.plc.consumption"].search([], order="id")],
    "silos": sorted(line.silo_ids.mapped("code")),
}
print("STATE=" + json.dumps(state))
print("CAPACITY=" + json.dumps(line._plc_capacity() if hasattr(line, "_plc_capacity") else None))
"""


@dataclasses.dataclass(frozen=True)
class _OdooWithAddons(Odoo14):
    addons_dir: Path = REPO_ROOT / "odoo_addon"

    @property
    def addons_path(self) -> str:
        return ",".join(str(p) for p in (self.home / "addons", self.home / "odoo" / "addons", self.addons_dir))


def _previous_addon(target: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", PREVIOUS_RELEASE, "odoo_addon"],
        capture_output=True,
    )
    if archive.returncode != 0:
        pytest.skip(f"commit {PREVIOUS_RELEASE} is not in this clone: {archive.stderr.decode()[-200:]}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target)
    return target / "odoo_addon"


def _shell(odoo: Odoo14, database: str, script: str, log_file: Path) -> str:
    command = [str(odoo.python), str(odoo.home / "odoo-bin"), "shell"]
    command += odoo.base_command(database, 0)[2:] + ["--no-http", "--log-level=warn"]
    command = [arg for arg in command if not arg.startswith(("--http-port", "--http-interface"))]
    completed = subprocess.run(
        command, input=script, capture_output=True, text=True, cwd=str(odoo.home), timeout=600, env=odoo.pg_env()
    )
    with open(log_file, "a") as log:
        log.write(completed.stdout + completed.stderr)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout


def _value(output: str, key: str):
    for line in output.splitlines():
        if line.startswith(key + "="):
            return json.loads(line[len(key) + 1 :]) if key != "SENT" else line[len(key) + 1 :]
    raise AssertionError(f"no {key}= line in {output[-1000:]}")


def test_upgrades_in_place_from_the_previous_release(odoo14, artifacts_dir, tmp_path):
    previous = _OdooWithAddons(**dataclasses.asdict(odoo14), addons_dir=_previous_addon(tmp_path))
    current = _OdooWithAddons(**dataclasses.asdict(odoo14))
    database = unique_database("plc_bridge_upgrade")
    log_dir = artifacts_dir
    try:
        install = run_odoo(
            previous, ["-i", MODULE, "--log-level=warn"], database=database,
            log_file=log_dir / "odoo-upgrade-previous-install.log", timeout=900,
        )
        assert install.returncode == 0 and not install.error_lines, "\n".join(install.error_lines[-20:])
        sent = _value(_shell(previous, database, SEND_TWO, log_dir / "odoo-upgrade-shell.log"), "SENT")
        assert len(sent.split(",")) == 2, sent
        before = _value(_shell(previous, database, STATE, log_dir / "odoo-upgrade-shell.log"), "STATE")

        upgrade = run_odoo(
            current, ["-u", MODULE, "--log-level=warn"], database=database,
            log_file=log_dir / "odoo-upgrade-in-place.log", timeout=900,
        )
        assert upgrade.returncode == 0, "\n".join(upgrade.error_lines[-20:])
        assert not upgrade.error_lines, "\n".join(upgrade.error_lines[-20:])

        output = _shell(current, database, STATE, log_dir / "odoo-upgrade-shell.log")
        assert _value(output, "STATE") == before
        assert [m[1] for m in before["mos"]].count("sent") == 2 and len(before["consumption"]) > 0
        assert _value(output, "CAPACITY") == {"components_per_batch": 15, "text_width": 16}
    finally:
        odoo14.drop_database(database)
