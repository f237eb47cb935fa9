"""The simulator's report areas: scripted and random reports, and a real PLC's handshake."""

from __future__ import annotations

import pytest

from plc_agent.cli import main
from plc_agent.plc.simulator import PlcSimulator
from plc_agent.plc.simulator.reports import (
    ScriptedFailure,
    ScriptedWeighing,
    parse_failure,
    parse_weighing,
)

from .helpers import wait_until


def test_script_options_parse():
    assert parse_failure("silo101:START_FAILURE@30") == ScriptedFailure("silo101", "START_FAILURE", 30.0)
    assert parse_failure("mixer_01:OVERLOAD") == ScriptedFailure("mixer_01", "OVERLOAD", 0.0)
    assert parse_weighing("55:12.5@20") == ScriptedWeighing(55, 12.5, None, 20.0)
    assert parse_weighing("55:3:WH/MO/00042") == ScriptedWeighing(55, 3.0, "WH/MO/00042", 0.0)
    for bad, parse in (("silo101", parse_failure), ("a:b@soon", parse_failure), ("x:1", parse_weighing),
                       ("55", parse_weighing), ("55:1@-3", parse_weighing)):
        with pytest.raises(ValueError, match="--failure|--weighing"):
            parse(bad)


def test_bad_simulator_options_exit_2():
    assert main(["simulate-plc", "--failure", "silo101"]) == 2
    assert main(["simulate-plc", "--random-weighings", "0"]) == 2
    assert main(["simulate-plc", "--plc-timezone", "Nowhere/Town"]) == 2


def test_reports_wait_for_each_acknowledgement(register_map, plc_link):
    simulator = PlcSimulator(register_map, batch_seconds=0.1, seed=3,
                             scripted_failures=(ScriptedFailure("silo101", "START_FAILURE", 0.0),
                                                ScriptedFailure("silo102", "SENSOR_ERROR", 0.0)),
                             random_weighing_seconds=0.05, weighing_products=(55, 56))
    simulator.start("127.0.0.1", 0)
    try:
        area = register_map.failure_area
        link = plc_link.__class__(simulator.host, simulator.port, 1, register_map, timeout=1.0)
        try:
            def current() -> dict:
                return area.decode(link.read_registers(area.start, area.extent)).values

            wait_until(lambda: current()["equipment"] == "silo101", what="the first failure")
            # Not acknowledged: the PLC keeps the first report and waits.
            assert simulator.pending_reports("failure") == 2
            assert current()["equipment"] == "silo101"
            link.write_registers(area.handshake_address, [1])
            wait_until(lambda: current()["equipment"] == "silo102", what="the second failure")
            assert link.read_registers(area.handshake_address, 1) == [0]
            assert len(simulator.delivered("failure")) == 1
            weighing = register_map.weighing_area
            wait_until(lambda: weighing.decode(link.read_registers(weighing.start, weighing.extent)).waiting,
                       what="a random weighing")
            values = weighing.decode(link.read_registers(weighing.start, weighing.extent)).values
            assert values["product_id"] in (55, 56) and 0.5 <= values["quantity"] <= 25.0
        finally:
            link.close()
    finally:
        simulator.stop()
