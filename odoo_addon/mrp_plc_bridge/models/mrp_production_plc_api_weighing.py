# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The RPC entry for the line's manual weighings (docs/api.md)."""
from odoo import _, api, models

from ..report_payload import ReportRejected
from ..weighing_payload import parse_weighing
from .mrp_production_plc_api import API_VERSION


class MrpProduction(models.Model):
    # The house rule splits a big model by concern, one file each.
    _inherit = "mrp.production"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def plc_report_manual_weighing(self, payload):
        self._plc_check_access()
        try:
            weighing = parse_weighing(payload)
            line = (
                self.env["mrp.plc.line"]
                .sudo()
                .with_context(active_test=False)
                .search([("code", "=", weighing.line)], limit=1)
            )
            if not line:
                raise ReportRejected(_("line: unknown PLC line %r.", weighing.line))
            return (
                self.env["mrp.plc.weighing"]
                .sudo()
                .with_company(line.company_id)
                ._plc_take_weighing(line, weighing)
            )
        except ReportRejected as error:
            return {
                "status": "rejected",
                "duplicate": False,
                "reason": error.reason,
                "api_version": API_VERSION,
            }
