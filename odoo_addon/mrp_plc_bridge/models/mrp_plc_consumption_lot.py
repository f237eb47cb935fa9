# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class MrpPlcConsumptionLot(models.Model):
    """How much of a silo's dose a person booked on a lot, when its lot was in question."""

    _name = "mrp.plc.consumption.lot"
    _description = "PLC Consumption Lot Share"
    _order = "consumption_id, id"

    consumption_id = fields.Many2one(
        "mrp.plc.consumption",
        string="Consumption Line",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one(
        related="consumption_id.company_id", store=True, readonly=True
    )
    lot_id = fields.Many2one(
        "stock.production.lot", required=True, readonly=True
    )
    plc_qty = fields.Float(
        string="Quantity (silo unit)",
        digits="Product Unit of Measure",
        readonly=True,
        help="The part of the silo's actual booked on this lot, in the unit the line "
        "dosed the silo in.",
    )
    plc_uom_id = fields.Many2one(
        related="consumption_id.plc_uom_id", string="Silo Unit", readonly=True
    )
