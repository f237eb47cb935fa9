"""Configuration (``plc_agent.config``): old names and defaults, .env files, every bad setting
named, the metrics endpoint's settings, no secret shown."""

from __future__ import annotations

import logging
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from plc_agent.config import ConfigError, Settings, load_settings, mask_url

from .conftest import base_environ


def test_defaults_keep_the_old_names_and_values(tmp_path: Path):
    s = load_settings(base_environ(tmp_path), None)
    assert isinstance(s, Settings)
    assert s.enable_auto_sync is True
    assert s.sync_interval_minutes == 60
    assert s.sync_batch_limit == 10
    assert s.plc_port == 502 and s.plc_unit_id == 1
    assert s.plc_poll_interval_seconds == 5.0
    assert s.database_url == f"sqlite:///{tmp_path / 'data' / 'plc_agent.sqlite3'}"
    assert s.status_file == tmp_path / "data" / "status.json"
    assert s.register_map_file is None
    assert s.log_level == "INFO"
    with pytest.raises(FrozenInstanceError):
        s.plc_port = 1


def test_env_file_and_environment_override(tmp_path: Path):
    env_file = tmp_path / "agent.env"
    env_file.write_text(
        "ENABLE_AUTO_SYNC=false\nSYNC_INTERVAL_MINUTES=15\nSYNC_BATCH_LIMIT=4\n"
        "ODOO_PASSWORD=from-file\nPLC_HOST=10.0.0.5\nDATABASE_URL=postgresql://u:pw@db/plc\n",
        encoding="utf-8",
    )
    environ = base_environ(tmp_path, SYNC_BATCH_LIMIT="7")
    del environ["ODOO_PASSWORD"]
    s = load_settings(environ, env_file)
    assert s.enable_auto_sync is False
    assert s.sync_interval_minutes == 15
    assert s.sync_batch_limit == 7  # the environment wins over the file
    assert s.odoo_password == "from-file"
    assert s.plc_host == "10.0.0.5"
    assert s.database_url == "postgresql://u:pw@db/plc"
    assert s.masked_database_url == "postgresql://u:***@db/plc"


def test_every_bad_setting_is_named_in_one_error(tmp_path: Path):
    environ = {
        "PLC_LINE_CODE": "FM 1!",
        "ODOO_URL": "ftp://odoo",
        "ODOO_DATABASE": "",
        "ENABLE_AUTO_SYNC": "maybe",
        "SYNC_INTERVAL_MINUTES": "0",
        "SYNC_BATCH_LIMIT": "ten",
        "BATCH_STUCK_THRESHOLD_MINUTES": "-5",
        "DATABASE_URL": "mysql://root:hunter2@db/plc",
        "PLC_PORT": "70000",
        "PLC_UNIT_ID": "300",
        "PLC_TIMEOUT_SECONDS": "0",
        "PLC_POLL_INTERVAL_SECONDS": "nan",
        "PUSH_INTERVAL_SECONDS": "-1",
        "HEALTH_INTERVAL_SECONDS": "x",
        "ENABLE_PUSH": "2",
        "ACTUAL_MAX_FACTOR": "0.5",
        "LOG_LEVEL": "LOUD",
        "REGISTER_MAP_FILE": str(tmp_path / "missing.toml"),
        "ODOO_TIMEOUT_SECONDS": "inf",
    }
    with pytest.raises(ConfigError) as info:
        load_settings(environ, tmp_path / "no-such.env")
    text = str(info.value)
    names = [
        "settings file", "PLC_LINE_CODE", "ODOO_URL", "ODOO_DATABASE", "ODOO_USERNAME", "ODOO_PASSWORD",
        "ENABLE_AUTO_SYNC", "SYNC_INTERVAL_MINUTES", "SYNC_BATCH_LIMIT",
        "BATCH_STUCK_THRESHOLD_MINUTES", "DATABASE_URL", "PLC_PORT", "PLC_UNIT_ID",
        "PLC_TIMEOUT_SECONDS", "PLC_POLL_INTERVAL_SECONDS", "PUSH_INTERVAL_SECONDS",
        "HEALTH_INTERVAL_SECONDS", "ENABLE_PUSH", "ACTUAL_MAX_FACTOR", "LOG_LEVEL",
        "REGISTER_MAP_FILE", "ODOO_TIMEOUT_SECONDS",
    ]
    for name in names:
        assert any(p.startswith(name) for p in info.value.problems), f"{name} not named:\n{text}"
    assert len(info.value.problems) == len(names)
    assert "hunter2" not in text
    assert "root:***@db" in text


