"""docs/architecture.md names every module of the addons and of the agent.

A module is a ``.py`` file under ``plc_agent/`` or under an addon of ``odoo_addon/``,
except:

* the addons' ``tests/`` and their ``__manifest__.py`` (data, not code);
* an ``__init__.py`` or ``__main__.py`` that defines nothing (only imports, ``__all__``,
  ``__version__``, a call of ``main()``); one that defines a class or a function is a
  module like any other (``tasks/__init__.py``);
* the scripts under a ``migrations/`` folder (the agent's Alembic revisions and its
  ``env.py``, the addon's version scripts): the doc names the folder, ``migrations/``,
  or each script.

The doc names a module in a code span: its path inside its package (``tasks/sync.py``,
``models/mrp_plc_line.py``), or that path after the package's name
(``plc_agent/tasks/sync.py``, ``mrp_plc_bridge_maintenance/models/mrp_plc_failure.py``),
or its path in the repository. A path inside a package that two packages share (both
addons have ``models/mrp_plc_failure.py``) names the module of the package that no
qualified span names; when it could still be either, the doc must say which.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DOC = REPO_ROOT / "docs" / "architecture.md"


@dataclass(frozen=True)
class Module:
    package: str  # "plc_agent", "mrp_plc_bridge", ...
    repo_path: str  # "plc_agent/tasks/sync.py"
    path: str  # inside the package: "tasks/sync.py"

    @property
    def migrations_folder(self) -> str | None:
        """``migrations/`` (or ``queue/migrations/``) when the module is a migration script."""
        parts = self.path.split("/")
        if "migrations" in parts[:-1]:
            return "/".join(parts[: parts.index("migrations") + 1]) + "/"
        return None


def packages(repo: Path) -> dict[str, Path]:
    found = {"plc_agent": repo / "plc_agent"}
    for manifest in sorted((repo / "odoo_addon").glob("*/__manifest__.py")):
        found[manifest.parent.name] = manifest.parent
    return found


def defines_something(source: str) -> bool:
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.Pass)):
            continue
        if isinstance(node, ast.Expr):  # a docstring, or ``sys.exit(main())``
            continue
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if all(isinstance(t, ast.Name) and t.id in ("__all__", "__version__") for t in targets):
                continue
        return True
    return False


def modules(repo: Path) -> list[Module]:
    found = []
    for name, root in packages(repo).items():
        for file in sorted(root.rglob("*.py")):
            path = file.relative_to(root).as_posix()
            parts = path.split("/")
            if "__pycache__" in parts or (root.parent.name == "odoo_addon" and parts[0] == "tests"):
                continue
            if path == "__manifest__.py":
                continue
            if parts[-1] in ("__init__.py", "__main__.py") and not defines_something(file.read_text(encoding="utf-8")):
                continue
            found.append(Module(name, file.relative_to(repo).as_posix(), path))
    return found


def code_spans(markdown: str) -> set[str]:
    """The doc's inline code spans, without a leading ``./`` or ``../``."""
    text = re.sub(r"^```.*?^```", "", markdown, flags=re.M | re.S)
    return {re.sub(r"^(\.\.?/)+", "", span.strip()) for span in re.findall(r"`([^`\n]+)`", text)}


def missing_modules(repo: Path, doc_text: str) -> tuple[list[Module], dict[str, list[str]]]:
    """The modules the doc does not name, and the spans that could name several packages'."""
    spans = code_spans(doc_text)
    all_modules = modules(repo)

    def qualified(module: Module) -> bool:
        names = {module.repo_path, f"{module.package}/{module.path}"}
        folder = module.migrations_folder
        if folder:
            root = module.repo_path[: -len(module.path)]
            names |= {root + folder, f"{module.package}/{folder}"}
            names |= {name.rstrip("/") for name in names if name.endswith("/")}
        return bool(names & spans)

    named = {m for m in all_modules if qualified(m)}
    ambiguous: dict[str, list[str]] = {}
    for span in spans:
        candidates = [
            m
            for m in all_modules
            if m not in named
            and (m.path == span or (m.migrations_folder and m.migrations_folder.rstrip("/") == span.rstrip("/")))
        ]
        by_package = defaultdict(list)
        for m in candidates:
            by_package[m.package].append(m)
        if len(by_package) == 1:
            named.update(candidates)
        elif len(by_package) > 1:
            ambiguous[span] = sorted(by_package)
    return [m for m in all_modules if m not in named], ambiguous


