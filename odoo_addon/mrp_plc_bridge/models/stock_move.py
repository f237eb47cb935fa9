# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models
from odoo.tools import float_is_zero


class StockMove(models.Model):
    _inherit = "stock.move"

    plc_weighing_ids = fields.One2many(
        "mrp.plc.weighing",
        "move_id",
        string="PLC Manual Weighings",
        help="The manual weighing this extra component move was made for.",
    )
    # When an MO closes, Odoo books a component dosed over plan as an extra move of the
    # excess, and lowers the demand of one dosed short of plan to what was dosed, keeping
    # the rest as an empty move: the Components tab then lists the product twice (40.00
    # and 0.77). This column says which row is which.
    plc_dose_role = fields.Selection(
        [
            ("planned", "Plan"),
            ("over_plan", "Over plan"),
            ("short_of_plan", "Short of plan"),
            ("weighed", "Weighed by hand"),
            ("off_line", "Not on a silo"),
        ],
        string="PLC Dose",
        compute="_compute_plc_dose_role",
        help="Plan: the component's planned move; the line's actual is booked on it up "
        "to the plan (after an underdose Odoo lowers its quantity to what was dosed). "
        "Over plan: what the line dosed beyond the plan, booked by Odoo as an extra "
        "move. Short of plan: the rest of the plan the line did not dose, left empty. "
        "Weighed by hand: a manual weighing at the line. Not on a silo: no silo of the "
        "line holds the component.",
    )

    @api.depends(
        "state",
        "quantity_done",
        "plc_weighing_ids",
        "raw_material_production_id.plc_line_id",
        "raw_material_production_id.plc_consumption_ids.move_ids",
    )
    def _compute_plc_dose_role(self):
        for move in self:
            production = move.raw_material_production_id
            if not production.plc_line_id:
                move.plc_dose_role = False
                continue
            consumptions = production.plc_consumption_ids
            if move.plc_weighing_ids:
                move.plc_dose_role = "weighed"
            elif move.id in consumptions.move_ids.ids or not consumptions:
                # Before the MO is sent its moves are simply the plan.
                move.plc_dose_role = "planned"
            elif move.product_id not in consumptions.product_id:
                move.plc_dose_role = "off_line"
            elif move.state == "cancel" or float_is_zero(
                move.quantity_done, precision_rounding=move.product_uom.rounding
            ):
                move.plc_dose_role = "short_of_plan"
            else:
                move.plc_dose_role = "over_plan"
