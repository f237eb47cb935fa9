# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class MrpPlcLotChoiceShare(models.TransientModel):
    """One lot of a Choose lots wizard and how much of the silo's actual it takes."""

    _name = "mrp.plc.lot.choice.share"
    _description = "PLC Batch Lot Choice Line"

    choice_id = fields.Many2one(
        "mrp.plc.lot.choice", required=True, ondelete="cascade"
    )
    product_id = fields.Many2one(related="choice_id.product_id")
    lot_id = fields.Many2one(
        "stock.production.lot", domain="[('product_id', '=', product_id)]"
    )
    plc_qty = fields.Float(
        string="Quantity", digits="Product Unit of Measure", help="In the silo's unit."
    )
