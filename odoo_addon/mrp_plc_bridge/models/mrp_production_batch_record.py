# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""One MO's batch record: everything the line and the people did to the batch, in one place.

What an auditor asks of a batch (EU 183/2005 Annex II, 2019/4, 21 CFR 507, GMP+): the line,
order, recipe, product and finished lot; the PLC's slot, batch number and times; per silo
the plan, the actual, the deviation against the line's tolerance and the lot booked; the
finished weight; the equipment failures on the line while the batch ran; the manual
weighings; the values the line doubted and who accepted them; every run and why an earlier
one failed; and every correction of a reported figure next to the line's own.

Plain Python called by ``mrp.production._plc_batch_record()``: the printed report
(report/mrp_production_batch_record.py) and the auditor's CSV
(wizards/mrp_plc_batch_record_csv.py) read the same values. Times are given in the
reader's time zone, the zone named (``mrp.plc.line._plc_time_text``); quantities both as
numbers (for the CSV) and as the reader's language writes them (for the page).
"""
from collections import OrderedDict

from odoo import _
from odoo.osv import expression
from odoo.tools.misc import formatLang

from .mrp_plc_consumption import DEVIATION_STATES

QUANTITY_PRECISION = "Product Unit of Measure"
VERDICTS = dict(DEVIATION_STATES)


class BatchRecord:
    """The batch record of one MO, for the reader of ``production.env``."""

    def __init__(self, production):
        production.ensure_one()
        self.production = production
        self.env = production.env
        self._lines = self.env["mrp.plc.line"]

    # ------------------------------------------------------------------
    # How the record writes a moment and a quantity
    # ------------------------------------------------------------------

    def time(self, moment):
        """``moment`` (UTC) in the reader's time zone, the zone named; "" when unknown."""
        return self._lines._plc_time_text(moment)

    def quantity(self, value):
        return formatLang(self.env, value or 0.0, dp=QUANTITY_PRECISION)

    @staticmethod
    def percent(value):
        return "%+.2f %%" % (value or 0.0)

    # ------------------------------------------------------------------
    # The record
    # ------------------------------------------------------------------

    def values(self):
        production = self.production
        runs = production.plc_run_ids.sorted(lambda r: (r.run, r.id))
        current = runs.filtered(lambda r: r.run == production.plc_run)[-1:]
        return {
            "production": production,
            "line": production.plc_line_id,
            "finished_lots": self.finished_lots(),
            "run": production.plc_run,
            "batch_key": production.plc_batch_key or "",
            "slot": current.slot or _("not reported"),
            "batch_number": current.batch_number or _("not reported"),
            "times": [
                (_("Sent to the line"), self.time(production.plc_sent_at)),
                (_("Batch started (PLC)"), self.time(production.plc_started_at)),
                (_("Batch finished (PLC)"), self.time(production.plc_finished_at)),
                (_("Reported to Odoo"), self.time(production.plc_reported_at)),
            ],
            "runs": [self._run_values(run) for run in runs],
            "silos": self.silo_rows(),
            "finished": self._finished_values(),
            "failures": [self._failure_values(f) for f in self.failures()],
            "weighings": [
                self._weighing_values(w)
                for w in production.plc_weighing_ids.sorted(lambda w: (w.weighed_at, w.id))
            ],
            "suspects": self._suspect_values(runs),
            "corrections": [
                self._correction_values(c) for c in production.plc_correction_ids
            ],
            "tolerance": production.plc_line_id.consumption_tolerance,
        }

    def finished_lots(self):
        """The lots of the finished product the MO produced (or will produce)."""
        production = self.production
        lines = production.move_finished_ids.filtered(
            lambda m: m.product_id == production.product_id and m.state != "cancel"
        ).mapped("move_line_ids")
        names = [lot.name for lot in lines.mapped("lot_id")]
        if not names and production.lot_producing_id:
            names = [production.lot_producing_id.name]
        return ", ".join(names)

    def silo_rows(self):
        """One row per consumption line (every run, in dosing order)."""
        production = self.production
        lots_by_product = self._booked_lots()
        rows = []
        for consumption in production.plc_consumption_ids.sorted(
            lambda c: (c.run, c.sequence, c.id)
        ):
            unit = consumption.plc_uom_id or consumption.product_uom_id
            reported = consumption.reported
            corrections = consumption.correction_ids.sorted(
                lambda c: (c.corrected_at, c.id)
            )
            lots = lots_by_product.get(consumption.product_id.id, [])
            rows.append(
                {
                    "consumption": consumption,
                    "run": consumption.run,
                    "silo": consumption.silo_code,
                    "silo_name": consumption.silo_id.name or "",
                    "material": consumption.product_id.display_name,
                    "material_code": consumption.product_id.default_code or "",
                    "unit": unit.name,
                    "planned": consumption.plc_planned_qty,
                    "planned_text": self.quantity(consumption.plc_planned_qty),
                    "reported": reported,
                    "actual": consumption.plc_actual_qty if reported else None,
                    "actual_text": self.quantity(consumption.plc_actual_qty)
                    if reported
                    else _("not reported"),
                    "deviation": consumption.deviation_percent if reported else None,
                    "deviation_text": self.percent(consumption.deviation_percent)
                    if reported
                    else "",
                    "verdict": consumption.deviation_state or "",
                    "verdict_text": VERDICTS.get(consumption.deviation_state, "")
                    if reported
                    else _("not reported"),
                    "suspect": consumption.suspect,
                    "suspect_reason": consumption.suspect_reason or "",
                    "lots": lots,
                    "lots_text": ", ".join(
                        "%s (%s %s)" % (name, self.quantity(qty), uom)
                        for name, qty, uom in lots
                    )
                    or (_("no lot") if production.state == "done" else _("not booked yet")),
                    "corrected": corrections[-1].new_value if corrections else None,
                    "corrected_text": self.quantity(corrections[-1].new_value)
                    if corrections
                    else "",
                    "corrections": [self._correction_values(c) for c in corrections],
                }
            )
        return rows

    def _booked_lots(self):
        """Per component: ``(lot, quantity, unit)`` booked by the MO's done component moves.

        What stock holds is the truth of the lot, whichever way the report chose it: the
        done move lines of the component's moves, the line's doses and the overdose Odoo
        booked as an extra move alike; a manual weighing's move is its own.
        """
        production = self.production
        booked = OrderedDict()
        moves = production.move_raw_ids.filtered(
            lambda m: m.state == "done" and not m.plc_weighing_ids
        )
        for line in moves.mapped("move_line_ids").sorted(lambda ml: ml.id):
            if not line.lot_id or line.state != "done":
                continue
            product = line.product_id
            qty = line.product_uom_id._compute_quantity(line.qty_done, product.uom_id)
            key = (product.id, line.lot_id.name)
            booked[key] = booked.get(key, 0.0) + qty
        by_product = {}
        for (product_id, lot), qty in booked.items():
            uom = self.env["product.product"].browse(product_id).uom_id.name
            by_product.setdefault(product_id, []).append((lot, qty, uom))
        return by_product

    def _run_values(self, run):
        accepted = ""
        if run.accepted_by_id:
            accepted = _(
                "%(user)s at %(at)s",
                user=run.accepted_by_id.name,
                at=self.time(run.accepted_at),
            )
        return {
            "run": run.run,
            "batch_key": run.batch_key or "",
            "status": dict(run._fields["status"].selection).get(run.status, ""),
            "reason": run.reason or "",
            "message": run.message or "",
            "slot": run.slot or "",
            "batch_number": run.batch_number or "",
            "sent": self.time(run.sent_at),
            "started": self.time(run.started_at),
            "finished": self.time(run.finished_at),
            "reported": self.time(run.reported_at),
            "accepted": accepted,
        }

    def _finished_values(self):
        production = self.production
        corrections = production.plc_correction_ids.filtered(
            lambda c: not c.consumption_id
        )
        planned_qty = production.plc_finished_qty_planned
        return {
            "uom": production.product_uom_id.name,
            "qty_planned": self.quantity(planned_qty),
            "qty_actual": self.quantity(production.plc_finished_qty_actual),
            "deviation": self.percent(production.plc_finished_deviation_percent)
            if production.plc_reported_at and planned_qty
            else "",
            "weight_planned": self.quantity(production.plc_finished_weight_planned),
            "weight_actual": self.quantity(production.plc_finished_weight_actual)
            if production.plc_reported_at
            else _("not reported"),
            "weight_corrected": self.quantity(corrections[-1].new_value)
            if corrections
            else "",
        }

    def failures(self):
        """The equipment failures on the line while a run of the batch was going on.

        Those a report linked to the MO, and any other the line reported between a run's
        start and finish as the PLC gave them.
        """
        production = self.production
        if not production.plc_line_id:
            return self.env["mrp.plc.failure"]
        windows = [[("production_id", "=", production.id)]]
        for run in production.plc_run_ids:
            if run.started_at and run.finished_at:
                windows.append(
                    [
                        ("occurred_at", ">=", run.started_at),
                        ("occurred_at", "<=", run.finished_at),
                    ]
                )
        domain = expression.AND(
            [[("line_id", "=", production.plc_line_id.id)], expression.OR(windows)]
        )
        return self.env["mrp.plc.failure"].search(domain, order="occurred_at, id")

    def _failure_values(self, failure):
        return {
            "occurred": failure.occurred_at_zoned,
            "equipment": failure.equipment_name or failure.equipment,
            "info": failure.info,
            "state": dict(failure._fields["state"].selection).get(failure.state, ""),
        }

    def _weighing_values(self, weighing):
        return {
            "weighed": self.time(weighing.weighed_at),
            "material": weighing.product_id.display_name or "",
            "quantity_kg": self.quantity(weighing.quantity_kg),
            "quantity": self.quantity(weighing.product_qty)
            if weighing.state == "consumed"
            else "",
            "uom": weighing.product_uom_id.name or "",
            "batch_number": weighing.batch_number,
            "state": dict(weighing._fields["state"].selection).get(weighing.state, ""),
            "reason": weighing.reason or "",
        }

    def _suspect_values(self, runs):
        """Per run whose values the line doubted: what, and who accepted them when."""
        production = self.production
        found = []
        for run in runs.filtered("suspect_text"):
            if run.accepted_by_id:
                decision = _(
                    "Accepted by %(user)s at %(at)s.",
                    user=run.accepted_by_id.name,
                    at=self.time(run.accepted_at),
                )
            elif run.status == "failed":
                decision = _("The run failed; no acceptance.")
            elif production.state == "done":
                decision = _(
                    "Not accepted with Accept PLC actuals: the order was closed by hand "
                    "at %s.",
                    self.time(production.date_finished),
                )
            else:
                decision = _("Waiting for a person.")
            found.append(
                {"run": run.run, "values": run.suspect_text, "decision": decision}
            )
        return found

    def _correction_values(self, correction):
        return {
            "figure": correction.figure,
            "old": self.quantity(correction.old_value),
            "new": self.quantity(correction.new_value),
            "uom": correction.uom_id.name or "",
            "user": correction.user_id.name,
            "at": self.time(correction.corrected_at),
            "reason": correction.reason,
        }
