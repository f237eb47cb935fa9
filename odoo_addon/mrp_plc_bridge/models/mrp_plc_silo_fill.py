# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What a silo held, and from when: one dated entry per change of its product or lot.

The entries are the silo's history, which the report workflow reads to book a batch on the
lot the silo held while the line dosed it. The history only grows: an entry is never
edited, none may be dated before the silo's newest one or in the future, and a wrong entry
is corrected by a new one. The silo's own product and lot are its newest entry, kept on
the silo for the screens and the fetch.
"""
from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

# Set while the silo's product and lot are written to match an entry (or an entry is made
# for what was written on the silo): the other side must not be written again.
SILO_WRITTEN = "plc_silo_written"


def plc_time(record, value):
    """A datetime as the reader reads it: in the user's time zone, named."""
    if not value:
        return ""
    local = fields.Datetime.context_timestamp(record, value)
    return local.strftime("%Y-%m-%d %H:%M:%S %Z")


class MrpPlcSiloFill(models.Model):
    _name = "mrp.plc.silo.fill"
    _description = "PLC Silo Content Entry"
    _order = "silo_id, valid_from desc, id desc"

    silo_id = fields.Many2one(
        "mrp.plc.silo",
        string="Silo or Tank",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
    )
    line_id = fields.Many2one(
        related="silo_id.line_id", string="PLC Line", store=True, readonly=True
    )
    company_id = fields.Many2one(
        related="silo_id.company_id", store=True, readonly=True
    )
    product_id = fields.Many2one(
        "product.product",
        readonly=True,
        help="What the silo held from this time on; empty when it was emptied.",
    )
    lot_id = fields.Many2one(
        "stock.production.lot",
        readonly=True,
        help="The lot the silo held from this time on.",
    )
    valid_from = fields.Datetime(
        string="Held From",
        required=True,
        readonly=True,
        index=True,
        default=fields.Datetime.now,
        help="From when the silo held this: a batch the PLC dates from then on, until "
        "the next entry, is booked on this lot.",
    )
    entered_by = fields.Many2one(
        "res.users",
        required=True,
        readonly=True,
        default=lambda self: self.env.user,
        ondelete="restrict",
    )
    how = fields.Selection(
        [
            ("refill", "Refill"),
            ("transfer", "Stock transfer"),
            ("upgrade", "Held at upgrade"),
        ],
        string="Entered By Way Of",
        required=True,
        readonly=True,
        default="refill",
        help="Refill: a person refilled the silo, or changed what it holds on its form. "
        "Stock transfer: a done transfer of a lot into the silo's stock location. Held "
        "at upgrade: what the silo held when its history began, with the upgrade to "
        "14.0.1.5.0.",
    )
    move_line_id = fields.Many2one(
        "stock.move.line",
        string="Transfer Line",
        readonly=True,
        ondelete="set null",
        help="The done transfer line this entry was made from.",
    )
    note = fields.Text(readonly=True)

    @api.constrains("product_id", "lot_id")
    def _check_lot_of_product(self):
        for fill in self:
            if fill.lot_id and fill.lot_id.product_id != fill.product_id:
                raise ValidationError(
                    _(
                        "Silo %(silo)s: lot %(lot)s is a lot of %(lot_product)s, not of "
                        "%(product)s.",
                        silo=fill.silo_id.code,
                        lot=fill.lot_id.name,
                        lot_product=fill.lot_id.product_id.display_name,
                        product=fill.product_id.display_name or _("an empty silo"),
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        fills = self.browse()
        # One at a time: each entry must not be dated before the one made just before it.
        for vals in vals_list:
            self._check_dated_in_order(
                vals.get("silo_id"),
                fields.Datetime.to_datetime(vals.get("valid_from"))
                or fields.Datetime.now(),
            )
            fills |= super().create([vals])
        if not self.env.context.get(SILO_WRITTEN):
            for fill in fills:
                fill.silo_id.with_context(**{SILO_WRITTEN: True}).write(
                    {"product_id": fill.product_id.id, "lot_id": fill.lot_id.id}
                )
        return fills

    def write(self, vals):
        if not vals:
            return super().write(vals)
        raise UserError(
            _(
                "An entry of a silo's history is never changed: enter a new one (Refill "
                "on the silo) from the time the silo held something else."
            )
        )

    @api.model
    def _check_dated_in_order(self, silo_id, valid_from):
        """Not in the future, not before the silo's newest entry."""
        silo = self.env["mrp.plc.silo"].browse(silo_id)
        if valid_from > fields.Datetime.now():
            raise ValidationError(
                _(
                    "Silo %(silo)s: %(when)s is in the future; the history of a silo "
                    "says what it held, not what it will hold.",
                    silo=silo.code,
                    when=plc_time(self, valid_from),
                )
            )
        previous = self.sudo().search(
            [("silo_id", "=", silo.id)], order="valid_from desc, id desc", limit=1
        )
        if previous and valid_from < previous.valid_from:
            raise ValidationError(
                _(
                    "Silo %(silo)s: %(when)s is before the silo's last entry, "
                    "%(previous)s from %(previous_when)s. The history only grows: "
                    "enter what the silo holds from %(previous_when)s or later; a "
                    "wrong entry is corrected by a new one.",
                    silo=silo.code,
                    when=plc_time(self, valid_from),
                    previous=previous._plc_content_text(),
                    previous_when=plc_time(self, previous.valid_from),
                )
            )

    def _plc_content_text(self):
        """What the entry says the silo held, in words: "lot A of [X] Maize"."""
        self.ensure_one()
        if not self.product_id:
            return _("empty")
        if self.lot_id:
            return _(
                "lot %(lot)s of %(product)s",
                lot=self.lot_id.name,
                product=self.product_id.display_name,
            )
        return self.product_id.display_name

    def name_get(self):
        return [
            (
                fill.id,
                "%s: %s" % (fill.silo_id.code, fill._plc_content_text()),
            )
            for fill in self
        ]
