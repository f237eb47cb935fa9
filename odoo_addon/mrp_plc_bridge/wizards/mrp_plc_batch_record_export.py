# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import base64
import datetime

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from .mrp_plc_batch_record_csv import BatchRecordCsv


class MrpPlcBatchRecordExport(models.TransientModel):
    """Batch records of a date range as CSV: the MOs whose batch finished in the range."""

    _name = "mrp.plc.batch.record.export"
    _description = "Export PLC Batch Records"

    date_from = fields.Date(
        string="From",
        required=True,
        default=lambda self: fields.Date.context_today(self).replace(day=1),
    )
    date_to = fields.Date(
        string="To",
        required=True,
        default=fields.Date.context_today,
        help="Included: the batches that finished on this day are in the export.",
    )
    line_ids = fields.Many2many(
        "mrp.plc.line",
        string="PLC Lines",
        help="The lines whose batches are exported; all lines when empty.",
    )
    attachment_id = fields.Many2one("ir.attachment", readonly=True)

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for export in self:
            if export.date_to < export.date_from:
                raise ValidationError(
                    _(
                        "The range ends (%(end)s) before it starts (%(start)s).",
                        end=export.date_to,
                        start=export.date_from,
                    )
                )

    def _productions(self):
        """The MOs the line reported whose batch finished in the range, in the user's
        days: by the PLC's finish time, or by the report's time when the PLC gave none."""
        self.ensure_one()
        start, end = self._utc_bounds()
        domain = [
            ("plc_reported_at", "!=", False),
            "|",
            "&",
            ("plc_finished_at", "!=", False),
            "&",
            ("plc_finished_at", ">=", start),
            ("plc_finished_at", "<", end),
            "&",
            ("plc_finished_at", "=", False),
            "&",
            ("plc_reported_at", ">=", start),
            ("plc_reported_at", "<", end),
        ]
        if self.line_ids:
            domain.append(("plc_line_id", "in", self.line_ids.ids))
        productions = self.env["mrp.production"].search(domain)
        return productions.sorted(
            lambda p: (
                p.plc_line_id.code,
                p.plc_finished_at or p.plc_reported_at,
                p.name,
            )
        )

    def _utc_bounds(self):
        """The range's first and last day, whole, in the user's time zone, as UTC."""
        tz = pytz.timezone(self.env.user.tz or "UTC")
        bounds = []
        for day in (self.date_from, self.date_to + datetime.timedelta(days=1)):
            local = tz.localize(datetime.datetime.combine(day, datetime.time.min))
            bounds.append(local.astimezone(pytz.utc).replace(tzinfo=None))
        return bounds

    def action_export(self):
        self.ensure_one()
        productions = self._productions()
        if not productions:
            raise UserError(
                _(
                    "No batch of %(lines)s finished from %(start)s to %(end)s.",
                    lines=", ".join(self.line_ids.mapped("code")) or _("any PLC line"),
                    start=self.date_from,
                    end=self.date_to,
                )
            )
        text = BatchRecordCsv(self.env).build(productions)
        name = "batch-records-%s-%s.csv" % (self.date_from, self.date_to)
        self.attachment_id = self.env["ir.attachment"].create(
            {
                "name": name,
                "datas": base64.b64encode(text.encode("utf-8")),
                "mimetype": "text/csv",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": "/web/content/%d?download=true" % self.attachment_id.id,
            "target": "self",
        }
