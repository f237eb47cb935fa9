# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""An equipment failure the line reported: what failed, when, during which MO.

The line's agent reports it through ``plc_report_failure`` (the door,
mrp_production_plc_rpc.py); it is stored once per line and key (mrp_plc_line_report.py),
tells the line's responsible and blocks the line's work center until the next batch
(mrp_plc_line_oee.py). A person acknowledges it, then marks it resolved.
"""
import re

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import html_escape

from .mrp_production_plc_rpc import API_VERSION

# The PLC names a silo or tank of the line by its kind and number: silo101, tank_114.
SILO_EQUIPMENT = re.compile(r"^(?:silo|tank)[_-]?0*(\d+)$", re.IGNORECASE)


class MrpPlcFailure(models.Model):
    _name = "mrp.plc.failure"
    _description = "PLC Equipment Failure"
    _inherit = ["mrp.plc.line.report", "mail.thread", "mail.activity.mixin"]
    _order = "occurred_at desc, id desc"
    # The agent's key is made of line, equipment, info and time: it names the content.
    _plc_key_field = "failure_key"

    name = fields.Char(compute="_compute_name", store=True)
    failure_key = fields.Char(
        required=True,
        readonly=True,
        help="The line's key of this failure: line, equipment, info and time.",
    )
    equipment = fields.Char(
        string="Equipment Code",
        required=True,
        readonly=True,
        index=True,
        help="The PLC's code of the equipment, e.g. silo101 or motor_pump_01.",
    )
    equipment_name = fields.Char(
        string="Equipment",
        compute="_compute_equipment_name",
        help="The equipment's name and the PLC's code of it: for silo101 or tank_114, "
        "the line's silo or tank of that number.",
    )
    info = fields.Char(
        string="Failure",
        required=True,
        readonly=True,
        help="What the PLC says failed, e.g. START_FAILURE.",
    )
    occurred_at = fields.Datetime(required=True, readonly=True, index=True)
    occurred_at_zoned = fields.Char(
        string="Occurred",
        compute="_compute_occurred_at_zoned",
        help="When the PLC says the failure occurred, in your time zone (your "
        "preferences), the zone named.",
    )
    production_id = fields.Many2one(
        "mrp.production",
        string="Manufacturing Order",
        readonly=True,
        index=True,
        ondelete="set null",
        help="The MO whose batch was running on the line when the failure occurred. "
        "Known once the line has reported that batch's start and end.",
    )
    state = fields.Selection(
        [("new", "New"), ("acknowledged", "Acknowledged"), ("resolved", "Resolved")],
        default="new",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
    )

    _sql_constraints = [
        (
            "failure_key_unique",
            "unique(line_id, failure_key)",
            "A line reports each failure once.",
        ),
    ]

    @api.depends("equipment", "info")
    def _compute_name(self):
        for failure in self:
            failure.name = "%s: %s" % (failure.equipment, failure.info)

    @api.depends("equipment", "line_id.silo_ids.code", "line_id.silo_ids.name")
    def _compute_equipment_name(self):
        for failure in self:
            name = failure._plc_equipment_name()
            failure.equipment_name = (
                "%s (%s)" % (name, failure.equipment) if name else failure.equipment
            )

    @api.depends("occurred_at")
    @api.depends_context("uid")
    def _compute_occurred_at_zoned(self):
        lines = self.env["mrp.plc.line"]
        for failure in self:
            failure.occurred_at_zoned = lines._plc_time_text(failure.occurred_at)

    def _plc_equipment_name(self):
        """What the plant calls the equipment the PLC reported; False when unknown.
        Modules that know more equipment add to it."""
        self.ensure_one()
        number = SILO_EQUIPMENT.match(self.equipment or "")
        if not number:
            return False
        silo = self.line_id.with_context(active_test=False).silo_ids.filtered(
            lambda s: s.code.isdigit() and int(s.code) == int(number.group(1))
        )[:1]
        return silo.name or False

    # ------------------------------------------------------------------
    # A person's actions
    # ------------------------------------------------------------------

    def action_acknowledge(self):
        for failure in self:
            if failure.state != "new":
                raise UserError(
                    _("%s is already acknowledged.", failure.name)
                )
        self.write({"state": "acknowledged"})
        self.activity_feedback(["mail.mail_activity_data_todo"])
        return True

    def action_resolve(self):
        for failure in self:
            if failure.state == "resolved":
                raise UserError(_("%s is already resolved.", failure.name))
        self.write({"state": "resolved"})
        self.activity_feedback(["mail.mail_activity_data_todo"])
        return True

    # ------------------------------------------------------------------
    # From the line
    # ------------------------------------------------------------------

    @api.model
    def _plc_take_failure(self, line, report):
        """Store a reported failure once; the answer for the agent."""
        failure = self._plc_reported_before(line, report.failure_key)
        if failure:
            return failure._plc_result(duplicate=True)
        failure = self._plc_create_reported(
            line,
            report.failure_key,
            {
                "equipment": report.equipment,
                "info": report.info,
                "occurred_at": report.occurred_at,
                "production_id": line._plc_production_running_at(
                    report.occurred_at
                ).id,
            },
        )
        failure._plc_new_failure_reported()
        return failure._plc_result(duplicate=False)

    def _plc_new_failure_reported(self):
        """What a newly stored failure sets off: the line's responsible is told, and the
        line's work center is blocked from the failure's time. Modules add to it (the
        maintenance glue opens a request)."""
        self._plc_notify_line()
        for failure in self:
            failure.line_id._plc_log_failure_time(
                failure.occurred_at, "%s (%s)" % (failure.name, failure.failure_key)
            )

    def _plc_notify_line(self):
        """The line's responsible is told of each failure."""
        for failure in self:
            responsible = failure.line_id._plc_responsible_user()
            failure.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=_("Failure on PLC line %s", failure.line_id.code),
                # The note is HTML; the equipment and the failure are the PLC's text.
                note=html_escape(
                    _(
                        "%(equipment)s reported %(info)s at %(at)s.",
                        equipment=failure.equipment_name,
                        info=failure.info,
                        at=failure.line_id._plc_time_text(
                            failure.occurred_at, responsible
                        ),
                    )
                ),
                user_id=responsible.id,
            )

    def _plc_result(self, duplicate):
        self.ensure_one()
        return {
            "status": "stored",
            "duplicate": duplicate,
            "reason": None,
            "failure_id": self.id,
            "api_version": API_VERSION,
        }
