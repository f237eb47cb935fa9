"""The simulator's report areas (``plc_agent.plc.simulator.reports``): scripted and random reports,
a real PLC's handshake, and ``simulate-plc``'s scripted reports reaching Odoo through the agent."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from dataclasses import replace

import pytest

from plc_agent.plc.simulator import PlcSimulator
from plc_agent.plc.simulator.reports import (
    ScriptedFailure,
    ScriptedWeighing,
    parse_failure,
    parse_weighing,
)
from plc_agent.queue.failure import PlcFailure
from plc_agent.queue.models import DeliveryState
from plc_agent.queue.weighing import ManualWeighing

from ...helpers import agent, rows, wait_until


def test_script_options_parse():
    assert parse_failure("silo101:START_FAILURE@30") == ScriptedFailure("silo101", "START_FAILURE", 30.0)
    assert parse_failure("mixer_01:OVERLOAD") == ScriptedFailure("mixer_01", "OVERLOAD", 0.0)
    assert parse_weighing("55:12.5@20") == ScriptedWeighing(55, 12.5, None, 20.0)
    assert parse_weighing("55:3:WH/MO/00042") == ScriptedWeighing(55, 3.0, "WH/MO/00042", 0.0)
    for bad, parse in (("silo101", parse_failure), ("a:b@soon", parse_failure), ("x:1", parse_weighing),
                       ("55", parse_weighing), ("55:1@-3", parse_weighing)):
        with pytest.raises(ValueError, match="--failure|--weighing"):
            parse(bad)


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


def test_simulate_plc_scripted_reports_reach_odoo(agent_settings, engine, odoo_standin, tmp_path):
    odoo_standin.add_product(55)
    odoo_standin.add_mo()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "plc_agent", "simulate-plc", "--port", str(port), "--seed", "1",
         "--failure", "silo101:START_FAILURE@0",
         "--weighing", "55:12.5:WH/MO/00001@0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    settings = replace(agent_settings, plc_port=port)
    try:
        def sent(task: str, model) -> bool:
            agent(settings, "once", task, cwd=tmp_path)
            return any(r.state is DeliveryState.ANSWERED for r in rows(engine, model))

        wait_until(lambda: sent("failures", PlcFailure), timeout=30, interval=0.5, what="the failure")
        wait_until(lambda: sent("weighing", ManualWeighing), timeout=30, interval=0.5, what="the weighing")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    assert [f["equipment"] for f in odoo_standin.failures] == ["silo101"]
    assert [c["quantity"] for c in odoo_standin.manual_consumption(1)] == [12.5]
