# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_is_zero, html_escape

from ..models.mrp_production_plc_report import MoReport


class MrpPlcLotChoice(models.TransientModel):
    """Choose lots: a person books a silo's actual on the lot(s) it came from.

    For a batch during which the silo's lot changed, or whose lot is not known: the
    report books nothing on a lot and the MO waits. The person books the whole actual on
    one lot, or splits it; the MO is then closed with Accept PLC actuals.
    """

    _name = "mrp.plc.lot.choice"
    _description = "PLC Batch Lot Choice"

    consumption_id = fields.Many2one(
        "mrp.plc.consumption",
        string="Consumption Line",
        required=True,
        readonly=True,
        ondelete="cascade",
    )
    production_id = fields.Many2one(related="consumption_id.production_id")
    silo_id = fields.Many2one(related="consumption_id.silo_id")
    product_id = fields.Many2one(related="consumption_id.product_id")
    plc_actual_qty = fields.Float(related="consumption_id.plc_actual_qty")
    plc_uom_id = fields.Many2one(related="consumption_id.plc_uom_id")
    lot_note = fields.Text(related="consumption_id.lot_note")
    share_ids = fields.One2many(
        "mrp.plc.lot.choice.share", "choice_id", string="Lots"
    )

    @api.onchange("consumption_id")
    def _onchange_consumption_id(self):
        self.share_ids = [(5, 0, 0)] + self._proposed_shares(self.consumption_id)

    @api.model
    def _proposed_shares(self, consumption):
        """The lots the silo held while dosing; the actual on the first one.

        A silo empties first in, first out: the lot it held when the batch started is
        the likelier one. A person confirms or splits.
        """
        if not consumption:
            return []
        if consumption.lot_state == "chosen":
            return [
                (0, 0, {"lot_id": share.lot_id.id, "plc_qty": share.plc_qty})
                for share in consumption.lot_share_ids
            ]
        lots = self.env["stock.production.lot"]
        if consumption.silo_id and consumption.dosed_from:
            held = consumption.silo_id._plc_contents(
                consumption.dosed_from, consumption.dosed_to
            )[consumption.silo_id.id]
            for entry in held:
                if entry and entry.lot_id in consumption.dosed_lot_ids:
                    lots |= entry.lot_id
        lots |= consumption.dosed_lot_ids
        if not lots:
            return [(0, 0, {"plc_qty": consumption.plc_actual_qty})]
        return [
            (
                0,
                0,
                {
                    "lot_id": lot.id,
                    "plc_qty": consumption.plc_actual_qty if index == 0 else 0.0,
                },
            )
            for index, lot in enumerate(lots)
        ]

    def action_choose(self):
        """Book the silo's actual on the lots given; the MO waits for Accept PLC actuals."""
        self.ensure_one()
        if not self.env.user.has_group("mrp.group_mrp_user"):
            raise UserError(_("Only manufacturing users may choose the lots of a batch."))
        consumption = self.consumption_id
        consumption._plc_check_choosable()
        shares = self._checked_shares()
        production = consumption.production_id
        consumption.sudo().write(
            {
                "lot_share_ids": [(5, 0, 0)]
                + [
                    (0, 0, {"lot_id": share.lot_id.id, "plc_qty": share.plc_qty})
                    for share in shares
                ],
                "lot_state": "chosen",
                "lot_id": shares.lot_id.id if len(shares) == 1 else False,
                "lot_chosen_by": self.env.user.id,
                "lot_chosen_at": fields.Datetime.now(),
            }
        )
        MoReport(production.sudo()).rebook_lots()
        production.message_post(
            body=html_escape(
                _(
                    "Lots of silo %(silo)s (%(product)s) chosen: %(lots)s.",
                    silo=consumption.silo_code,
                    product=consumption.product_id.display_name,
                    lots=consumption.lot_names,
                )
            )
        )
        return {"type": "ir.actions.act_window_close"}

    def _checked_shares(self):
        """The lines with a quantity: each of a lot of the product, adding up to the actual."""
        consumption = self.consumption_id
        rounding = consumption.plc_uom_id.rounding or 0.001
        shares = self.share_ids.filtered(
            lambda s: not float_is_zero(s.plc_qty, precision_rounding=rounding)
        )
        for share in shares:
            if float_compare(share.plc_qty, 0.0, precision_rounding=rounding) < 0:
                raise UserError(_("A quantity of a lot cannot be negative."))
            if not share.lot_id:
                raise UserError(
                    _("Give the lot of the %s booked without one.", share.plc_qty)
                )
            if share.lot_id.product_id != consumption.product_id:
                raise UserError(
                    _(
                        "Lot %(lot)s is a lot of %(other)s, not of %(product)s.",
                        lot=share.lot_id.name,
                        other=share.lot_id.product_id.display_name,
                        product=consumption.product_id.display_name,
                    )
                )
        if len(shares.mapped("lot_id")) != len(shares):
            raise UserError(_("Give each lot once."))
        total = sum(shares.mapped("plc_qty"))
        if float_compare(total, consumption.plc_actual_qty, precision_rounding=rounding):
            raise UserError(
                _(
                    "The lots add up to %(total)s %(uom)s; silo %(silo)s dosed "
                    "%(actual)s %(uom)s. Book all of it, and nothing more.",
                    total=total,
                    actual=consumption.plc_actual_qty,
                    uom=consumption.plc_uom_id.name,
                    silo=consumption.silo_code,
                )
            )
        return shares
