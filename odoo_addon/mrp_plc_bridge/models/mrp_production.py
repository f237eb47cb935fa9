# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import datetime
import hashlib
import json
import logging
import math
from collections import OrderedDict, defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_compare, float_is_zero, float_round

_logger = logging.getLogger(__name__)

API_VERSION = 1
MAX_FETCH_LIMIT = 100
# Far beyond any batch in any UoM, and low enough that rounding to a UoM's precision
# cannot overflow a float.
MAX_QUANTITY = 1e12
# PLC states in which the MO belongs to its line and must not move to another one.
PLC_LOCKED_STATES = ("sent", "done", "recorded", "failed")
PLC_REPORTED_STATES = ("done", "recorded", "failed")
PAYLOAD_FIELDS = {
    "mo_id",
    "line",
    "batch_key",
    "consumption",
    "finished_quantity",
    "status",
    "started_at",
    "finished_at",
    "message",
}
REQUIRED_PAYLOAD_FIELDS = ("mo_id", "line", "batch_key", "consumption", "status")


class PlcRejected(Exception):
    """A report that can never be accepted as it is: answered, not raised."""


class PlcNotClosed(Exception):
    """Odoo could not close the MO by itself; rolls the closing savepoint back."""


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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
            if production.plc_state in PLC_LOCKED_STATES:
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
                            "can no longer change."
                        )
                        % {"mo": production.name, "line": production.plc_line_id.code}
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
                    _("Only MOs whose PLC run failed can be released again (%s is %s).")
                    % (production.name, production.plc_state or _("not on a line"))
                )
            if production.state in ("done", "cancel"):
                raise UserError(
                    _("%s is done or cancelled and cannot run again.") % production.name
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
    # RPC API
    # ------------------------------------------------------------------

    @api.model
    def plc_ping(self, line_code):
        self._plc_check_access()
        if not isinstance(line_code, str) or not line_code or "\x00" in line_code:
            raise UserError(_("line_code must be a non-empty string without NUL."))
        line = (
            self.env["mrp.plc.line"]
            .sudo()
            .with_context(active_test=False)
            .search([("code", "=", line_code)], limit=1)
        )
        return {
            "api_version": API_VERSION,
            "server_time": fields.Datetime.to_string(fields.Datetime.now()),
            "line": line_code,
            "line_exists": bool(line),
            "line_active": bool(line.active),
        }

    @api.model
    def plc_fetch_batches(self, line_code, limit=10):
        self._plc_check_access()
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise UserError(
                _("limit must be an integer from 1 to %s.") % MAX_FETCH_LIMIT
            )
        if not 1 <= limit <= MAX_FETCH_LIMIT:
            raise UserError(
                _("limit must be an integer from 1 to %s.") % MAX_FETCH_LIMIT
            )
        line = self._plc_get_line(line_code)
        productions = self.sudo().with_company(line.company_id)
        redelivered = productions.search(
            [
                ("plc_line_id", "=", line.id),
                ("plc_state", "=", "sent"),
                ("state", "in", ("confirmed", "progress", "to_close")),
            ],
            limit=limit,
        )
        claimed = productions._plc_claim(line, limit - len(redelivered))
        batches = (redelivered | claimed)._plc_batch_values(line, redelivered)
        return {"api_version": API_VERSION, "line": line.code, "batches": batches}

    @api.model
    def plc_report_batch(self, payload):
        self._plc_check_access()
        try:
            data, digest = self._plc_parse_payload(payload)
            production = self.sudo().browse(data["mo_id"])
            if not production.exists():
                raise PlcRejected(
                    _("mo_id: manufacturing order %s does not exist.") % data["mo_id"]
                )
            production = production.with_company(production.company_id)
            # Concurrent reports of one MO queue up here; under REPEATABLE READ the
            # later one then fails to serialize, is retried and finds the first
            # one's result.
            self.env.cr.execute(
                "SELECT id FROM mrp_production WHERE id = %s FOR UPDATE",
                (production.id,),
            )
            duplicate = production._plc_duplicate_result(data, digest)
            if duplicate is not None:
                return duplicate
            consumption = production._plc_check_report(data)
        except PlcRejected as error:
            return {
                "status": "rejected",
                "mo_state": None,
                "reason": str(error.args[0]),
                "duplicate": False,
                "api_version": API_VERSION,
            }
        if data["status"] == "done":
            production._plc_lock_stock()
        return production._plc_apply_report(data, digest, consumption)

    def _plc_lock_stock(self):
        """Lock the quants closing the MO will update, in id order, before any work.

        Raw SQL because a measurement demands it: with lines closing MOs from the same
        stock (``python -m bench lines --stock shared``, docs/performance.md), a report
        found another one's quant update only half-way through its close, failed to
        serialize there and was as exposed again in each retry; reports even deadlocked.
        Locked first, a report waits for the other one and fails at once, and its retry
        holds the quants from its first queries on; the stable order rules out
        deadlocks. Measured: fewer retries and shorter tails (4 lines, shared stock).
        """
        self.ensure_one()
        moves = (self.move_raw_ids | self.move_finished_ids).filtered(
            lambda m: m.state not in ("done", "cancel")
        )
        locations = moves.mapped("location_id") | moves.mapped("location_dest_id")
        if not moves:
            return
        self.env.cr.execute(
            """SELECT id FROM stock_quant
                WHERE product_id IN %s AND location_id IN %s
             ORDER BY id FOR UPDATE""",
            (tuple(moves.mapped("product_id").ids), tuple(locations.ids)),
        )

    # ------------------------------------------------------------------
    # Access and lookups
    # ------------------------------------------------------------------

    @api.model
    def _plc_check_access(self):
        if self.env.su:
            return
        user = self.env.user
        if user.has_group("mrp_plc_bridge.group_plc_agent") or user.has_group(
            "base.group_system"
        ):
            return
        raise AccessError(
            _(
                "Only members of the group 'PLC agent' may call the PLC bridge API "
                "(user %s)."
            )
            % user.login
        )

    @api.model
    def _plc_get_line(self, line_code):
        if not isinstance(line_code, str) or not line_code or "\x00" in line_code:
            raise UserError(_("line_code must be a non-empty string without NUL."))
        line = (
            self.env["mrp.plc.line"].sudo().search([("code", "=", line_code)], limit=1)
        )
        if not line:
            raise UserError(_("Unknown or archived PLC line %r.") % line_code)
        return line

    # ------------------------------------------------------------------
    # Fetch
    # ------------------------------------------------------------------

    @api.model
    def _plc_claim(self, line, count):
        """Lock and send up to ``count`` eligible MOs of the line, in dosing order."""
        claimed = self.browse()
        if count <= 0:
            return claimed
        self.flush()
        examined = []
        while len(claimed) < count:
            query = """
                SELECT id FROM mrp_production
                 WHERE plc_line_id = %s
                   AND plc_state IN ('ready', 'blocked')
                   AND state IN ('confirmed', 'progress')
                   AND plc_hold IS NOT TRUE
                   {exclude}
              ORDER BY priority DESC, date_planned_start, id
                 LIMIT %s
                   FOR UPDATE SKIP LOCKED
            """
            params = [line.id]
            exclude = ""
            if examined:
                exclude = "AND id NOT IN %s"
                params.append(tuple(examined))
            params.append(count - len(claimed))
            self.env.cr.execute(query.format(exclude=exclude), params)
            ids = [row[0] for row in self.env.cr.fetchall()]
            if not ids:
                break
            examined.extend(ids)
            candidates = self.browse(ids)
            reasons = candidates._plc_blocking_reasons(line)
            for production in candidates:
                reason = reasons.get(production.id)
                if reason:
                    if (
                        production.plc_state != "blocked"
                        or production.plc_reason != reason
                    ):
                        production.write({"plc_state": "blocked", "plc_reason": reason})
                else:
                    claimed |= production
        if claimed:
            claimed._plc_mark_sent(line)
        return claimed

    def _plc_silo_by_product(self, line):
        silo_by_product = {}
        for silo in line.silo_ids:
            if silo.product_id and silo.product_id not in silo_by_product:
                silo_by_product[silo.product_id] = silo
        return silo_by_product

    def _plc_open_raw_moves(self):
        self.ensure_one()
        moves = self.move_raw_ids.filtered(lambda m: m.state not in ("done", "cancel"))
        return moves.sorted(
            lambda m: (
                m.bom_line_id.sequence if m.bom_line_id else 1 << 30,
                m.bom_line_id.id or 1 << 30,
                m.id,
            )
        )

    def _plc_blocking_reasons(self, line):
        silo_by_product = self._plc_silo_by_product(line)
        empty_silos = line.silo_ids.filtered(lambda s: not s.product_id)
        reasons = {}
        for production in self:
            if production.company_id != line.company_id:
                # The line doses from its own company's stock.
                reasons[production.id] = _(
                    "The MO belongs to company %(company)s, line %(line)s to "
                    "%(line_company)s."
                ) % {
                    "company": production.company_id.name,
                    "line": line.code,
                    "line_company": line.company_id.name,
                }
                continue
            moves = production._plc_open_raw_moves()
            if not moves:
                reasons[production.id] = _("The MO has no component to dose.")
                continue
            missing = moves.mapped("product_id").filtered(
                lambda p: p not in silo_by_product
            )
            if missing and line.missing_silo_policy == "block":
                reason = _("No active silo of line %(line)s holds %(products)s.") % {
                    "line": line.code,
                    "products": ", ".join(missing.mapped("display_name")),
                }
                if empty_silos:
                    reason += " " + _("Silos without a product: %s.") % ", ".join(
                        empty_silos.mapped("code")
                    )
                reasons[production.id] = reason
            elif missing == moves.mapped("product_id"):
                reasons[production.id] = (
                    _("No component of the MO is held by a silo of line %s.")
                    % line.code
                )
        return reasons

    def _plc_component_groups(self, line):
        """Per MO: the silos and their moves, in the order of the BoM lines."""
        silo_by_product = self._plc_silo_by_product(line)
        groups = {}
        for production in self:
            by_silo = OrderedDict()
            for move in production._plc_open_raw_moves():
                silo = silo_by_product.get(move.product_id)
                if silo:
                    by_silo.setdefault(silo, self.env["stock.move"])
                    by_silo[silo] |= move
            groups[production.id] = by_silo
        return groups

    def _plc_mark_sent(self, line):
        """Mark the MOs sent and freeze what they are sent with.

        Plain SQL on purpose: one UPDATE and two INSERTs whatever the number of
        batches, so a fetch costs the same number of queries for 1 or 100 MOs.
        """
        cr = self.env.cr
        now = fields.Datetime.now()
        uid = self.env.uid
        groups = self._plc_component_groups(line)
        rows = []
        moves_by_key = {}
        for production in self:
            for sequence, (silo, moves) in enumerate(groups[production.id].items()):
                uom = moves[0].product_uom
                planned = sum(
                    move.product_uom._compute_quantity(
                        move.product_uom_qty, uom, round=False
                    )
                    for move in moves
                )
                planned = float_round(planned, precision_rounding=uom.rounding)
                rows.append(
                    (
                        production.id,
                        line.id,
                        production.company_id.id,
                        production.plc_run or 1,
                        sequence + 1,
                        silo.id,
                        silo.code,
                        moves[0].product_id.id,
                        uom.id,
                        planned,
                        uid,
                        now,
                        uid,
                        now,
                    )
                )
                moves_by_key[(production.id, sequence + 1)] = moves.ids
        cr.execute(
            """
            UPDATE mrp_production
               SET plc_state = 'sent',
                   plc_reason = NULL,
                   plc_run = COALESCE(plc_run, 1),
                   plc_batch_key = %s || '-' || id || '-' || COALESCE(plc_run, 1),
                   plc_sent_at = %s,
                   plc_finished_qty_planned = product_qty,
                   plc_finished_qty_actual = 0,
                   write_uid = %s,
                   write_date = %s
             WHERE id IN %s
            """,
            (line.code, now, uid, now, tuple(self.ids)),
        )
        if rows:
            values = ",".join(
                cr.mogrify(
                    "(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,0,false,0,0,false,%s,%s,%s,%s)", row
                ).decode()
                for row in rows
            )
            cr.execute(
                "INSERT INTO mrp_plc_consumption (production_id, line_id, company_id, "
                "run, sequence, silo_id, silo_code, product_id, product_uom_id, "
                "planned_qty, actual_qty, reported, deviation_qty, deviation_percent, "
                "tolerance_exceeded, create_uid, create_date, write_uid, write_date) "
                "VALUES " + values + " RETURNING id, production_id, sequence"
            )
            rel_rows = []
            for consumption_id, production_id, sequence in cr.fetchall():
                for move_id in moves_by_key[(production_id, sequence)]:
                    rel_rows.append((consumption_id, move_id))
            if rel_rows:
                cr.execute(
                    "INSERT INTO mrp_plc_consumption_stock_move_rel "
                    "(consumption_id, move_id) VALUES "
                    + ",".join(cr.mogrify("(%s,%s)", r).decode() for r in rel_rows)
                )
        self.invalidate_cache(
            [
                "plc_state",
                "plc_reason",
                "plc_run",
                "plc_batch_key",
                "plc_sent_at",
                "plc_finished_qty_planned",
                "plc_finished_qty_actual",
                "plc_consumption_ids",
                "write_uid",
                "write_date",
            ]
        )

    def _plc_batch_values(self, line, redelivered):
        consumptions = self.env["mrp.plc.consumption"].search(
            [("production_id", "in", self.ids)]
        )
        by_production = defaultdict(list)
        for consumption in consumptions:
            by_production[consumption.production_id.id].append(consumption)
        batches = []
        for production in self:
            components = [
                {
                    "silo": consumption.silo_code,
                    "product_code": consumption.product_id.default_code or "",
                    "product_name": consumption.product_id.name,
                    "quantity": consumption.planned_qty,
                    "uom": consumption.product_uom_id.name,
                }
                for consumption in by_production[production.id]
                if consumption.run == production.plc_run
            ]
            batches.append(
                {
                    "mo_id": production.id,
                    "mo_name": production.name,
                    "run": production.plc_run,
                    "batch_key": production.plc_batch_key,
                    "redelivered": production in redelivered,
                    "product_code": production.product_id.default_code or "",
                    "product_name": production.product_id.name,
                    "quantity": production.plc_finished_qty_planned,
                    "uom": production.product_uom_id.name,
                    "bom_code": production.bom_id.code or "",
                    "line": line.code,
                    "date_planned_start": fields.Datetime.to_string(
                        production.date_planned_start
                    )
                    or None,
                    "components": components,
                }
            )
        return batches

    # ------------------------------------------------------------------
    # Report: validation
    # ------------------------------------------------------------------

    @api.model
    def _plc_parse_quantity(self, value, field, allow_none=False):
        if value is None and allow_none:
            return None
        if not _is_number(value):
            raise PlcRejected(
                _("%(field)s: must be a number, got %(value)r.")
                % {"field": field, "value": value}
            )
        try:
            value = float(value)
        except OverflowError:
            raise PlcRejected(
                _("%(field)s: must be below %(max)g, got a larger number.")
                % {"field": field, "max": MAX_QUANTITY}
            )
        if math.isnan(value) or math.isinf(value):
            raise PlcRejected(
                _("%(field)s: must be a finite number, got %(value)r.")
                % {"field": field, "value": value}
            )
        if value < 0:
            raise PlcRejected(
                _("%(field)s: must not be negative, got %(value)r.")
                % {"field": field, "value": value}
            )
        if value >= MAX_QUANTITY:
            raise PlcRejected(
                _("%(field)s: must be below %(max)g, got %(value)r.")
                % {"field": field, "max": MAX_QUANTITY, "value": value}
            )
        # -0.0 is 0.0: the digest must not depend on how the agent wrote zero.
        return value + 0.0

    @api.model
    def _plc_check_text(self, value, field):
        # PostgreSQL text cannot hold NUL; failing in SQL instead would raise, which
        # the agent takes for a passing error and retries forever.
        if "\x00" in value:
            raise PlcRejected(_("%s: must not contain NUL characters.") % field)

    @api.model
    def _plc_parse_datetime(self, value, field):
        if value is None:
            return None
        if not isinstance(value, str):
            raise PlcRejected(
                _("%(field)s: must be an ISO 8601 string or null, got %(value)r.")
                % {"field": field, "value": value}
            )
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.datetime.fromisoformat(text)
            if moment.tzinfo is not None:
                # Overflows for the first and last hours of the datetime range.
                moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        except (ValueError, OverflowError):
            raise PlcRejected(
                _("%(field)s: not an ISO 8601 date and time: %(value)r.")
                % {"field": field, "value": value}
            )
        return moment.replace(microsecond=0)

    @api.model
    def _plc_parse_payload(self, payload):
        """Check the payload's shape; return it normalised and its digest."""
        if not isinstance(payload, dict):
            raise PlcRejected(
                _("payload: must be an object, got %r.") % type(payload).__name__
            )
        missing = [name for name in REQUIRED_PAYLOAD_FIELDS if name not in payload]
        if missing:
            raise PlcRejected(_("missing field(s): %s.") % ", ".join(missing))
        unknown = sorted(set(payload) - PAYLOAD_FIELDS)
        if unknown:
            raise PlcRejected(_("unknown field(s): %s.") % ", ".join(map(str, unknown)))
        mo_id = payload["mo_id"]
        if isinstance(mo_id, bool) or not isinstance(mo_id, int) or mo_id <= 0:
            raise PlcRejected(
                _("mo_id: must be a positive integer, got %r.") % (mo_id,)
            )
        for name in ("line", "batch_key"):
            if not isinstance(payload[name], str) or not payload[name].strip():
                raise PlcRejected(
                    _("%(field)s: must be a non-empty string, got %(value)r.")
                    % {"field": name, "value": payload[name]}
                )
            self._plc_check_text(payload[name], name)
        status = payload["status"]
        if status not in ("done", "failed"):
            raise PlcRejected(
                _("status: must be 'done' or 'failed', got %r.") % (status,)
            )
        lines = payload["consumption"]
        if not isinstance(lines, list):
            raise PlcRejected(_("consumption: must be a list, got %r.") % (lines,))
        consumption = OrderedDict()
        for index, item in enumerate(lines):
            where = "consumption[%d]" % index
            if not isinstance(item, dict):
                raise PlcRejected(_("%s: must be an object.") % where)
            if "silo" not in item or "quantity" not in item:
                raise PlcRejected(_("%s: needs both 'silo' and 'quantity'.") % where)
            extra = sorted(set(item) - {"silo", "quantity"})
            if extra:
                raise PlcRejected(
                    _("%(where)s: unknown field(s): %(fields)s.")
                    % {"where": where, "fields": ", ".join(map(str, extra))}
                )
            silo = item["silo"]
            if not isinstance(silo, str) or not silo.strip():
                raise PlcRejected(
                    _("%(where)s.silo: must be a non-empty string, got %(value)r.")
                    % {"where": where, "value": silo}
                )
            self._plc_check_text(silo, where + ".silo")
            if silo in consumption:
                raise PlcRejected(
                    _("%(where)s.silo: silo %(silo)s appears more than once.")
                    % {"where": where, "silo": silo}
                )
            consumption[silo] = self._plc_parse_quantity(
                item["quantity"], where + ".quantity"
            )
        message = payload.get("message")
        if message is not None and not isinstance(message, str):
            raise PlcRejected(
                _("message: must be a string or null, got %r.") % (message,)
            )
        if message is not None:
            self._plc_check_text(message, "message")
        data = {
            "mo_id": mo_id,
            "line": payload["line"],
            "batch_key": payload["batch_key"],
            "status": status,
            "consumption": consumption,
            "finished_quantity": self._plc_parse_quantity(
                payload.get("finished_quantity"), "finished_quantity", allow_none=True
            ),
            "started_at": self._plc_parse_datetime(
                payload.get("started_at"), "started_at"
            ),
            "finished_at": self._plc_parse_datetime(
                payload.get("finished_at"), "finished_at"
            ),
            "message": message,
        }
        canonical = dict(
            data,
            consumption=sorted([silo, qty] for silo, qty in consumption.items()),
            started_at=fields.Datetime.to_string(data["started_at"]) or None,
            finished_at=fields.Datetime.to_string(data["finished_at"]) or None,
        )
        digest = hashlib.sha256(
            json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()
        ).hexdigest()
        return data, digest

    def _plc_duplicate_result(self, data, digest):
        """The stored answer when this run's report already came in, else None."""
        self.ensure_one()
        if not self.plc_report_digest or self.plc_batch_key != data["batch_key"]:
            return None
        if self.plc_report_digest != digest:
            raise PlcRejected(
                _(
                    "batch_key: %s was already reported with a different payload; "
                    "the first report stands."
                )
                % data["batch_key"]
            )
        result = json.loads(self.plc_report_result)
        result["duplicate"] = True
        return result

    def _plc_check_report(self, data):
        """Check the report against the MO; return the run's lines by silo code."""
        self.ensure_one()
        line = (
            self.env["mrp.plc.line"]
            .with_context(active_test=False)
            .search([("code", "=", data["line"])], limit=1)
        )
        if not line:
            raise PlcRejected(_("line: unknown PLC line %r.") % data["line"])
        if self.plc_line_id != line:
            raise PlcRejected(
                _("mo_id: %(mo)s belongs to line %(other)s, not to %(line)s.")
                % {
                    "mo": self.name,
                    "other": self.plc_line_id.code or _("no line"),
                    "line": line.code,
                }
            )
        if self.plc_state in PLC_REPORTED_STATES:
            raise PlcRejected(
                _("batch_key: %(mo)s was already reported under batch_key %(key)s.")
                % {"mo": self.name, "key": self.plc_batch_key}
            )
        if self.state in ("done", "cancel"):
            raise PlcRejected(
                _("mo_id: %(mo)s is %(state)s.")
                % {"mo": self.name, "state": self.state}
            )
        if self.plc_state != "sent":
            raise PlcRejected(
                _("mo_id: %(mo)s was not sent to the line (PLC state %(state)s).")
                % {"mo": self.name, "state": self.plc_state or _("none")}
            )
        if data["batch_key"] != self.plc_batch_key:
            raise PlcRejected(
                _("batch_key: %(mo)s is running under %(key)s, not %(given)s.")
                % {
                    "mo": self.name,
                    "key": self.plc_batch_key,
                    "given": data["batch_key"],
                }
            )
        run_lines = self.plc_consumption_ids.filtered(lambda c: c.run == self.plc_run)
        by_code = OrderedDict((c.silo_code, c) for c in run_lines)
        for index, silo_code in enumerate(data["consumption"]):
            if silo_code in by_code:
                continue
            where = "consumption[%d].silo" % index
            known = (
                self.env["mrp.plc.silo"]
                .with_context(active_test=False)
                .search_count([("line_id", "=", line.id), ("code", "=", silo_code)])
            )
            if known:
                raise PlcRejected(
                    _("%(where)s: silo %(silo)s was not sent with %(mo)s.")
                    % {"where": where, "silo": silo_code, "mo": self.name}
                )
            raise PlcRejected(
                _("%(where)s: unknown silo %(silo)s on line %(line)s.")
                % {"where": where, "silo": silo_code, "line": line.code}
            )
        return by_code

    # ------------------------------------------------------------------
    # Report: applying it
    # ------------------------------------------------------------------

    def _plc_apply_report(self, data, digest, by_code):
        self.ensure_one()
        line = self.plc_line_id
        for silo_code, consumption in by_code.items():
            consumption.write(
                {
                    "actual_qty": data["consumption"].get(silo_code, 0.0),
                    "reported": True,
                }
            )
        done = data["status"] == "done"
        finished = data["finished_quantity"]
        if finished is None:
            finished = self.plc_finished_qty_planned if done else 0.0
        self.write(
            {
                "plc_reported_at": fields.Datetime.now(),
                "plc_started_at": data["started_at"],
                "plc_finished_at": data["finished_at"],
                "plc_message": data["message"],
                "plc_finished_qty_actual": finished,
            }
        )
        if done:
            self.qty_producing = float_round(
                finished, precision_rounding=self.product_uom_id.rounding
            )
        self._plc_set_consumed_quantities(line, finished)
        if not done:
            reason = data["message"] or _("The line reported a failure.")
            return self._plc_finish_report("failed", reason, digest)
        reason = self._plc_closing_issue()
        if not reason:
            reason = self._plc_close(line)
        if reason:
            self._plc_schedule_activity(reason)
            return self._plc_finish_report("recorded", reason, digest)
        return self._plc_finish_report("done", None, digest)

    def _plc_set_consumed_quantities(self, line, finished):
        """quantity_done of every move from the actuals of all runs of the MO."""
        self.ensure_one()
        totals = defaultdict(float)
        lots = {}
        on_silo = self.env["stock.move"]
        for consumption in self.plc_consumption_ids:
            moves = consumption.move_ids.filtered(
                lambda m: m.state not in ("done", "cancel")
            )
            on_silo |= consumption.move_ids
            if not moves:
                continue
            silo_lot = consumption.silo_id.lot_id
            for move in moves:
                if silo_lot and silo_lot.product_id == move.product_id:
                    lots[move] = silo_lot
            if not consumption.reported:
                continue
            for move, qty in self._plc_split(consumption, moves).items():
                totals[move] += qty
        for move, qty in totals.items():
            self._plc_set_move_quantity(
                move,
                float_round(qty, precision_rounding=move.product_uom.rounding),
                lots.get(move),
            )
        planned_qty = self.product_qty
        ratio = finished / planned_qty if planned_qty else 0.0
        if line.missing_silo_policy == "consume_planned":
            for move in self.move_raw_ids - on_silo:
                if move.state in ("done", "cancel"):
                    continue
                qty = float_round(
                    move.product_uom_qty * ratio,
                    precision_rounding=move.product_uom.rounding,
                )
                self._plc_set_move_quantity(move, qty, False)
        # By-products follow the produced quantity, as Odoo itself does.
        for move in self.move_finished_ids:
            if (
                move.product_id == self.product_id
                or move._should_bypass_set_qty_producing()
            ):
                continue
            qty = float_round(
                move.product_uom_qty * ratio,
                precision_rounding=move.product_uom.rounding,
            )
            self._plc_set_move_quantity(move, qty, False)

    @api.model
    def _plc_split(self, consumption, moves):
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

    @api.model
    def _plc_set_move_quantity(self, move, qty, lot):
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

    def _plc_closing_issue(self):
        """Why Odoo must not close the MO as reported, or None.

        skip_immediate also switches off Odoo's own consumption check, so a strict
        BoM is checked here.
        """
        self.ensure_one()
        problems = []
        for consumption in self.plc_consumption_ids:
            product = consumption.product_id
            if product.tracking == "none" or not consumption.reported:
                continue
            if float_is_zero(
                consumption.actual_qty,
                precision_rounding=consumption.product_uom_id.rounding or 0.001,
            ):
                continue
            lot = consumption.silo_id.lot_id
            if not lot or lot.product_id != product:
                problems.append(
                    _(
                        "%(product)s is tracked by lot and silo %(silo)s has no lot of it."
                    )
                    % {"product": product.display_name, "silo": consumption.silo_code}
                )
        if self.consumption == "strict":
            for (
                _order,
                product,
                done_qty,
                expected_qty,
            ) in self._get_consumption_issues():
                problems.append(
                    _(
                        "Strict BoM: %(product)s consumed %(done)s %(uom)s, "
                        "expected %(expected)s %(uom)s."
                    )
                    % {
                        "product": product.display_name,
                        "done": done_qty,
                        "expected": expected_qty,
                        "uom": product.uom_id.name,
                    }
                )
        return " ".join(problems) or None

    def _plc_close(self, line):
        """Close the MO without any wizard; the reason when Odoo refuses."""
        self.ensure_one()
        context = {
            "skip_immediate": True,
            "skip_consumption": True,
            "skip_backorder": True,
        }
        rounding = self.product_uom_id.rounding
        if (
            line.backorder_policy == "always"
            and float_compare(
                self.qty_producing, self.product_qty, precision_rounding=rounding
            )
            < 0
        ):
            context["mo_ids_to_backorder"] = self.ids
        siblings = self.procurement_group_id.mrp_production_ids
        try:
            with self.env.cr.savepoint():
                if self.product_id.tracking == "lot" and not self.lot_producing_id:
                    self.action_generate_serial()
                result = self.with_context(**context).button_mark_done()
                if isinstance(result, dict) and result.get("res_model") not in (
                    None,
                    "mrp.production",
                ):
                    raise PlcNotClosed(
                        _("Odoo asked for the wizard %s before closing.")
                        % result.get("res_model")
                    )
                if self.state != "done":
                    raise PlcNotClosed(_("Odoo left the MO in state %s.") % self.state)
                backorders = self.procurement_group_id.mrp_production_ids - siblings
                backorders._plc_renew_components()
        except PlcNotClosed as error:
            return str(error.args[0])
        except UserError as error:
            return _("Odoo refused to close the MO: %s") % (error.args[0],)
        return None

    def _plc_renew_components(self):
        """Give backorders the components of their own quantity.

        Odoo hands the backorder whatever the closed MO did not consume; after a
        batch that used its silos in full that is nothing, and after an underdose it
        is the shortfall, neither of which is what the rest of the order needs.
        """
        for backorder in self:
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

    def _plc_schedule_activity(self, reason):
        self.ensure_one()
        user = self.user_id
        if not user or not user.active or user.share:
            user = self.create_uid
        if not user or not user.active or user.share:
            user = (
                self.env.ref("base.user_admin", raise_if_not_found=False)
                or self.env.user
            )
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=_("PLC batch recorded but not closed"),
            note=reason,
            user_id=user.id,
        )

    def _plc_finish_report(self, status, reason, digest):
        result = {
            "status": status,
            "mo_state": self.state,
            "reason": reason,
            "duplicate": False,
            "api_version": API_VERSION,
        }
        self.write(
            {
                "plc_state": status,
                "plc_reason": reason,
                "plc_report_digest": digest,
                "plc_report_result": json.dumps(result),
            }
        )
        return result
