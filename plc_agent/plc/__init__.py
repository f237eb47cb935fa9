"""The PLC side: everything that speaks Modbus or judges the PLC's words.

* :mod:`.link` -- :class:`~.link.PlcLink`: the agent's one Modbus TCP connection, at the
  level of batch slots and report areas;
* :mod:`.register_map` -- where each value lies in the PLC's memory and how its words
  read (the shipped map is ``register_map/default_register_map.toml``);
* :mod:`.batch_numbers` -- the rolling number (1..65535) the PLC knows a batch by;
* :mod:`.suspect` -- what an ended read slot says that does not look like a measurement;
* :mod:`.simulator` -- a batching line on a pymodbus server, for tests, benchmarks and
  demos (``plc-agent simulate-plc``).

Nothing is imported here, so that a command loads only the parts it uses.
"""
