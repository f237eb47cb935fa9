"""The PLC's memory: value codecs, the slot layout with its request plans, the TOML loader.

* :mod:`.codecs` -- :class:`ValueType`: a value in 16-bit words (pymodbus packs the raw
  numbers; scaling, sentinels and strict ASCII are the line's rules);
* :mod:`.layout` -- :class:`RegisterMap`: where each field of each slot lies, slot
  encoding and decoding, :func:`plan_requests`;
* :mod:`.report_areas` -- :class:`ReportArea`: the failure and manual-weighing areas, one
  report at a time with its own handshake word;
* :mod:`.loader` -- :func:`load_register_map`: a TOML file (the shipped default is the
  old PLC program's layout, ``default_register_map.toml``), checked before use.
"""

from .codecs import ALL_TYPES, NUMERIC_TYPES, TEXT_TYPES, WORD_ORDERS, RegisterMapError, ValueType
from .layout import (
    FIELD_NAMES,
    MAX_READ_REGISTERS,
    MAX_WRITE_REGISTERS,
    READ_FIELDS,
    STATUS_FIELDS,
    TEXT_FIELDS,
    WRITE_FIELDS,
    ComponentDose,
    ComponentSpec,
    FieldSpec,
    RegisterMap,
    SlotBatch,
    SlotReading,
    plan_requests,
)
from .loader import MAX_ADDRESS, load_register_map
from .report_areas import AreaReading, ReportArea

__all__ = [
    "ALL_TYPES", "AreaReading", "FIELD_NAMES", "ReportArea", "MAX_ADDRESS", "MAX_READ_REGISTERS", "MAX_WRITE_REGISTERS",
    "NUMERIC_TYPES", "READ_FIELDS", "STATUS_FIELDS", "TEXT_FIELDS", "TEXT_TYPES", "WORD_ORDERS",
    "WRITE_FIELDS", "ComponentDose", "ComponentSpec", "FieldSpec", "RegisterMap", "RegisterMapError",
    "SlotBatch", "SlotReading", "ValueType", "load_register_map", "plan_requests",
]
