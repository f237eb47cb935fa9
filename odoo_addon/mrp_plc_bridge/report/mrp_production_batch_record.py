# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models


class ReportBatchRecord(models.AbstractModel):
    """The printed batch record of MOs (PDF and HTML): the values of each MO's record."""

    _name = "report.mrp_plc_bridge.report_batch_record"
    _description = "PLC Batch Record"

    @api.model
    def _get_report_values(self, docids, data=None):
        productions = self.env["mrp.production"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "mrp.production",
            "docs": productions,
            "records": {
                production.id: production._plc_batch_record()
                for production in productions
            },
        }
