# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A silo or tank of a line: the number the PLC knows it by, what it holds and since when
(its history, mrp_plc_silo_fill.py), the unit the PLC doses it in, and where it drifts
(its deviation over the last 30 days)."""
import datetime

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools import float_compare, float_is_zero, float_round

from .mrp_plc_silo_fill import SILO_WRITTEN

# The PLC stores a silo number in one 16-bit word; 0 means "no silo".
MAX_SILO_CODE = 65535
DRIFT_DAYS = 30


class MrpPlcSilo(models.Model):
    _name = "mrp.plc.silo"
    _inherit = ["mail.thread"]
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
        tracking=True,
        help="The product the silo holds now. Changing it does not change the "
        "product, silo or unit of MOs already sent to the line; every change is an "
        "entry of the silo's history.",
    )
    lot_id = fields.Many2one(
        "stock.production.lot",
        domain="[('product_id', '=', product_id)]",
        tracking=True,
        help="The lot the silo holds now; needed for lot-tracked products. A batch is "
        "booked on the lot the silo held while the line dosed it, from the silo's "
        "history: use Refill to say from when the silo holds a new lot.",
    )
    fill_ids = fields.One2many(
        "mrp.plc.silo.fill",
        "silo_id",
        string="Content History",
        readonly=True,
        copy=False,
    )
    location_id = fields.Many2one(
        "stock.location",
        string="Stock Location",
        domain="[('usage', '=', 'internal')]",
        copy=False,
        help="Where the plant works that way: the stock location of this silo alone. "
        "A done transfer of a lot into it is an entry of the silo's history, from the "
        "transfer's date: the silo holds that lot from then on.",
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
        (
            "location_unique",
            "unique(location_id)",
            "A stock location is the location of one silo only: a transfer into it "
            "says what that silo holds.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        silos = super().create(vals_list)
        # An empty new silo has no history yet: its first refill may be dated back to
        # when it was filled.
        silos.filtered(lambda s: s.product_id or s.lot_id)._plc_enter_content()
        return silos

    def write(self, vals):
        if self.env.context.get(SILO_WRITTEN) or not {"product_id", "lot_id"} & set(
            vals
        ):
            return super().write(vals)
        before = {silo.id: (silo.product_id, silo.lot_id) for silo in self}
        result = super().write(vals)
        self.filtered(
            lambda s: (s.product_id, s.lot_id) != before[s.id]
        )._plc_enter_content()
        return result

    def _plc_enter_content(self):
        """An entry of each silo's history for what it holds now, from now."""
        self.env["mrp.plc.silo.fill"].sudo().with_context(**{SILO_WRITTEN: True}).create(
            [
                {
                    "silo_id": silo.id,
                    "product_id": silo.product_id.id,
                    "lot_id": silo.lot_id.id,
                    "entered_by": self.env.user.id,
                    "how": "refill",
                }
                for silo in self
            ]
        )

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

    def action_plc_refill(self):
        """The Refill wizard: what the silo holds from when on."""
        self.ensure_one()
        # Who may change what the silo holds may refill it.
        self.check_access_rights("write")
        self.check_access_rule("write")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mrp_plc_bridge.mrp_plc_silo_refill_action"
        )
        action["context"] = {"default_silo_id": self.id}
        return action

    def _plc_contents(self, start, end):
        """What each silo held from ``start`` to ``end``: {silo id: [entry or None, ...]}.

        The entry in force at ``start`` (None when the silo's history begins after it),
        then every entry from after ``start`` up to ``end``, oldest first. Two queries
        whatever the number of silos.
        """
        Fill = self.env["mrp.plc.silo.fill"].sudo()
        latest = {
            group["silo_id"][0]: group["valid_from"]
            for group in Fill.read_group(
                [("silo_id", "in", self.ids), ("valid_from", "<=", start)],
                ["silo_id", "valid_from:max"],
                ["silo_id"],
            )
        }
        clauses = []
        for silo in self:
            since = latest.get(silo.id)
            clauses.append(
                [
                    ("silo_id", "=", silo.id),
                    ("valid_from", ">=", since) if since else ("valid_from", ">", start),
                    ("valid_from", "<=", end),
                ]
            )
        entries = Fill.search(expression.OR(clauses), order="valid_from, id")
        contents = {}
        for silo in self:
            own = entries.filtered(lambda e, silo=silo: e.silo_id == silo)
            at_start = own.filtered(lambda e: e.valid_from <= start)
            after = own - at_start
            # Of the entries made at the same time, the last one made is in force.
            contents[silo.id] = [at_start[-1:] or None] + list(after)
        return contents

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
