"""A batching line on a pymodbus server: the PLC side of the register map, for tests and demos.

* :mod:`.server` -- :class:`PlcSimulator`: the Modbus TCP server around the line's registers;
* :mod:`.line` -- :class:`~.line.BatchingLine`: the line's program, a state machine;
* :mod:`.faults` -- :class:`~.faults.FaultSwitches`: drops, delays, exception answers,
  failing batches, garbage;
* :mod:`.reports` -- the failure and manual-weighing areas, one report at a time.
"""

from .faults import GARBAGE_FORMS
from .server import PlcSimulator, SimulatorError, run_simulator

__all__ = ["GARBAGE_FORMS", "PlcSimulator", "SimulatorError", "run_simulator"]
