"""The fault campaign (``python -m bench campaign``) and the simulator's request-level drops
it relies on."""

from __future__ import annotations

import pytest

from plc_agent.plc import PlcLink

from bench.campaign import FAULT_KINDS, run_campaign

from .helpers import wait_until


@pytest.mark.parametrize("request_kind", ["read", "write", "handshake", "ack"])
@pytest.mark.parametrize("effect", ["before", "after"])
def test_simulator_drops_the_connection_at_a_chosen_request(plc_simulator, register_map, request_kind, effect):
    """A write dropped "after" has taken effect although its answer never came; one dropped
    "before" has not. The link's single retry on a fresh connection then sends it again."""
    link = PlcLink(plc_simulator.host, plc_simulator.port, 1, register_map, timeout=1.0,
                   reconnect_backoff_initial=0.05, reconnect_backoff_max=0.2)
    try:
        link.read_write_handshake()
        plc_simulator.drop_at_next(request_kind, effect)
        if request_kind == "read":
            link.read_read_area()
        elif request_kind == "write":
            link.write_slot(3, None)
        elif request_kind == "handshake":
            link.set_write_handshake(1)
        else:
            link.acknowledge_read(5)
        assert len(plc_simulator.dropped_requests) == 1
        kind, how, _address = plc_simulator.dropped_requests[0]
        assert (kind, how) == (request_kind, effect)
        if request_kind == "ack":
            assert plc_simulator.registers(register_map.read_ack_address(5), 1) == [1]
    finally:
        link.close()


def test_simulator_refuses_an_unknown_drop():
    from plc_agent.register_map import load_register_map
    from plc_agent.simulator import PlcSimulator

    simulator = PlcSimulator(load_register_map())
    with pytest.raises(ValueError, match="read, write, handshake or ack"):
        simulator.drop_at_next("coil", "before")
    with pytest.raises(ValueError, match="'before' or 'after'"):
        simulator.drop_at_next("read", "during")


def test_campaign_refuses_unknown_faults():
    with pytest.raises(ValueError, match="unknown fault kind"):
        run_campaign(seed=1, batches=1, kinds=("meteor",))
    assert "sigkill" in FAULT_KINDS


@pytest.mark.slow
def test_campaign_faults_the_agent_survives_today():
    """Odoo outages and lost replies, a silent PLC, a locked queue and service stops: every
    MO dosed, reported and closed once. Seed 5 is the run measured for the docs."""
    run = run_campaign(seed=5, batches=40, kinds=("odoo_down", "lost_reply", "plc_silent", "db_locked", "sigterm"),
                       stall_seconds=90)
    assert run.passed, run.summary()
    assert sum(run.faults.values()) >= 5, run.summary()
