"""An outage of the PLC or of Odoo is logged once when it starts, once per backoff step and once
when it ends -- not on every poll. Two minutes of outage at the default intervals (PLC poll
5 s, push 30 s, health 30 s), driven with the tasks' and the link's injectable clocks."""

from __future__ import annotations

import logging
import socket
from datetime import datetime, timedelta

import pytest

from plc_agent.cli import quiet_libraries
from plc_agent.odoo_gateway import OdooError
from plc_agent.plc.simulator import PlcSimulator
from plc_agent.queue.models import utcnow
from plc_agent.service import AgentService, build_tasks

from .helpers import run_line_until_finished

OUTAGE_SECONDS = 120
POLL, PUSH, HEALTH = 5, 30, 30  # the default intervals, asserted below


class FakeTime:
    """One clock for the tasks (UTC datetimes) and the link's backoff (monotonic seconds)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start = utcnow()

    def monotonic(self) -> float:
        return 1_000_000.0 + self.seconds

    def utc(self) -> datetime:
        return self._start + timedelta(seconds=self.seconds)


def _service(settings, engine, fake: FakeTime) -> AgentService:
    assert (settings.plc_poll_interval_seconds, settings.push_interval_seconds,
            settings.health_interval_seconds) == (POLL, PUSH, HEALTH)
    tasks = build_tasks(settings, engine)
    tasks.clock = fake.utc
    tasks.plc.clock = fake.monotonic
    tasks.context.odoo.outage.clock = fake.monotonic
    return AgentService(settings, tasks)


def _drive(service: AgentService, fake: FakeTime, start: int, seconds: int) -> None:
    """Run the jobs as the scheduler would at the default intervals, from ``start`` on."""
    for t in range(start, start + seconds, POLL):
        fake.seconds = t
        service.run_plc()
        if t % PUSH == 0:
            service.run_push()
            service.run_reports()
        if t % HEALTH == 0:
            service.run_health()


def _lines(caplog) -> tuple[list[str], list[logging.LogRecord]]:
    """The outage's lines, and every other record at INFO or above."""
    records = [r for r in caplog.records if r.levelno >= logging.INFO]
    outage = [r.getMessage() for r in records if r.name == "plc_agent.outage"]
    return outage, [r for r in records if r.name != "plc_agent.outage"]


