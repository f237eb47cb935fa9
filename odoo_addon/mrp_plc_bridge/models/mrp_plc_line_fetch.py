# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The line hands its MOs out: re-delivery, claiming, blocking, freezing, batch values.

The agent's fetch (``mrp.production.plc_fetch_batches``) lands here, on the line it asks
for, the way a device record receives its own calls.
"""
from collections import OrderedDict, defaultdict

from odoo import _, fields, models
from odoo.tools import float_round

# The PLC refuses any other byte in the MO reference, which it matches read slots by.
PRINTABLE_ASCII = frozenset(chr(code) for code in range(0x20, 0x7F))


class MrpPlcLine(models.Model):
    # The house rule splits a big model by concern, one file each.
    _inherit = "mrp.plc.line"  # pylint: disable=consider-merging-classes-inherited

    def _plc_capacity(self):
        """What one batch slot holds, as ``plc_ping`` tells the agent."""
        self.ensure_one()
        return {
            "components_per_batch": self.components_per_batch,
            "text_width": self.text_width,
        }

    def _plc_take_batches(self, limit):
        """Up to ``limit`` batches for the line's agent: re-deliveries first."""
        self.ensure_one()
        productions = self.env["mrp.production"].with_company(self.company_id)
        redelivered = productions.search(
            [
                ("plc_line_id", "=", self.id),
                ("plc_state", "=", "sent"),
                ("state", "in", ("confirmed", "progress", "to_close")),
            ],
            limit=limit,
        )
        claimed = self._plc_claim(limit - len(redelivered))
        return self._plc_batch_values(redelivered | claimed, redelivered)

    def _plc_claim(self, count):
        """Lock and send up to ``count`` eligible MOs of the line, in dosing order.

        MOs that cannot run on the line are blocked with the reason on the way.
        """
        self.ensure_one()
        productions = self.env["mrp.production"].with_company(self.company_id)
        claimed = productions.browse()
        if count <= 0:
            return claimed
        productions.flush()
        examined = []
        groups = {}
        while len(claimed) < count:
            # Raw SQL because the ORM cannot SKIP LOCKED: two concurrent fetches of one
            # line must never claim the same MO.
            self.env.cr.execute(
                """
                SELECT id FROM mrp_production
                 WHERE plc_line_id = %s
                   AND plc_state IN ('ready', 'blocked')
                   AND state IN ('confirmed', 'progress')
                   AND plc_hold IS NOT TRUE
                   AND NOT id = ANY(%s::int[])
              ORDER BY priority DESC, date_planned_start, id
                 LIMIT %s
                   FOR UPDATE SKIP LOCKED
                """,
                (self.id, examined, count - len(claimed)),
            )
            ids = [row[0] for row in self.env.cr.fetchall()]
            if not ids:
                break
            examined.extend(ids)
            candidates = productions.browse(ids)
            groups.update(self._plc_component_groups(candidates))
            reasons = self._plc_blocking_reasons(candidates, groups)
            for production in candidates:
                reason = reasons.get(production.id)
                if not reason:
                    claimed |= production
                elif production.plc_state != "blocked" or production.plc_reason != reason:
                    production.write({"plc_state": "blocked", "plc_reason": reason})
        self._plc_mark_sent(claimed, groups)
        return claimed

    def _plc_silo_by_product(self):
        """The silo each product is dosed from: the lowest code among its silos."""
        silo_by_product = {}
        for silo in self.silo_ids:
            if silo.product_id and silo.product_id not in silo_by_product:
                silo_by_product[silo.product_id] = silo
        return silo_by_product

    def _plc_component_groups(self, productions):
        """Per MO: the silos and their moves, in the order of the BoM lines."""
        silo_by_product = self._plc_silo_by_product()
        groups = {}
        for production in productions:
            by_silo = OrderedDict()
            for move in production._plc_open_raw_moves():
                silo = silo_by_product.get(move.product_id)
                if silo:
                    by_silo.setdefault(silo, self.env["stock.move"])
                    by_silo[silo] |= move
            groups[production.id] = by_silo
        return groups

    def _plc_blocking_reasons(self, productions, groups):
        """Why each MO cannot run on the line, by MO id; MOs that can are left out."""
        silo_by_product = self._plc_silo_by_product()
        reasons = {}
        for production in productions:
            reason = self._plc_blocking_reason(
                production, groups[production.id], silo_by_product
            )
            if reason:
                reasons[production.id] = reason
        return reasons

    def _plc_blocking_reason(self, production, silo_groups, silo_by_product):
        self.ensure_one()
        if production.company_id != self.company_id:
            # The line doses from its own company's stock.
            return _(
                "The MO belongs to company %(company)s, line %(line)s to "
                "%(line_company)s.",
                company=production.company_id.name,
                line=self.code,
                line_company=self.company_id.name,
            )
        moves = production._plc_open_raw_moves()
        if not moves:
            return _("The MO has no component to dose.")
        missing = moves.mapped("product_id").filtered(
            lambda p: p not in silo_by_product
        )
        if missing and self.missing_silo_policy == "block":
            reason = _(
                "No active silo of line %(line)s holds %(products)s.",
                line=self.code,
                products=", ".join(missing.mapped("display_name")),
            )
            empty_silos = self.silo_ids.filtered(lambda s: not s.product_id)
            if empty_silos:
                reason += " " + _(
                    "Silos without a product: %s.", ", ".join(empty_silos.mapped("code"))
                )
            return reason
        if missing == moves.mapped("product_id"):
            return _("No component of the MO is held by a silo of line %s.", self.code)
        return self._plc_capacity_problem(
            production, silo_groups
        ) or self._plc_unit_problem(production, silo_groups)

    def _plc_unit_problem(self, production, silo_groups):
        """Why a quantity of the MO cannot be put in the PLC's units, or None."""
        problems = []
        for silo, moves in silo_groups.items():
            uom, planned = self._plc_planned(moves)
            problem = silo._plc_dose_problem(moves[0].product_id, uom, planned)
            if problem:
                problems.append(problem)
        problem = production.product_id._plc_conversion_problem(
            production.product_uom_id, self._plc_weight_uom()
        )
        if problem:
            problems.append(_("Finished product: %s", problem))
        return " ".join(problems) or None

    def _plc_weight_uom(self):
        """The unit of the finished weight the PLC plans and reports."""
        # By the cached id: env.ref checks that the record exists, a query per call,
        # which made a fetch 2 queries per MO dearer (tests/test_query_count.py).
        return self.env["uom.uom"].browse(
            self.env["ir.model.data"].xmlid_to_res_id("uom.product_uom_kgm")
        )

    def _plc_capacity_problem(self, production, silo_groups):
        """Why the MO does not fit the line's PLC slot, or None."""
        self.ensure_one()
        if len(silo_groups) > self.components_per_batch:
            return _(
                "The MO needs %(count)s silos and tanks; a batch of line %(line)s "
                "holds at most %(capacity)s.",
                count=len(silo_groups),
                line=self.code,
                capacity=self.components_per_batch,
            )
        reference = production.name or ""
        if len(reference) > self.text_width:
            return _(
                "The MO reference %(mo)s has %(length)s characters; the PLC slot of "
                "line %(line)s holds %(width)s.",
                mo=reference,
                length=len(reference),
                line=self.code,
                width=self.text_width,
            )
        if not set(reference) <= PRINTABLE_ASCII:
            return _(
                "The MO reference %(mo)s is not printable ASCII, which the PLC slot "
                "of line %(line)s cannot hold.",
                mo=reference,
                line=self.code,
            )
        return None

    def _plc_mark_sent(self, productions, groups):
        """Mark the MOs sent and freeze what they are sent with.

        Through the ORM so that the chatter shows the PLC state change and the
        consumption lines' stored computes run as for any other record.
        """
        self.ensure_one()
        if not productions:
            return
        consumption_values = []
        for production in productions:
            run = production.plc_run or 1
            production.write(
                {
                    "plc_run": run,
                    "plc_batch_key": "%s-%s-%s" % (self.code, production.id, run),
                    "plc_finished_qty_planned": production.product_qty,
                    "plc_finished_weight_planned": production.product_id._plc_qty_to_plc(
                        production.product_qty,
                        production.product_uom_id,
                        self._plc_weight_uom(),
                    ),
                }
            )
            silo_groups = groups[production.id].items()
            for sequence, (silo, moves) in enumerate(silo_groups, start=1):
                consumption_values.append(
                    self._plc_consumption_values(production, run, sequence, silo, moves)
                )
        productions.write(
            {
                "plc_state": "sent",
                "plc_reason": False,
                "plc_sent_at": fields.Datetime.now(),
                "plc_finished_qty_actual": 0.0,
                "plc_finished_weight_actual": 0.0,
                "plc_suspect": False,
            }
        )
        self.env["mrp.plc.consumption"].create(consumption_values)

    def _plc_consumption_values(self, production, run, sequence, silo, moves):
        """One silo's planned dose of an MO, in the UoM of its first move and in the
        silo's PLC unit."""
        uom, planned = self._plc_planned(moves)
        return {
            "plc_uom_id": silo.plc_uom_id.id,
            "plc_planned_qty": silo._plc_qty(moves[0].product_id, uom, planned),
            "production_id": production.id,
            "run": run,
            "sequence": sequence,
            "silo_id": silo.id,
            "silo_code": silo.code,
            "product_id": moves[0].product_id.id,
            "product_uom_id": uom.id,
            "planned_qty": float_round(planned, precision_rounding=uom.rounding),
            "move_ids": [(6, 0, moves.ids)],
        }

    def _plc_planned(self, moves):
        """A silo's moves' planned quantity in the UoM of the first, and that UoM."""
        uom = moves[0].product_uom
        planned = sum(
            move.product_uom._compute_quantity(move.product_uom_qty, uom, round=False)
            for move in moves
        )
        return uom, planned

    def _plc_batch_values(self, productions, redelivered):
        """The batches as the agent receives them, from what was frozen at sending."""
        self.ensure_one()
        consumptions = self.env["mrp.plc.consumption"].search(
            [("production_id", "in", productions.ids)]
        )
        by_production = defaultdict(list)
        for consumption in consumptions:
            if consumption.run == consumption.production_id.plc_run:
                by_production[consumption.production_id.id].append(consumption)
        weight_uom = self._plc_weight_uom()
        return [
            self._plc_batch_value(
                production,
                by_production[production.id],
                production in redelivered,
                weight_uom,
            )
            for production in productions
        ]

    def _plc_batch_value(self, production, consumptions, redelivered, weight_uom):
        return {
            "mo_id": production.id,
            "mo_name": production.name,
            "run": production.plc_run,
            "batch_key": production.plc_batch_key,
            "redelivered": redelivered,
            "product_code": production.product_id.default_code or "",
            "product_name": production.product_id.name,
            "quantity": production.plc_finished_weight_planned,
            "uom": weight_uom.name,
            "bom_code": production.bom_id.code or "",
            "line": self.code,
            "date_planned_start": fields.Datetime.to_string(
                production.date_planned_start
            )
            or None,
            "components": [
                {
                    "silo": consumption.silo_code,
                    "product_code": consumption.product_id.default_code or "",
                    "product_name": consumption.product_id.name,
                    "quantity": consumption.plc_planned_qty,
                    "uom": consumption.plc_uom_id.name,
                }
                for consumption in consumptions
            ],
        }
