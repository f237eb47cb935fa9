"""The queue's engine (``plc_agent.queue.engine``) on SQLite: every connection in WAL with a busy
timeout, foreign keys on and a small page cache; write transactions take the lock at BEGIN,
read-only sessions do not."""

from __future__ import annotations

from sqlalchemy import text

from plc_agent.queue.engine import (
    SQLITE_BUSY_TIMEOUT_MS,
    SQLITE_CACHE_KIB,
    make_engine,
    make_session_factory,
    read_only_session_factory,
)


def test_every_sqlite_connection_gets_the_queues_pragmas(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.sqlite3'}")
    try:
        for _ in range(2):  # a new connection each time, each set up alike
            with engine.connect() as connection:
                pragma = {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                          for name in ("journal_mode", "busy_timeout", "foreign_keys", "cache_size")}
                assert pragma == {"journal_mode": "wal", "busy_timeout": SQLITE_BUSY_TIMEOUT_MS,
                                  "foreign_keys": 1, "cache_size": -SQLITE_CACHE_KIB}
            engine.pool.dispose()
    finally:
        engine.dispose()


def test_a_read_only_session_leaves_the_write_lock_to_writers(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.sqlite3'}")
    try:
        with read_only_session_factory(engine)() as reader:
            reader.execute(text("SELECT 1"))  # a deferred BEGIN: no lock taken yet
            with make_session_factory(engine).begin() as writer:
                writer.execute(text("CREATE TABLE t (x INTEGER)"))  # BEGIN IMMEDIATE succeeds
    finally:
        engine.dispose()
