# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..models.mrp_plc_silo_fill import plc_time


class MrpPlcSiloRefill(models.TransientModel):
    """Refill: the silo holds this product and lot from this time on."""

    _name = "mrp.plc.silo.refill"
    _description = "PLC Silo Refill"

    silo_id = fields.Many2one(
        "mrp.plc.silo",
        string="Silo or Tank",
        required=True,
        readonly=True,
        ondelete="cascade",
    )
    product_id = fields.Many2one(
        "product.product",
        domain="[('type', 'in', ('product', 'consu'))]",
        help="What the silo holds from then on; empty when it was emptied.",
    )
    tracking = fields.Selection(related="product_id.tracking")
    lot_id = fields.Many2one(
        "stock.production.lot",
        domain="[('product_id', '=', product_id)]",
    )
    valid_from = fields.Datetime(
        string="Held From",
        required=True,
        default=fields.Datetime.now,
        help="When the silo was refilled: now, or earlier when it is entered late, but "
        "not before the silo's last entry. Batches the PLC dates from then on are "
        "booked on this lot.",
    )
    last_fill_id = fields.Many2one(
        "mrp.plc.silo.fill",
        string="Last Entry",
        compute="_compute_last_fill_id",
    )
    last_valid_from = fields.Datetime(
        related="last_fill_id.valid_from", string="Last Entry Held From"
    )
    note = fields.Text(help="E.g. the delivery or the truck the silo was refilled from.")

    @api.onchange("silo_id")
    def _onchange_silo_id(self):
        # Most refills are a new lot of what the silo holds.
        if not self.product_id:
            self.product_id = self.silo_id.product_id

    @api.depends("silo_id")
    def _compute_last_fill_id(self):
        for refill in self:
            refill.last_fill_id = self.env["mrp.plc.silo.fill"].search(
                [("silo_id", "=", refill.silo_id.id)],
                order="valid_from desc, id desc",
                limit=1,
            )

    @api.onchange("product_id")
    def _onchange_product_id(self):
        if self.lot_id and self.lot_id.product_id != self.product_id:
            self.lot_id = False

    def action_refill(self):
        """Enter the refill in the silo's history; the silo holds it from then on."""
        self.ensure_one()
        if self.product_id.tracking not in (False, "none") and not self.lot_id:
            raise UserError(
                _(
                    "%(product)s is tracked by lot: give the lot silo %(silo)s holds "
                    "from %(when)s.",
                    product=self.product_id.display_name,
                    silo=self.silo_id.code,
                    when=plc_time(self, self.valid_from),
                )
            )
        self.env["mrp.plc.silo.fill"].create(
            {
                "silo_id": self.silo_id.id,
                "product_id": self.product_id.id,
                "lot_id": self.lot_id.id,
                "valid_from": self.valid_from,
                "how": "refill",
                "note": self.note,
            }
        )
        return {"type": "ir.actions.act_window_close"}
