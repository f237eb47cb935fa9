# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import OrderedDict

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_is_zero, float_round

# A deviation is "near" the line's tolerance once it has used up this share of it while
# still within it: with the default 2 %, from 1.5 % up to 2 %. Beyond the tolerance it is
# "beyond". Deviations are judged as shown, rounded to two decimals, so a figure that
# reads 2.00 % is never coloured as beyond a 2 % tolerance.
NEAR_TOLERANCE_SHARE = 0.75
DEVIATION_STATES = [
    ("within", "Within tolerance"),
    ("near", "Near tolerance"),
    ("beyond", "Beyond tolerance"),
]
LOT_STATES = [
    ("none", "No lot"),
    ("silo", "Silo history"),
    ("question", "To choose"),
    ("chosen", "Chosen"),
]


def utc_text(value):
    """A stored (UTC) datetime as the reasons and the agent's answers give it."""
    return "%s UTC" % fields.Datetime.to_string(value)


def deviation_state(deviation_percent, tolerance_percent):
    """Where a deviation in % stands against a tolerance in %: within, near or beyond."""
    deviation = abs(float_round(deviation_percent, precision_digits=2))
    tolerance = abs(tolerance_percent or 0.0)
    if deviation > tolerance:
        return "beyond"
    if deviation and deviation >= tolerance * NEAR_TOLERANCE_SHARE:
        return "near"
    return "within"


# What the line was sent and reported for a silo: never overwritten once the MO is done.
REPORTED_FIELDS = (
    "production_id",
    "run",
    "silo_id",
    "silo_code",
    "product_id",
    "product_uom_id",
    "planned_qty",
    "actual_qty",
    "plc_uom_id",
    "plc_planned_qty",
    "plc_actual_qty",
    "reported",
    "suspect",
    "suspect_reason",
)


def changed_fields(record, vals, names):
    """The fields of ``names`` that ``vals`` would give ``record`` another value."""
    changed = []
    for name in names:
        if name not in vals:
            continue
        field = record._fields[name]
        if field.type in ("one2many", "many2many"):
            changed.append(name)
            continue
        value = field.convert_to_record(field.convert_to_cache(vals[name], record), record)
        if value != record[name]:
            changed.append(name)
    return changed


def refuse_overwrite(production, field, where=None):
    """The refusal of a write to a PLC figure of a done MO: the field, and the way."""
    return UserError(
        _(
            "%(mo)s is done: %(field)s%(where)s is what the PLC line reported and is "
            "never overwritten. To correct it, a manufacturing manager records a "
            "correction with Correct PLC figures on the order's PLC page; the line's "
            "figure stays on the batch record next to it.",
            mo=production.name,
            field=field.string,
            where=where or "",
        )
    )


