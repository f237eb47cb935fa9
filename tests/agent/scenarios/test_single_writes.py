"""Function 6 (write single register) only on handshake and acknowledgement words: against a
simulator that refuses it elsewhere, as a gateway may, the whole cycle runs. Word 7077, the
one word of write slot 1 behind the handshake, goes with function 16 (docs/register-map.md).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pymodbus.client import ModbusTcpClient

from plc_agent.plc.simulator import PlcSimulator
from tests.support.simulator_fixtures import SIMULATOR_BATCH_SECONDS

from ..helpers import batches, report_waiting, run_line_until_finished, wait_until


@pytest.fixture
def plc_simulator(register_map) -> Iterator[PlcSimulator]:
    simulator = PlcSimulator(register_map, batch_seconds=SIMULATOR_BATCH_SECONDS, noise=0.02, seed=7,
                             single_writes_on_handshakes_only=True)
    simulator.start("127.0.0.1", 0)
    try:
        yield simulator
    finally:
        simulator.stop()


def test_the_strict_simulator_refuses_function_6_outside_the_handshake_words(plc_simulator, register_map):
    assert register_map.handshake_addresses == frozenset(
        {7076, 8022, 9013, *(6076 + 100 * n for n in range(10))})
    client = ModbusTcpClient("127.0.0.1", port=plc_simulator.port, timeout=2)
    assert client.connect()
    try:
        refused = client.write_register(7077, 5, device_id=1)
        assert refused.isError() and refused.exception_code == 2  # illegal data address
        assert client.write_registers(7077, [5], device_id=1).isError() is False
        assert client.write_register(7076, 1, device_id=1).isError() is False
    finally:
        client.close()
    assert plc_simulator.refused_single_writes == [7077]
    assert plc_simulator.registers(7077, 1) == [5]


def test_a_set_acknowledgements_and_report_handshakes_never_need_function_6_on_data(
        tasks, engine, odoo_standin, plc_simulator, register_map):
    mo_ids = [odoo_standin.add_mo() for _ in range(2)]
    result = tasks.sync()
    assert result.inserted == 2 and result.write and result.write.confirmed
    numbers = [r.batch_number for r in batches(engine)]
    assert plc_simulator.registers(7077, 1) == [numbers[0]]  # written, with function 16
    run_line_until_finished(tasks, engine)
    assert tasks.push().archived == 2
    assert {odoo_standin.mo(i)["plc_state"] for i in mo_ids} == {"done"}
    odoo_standin.add_product(55)
    plc_simulator.report_weighing(55, 2.5)
    plc_simulator.report_failure("silo101", "SENSOR_ERROR")
    wait_until(lambda: report_waiting(plc_simulator, register_map.weighing_area), what="a weighing")
    assert tasks.read_weighing().acknowledged == 1
    wait_until(lambda: report_waiting(plc_simulator, register_map.failure_area), what="a failure")
    assert tasks.read_failures().acknowledged == 1
    assert plc_simulator.refused_single_writes == []
    assert plc_simulator.line.protocol_violations == []
