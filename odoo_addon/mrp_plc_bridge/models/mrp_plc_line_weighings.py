# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The line's weighing station: the manual weighings it reported and what is plausible."""
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class MrpPlcLine(models.Model):
    # The house rule splits a big model by concern, one file each.
    _inherit = "mrp.plc.line"  # pylint: disable=consider-merging-classes-inherited

    weighing_max_qty = fields.Float(
        string="Largest Manual Weighing (kg)",
        default=1000.0,
        help="A manual weighing above this is implausible: it is kept for a person "
        "instead of being consumed. 0: no upper limit.",
    )
    weighing_ids = fields.One2many("mrp.plc.weighing", "line_id", string="Weighings")
    weighing_kept_count = fields.Integer(
        string="Kept Weighings", compute="_compute_weighing_kept_count"
    )

    @api.depends("weighing_ids.state")
    def _compute_weighing_kept_count(self):
        data = self.env["mrp.plc.weighing"].read_group(
            [("line_id", "in", self.ids), ("state", "=", "kept")],
            ["line_id"],
            ["line_id"],
        )
        counts = {d["line_id"][0]: d["line_id_count"] for d in data}
        for line in self:
            line.weighing_kept_count = counts.get(line.id, 0)

    @api.constrains("weighing_max_qty")
    def _check_weighing_max_qty(self):
        for line in self:
            if line.weighing_max_qty < 0:
                raise ValidationError(
                    _(
                        "Line %s: the largest manual weighing cannot be negative.",
                        line.code,
                    )
                )