class MrpPlcConsumption(models.Model):
    _name = "mrp.plc.consumption"
    _description = "PLC Consumption Line"
    _order = "production_id, run, sequence, id"

    production_id = fields.Many2one(
        "mrp.production",
        string="Manufacturing Order",
        required=True,
        ondelete="cascade",
        index=True,
    )
    line_id = fields.Many2one(
        related="production_id.plc_line_id", store=True, string="PLC Line"
    )
    company_id = fields.Many2one(
        related="production_id.company_id", store=True
    )
    run = fields.Integer(default=1)
    sequence = fields.Integer(default=10)
    silo_id = fields.Many2one("mrp.plc.silo", ondelete="restrict")
    silo_code = fields.Char(help="The silo's code when the MO was sent.")
    product_id = fields.Many2one("product.product", string="Component")
    product_uom_id = fields.Many2one("uom.uom", string="Unit of Measure")
    move_ids = fields.Many2many(
        "stock.move",
        "mrp_plc_consumption_stock_move_rel",
        "consumption_id",
        "move_id",
        string="Component Moves",
    )
    # The product's own unit (kg, L, units...): what the stock moves count in.
    planned_qty = fields.Float(
        string="Planned (product unit)",
        digits="Product Unit of Measure",
        readonly=True,
        help="The planned quantity in the product's unit of measure (Unit of Measure).",
    )
    actual_qty = fields.Float(
        string="Actual (product unit)",
        digits="Product Unit of Measure",
        help="The dosed quantity in the product's unit of measure (Unit of Measure).",
    )
    plc_uom_id = fields.Many2one(
        "uom.uom",
        string="Silo Unit",
        readonly=True,
        help="The unit the silo was dosed in when the MO was sent.",
    )
    plc_planned_qty = fields.Float(
        string="Planned (silo unit)",
        digits="Product Unit of Measure",
        readonly=True,
        help="The planned quantity as sent to the PLC, in the silo's unit.",
    )
    plc_actual_qty = fields.Float(
        string="Actual (silo unit)",
        digits="Product Unit of Measure",
        readonly=True,
        help="The actual quantity as the line reported it, in the silo's unit.",
    )
    reported = fields.Boolean(help="The line reported the actual quantity.")
    suspect = fields.Boolean(
        readonly=True, help="The line marked this actual as suspect."
    )
    suspect_reason = fields.Char(
        readonly=True, help="Why the line took the value for suspect, and its raw words."
    )
    deviation_qty = fields.Float(
        string="Deviation (product unit)",
        digits="Product Unit of Measure",
        compute="_compute_deviation",
        store=True,
        help="Actual minus planned, in the product's unit of measure.",
    )
    deviation_percent = fields.Float(
        string="Deviation (% of plan)",
        digits=(16, 2),
        compute="_compute_deviation",
        store=True,
        group_operator="avg",
        help="Actual minus planned, in % of planned; positive is an overdose. Summed "
        "up as an average.",
    )
    tolerance_percent = fields.Float(
        related="line_id.consumption_tolerance",
        string="Tolerance (%)",
        store=True,
        group_operator="avg",
        help="The line's consumption tolerance, in % of plan either way.",
    )
    tolerance_exceeded = fields.Boolean(
        string="Beyond Tolerance", compute="_compute_deviation", store=True
    )
    deviation_state = fields.Selection(
        DEVIATION_STATES,
        string="Against Tolerance",
        compute="_compute_deviation",
        store=True,
        help="The deviation against the line's tolerance: within it, near it (past "
        "three quarters of it) or beyond it. Empty until the line reports.",
    )

    # The lot the line dosed from: what the silo's history says it held while the line
    # dosed the batch (mrp_plc_silo_fill.py), or what a person chose when that was
    # not one lot.
    dosed_from = fields.Datetime(
        readonly=True,
        help="When the line started the batch, by the PLC's clock (UTC); when the line "
        "sent no time, when its report reached Odoo.",
    )
    dosed_to = fields.Datetime(
        readonly=True,
        help="When the line finished the batch, by the PLC's clock (UTC); when the line "
        "sent no time, when its report reached Odoo.",
    )
    lot_id = fields.Many2one(
        "stock.production.lot",
        readonly=True,
        help="The lot the silo held while the line dosed this batch, from the silo's "
        "history; empty when that was not one lot (see Lot State).",
    )
    dosed_lot_ids = fields.Many2many(
        "stock.production.lot",
        "mrp_plc_consumption_dosed_lot_rel",
        "consumption_id",
        "lot_id",
        string="Lots in the Silo",
        readonly=True,
        help="Every lot of the component the silo held while the line dosed this batch.",
    )
    lot_state = fields.Selection(
        LOT_STATES,
        readonly=True,
        help="No lot: the component is not tracked by lot, or nothing was dosed. Silo "
        "history: the silo held one lot throughout the batch. To choose: it held "
        "several lots, or none is known; the MO waits for a person. Chosen: a person "
        "chose the lots.",
    )
    lot_note = fields.Text(
        string="Lot Question",
        readonly=True,
        help="Why the lot could not be taken from the silo's history.",
    )
    lot_share_ids = fields.One2many(
        "mrp.plc.consumption.lot",
        "consumption_id",
        string="Lots Chosen",
        readonly=True,
    )
    lot_chosen_by = fields.Many2one("res.users", readonly=True)
    lot_chosen_at = fields.Datetime(readonly=True)
    lot_names = fields.Char(
        string="Lots",
        compute="_compute_lot_names",
        help="The lot(s) this silo's actual is booked on.",
    )

    @api.depends("lot_id", "lot_state", "lot_share_ids")
    def _compute_lot_names(self):
        for consumption in self:
            if consumption.lot_state == "chosen":
                consumption.lot_names = ", ".join(
                    "%s (%s %s)"
                    % (share.lot_id.name, share.plc_qty, share.plc_uom_id.name)
                    for share in consumption.lot_share_ids
                )
            elif consumption.lot_state == "question":
                consumption.lot_names = _("To choose")
            else:
                consumption.lot_names = consumption.lot_id.name or False

    def action_plc_choose_lots(self):
        """The wizard a person books a questioned silo's actual on its lots with."""
        self.ensure_one()
        if not self.env.user.has_group("mrp.group_mrp_user"):
            raise UserError(_("Only manufacturing users may choose the lots of a batch."))
        self._plc_check_choosable()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mrp_plc_bridge.mrp_plc_lot_choice_action"
        )
        action["context"] = {"default_consumption_id": self.id}
        return action

    def _plc_check_choosable(self):
        for consumption in self:
            if consumption.production_id.state in ("done", "cancel"):
                raise UserError(
                    _(
                        "%(mo)s is closed: its lots stay as they were booked.",
                        mo=consumption.production_id.name,
                    )
                )
            if consumption.lot_state not in ("question", "chosen"):
                raise UserError(
                    _(
                        "Silo %(silo)s of %(mo)s is booked on the lot its history gives; "
                        "there is nothing to choose.",
                        silo=consumption.silo_code,
                        mo=consumption.production_id.name,
                    )
                )

    def _plc_settle_lots(self):
        """Take each line's lot from its silo's history over the line's dosing time.

        Lines a person chose the lots of keep them. Two queries per dosing time to read
        the history, and one write per distinct outcome (most components of a feed are
        not tracked by lot: they share one).
        """
        lines = self.filtered(lambda c: c.lot_state != "chosen" and c.dosed_from)
        windows = OrderedDict()
        for consumption in lines:
            key = (consumption.dosed_from, consumption.dosed_to)
            windows.setdefault(key, self.browse())
            windows[key] |= consumption
        outcomes = OrderedDict()
        for (start, end), group in windows.items():
            contents = group.mapped("silo_id")._plc_contents(start, end)
            for consumption in group:
                held = contents.get(consumption.silo_id.id, [None])
                values = consumption._plc_lot_values(held)
                key = repr(sorted(values.items()))
                outcomes.setdefault(key, (values, self.browse()))
                outcomes[key] = (values, outcomes[key][1] | consumption)
        for values, group in outcomes.values():
            # The consumption lines are the line's record, read-only to people.
            group.sudo().write(values)

    def _plc_lot_values(self, held):
        """The lot fields for what the silo ``held`` while dosing: [entry or None, ...]."""
        self.ensure_one()
        product = self.product_id
        entries = [entry for entry in held if entry]
        lots = self.env["stock.production.lot"]
        for entry in entries:
            if entry.product_id == product and entry.lot_id:
                lots |= entry.lot_id
        values = {"dosed_lot_ids": [(6, 0, lots.ids)], "lot_note": False}
        if product.tracking == "none":
            return dict(values, lot_state="none", lot_id=False)
        known = held[0] is not None and all(
            entry.product_id == product and entry.lot_id for entry in entries
        )
        if known and len(lots) == 1:
            return dict(values, lot_state="silo", lot_id=lots.id)
        if float_is_zero(
            self.plc_actual_qty,
            precision_rounding=(self.plc_uom_id or self.product_uom_id).rounding
            or 0.001,
        ):
            return dict(values, lot_state="none", lot_id=lots.id if len(lots) == 1 else False)
        return dict(
            values,
            lot_state="question",
            lot_id=False,
            lot_note=self._plc_lot_question(held),
        )

    def _plc_lot_question(self, held):
        """Why the lot of this line is in question: what the silo held while dosing."""
        self.ensure_one()
        product = self.product_id
        parts = []
        for index, entry in enumerate(held):
            if entry is None:
                what = _("nothing its history records")
            elif entry.product_id != product:
                what = entry._plc_content_text()
            elif not entry.lot_id:
                what = _("no lot of it")
            else:
                what = _("lot %s", entry.lot_id.name)
            if index:
                what = _(
                    "then %(what)s from %(when)s",
                    what=what,
                    when=utc_text(entry.valid_from),
                )
            parts.append(what)
        if self.dosed_from == self.dosed_to:
            window = _("at %s", utc_text(self.dosed_from))
        else:
            window = _(
                "%(start)s to %(end)s",
                start=utc_text(self.dosed_from),
                end=utc_text(self.dosed_to),
            )
        return _(
            "%(product)s is tracked by lot, and while the line dosed this batch "
            "(%(window)s) silo %(silo)s held %(held)s.",
            product=product.display_name,
            window=window,
            silo=self.silo_code,
            held=", ".join(parts),
        )

    def _plc_lot_allocation(self):
        """[(lot, share of the actual)]: the lots this line's actual is booked on."""
        self.ensure_one()
        if self.lot_state == "chosen":
            total = sum(self.lot_share_ids.mapped("plc_qty"))
            if total:
                return [
                    (share.lot_id, share.plc_qty / total)
                    for share in self.lot_share_ids
                ]
        return [(self.lot_id, 1.0)]

    correction_ids = fields.One2many(
        "mrp.plc.consumption.correction",
        "consumption_id",
        string="Corrections",
        readonly=True,
    )
    corrected_actual_qty = fields.Float(
        string="Corrected Actual (silo unit)",
        digits="Product Unit of Measure",
        compute="_compute_corrected_actual_qty",
        help="The actual after the last correction a manager recorded; the line's own "
        "figure when there is none.",
    )

    @api.depends("plc_actual_qty", "correction_ids.new_value")
    def _compute_corrected_actual_qty(self):
        for consumption in self:
            consumption.corrected_actual_qty = consumption._plc_corrected_actual()

    def _plc_corrected_actual(self):
        """The actual in the silo's unit after the corrections, the latest last."""
        self.ensure_one()
        corrections = self.correction_ids.sorted(lambda c: (c.corrected_at, c.id))
        return corrections[-1:].new_value if corrections else self.plc_actual_qty

    # ------------------------------------------------------------------
    # What the line reported stays as it reported it
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        productions = self.env["mrp.production"].browse(
            [vals.get("production_id") for vals in vals_list]
        )
        for production in productions:
            if production.state == "done":
                raise UserError(
                    _(
                        "%s is done: its batch record gets no new consumption line.",
                        production.name,
                    )
                )
        return super().create(vals_list)

    def write(self, vals):
        for consumption in self:
            production = consumption.production_id
            if production.state != "done":
                continue
            changed = changed_fields(consumption, vals, REPORTED_FIELDS)
            if changed:
                raise refuse_overwrite(
                    production,
                    self._fields[changed[0]],
                    _(" of silo %s", consumption.silo_code),
                )
        return super().write(vals)

    def unlink(self):
        for consumption in self:
            if consumption.production_id.state == "done":
                raise UserError(
                    _(
                        "%(mo)s is done: the line's consumption of silo %(silo)s is part "
                        "of its batch record and is never deleted.",
                        mo=consumption.production_id.name,
                        silo=consumption.silo_code,
                    )
                )
        return super().unlink()

    def _plc_qty_from_plc(self, qty):
        """A quantity in the PLC unit the line was sent in, in the line's UoM.

        Lines frozen before PLC units existed were sent in their own UoM.
        """
        self.ensure_one()
        return self.product_id._plc_qty_from_plc(
            qty, self.plc_uom_id or self.product_uom_id, self.product_uom_id
        )

    @api.depends(
        "planned_qty", "actual_qty", "reported", "line_id.consumption_tolerance"
    )
    def _compute_deviation(self):
        for rec in self:
            if not rec.reported:
                rec.deviation_qty = 0.0
                rec.deviation_percent = 0.0
                rec.tolerance_exceeded = False
                rec.deviation_state = False
                continue
            rec.deviation_qty = rec.actual_qty - rec.planned_qty
            if rec.planned_qty:
                rec.deviation_percent = rec.deviation_qty / rec.planned_qty * 100.0
            else:
                rec.deviation_percent = 100.0 if rec.actual_qty else 0.0
            rec.deviation_state = deviation_state(
                rec.deviation_percent, rec.line_id.consumption_tolerance
            )
            rec.tolerance_exceeded = rec.deviation_state == "beyond"
