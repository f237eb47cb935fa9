# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A silo or tank of a line: the number the PLC knows it by, what it holds, the unit the
PLC doses it in, and where it drifts (its deviation over the last 30 days)."""
import datetime

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare, float_is_zero, float_round

# The PLC stores a silo number in one 16-bit word; 0 means "no silo".
MAX_SILO_CODE = 65535
DRIFT_DAYS = 30


class MrpPlcSilo(models.Model):
    _name = "mrp.plc.silo"
    _description = "PLC Silo or Tank"
    _order = "line_id, code"

    code = fields.Char(
        required=True,
        help="The silo number the PLC knows (an integer from 1 to 65535).",
    )
    name = fields.Char(required=True)
    line_id = fields.Many2one(
        "mrp.plc.line", string="PLC Line", required=True, ondelete="cascade"
    )
    kind = fields.Selection(
        [("silo", "Silo"), ("tank", "Tank")], default="silo", required=True
    )
    product_id = fields.Many2one(
        "product.product",
        domain="[('type', 'in', ('product', 'consu'))]",
        help="The product the silo holds now. Changing it does not change MOs "
        "already sent to the line.",
    )
    lot_id = fields.Many2one(
        "stock.production.lot",
        domain="[('product_id', '=', product_id)]",
        help="The lot the silo holds now; needed for lot-tracked products.",
    )
    plc_uom_id = fields.Many2one(
        "uom.uom",
        string="PLC Unit",
        required=True,
        default=lambda self: self.env.ref("uom.product_uom_kgm"),
        domain=lambda self: [("category_id", "in", self._plc_uom_categories().ids)],
        help="The unit the PLC doses this silo or tank in: kg on a scale, litres on a "
        "flow meter. Quantities go to the PLC and come back in it, whatever unit the "
        "product is counted in.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        related="line_id.company_id", store=True, readonly=True
    )
    # Where the silo drifts, from the consumption lines of the last DRIFT_DAYS days.
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

    _sql_constraints = [
        (
            "line_code_unique",
            "unique(line_id, code)",
            "The code of a silo must be unique on its line.",
        ),
    ]

    @api.constrains("code")
    def _check_code(self):
        for silo in self:
            code = silo.code or ""
            # Canonical digits only: the agent writes int(code) to the PLC and the
            # report comes back under this very text, so "0101" or " 101" would
            # never match again.
            if not (
                code.isdigit()
                and code.isascii()
                and str(int(code)) == code
                and 1 <= int(code) <= MAX_SILO_CODE
            ):
                raise ValidationError(
                    _(
                        "Silo code %(code)r of %(silo)s is not a whole number from 1 to "
                        "%(max)s: the PLC knows a silo only by such a number.",
                        code=silo.code,
                        silo=silo.name,
                        max=MAX_SILO_CODE,
                    )
                )

    @api.constrains("plc_uom_id")
    def _check_plc_uom_id(self):
        # A PLC weighs or meters; the agent writes the number as it is, so a count
        # (bags) or a length would be dosed as if it were kg.
        allowed = self._plc_uom_categories()
        for silo in self:
            if silo.plc_uom_id.category_id not in allowed:
                raise ValidationError(
                    _(
                        "Silo %(silo)s: the PLC doses by weight or by volume, not in "
                        "%(uom)s.",
                        silo=silo.code,
                        uom=silo.plc_uom_id.name,
                    )
                )

    def _plc_uom_categories(self):
        return self.env.ref("uom.product_uom_categ_kgm") | self.env.ref(
            "uom.product_uom_categ_vol"
        )

    def _plc_dose_problem(self, product, uom, qty):
        """Why this silo cannot dose ``qty`` of ``product`` counted in ``uom``, or None."""
        self.ensure_one()
        problem = product._plc_conversion_problem(uom, self.plc_uom_id)
        if problem:
            return _("Silo %(silo)s: %(problem)s", silo=self.code, problem=problem)
        if float_compare(qty, 0.0, precision_rounding=uom.rounding) > 0 and float_is_zero(
            self._plc_qty(product, uom, qty), precision_rounding=self.plc_uom_id.rounding
        ):
            # The PLC would dose nothing of a component the BoM asks for.
            return _(
                "Silo %(silo)s: %(qty)s %(uom)s of %(product)s is below what the PLC "
                "can dose in %(plc_uom)s.",
                silo=self.code,
                qty=qty,
                uom=uom.name,
                product=product.display_name,
                plc_uom=self.plc_uom_id.name,
            )
        return None

    def _plc_qty(self, product, uom, qty):
        """``qty`` of ``product`` in ``uom`` as this silo's PLC doses it."""
        self.ensure_one()
        return float_round(
            product._plc_qty_to_plc(qty, uom, self.plc_uom_id),
            precision_rounding=self.plc_uom_id.rounding,
        )

    def name_get(self):
        return [(silo.id, "%s - %s" % (silo.code, silo.name)) for silo in self]

    @api.model
    def _name_search(
        self, name="", args=None, operator="ilike", limit=100, name_get_uid=None
    ):
        args = list(args or [])
        if name:
            args = [
                "|",
                ("code", "=ilike", name + "%"),
                ("name", operator, name),
            ] + args
        return self._search(args, limit=limit, access_rights_uid=name_get_uid)

    @api.onchange("product_id")
    def _onchange_product_id(self):
        if self.lot_id and self.lot_id.product_id != self.product_id:
            self.lot_id = False

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
