# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The MO on a PLC line: its PLC fields and state, the planners' actions, the agent's calls.

The agent's calls are the public ``plc_*`` methods below, each one line into the door
(mrp_production_plc_rpc.py); a batch report is applied to the MO and closes it in
mrp_production_plc_report.py. The line hands its MOs out in mrp_plc_line_fetch.py.
"""
from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from . import mrp_production_plc_rpc as rpc
from .mrp_production_plc_chart import consumption_chart
from .mrp_production_plc_report import MoReport
from .mrp_production_plc_send_now import SendNow

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
    plc_send_now_at = fields.Datetime(
        string="Sent Now at",
        copy=False,
        readonly=True,
        help="When a planner pressed Send to the line now: such orders are fetched "
        "before all others of the line, the earliest press first.",
    )
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
    # The failed run's report, kept when the MO is released again: the agent may send it
    # again (its answer was lost) after the release, and gets the same answer.
    plc_failed_run_key = fields.Char(copy=False, readonly=True)
    plc_failed_run_digest = fields.Char(copy=False, readonly=True)
    plc_failed_run_result = fields.Text(copy=False, readonly=True)
    plc_max_deviation_percent = fields.Float(
        string="Largest Deviation (%)",
        digits=(16, 2),
        compute="_compute_plc_max_deviation",
        store=True,
        copy=False,
        help="The reported silo or tank of this MO that deviates most from plan, with "
        "its sign: positive is an overdose.",
    )
    plc_tolerance_exceeded = fields.Boolean(
        string="Beyond Tolerance",
        compute="_compute_plc_max_deviation",
        store=True,
        copy=False,
    )
    plc_consumption_tolerance = fields.Float(
        related="plc_line_id.consumption_tolerance",
        string="Tolerance (%)",
        readonly=True,
        help="The line's consumption tolerance: a silo's deviation beyond it is red, "
        "one past three quarters of it orange.",
    )
    # Server-drawn SVG; sanitize would strip it, and every text in it is escaped.
    plc_consumption_chart = fields.Html(
        string="Planned vs Actual",
        compute="_compute_plc_consumption_chart",
        sanitize=False,
    )
    plc_failure_ids = fields.One2many(
        "mrp.plc.failure",
        "production_id",
        string="PLC Failures",
        readonly=True,
    )
    plc_failure_count = fields.Integer(
        string="PLC Failure Count", compute="_compute_plc_failure_count"
    )
    # What an operator weighed by hand for the MO: extra component moves, consumed once.
    plc_weighing_ids = fields.One2many(
        "mrp.plc.weighing",
        "production_id",
        string="Manual Weighings",
        readonly=True,
    )

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

    @api.depends(
        "plc_consumption_ids.deviation_percent",
        "plc_consumption_ids.reported",
        "plc_consumption_ids.tolerance_exceeded",
    )
    def _compute_plc_max_deviation(self):
        for production in self:
            reported = production.plc_consumption_ids.filtered("reported")
            largest = max(
                reported.mapped("deviation_percent"), key=abs, default=0.0
            )
            production.plc_max_deviation_percent = largest
            production.plc_tolerance_exceeded = any(
                reported.mapped("tolerance_exceeded")
            )

    @api.depends(
        "plc_run",
        "plc_consumption_ids.plc_planned_qty",
        "plc_consumption_ids.plc_actual_qty",
        "plc_consumption_ids.deviation_state",
    )
    def _compute_plc_consumption_chart(self):
        for production in self:
            production.plc_consumption_chart = consumption_chart(
                production.plc_consumption_ids.filtered(
                    lambda c, run=production.plc_run: c.run == run
                )
            )

    @api.depends("plc_failure_ids")
    def _compute_plc_failure_count(self):
        for production in self:
            production.plc_failure_count = len(production.plc_failure_ids)

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
                    "plc_failed_run_key": production.plc_batch_key,
                    "plc_failed_run_digest": production.plc_report_digest,
                    "plc_failed_run_result": production.plc_report_result,
                    "plc_report_digest": False,
                    "plc_report_result": False,
                }
            )
        return True

    def action_plc_send_now(self):
        """Put a ready MO first in its line's fetch order; say when it reaches the PLC."""
        if not self.env.user.has_group("mrp.group_mrp_user"):
            raise AccessError(_("Only manufacturing users may send orders to a PLC line."))
        self.ensure_one()
        return SendNow(self).run()

    def action_plc_accept_actuals(self):
        """Close recorded MOs with the actuals the line reported, as a done report does.

        For the batches a person checked: suspect values, a strict BoM's deviation,
        or an MO Odoo refused to close before the cause was fixed.
        """
        if not self.env.user.has_group("mrp.group_mrp_user"):
            raise AccessError(_("Only manufacturing users may accept PLC actuals."))
        for production in self:
            if production.plc_state != "recorded" or production.state in (
                "done",
                "cancel",
            ):
                raise UserError(
                    _(
                        "Only open MOs whose PLC actuals are recorded can be closed "
                        "with them (%(mo)s is %(state)s).",
                        mo=production.name,
                        state=production.plc_state or _("not on a line"),
                    )
                )
        for production in self:
            MoReport(production).accept_actuals()
        return True

    # ------------------------------------------------------------------
    # The agent's calls (docs/api.md): each one enters through the door
    # ------------------------------------------------------------------

    @api.model
    def plc_ping(self, line_code, status=None):
        return rpc.enter(self, rpc.Ping, line_code, status)

    @api.model
    def plc_fetch_batches(self, line_code, limit=10):
        return rpc.enter(self, rpc.FetchBatches, line_code, limit)

    @api.model
    def plc_report_batch(self, payload):
        return rpc.enter(self, rpc.ReportBatch, payload)

    @api.model
    def plc_report_failure(self, payload):
        return rpc.enter(self, rpc.ReportFailure, payload)

    @api.model
    def plc_report_manual_weighing(self, payload):
        return rpc.enter(self, rpc.ReportWeighing, payload)

    def _plc_take_report(self, report):
        """Apply a batch report (checked by the door) to this MO once; the answer."""
        self.ensure_one()
        return MoReport(self).take(report)

    # ------------------------------------------------------------------
    # What the line doses, and what is weighed by hand
    # ------------------------------------------------------------------

    def _plc_open_raw_moves(self):
        """The component moves still to dose, in the order of the BoM lines.

        A manual weighing's move is its own: the line never doses it.
        """
        self.ensure_one()
        moves = self.move_raw_ids.filtered(
            lambda m: m.state not in ("done", "cancel") and not m.plc_weighing_ids
        )
        return moves.sorted(
            lambda m: (
                m.bom_line_id.sequence if m.bom_line_id else 1 << 30,
                m.bom_line_id.id or 1 << 30,
                m.id,
            )
        )

    def _plc_link_failures(self):
        """Give the failures reported while this batch ran, before its report, their MO."""
        self.ensure_one()
        if not self.plc_started_at:
            return
        domain = [
            ("line_id", "=", self.plc_line_id.id),
            ("production_id", "=", False),
            ("occurred_at", ">=", self.plc_started_at),
        ]
        if self.plc_finished_at:
            domain.append(("occurred_at", "<=", self.plc_finished_at))
        self.env["mrp.plc.failure"].search(domain).write({"production_id": self.id})

    def _plc_add_weighed_component(self, product, qty):
        """An extra component move of ``qty`` (product UoM) for a manual weighing.

        On an open MO it waits, done, for the MO's closing; on a closed MO it is posted
        at once, as Odoo does for a component added to an unlocked done MO. It is never
        sent to the PLC and a batch report leaves it as weighed.
        """
        self.ensure_one()
        values = self._get_move_raw_values(product, 0.0, product.uom_id)
        values["additional"] = True
        closed = self.state == "done"
        if closed:
            values["state"] = "done"
            values["move_line_ids"] = [
                (
                    0,
                    0,
                    {
                        "product_id": product.id,
                        "product_uom_id": product.uom_id.id,
                        "qty_done": qty,
                        "location_id": values["location_id"],
                        "location_dest_id": values["location_dest_id"],
                        "company_id": self.company_id.id,
                        "production_id": self.id,
                    },
                )
            ]
        before = self.move_raw_ids
        self.write({"move_raw_ids": [(0, 0, values)]})
        move = self.move_raw_ids - before
        move.ensure_one()
        if not closed:
            self._plc_set_move_quantity(move, qty, False)
        return move

    @api.model
    def _plc_set_move_quantity(self, move, qty, lot):
        """``qty`` done on ``move``, in new move lines (of ``lot`` when one is given)."""
        open_lines = move.move_line_ids.filtered(
            lambda ml: ml.state not in ("done", "cancel")
        )
        open_lines.write({"qty_done": 0})
        commands = move._set_quantity_done_prepare_vals(qty)
        if lot:
            for command in commands:
                if command[0] in (0, 1):
                    command[2]["lot_id"] = lot.id
        move.move_line_ids = commands
