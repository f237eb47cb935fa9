"""The full cycle of ``test_cycle`` over Omron FINS: the same tasks, the same line, the link
and the simulator speaking FINS/UDP and FINS/TCP on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from plc_agent.config import Settings
from plc_agent.plc.fins_link import FinsLink
from plc_agent.plc.register_map import RegisterMap
from plc_agent.plc.simulator.fins_server import FinsPlcSimulator
from support.simulator_fixtures import SIMULATOR_BATCH_SECONDS

from .test_cycle import test_full_cycle  # noqa: F401  (collected here, over FINS)

PLC_NODE = 10


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
