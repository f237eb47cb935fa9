# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""How well the line runs, in Odoo's own terms: its work center's time log.

Each reported batch is productive time from the PLC's start to its finish; an equipment
failure is an availability loss from its time until the next batch starts, left open (no
end) meanwhile so that Odoo shows the work center as blocked. Odoo then computes the work
center's OEE, blocked time and productivity analysis from these entries itself.

Plain Python called by the line (``_plc_log_batch_time``, ``_plc_log_failure_time``),
not a model; the line's ``workcenter_id`` says where the time goes.
"""
from odoo import _

BATCH_LOSS = "mrp_plc_bridge.loss_plc_batch"
FAILURE_LOSS = "mrp_plc_bridge.loss_plc_equipment_failure"


class LineTimeLog:
    """The time log of one line's work center."""

    def __init__(self, line):
        line.ensure_one()
        self.line = line
        self.env = line.env
        self.entries = self.env["mrp.workcenter.productivity"].sudo()

    def log_batch(self, production, started_at, finished_at):
        """Log a reported batch's run as productive time; it ends the open failures."""
        workcenter = self.line.workcenter_id
        if not workcenter or not started_at or not finished_at:
            return
        if finished_at < started_at:
            # A PLC clock gone wrong must not stop the report: no time logged.
            return
        self._end_failure_losses(started_at)
        self.entries.create(
            {
                "workcenter_id": workcenter.id,
                "company_id": workcenter.company_id.id or self.line.company_id.id,
                "loss_id": self.env.ref(BATCH_LOSS).id,
                "date_start": started_at,
                "date_end": finished_at,
                "description": _("PLC batch of %s", production.name),
            }
        )

    def log_failure(self, occurred_at, description):
        """Open an availability loss from a failure's time; the next batch ends it."""
        workcenter = self.line.workcenter_id
        if not workcenter or not occurred_at:
            return self.entries
        # A failure reported late may already have a batch after it: that start ends it.
        next_batch = self.entries.search(
            [
                ("workcenter_id", "=", workcenter.id),
                ("loss_id", "=", self.env.ref(BATCH_LOSS).id),
                ("date_start", ">=", occurred_at),
            ],
            order="date_start",
            limit=1,
        )
        return self.entries.create(
            {
                "workcenter_id": workcenter.id,
                "company_id": workcenter.company_id.id or self.line.company_id.id,
                "loss_id": self.env.ref(FAILURE_LOSS).id,
                "date_start": occurred_at,
                "date_end": next_batch.date_start or False,
                "description": description,
            }
        )

    def _end_failure_losses(self, next_start):
        """End the line's open failure losses that began before the next batch."""
        self.entries.search(
            [
                ("workcenter_id", "=", self.line.workcenter_id.id),
                ("loss_id", "=", self.env.ref(FAILURE_LOSS).id),
                ("date_end", "=", False),
                ("date_start", "<=", next_start),
            ]
        ).write({"date_end": next_start})
