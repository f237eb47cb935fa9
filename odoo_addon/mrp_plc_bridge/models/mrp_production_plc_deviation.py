# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The MO's largest consumption deviation, for the planners' list and kanban."""
from odoo import api, fields, models


class MrpProduction(models.Model):
    # The house rule splits a big model by concern, one file each.
    _inherit = "mrp.production"  # pylint: disable=consider-merging-classes-inherited

    plc_max_deviation_percent = fields.Float(
        string="Largest Deviation (%)",
        digits=(16, 2),
        compute="_compute_plc_max_deviation",
        store=True,
        copy=False,
        help="The reported silo or tank of this MO that deviates most from plan, with "
        "its sign: positive is an overdose.",
    )
    plc_tolerance_exceeded = fields.Boolean(
        string="Beyond Tolerance",
        compute="_compute_plc_max_deviation",
        store=True,
        copy=False,
    )

    @api.depends(
        "plc_consumption_ids.deviation_percent",
        "plc_consumption_ids.reported",
        "plc_consumption_ids.tolerance_exceeded",
    )
    def _compute_plc_max_deviation(self):
        for production in self:
            reported = production.plc_consumption_ids.filtered("reported")
            largest = max(
                reported.mapped("deviation_percent"), key=abs, default=0.0
            )
            production.plc_max_deviation_percent = largest
            production.plc_tolerance_exceeded = any(
                reported.mapped("tolerance_exceeded")
            )
