# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""How well the line runs, in Odoo's own terms: its work center's time log.

Each reported batch is productive time from the PLC's start to its finish; an equipment
failure is an availability loss from its time until the next batch starts, left open (no
end) meanwhile so that Odoo shows the work center as blocked. Odoo then computes the work
center's OEE, blocked time and productivity analysis from these entries itself.
"""
from odoo import _, fields, models

BATCH_LOSS = "mrp_plc_bridge.loss_plc_batch"
FAILURE_LOSS = "mrp_plc_bridge.loss_plc_equipment_failure"


class MrpPlcLine(models.Model):
    # The house rule splits a big model by concern, one file each.
    _inherit = "mrp.plc.line"  # pylint: disable=consider-merging-classes-inherited

    workcenter_id = fields.Many2one(
        "mrp.workcenter",
        string="Work Center",
        check_company=True,
        help="Each batch the line reports is logged on this work center as productive "
        "time, each equipment failure as an availability loss: the work center's OEE "
        "is then the line's.",
    )
    plc_oee = fields.Float(related="workcenter_id.oee", string="OEE")

    def _plc_time_log(self):
        return self.env["mrp.workcenter.productivity"].sudo()

    def _plc_log_batch_time(self, production, started_at, finished_at):
        """Log a reported batch's run as productive time; it ends the open failures."""
        self.ensure_one()
        workcenter = self.workcenter_id
        if not workcenter or not started_at or not finished_at:
            return
        if finished_at < started_at:
            # A PLC clock gone wrong must not stop the report: no time logged.
            return
        self._plc_end_failure_losses(started_at)
        self._plc_time_log().create(
            {
                "workcenter_id": workcenter.id,
                "company_id": workcenter.company_id.id or self.company_id.id,
                "loss_id": self.env.ref(BATCH_LOSS).id,
                "date_start": started_at,
                "date_end": finished_at,
                "description": _("PLC batch of %s", production.name),
            }
        )

    def _plc_log_failure_time(self, occurred_at, description):
        """Open an availability loss from a failure's time; the next batch ends it."""
        self.ensure_one()
        workcenter = self.workcenter_id
        if not workcenter or not occurred_at:
            return self._plc_time_log()
        # A failure reported late may already have a batch after it: that start ends it.
        next_batch = self._plc_time_log().search(
            [
                ("workcenter_id", "=", workcenter.id),
                ("loss_id", "=", self.env.ref(BATCH_LOSS).id),
                ("date_start", ">=", occurred_at),
            ],
            order="date_start",
            limit=1,
        )
        return self._plc_time_log().create(
            {
                "workcenter_id": workcenter.id,
                "company_id": workcenter.company_id.id or self.company_id.id,
                "loss_id": self.env.ref(FAILURE_LOSS).id,
                "date_start": occurred_at,
                "date_end": next_batch.date_start or False,
                "description": description,
            }
        )

    def _plc_end_failure_losses(self, next_start):
        """End the line's open failure losses that began before the next batch."""
        self.ensure_one()
        self._plc_time_log().search(
            [
                ("workcenter_id", "=", self.workcenter_id.id),
                ("loss_id", "=", self.env.ref(FAILURE_LOSS).id),
                ("date_end", "=", False),
                ("date_start", "<=", next_start),
            ]
        ).write({"date_end": next_start})
