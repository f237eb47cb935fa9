"""The addon inside a real Odoo 14: install, upgrade, its own tests, core mrp's tests.

Each test makes a fresh database, runs ``odoo-bin`` to completion and reads its log. The
logs stay in the artifacts folder so a failure can be read in full.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from support.odoo14 import Odoo14, free_port, run_odoo, unique_database

pytestmark = pytest.mark.odoo

MODULE = "mrp_plc_bridge"


@pytest.fixture
def database(odoo14: Odoo14):
    name = unique_database("plc_bridge_test")
    yield name
    odoo14.drop_database(name)


def _assert_clean(run, module_prefix: str, minimum_tests: int) -> None:
    started = [name for logger, name in run.tests_started if logger.startswith(module_prefix)]
    print(run.summary(module_prefix))
    assert not run.failures, "\n".join(run.failures)
    assert run.returncode == 0, f"odoo-bin exited {run.returncode}: " + "\n".join(run.error_lines[-20:])
    assert len(started) >= minimum_tests, f"only {len(started)} tests of {module_prefix} ran"


# As long as odoo-bin may take below: the addon's 71 tests took 6 minutes at a load of
# 5-7 on 2 cores, and passed pytest's default 600 s at a load of 10.
@pytest.mark.timeout(1800)
def test_addon_tests_pass_with_demo_data(odoo14, database, artifacts_dir):
    run = run_odoo(
        odoo14,
        ["-i", MODULE, "--test-enable", f"--test-tags=/{MODULE}", "--log-level=test"],
        database=database,
        log_file=artifacts_dir / "odoo-addon-tests.log",
        timeout=1800,
    )
    _assert_clean(run, f"odoo.addons.{MODULE}", minimum_tests=20)


def test_maintenance_glue_installs_itself_and_its_tests_pass(odoo14, database, artifacts_dir):
    """With maintenance installed, mrp_plc_bridge_maintenance comes with it (auto_install)."""
    glue = "mrp_plc_bridge_maintenance"
    run = run_odoo(
        odoo14,
        ["-i", f"{MODULE},maintenance", "--test-enable", f"--test-tags=/{glue}", "--log-level=test"],
        database=database,
        log_file=artifacts_dir / "odoo-maintenance-glue-tests.log",
        timeout=1800,
    )
    _assert_clean(run, f"odoo.addons.{glue}", minimum_tests=2)


def test_installs_without_demo_and_upgrades(odoo14, database, artifacts_dir):
    install = run_odoo(
        odoo14,
        ["-i", MODULE, "--without-demo=all", "--log-level=warn"],
        database=database,
        log_file=artifacts_dir / "odoo-install-nodemo.log",
        timeout=900,
    )
    assert install.returncode == 0, "\n".join(install.error_lines[-20:])
    assert not install.error_lines, "\n".join(install.error_lines[-20:])
    upgrade = run_odoo(
        odoo14,
        ["-u", MODULE, "--log-level=warn"],
        database=database,
        log_file=artifacts_dir / "odoo-upgrade.log",
        timeout=900,
    )
    assert upgrade.returncode == 0, "\n".join(upgrade.error_lines[-20:])
    assert not upgrade.error_lines, "\n".join(upgrade.error_lines[-20:])


@pytest.mark.slow
def test_core_mrp_suite_passes_with_addon_installed(odoo14, database, artifacts_dir):
    install = run_odoo(
        odoo14,
        ["-i", MODULE, "--log-level=warn"],
        database=database,
        log_file=artifacts_dir / "odoo-core-mrp-install.log",
        timeout=900,
    )
    assert install.returncode == 0, "\n".join(install.error_lines[-20:])
    command = [str(odoo14.python), str(Path(__file__).parents[1] / "support" / "odoo_module_tests.py"), "mrp"]
    command += odoo14.base_command(database, free_port())[2:] + ["--log-level=test"]
    log_file = artifacts_dir / "odoo-core-mrp-tests.log"
    environment = dict(odoo14.pg_env(), PYTHONPATH=str(odoo14.home))
    with open(log_file, "w") as log:
        completed = subprocess.run(
            command, stdout=log, stderr=subprocess.STDOUT, cwd=str(odoo14.home), env=environment, timeout=2400
        )
    output = log_file.read_text(errors="replace")
    result = re.search(r"MRP TESTS: (\d+) run, (\d+) failed, (\d+) errors", output)
    assert result, f"no result line; see {log_file}"
    print(result.group(0))
    run, failed, errors = (int(g) for g in result.groups())
    assert (failed, errors) == (0, 0), re.findall(r"(?:FAIL|ERROR): .*", output)
    assert completed.returncode == 0
    assert run >= 100, f"only {run} mrp tests ran"
