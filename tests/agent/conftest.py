"""Fixtures of the agent's tests: databases (SQLite and PostgreSQL), settings, wired tasks.

``database_url`` runs a test once on a fresh SQLite file and once on a fresh PostgreSQL
database that the fixture creates and drops itself (PGHOST/PGPORT/PGUSER/PGPASSWORD). The
PostgreSQL run skips, naming the reason, when those variables are unset or the server does
not answer.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from plc_agent.config import Settings, load_settings
from plc_agent.odoo_gateway import OdooGateway
from plc_agent.plc.links import make_link
from plc_agent.queue.engine import make_engine, make_session_factory, read_only_session_factory
from plc_agent.queue.schema import init_db
from plc_agent.tasks import AgentTasks

LINE = "FM1"


def _pg_admin_params() -> dict[str, Any] | None:
    if not os.environ.get("PGHOST") or not os.environ.get("PGUSER"):
        return None
    return {
        "host": os.environ["PGHOST"],
        "port": int(os.environ.get("PGPORT", "5432")),
        "user": os.environ["PGUSER"],
        "password": os.environ.get("PGPASSWORD", ""),
    }


def _pg_url(params: dict[str, Any], database: str) -> str:
    from urllib.parse import quote

    return (f"postgresql://{quote(params['user'], safe='')}:{quote(params['password'], safe='')}"
            f"@{params['host']}:{params['port']}/{database}")


@pytest.fixture
def postgres_database_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    params = _pg_admin_params()
    if params is None:
        pytest.skip("PostgreSQL not configured: set PGHOST, PGUSER (and PGPASSWORD, PGPORT)")
    try:
        import psycopg2
    except ImportError:
        pytest.skip("PostgreSQL: psycopg2 is not installed")
    name = f"plc_agent_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg2.connect(dbname="postgres", connect_timeout=5, **params)
    except psycopg2.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {params['host']}:{params['port']} does not answer: "
                    f"{str(exc).strip().splitlines()[0]}")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(params, name)
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    return request.getfixturevalue("postgres_database_url")


@pytest.fixture
def engine(database_url: str) -> Iterator[Any]:
    eng = make_engine(database_url)
    init_db(eng)
    try:
        yield eng
    finally:
        eng.dispose()


def base_environ(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {
        "PLC_LINE_CODE": LINE,
        "ODOO_URL": "http://127.0.0.1:8069",
        "ODOO_DATABASE": "plc_test",
        "ODOO_USERNAME": "plc-agent",
        "ODOO_PASSWORD": "secret-key",
        "PLC_AGENT_DATA_DIR": str(tmp_path / "data"),
    }
    env.update(overrides)
    return env


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: str) -> Settings:
        return load_settings(base_environ(tmp_path, **overrides), None)

    return make


@pytest.fixture
def agent_settings(make_settings: Callable[..., Settings], database_url: str, odoo_standin: Any,
                   plc_simulator: Any) -> Settings:
    return make_settings(
        DATABASE_URL=database_url,
        ODOO_URL=odoo_standin.url,
        ODOO_DATABASE=odoo_standin.database,
        ODOO_USERNAME=odoo_standin.username,
        ODOO_PASSWORD=odoo_standin.password,
        PLC_HOST=plc_simulator.host,
        PLC_PORT=str(plc_simulator.port),
        PLC_TIMEOUT_SECONDS="1",
        ODOO_TIMEOUT_SECONDS="5",
        PLC_POLL_INTERVAL_SECONDS="0.1",
        PUSH_INTERVAL_SECONDS="0.5",
        HEALTH_INTERVAL_SECONDS="60",
    )


@pytest.fixture
def make_tasks(engine: Any, register_map: Any) -> Iterator[Callable[..., AgentTasks]]:
    made: list[AgentTasks] = []

    def make(settings: Settings, **kwargs: Any) -> AgentTasks:
        plc = make_link(settings, register_map, reconnect_backoff_max=1.0, reconnect_backoff_initial=0.1)
        odoo = OdooGateway(settings.odoo_url, settings.odoo_database, settings.odoo_username,
                           settings.odoo_password, timeout=settings.odoo_timeout_seconds)
        tasks = AgentTasks(settings, make_session_factory(engine), register_map, plc, odoo,
                           read_session_factory=read_only_session_factory(engine), **kwargs)
        made.append(tasks)
        return tasks

    yield make
    for tasks in made:
        tasks.plc.close()


@pytest.fixture
def tasks(agent_settings: Settings, make_tasks: Callable[..., AgentTasks]) -> AgentTasks:
    return make_tasks(agent_settings)


def with_settings(settings: Settings, **changes: Any) -> Settings:
    return replace(settings, **changes)
