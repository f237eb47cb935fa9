"""Load the addon's ``payloads`` package by its path.

The package is plain Python on purpose; importing it as part of the addon would run the
addon's ``__init__``, which imports odoo. Its modules import ``checks`` relatively, so they
are loaded as modules of one package.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

PAYLOADS = Path(__file__).resolve().parents[2] / "odoo_addon" / "mrp_plc_bridge" / "payloads"
PACKAGE = "mrp_plc_bridge_payloads"


def load_payloads(name: str):
    """``payloads.<name>`` of the addon, without the addon's ``__init__`` (which imports odoo)."""
    if PACKAGE not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            PACKAGE, PAYLOADS / "__init__.py", submodule_search_locations=[str(PAYLOADS)]
        )
        package = importlib.util.module_from_spec(spec)
        sys.modules[PACKAGE] = package  # dataclasses look their module up while building
        spec.loader.exec_module(package)
    return importlib.import_module(f"{PACKAGE}.{name}")
