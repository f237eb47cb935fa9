# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class MrpPlcConsumption(models.Model):
    _name = "mrp.plc.consumption"
    _description = "PLC Consumption Line"
    _order = "production_id, run, sequence, id"

    production_id = fields.Many2one(
        "mrp.production",
        string="Manufacturing Order",
        required=True,
        ondelete="cascade",
        index=True,
    )
    line_id = fields.Many2one(
        related="production_id.plc_line_id", store=True, string="PLC Line"
    )
    company_id = fields.Many2one(
        related="production_id.company_id", store=True
    )
    run = fields.Integer(default=1)
    sequence = fields.Integer(default=10)
    silo_id = fields.Many2one("mrp.plc.silo", ondelete="restrict")
    silo_code = fields.Char(help="The silo's code when the MO was sent.")
    product_id = fields.Many2one("product.product", string="Component")
    product_uom_id = fields.Many2one("uom.uom", string="Unit of Measure")
    move_ids = fields.Many2many(
        "stock.move",
        "mrp_plc_consumption_stock_move_rel",
        "consumption_id",
        "move_id",
        string="Component Moves",
    )
    planned_qty = fields.Float(
        string="Planned", digits="Product Unit of Measure", readonly=True
    )
    actual_qty = fields.Float(string="Actual", digits="Product Unit of Measure")
    reported = fields.Boolean(help="The line reported the actual quantity.")
    deviation_qty = fields.Float(
        string="Deviation",
        digits="Product Unit of Measure",
        compute="_compute_deviation",
        store=True,
    )
    deviation_percent = fields.Float(
        string="Deviation (%)",
        digits=(16, 2),
        compute="_compute_deviation",
        store=True,
        group_operator="avg",
    )
    tolerance_exceeded = fields.Boolean(compute="_compute_deviation", store=True)

    @api.depends(
        "planned_qty", "actual_qty", "reported", "line_id.consumption_tolerance"
    )
    def _compute_deviation(self):
        for rec in self:
            if not rec.reported:
                rec.deviation_qty = 0.0
                rec.deviation_percent = 0.0
                rec.tolerance_exceeded = False
                continue
            rec.deviation_qty = rec.actual_qty - rec.planned_qty
            if rec.planned_qty:
                rec.deviation_percent = rec.deviation_qty / rec.planned_qty * 100.0
            else:
                rec.deviation_percent = 100.0 if rec.actual_qty else 0.0
            rec.tolerance_exceeded = abs(rec.deviation_percent) > (
                rec.line_id.consumption_tolerance or 0.0
            )
