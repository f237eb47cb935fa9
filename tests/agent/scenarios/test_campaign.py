"""The fault campaign (``python -m bench campaign``): batches through the agent while faults
strike at random (the simulator's request-level drops are tested in plc/simulator/test_faults.py)."""

from __future__ import annotations

import pytest

from bench.campaign import DATAGRAM_KINDS, FAULT_KINDS, fault_kinds, run_campaign


def test_campaign_refuses_unknown_faults():
    with pytest.raises(ValueError, match="unknown fault kind"):
        run_campaign(seed=1, batches=1, kinds=("meteor",))
    with pytest.raises(ValueError, match="opening fault 'failed_run' is not among"):
        run_campaign(seed=1, batches=1, kinds=("odoo_down",), opening_fault="failed_run")
    assert "sigkill" in FAULT_KINDS


def test_datagram_faults_only_over_fins_udp():
    assert fault_kinds("fins", "udp") == FAULT_KINDS + tuple(DATAGRAM_KINDS)
    assert fault_kinds("fins", "tcp") == fault_kinds("modbus") == FAULT_KINDS
    for protocol, transport in (("modbus", "udp"), ("fins", "tcp")):
        with pytest.raises(ValueError, match="unknown fault kind.*lost_answer"):
            run_campaign(seed=1, batches=1, kinds=("lost_answer",), protocol=protocol, fins_transport=transport)
    with pytest.raises(ValueError, match="protocol must be modbus or fins"):
        run_campaign(seed=1, batches=1, protocol="profinet")
    with pytest.raises(ValueError, match="layout must be one of shipped, old-program"):
        run_campaign(seed=1, batches=1, layout="new-program")


def test_same_slot_again_counts_new_runs_in_their_failed_runs_slot():
    from bench.campaign import _same_slot_again

    completed = [(1, "MO/1"), (2, "MO/2"), (1, "MO/1"), (3, "MO/2"), (1, "MO/3")]
    failed = [(1, 1, "MO/1"), (2, 2, "MO/2")]
    assert _same_slot_again(completed, failed) == 1  # MO/1 again in slot 1; MO/2 moved to slot 3


@pytest.mark.slow
def test_campaign_faults_the_agent_survives_today():
    """Odoo outages and lost replies, a silent PLC, a locked queue and service stops: every
    MO dosed, reported and closed once. Seed 5 is the run measured for the docs."""
    run = run_campaign(seed=5, batches=40, kinds=("odoo_down", "lost_reply", "plc_silent", "db_locked", "sigterm"),
                       stall_seconds=90)
    assert run.passed, run.summary()
    assert sum(run.faults.values()) >= 5, run.summary()


@pytest.mark.slow
def test_campaign_on_the_old_plant_fins_udp_and_the_old_program_with_every_fault():
    """The plant that switches from the old middleware: FINS/UDP and the old program's layout
    (no word 77). Every kind strikes, requests and answers lost, answers duplicated and late,
    batches failed in slot 1 and their MOs released again into it: every MO dosed, reported
    and closed once. About two minutes; the 1,000-batch runs are in docs/performance.md."""
    kinds = fault_kinds("fins", "udp")
    run = run_campaign(seed=19, batches=40, kinds=kinds, protocol="fins", fins_transport="udp",
                       layout="old-program", fault_every=(0.5, 1.5), stall_seconds=90, quiet_seconds=45,
                       # Drawn at random it may come after the last set is written (CI, seed 19:
                       # one failed_run drawn, no batch left to fail in slot 1).
                       opening_fault="failed_run")
    assert run.passed, run.summary()
    assert (run.link, run.layout) == ("FINS/UDP", "old-program")
    assert set(DATAGRAM_KINDS) & set(run.faults), run.summary()
    assert sum(run.datagrams.values()) > 0 and run.stray_answers > 0, run.summary()
    assert run.same_slot_again > 0, run.summary()  # a new run read where its failed run still showed


# Seeds that broke an invariant, each with the fewest batches and fault kinds that still
# broke it, kept so that the defect stays fixed.
REGRESSION_SEEDS = [
    # 0.1.0: a batch with garbage was held and never acknowledged; the PLC waited for ever
    # (MO 11 stayed `sent`, "no MO closed for 30 s after 19 of 20").
    pytest.param(1, 20, ("garbage", "plc_drop"), id="seed1-garbage-held-stalls-the-line"),
]


@pytest.mark.slow
@pytest.mark.parametrize("seed, batches, kinds", REGRESSION_SEEDS)
def test_campaign_regression_seed(seed, batches, kinds):
    run = run_campaign(seed=seed, batches=batches, kinds=kinds, stall_seconds=30, quiet_seconds=30)
    assert run.passed, run.summary()