def test_architecture_doc_names_every_module():
    missing, ambiguous = missing_modules(REPO_ROOT, DOC.read_text(encoding="utf-8"))
    lines = [f"docs/architecture.md does not name {len(missing)} module(s):"]
    lines += [f"  {m.repo_path}" for m in missing]
    lines += [
        f"  (`{span}` could be the one of {' or '.join(names)}: write it as `<package>/{span}`)"
        for span, names in sorted(ambiguous.items())
    ]
    if missing:
        pytest.fail("\n".join(lines), pytrace=False)


# ----------------------------------------------------------------------------- the rule itself


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    def write(path: str, text: str = "def f():\n    return 1\n") -> None:
        file = tmp_path / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")

    write("plc_agent/__init__.py", '"""The agent."""\n__version__ = "1"\n')
    write("plc_agent/__main__.py", "import sys\nfrom .cli import main\nsys.exit(main())\n")
    write("plc_agent/cli.py")
    write("plc_agent/tasks/__init__.py", "class AgentTasks:\n    pass\n")
    write("plc_agent/tasks/sync.py")
    write("plc_agent/migrations/env.py")
    write("plc_agent/migrations/versions/0001_first.py")
    write("odoo_addon/addon_a/__manifest__.py", "{}\n")
    write("odoo_addon/addon_a/__init__.py", "from . import models\n")
    write("odoo_addon/addon_a/models/__init__.py", "from . import thing\n")
    write("odoo_addon/addon_a/models/thing.py")
    write("odoo_addon/addon_a/payload.py")
    write("odoo_addon/addon_a/tests/test_thing.py")
    write("odoo_addon/addon_b/__manifest__.py", "{}\n")
    write("odoo_addon/addon_b/models/thing.py")
    return tmp_path


FULL_DOC = """
| `cli.py` | commands | `tasks/__init__.py` | `tasks/sync.py` | `schema.py`, `migrations/` |
| `payload.py` | `models/thing.py` | `addon_b/models/thing.py` |
"""


def test_a_doc_naming_every_module_passes(repo: Path):
    assert missing_modules(repo, FULL_DOC) == ([], {})


def test_a_module_left_out_is_named(repo: Path):
    missing, _ = missing_modules(repo, FULL_DOC.replace("`tasks/sync.py`", "sync"))
    assert [m.repo_path for m in missing] == ["plc_agent/tasks/sync.py"]


def test_glue_modules_and_tests_need_no_row(repo: Path):
    listed = {m.repo_path for m in modules(repo)}
    assert "plc_agent/tasks/__init__.py" in listed
    assert not listed & {
        "plc_agent/__init__.py",
        "plc_agent/__main__.py",
        "odoo_addon/addon_a/__init__.py",
        "odoo_addon/addon_a/models/__init__.py",
        "odoo_addon/addon_a/__manifest__.py",
        "odoo_addon/addon_a/tests/test_thing.py",
    }


def test_migration_scripts_are_named_by_their_folder(repo: Path):
    missing, _ = missing_modules(repo, FULL_DOC.replace("`migrations/`", "migrations"))
    assert [m.repo_path for m in missing] == [
        "plc_agent/migrations/env.py",
        "plc_agent/migrations/versions/0001_first.py",
    ]


def test_a_path_two_packages_share_must_say_which(repo: Path):
    doc = FULL_DOC.replace("`addon_b/models/thing.py`", "")
    missing, ambiguous = missing_modules(repo, doc)
    assert [m.repo_path for m in missing] == [
        "odoo_addon/addon_a/models/thing.py",
        "odoo_addon/addon_b/models/thing.py",
    ]
    assert ambiguous == {"models/thing.py": ["addon_a", "addon_b"]}
