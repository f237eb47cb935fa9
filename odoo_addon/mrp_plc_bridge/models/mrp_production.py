# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The MO's PLC fields, its PLC state and the planner's actions on it.

The line hands MOs out (mrp_plc_line_fetch.py), the agent calls in through
mrp_production_plc_api.py, and a report closes the MO in mrp_production_plc_report.py.
"""
from odoo import _, api, fields, models
from odoo.exceptions import UserError

# PLC states in which the MO belongs to its line and must not move to another one.
PLC_LOCKED_STATES = ("sent", "done", "recorded", "failed")


class MrpProduction(models.Model):
    _inherit = "mrp.production"

    plc_line_id = fields.Many2one(
        "mrp.plc.line",
        string="PLC Line",
        compute="_compute_plc_line_id",
        store=True,
        readonly=False,
        index=True,
        tracking=True,
        help="The PLC line this MO is dosed on; taken from the BoM, editable until "
        "the MO is sent to the line.",
    )
    plc_hold = fields.Boolean(
        string="PLC Hold",
        copy=False,
        tracking=True,
        help="Held MOs are not sent to the PLC line.",
    )
    plc_state = fields.Selection(
        [
            ("ready", "Ready"),
            ("sent", "Sent"),
            ("done", "Done"),
            ("recorded", "Recorded"),
            ("failed", "Failed"),
            ("blocked", "Blocked"),
        ],
        string="PLC State",
        compute="_compute_plc_state",
        store=True,
        readonly=True,
        index=True,
        copy=False,
        tracking=True,
    )
    plc_reason = fields.Text(string="PLC Reason", copy=False, readonly=True)
    plc_message = fields.Text(
        string="PLC Message", copy=False, readonly=True, help="The line's message."
    )
    plc_run = fields.Integer(
        string="PLC Run",
        default=1,
        copy=False,
        readonly=True,
        help="Grows by one each time a failed MO is released to the line again.",
    )
    plc_batch_key = fields.Char(
        string="Batch Key", copy=False, readonly=True, index=True
    )
    plc_sent_at = fields.Datetime(string="Sent at", copy=False, readonly=True)
    plc_reported_at = fields.Datetime(string="Reported at", copy=False, readonly=True)
    plc_started_at = fields.Datetime(
        string="Batch Started at", copy=False, readonly=True
    )
    plc_finished_at = fields.Datetime(
        string="Batch Finished at", copy=False, readonly=True
    )
    plc_consumption_ids = fields.One2many(
        "mrp.plc.consumption",
        "production_id",
        string="PLC Consumption",
        copy=False,
        readonly=True,
    )
    plc_finished_qty_planned = fields.Float(
        string="Finished Planned",
        digits="Product Unit of Measure",
        copy=False,
        readonly=True,
    )
    plc_finished_qty_actual = fields.Float(
        string="Finished Actual",
        digits="Product Unit of Measure",
        copy=False,
        readonly=True,
    )
    plc_finished_weight_planned = fields.Float(
        string="Finished Weight Planned (kg)",
        digits="Stock Weight",
        copy=False,
        readonly=True,
        help="The planned finished quantity as the PLC weighs it, sent to the line.",
    )
    plc_finished_weight_actual = fields.Float(
        string="Finished Weight Actual (kg)",
        digits="Stock Weight",
        copy=False,
        readonly=True,
        help="The finished weight the line reported.",
    )
    plc_suspect = fields.Boolean(
        string="PLC Suspect",
        copy=False,
        readonly=True,
        index=True,
        tracking=True,
        help="The line marked values of this batch as suspect: the actuals are stored "
        "but the MO waits for a person to accept or correct them.",
    )
    # The MO's UoM for the PLC page: showing product_uom_id itself a second time
    # would make the form's own UoM field read-only (the last occurrence's modifiers
    # win), which breaks editing draft MOs and Odoo's mrp tests.
    plc_uom_id = fields.Many2one(
        related="product_uom_id", string="PLC Unit of Measure", readonly=True
    )
    plc_finished_deviation_percent = fields.Float(
        string="Finished Deviation (%)",
        digits=(16, 2),
        compute="_compute_plc_finished_deviation_percent",
    )
    plc_report_digest = fields.Char(copy=False, readonly=True)
    plc_report_result = fields.Text(copy=False, readonly=True)

    # ------------------------------------------------------------------
    # Computes and ORM overrides
    # ------------------------------------------------------------------

    @api.depends("bom_id")
    def _compute_plc_line_id(self):
        for production in self:
            # An MO once sent keeps its line. That is read from plc_sent_at, not from
            # plc_state: plc_state is computed from this field, and reading it here computed
            # it before the line was set, so an MO created in code (procurement, import) got
            # its line but no PLC state and was never fetched.
            if production.plc_sent_at:
                production.plc_line_id = production.plc_line_id
            elif production.bom_id.plc_line_id:
                production.plc_line_id = production.bom_id.plc_line_id
            else:
                production.plc_line_id = production.plc_line_id

    @api.depends("plc_line_id")
    def _compute_plc_state(self):
        for production in self:
            if not production.plc_line_id:
                production.plc_state = False
            elif production.plc_state in PLC_LOCKED_STATES:
                production.plc_state = production.plc_state
            else:
                # A new line: whatever blocked the MO on the old one is re-checked
                # at the next fetch.
                production.plc_state = "ready"

    @api.depends(
        "plc_finished_qty_planned", "plc_finished_qty_actual", "plc_reported_at"
    )
    def _compute_plc_finished_deviation_percent(self):
        for production in self:
            planned = production.plc_finished_qty_planned
            if production.plc_reported_at and planned:
                production.plc_finished_deviation_percent = (
                    (production.plc_finished_qty_actual - planned) / planned * 100.0
                )
            else:
                production.plc_finished_deviation_percent = 0.0

    def write(self, vals):
        if "plc_line_id" in vals and not self.env.context.get("plc_force_line"):
            for production in self:
                if (
                    production.plc_state in PLC_LOCKED_STATES
                    and production.plc_line_id.id != vals["plc_line_id"]
                ):
                    raise UserError(
                        _(
                            "%(mo)s was already sent to PLC line %(line)s; its line "
                            "can no longer change.",
                            mo=production.name,
                            line=production.plc_line_id.code,
                        )
                    )
            if "plc_reason" not in vals and all(
                production.plc_state in (False, "ready", "blocked")
                for production in self
            ):
                vals = dict(vals, plc_reason=False)
        return super().write(vals)

    # ------------------------------------------------------------------
    # Planner actions
    # ------------------------------------------------------------------

    def action_plc_release(self):
        """Give a failed MO back to its line for a new run."""
        for production in self:
            if production.plc_state != "failed":
                raise UserError(
                    _(
                        "Only MOs whose PLC run failed can be released again "
                        "(%(mo)s is %(state)s).",
                        mo=production.name,
                        state=production.plc_state or _("not on a line"),
                    )
                )
            if production.state in ("done", "cancel"):
                raise UserError(
                    _("%s is done or cancelled and cannot run again.", production.name)
                )
        for production in self:
            production.write(
                {
                    "plc_state": "ready",
                    "plc_run": production.plc_run + 1,
                    "plc_reason": False,
                    "plc_report_digest": False,
                    "plc_report_result": False,
                }
            )
        return True

    # ------------------------------------------------------------------
    # What the line doses
    # ------------------------------------------------------------------

    def _plc_open_raw_moves(self):
        """The component moves still to dose, in the order of the BoM lines."""
        self.ensure_one()
        moves = self.move_raw_ids.filtered(lambda m: m.state not in ("done", "cancel"))
        return moves.sorted(
            lambda m: (
                m.bom_line_id.sequence if m.bom_line_id else 1 << 30,
                m.bom_line_id.id or 1 << 30,
                m.id,
            )
        )

