# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The line hands its MOs out: re-delivery, claiming, blocking, freezing, batch values.

The agent's fetch (``mrp.production.plc_fetch_batches``) passes the door
(mrp_production_plc_rpc.py) and lands here through the line it asks for
(``mrp.plc.line._plc_take_batches``). Plain Python called by the line, not a model.
"""
from collections import OrderedDict, defaultdict

from odoo import _, fields
from odoo.tools import float_round

# The PLC refuses any other byte in the MO reference, which it matches read slots by.
PRINTABLE_ASCII = frozenset(chr(code) for code in range(0x20, 0x7F))


class LineFetch:
    """One fetch of a line's agent."""

    def __init__(self, line):
        line.ensure_one()
        self.line = line
        self.env = line.env

    def take_batches(self, limit):
        """Up to ``limit`` batches for the line's agent: re-deliveries first."""
        line = self.line
        productions = self.env["mrp.production"].with_company(line.company_id)
        redelivered = productions.search(
            [
                ("plc_line_id", "=", line.id),
                ("plc_state", "=", "sent"),
                ("state", "in", ("confirmed", "progress", "to_close")),
            ],
            limit=limit,
        )
        claimed = self._claim(limit - len(redelivered))
        return self._batch_values(redelivered | claimed, redelivered)

    def ready_domain(self):
        """The MOs of the line a fetch claims, as the ORM searches them.

        Blocked MOs are left out although a fetch looks at them again: one that stays
        blocked would make the agent fetch at every ping for nothing.
        """
        return [
            ("plc_line_id", "=", self.line.id),
            ("plc_state", "=", "ready"),
            ("state", "in", ("confirmed", "progress")),
            ("plc_hold", "=", False),
        ]

    def ready_count(self):
        """How many MOs a fetch would claim now."""
        productions = self.env["mrp.production"].with_company(self.line.company_id)
        return productions.search_count(self.ready_domain())

    def blocking_reason(self, production):
        """Why ``production`` cannot run on the line now, or None."""
        groups = self._component_groups(production)
        return self._blocking_reasons(production, groups).get(production.id)

    def _claim(self, count):
        """Lock and send up to ``count`` eligible MOs of the line, in dosing order: those
        a planner sent now first (oldest request first), then by priority and date.

        MOs that cannot run on the line are blocked with the reason on the way.
        """
        line = self.line
        productions = self.env["mrp.production"].with_company(line.company_id)
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
              ORDER BY plc_send_now_at IS NULL, plc_send_now_at,
                       priority DESC, date_planned_start, id
                 LIMIT %s
                   FOR UPDATE SKIP LOCKED
                """,
                (line.id, examined, count - len(claimed)),
            )
            ids = [row[0] for row in self.env.cr.fetchall()]
            if not ids:
                break
            examined.extend(ids)
            candidates = productions.browse(ids)
            groups.update(self._component_groups(candidates))
            reasons = self._blocking_reasons(candidates, groups)
            for production in candidates:
                reason = reasons.get(production.id)
                if not reason:
                    claimed |= production
                elif production.plc_state != "blocked" or production.plc_reason != reason:
                    production.write({"plc_state": "blocked", "plc_reason": reason})
        self._mark_sent(claimed, groups)
        return claimed

    def _silo_by_product(self):
        """The silo each product is dosed from: the lowest code among its silos."""
        silo_by_product = {}
        for silo in self.line.silo_ids:
            if silo.product_id and silo.product_id not in silo_by_product:
                silo_by_product[silo.product_id] = silo
        return silo_by_product

    def _component_groups(self, productions):
        """Per MO: the silos and their moves, in the order of the BoM lines."""
        silo_by_product = self._silo_by_product()
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

    def _blocking_reasons(self, productions, groups):
        """Why each MO cannot run on the line, by MO id; MOs that can are left out."""
        silo_by_product = self._silo_by_product()
        reasons = {}
        for production in productions:
            reason = self._blocking_reason(
                production, groups[production.id], silo_by_product
            )
            if reason:
                reasons[production.id] = reason
        return reasons

    def _blocking_reason(self, production, silo_groups, silo_by_product):
        line = self.line
        if production.company_id != line.company_id:
            # The line doses from its own company's stock.
            return _(
                "The MO belongs to company %(company)s, line %(line)s to "
                "%(line_company)s.",
                company=production.company_id.name,
                line=line.code,
                line_company=line.company_id.name,
            )
        moves = production._plc_open_raw_moves()
        if not moves:
            return _("The MO has no component to dose.")
        missing = moves.mapped("product_id").filtered(
            lambda p: p not in silo_by_product
        )
        if missing and line.missing_silo_policy == "block":
            reason = _(
                "No active silo of line %(line)s holds %(products)s.",
                line=line.code,
                products=", ".join(missing.mapped("display_name")),
            )
            empty_silos = line.silo_ids.filtered(lambda s: not s.product_id)
            if empty_silos:
                reason += " " + _(
                    "Silos without a product: %s.", ", ".join(empty_silos.mapped("code"))
                )
            return reason
        if missing == moves.mapped("product_id"):
            return _("No component of the MO is held by a silo of line %s.", line.code)
        return self._capacity_problem(production, silo_groups) or self._unit_problem(
            production, silo_groups
        )

    def _unit_problem(self, production, silo_groups):
        """Why a quantity of the MO cannot be put in the PLC's units, or None."""
        problems = []
        for silo, moves in silo_groups.items():
            uom, planned = self._planned(moves)
            problem = silo._plc_dose_problem(moves[0].product_id, uom, planned)
            if problem:
                problems.append(problem)
        problem = production.product_id._plc_conversion_problem(
            production.product_uom_id, self.line._plc_weight_uom()
        )
        if problem:
            problems.append(_("Finished product: %s", problem))
        return " ".join(problems) or None

    def _capacity_problem(self, production, silo_groups):
        """Why the MO does not fit the line's PLC slot, or None."""
        line = self.line
        if len(silo_groups) > line.components_per_batch:
            return _(
                "The MO needs %(count)s silos and tanks; a batch of line %(line)s "
                "holds at most %(capacity)s.",
                count=len(silo_groups),
                line=line.code,
                capacity=line.components_per_batch,
            )
        reference = production.name or ""
        if len(reference) > line.text_width:
            return _(
                "The MO reference %(mo)s has %(length)s characters; the PLC slot of "
                "line %(line)s holds %(width)s.",
                mo=reference,
                length=len(reference),
                line=line.code,
                width=line.text_width,
            )
        if not set(reference) <= PRINTABLE_ASCII:
            return _(
                "The MO reference %(mo)s is not printable ASCII, which the PLC slot "
                "of line %(line)s cannot hold.",
                mo=reference,
                line=line.code,
            )
        return None

    def _mark_sent(self, productions, groups):
        """Mark the MOs sent and freeze what they are sent with.

        Through the ORM so that the chatter shows the PLC state change and the
        consumption lines' stored computes run as for any other record.
        """
        line = self.line
        if not productions:
            return
        weight_uom = line._plc_weight_uom()
        consumption_values = []
        for production in productions:
            run = production.plc_run or 1
            production.write(
                {
                    "plc_run": run,
                    "plc_batch_key": "%s-%s-%s" % (line.code, production.id, run),
                    "plc_finished_qty_planned": production.product_qty,
                    "plc_finished_weight_planned": production.product_id._plc_qty_to_plc(
                        production.product_qty,
                        production.product_uom_id,
                        weight_uom,
                    ),
                }
            )
            silo_groups = groups[production.id].items()
            for sequence, (silo, moves) in enumerate(silo_groups, start=1):
                consumption_values.append(
                    self._consumption_values(production, run, sequence, silo, moves)
                )
        productions.write(
            {
                "plc_state": "sent",
                "plc_reason": False,
                "plc_sent_at": fields.Datetime.now(),
                "plc_finished_qty_actual": 0.0,
                "plc_finished_weight_actual": 0.0,
                "plc_suspect": False,
                "plc_send_now_at": False,
            }
        )
        self.env["mrp.plc.consumption"].create(consumption_values)

    def _consumption_values(self, production, run, sequence, silo, moves):
        """One silo's planned dose of an MO, in the UoM of its first move and in the
        silo's PLC unit."""
        uom, planned = self._planned(moves)
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

    @staticmethod
    def _planned(moves):
        """A silo's moves' planned quantity in the UoM of the first, and that UoM."""
        uom = moves[0].product_uom
        planned = sum(
            move.product_uom._compute_quantity(move.product_uom_qty, uom, round=False)
            for move in moves
        )
        return uom, planned

    def _batch_values(self, productions, redelivered):
        """The batches as the agent receives them, from what was frozen at sending."""
        consumptions = self.env["mrp.plc.consumption"].search(
            [("production_id", "in", productions.ids)]
        )
        by_production = defaultdict(list)
        for consumption in consumptions:
            if consumption.run == consumption.production_id.plc_run:
                by_production[consumption.production_id.id].append(consumption)
        weight_uom = self.line._plc_weight_uom()
        return [
            self._batch_value(
                production,
                by_production[production.id],
                production in redelivered,
                weight_uom,
            )
            for production in productions
        ]

    def _batch_value(self, production, consumptions, redelivered, weight_uom):
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
            "line": self.line.code,
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
