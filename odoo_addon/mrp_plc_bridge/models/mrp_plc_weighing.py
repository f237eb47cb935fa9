# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A manual weighing: what an operator added by hand to a batch, consumed on its MO once.

The line's agent reports it through ``plc_report_manual_weighing`` (the door,
mrp_production_plc_rpc.py); it is stored once per line and key (mrp_plc_line_report.py).
A weighing Odoo can apply becomes a component move of its MO: an open move that counts
when the MO closes, or, on a closed MO, a move posted at once. One it cannot apply is kept
with the reason for a person, who can correct the MO or the product and consume it, or
discard it. The MO is looked for among the line's own MOs only: one of another line is
unknown to the weighing, as it is to the line's agent.
"""
import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_is_zero, float_round

from .mrp_production_plc_rpc import API_VERSION

_logger = logging.getLogger(__name__)


class PlcWeighingKept(Exception):
    """The weighing cannot be applied; the message is the reason for a person."""


class MrpPlcWeighing(models.Model):
    _name = "mrp.plc.weighing"
    _description = "PLC Manual Weighing"
    _inherit = ["mrp.plc.line.report", "mail.thread"]
    _order = "weighed_at desc, id desc"
    # The agent's key is its own: the digest tells a repeat from another payload.
    _plc_key_field = "weighing_key"
    _plc_digest_field = "digest"

    weighing_key = fields.Char(
        required=True, readonly=True, help="The line's key of this weighing."
    )
    digest = fields.Char(readonly=True)
    weighed_at = fields.Datetime(required=True, readonly=True, index=True)
    # As the weighing station sent them.
    mo_name = fields.Char(string="MO Reference", readonly=True)
    batch_number = fields.Integer(readonly=True)
    plc_product_ref = fields.Integer(
        string="PLC Product",
        readonly=True,
        help="The product template id the weighing station sent.",
    )
    quantity_kg = fields.Float(
        string="Weighed (kg)", digits="Product Unit of Measure", readonly=True
    )
    # As Odoo applies them; a person may correct the first two of a kept weighing.
    production_id = fields.Many2one(
        "mrp.production",
        string="Manufacturing Order",
        index=True,
        ondelete="set null",
        states={"consumed": [("readonly", True)], "discarded": [("readonly", True)]},
        tracking=True,
    )
    product_id = fields.Many2one(
        "product.product",
        states={"consumed": [("readonly", True)], "discarded": [("readonly", True)]},
        tracking=True,
    )
    product_qty = fields.Float(
        string="Quantity", digits="Product Unit of Measure", readonly=True
    )
    product_uom_id = fields.Many2one("uom.uom", string="Unit", readonly=True)
    move_id = fields.Many2one(
        "stock.move", string="Component Move", readonly=True, index=True
    )
    posted = fields.Boolean(
        compute="_compute_posted",
        store=True,
        help="The quantity left the stock: the MO is closed, or was when it came.",
    )
    state = fields.Selection(
        [("consumed", "Consumed"), ("kept", "Kept"), ("discarded", "Discarded")],
        required=True,
        readonly=True,
        default="kept",
        tracking=True,
        index=True,
    )
    reason = fields.Text(
        readonly=True, help="Why Odoo could not consume this weighing by itself."
    )

    _sql_constraints = [
        (
            "weighing_key_unique",
            "unique(line_id, weighing_key)",
            "A line reports each weighing once.",
        ),
    ]

    @api.depends("move_id.state")
    def _compute_posted(self):
        for weighing in self:
            weighing.posted = weighing.move_id.state == "done"

    def name_get(self):
        return [
            (
                weighing.id,
                "%s %s kg" % (weighing.mo_name or "?", weighing.quantity_kg),
            )
            for weighing in self
        ]

    # ------------------------------------------------------------------
    # From the line
    # ------------------------------------------------------------------

    @api.model
    def _plc_take_weighing(self, line, weighing):
        """Store a reported weighing once and consume it if Odoo can."""
        record = self._plc_reported_before(line, weighing.weighing_key, weighing.digest)
        if record:
            return record._plc_result(duplicate=True)
        record = self._plc_create_reported(
            line,
            weighing.weighing_key,
            {
                "weighed_at": weighing.weighed_at,
                "mo_name": weighing.mo_name,
                "batch_number": weighing.batch_number,
                "plc_product_ref": weighing.product_template_id,
                "quantity_kg": weighing.quantity,
            },
            digest=weighing.digest,
        )
        record._plc_resolve()
        record._plc_consume()
        return record._plc_result(duplicate=False)

    def _plc_resolve(self):
        """The MO and the product the station named, as far as the line knows them."""
        self.ensure_one()
        production = self.env["mrp.production"]
        if self.mo_name:
            # The line's own MOs only: another line's MO is unknown here, and the
            # reason kept says no more than for a reference no MO has.
            production = production.search(
                [
                    ("name", "=", self.mo_name),
                    ("company_id", "=", self.company_id.id),
                    ("plc_line_id", "=", self.line_id.id),
                ],
                limit=1,
            )
        template = self.env["product.template"]
        if self.plc_product_ref > 0:
            template = template.with_context(active_test=False).browse(
                self.plc_product_ref
            ).exists()
        product = self.env["product.product"]
        if len(template.product_variant_ids) == 1:
            product = template.product_variant_ids
        self.write({"production_id": production.id, "product_id": product.id})

    def _plc_consume(self):
        """Consume the weighing on its MO, or keep it with the reason."""
        self.ensure_one()
        if self.production_id:
            # A batch report closing the same MO at this moment waits here, or this
            # call fails to serialize and is retried: never half on each side.
            # Raw SQL because the ORM has no row lock.
            self.env.cr.execute(
                "SELECT id FROM mrp_production WHERE id = %s FOR UPDATE",
                (self.production_id.id,),
            )
        try:
            with self.env.cr.savepoint():
                production, product, qty = self._plc_check()
                move = production._plc_add_weighed_component(product, qty)
                self.write(
                    {
                        "state": "consumed",
                        "reason": False,
                        "product_qty": qty,
                        "product_uom_id": product.uom_id.id,
                        "move_id": move.id,
                    }
                )
        except PlcWeighingKept as error:
            self._plc_keep(str(error.args[0]))
        except (UserError, ValidationError) as error:
            self._plc_keep(_("Odoo refused the consumption: %s", error.args[0]))
        return self.state == "consumed"

    def _plc_check(self):
        """The MO, product and quantity (product UoM) to consume; else the reason."""
        self.ensure_one()
        production = self.production_id
        if not production:
            raise PlcWeighingKept(
                _("Unknown MO reference %r.", self.mo_name or "")
            )
        if production.plc_line_id != self.line_id:
            raise PlcWeighingKept(
                _(
                    "%(mo)s runs on line %(other)s, not on %(line)s.",
                    mo=production.name,
                    other=production.plc_line_id.code or _("no line"),
                    line=self.line_id.code,
                )
            )
        if production.state == "cancel":
            raise PlcWeighingKept(_("%s is cancelled.", production.name))
        if production.state == "draft":
            raise PlcWeighingKept(_("%s is not confirmed yet.", production.name))
        product = self.product_id
        if not product:
            raise PlcWeighingKept(self._plc_unknown_product_reason())
        if product.type not in ("product", "consu"):
            raise PlcWeighingKept(
                _("%s is not a stockable or consumable product.", product.display_name)
            )
        if product.tracking != "none":
            raise PlcWeighingKept(
                _(
                    "%s is tracked by lot or serial number and the weighing station "
                    "sends none.",
                    product.display_name,
                )
            )
        maximum = self.line_id.weighing_max_qty
        if self.quantity_kg <= 0 or (maximum and self.quantity_kg > maximum):
            raise PlcWeighingKept(
                _(
                    "Implausible quantity %(qty)s kg: a manual weighing of line "
                    "%(line)s is above 0 and at most %(max)s kg.",
                    qty=self.quantity_kg,
                    line=self.line_id.code,
                    max=maximum,
                )
            )
        qty = float_round(
            self._plc_qty_in_product_uom(product, self.quantity_kg),
            precision_rounding=product.uom_id.rounding,
        )
        if float_is_zero(qty, precision_rounding=product.uom_id.rounding):
            raise PlcWeighingKept(
                _(
                    "%(qty)s kg of %(product)s rounds to 0 %(uom)s.",
                    qty=self.quantity_kg,
                    product=product.display_name,
                    uom=product.uom_id.name,
                )
            )
        return production, product, qty

    def _plc_unknown_product_reason(self):
        template = self.env["product.template"]
        if self.plc_product_ref > 0:
            template = template.with_context(active_test=False).browse(
                self.plc_product_ref
            ).exists()
        if len(template.product_variant_ids) > 1:
            return _(
                "Product template %(id)s (%(name)s) has %(count)s variants; the "
                "weighing station does not say which one.",
                id=self.plc_product_ref,
                name=template.display_name,
                count=len(template.product_variant_ids),
            )
        return _("Unknown product: no product template %s.", self.plc_product_ref)

    @api.model
    def _plc_qty_in_product_uom(self, product, quantity_kg):
        """The weighed kg in the product's UoM; the one place the conversion is called."""
        kg = self.env.ref("uom.product_uom_kgm")
        try:
            return product._plc_qty_from_plc(quantity_kg, kg, product.uom_id)
        except UserError as error:
            raise PlcWeighingKept(error.args[0])

    def _plc_keep(self, reason):
        self.ensure_one()
        self.write({"state": "kept", "reason": reason})

    def _plc_result(self, duplicate):
        self.ensure_one()
        return {
            "status": self.state if self.state == "consumed" else "kept",
            "duplicate": duplicate,
            "reason": self.reason or None,
            "api_version": API_VERSION,
        }

    # ------------------------------------------------------------------
    # A person's actions on kept weighings
    # ------------------------------------------------------------------

    def action_consume(self):
        """Try again, after a person corrected the MO or the product."""
        for weighing in self:
            if weighing.state != "kept":
                raise UserError(
                    _("Only kept weighings can be consumed (%s).", weighing.display_name)
                )
            if not weighing._plc_consume():
                raise UserError(weighing.reason)
        return True

    def action_discard(self):
        for weighing in self:
            if weighing.state != "kept":
                raise UserError(
                    _("Only kept weighings can be discarded (%s).", weighing.display_name)
                )
        self.write({"state": "discarded"})
        return True
