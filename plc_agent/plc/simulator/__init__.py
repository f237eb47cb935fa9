"""A batching line on a pymodbus server: the PLC side of the register map, for tests and demos."""

from .server import GARBAGE_FORMS, PlcSimulator, SimulatorError, run_simulator

__all__ = ["GARBAGE_FORMS", "PlcSimulator", "SimulatorError", "run_simulator"]
