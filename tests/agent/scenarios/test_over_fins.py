"""The agent over Omron FINS: the full cycle of ``test_cycle``, the recovery table of
``test_recovery``, the PLC faults of ``test_faults``, ``plc-agent check``, and exactly-once
through UDP's datagram faults; the link and the simulator speak FINS/UDP and FINS/TCP on
loopback.

The borrowed scenarios run with one retry (``PLC_FINS_RETRIES=1``), the Modbus link's one
retry on a fresh connection: a fault switched on for two requests in a row then fails the
request for the agent over UDP too, as those scenarios expect. (Modbus exception answers
are the FINS link's end codes, tested in ``tests/agent/plc/test_fins_link.py``.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from plc_agent.config import Settings
from plc_agent.plc.fins_link import FinsLink
from plc_agent.plc.link import PlcError
from plc_agent.plc.register_map import RegisterMap
from plc_agent.plc.simulator.fins_server import FinsPlcSimulator
from support.simulator_fixtures import SIMULATOR_BATCH_SECONDS

from ..conftest import with_settings
from ..helpers import agent, batches, history, wait_until
from .test_cycle import test_full_cycle  # noqa: F401  (collected here, over FINS)
from .test_faults import (  # noqa: F401  (collected here, over FINS)
    test_acknowledgement_lost_before_archive_is_sent_again,
    test_handshake_writes_whose_answer_is_lost_are_never_sent_twice,
    test_plc_connection_drop_between_and_during_reads,
    test_plc_timeout_changes_nothing,
)
from .test_recovery import (  # noqa: F401  (collected here, over FINS)
    test_another_set_in_the_plc_makes_the_stored_set_wait,
    test_health_reports_a_running_batch_whose_slot_does_not_change,
    test_health_reports_a_set_the_plc_took_but_does_not_start,
    test_health_restarts_a_written_set_the_plc_still_waits_for,
    test_lost_handshake_write_is_finished_after_the_reconnect,
    test_plc_not_ready_makes_the_set_wait_then_it_is_written,
    test_set_running_is_marked_written,
    test_set_shown_in_the_read_area_is_never_written_again,
    test_set_taken_but_not_started_is_marked_written,
    test_torn_write_of_the_set_is_written_again_whole,
)

PLC_NODE = 10


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the link does not touch the queue database, whose two dialects the same
    scenarios prove over Modbus TCP."""
    return f"sqlite:///{tmp_path / 'queue.sqlite3'}"


@pytest.fixture(params=["udp", "tcp"])
def plc_simulator(register_map: RegisterMap, request: pytest.FixtureRequest) -> Iterator[FinsPlcSimulator]:
    simulator = FinsPlcSimulator(register_map, transport=request.param, node=PLC_NODE,
                                 batch_seconds=SIMULATOR_BATCH_SECONDS, noise=0.02, seed=7)
    simulator.start("127.0.0.1", 0)
    try:
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture
def agent_settings(make_settings: Callable[..., Settings], database_url: str, odoo_standin: Any,
                   plc_simulator: FinsPlcSimulator) -> Settings:
    return make_settings(
        DATABASE_URL=database_url,
        ODOO_URL=odoo_standin.url,
        ODOO_DATABASE=odoo_standin.database,
        ODOO_USERNAME=odoo_standin.username,
        ODOO_PASSWORD=odoo_standin.password,
        PLC_PROTOCOL="fins",
        PLC_FINS_TRANSPORT=plc_simulator.transport,
        PLC_FINS_DEST_NODE=str(PLC_NODE),
        PLC_FINS_SOURCE_NODE="20",
        PLC_FINS_RETRIES="1",
        PLC_HOST=plc_simulator.host,
        PLC_PORT=str(plc_simulator.port),
        PLC_TIMEOUT_SECONDS="1",
        ODOO_TIMEOUT_SECONDS="5",
        PLC_POLL_INTERVAL_SECONDS="0.1",
        PUSH_INTERVAL_SECONDS="0.5",
        HEALTH_INTERVAL_SECONDS="60",
    )