def test_passwords_never_in_errors(tmp_path: Path):
    environ = base_environ(tmp_path, ODOO_URL="http://admin:s3cret@odoo:8069",
                           DATABASE_URL="postgres://plc:dbpass@db/plc")
    with pytest.raises(ConfigError) as info:
        load_settings(environ, None)
    text = str(info.value)
    assert "s3cret" not in text and "dbpass" not in text
    assert "ODOO_URL: must not carry credentials" in text
    assert "DATABASE_URL: write postgresql://" in text


def test_settings_repr_and_describe_hide_secrets(tmp_path: Path, caplog):
    s = load_settings(base_environ(tmp_path, ODOO_PASSWORD="topsecret",
                                   DATABASE_URL="postgresql://plc:dbpass@db/plc"), None)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("plc_agent.test").info("settings: %r %s", s, s.describe())
    assert "topsecret" not in caplog.text and "dbpass" not in caplog.text
    assert s.describe()["odoo_password"] == "***"


@pytest.mark.parametrize(
    "url, masked",
    [
        ("postgresql://plc:pw@db:5432/plc", "postgresql://plc:***@db:5432/plc"),
        ("postgresql://plc@db/plc", "postgresql://plc:***@db/plc"),
        ("sqlite:///data/q.sqlite3", "sqlite:///data/q.sqlite3"),
        ("http://odoo:8069", "http://odoo:8069"),
        ("https://u:p%40ss@odoo", "https://u:***@odoo"),
    ],
)
def test_mask_url(url: str, masked: str):
    assert mask_url(url) == masked


def test_odoo_password_from_a_file_docker_secrets(tmp_path: Path):
    secret = tmp_path / "odoo-api-key"
    secret.write_text("0123abcd\n", encoding="utf-8")
    environ = base_environ(tmp_path, ODOO_PASSWORD_FILE=str(secret))
    del environ["ODOO_PASSWORD"]
    s = load_settings(environ, None)
    assert s.odoo_password == "0123abcd"  # the file's line break is not part of the key
    assert "0123abcd" not in repr(s) and "0123abcd" not in str(s.describe())


@pytest.mark.parametrize(
    "content, keep_password, expected",
    [
        (None, False, "ODOO_PASSWORD_FILE: no such file"),
        ("", False, "is empty"),
        ("\n", False, "is empty"),
        ("key\nsecond line\n", False, "more than one line"),
        ("key\n", True, "ODOO_PASSWORD and ODOO_PASSWORD_FILE: both set"),
    ],
)
def test_odoo_password_file_problems_are_named(tmp_path: Path, content, keep_password, expected):
    secret = tmp_path / "odoo-api-key"
    if content is not None:
        secret.write_text(content, encoding="utf-8")
    environ = base_environ(tmp_path, ODOO_PASSWORD_FILE=str(secret))
    if not keep_password:
        del environ["ODOO_PASSWORD"]
    with pytest.raises(ConfigError) as info:
        load_settings(environ, None)
    assert any(expected in problem for problem in info.value.problems), info.value.problems
    assert "secret-key" not in str(info.value)


def test_odoo_password_file_unreadable(tmp_path: Path):
    environ = base_environ(tmp_path, ODOO_PASSWORD_FILE=str(tmp_path))  # a folder
    del environ["ODOO_PASSWORD"]
    with pytest.raises(ConfigError, match="ODOO_PASSWORD_FILE: cannot read"):
        load_settings(environ, None)


def test_postgresql_url_without_the_extra_is_a_configuration_error(tmp_path: Path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "psycopg2" else real(name, *a))
    with pytest.raises(ConfigError, match=r"needs the postgresql extra.*plc-agent\[postgresql\]"):
        load_settings(base_environ(tmp_path, DATABASE_URL="postgresql://u:pw@db/plc"), None)


