"""The queue's engine and sessions: SQLite (WAL, busy timeout, ``BEGIN IMMEDIATE``) or PostgreSQL.

On SQLite every write transaction takes the write lock up front (SQLAlchemy's documented
pysqlite recipe), so a read-then-write transaction is never overtaken by another writer;
the read-only sessions of ``status`` and the health figures ask for a deferred ``BEGIN``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
# SQLite keeps up to 2 MB of pages per connection by default, and the history table fills it
# over a few hundred batches. The agent touches one set of batches and looks the history up
# by key: 256 KiB per connection serves that (the OS caches the file as well), and keeps the
# agent's memory flat as the history grows.
SQLITE_CACHE_KIB = 256


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Engine for ``url``: SQLite in WAL with a busy timeout and BEGIN IMMEDIATE, or PostgreSQL."""
    sa_url = make_url(url)
    if sa_url.get_backend_name() == "sqlite":
        database = sa_url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        engine = create_engine(sa_url, connect_args=connect_args, **kwargs)
        _install_sqlite_recipe(engine)
        return engine
    if sa_url.get_backend_name() == "postgresql":
        if sa_url.drivername == "postgresql":
            sa_url = sa_url.set(drivername="postgresql+psycopg2")
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(sa_url, **kwargs)
    raise ValueError(f"unsupported database URL scheme: {sa_url.drivername}")


def _install_sqlite_recipe(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling would defer BEGIN; take it over.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Every transaction takes the write lock up front: a read-then-write transaction
        # can then never be overtaken by another writer between its read and its write.
        # Read-only callers ask for a deferred BEGIN through an execution option.
        if conn.get_execution_options().get("sqlite_deferred"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def read_only_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that do not take SQLite's write lock (for status and health figures)."""
    return sessionmaker(engine.execution_options(sqlite_deferred=True), expire_on_commit=False)
