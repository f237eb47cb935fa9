# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What a line reports once per key: an equipment failure, a manual weighing.

The agent may send a report again (a lost answer, a restart), so each is stored once per
line and key: the same key answers with the stored record. Where the key does not name
the content by itself (a weighing's key is the agent's, a failure's is made of what
failed and when), a digest of the payload tells a repeat from a different payload under a
key already used, which is refused: the first report stands.
"""
from odoo import _, api, fields, models

from ..payloads.checks import ReportRejected


class MrpPlcLineReport(models.AbstractModel):
    _name = "mrp.plc.line.report"
    _description = "PLC Line Report, Stored Once per Key"
    # Each report names the field of its key, and of its payload's digest (False: the
    # key alone names the content).
    _plc_key_field = None
    _plc_digest_field = False

    line_id = fields.Many2one(
        "mrp.plc.line",
        string="PLC Line",
        required=True,
        ondelete="restrict",
        index=True,
        readonly=True,
    )
    company_id = fields.Many2one(related="line_id.company_id", store=True)

    @api.model
    def _plc_reported_before(self, line, key, digest=None):
        """The record the line already reported under ``key``, or an empty recordset.

        Raises ``ReportRejected`` when the key came with a different payload.
        """
        record = self.search(
            [("line_id", "=", line.id), (self._plc_key_field, "=", key)], limit=1
        )
        if record and self._plc_digest_field and record[self._plc_digest_field] != digest:
            raise ReportRejected(
                _(
                    "%(field)s: %(key)s was already reported with a different payload; "
                    "the first report stands.",
                    field=self._plc_key_field,
                    key=key,
                )
            )
        return record

    @api.model
    def _plc_create_reported(self, line, key, values, digest=None):
        """The record of a report the line sends for the first time."""
        values = dict(values, line_id=line.id)
        values[self._plc_key_field] = key
        if self._plc_digest_field:
            values[self._plc_digest_field] = digest
        return self.create(values)
