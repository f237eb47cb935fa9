# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A failure the line reports opens a maintenance request on that equipment.

Odoo 14's equipment has no code field: the PLC's equipment code is matched with the
equipment's name, ignoring case (an equipment named ``silo101`` or ``SILO101`` for the
PLC's ``silo101``).
"""
from odoo import _, fields, models


class MrpPlcFailure(models.Model):
    _inherit = "mrp.plc.failure"

    maintenance_request_id = fields.Many2one(
        "maintenance.request", readonly=True, copy=False
    )

    def _plc_new_failure_reported(self):
        result = super()._plc_new_failure_reported()
        for failure in self:
            failure._plc_open_maintenance_request()
        return result

    def _plc_equipment(self):
        """The equipment named like the PLC's code, in the line's company."""
        self.ensure_one()
        pattern = (
            self.equipment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        )
        return self.env["maintenance.equipment"].search(
            [
                ("name", "=ilike", pattern),
                ("company_id", "in", (False, self.company_id.id)),
            ],
            order="id",
            limit=1,
        )

    def _plc_open_maintenance_request(self):
        self.ensure_one()
        equipment = self._plc_equipment()
        if not equipment:
            return
        request = self.env["maintenance.request"].create(
            {
                "name": self.name,
                "equipment_id": equipment.id,
                "company_id": self.company_id.id,
                "maintenance_type": "corrective",
                "request_date": fields.Date.to_date(self.occurred_at),
                "user_id": (
                    equipment.technician_user_id
                    or equipment.category_id.technician_user_id
                ).id,
                "description": _(
                    "PLC line %(line)s reported %(info)s on %(equipment)s at %(at)s "
                    "(UTC)%(mo)s.",
                    line=self.line_id.code,
                    info=self.info,
                    equipment=self.equipment,
                    at=fields.Datetime.to_string(self.occurred_at),
                    mo=(
                        _(", during %s", self.production_id.name)
                        if self.production_id
                        else ""
                    ),
                ),
            }
        )
        self.maintenance_request_id = request
