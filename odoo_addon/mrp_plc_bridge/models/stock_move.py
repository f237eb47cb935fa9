# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class StockMove(models.Model):
    _inherit = "stock.move"

    plc_weighing_ids = fields.One2many(
        "mrp.plc.weighing",
        "move_id",
        string="PLC Manual Weighings",
        help="The manual weighing this extra component move was made for.",
    )
