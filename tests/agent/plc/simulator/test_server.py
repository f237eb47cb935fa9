"""The simulated PLC's server (``plc_agent.plc.simulator.server``): its unit id, start errors, and
``run_simulator`` serving until stopped.
"""

from __future__ import annotations

import threading
import time

import pytest

from plc_agent.plc.link import PlcLink
from plc_agent.plc.register_map import RegisterMap
from plc_agent.plc.simulator import PlcSimulator, SimulatorError, run_simulator


def test_unit_id_and_start_errors(register_map: RegisterMap, plc_simulator: PlcSimulator) -> None:
    other = PlcSimulator(register_map, unit_id=5)
    with pytest.raises(SimulatorError, match=f"cannot listen on 127.0.0.1:{plc_simulator.port}"):
        other.start("127.0.0.1", plc_simulator.port)
    with pytest.raises(SimulatorError, match="not started"):
        other.registers(7076, 1)
    with pytest.raises(ValueError, match="noise must be"):
        PlcSimulator(register_map, noise=1.5)
    with pytest.raises(ValueError, match="slot 12 does not exist"):
        plc_simulator.faults.fail_batch(12)


def test_run_simulator_serves_until_stopped(register_map: RegisterMap) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    stop = threading.Event()
    thread = threading.Thread(
        target=run_simulator,
        kwargs=dict(
            register_map=register_map,
            host="127.0.0.1",
            port=port,
            batch_seconds=0.1,
            noise=0.0,
            seed=1,
            stop_event=stop,
        ),
    )
    thread.start()
    try:
        link = PlcLink("127.0.0.1", port, 1, register_map, timeout=1, reconnect_backoff_initial=0.05)
        deadline = time.monotonic() + 5
        while True:
            try:
                assert link.ping()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        link.close()
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
