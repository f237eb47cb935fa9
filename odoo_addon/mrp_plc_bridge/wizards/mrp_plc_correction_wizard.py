# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import UserError


class MrpPlcCorrectionWizard(models.TransientModel):
    """Correct PLC figures: a manager records a correction of a done MO's reported figure.

    The correction itself (mrp.plc.consumption.correction) checks who may make it and what
    it may correct; this only asks for the figure, the value and the reason.
    """

    _name = "mrp.plc.correction.wizard"
    _description = "Correct PLC Figures"

    production_id = fields.Many2one(
        "mrp.production",
        string="Manufacturing Order",
        required=True,
        readonly=True,
        ondelete="cascade",
    )
    target = fields.Selection(
        [("silo", "A silo's actual"), ("finished_weight", "The finished weight")],
        string="Figure",
        required=True,
        default="silo",
    )
    consumption_id = fields.Many2one(
        "mrp.plc.consumption",
        string="Silo",
        domain="[('production_id', '=', production_id), ('reported', '=', True)]",
        ondelete="cascade",
    )
    current_value = fields.Float(
        string="Now",
        digits="Product Unit of Measure",
        compute="_compute_current",
        help="The figure as the line reported it, or as the last correction left it.",
    )
    uom_id = fields.Many2one("uom.uom", string="Unit", compute="_compute_current")
    new_value = fields.Float(string="Corrected to", digits="Product Unit of Measure")
    reason = fields.Text(required=True)

    @api.depends("target", "consumption_id", "production_id")
    def _compute_current(self):
        for wizard in self:
            if wizard.target == "finished_weight":
                wizard.current_value = wizard.production_id._plc_corrected_finished_weight()
                wizard.uom_id = wizard.production_id.plc_line_id._plc_weight_uom()
            elif wizard.consumption_id:
                consumption = wizard.consumption_id
                wizard.current_value = consumption._plc_corrected_actual()
                wizard.uom_id = consumption.plc_uom_id or consumption.product_uom_id
            else:
                wizard.current_value = 0.0
                wizard.uom_id = False

    def action_record(self):
        self.ensure_one()
        if self.target == "silo" and not self.consumption_id:
            raise UserError(_("Choose the silo whose actual is corrected."))
        self.env["mrp.plc.consumption.correction"].create(
            {
                "production_id": self.production_id.id,
                "consumption_id": self.consumption_id.id
                if self.target == "silo"
                else False,
                "new_value": self.new_value,
                "reason": self.reason,
            }
        )
        return {"type": "ir.actions.act_window_close"}
