"""The two checks of OCA's maintainer-tools hooks, for addons that are not OCA's.

OCA's pre-commit runs ``oca-gen-addon-readme`` (README.rst is generated from the
fragments in ``readme/`` and the manifest) and ``oca-fix-manifest-website`` (every
manifest names the repository's website). maintainer-tools is not on the package
registries, and its README template speaks for the OCA (its bug tracker, its
maintainers), so this script does both checks for this project:

* ``addon-readme``: README.rst is exactly what ``readme/*.rst`` and the manifest
  produce, in OCA's order of sections, and it is valid reStructuredText (docutils with
  the settings OCA checks README files with);
* ``manifest-website``: the manifest's ``website`` is the project's, read from
  ``[project.urls] Homepage`` in pyproject.toml.

    python .ci/addon_files.py [--fix] ADDONS_DIR

Prints one ``path:line: message [check]`` line per problem and exits 1 when one is
left; with ``--fix`` it first rewrites README.rst and the manifest's website.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import re
import sys
import textwrap
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# OCA's fragments (maintainer-tools, gen_addon_readme), in the order the README shows
# them, with their section titles; CONTRIBUTORS and CREDITS go under Credits.
SECTIONS = (
    ("CONTEXT", "Use Cases / Context"),
    ("INSTALL", "Installation"),
    ("CONFIGURE", "Configuration"),
    ("USAGE", "Usage"),
    ("DEVELOP", "Development"),
    ("ROADMAP", "Known issues / Roadmap"),
    ("HISTORY", "Changelog"),
)
CREDITS = (("CONTRIBUTORS", "Contributors"), ("CREDITS", "Other credits"))
FRAGMENTS = ("DESCRIPTION",) + tuple(name for name, _ in SECTIONS + CREDITS)

LICENSE_BADGES = {
    "AGPL-3": (
        "https://img.shields.io/badge/licence-AGPL--3-blue.png",
        "http://www.gnu.org/licenses/agpl-3.0-standalone.html",
        "License: AGPL-3",
    ),
    "LGPL-3": (
        "https://img.shields.io/badge/licence-LGPL--3-blue.png",
        "http://www.gnu.org/licenses/lgpl-3.0-standalone.html",
        "License: LGPL-3",
    ),
    "GPL-3": (
        "https://img.shields.io/badge/licence-GPL--3-blue.png",
        "http://www.gnu.org/licenses/gpl-3.0-standalone.html",
        "License: GPL-3",
    ),
}

# What OCA renders README files with (maintainer-tools, after pypa/readme_renderer):
# any docutils warning is an error, no file inclusion, no raw HTML.
RST_SETTINGS = {
    "file_insertion_enabled": False,
    "halt_level": 2,
    "raw_enabled": False,
    "report_level": 2,
    "warning_stream": False,
}

WEBSITE_RE = re.compile(r"""(["']website["']\s*:\s*)(["'])([^"']*)\2""")


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str
    check: str

    def __str__(self) -> str:
        return f"{_shown(self.path)}:{self.line}: {self.message} [{self.check}]"


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def project_website() -> str:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        urls = tomllib.load(fh).get("project", {}).get("urls", {})
    if not urls.get("Homepage"):
        raise SystemExit("pyproject.toml: [project.urls] has no Homepage: the addons' website")
    return urls["Homepage"]


def find_addons(addons_dir: Path) -> list[Path]:
    return sorted(p.parent for p in addons_dir.glob("*/__manifest__.py"))


def read_manifest(addon: Path) -> dict:
    return ast.literal_eval((addon / "__manifest__.py").read_text(encoding="utf-8"))


def _fragment(addon: Path, name: str) -> str | None:
    path = addon / "readme" / f"{name}.rst"
    if not path.is_file():
        return None
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    if not "".join(lines).strip():
        return None
    # A figure written relative to readme/ (to show on a forge) is relative to the
    # addon in README.rst.
    for index, line in enumerate(lines):
        match = re.match(r"\s*\.\. (figure|image)::\s+(\S+)\s*$", line)
        if match and not match.group(2).startswith(("http://", "https://", "/")):
            lines[index] = line.replace(match.group(2), match.group(2).replace("../", "", 1))
    text = "".join(lines)
    return text if text.endswith("\n") else text + "\n"


def _title(text: str, underline: str, overline: bool = False) -> list[str]:
    rule = underline * len(text)
    return ([rule] if overline else []) + [text, rule, ""]


def render_readme(addon: Path, manifest: dict, website: str) -> str:
    """README.rst of ``addon`` from its readme/ fragments and its manifest."""
    fragments = {name: _fragment(addon, name) for name in FRAGMENTS}
    present = [name for name in FRAGMENTS if fragments[name]]
    out = _title(manifest["name"], "=", overline=True)
    note = (
        f"This file is generated from the fragments in readme/ ({', '.join(present)}) "
        "and the manifest, as OCA's oca-gen-addon-readme does: edit those, then run "
        ".ci/lint --fix."
    )
    wrapped = textwrap.wrap(note, width=85, break_on_hyphens=False)
    out += [".. " + wrapped[0]] + ["   " + line for line in wrapped[1:]] + [""]
    badge = LICENSE_BADGES.get(manifest.get("license", ""))
    if badge:
        image, target, alt = badge
        out += ["|badge1|", "", f".. |badge1| image:: {image}"]
        out += [f"    :target: {target}", f"    :alt: {alt}", ""]
    text = "\n".join(out) + "\n" + fragments["DESCRIPTION"] + "\n"
    for name, title in SECTIONS:
        if fragments[name]:
            text += "\n".join(_title(title, "=")) + "\n" + fragments[name] + "\n"
    text += "\n".join(_title("Bug Tracker", "=")) + "\n"
    text += "Bugs are tracked on the project's issue tracker at\n"
    text += f"`{website} <{website}>`_.\n\n"
    text += "\n".join(_title("Credits", "=")) + "\n"
    authors = [a.strip() for a in manifest.get("author", "").split(",") if a.strip()]
    if authors:
        text += "\n".join(_title("Authors", "~")) + "\n"
        text += "".join(f"* {author}\n" for author in authors) + "\n"
    for name, title in CREDITS:
        if fragments[name]:
            text += "\n".join(_title(title, "~")) + "\n" + fragments[name] + "\n"
    return text.rstrip("\n") + "\n"


def rst_problems(readme: Path, text: str) -> list[Problem]:
    from docutils.core import publish_string
    from docutils.utils import SystemMessage

    try:
        publish_string(
            text, source_path=str(readme), writer_name="html4css1", settings_overrides=RST_SETTINGS
        )
    except SystemMessage as error:
        match = re.search(r":(\d+): \((\w+)/\d\) (.*)", str(error))
        line, message = (int(match.group(1)), match.group(3)) if match else (1, str(error))
        return [Problem(readme, line, f"not valid reStructuredText: {message}", "addon-readme")]
    return []


def check_addon(addon: Path, website: str, fix: bool) -> list[Problem]:
    problems: list[Problem] = []
    manifest_path = addon / "__manifest__.py"
    manifest = read_manifest(addon)
    readme = addon / "README.rst"

    unknown = sorted(
        p for p in (addon / "readme").glob("*") if p.is_file() and p.stem not in FRAGMENTS
    )
    problems += [
        Problem(p, 1, f"not a README fragment (one of {', '.join(FRAGMENTS)})", "addon-readme")
        for p in unknown
    ]
    if not _fragment(addon, "DESCRIPTION"):
        problems.append(
            Problem(addon / "readme", 1, "no readme/DESCRIPTION.rst to build README.rst from",
                    "addon-readme")
        )
    else:
        expected = render_readme(addon, manifest, website)
        current = readme.read_text(encoding="utf-8") if readme.is_file() else ""
        if current != expected and fix:
            readme.write_text(expected, encoding="utf-8")
            current = expected
        if current != expected:
            diff = difflib.unified_diff(
                current.splitlines(keepends=True),
                expected.splitlines(keepends=True),
                f"{_shown(readme)} (now)",
                f"{_shown(readme)} (from readme/ and the manifest)",
            )
            now, then = current.splitlines(), expected.splitlines()
            first = next((i for i in range(min(len(now), len(then))) if now[i] != then[i]),
                         min(len(now), len(then)))
            sys.stdout.writelines(diff)
            problems.append(
                Problem(readme, first + 1,
                        "not what readme/ and the manifest produce (.ci/lint --fix rewrites it)",
                        "addon-readme")
            )
        problems += rst_problems(readme, expected)

    source = manifest_path.read_text(encoding="utf-8")
    match = WEBSITE_RE.search(source)
    if not match:
        problems.append(
            Problem(manifest_path, 1, f'no "website" key: add "website": "{website}"',
                    "manifest-website")
        )
    elif match.group(3) != website:
        if fix:
            manifest_path.write_text(
                source[: match.start(3)] + website + source[match.end(3):], encoding="utf-8"
            )
        else:
            line = source.count("\n", 0, match.start()) + 1
            problems.append(
                Problem(manifest_path, line,
                        f'website is "{match.group(3)}", not the project\'s "{website}"',
                        "manifest-website")
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("addons_dir", type=Path)
    parser.add_argument("--fix", action="store_true", help="rewrite README.rst and the website")
    args = parser.parse_args(argv)
    addons = find_addons(args.addons_dir)
    if not addons:
        print(f"{args.addons_dir}: no addon (no */__manifest__.py)", file=sys.stderr)
        return 2
    website = project_website()
    problems = [p for addon in addons for p in check_addon(addon, website, args.fix)]
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
