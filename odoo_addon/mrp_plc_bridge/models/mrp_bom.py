# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class MrpBom(models.Model):
    _inherit = "mrp.bom"

    plc_line_id = fields.Many2one(
        "mrp.plc.line",
        string="PLC Line",
        help="The PLC line new manufacturing orders of this BoM go to.",
    )
