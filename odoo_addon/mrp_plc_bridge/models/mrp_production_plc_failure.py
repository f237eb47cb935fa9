# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The failures that occurred while an MO's batch ran on its line."""
from odoo import api, fields, models


class MrpProduction(models.Model):
    # The house rule splits a big model by concern, one file each.
    _inherit = "mrp.production"  # pylint: disable=consider-merging-classes-inherited

    plc_failure_ids = fields.One2many(
        "mrp.plc.failure",
        "production_id",
        string="PLC Failures",
        readonly=True,
    )
    plc_failure_count = fields.Integer(
        string="PLC Failure Count", compute="_compute_plc_failure_count"
    )

    @api.depends("plc_failure_ids")
    def _compute_plc_failure_count(self):
        for production in self:
            production.plc_failure_count = len(production.plc_failure_ids)

    def _plc_apply_report(self, report, by_code):
        result = super()._plc_apply_report(report, by_code)
        self._plc_link_failures()
        return result

    def _plc_link_failures(self):
        """Give the failures reported while this batch ran, before its report, their MO."""
        self.ensure_one()
        if not self.plc_started_at:
            return
        domain = [
            ("line_id", "=", self.plc_line_id.id),
            ("production_id", "=", False),
            ("occurred_at", ">=", self.plc_started_at),
        ]
        if self.plc_finished_at:
            domain.append(("occurred_at", "<=", self.plc_finished_at))
        self.env["mrp.plc.failure"].search(domain).write({"production_id": self.id})