def test_failures_weighing_and_retention_settings(tmp_path: Path):
    s = load_settings(base_environ(tmp_path), None)
    assert (s.enable_failures, s.enable_manual_weighing, s.plc_timezone) == (True, True, "UTC")
    assert (s.enable_retention, s.retention_days, s.retention_interval_minutes,
            s.retention_chunk_rows) == (True, 90, 60, 500)
    s = load_settings(base_environ(tmp_path, PLC_TIMEZONE="Europe/Paris", ENABLE_FAILURES="false",
                                   RETENTION_DAYS="30"), None)
    assert (s.plc_timezone, s.enable_failures, s.retention_days) == ("Europe/Paris", False, 30)
    with pytest.raises(ConfigError) as caught:
        load_settings(base_environ(tmp_path, PLC_TIMEZONE="Mars/Olympus", RETENTION_DAYS="0",
                                   RETENTION_CHUNK_ROWS="x"), None)
    message = str(caught.value)
    for name in ("PLC_TIMEZONE: an IANA time zone", "RETENTION_DAYS", "RETENTION_CHUNK_ROWS"):
        assert name in message


@pytest.mark.parametrize("environ, message", [
    ({"METRICS_PORT": "70000"}, "METRICS_PORT: expected a whole number from 1 to 65535, got '70000'"),
    ({"METRICS_PORT": "0"}, "METRICS_PORT: expected a whole number from 1 to 65535, got '0'"),
    ({"METRICS_PORT": "9100s"}, "METRICS_PORT: expected a whole number from 1 to 65535, got '9100s'"),
    ({"METRICS_PORT": "9100", "METRICS_BIND": "localhost"}, "METRICS_BIND: an IP address"),
    ({"METRICS_PORT": "9100", "METRICS_BIND": "10.0.0.300"}, "got '10.0.0.300'"),
])
def test_bad_metrics_settings_are_configuration_errors(make_settings, environ, message):
    with pytest.raises(ConfigError) as caught:
        make_settings(**environ)
    assert any(message in problem for problem in caught.value.problems), caught.value.problems


def test_metrics_settings_defaults_and_choices(make_settings):
    default = make_settings()
    assert default.metrics_port is None and default.metrics_bind == "127.0.0.1"
    chosen = make_settings(METRICS_PORT="9108", METRICS_BIND="::1")
    assert chosen.metrics_port == 9108 and chosen.metrics_bind == "::1"


def test_fins_settings_and_their_port(make_settings):
    s = make_settings(PLC_PROTOCOL="FINS", PLC_FINS_DEST_NODE="10", PLC_FINS_SOURCE_NODE="20")
    assert (s.plc_protocol, s.plc_port, s.plc_fins_transport) == ("fins", 9600, "udp")
    assert (s.plc_fins_dest_node, s.plc_fins_source_node, s.plc_fins_retries) == (10, 20, 2)
    assert make_settings().plc_port == 502  # Modbus keeps its port
    tcp = make_settings(PLC_PROTOCOL="fins", PLC_FINS_TRANSPORT="tcp")
    assert (tcp.plc_fins_dest_node, tcp.plc_fins_source_node) == (0, 0)  # the TCP handshake fills them in


def test_fins_settings_refused_with_clear_errors(make_settings):
    with pytest.raises(ConfigError) as err:
        make_settings(PLC_PROTOCOL="profinet")
    assert "PLC_PROTOCOL: one of modbus, fins, got 'profinet'" in str(err.value)
    with pytest.raises(ConfigError) as err:
        make_settings(PLC_PROTOCOL="fins", PLC_FINS_TRANSPORT="serial", PLC_FINS_DEST_NODE="255")
    text = str(err.value)
    assert "PLC_FINS_TRANSPORT: udp or tcp, got 'serial'" in text
    assert "PLC_FINS_DEST_NODE: expected a whole number from 0 to 254, got '255'" in text
    with pytest.raises(ConfigError) as err:
        make_settings(PLC_PROTOCOL="fins")
    assert "PLC_FINS_DEST_NODE: required for FINS/UDP: the PLC's FINS node number" in str(err.value)
    assert "PLC_FINS_SOURCE_NODE: required for FINS/UDP" in str(err.value)
    with pytest.raises(ConfigError) as err:
        make_settings(PLC_PROTOCOL="fins", PLC_FINS_DEST_NODE="10", PLC_FINS_SOURCE_NODE="10")
    assert "the agent's node must differ from the PLC's" in str(err.value)
