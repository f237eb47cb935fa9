"""The PLC's memory: value codecs, the slot layout with its request plans, the TOML loader.

* :mod:`.codecs` -- :class:`ValueType`: a value in 16-bit words (pymodbus packs the raw
  numbers; scaling, sentinels and strict ASCII are the line's rules);
* :mod:`.layout` -- :class:`RegisterMap`: where each field of each slot lies, slot
  encoding and decoding, :func:`plan_requests`;
* :mod:`.report_areas` -- :class:`ReportArea`: the failure and manual-weighing areas, one
  report at a time with its own handshake word;
* :mod:`.loader` -- :func:`load_register_map`: a TOML file, checked before use; two are
  packaged (:data:`PACKAGED_MAPS`): the shipped default with the batch number at offset 77
  (``default_register_map.toml``) and the old PLC program's layout without it
  (``old_program_register_map.toml``).
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
from .loader import MAX_ADDRESS, PACKAGED_MAPS, load_register_map, packaged_map_path
from .report_areas import AreaReading, ReportArea

__all__ = [
    "ALL_TYPES", "AreaReading", "FIELD_NAMES", "ReportArea", "MAX_ADDRESS", "MAX_READ_REGISTERS", "MAX_WRITE_REGISTERS",
    "NUMERIC_TYPES", "READ_FIELDS", "STATUS_FIELDS", "TEXT_FIELDS", "TEXT_TYPES", "WORD_ORDERS",
    "WRITE_FIELDS", "ComponentDose", "ComponentSpec", "FieldSpec", "RegisterMap", "RegisterMapError",
    "SlotBatch", "SlotReading", "ValueType", "load_register_map", "plan_requests",
    "PACKAGED_MAPS", "packaged_map_path",
]
