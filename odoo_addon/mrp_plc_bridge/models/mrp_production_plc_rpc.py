# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The RPC surface the line's agent calls (docs/api.md).

Thin entries: they check the caller and the arguments, then hand over to the record
that does the work, the line for a fetch and the MO for a report.
"""
from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..ping_status import PingRejected, parse_status
from ..report_payload import ReportRejected, parse_report

API_VERSION = 1
MAX_FETCH_LIMIT = 100


class MrpProduction(models.Model):
    # The house rule splits a big model by concern, one file each.
    _inherit = "mrp.production"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def plc_ping(self, line_code, status=None):
        self._plc_check_access()
        self._plc_check_line_code(line_code)
        try:
            status = parse_status(status)
        except PingRejected as error:
            raise UserError(error.reason)
        line = (
            self.env["mrp.plc.line"]
            .sudo()
            .with_context(active_test=False)
            .search([("code", "=", line_code)], limit=1)
        )
        answer = {
            "api_version": API_VERSION,
            "server_time": fields.Datetime.to_string(fields.Datetime.now()),
            "line": line_code,
            "line_exists": bool(line),
            "line_active": bool(line.active),
        }
        if line:
            answer.update(line._plc_capacity())
            line._plc_take_ping(status)
        return answer

    @api.model
    def plc_fetch_batches(self, line_code, limit=10):
        self._plc_check_access()
        if (
            isinstance(limit, bool)
            or not isinstance(limit, int)
            or not 1 <= limit <= MAX_FETCH_LIMIT
        ):
            raise UserError(
                _("limit must be an integer from 1 to %s.", MAX_FETCH_LIMIT)
            )
        self._plc_check_line_code(line_code)
        line = (
            self.env["mrp.plc.line"].sudo().search([("code", "=", line_code)], limit=1)
        )
        if not line:
            raise UserError(_("Unknown or archived PLC line %r.", line_code))
        return {
            "api_version": API_VERSION,
            "line": line.code,
            "batches": line._plc_take_batches(limit),
        }

    @api.model
    def plc_report_batch(self, payload):
        self._plc_check_access()
        try:
            report = parse_report(payload)
            production = self.sudo().browse(report.mo_id)
            if not production.exists():
                raise ReportRejected(
                    _("mo_id: manufacturing order %s does not exist.", report.mo_id)
                )
            production = production.with_company(production.company_id)
            return production._plc_take_report(report)
        except ReportRejected as error:
            return {
                "status": "rejected",
                "mo_state": None,
                "reason": error.reason,
                "duplicate": False,
                "api_version": API_VERSION,
            }

    @api.model
    def _plc_check_access(self):
        if self.env.su:
            return
        user = self.env.user
        if user.has_group("mrp_plc_bridge.group_plc_agent") or user.has_group(
            "base.group_system"
        ):
            return
        raise AccessError(
            _(
                "Only members of the group 'PLC agent' may call the PLC bridge API "
                "(user %s).",
                user.login,
            )
        )

    @api.model
    def _plc_check_line_code(self, line_code):
        # PostgreSQL cannot compare a NUL: refused before any SQL.
        if not isinstance(line_code, str) or not line_code or "\x00" in line_code:
            raise UserError(_("line_code must be a non-empty string without NUL."))
