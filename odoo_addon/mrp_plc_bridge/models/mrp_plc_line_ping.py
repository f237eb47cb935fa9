# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What a line's agent said at each health ping: the line's health history.

A model of its own rather than the line's chatter: an agent pings every minute, which
would bury the chatter's human messages under 1440 lines a day and send each one to the
line's followers. Rows older than a week are pruned by the watch cron
(mrp_plc_line_health.py).
"""
from odoo import fields, models


class MrpPlcLinePing(models.Model):
    _name = "mrp.plc.line.ping"
    _description = "PLC Line Health Ping"
    _order = "seen_at desc, id desc"
    _rec_name = "seen_at"

    line_id = fields.Many2one(
        "mrp.plc.line", string="PLC Line", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="line_id.company_id", store=True)
    seen_at = fields.Datetime(required=True, index=True, readonly=True)
    agent_version = fields.Char(readonly=True)
    plc_up = fields.Selection(
        [("up", "Up"), ("down", "Down")],
        string="PLC Link",
        readonly=True,
        help="Empty when the agent did not say.",
    )
    plc_last_error = fields.Char(string="PLC Error", readonly=True)
    plc_last_good_read_at = fields.Datetime(string="Last Good PLC Read", readonly=True)
    queued = fields.Integer(readonly=True)
    running = fields.Integer(readonly=True)
    held = fields.Integer(readonly=True)
    stuck = fields.Integer(readonly=True)
    running_mo = fields.Char(string="Running MO", readonly=True)
    unsent_batches = fields.Integer(readonly=True)
