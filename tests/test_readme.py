"""README.md and .env.example, read against the code they describe.

A newcomer copies README's commands and `.env.example`'s lines as they are: every setting
they name must be one the agent reads (and every setting it reads must be documented),
every ``plc-agent`` and ``python -m bench`` command line must parse with the real parsers,
and every message the troubleshooting table quotes must be one the software writes.
What README's path without Docker does when run is tested in tests/e2e/test_readme_path.py.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from dotenv import dotenv_values

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.__main__ import BENCHMARKS, ON_REQUEST  # noqa: E402
from bench.__main__ import build_parser as build_bench_parser  # noqa: E402
from plc_agent.cli import build_parser as build_agent_parser  # noqa: E402
from plc_agent.config import Settings, load_settings  # noqa: E402

README = REPO_ROOT / "README.md"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
CONFIG_SOURCE = REPO_ROOT / "plc_agent" / "config.py"
# Where the messages a user reads come from: the agent, the addons, and the test run's own
# banner (README's last troubleshooting row).
MESSAGE_SOURCES = (REPO_ROOT / "plc_agent", REPO_ROOT / "odoo_addon", REPO_ROOT / "tests" / "conftest.py")
PLACEHOLDER = "\0"  # a varying part of a message in the code: a format field or an f-string value
ELLIPSIS = "…"  # README's varying part of a quoted message
# Settings whose name is not their Settings field's name.
FIELD_OF = {"ODOO_PASSWORD_FILE": "odoo_password", "PLC_AGENT_DATA_DIR": "data_dir"}
REQUIRED = {"PLC_LINE_CODE": "FM1", "ODOO_URL": "http://127.0.0.1:8069", "ODOO_DATABASE": "plc",
            "ODOO_USERNAME": "plc-agent-fm1", "ODOO_PASSWORD": "secret"}


# --------------------------------------------------------------------------- README's parts


def readme() -> str:
    return README.read_text(encoding="utf-8")


def section(heading: str) -> str:
    """The text of README's ``## heading`` section, up to the next ``## `` heading."""
    text = readme()
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"README has no section '## {heading}'"
    return match.group(1)


