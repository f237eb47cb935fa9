# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class MrpPlcAgentAccess(models.TransientModel):
    """Agent access, step 1: say what will happen, then make the user and the key."""

    _name = "mrp.plc.agent.access"
    _description = "PLC Line Agent Access"

    line_id = fields.Many2one(
        "mrp.plc.line", string="PLC Line", required=True, readonly=True, ondelete="cascade"
    )
    agent_user_id = fields.Many2one(related="line_id.plc_agent_user_id")
    agent_login = fields.Char(compute="_compute_agent_login")

    # Without its dependency the form's first onchange computes it before the line is
    # set, and keeps that blank.
    @api.depends("line_id")
    def _compute_agent_login(self):
        for wizard in self:
            # The login the button will give the key to (another line's is never reused).
            wizard.agent_login = wizard.line_id._plc_agent_user_to_grant()[1]

    def action_issue_key(self):
        """Make the agent user (or reuse it), revoke its old keys, show the new key once."""
        self.ensure_one()
        user, key = self.line_id._plc_agent_grant_access()
        return {
            "type": "ir.actions.act_window",
            "name": "API key of %s" % user.login,
            "res_model": "mrp.plc.agent.key",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            # Never stored: the form shows the key from these defaults, as Odoo's own
            # "New API Key" does.
            "context": {
                "default_login": user.login,
                "default_key": key,
                "default_env_lines": self.line_id._plc_agent_env_lines(user, key),
            },
        }


class MrpPlcAgentKey(models.AbstractModel):
    """Agent access, step 2: the key, shown once, with the agent's .env lines."""

    _name = "mrp.plc.agent.key"
    _description = "PLC Agent API Key"

    login = fields.Char(readonly=True)
    key = fields.Char(string="API Key", readonly=True)
    env_lines = fields.Text(string=".env Lines", readonly=True)
