# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The line's equipment failures, its responsible, and which MO ran at a given time."""
from odoo import api, fields, models


class MrpPlcLine(models.Model):
    # The house rule splits a big model by concern, one file each.
    _inherit = "mrp.plc.line"  # pylint: disable=consider-merging-classes-inherited

    responsible_id = fields.Many2one(
        "res.users",
        domain=[("share", "=", False)],
        help="Gets an activity for each failure the line reports. Without one, the "
        "administrator does.",
    )
    failure_ids = fields.One2many("mrp.plc.failure", "line_id", string="Failures")
    failure_open_count = fields.Integer(
        string="Open Failures", compute="_compute_failure_open_count"
    )

    @api.depends("failure_ids.state")
    def _compute_failure_open_count(self):
        data = self.env["mrp.plc.failure"].read_group(
            [("line_id", "in", self.ids), ("state", "!=", "resolved")],
            ["line_id"],
            ["line_id"],
        )
        counts = {d["line_id"][0]: d["line_id_count"] for d in data}
        for line in self:
            line.failure_open_count = counts.get(line.id, 0)

    def _plc_responsible_user(self):
        self.ensure_one()
        user = self.responsible_id
        if not user or not user.active or user.share:
            user = (
                self.env.ref("base.user_admin", raise_if_not_found=False)
                or self.env.user
            )
        return user

    def _plc_production_running_at(self, moment):
        """The MO whose batch ran on the line at ``moment``, as far as it is known.

        Start and end are the PLC's times, from the batch's report (only a sent MO
        has them); Odoo's own clock (``plc_sent_at``) is not compared with the PLC's.
        They come with the report, so a failure that arrives while
        its batch is still running finds no MO here; the report links it later
        (``mrp.production._plc_link_failures``).
        """
        self.ensure_one()
        return self.env["mrp.production"].search(
            [
                ("plc_line_id", "=", self.id),
                ("plc_started_at", "<=", moment),
                "|",
                ("plc_finished_at", "=", False),
                ("plc_finished_at", ">=", moment),
            ],
            order="plc_started_at desc, id desc",
            limit=1,
        )