def table_rows(text: str) -> list[list[str]]:
    """The cells of the body rows of every markdown table in ``text`` (each table's header
    and rule left out); an escaped ``\\|`` stays in its cell, as ``|``."""
    rows: list[list[str]] = []
    table: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            table.append(line.strip())
            continue
        if len(table) > 2 and re.fullmatch(r"\|[-|:\s]+\|", table[1]):
            for row in table[2:]:
                rows.append([c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", row)[1:-1]])
        table = []
    return rows


def code_spans(text: str) -> list[str]:
    return re.findall(r"`([^`\n]+)`", text)


def shell_lines(text: str) -> Iterator[str]:
    """Each line of the ```sh blocks of ``text``."""
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        yield from (line.strip() for line in block.splitlines() if line.strip())


# --------------------------------------------------------------------------- the settings


def settings_in_config() -> set[str]:
    """The names plc_agent/config.py reads: every name its reader is asked for while
    settings load (names built at run time included), and the first arguments, written
    out, of its calls such as ``values.get("ODOO_PASSWORD")`` that bypass the reader."""
    from plc_agent import config

    names: set[str] = set()
    raw = config._Reader.raw

    def asked(reader: object, name: str) -> str | None:
        names.add(name)
        return raw(reader, name)

    with mock.patch.object(config._Reader, "raw", asked):
        config.load_settings(environ=REQUIRED)
    tree = ast.parse(CONFIG_SOURCE.read_text(encoding="utf-8"))
    for function in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
        for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
            if (isinstance(call.func, ast.Attribute) and call.args
                    and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)
                    and re.fullmatch(r"[A-Z][A-Z0-9_]+", call.args[0].value)):
                names.add(call.args[0].value)
    return names


def settings_in_readme() -> dict[str, str]:
    """README's settings table: name -> its default column."""
    rows = table_rows(section("Configuration"))
    out = {}
    for cells in rows:
        names = re.fullmatch(r"`([A-Z][A-Z0-9_]+)`", cells[0])
        assert names, f"a row of the settings table does not start with one setting: {cells}"
        out[names.group(1)] = cells[1]
    return out


def settings_in_env_example() -> dict[str, str | None]:
    """Every setting .env.example names, set (its value) or shown commented out (None)."""
    names: dict[str, str | None] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^(#\s*)?([A-Z][A-Z0-9_]+)=(.*)$", line)
        if match:
            names[match.group(2)] = None if match.group(1) else match.group(3)
    return names


def test_the_config_reads_the_settings_this_test_looks_for():
    names = settings_in_config()
    # The reader of this test itself: a change in config.py's form must not empty the set.
    assert {"PLC_LINE_CODE", "ODOO_PASSWORD", "ODOO_PASSWORD_FILE", "REGISTER_MAP_FILE",
            "ACTUAL_MAX_FACTOR", "METRICS_PORT"} <= names
    assert len(names) >= 35


def test_readme_documents_exactly_the_settings_the_agent_reads():
    documented, read = set(settings_in_readme()), settings_in_config()
    assert not documented - read, f"README documents settings the agent does not read: {sorted(documented - read)}"
    assert not read - documented, f"settings the agent reads that README does not document: {sorted(read - documented)}"


def test_env_example_names_exactly_the_settings_the_agent_reads():
    named, read = set(settings_in_env_example()), settings_in_config()
    assert not named - read, f".env.example names settings the agent does not read: {sorted(named - read)}"
    assert not read - named, f"settings the agent reads that .env.example leaves out: {sorted(read - named)}"


def _as_shown(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def test_readme_defaults_are_the_agents_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    defaults = load_settings(environ=REQUIRED).describe()
    checked = []
    for name, default in settings_in_readme().items():
        shown = re.fullmatch(r"`([^`]+)`", default)
        if not shown or "<" in shown.group(1):  # "(required)", "the shipped map", "<data dir>/..."
            continue
        field = FIELD_OF.get(name, name.lower())
        in_code = _as_shown(defaults[field]) if field in defaults else None
        assert field in Settings.__dataclass_fields__, f"{name}: no setting field {field!r}"
        assert shown.group(1) == in_code, (
            f"README says {name} defaults to {shown.group(1)}, the agent uses {defaults[field]!r}")
        checked.append(name)
    assert len(checked) >= 25, checked


def test_env_example_is_a_valid_configuration_with_the_documented_values(tmp_path, monkeypatch):
    """A copied .env.example starts (only the password is the reader's to set), and each
    value it sets is README's default unless it is an example of the reader's own."""
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={}, env_file=ENV_EXAMPLE)
    assert settings.line_code == "FM1"
    example = {k: v for k, v in dotenv_values(ENV_EXAMPLE).items() if v is not None}
    documented = settings_in_readme()
    own = {"PLC_LINE_CODE", "ODOO_URL", "ODOO_DATABASE", "ODOO_USERNAME", "ODOO_PASSWORD", "PLC_HOST"}
    for name, value in example.items():
        if name in own:
            continue
        assert documented[name] == f"`{value}`", (
            f".env.example sets {name}={value}, README's default is {documented[name]}")


def test_env_example_and_readme_say_what_a_batch_over_actual_max_factor_becomes():
    """plc_agent/plc/suspect.py: such a batch is stored, acknowledged and reported to Odoo
    marked suspect; it is never held back."""
    example = ENV_EXAMPLE.read_text(encoding="utf-8")
    comment = example[:example.index("ACTUAL_MAX_FACTOR=")].rsplit("\n\n", 1)[-1]
    row = next(cells for cells in table_rows(section("Configuration")) if cells[0] == "`ACTUAL_MAX_FACTOR`")
    for text in (comment, row[2]):
        assert "suspect" in text and "reported to Odoo" in text, text
        assert "never pushed" not in text and "held" not in text, text


# --------------------------------------------------------------------------- the commands


def command_words(line: str) -> list[str] | None:
    """The words after the program of a ``plc-agent`` command line (environment assignments
    before it and shell redirections, ``&`` and comments after it left out); None when the
    line does not run plc-agent."""
    try:
        words = shlex.split(line, comments=True)
    except ValueError:
        return None
    while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
        words.pop(0)
    if not words or not (words[0] == "plc-agent" or words[0].endswith("/plc-agent")):
        return None
    rest = []
    for word in words[1:]:
        if word in ("&", "&&", "|", ";") or word.startswith(("<", ">")):
            break
        rest.append(word)
    return rest


def readme_agent_commands() -> list[tuple[str, list[str]]]:
    """Every plc-agent command README shows, in its code spans and shell blocks; an
    alternative written ``a|b`` gives one command per choice."""
    found = []
    for line in [*code_spans(readme()), *shell_lines(readme())]:
        if ELLIPSIS in line:  # a command with a varying part, e.g. in a quoted message
            continue
        words = command_words(line.replace("\\|", "|"))
        if words is None:
            continue
        variants = [[]]
        for word in words:
            choices = word.split("|") if re.fullmatch(r"[a-z-]+(\|[a-z-]+)+", word) else [word]
            variants = [v + [c] for v in variants for c in choices]
        found.extend((line, v) for v in variants)
    return found


def parse(parser: argparse.ArgumentParser, words: list[str]) -> str | None:
    """None when ``parser`` takes ``words``; else what it said."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            parser.parse_args(words)
        except SystemExit as exc:
            if exc.code not in (0, None):
                return err.getvalue().strip() or f"exit {exc.code}"
    return None


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_plc_agent_command_readme_shows_parses():
    commands = readme_agent_commands()
    shown = {words[0] for _line, words in commands if words}
    assert {"run", "status", "health", "check", "once", "init-db", "simulate-plc"} <= shown
    problems = [f"{line!r}: {said}" for line, words in commands
                if (said := parse(build_agent_parser(), words))]
    assert not problems, "\n".join(problems)


def commands_table() -> dict[str, str]:
    """README's table of commands: the command's words -> what it does."""
    rows = table_rows(section("Operating it"))
    out = {}
    for cells in rows:
        match = re.fullmatch(r"`plc-agent ([^`]+)`", cells[0])
        if match:
            out[match.group(1)] = cells[1]
    return out


def test_the_commands_table_lists_every_subcommand_and_once_task():
    table = commands_table()
    listed = {words.split()[0] for words in table}
    parsers = subcommands(build_agent_parser())
    assert listed == set(parsers), f"table {sorted(listed)} against the parser {sorted(parsers)}"
    once_row = next(words for words in table if words.startswith("once "))
    once_tasks = set(once_row.split()[1].split("|"))
    task = next(a for a in parsers["once"]._actions if a.dest == "task")
    assert once_tasks == set(task.choices)


def test_options_the_commands_table_names_are_the_commands_options():
    parsers = subcommands(build_agent_parser())
    checked = 0
    for words, meaning in commands_table().items():
        command = parsers[words.split()[0]]
        for span in code_spans(meaning):
            if span.startswith("--"):
                option, *values = shlex.split(span)
                known = {o for action in command._actions for o in action.option_strings}
                assert option in known, f"plc-agent {words.split()[0]} has no option {option}"
                if values:
                    said = parse(command, [option, *values])
                    assert said is None, f"plc-agent {words.split()[0]} {span}: {said}"
                checked += 1
    assert checked >= 5


def test_every_bench_command_readme_shows_parses_and_every_benchmark_is_named():
    lines = [line for line in shell_lines(readme()) if re.search(r"-m bench\b", line)]
    assert lines
    for line in lines:
        command, _, comment = line.partition("#")
        words = shlex.split(command)
        said = parse(build_bench_parser(), words[words.index("bench") + 1:])
        assert said is None, f"{line!r}: {said}"
        named = set(re.findall(r"[a-z]+", comment.split(":", 1)[-1])) - {"on", "request", "or"}
        said = parse(build_bench_parser(), sorted(named))
        assert said is None, f"README names benchmarks that do not exist: {said}"
        assert set(BENCHMARKS + ON_REQUEST) <= named, (
            f"benchmarks README does not name: {sorted(set(BENCHMARKS + ON_REQUEST) - named)}")


def test_odoo_and_the_agent_are_called_by_their_full_paths():
    """No command README shows assumes odoo-bin or plc-agent on the PATH."""
    lines = [*shell_lines(readme()), *code_spans(readme())]
    for line in lines:
        for match in re.finditer(r"(\S*)odoo-bin\"? -", line):
            assert match.group(1) == '"$ODOO14_HOME/', f"odoo-bin without its source tree: {line!r}"
            assert '"$ODOO14_PYTHON" "$ODOO14_HOME/odoo-bin"' in line, f"odoo-bin without its Python: {line!r}"
    for line in shell_lines(readme()):
        words = command_words(line)
        if words is not None:
            program = next(w for w in shlex.split(line, comments=True) if w.endswith("plc-agent"))
            assert program != "plc-agent", f"plc-agent without its virtual environment: {line!r}"


def test_no_key_file_is_written_inside_the_checkout():
    for line in [*shell_lines(readme()), *code_spans(readme())]:
        for match in re.finditer(r"(PLC_AGENT_KEY_FILE|ODOO_PASSWORD_FILE)=(\S+)", line):
            assert match.group(2).startswith(('"$HOME/', "/")), f"a key file in the checkout: {line!r}"
    ignored = (REPO_ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "*api-key*" in ignored


# --------------------------------------------------------------------------- the messages


def _rendered(node: ast.AST) -> str | None:
    """A string of the code as the reader sees it, each varying part as PLACEHOLDER."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.sub(r"%(\([a-z_]+\))?[-+ #0]*\d*(\.\d+)?[sdfgr]", PLACEHOLDER, node.value)
    if isinstance(node, ast.JoinedStr):
        return "".join(_rendered(part) or PLACEHOLDER if isinstance(part, ast.Constant) else PLACEHOLDER
                       for part in node.values)
    return None


def messages_in_code() -> list[str]:
    texts = []
    for source in MESSAGE_SOURCES:
        for path in ([source] if source.is_file() else sorted(source.rglob("*.py"))):
            if "tests" in path.relative_to(REPO_ROOT).parts[1:]:
                continue  # an addon's tests quote messages; they do not write them
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                text = _rendered(node)
                if text and " " in text:
                    texts.append(text)
    return texts


def quoted_messages() -> list[str]:
    """The messages README's troubleshooting table quotes: in its first column every code
    span but a command (``plc-agent ...``), in its second the spans with a varying part
    (the others there are settings, codes, commands)."""
    quotes = []
    for cells in table_rows(section("Troubleshooting")):
        quotes.extend(span for span in code_spans(cells[0]) if not span.startswith("plc-agent"))
        quotes.extend(span for span in code_spans(cells[1]) if ELLIPSIS in span)
    return quotes


def as_pattern(quote: str) -> re.Pattern[str]:
    return re.compile(".*?".join(re.escape(part) for part in quote.split(ELLIPSIS)), re.S)


def test_the_troubleshooting_table_quotes_messages_the_software_writes():
    quotes = quoted_messages()
    assert len(quotes) >= 10, quotes
    texts = messages_in_code()
    missing = [q for q in quotes if not any(as_pattern(q).search(text) for text in texts)]
    assert not missing, f"quoted in README's troubleshooting table, written nowhere: {missing}"


def test_the_line_code_typo_row_quotes_the_refusal_that_names_the_bound_lines():
    """The refusal for a line the agent's user is not bound to (the addon's Door.refuse_line;
    written on a real Odoo 14 by the addon's test_door.py) is the one README's typo row quotes."""
    row = next(cells for cells in table_rows(section("Troubleshooting")) if "FM11" in cells[1])
    quote = next(q for q in code_spans(row[0]) if "may not act for PLC line" in q)
    message = ("User plc-agent-fm1 may not act for PLC line 'FM11': this agent user is bound to FM1. "
               "Check the agent's PLC_LINE_CODE, or bind the user on the line's Agent Users page.")
    assert as_pattern(quote).search(message)
    assert "PLC_LINE_CODE" in row[1]


@pytest.mark.parametrize("quote, text, found", [
    ("Unknown or archived PLC line …", "Unknown or archived PLC line \0.", True),
    ("cannot connect (… s)", "\0: cannot connect (refused within \0 s)", True),
    ("holds the database: …", "another plc-agent holds this database: \0", False),
])
def test_a_quote_matches_a_message_only_word_for_word(quote, text, found):
    assert bool(as_pattern(quote).search(text)) is found


def test_the_agents_quoted_messages_are_what_it_writes(tmp_path):
    """Three rows produced for real, not only found in the code: a bad configuration, a
    second agent on the same queue, a PLC that refuses the connection."""
    from plc_agent.config import ConfigError
    from plc_agent.plc.link import PlcError, PlcLink
    from plc_agent.plc.register_map import load_register_map
    from plc_agent.queue.instance_lock import InstanceLocked
    from support.odoo14 import free_port

    quotes = quoted_messages()

    def quote_of(start: str) -> re.Pattern[str]:
        return as_pattern(next(q for q in quotes if q.startswith(start)))

    with pytest.raises(ConfigError) as bad:
        load_settings(environ={})
    assert quote_of("invalid configuration").search(str(bad.value))
    assert quote_of("another plc-agent").search(str(InstanceLocked("pid 4242 on host plc-pc")))
    with PlcLink("127.0.0.1", free_port(), 1, load_register_map(), timeout=0.5) as link:
        with pytest.raises(PlcError) as refused:
            link.read_write_handshake()
    assert quote_of("cannot connect").search(str(refused.value))
