# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""One run of an MO on its line, as the line reported it: when, where in the PLC, how it ended.

The report workflow (mrp_production_plc_report.py) writes one for each report it accepts;
the MO's own PLC fields are those of its current run, and a failed run released again
keeps its record here, with why it failed. *Accept PLC actuals* adds who accepted a run
Odoo did not close by itself, and when. Nobody edits a run: what the line reported stays as
it reported it (corrections are entries of their own, mrp_plc_consumption_correction.py).
"""
from odoo import _, api, fields, models
from odoo.exceptions import UserError

RUN_STATUSES = [
    ("done", "Done"),
    ("recorded", "Recorded"),
    ("failed", "Failed"),
]
# What the line reported for the run; the acceptance is a person's, added afterwards.
REPORTED_FIELDS = (
    "production_id",
    "run",
    "batch_key",
    "status",
    "reason",
    "message",
    "suspect_text",
    "slot",
    "batch_number",
    "sent_at",
    "started_at",
    "finished_at",
    "reported_at",
    "finished_weight",
)


class MrpPlcRun(models.Model):
    _name = "mrp.plc.run"
    _description = "PLC Run of a Manufacturing Order"
    _order = "production_id, run, id"

    production_id = fields.Many2one(
        "mrp.production",
        string="Manufacturing Order",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(related="production_id.company_id", store=True)
    run = fields.Integer(readonly=True)
    batch_key = fields.Char(readonly=True)
    status = fields.Selection(
        RUN_STATUSES,
        readonly=True,
        help="How the line's report ended the run: Done (closed), Recorded (actuals kept, "
        "waiting for a person) or Failed.",
    )
    reason = fields.Text(
        readonly=True, help="Why the run was recorded or failed, as Odoo answered the line."
    )
    message = fields.Text(string="Line Message", readonly=True)
    suspect_text = fields.Text(
        string="Suspect Values",
        readonly=True,
        help="The values the line marked as suspect: where, the raw words, why.",
    )
    slot = fields.Integer(
        string="PLC Slot",
        readonly=True,
        help="The batch slot of the PLC's register map the run was written to; 0 when "
        "the agent did not say.",
    )
    batch_number = fields.Integer(
        string="PLC Batch Number",
        readonly=True,
        help="The rolling number the PLC knew the run by; 0 when the agent did not say.",
    )
    sent_at = fields.Datetime(string="Sent at", readonly=True)
    started_at = fields.Datetime(string="Started at", readonly=True)
    finished_at = fields.Datetime(string="Finished at", readonly=True)
    reported_at = fields.Datetime(string="Reported at", readonly=True)
    finished_weight = fields.Float(
        string="Finished Weight (kg)", digits="Stock Weight", readonly=True
    )
    accepted_by_id = fields.Many2one(
        "res.users",
        string="Accepted by",
        readonly=True,
        ondelete="restrict",
        help="Who closed the MO with this run's actuals (Accept PLC actuals).",
    )
    accepted_at = fields.Datetime(string="Accepted at", readonly=True)

    _sql_constraints = [
        (
            "production_run_unique",
            "unique(production_id, run)",
            "An MO's run is reported once.",
        ),
    ]

    def name_get(self):
        return [
            (run.id, _("%(mo)s run %(run)s", mo=run.production_id.name, run=run.run))
            for run in self
        ]

    @api.model
    def _plc_record(self, production, report, result, suspect_text):
        """The run of ``production`` the accepted ``report`` ended with ``result``."""
        return self.sudo().create(
            {
                "production_id": production.id,
                "run": production.plc_run,
                "batch_key": report.batch_key,
                "status": result["status"],
                "reason": result["reason"],
                "message": report.message,
                "suspect_text": suspect_text,
                "slot": report.slot or 0,
                "batch_number": report.batch_number or 0,
                "sent_at": production.plc_sent_at,
                "started_at": report.started_at,
                "finished_at": report.finished_at,
                "reported_at": production.plc_reported_at,
                "finished_weight": production.plc_finished_weight_actual,
            }
        )

    def write(self, vals):
        changed = [name for name in REPORTED_FIELDS if name in vals]
        if changed:
            raise UserError(
                _(
                    "%(run)s: %(field)s is what the PLC line reported and is never "
                    "changed. A wrong figure of a closed MO is corrected with Correct PLC "
                    "figures on the MO's PLC page.",
                    run=self[:1].display_name,
                    field=self._fields[changed[0]].string,
                )
            )
        return super().write(vals)
