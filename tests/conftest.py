"""Shared test configuration.

Fixtures for the PLC simulator and the stand-in Odoo live in ``tests/support`` and are
registered here as plugins. Tests that need a real Odoo 14 take the ``odoo14`` fixture: it
skips them, loudly, when none is configured (see ``support/odoo14.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.odoo14 import Odoo14, find_odoo14

pytest_plugins = ["support.simulator_fixtures", "support.odoo_standin_fixtures"]

_odoo_skips: list[str] = []


@pytest.fixture(scope="session")
def odoo14() -> Odoo14:
    odoo, reason = find_odoo14()
    if odoo is None:
        pytest.skip(f"NO ODOO 14: {reason}")
    return odoo


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests keep what a person may want to look at (screenshots, Odoo logs)."""
    path = Path(os.environ.get("PLC_TEST_ARTIFACTS", Path(__file__).resolve().parents[1] / "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and "NO ODOO 14" in str(report.longrepr):
        _odoo_skips.append(report.nodeid)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if _odoo_skips:
        _, reason = find_odoo14()
        terminalreporter.write_sep(
            "!", f"ODOO 14 NOT FOUND: {len(_odoo_skips)} Odoo tests SKIPPED", red=True, bold=True
        )
        terminalreporter.write_line(f"reason: {reason}")
        terminalreporter.write_line("Set ODOO14_HOME, ODOO14_PYTHON and PGHOST/PGPORT/PGUSER/PGPASSWORD (see README).")
