"""The instance lock is re-checked while the agent runs: a lock that went with its
connection (PostgreSQL) or its file (SQLite) stops the agent before a second one can drive
the same line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest
from sqlalchemy import text

from plc_agent.queue.engine import make_engine
from plc_agent.queue.instance_lock import INSTANCE_LOCK_KEY, InstanceLock, InstanceLocked, InstanceLockLost
from plc_agent.queue.schema import init_db

from ..helpers import agent_env, wait_until


def _lock_holders(engine) -> list[int]:
    """Backend pids holding the instance lock, as PostgreSQL sees them."""
    with engine.connect() as connection:
        return list(connection.execute(
            text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                 " AND classid = :high AND objid = :low AND objsubid = 1"),
            {"high": INSTANCE_LOCK_KEY >> 32, "low": INSTANCE_LOCK_KEY & 0xFFFF_FFFF},
        ).scalars())


def _terminate(engine, pid: int) -> None:
    with engine.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()


def test_a_terminated_lock_connection_is_seen_as_lost(postgres_database_url):
    engine = make_engine(postgres_database_url)
    observer = make_engine(postgres_database_url)
    init_db(engine)
    lock = InstanceLock(engine).acquire()
    try:
        lock.check()  # held: no complaint
        [holder] = _lock_holders(observer)
        _terminate(observer, holder)
        with pytest.raises(InstanceLockLost, match="instance lock .*lost"):
            lock.check()
        assert _lock_holders(observer) == []
    finally:
        lock.release()  # a lost lock releases without an error
        engine.dispose()
        observer.dispose()


def test_a_removed_lock_file_is_seen_as_lost(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.sqlite3'}")
    init_db(engine)
    lock = InstanceLock(engine).acquire()
    try:
        lock.check()
        (tmp_path / "queue.sqlite3.lock").unlink()
        with pytest.raises(InstanceLockLost, match="lock file"):
            lock.check()
    finally:
        lock.release()
        engine.dispose()


@pytest.fixture
def postgres_agent_settings(make_settings, postgres_database_url, odoo_standin, plc_simulator):
    return make_settings(
        DATABASE_URL=postgres_database_url, ODOO_URL=odoo_standin.url, ODOO_DATABASE=odoo_standin.database,
        ODOO_USERNAME=odoo_standin.username, ODOO_PASSWORD=odoo_standin.password,
        PLC_HOST=plc_simulator.host, PLC_PORT=str(plc_simulator.port), PLC_POLL_INTERVAL_SECONDS="0.2",
    )


def test_the_agent_stops_when_its_lock_connection_is_terminated(postgres_agent_settings, odoo_standin,
                                                                plc_simulator, tmp_path):
    """``pg_terminate_backend`` on the lock's connection frees the lock for anyone: the
    running agent notices at its next cycle, says so and exits 3 (the service manager starts
    it again, and the new one takes the lock as usual)."""
    settings = postgres_agent_settings
    odoo_standin.add_mo()
    observer = make_engine(settings.database_url)
    process = subprocess.Popen([sys.executable, "-m", "plc_agent", "run"], env=agent_env(settings),
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: plc_simulator.line.received_sets, timeout=30, what="the agent to write the PLC")
        [holder] = wait_until(lambda: _lock_holders(observer), timeout=10, what="the instance lock")
        _terminate(observer, holder)
        try:
            _, err = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=30)
            pytest.fail("the agent ran on without its instance lock:\n" + err[-3000:])
        assert process.returncode == 3, err[-3000:]
        assert "instance lock" in err and "lost" in err and "stopping" in err, err[-3000:]
        assert "Traceback" not in err, err[-3000:]
        log = tmp_path / "again.log"
        with open(log, "w") as out:
            again = subprocess.Popen([sys.executable, "-m", "plc_agent", "run"], env=agent_env(settings),
                                     cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: "plc-agent running" in log.read_text(), timeout=30, what="the restarted agent")
            assert len(_lock_holders(observer)) == 1
        finally:
            again.send_signal(signal.SIGTERM)
            again.wait(timeout=30)
        assert again.returncode == 0, log.read_text()[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
        observer.dispose()


def test_instance_lock_refuses_a_second_holder_and_names_the_first(database_url):
    eng1 = make_engine(database_url)
    eng2 = make_engine(database_url)
    from plc_agent.queue.schema import init_db

    init_db(eng1)
    lock = InstanceLock(eng1).acquire()
    try:
        with pytest.raises(InstanceLocked) as info:
            InstanceLock(eng2).acquire()
        assert f"pid {os.getpid()}" in str(info.value)
        assert socket.gethostname() in str(info.value)
    finally:
        lock.release()
    again = InstanceLock(eng2).acquire()
    again.release()
    eng1.dispose()
    eng2.dispose()
