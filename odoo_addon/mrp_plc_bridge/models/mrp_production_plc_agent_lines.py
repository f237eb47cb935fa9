# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""An agent speaks only for its lines: the line check of every RPC entry.

The lines an agent user may speak for are the line's ``plc_agent_user_ids``
(mrp_plc_line_agent_access.py). Administrators and code running as superuser are not
limited. A refusal names the code the caller gave and nothing else: whether another line
of that code exists, or which line an MO belongs to, is none of the agent's business.
"""
from odoo import _, api, models
from odoo.exceptions import AccessError

from ..report_payload import ReportRejected, parse_report


class MrpProduction(models.Model):
    # The house rule splits a big model by concern, one file each.
    _inherit = "mrp.production"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _plc_check_line_code(self, line_code):
        # Every entry naming a line by code passes here first (ping, fetch and the
        # failure and weighing reports): the agent's line check rides along.
        result = super()._plc_check_line_code(line_code)
        self._plc_check_agent_line(line_code)
        return result

    @api.model
    def plc_report_batch(self, payload):
        self._plc_check_access()
        if self._plc_agent_is_limited():
            try:
                report = parse_report(payload)
            except ReportRejected:
                # Malformed: the entry rejects it, naming the field; nothing to guard.
                report = None
            if report:
                self._plc_check_agent_line(report.line)
                production = self.sudo().browse(report.mo_id).exists()
                if production and self.env.user not in (
                    production.plc_line_id.plc_agent_user_ids
                ):
                    raise AccessError(
                        _(
                            "User %(login)s may not report mo_id %(mo)s: it is not on "
                            "a line this agent user is bound to.",
                            login=self.env.user.login,
                            mo=report.mo_id,
                        )
                    )
        return super().plc_report_batch(payload)

    @api.model
    def plc_report_failure(self, payload):
        self._plc_check_payload_line(payload)
        return super().plc_report_failure(payload)

    @api.model
    def plc_report_manual_weighing(self, payload):
        self._plc_check_payload_line(payload)
        return super().plc_report_manual_weighing(payload)

    @api.model
    def _plc_check_payload_line(self, payload):
        """The line a payload names must be the agent's; a malformed one is left to the
        entry, which rejects it naming the field."""
        self._plc_check_access()
        if not self._plc_agent_is_limited() or not isinstance(payload, dict):
            return
        line_code = payload.get("line")
        if isinstance(line_code, str) and line_code.strip() and "\x00" not in line_code:
            self._plc_check_agent_line(line_code)

    @api.model
    def _plc_agent_is_limited(self):
        return not (self.env.su or self.env.user._is_system())

    @api.model
    def _plc_check_agent_line(self, line_code):
        if not self._plc_agent_is_limited():
            return
        allowed = (
            self.env["mrp.plc.line"]
            .sudo()
            .with_context(active_test=False)
            .search_count(
                [("code", "=", line_code), ("plc_agent_user_ids", "in", self.env.uid)]
            )
        )
        if not allowed:
            self._plc_refuse_line(line_code)

    @api.model
    def _plc_refuse_line(self, line_code):
        raise AccessError(
            _(
                "User %(login)s may not act for PLC line %(line)r: it is not one of the "
                "lines this agent user is bound to.",
                login=self.env.user.login,
                line=line_code,
            )
        )
