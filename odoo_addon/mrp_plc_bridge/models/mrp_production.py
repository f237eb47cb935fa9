# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The MO on a PLC line: its PLC fields and state, the planners' actions, the agent's calls.

The agent's calls are the public ``plc_*`` methods below, each one line into the door
(mrp_production_plc_rpc.py); a batch report is applied to the MO and closes it in
mrp_production_plc_report.py. The line hands its MOs out in mrp_plc_line_fetch.py.
"""
from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_compare, float_is_zero, float_round

from . import mrp_production_plc_rpc as rpc
from .mrp_plc_consumption import changed_fields, refuse_overwrite
from .mrp_plc_consumption_correction import MANAGER_GROUP
from .mrp_production_batch_record import BatchRecord
from .mrp_production_plc_chart import consumption_chart
from .mrp_production_plc_report import MoReport
from .mrp_production_plc_send_now import SendNow

# PLC states in which the MO belongs to its line and must not move to another one.
PLC_LOCKED_STATES = ("sent", "done", "recorded", "failed")
# What the line was sent and reported, on the MO: never overwritten once the MO is done
# (a wrong figure gets a correction, mrp_plc_consumption_correction.py).
PLC_REPORTED_FIELDS = (
    "plc_run",
    "plc_batch_key",
    "plc_sent_at",
    "plc_started_at",
    "plc_finished_at",
    "plc_reported_at",
    "plc_message",
    "plc_suspect",
    "plc_finished_qty_planned",
    "plc_finished_qty_actual",
    "plc_finished_weight_planned",
    "plc_finished_weight_actual",
    "plc_consumption_ids",
    "plc_run_ids",
)


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
    # Each run the line reported (why an earlier one failed), and the corrections of
    # the figures the line reported for the closed MO: the batch record reads both.
    plc_run_ids = fields.One2many(
        "mrp.plc.run",
        "production_id",
        string="PLC Runs",
        readonly=True,
        copy=False,
    )
    plc_correction_ids = fields.One2many(
        "mrp.plc.consumption.correction",
        "production_id",
        string="PLC Corrections",
        readonly=True,
        copy=False,
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
        if any(name in vals for name in PLC_REPORTED_FIELDS):
            for production in self.filtered(lambda p: p.state == "done"):
                changed = changed_fields(production, vals, PLC_REPORTED_FIELDS)
                if changed:
                    raise refuse_overwrite(production, self._fields[changed[0]])
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

    def action_plc_open_correction(self):
        """The Correct PLC figures wizard of a done MO the line reported."""
        self.ensure_one()
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                _("Only manufacturing managers may correct the figures a PLC line reported.")
            )
        if self.state != "done" or not self.plc_reported_at:
            raise UserError(
                _(
                    "Only done orders the PLC line reported have figures to correct "
                    "(%(mo)s is %(state)s).",
                    mo=self.name,
                    state=self.state,
                )
            )
        return {
            "type": "ir.actions.act_window",
            "name": _("Correct PLC figures of %s", self.name),
            "res_model": "mrp.plc.correction.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_production_id": self.id},
        }

    # ------------------------------------------------------------------
    # The batch record (mrp_production_batch_record.py)
    # ------------------------------------------------------------------

    def _plc_batch_record(self):
        """The values of this MO's batch record, for its reader (the printed record)."""
        return BatchRecord(self).values()

    def _plc_batch_record_rows(self):
        """The part of the batch record the CSV has a row for: the finished lots and one
        row per silo of each run, without the rest of the record."""
        record = BatchRecord(self)
        return {"finished_lots": record.finished_lots(), "silos": record.silo_rows()}

    def _plc_corrected_finished_weight(self):
        """The finished weight in kg after the corrections, the latest last."""
        self.ensure_one()
        corrections = self.plc_correction_ids.filtered(
            lambda c: not c.consumption_id
        ).sorted(lambda c: (c.corrected_at, c.id))
        if corrections:
            return corrections[-1].new_value
        return self.plc_finished_weight_actual

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
    def _plc_set_move_lots(self, move, by_lot):
        """The quantities ``by_lot`` ({lot: qty in move UoM}) done on ``move``.

        One lot, or none of an untracked product: as ``_plc_set_move_quantity``, which
        books the reserved lines on that lot. Several lots, or no lot of a tracked
        product (its lot is in question): the reserved lines of each lot take its
        quantity first, new lines the rest; a quantity without a lot stays on a line
        without one, which Odoo refuses to close until a person gives it a lot.
        """
        rounding = move.product_uom.rounding
        items = list(by_lot.items())
        total = float_round(sum(qty for _lot, qty in items), precision_rounding=rounding)
        if len(items) == 1 and (items[0][0] or move.product_id.tracking == "none"):
            return self._plc_set_move_quantity(move, total, items[0][0])
        quantities = []
        for index, (lot, qty) in enumerate(items):
            if index == len(items) - 1:
                qty = total - sum(q for _lot, q in quantities)
            quantities.append((lot, float_round(qty, precision_rounding=rounding)))
        open_lines = move.move_line_ids.filtered(
            lambda ml: ml.state not in ("done", "cancel")
        )
        open_lines.write({"qty_done": 0})
        commands = []
        used = self.env["stock.move.line"]
        for lot, qty in quantities:
            for line in open_lines - used:
                if float_compare(qty, 0.0, precision_rounding=rounding) <= 0:
                    break
                reserved = line.product_uom_id._compute_quantity(
                    line.product_uom_qty, move.product_uom, round=False
                )
                if line.lot_id != lot or float_is_zero(
                    reserved, precision_rounding=rounding
                ):
                    continue
                taken = min(qty, reserved)
                commands.append(
                    (
                        1,
                        line.id,
                        {
                            "qty_done": move.product_uom._compute_quantity(
                                taken, line.product_uom_id, round=False
                            )
                        },
                    )
                )
                used |= line
                qty -= taken
            if float_compare(qty, 0.0, precision_rounding=rounding) > 0:
                values = move._prepare_move_line_vals(quantity=0)
                values.update({"qty_done": qty, "lot_id": lot.id})
                commands.append((0, 0, values))
        for line in open_lines - used:
            if float_is_zero(line.product_uom_qty, precision_rounding=rounding):
                commands.append((2, line.id))
        move.move_line_ids = commands

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
