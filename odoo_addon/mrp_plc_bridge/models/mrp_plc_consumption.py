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
    plc_uom_id = fields.Many2one(
        "uom.uom",
        string="PLC Unit",
        readonly=True,
        help="The unit the silo was dosed in when the MO was sent.",
    )
    plc_planned_qty = fields.Float(
        string="Planned (PLC)",
        digits="Product Unit of Measure",
        readonly=True,
        help="The planned quantity as sent to the PLC, in the PLC unit.",
    )
    plc_actual_qty = fields.Float(
        string="Actual (PLC)",
        digits="Product Unit of Measure",
        readonly=True,
        help="The actual quantity as the line reported it, in the PLC unit.",
    )
    reported = fields.Boolean(help="The line reported the actual quantity.")
    suspect = fields.Boolean(
        readonly=True, help="The line marked this actual as suspect."
    )
    suspect_reason = fields.Char(
        readonly=True, help="Why the line took the value for suspect, and its raw words."
    )
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

    def _plc_qty_from_plc(self, qty):
        """A quantity in the PLC unit the line was sent in, in the line's UoM.

        Lines frozen before PLC units existed were sent in their own UoM.
        """
        self.ensure_one()
        return self.product_id._plc_qty_from_plc(
            qty, self.plc_uom_id or self.product_uom_id, self.product_uom_id
        )

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
