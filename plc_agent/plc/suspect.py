"""Suspect values: what an ended read slot says that does not look like a real measurement.

A value that looks wrong (a 0xFFFF word, the extremes of a signed type, a negative or
non-finite number, more than ``ACTUAL_MAX_FACTOR`` x the plan, a planned silo missing) is
never a reason to stop the line: the batch is stored with it, acknowledged, and reported to
Odoo with the value marked suspect, naming the silo (None: the finished weight or another
word of the slot), the raw words and the reason, so that a person accepts or corrects it.
A real weight of 2621.43 kg (words 0x0003 0xFFFF) is suspect for the same reason as a real
sentinel: the words alone cannot tell them apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .register_map import RegisterMap, SlotReading

if TYPE_CHECKING:
    from ..queue.models import MoBatch

REASON_MAX = 499  # the report contract: a reason under 500 characters


@dataclass(frozen=True)
class SuspectValue:
    """One value of a batch that a person must look at."""

    silo: str | None  # Odoo's silo code; None = the finished weight or another word of the slot
    raw_words: tuple[int, ...]
    reason: str

    def as_report(self) -> dict[str, Any]:
        """The entry of ``plc_report_batch``'s ``suspect`` list."""
        return {"silo": self.silo, "raw_words": list(self.raw_words), "reason": self.reason[:REASON_MAX]}


@dataclass(frozen=True)
class EndedActuals:
    """What an ended batch reports, judged: the values to store and the suspect ones."""

    consumption: dict[int, float]  # component position -> quantity to report
    finished_weight: float | None  # None when the words are not a quantity
    suspect: tuple[SuspectValue, ...]


def _quantity(value: float) -> bool:
    return math.isfinite(value) and value >= 0


def judge_ended_reading(row: MoBatch, reading: SlotReading, register_map: RegisterMap,
                        factor: float) -> EndedActuals:
    """The actuals of an ended batch, each suspect value named with its raw words.

    A failed batch (status_operation = 1) may stop before a silo doses: a planned silo it
    does not report is simply not consumed. A finished one must report every planned silo.

    A suspect value is still reported when its decoded value is a quantity (finite, >= 0),
    otherwise as 0 (a component) or None (the finished weight), as the report contract says.
    """
    words = list(reading.words)
    comps = register_map.components
    suspect: list[SuspectValue] = []
    consumption: dict[int, float] = {}
    found: dict[int, int] = {}  # silo id -> first component position reporting it
    for k in range(comps.count):
        silo_words = words[comps.silo_at(k): comps.silo_at(k) + comps.silo_type.words]
        silo_id = comps.silo_type.decode(silo_words) if silo_words else 0
        if silo_id:
            found.setdefault(silo_id, k)
    planned_ids = {c.silo_id for c in row.components}
    finished = reading.status_operation != 1
    for comp in row.components:
        k = found.get(comp.silo_id)
        if k is None:
            if not finished:
                continue
            at = comps.silo_at(comp.position)
            raw = words[at: at + comps.stride]
            suspect.append(SuspectValue(comp.silo_code, tuple(raw),
                                        f"silo {comp.silo_code} planned but not reported by the PLC"))
            consumption[comp.position] = 0.0
            continue
        at = comps.quantity_at(k)
        raw = words[at: at + comps.quantity_type.words]
        value = float(comps.quantity_type.decode(raw))
        why = comps.quantity_type.implausible(raw)
        if why is None and _quantity(value) and value > factor * comp.planned_quantity + 1e-9:
            why = (f"{value:g} {comp.uom} is more than {factor:g} x the planned "
                   f"{comp.planned_quantity:g}")
        if why is None and not _quantity(value):
            why = f"{value!r} is not a quantity"
        if why:
            suspect.append(SuspectValue(comp.silo_code, tuple(raw), f"silo {comp.silo_code}: {why}"))
        consumption[comp.position] = value if _quantity(value) else 0.0
    for silo_id, k in sorted(found.items(), key=lambda item: item[1]):
        if silo_id not in planned_ids:
            at = comps.silo_at(k)
            raw = words[at: at + comps.stride]
            suspect.append(SuspectValue(None, tuple(raw),
                                        f"component {k + 1}: silo {silo_id} reported but not in the batch"))

    spec = register_map.read_fields["finished_weight"]
    raw = words[spec.offset: spec.end]
    decoded = float(spec.type.decode(raw))
    why = spec.type.implausible(raw)
    if why is None and _quantity(decoded) and decoded > factor * row.planned_quantity + 1e-9:
        why = f"{decoded:g} is more than {factor:g} x the planned {row.planned_quantity:g}"
    if why is None and not _quantity(decoded):
        why = f"{decoded!r} is not a quantity"
    if why:
        suspect.append(SuspectValue(None, tuple(raw), f"finished weight: {why}"))
    weight = decoded if _quantity(decoded) else None

    return EndedActuals(consumption, weight, tuple(suspect))
