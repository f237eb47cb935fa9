"""The agent's settings: environment variables, optionally from a ``.env`` file.

The old middleware's names and defaults are kept (``ENABLE_AUTO_SYNC``,
``SYNC_INTERVAL_MINUTES`` = 60, ``SYNC_BATCH_LIMIT`` = 10, ``ODOO_*``, ``DATABASE_URL``,
``BATCH_STUCK_THRESHOLD_MINUTES``); the PLC and the new tasks add their own.

``HEALTH_INTERVAL_SECONDS`` defaults to 30 (it was 60): the health task's ping is how an
idle line learns that Odoo has MOs ready for it (``ready_mo_count`` in ``plc_ping``'s
answer), so this interval is the longest a new MO waits on an idle line. The ping keeps
the health task's interval rather than one of its own: one setting, one job, one RPC per
interval; at 30 s that is 2880 small pings a day per line, which Odoo keeps a week.

Every value is checked at start and all problems are reported in one
:class:`ConfigError`, so an operator fixes the file once instead of once per restart.
Passwords never appear in a message: URLs are shown through :func:`mask_url`.

One rule for relative paths, the same for every command: ``PLC_AGENT_DATA_DIR``,
``STATUS_FILE``, ``ODOO_PASSWORD_FILE``, ``REGISTER_MAP_FILE`` and a relative SQLite
``DATABASE_URL`` are taken relative to the agent's home folder, which is ``PLC_AGENT_HOME``
when set, else the folder of the settings file that was loaded, else the working
directory. So ``plc-agent status`` started anywhere with the same settings file finds the
queue, the status file and the heartbeat that ``plc-agent run`` writes.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .plc.register_map.loader import PACKAGED_MAPS, packaged_map_path

T = TypeVar("T")

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_LINE_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
# The setting (environment variable) behind each field of Settings, where not its upper-case name.
SETTING_NAMES = {"line_code": "PLC_LINE_CODE", "data_dir": "PLC_AGENT_DATA_DIR", "home": "PLC_AGENT_HOME",
                 "odoo_password": "ODOO_PASSWORD"}
# Where a setting's value came from, as `plc-agent check` shows it.
FROM_ENVIRONMENT = "environment"
FROM_DEFAULT = "default"


class ConfigError(Exception):
    """Invalid configuration. ``problems`` holds one line per bad setting."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid configuration ({len(self.problems)} problem(s)):\n{lines}")


