# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    # The other side of the line's plc_agent_user_ids: the lines an agent user speaks for.
    plc_agent_line_ids = fields.Many2many(
        "mrp.plc.line",
        "mrp_plc_line_agent_user_rel",
        "user_id",
        "line_id",
        string="PLC Lines (Agent)",
        copy=False,
    )
