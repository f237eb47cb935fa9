"""A batch at each boundary it crosses, and the conversions between them.

Odoo's answer (:class:`FetchedBatch`, checked by the gateway) -> a queue row
(:class:`~plc_agent.queue.models.MoBatch`, :meth:`FetchedBatch.queue_row`) -> a PLC slot
(:class:`~plc_agent.plc.register_map.SlotBatch`, :func:`slot_batch`) -> the report to Odoo
(:func:`report_payload`) -> Odoo's answer to it (:class:`ReportResult`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .plc.register_map import ComponentDose, RegisterMap, RegisterMapError, SlotBatch
from .queue.models import BatchState, MoBatch, MoBatchComponent, Outcome

MAX_SILO_ID = 0xFFFF


def silo_id(code: str) -> int | None:
    """The PLC's number for a silo Odoo names ``code``; None if it has none (1..65535)."""
    text = code.strip()
    if not text.isdigit():
        return None
    value = int(text)
    return value if 1 <= value <= MAX_SILO_ID else None


@dataclass(frozen=True)
class FetchedComponent:
    """One silo's planned dose, as ``plc_fetch_batches`` gives it."""

    silo: str  # Odoo's silo code
    product_code: str
    product_name: str
    quantity: float
    uom: str


@dataclass(frozen=True)
class FetchedBatch:
    """One MO as ``plc_fetch_batches`` gives it (docs/architecture.md, section 1)."""

    mo_id: int  # Odoo's record id
    mo_name: str  # WH/MO/00042
    run: int
    batch_key: str
    redelivered: bool
    product_code: str
    product_name: str
    quantity: float  # planned finished quantity, in uom
    uom: str
    bom_code: str
    line: str
    date_planned_start: str | None
    components: tuple[FetchedComponent, ...]

    def queue_row(self, slot: int, now: datetime) -> MoBatch:
        """The batch as the queue stores it for PLC slot ``slot``."""
        row = MoBatch(
            slot=slot,
            mo_name=self.mo_name,
            odoo_mo_id=self.mo_id,
            batch_key=self.batch_key,
            run=self.run,
            planned_quantity=self.quantity,
            line_code=self.line,
            finished_goods=self.product_name or self.product_code,
            bom_code=self.bom_code,
            product_code=self.product_code,
            uom=self.uom,
            date_planned_start=self.date_planned_start,
            redelivered=self.redelivered,
            plc_excluded=False,
            state=BatchState.QUEUED,
            status_manufacturing=False,
            status_operation=False,
            push_attempts=0,
            created_at=now,
        )
        for position, comp in enumerate(self.components):
            row.components.append(MoBatchComponent(
                position=position,
                silo_code=comp.silo,
                silo_id=silo_id(comp.silo),
                product_code=comp.product_code,
                product_name=comp.product_name,
                uom=comp.uom,
                planned_quantity=comp.quantity,
            ))
        return row


def slot_batch(row: MoBatch) -> SlotBatch:
    """The queue row as the PLC's write area holds it."""
    return SlotBatch(
        batch_no=row.slot,
        batch_number=row.plc_number,
        mo_reference=row.mo_name,
        bom_code=row.bom_code,
        finished_goods=row.finished_goods,
        planned_quantity=row.planned_quantity,
        components=tuple(
            ComponentDose(silo_id=int(c.silo_id or 0), quantity=c.planned_quantity)
            for c in row.components
        ),
    )


def slot_problem(row: MoBatch, register_map: RegisterMap) -> str | None:
    """Why the queue row cannot be written to a PLC slot of ``register_map``, or None."""
    bad = [c.silo_code for c in row.components if c.silo_id is None]
    if bad:
        return (f"silo code(s) {', '.join(repr(b) for b in bad)} are not whole numbers from "
                f"1 to {MAX_SILO_ID}, which the PLC needs")
    if len(row.components) > register_map.max_components:
        return (f"{len(row.components)} components, the PLC slot has room for "
                f"{register_map.max_components}")
    try:
        register_map.encode_slot(slot_batch(row))
    except (ValueError, RegisterMapError) as exc:
        return str(exc)
    return None


def report_payload(row: MoBatch) -> dict[str, Any]:
    """``plc_report_batch``'s payload; built only from stored values, so a retry is identical."""
    done = row.state == BatchState.FINISHED
    consumption = [
        {"silo": c.silo_code, "quantity": round(float(c.actual_quantity), 3)}
        for c in row.components
        if c.actual_quantity is not None
    ]
    if done:
        finished = round(row.finished_weight, 3) if row.finished_weight is not None else None
    else:
        finished = round(row.finished_weight or 0.0, 3)
    payload = {
        "mo_id": row.odoo_mo_id,
        "line": row.line_code,
        "batch_key": row.batch_key,
        "consumption": consumption,
        "finished_quantity": finished,
        "status": "done" if done else "failed",
        "started_at": row.started_at.isoformat() if row.started_at else None,
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
        "message": row.message,
    }
    if row.suspect:
        # Absent when nothing is suspect: a report stored before suspect values existed is
        # sent again with exactly its first payload.
        payload["suspect"] = [dict(entry) for entry in row.suspect]
    if not row.plc_excluded:
        # Where the PLC ran it, for the MO's batch record; Odoo keeps them outside the digest.
        payload["slot"] = row.slot
        payload["batch_number"] = row.batch_number
    return payload


@dataclass(frozen=True)
class ReportResult:
    """Odoo's answer to ``plc_report_batch``; ``answer`` is kept as it came, for the history."""

    status: Outcome  # done / recorded / failed / rejected
    mo_state: str | None
    reason: str | None
    duplicate: bool
    answer: dict[str, Any]
