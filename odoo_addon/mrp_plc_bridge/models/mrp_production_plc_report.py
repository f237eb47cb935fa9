# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A batch report applied to its MO: the actuals onto the moves, then the MO closed.

The report's shape is checked before it gets here (payloads/batch_report.py), and the door
(mrp_production_plc_rpc.py) has checked that the caller may report this MO; this file
decides what the report means for the MO. Plain Python called by ``mrp.production``
(``_plc_take_report``, *Accept PLC actuals*), not a model of its own.
"""
import json
from collections import OrderedDict

from odoo import _, fields
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_round, html_escape

from ..payloads.checks import ReportRejected
from .mrp_plc_consumption import utc_text
from .mrp_production_plc_rpc import API_VERSION

PLC_REPORTED_STATES = ("done", "recorded", "failed")
# A failed batch did not produce: its time is not productive.
PRODUCTIVE_REPORTS = ("done", "recorded")


class PlcNotClosed(Exception):
    """Odoo could not close the MO by itself; rolls the closing savepoint back."""


class MoReport:
    """One MO's side of its batch report: check it, apply it once, close the MO."""

    def __init__(self, production):
        production.ensure_one()
        self.production = production
        self.env = production.env

    def take(self, report):
        """Apply a report of the MO once; the answer for the agent."""
        production = self.production
        # Concurrent reports of one MO queue up here; under REPEATABLE READ the later
        # one then fails to serialize, is retried and finds the first one's result.
        # Raw SQL because the ORM has no row lock.
        self.env.cr.execute(
            "SELECT id FROM mrp_production WHERE id = %s FOR UPDATE", (production.id,)
        )
        duplicate = self._duplicate_result(report)
        if duplicate is not None:
            return duplicate
        by_code = self._check(report)
        if report.status == "done":
            self._lock_stock()
        result = self._apply(report, by_code)
        production._plc_link_failures()
        # The run as the line reported it, kept when a failed run is released again.
        self.env["mrp.plc.run"]._plc_record(
            production,
            report,
            result,
            "; ".join(self._suspect_text(value) for value in report.suspect) or False,
        )
        if result["status"] in PRODUCTIVE_REPORTS:
            production.plc_line_id._plc_log_batch_time(
                production, report.started_at, report.finished_at
            )
        return result

    def accept_actuals(self):
        """Close the recorded MO with its reported actuals, by the path a done report takes.

        The lots are those the silos held when the line dosed the batch, by the times
        stored with it, however long after the report a person accepts it.
        """
        production = self.production
        reported = production.plc_consumption_ids.filtered("reported")
        self._date_lines(reported.filtered(lambda c: not c.dosed_from))
        reported._plc_settle_lots()
        unconverted = self.apply_actuals(
            convert_finished=bool(production.plc_finished_weight_actual)
        )
        reason = unconverted or self._lot_issue() or self._close()
        if reason:
            raise UserError(reason)
        production.write({"plc_state": "done", "plc_reason": False})
        # Who vouched for the run's actuals, and when: the batch record names them.
        production.plc_run_ids.filtered(lambda r: r.run == production.plc_run).sudo().write(
            {"accepted_by_id": self.env.user.id, "accepted_at": fields.Datetime.now()}
        )
        self._activities().action_feedback(_("PLC actuals accepted."))

    # ------------------------------------------------------------------
    # Checking the report against the MO
    # ------------------------------------------------------------------

    def _lock_stock(self):
        """Lock the quants closing the MO will update, in id order, before any work.

        Raw SQL because a measurement demands it: with lines closing MOs from the same
        stock (``python -m bench lines --stock shared``, docs/performance.md), a report
        found another one's quant update only half-way through its close, failed to
        serialize there and was as exposed again in each retry; reports even deadlocked.
        Locked first, a report waits for the other one and fails at once, and its retry
        holds the quants from its first queries on; the stable order rules out
        deadlocks. Measured: fewer retries and shorter tails (4 lines, shared stock).
        """
        production = self.production
        moves = (production.move_raw_ids | production.move_finished_ids).filtered(
            lambda m: m.state not in ("done", "cancel")
        )
        if not moves:
            return
        locations = moves.mapped("location_id") | moves.mapped("location_dest_id")
        self.env.cr.execute(
            """SELECT id FROM stock_quant
                WHERE product_id IN %s AND location_id IN %s
             ORDER BY id FOR UPDATE""",
            (tuple(moves.mapped("product_id").ids), tuple(locations.ids)),
        )

    def _duplicate_result(self, report):
        """The stored answer when this run's report, or the failed run's before a release
        again, already came in; else None."""
        production = self.production
        if (
            production.plc_failed_run_digest
            and production.plc_failed_run_key == report.batch_key
        ):
            digest, stored = (
                production.plc_failed_run_digest,
                production.plc_failed_run_result,
            )
        elif (
            production.plc_report_digest
            and production.plc_batch_key == report.batch_key
        ):
            digest, stored = production.plc_report_digest, production.plc_report_result
        else:
            return None
        if digest != report.digest:
            raise ReportRejected(
                _(
                    "batch_key: %s was already reported with a different payload; "
                    "the first report stands.",
                    report.batch_key,
                )
            )
        result = json.loads(stored)
        result["duplicate"] = True
        return result

    def _check(self, report):
        """Check the report against the MO; return the run's lines by silo code."""
        production = self.production
        line = (
            self.env["mrp.plc.line"]
            .with_context(active_test=False)
            .search([("code", "=", report.line)], limit=1)
        )
        if not line:
            raise ReportRejected(_("line: unknown PLC line %r.", report.line))
        if production.plc_line_id != line:
            raise ReportRejected(
                _(
                    "mo_id: %(mo)s belongs to line %(other)s, not to %(line)s.",
                    mo=production.name,
                    other=production.plc_line_id.code or _("no line"),
                    line=line.code,
                )
            )
        if production.plc_state in PLC_REPORTED_STATES:
            raise ReportRejected(
                _(
                    "batch_key: %(mo)s was already reported under batch_key %(key)s.",
                    mo=production.name,
                    key=production.plc_batch_key,
                )
            )
        if production.state in ("done", "cancel"):
            raise ReportRejected(
                _(
                    "mo_id: %(mo)s is %(state)s.",
                    mo=production.name,
                    state=production.state,
                )
            )
        if production.plc_state != "sent":
            raise ReportRejected(
                _(
                    "mo_id: %(mo)s was not sent to the line (PLC state %(state)s).",
                    mo=production.name,
                    state=production.plc_state or _("none"),
                )
            )
        if report.batch_key != production.plc_batch_key:
            raise ReportRejected(
                _(
                    "batch_key: %(mo)s is running under %(key)s, not %(given)s.",
                    mo=production.name,
                    key=production.plc_batch_key,
                    given=report.batch_key,
                )
            )
        return self._check_silos(report, line)

    def _check_silos(self, report, line):
        """Every reported silo must be one the run was sent with; its lines by code."""
        production = self.production
        run_lines = production.plc_consumption_ids.filtered(
            lambda c: c.run == production.plc_run
        )
        by_code = OrderedDict((c.silo_code, c) for c in run_lines)
        for index, silo_code in enumerate(report.silos):
            if silo_code in by_code:
                continue
            where = "consumption[%d].silo" % index
            known = (
                self.env["mrp.plc.silo"]
                .with_context(active_test=False)
                .search_count([("line_id", "=", line.id), ("code", "=", silo_code)])
            )
            if known:
                raise ReportRejected(
                    _(
                        "%(where)s: silo %(silo)s was not sent with %(mo)s.",
                        where=where,
                        silo=silo_code,
                        mo=production.name,
                    )
                )
            raise ReportRejected(
                _(
                    "%(where)s: unknown silo %(silo)s on line %(line)s.",
                    where=where,
                    silo=silo_code,
                    line=line.code,
                )
            )
        for index, value in enumerate(report.suspect):
            if value.silo is not None and value.silo not in by_code:
                raise ReportRejected(
                    _(
                        "suspect[%(index)s].silo: silo %(silo)s was not sent with "
                        "%(mo)s.",
                        index=index,
                        silo=value.silo,
                        mo=production.name,
                    )
                )
        return by_code

    # ------------------------------------------------------------------
    # Applying it
    # ------------------------------------------------------------------

    def _apply(self, report, by_code):
        production = self.production
        # Lines of earlier runs reported before the lots were dated (14.0.1.5.0) get
        # the times their own report stored, before this report replaces them.
        self._date_lines(
            production.plc_consumption_ids.filtered(
                lambda c: c.reported and not c.dosed_from
            )
        )
        suspect_by_silo = {v.silo: v for v in report.suspect if v.silo is not None}
        for silo_code, consumption in by_code.items():
            suspect = suspect_by_silo.get(silo_code)
            consumption.write(
                {
                    "plc_actual_qty": report.actual(silo_code),
                    "reported": True,
                    "suspect": bool(suspect),
                    "suspect_reason": suspect and self._suspect_text(suspect),
                }
            )
        done = report.done
        digest = report.digest
        weight = report.finished_quantity
        if weight is None and done:
            weight = production.plc_finished_weight_planned
        production.write(
            {
                "plc_reported_at": fields.Datetime.now(),
                "plc_started_at": report.started_at,
                "plc_finished_at": report.finished_at,
                "plc_message": report.message,
                # Null means "as planned" for done: the plan in the MO's own unit,
                # which also needs no conversion.
                "plc_finished_qty_actual": production.plc_finished_qty_planned
                if report.finished_quantity is None and done
                else 0.0,
                "plc_finished_weight_actual": weight or 0.0,
                "plc_suspect": bool(report.suspect),
            }
        )
        self._date_lines(self.env["mrp.plc.consumption"].concat(*by_code.values()))
        production.plc_consumption_ids.filtered("reported")._plc_settle_lots()
        unconverted = self.apply_actuals(
            convert_finished=report.finished_quantity is not None, done=done
        )
        suspect_reason = self._suspect_reason(report)
        if not done:
            reason = report.message or _("The line reported a failure.")
            reason = " ".join(filter(None, [reason, suspect_reason, unconverted]))
            return self._finish("failed", reason, digest)
        reason = (
            " ".join(filter(None, [suspect_reason, unconverted]))
            or self._closing_issue()
        )
        if not reason:
            reason = self._close()
        if reason:
            self._schedule_activity(reason)
            return self._finish("recorded", reason, digest)
        return self._finish("done", None, digest)

    def apply_actuals(self, convert_finished=True, done=True):
        """The run's reported PLC actuals, in Odoo's units, onto the moves.

        Returns why a quantity could not be converted (the product's weight was taken
        away since the MO was sent), or None; such a quantity counts as 0 until then.
        """
        production = self.production
        problems = []
        for consumption in production.plc_consumption_ids.filtered(
            lambda c: c.run == production.plc_run and c.reported
        ):
            try:
                actual = consumption._plc_qty_from_plc(consumption.plc_actual_qty)
            except UserError as error:
                problems.append(error.args[0])
                actual = 0.0
            # The consumption lines are the line's record, read-only to people; a
            # planner accepting the actuals converts them as the report does.
            consumption.sudo().actual_qty = actual
        if convert_finished:
            try:
                production.plc_finished_qty_actual = (
                    production.product_id._plc_qty_from_plc(
                        production.plc_finished_weight_actual,
                        production.plc_line_id._plc_weight_uom(),
                        production.product_uom_id,
                    )
                )
            except UserError as error:
                problems.append(error.args[0])
                production.plc_finished_qty_actual = 0.0
        finished = production.plc_finished_qty_actual
        if done:
            production.qty_producing = float_round(
                finished, precision_rounding=production.product_uom_id.rounding
            )
        self._set_consumed_quantities(finished)
        if problems:
            return _("The actuals could not be converted: %s", " ".join(problems))
        return None

    def _suspect_reason(self, report):
        """The reason a report with suspect values leaves the MO open, or None."""
        if not report.suspect:
            return None
        return _(
            "The line marked values as suspect: %s. Check them, then accept the PLC "
            "actuals or correct the moves and close the order.",
            "; ".join(self._suspect_text(value) for value in report.suspect),
        )

    def _suspect_text(self, value):
        """One suspect value as a person reads it: where, the raw words, why."""
        where = _("silo %s", value.silo) if value.silo else _("finished weight")
        return _(
            "%(where)s, raw words %(words)s: %(reason)s",
            where=where,
            words=list(value.raw_words),
            reason=value.reason,
        )

    def _set_consumed_quantities(self, finished):
        """quantity_done of every move from the actuals of all runs of the MO."""
        production = self.production
        line = production.plc_line_id
        # Per move, per lot: each run's actual on the lots its silo held when dosed.
        totals = OrderedDict()
        no_lot = self.env["stock.production.lot"]
        on_silo = self.env["stock.move"]
        for consumption in production.plc_consumption_ids:
            moves = consumption.move_ids.filtered(
                lambda m: m.state not in ("done", "cancel")
            )
            on_silo |= consumption.move_ids
            if not moves or not consumption.reported:
                continue
            allocation = consumption._plc_lot_allocation()
            for move, qty in self._split(consumption, moves).items():
                by_lot = totals.setdefault(move, OrderedDict())
                for lot, share in allocation:
                    if lot.product_id != move.product_id:
                        lot = no_lot
                    by_lot[lot] = by_lot.get(lot, 0.0) + qty * share
        for move, by_lot in totals.items():
            production._plc_set_move_lots(move, by_lot)
        planned_qty = production.product_qty
        ratio = finished / planned_qty if planned_qty else 0.0
        if line.missing_silo_policy == "consume_planned":
            for move in production.move_raw_ids - on_silo:
                if move.state in ("done", "cancel"):
                    continue
                qty = float_round(
                    move.product_uom_qty * ratio,
                    precision_rounding=move.product_uom.rounding,
                )
                production._plc_set_move_quantity(move, qty, False)
        # By-products follow the produced quantity, as Odoo itself does.
        for move in production.move_finished_ids:
            if (
                move.product_id == production.product_id
                or move._should_bypass_set_qty_producing()
            ):
                continue
            qty = float_round(
                move.product_uom_qty * ratio,
                precision_rounding=move.product_uom.rounding,
            )
            production._plc_set_move_quantity(move, qty, False)
        # Components outside the silos follow the plan, which a weighing's move has
        # none of: it keeps what was weighed.
        for weighing in production.plc_weighing_ids:
            move = weighing.move_id
            if weighing.state == "consumed" and move.state not in ("done", "cancel"):
                production._plc_set_move_quantity(move, weighing.product_qty, False)

    @staticmethod
    def _split(consumption, moves):
        """Share a silo's actual over its moves in proportion to plan, in move UoM."""
        uom = consumption.product_uom_id
        weights = [
            move.product_uom._compute_quantity(move.product_uom_qty, uom, round=False)
            for move in moves
        ]
        total = sum(weights)
        remaining = consumption.actual_qty
        shares = {}
        for index, move in enumerate(moves):
            if index == len(moves) - 1:
                share = remaining
            elif total:
                share = consumption.actual_qty * weights[index] / total
            else:
                share = consumption.actual_qty / len(moves)
            remaining -= share
            shares[move] = uom._compute_quantity(share, move.product_uom, round=False)
        return shares

    # ------------------------------------------------------------------
    # Closing the MO
    # ------------------------------------------------------------------

    def _closing_issue(self):
        """Why Odoo must not close the MO as reported, or None.

        skip_immediate also switches off Odoo's own consumption check, so a strict
        BoM is checked here.
        """
        production = self.production
        problems = list(filter(None, [self._lot_issue()]))
        if production.consumption == "strict":
            for (
                _order,
                product,
                done_qty,
                expected_qty,
            ) in production._get_consumption_issues():
                problems.append(
                    _(
                        "Strict BoM: %(product)s consumed %(done)s %(uom)s, "
                        "expected %(expected)s %(uom)s.",
                        product=product.display_name,
                        done=done_qty,
                        expected=expected_qty,
                        uom=product.uom_id.name,
                    )
                )
        return " ".join(problems) or None

    def _lot_issue(self):
        """Why the MO cannot be booked on the lots its silos held, or None."""
        questions = self.production.plc_consumption_ids.filtered(
            lambda c: c.reported and c.lot_state == "question"
        )
        if not questions:
            return None
        return " ".join(
            questions.mapped("lot_note")
            + [
                _(
                    "Choose the lots of what the line dosed (Choose lots on the PLC "
                    "page), then accept the PLC actuals."
                )
            ]
        )

    # ------------------------------------------------------------------
    # The lots: what the silos held when the line dosed the batch
    # ------------------------------------------------------------------

    def _date_lines(self, consumptions):
        """Give consumption lines the batch's dosing time as the MO stores it now.

        The PLC's start and finish; when the line sent neither (an older agent, a PLC
        without a clock), the time the report reached Odoo, said in the chatter.
        """
        if not consumptions:
            return
        production = self.production
        times = [t for t in (production.plc_started_at, production.plc_finished_at) if t]
        if times:
            start, end = min(times), max(times)
        else:
            start = end = production.plc_reported_at
            production.message_post(
                body=html_escape(
                    _(
                        "The line sent no start or finish time with its report of "
                        "%(when)s: the lots of the batch are those the silos held when "
                        "the report reached Odoo.",
                        when=utc_text(start),
                    )
                )
            )
        consumptions.sudo().write({"dosed_from": start, "dosed_to": end})

    def rebook_lots(self):
        """Book the moves again on the lots of the consumption lines (a person chose)."""
        self._set_consumed_quantities(self.production.plc_finished_qty_actual)

    def _close(self):
        """Close the MO without any wizard; the reason when Odoo refuses."""
        production = self.production
        context = {
            "skip_immediate": True,
            "skip_consumption": True,
            "skip_backorder": True,
        }
        rounding = production.product_uom_id.rounding
        if (
            production.plc_line_id.backorder_policy == "always"
            and float_compare(
                production.qty_producing,
                production.product_qty,
                precision_rounding=rounding,
            )
            < 0
        ):
            context["mo_ids_to_backorder"] = production.ids
        siblings = production.procurement_group_id.mrp_production_ids
        try:
            with self.env.cr.savepoint():
                if (
                    production.product_id.tracking == "lot"
                    and not production.lot_producing_id
                ):
                    production.action_generate_serial()
                result = production.with_context(**context).button_mark_done()
                if isinstance(result, dict) and result.get("res_model") not in (
                    None,
                    "mrp.production",
                ):
                    raise PlcNotClosed(
                        _(
                            "Odoo asked for the wizard %s before closing.",
                            result.get("res_model"),
                        )
                    )
                if production.state != "done":
                    raise PlcNotClosed(
                        _("Odoo left the MO in state %s.", production.state)
                    )
                backorders = (
                    production.procurement_group_id.mrp_production_ids - siblings
                )
                self._renew_components(backorders)
        except PlcNotClosed as error:
            return str(error.args[0])
        except UserError as error:
            return _("Odoo refused to close the MO: %s", error.args[0])
        return None

    @staticmethod
    def _renew_components(backorders):
        """Give backorders the components of their own quantity.

        Odoo hands the backorder whatever the closed MO did not consume; after a
        batch that used its silos in full that is nothing, and after an underdose it
        is the shortfall, neither of which is what the rest of the order needs.
        """
        for backorder in backorders:
            leftovers = backorder.move_raw_ids.filtered(
                lambda m: m.state not in ("done", "cancel")
            )
            leftovers._do_unreserve()
            leftovers._action_cancel()
            leftovers.unlink()
            backorder.move_raw_ids = [
                (0, 0, values) for values in backorder._get_moves_raw_values()
            ]
            if backorder.state == "draft":
                backorder.action_confirm()
            else:
                backorder.move_raw_ids.filtered(
                    lambda m: m.state == "draft"
                )._action_confirm()
            backorder.action_assign()

    def _schedule_activity(self, reason):
        production = self.production
        user = production.user_id
        if not user or not user.active or user.share:
            user = production.create_uid
        if not user or not user.active or user.share:
            user = (
                self.env.ref("base.user_admin", raise_if_not_found=False)
                or self.env.user
            )
        production.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=_("PLC batch recorded but not closed"),
            # The note is HTML; the reason quotes the line's text (suspect values).
            note=html_escape(reason),
            user_id=user.id,
        )

    def _activities(self):
        """The to-dos reports scheduled on the MO (in whichever language)."""
        summaries = {"PLC batch recorded but not closed"}
        summaries.add(_("PLC batch recorded but not closed"))
        todo = self.env.ref("mail.mail_activity_data_todo")
        return self.production.activity_ids.filtered(
            lambda a: a.activity_type_id == todo and a.summary in summaries
        )

    def _finish(self, status, reason, digest):
        production = self.production
        result = {
            "status": status,
            "mo_state": production.state,
            "reason": reason,
            "duplicate": False,
            "api_version": API_VERSION,
        }
        production.write(
            {
                "plc_state": status,
                "plc_reason": reason,
                "plc_report_digest": digest,
                "plc_report_result": json.dumps(result),
            }
        )
        return result
