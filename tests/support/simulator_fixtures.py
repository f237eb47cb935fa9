"""Pytest fixtures for the PLC side: the default register map and a running simulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from plc_agent.plc.link import PlcLink
from plc_agent.plc.register_map import RegisterMap, load_register_map
from plc_agent.plc.simulator import PlcSimulator

SIMULATOR_BATCH_SECONDS = 0.2


@pytest.fixture
def register_map() -> RegisterMap:
    return load_register_map()


@pytest.fixture
def plc_simulator(register_map: RegisterMap) -> Iterator[PlcSimulator]:
    """A started simulator on 127.0.0.1 (ephemeral port), short batches, fixed seed."""
    simulator = PlcSimulator(register_map, batch_seconds=SIMULATOR_BATCH_SECONDS, noise=0.02, seed=7)
    simulator.start("127.0.0.1", 0)
    try:
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture
def plc_link(plc_simulator: PlcSimulator, register_map: RegisterMap) -> Iterator[PlcLink]:
    """A PlcLink to `plc_simulator` with a short timeout and backoff."""
    link = PlcLink(
        plc_simulator.host,
        plc_simulator.port,
        plc_simulator.unit_id,
        register_map,
        timeout=1.0,
        reconnect_backoff_max=2.0,
        reconnect_backoff_initial=0.2,
    )
    try:
        yield link
    finally:
        link.close()