def test_the_tasks_talk_fins_and_read_the_area_in_one_request(tasks, plc_simulator, odoo_standin, engine):
    assert isinstance(tasks.plc, FinsLink) and tasks.plc.transport_name == plc_simulator.transport
    assert tasks.register_map.read_slots_split == frozenset()
    odoo_standin.add_mo()
    tasks.sync()
    before = plc_simulator.requests_served
    tasks.plc.read_read_area()
    assert plc_simulator.requests_served == before + 1


def test_check_names_protocol_nodes_and_request_plan(agent_settings, plc_simulator, odoo_standin, tmp_path):
    assert agent(agent_settings, "init-db", cwd=tmp_path).returncode == 0
    p = agent(agent_settings, "check", cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    transport = plc_simulator.transport.upper()
    assert (f"FINS/{transport} 127.0.0.1:{plc_simulator.port}, PLC node 0.10.0, agent node 0.20.0 "
            f"answers; write handshake D7076 = 1; read area in 1 request(s) of at most 999 words") in p.stdout
    out = p.stdout
    assert out.index("Settings in force") < out.index("Register map (") < out.index("Checks:")
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("  PLC_")}
    assert rows["PLC_PROTOCOL"].split()[1] == "fins"
    assert rows["PLC_FINS_TRANSPORT"].split()[1] == plc_simulator.transport
    assert rows["PLC_FINS_DEST_NODE"].split()[1] == str(PLC_NODE)
    assert rows["PLC_FINS_SOURCE_NODE"].split()[1] == "20"
    assert f"PLC link: FINS/{transport} 127.0.0.1:{plc_simulator.port}, PLC node 0.10.0, agent node 0.20.0; " \
           "at most 999 words per read request" in out
    assert ("the agent reads the read area in 1 request of at most 999 words with FINS memory area read "
            "(01 01) of the DM area (D6000-D6977)") in out
    assert "the whole read area is one request" in out
    assert "Modbus holding registers" not in out


@pytest.mark.parametrize("plc_simulator", ["udp"], indirect=True)  # datagram faults are UDP's
def test_exactly_once_through_lost_duplicated_and_late_datagrams(agent_settings, make_tasks, engine, odoo_standin,
                                                                  plc_simulator):
    tasks = make_tasks(with_settings(agent_settings, plc_timeout_seconds=0.25, plc_fins_retries=2))
    plc_simulator.faults.set_datagram_fault_rates(late_seconds=0.35, lose_request=0.04, lose_answer=0.04,
                                                  duplicate_answer=0.1, late_answer=0.04)
    mo_ids = [odoo_standin.add_mo() for _ in range(4)]

    def poll() -> None:
        # As the service runs its tasks: a read whose 3 tries were all struck fails, the next
        # poll reads again; an acknowledgement whose datagram was lost is written again after
        # the next read, and a start handshake whose answer was lost is settled by the next
        # sync from what the PLC shows (handshake writes are never resent blindly).
        for task in (tasks.sync, tasks.read_plc):
            try:
                task()
            except PlcError:
                pass

    def polled_until_ready() -> bool:
        poll()
        return plc_simulator.line.state == "ready"

    def polled_until_set_finished() -> bool:
        poll()
        rows = batches(engine)
        return bool(rows) and all(r.state in ("finished", "failed") for r in rows)

    for _ in range(2):  # two sets through the line
        wait_until(polled_until_ready, timeout=30, what="PLC ready")
        wait_until(lambda: bool(tasks.sync().inserted) or bool(batches(engine)), timeout=30, what="a set written")
        wait_until(polled_until_set_finished, timeout=60, what="the PLC to finish the set")
        wait_until(lambda: tasks.push().emptied_queue, timeout=30, what="the set reported")
        mo_ids += [odoo_standin.add_mo() for _ in range(3)]
    faults = {fault for fault, _sid in plc_simulator.faults.datagram_faults}
    assert faults == {"lose_request", "lose_answer", "duplicate_answer", "late_answer"}, faults
    assert tasks.plc.stray_answers > 0
    done = {h.odoo_mo_id for h in history(engine) if h.outcome == "done"}
    ran = [mo for _slot, mo in plc_simulator.line.completed_batches]
    assert len(ran) == len(set(ran)) == len(done)  # no batch ran twice, none reported twice
    for mo_id in done:
        assert odoo_standin.mo(mo_id)["times_closed"] == 1
    assert plc_simulator.line.protocol_violations == []
