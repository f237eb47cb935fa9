# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Where a silo drifts: its deviation over the last 30 days, from the consumption lines."""
import datetime

from odoo import _, fields, models

DRIFT_DAYS = 30


class MrpPlcSilo(models.Model):
    _inherit = "mrp.plc.silo"

    plc_planned_30d = fields.Float(
        string="Planned (30 days)",
        digits="Product Unit of Measure",
        compute="_compute_plc_drift",
    )
    plc_actual_30d = fields.Float(
        string="Actual (30 days)",
        digits="Product Unit of Measure",
        compute="_compute_plc_drift",
    )
    plc_deviation_30d_percent = fields.Float(
        string="Deviation (30 days, %)",
        digits=(16, 2),
        compute="_compute_plc_drift",
        help="Actual against planned over the batches the line reported in the last "
        "%d days." % DRIFT_DAYS,
    )
    plc_batches_30d = fields.Integer(
        string="Doses (30 days)", compute="_compute_plc_drift"
    )

    def _plc_drift_domain(self):
        since = fields.Datetime.now() - datetime.timedelta(days=DRIFT_DAYS)
        return [
            ("silo_id", "in", self.ids),
            ("reported", "=", True),
            ("production_id.plc_reported_at", ">=", since),
        ]

    def _compute_plc_drift(self):
        groups = self.env["mrp.plc.consumption"].read_group(
            self._plc_drift_domain(),
            ["silo_id", "planned_qty", "actual_qty"],
            ["silo_id"],
        )
        by_silo = {group["silo_id"][0]: group for group in groups}
        for silo in self:
            group = by_silo.get(silo.id, {})
            planned = group.get("planned_qty") or 0.0
            actual = group.get("actual_qty") or 0.0
            silo.plc_planned_30d = planned
            silo.plc_actual_30d = actual
            silo.plc_batches_30d = group.get("silo_id_count", 0)
            silo.plc_deviation_30d_percent = (
                (actual - planned) / planned * 100.0 if planned else 0.0
            )

    def action_open_plc_consumption(self):
        """The consumption analysis of this silo over the last 30 days."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mrp_plc_bridge.mrp_plc_consumption_action"
        )
        action.update(
            {
                "name": _("Consumption of %s", self.display_name),
                "domain": self._plc_drift_domain(),
                "context": {"search_default_reported": 1},
            }
        )
        return action
