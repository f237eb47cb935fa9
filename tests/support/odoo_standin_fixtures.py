"""pytest plugin: the stand-in Odoo (``odoo_standin``) on loopback, one per test.

Registered by ``tests/conftest.py`` (``pytest_plugins``) or with
``-p support.odoo_standin_fixtures``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.odoo_standin import OdooStandin


@pytest.fixture
def odoo_standin() -> Iterator[OdooStandin]:
    """A started stand-in Odoo on 127.0.0.1 with an ephemeral port, line ``FM1``.

    Database ``plc_test``, agent user ``plc-agent`` / ``secret-key``; no MOs until the test
    adds them with ``add_mo``. Stopped at teardown.
    """
    standin = OdooStandin()
    standin.start()
    try:
        yield standin
    finally:
        standin.stop()