@pytest.fixture
def quiet_pymodbus():
    before = logging.getLogger("pymodbus").level
    quiet_libraries(logging.INFO)
    yield
    logging.getLogger("pymodbus").setLevel(before)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_two_minute_plc_outage_is_a_start_line_one_per_backoff_step_and_an_end_line(
        make_settings, database_url, engine, odoo_standin, register_map, caplog, quiet_pymodbus):
    port = _free_port()  # nothing listens: connection refused, as with a PLC switched off
    settings = make_settings(DATABASE_URL=database_url, ODOO_URL=odoo_standin.url, PLC_PORT=str(port),
                             PLC_TIMEOUT_SECONDS="1")
    fake = FakeTime()
    service = _service(settings, engine, fake)
    caplog.set_level(logging.INFO)
    caplog.clear()
    try:
        _drive(service, fake, 0, OUTAGE_SECONDS)
        outage, others = _lines(caplog)
        # The reconnect backoff: immediate, then 0.5 s doubling up to PLC_RECONNECT_BACKOFF_MAX_SECONDS.
        steps = [0.5, 1, 2, 4, 8, 16, 30]
        assert len(outage) == 1 + len(steps), "\n".join(outage)
        assert outage[0].startswith(f"PLC 127.0.0.1:{port} is unreachable: cannot connect")
        assert "check PLC_HOST, PLC_PORT" in outage[0]
        for line, wait in zip(outage[1:], steps, strict=True):
            assert line.startswith(f"PLC 127.0.0.1:{port} still unreachable after ")
            assert line.endswith(f"next attempt in {wait:g} s")
        # Nothing else speaks of it: no warning from a task, none from pymodbus; the health
        # check's summary at its own interval is the only other line.
        assert all(r.levelno < logging.WARNING for r in others), [r.getMessage() for r in others]
        assert [r.getMessage()[:9] for r in others] == ["[TASK 4] "] * (OUTAGE_SECONDS // HEALTH)
        assert not any(r.name.startswith("pymodbus") for r in caplog.records)

        simulator = PlcSimulator(register_map, batch_seconds=0.2, seed=7)
        simulator.start("127.0.0.1", port)
        try:
            caplog.clear()
            _drive(service, fake, OUTAGE_SECONDS, 35)  # past the longest wait
            outage, _others = _lines(caplog)
            assert len(outage) == 1, outage
            assert outage[0].startswith(f"PLC 127.0.0.1:{port} answers again after 2 min")
        finally:
            simulator.stop()
    finally:
        service.tasks.plc.close()


def test_a_two_minute_odoo_outage_is_a_start_line_one_per_backoff_step_and_an_end_line(
        make_settings, database_url, engine, odoo_standin, plc_simulator, caplog, quiet_pymodbus):
    settings = make_settings(DATABASE_URL=database_url, ODOO_URL=odoo_standin.url,
                             PLC_HOST=plc_simulator.host, PLC_PORT=str(plc_simulator.port),
                             PLC_TIMEOUT_SECONDS="1")
    fake = FakeTime()
    service = _service(settings, engine, fake)
    try:
        odoo_standin.add_mo()
        service.tasks.sync()
        run_line_until_finished(service.tasks, engine)  # a finished batch waits to be reported
        odoo_standin.go_down()
        caplog.set_level(logging.INFO)
        caplog.clear()  # from here on: the outage
        _drive(service, fake, 0, OUTAGE_SECONDS)
        outage, others = _lines(caplog)
        # The reports' backoff (PUSH_BACKOFF_BASE_SECONDS doubling): attempts at 0, 30, 60 and
        # 90 s wait 5, 10, 20 and 40 s; the one at 120 s is not due yet (90 + 40).
        steps = [5, 10, 20, 40]
        assert len(outage) == 1 + len(steps), "\n".join(outage)
        assert outage[0].startswith(f"Odoo {odoo_standin.url} is unreachable: ")
        assert "check ODOO_URL" in outage[0]
        for line, wait in zip(outage[1:], steps, strict=True):
            assert line.startswith(f"Odoo {odoo_standin.url} still unreachable after ")
            assert line.endswith(f"next attempt in {wait:g} s")
        # The batch waiting for its report is a stuck batch: said once, not at every check.
        warnings = [r.getMessage() for r in others if r.levelno >= logging.WARNING]
        assert len(warnings) == 1 and warnings[0].startswith("[TASK 4] Stuck batch slot 1 "), warnings
        summaries = [r for r in others if r.levelno < logging.WARNING]
        assert [r.getMessage()[:9] for r in summaries] == ["[TASK 4] "] * (OUTAGE_SECONDS // HEALTH)

        odoo_standin.come_up()
        caplog.clear()
        _drive(service, fake, 150, 1)  # the push job after 130 s, when the report is due again
        outage, others = _lines(caplog)
        assert len(outage) == 1 and outage[0].startswith(f"Odoo {odoo_standin.url} answers again after 2 min")
        assert any("reported: done" in r.getMessage() for r in others)
    finally:
        service.tasks.plc.close()


def test_odoo_refusing_the_line_is_logged_once_whole_with_its_fix(
        make_settings, database_url, engine, odoo_standin, plc_simulator, caplog, quiet_pymodbus):
    """A typo in PLC_LINE_CODE: Odoo's refusal, through the gateway's error path, said once."""
    odoo_standin.add_user("agent-fm1", "fm1-secret", lines=("FM1",))
    settings = make_settings(DATABASE_URL=database_url, ODOO_URL=odoo_standin.url,
                             ODOO_USERNAME="agent-fm1", ODOO_PASSWORD="fm1-secret", PLC_LINE_CODE="FM11",
                             PLC_HOST=plc_simulator.host, PLC_PORT=str(plc_simulator.port))
    fake = FakeTime()
    service = _service(settings, engine, fake)
    caplog.set_level(logging.INFO)
    try:
        service.run_sync()
        _drive(service, fake, 0, OUTAGE_SECONDS)  # two health checks ping with the wrong code
        with pytest.raises(OdooError) as refused:
            service.tasks.context.odoo.ping("FM11")
    finally:
        service.tasks.plc.close()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    message = errors[0].getMessage()
    assert message.startswith(f"Odoo {odoo_standin.url} refuses the agent: ")
    assert "may not act for PLC line" in message and "FM11" in message
    assert "PLC_LINE_CODE" in message  # the fix, from Odoo's message or added by the agent
    assert refused.value.reason in message  # Odoo's message whole, not cut
    assert errors[0].exc_info is None  # no traceback
    assert "fm1-secret" not in caplog.text