def mask_url(url: str) -> str:
    """Return ``url`` with the password (if any) replaced by ``***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if parts.password is None and "@" not in parts.netloc:
        return url
    userinfo, _, hostinfo = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    netloc = f"{user}:***@{hostinfo}" if user else f"***@{hostinfo}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@dataclass(frozen=True)
class Settings:
    """All settings of one agent (one PLC line)."""

    line_code: str
    odoo_url: str
    odoo_database: str
    odoo_username: str
    odoo_password: str = field(repr=False)
    database_url: str = field(repr=False)
    data_dir: Path = Path("data")
    status_file: Path = Path("data/status.json")
    enable_auto_sync: bool = True
    sync_interval_minutes: int = 60
    sync_batch_limit: int = 10
    batch_stuck_threshold_minutes: int = 30
    odoo_timeout_seconds: float = 30.0
    plc_host: str = "127.0.0.1"
    plc_port: int = 502  # 9600 when plc_protocol is fins
    plc_unit_id: int = 1  # Modbus only
    plc_protocol: str = "modbus"  # modbus / fins
    plc_fins_transport: str = "udp"  # udp / tcp
    plc_fins_dest_network: int = 0  # the PLC's FINS address (0: the local network)
    plc_fins_dest_node: int = 0  # FINS/UDP: required; FINS/TCP: 0 = as the PLC says in the handshake
    plc_fins_dest_unit: int = 0  # 0: the CPU unit
    plc_fins_source_network: int = 0  # the agent's FINS address
    plc_fins_source_node: int = 0  # FINS/UDP: required; FINS/TCP: 0 = allocated by the PLC
    plc_fins_source_unit: int = 0
    plc_fins_retries: int = 2  # FINS/UDP: a request without answer is sent again this often
    plc_fins_udp_local_port: int = 0  # 0: any; 9600 for Ethernet units that answer only there
    plc_timeout_seconds: float = 3.0
    plc_reconnect_backoff_max_seconds: float = 30.0
    register_map_file: Path | None = None
    plc_poll_interval_seconds: float = 5.0
    push_interval_seconds: float = 30.0
    health_interval_seconds: float = 30.0  # also how soon an idle line fetches new MOs
    enable_plc_read: bool = True
    enable_push: bool = True
    enable_health: bool = True
    actual_max_factor: float = 1.5
    push_backoff_max_seconds: float = 900.0
    enable_failures: bool = True  # Task 5 (also needs a [failures] area in the register map)
    enable_manual_weighing: bool = True  # needs a [manual_weighing] area in the register map
    plc_timezone: str = "UTC"  # the zone of the PLC's clock (its failure timestamps)
    enable_retention: bool = True  # Task 6
    retention_days: int = 90
    retention_interval_minutes: int = 60
    retention_chunk_rows: int = 500
    log_level: str = "INFO"
    metrics_port: int | None = None  # None: no metrics endpoint
    metrics_bind: str = "127.0.0.1"
    # The folder relative paths are taken against (see the module's doc), absolute.
    home: Path = field(default_factory=Path.cwd)
    # The settings file that was read, if any, and where each setting came from:
    # "environment", the settings file's path, or "default" (for `plc-agent check`).
    env_file: Path | None = None
    odoo_password_file: Path | None = None
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def masked_database_url(self) -> str:
        return mask_url(self.database_url)

    def describe(self) -> dict[str, object]:
        """The settings as shown to a person: no secret in it."""
        out: dict[str, object] = {}
        for name in self.__dataclass_fields__:
            if name == "sources":
                continue
            value = getattr(self, name)
            if name == "odoo_password":
                value = "***" if value else ""
            elif name in ("database_url", "odoo_url"):
                value = mask_url(value)
            elif isinstance(value, Path):
                value = str(value)
            out[name] = value
        return out

    def in_force(self) -> list[tuple[str, str, str]]:
        """(setting, value shown, where it came from) for every setting, secrets masked.

        The password is never shown, only whether it is set and from where; the key file's
        path is shown, its content never.
        """
        rows = []
        for name, value in self.describe().items():
            if name == "odoo_password_file":  # shown in the password's row
                continue
            setting = SETTING_NAMES.get(name, name.upper())
            source = self.sources.get(setting, FROM_DEFAULT)
            if name == "odoo_password":
                key_file = self.sources.get("ODOO_PASSWORD_FILE")
                if key_file is not None:
                    setting, source = "ODOO_PASSWORD_FILE", key_file
                    value = f"{self.odoo_password_file} (content not shown)"
                elif not self.odoo_password:
                    value = "(not read: this command does not talk to Odoo)"
            elif name == "database_url" and "DATABASE_URL" not in self.sources:
                source = f"{FROM_DEFAULT} (in PLC_AGENT_DATA_DIR)"
            elif name == "status_file" and "STATUS_FILE" not in self.sources:
                source = f"{FROM_DEFAULT} (in PLC_AGENT_DATA_DIR)"
            elif name == "register_map_file" and value is None:
                value = "the shipped register map"
            elif name == "home" and "PLC_AGENT_HOME" not in self.sources:
                source = ("the settings file's folder" if self.env_file is not None
                          else "the working directory")
            elif name == "env_file":
                setting, source = "settings file", "--env-file, else PLC_AGENT_HOME/.env, else ./.env"
                value = value or "none (settings from the environment only)"
            rows.append((setting, "" if value is None else str(value), source))
        return rows


class _Reader:
    """Reads typed values from the merged environment and collects every problem."""

    def __init__(self, values: Mapping[str, str], home: Path = Path()):
        self.values = values
        self.home = home
        self.problems: list[str] = []

    def path(self, name: str) -> Path | None:
        """The setting as a path, a relative one taken against the home folder; None if unset."""
        value = self.raw(name)
        return None if value is None else resolve_path(value, self.home)

    def raw(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        value = value.strip()
        return value if value != "" else None

    def text(self, name: str, default: str | None = None, *, required: bool = False) -> str:
        value = self.raw(name)
        if value is None:
            if required:
                self.problems.append(f"{name}: required, not set")
            return default or ""
        return value

    def _parse(self, name: str, default: T, parse: Callable[[str], T], what: str) -> T:
        value = self.raw(name)
        if value is None:
            return default
        try:
            return parse(value)
        except (ValueError, TypeError):
            self.problems.append(f"{name}: {what}, got {value!r}")
            return default

    def boolean(self, name: str, default: bool) -> bool:
        def parse(v: str) -> bool:
            low = v.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError(v)

        return self._parse(name, default, parse, "expected true/false (1/0, yes/no, on/off)")

    def integer(self, name: str, default: int, low: int, high: int | None = None) -> int:
        bounds = f"from {low} to {high}" if high is not None else f">= {low}"

        def parse(v: str) -> int:
            n = int(v, 10)
            if n < low or (high is not None and n > high):
                raise ValueError(v)
            return n

        return self._parse(name, default, parse, f"expected a whole number {bounds}")

    def number(self, name: str, default: float, low: float, *, strict_low: bool = True) -> float:
        bounds = f"> {low:g}" if strict_low else f">= {low:g}"

        def parse(v: str) -> float:
            x = float(v)
            if not math.isfinite(x) or (x <= low if strict_low else x < low):
                raise ValueError(v)
            return x

        return self._parse(name, default, parse, f"expected a number {bounds}")


PLC_PROTOCOLS = ("modbus", "fins")
FINS_TRANSPORTS = ("udp", "tcp")


def _fins_settings(r: _Reader, protocol: str) -> dict[str, object]:
    """The FINS settings; their cross-checks only when the agent speaks FINS."""
    transport = r.text("PLC_FINS_TRANSPORT", "udp").lower()
    if transport not in FINS_TRANSPORTS:
        r.problems.append(f"PLC_FINS_TRANSPORT: udp or tcp, got {transport!r}")
        transport = "udp"
    values: dict[str, object] = {"plc_fins_transport": transport}
    for end in ("dest", "source"):
        values[f"plc_fins_{end}_network"] = r.integer(f"PLC_FINS_{end.upper()}_NETWORK", 0, 0, 127)
        values[f"plc_fins_{end}_node"] = r.integer(f"PLC_FINS_{end.upper()}_NODE", 0, 0, 254)
        values[f"plc_fins_{end}_unit"] = r.integer(f"PLC_FINS_{end.upper()}_UNIT", 0, 0, 255)
    values["plc_fins_retries"] = r.integer("PLC_FINS_RETRIES", 2, 0, 10)
    values["plc_fins_udp_local_port"] = r.integer("PLC_FINS_UDP_LOCAL_PORT", 0, 0, 65535)
    if protocol == "fins" and transport == "udp":
        for end, whose in (("dest", "the PLC's FINS node number (its Ethernet unit's node address)"),
                           ("source", "the agent's own FINS node number, unused by any other node")):
            if values[f"plc_fins_{end}_node"] == 0 and r.raw(f"PLC_FINS_{end.upper()}_NODE") is None:
                r.problems.append(f"PLC_FINS_{end.upper()}_NODE: required for FINS/UDP: {whose}, 1 to 254")
            elif values[f"plc_fins_{end}_node"] == 0:
                r.problems.append(f"PLC_FINS_{end.upper()}_NODE: 0 is allocated only over FINS/TCP; "
                                  f"FINS/UDP needs {whose}, 1 to 254")
        if (values["plc_fins_dest_network"], values["plc_fins_dest_node"]) == (
                values["plc_fins_source_network"], values["plc_fins_source_node"]) and values["plc_fins_dest_node"]:
            r.problems.append("PLC_FINS_SOURCE_NODE: the agent's node must differ from the PLC's "
                              "(PLC_FINS_DEST_NODE) on the same network")
    return values


def _check_odoo_url(reader: _Reader, url: str) -> None:
    if not url:
        return
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        reader.problems.append(f"ODOO_URL: not a valid URL: {mask_url(url)!r}")
        return
    if parts.scheme not in ("http", "https") or not parts.hostname:
        reader.problems.append(
            f"ODOO_URL: expected http://host[:port] or https://host[:port], got {mask_url(url)!r}"
        )
    elif parts.username is not None or parts.password is not None:
        reader.problems.append(
            f"ODOO_URL: must not carry credentials (use ODOO_USERNAME / ODOO_PASSWORD), "
            f"got {mask_url(url)!r}"
        )
    elif parts.path not in ("", "/") or parts.query:
        # odoorpc talks to the server root; a path would be silently dropped.
        reader.problems.append(
            f"ODOO_URL: must be the server root without a path, got {mask_url(url)!r}"
        )
    elif port is not None and not 1 <= port <= 65535:
        reader.problems.append(f"ODOO_URL: port out of range in {mask_url(url)!r}")


def _check_database_url(reader: _Reader, url: str) -> None:
    try:
        parts = urlsplit(url)
    except ValueError:
        reader.problems.append(f"DATABASE_URL: not a valid URL: {mask_url(url)!r}")
        return
    scheme = parts.scheme.split("+", 1)[0]
    if scheme == "postgres":
        reader.problems.append(
            f"DATABASE_URL: write postgresql:// instead of postgres:// ({mask_url(url)!r})"
        )
    elif scheme not in ("sqlite", "postgresql"):
        reader.problems.append(
            f"DATABASE_URL: only sqlite:/// and postgresql:// are supported, got {mask_url(url)!r}"
        )
    elif scheme == "postgresql" and importlib.util.find_spec("psycopg2") is None:
        # A configuration problem (exit 2, not retried by the unit), not a crash every 10 s.
        reader.problems.append(
            "DATABASE_URL: postgresql:// needs the postgresql extra, which is not installed: "
            "pip install 'plc-agent[postgresql]' (or '.[postgresql]' from a checkout)"
        )


def resolve_path(value: str | Path, home: Path) -> Path:
    """``value`` as an absolute path: ``~`` expanded, a relative path taken against ``home``."""
    # abspath, not resolve(): ".." folded away, symbolic links kept as the operator named them.
    return Path(os.path.abspath(home / Path(value).expanduser()))


def resolve_database_url(url: str, home: Path) -> str:
    """A SQLite URL with a relative file made absolute against ``home``; others unchanged."""
    try:
        parts = make_url(url)
    except ArgumentError:
        return url  # _check_database_url names the problem
    database = parts.database
    if parts.get_backend_name() != "sqlite" or not database or database == ":memory:" \
            or database.startswith("file:"):
        return url
    return parts.set(database=str(resolve_path(database, home))).render_as_string(hide_password=False)


def find_home(values: Mapping[str, str], env_file: Path | None) -> Path:
    """The agent's home folder: PLC_AGENT_HOME, else the settings file's folder, else the cwd."""
    named = (values.get("PLC_AGENT_HOME") or "").strip()
    if named:
        return Path(os.path.abspath(Path(named).expanduser()))
    if env_file is not None:
        return Path(os.path.abspath(Path(env_file).expanduser())).parent
    return Path.cwd()


def _odoo_password(reader: _Reader, values: Mapping[str, str]) -> str:
    """ODOO_PASSWORD, or the content of the file ODOO_PASSWORD_FILE names (Docker secrets)."""
    # The password is read without stripping: a key may legitimately end with a space.
    password = values.get("ODOO_PASSWORD") or ""
    file_name = reader.raw("ODOO_PASSWORD_FILE")
    if file_name is None:
        if not password:
            reader.problems.append(
                "ODOO_PASSWORD: required, not set (a password or an Odoo API key; "
                "or name a file holding it in ODOO_PASSWORD_FILE)"
            )
        return password
    if password:
        reader.problems.append(
            "ODOO_PASSWORD and ODOO_PASSWORD_FILE: both set; set only one of them"
        )
        return password
    path = resolve_path(file_name, reader.home)
    try:
        content = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        reader.problems.append(f"ODOO_PASSWORD_FILE: no such file: {path}")
        return ""
    except (OSError, UnicodeDecodeError) as exc:
        reader.problems.append(f"ODOO_PASSWORD_FILE: cannot read {path}: {exc}")
        return ""
    # A secret file usually ends with one line break, which is not part of the password.
    password = content[:-1] if content.endswith("\n") else content
    password = password[:-1] if password.endswith("\r") else password
    if not password:
        reader.problems.append(f"ODOO_PASSWORD_FILE: {path} is empty")
    elif "\n" in password:
        reader.problems.append(f"ODOO_PASSWORD_FILE: {path} holds more than one line")
    return password


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = None, *, need_odoo: bool = True
) -> Settings:
    """Build :class:`Settings` from ``environ`` (default ``os.environ``) over ``env_file``.

    Variables in ``environ`` win over the file, as with the old middleware's ``.env``.
    With ``need_odoo`` False (commands that never talk to Odoo: ``status``, ``health``) the
    ``ODOO_*`` settings may be missing and the password file is not read.
    Raises :class:`ConfigError` naming every bad setting.
    """
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    problems: list[str] = []
    if env_file is not None:
        env_path = Path(os.path.abspath(Path(env_file).expanduser()))
        if not env_path.is_file():
            problems.append(f"settings file {env_path}: not found (check --env-file or PLC_AGENT_HOME)")
        else:
            from_file = {k: v for k, v in dotenv_values(env_path).items() if v is not None}
            values.update(from_file)
            sources.update(dict.fromkeys(from_file, str(env_path)))
        env_file = env_path
    from_environment = os.environ if environ is None else environ
    values.update(from_environment)
    sources.update(dict.fromkeys(from_environment, FROM_ENVIRONMENT))
    home = find_home(values, env_file)

    r = _Reader(values, home)
    r.problems.extend(problems)

    line_code = r.text("PLC_LINE_CODE", required=True)
    if line_code and not _LINE_CODE.match(line_code):
        r.problems.append(
            f"PLC_LINE_CODE: 1 to 32 letters, digits, '.', '_' or '-', got {line_code!r}"
        )
    odoo_url = r.text("ODOO_URL", required=need_odoo)
    _check_odoo_url(r, odoo_url)
    odoo_database = r.text("ODOO_DATABASE", required=need_odoo)
    odoo_username = r.text("ODOO_USERNAME", required=need_odoo)
    odoo_password = _odoo_password(r, values) if need_odoo else ""

    data_dir = resolve_path(r.text("PLC_AGENT_DATA_DIR", "data"), home)
    database_url = resolve_database_url(
        r.text("DATABASE_URL") or f"sqlite:///{data_dir / 'plc_agent.sqlite3'}", home)
    _check_database_url(r, database_url)
    status_file = r.path("STATUS_FILE") or data_dir / "status.json"

    # A packaged map by its name ("old-program" for a PLC that runs the old program), or a file.
    map_name = r.raw("REGISTER_MAP_FILE")
    if map_name in PACKAGED_MAPS:
        register_map_file: Path | None = packaged_map_path(map_name)
    else:
        register_map_file = r.path("REGISTER_MAP_FILE")
    if register_map_file is not None and not register_map_file.is_file():
        r.problems.append(f"REGISTER_MAP_FILE: no such file: {register_map_file} (or one of the "
                          f"packaged maps: {', '.join(PACKAGED_MAPS)})")

    log_level = r.text("LOG_LEVEL", "INFO").upper()
    if log_level not in LOG_LEVELS:
        r.problems.append(f"LOG_LEVEL: one of {', '.join(LOG_LEVELS)}, got {log_level!r}")
        log_level = "INFO"

    plc_timezone = r.text("PLC_TIMEZONE", "UTC")
    try:
        ZoneInfo(plc_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        r.problems.append(f"PLC_TIMEZONE: an IANA time zone such as Europe/Paris or UTC, "
                          f"got {plc_timezone!r}")

    plc_host = r.text("PLC_HOST", "127.0.0.1")
    if any(ch.isspace() for ch in plc_host):
        r.problems.append(f"PLC_HOST: a host name or address, got {plc_host!r}")

    plc_protocol = r.text("PLC_PROTOCOL", "modbus").lower()
    if plc_protocol not in PLC_PROTOCOLS:
        r.problems.append(f"PLC_PROTOCOL: one of {', '.join(PLC_PROTOCOLS)}, got {plc_protocol!r}")
        plc_protocol = "modbus"
    fins = _fins_settings(r, plc_protocol)

    metrics_port = r.integer("METRICS_PORT", 0, 1, 65535) if r.raw("METRICS_PORT") is not None else None
    metrics_bind = r.text("METRICS_BIND", "127.0.0.1")
    try:
        # An address, not a name: the endpoint must open exactly where the operator said.
        metrics_bind = str(ipaddress.ip_address(metrics_bind))
    except ValueError:
        r.problems.append(
            f"METRICS_BIND: an IP address to serve metrics on, such as 127.0.0.1 or 0.0.0.0, got {metrics_bind!r}"
        )
        metrics_bind = "127.0.0.1"

    settings = Settings(
        line_code=line_code,
        odoo_url=odoo_url,
        odoo_database=odoo_database,
        odoo_username=odoo_username,
        odoo_password=odoo_password,
        database_url=database_url,
        data_dir=data_dir,
        status_file=status_file,
        enable_auto_sync=r.boolean("ENABLE_AUTO_SYNC", True),
        sync_interval_minutes=r.integer("SYNC_INTERVAL_MINUTES", 60, 1, 24 * 60),
        sync_batch_limit=r.integer("SYNC_BATCH_LIMIT", 10, 1, 100),
        batch_stuck_threshold_minutes=r.integer("BATCH_STUCK_THRESHOLD_MINUTES", 30, 1),
        odoo_timeout_seconds=r.number("ODOO_TIMEOUT_SECONDS", 30.0, 0),
        plc_host=plc_host,
        plc_port=r.integer("PLC_PORT", 9600 if plc_protocol == "fins" else 502, 1, 65535),
        plc_unit_id=r.integer("PLC_UNIT_ID", 1, 0, 255),
        plc_timeout_seconds=r.number("PLC_TIMEOUT_SECONDS", 3.0, 0),
        plc_protocol=plc_protocol,
        **fins,
        plc_reconnect_backoff_max_seconds=r.number("PLC_RECONNECT_BACKOFF_MAX_SECONDS", 30.0, 0),
        register_map_file=register_map_file,
        plc_poll_interval_seconds=r.number("PLC_POLL_INTERVAL_SECONDS", 5.0, 0),
        push_interval_seconds=r.number("PUSH_INTERVAL_SECONDS", 30.0, 0),
        health_interval_seconds=r.number("HEALTH_INTERVAL_SECONDS", 30.0, 0),
        enable_plc_read=r.boolean("ENABLE_PLC_READ", True),
        enable_push=r.boolean("ENABLE_PUSH", True),
        enable_health=r.boolean("ENABLE_HEALTH", True),
        actual_max_factor=r.number("ACTUAL_MAX_FACTOR", 1.5, 1.0, strict_low=False),
        push_backoff_max_seconds=r.number("PUSH_BACKOFF_MAX_SECONDS", 900.0, 0),
        enable_failures=r.boolean("ENABLE_FAILURES", True),
        enable_manual_weighing=r.boolean("ENABLE_MANUAL_WEIGHING", True),
        plc_timezone=plc_timezone,
        enable_retention=r.boolean("ENABLE_RETENTION", True),
        retention_days=r.integer("RETENTION_DAYS", 90, 1),
        retention_interval_minutes=r.integer("RETENTION_INTERVAL_MINUTES", 60, 1, 7 * 24 * 60),
        retention_chunk_rows=r.integer("RETENTION_CHUNK_ROWS", 500, 1, 100_000),
        log_level=log_level,
        metrics_port=metrics_port,
        metrics_bind=metrics_bind,
        home=home,
        env_file=env_file,
        odoo_password_file=r.path("ODOO_PASSWORD_FILE"),
        sources=sources,
    )
    if r.problems:
        raise ConfigError(r.problems)
    return settings
