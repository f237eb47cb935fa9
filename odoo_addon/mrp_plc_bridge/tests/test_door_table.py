# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""One door: every public method an agent can reach, tried by line A's agent on line B.

Odoo's RPC dispatch calls any public method of any model, so the methods are found by
introspection, not listed by hand: every public method the addon's own classes define on
any model, plus the ORM's and the mail thread's public methods on the addon's own models
(an agent must not read or write those through the ordinary ORM, docs/api.md). Each has
a row saying how to call it against line B: a payload naming B, B's MO, or B's records
as ``self``. A reachable method without a row fails the test by name, so a new public
method cannot be forgotten.

Each call goes through Odoo's RPC dispatcher (what ``/jsonrpc`` hands ``execute_kw``
over to: the API key check, the method name check, ``call_kw``) with agent A's API key.
It must be refused, by an ``AccessError``/``UserError`` or a ``rejected`` answer, and
write nothing: the rows of every table a call could touch are counted before and after,
and so are the rows written since the setup (every ``write_date`` is set back first).
test_agent_lines.py says why refused calls do not go through the HTTP layer.
"""
import inspect
import re

from psycopg2 import sql

from odoo import http
from odoo.exceptions import AccessDenied, UserError
from odoo.tests import tagged
from odoo.tests.common import HttpCase, SavepointCase, get_db_name

from .common import add_stock, build_plant, create_agent_user, create_mo

ADDON_PREFIX = "mrp_plc_bridge"
# The ORM's public methods that read or write; the agent has no access right for them.
ORM_METHODS = ("read", "search_read", "write", "create", "unlink")
# Public methods mail.thread and mail.activity.mixin give a model; they write. Each is
# asked for on the models that have it.
MAIL_METHODS = ("message_post", "message_subscribe", "activity_schedule")
# Tables a call against line B could write to; those not in the database are skipped.
WATCHED_TABLES = (
    "mrp_production",
    "stock_move",
    "stock_move_line",
    "stock_quant",
    "mrp_plc_line",
    "mrp_plc_silo",
    "mrp_plc_consumption",
    "mrp_plc_failure",
    "mrp_plc_weighing",
    "mrp_plc_line_ping",
    "mrp_plc_silo_fill",
    "mrp_plc_consumption_lot",
    "mrp_plc_run",
    "mrp_plc_consumption_correction",
    "mail_message",
    "mail_activity",
    "mail_mail",
    "mail_followers",
    "mail_tracking_value",
    "res_users",
    "res_users_apikeys",
    "mrp_workcenter_productivity",
    "maintenance_request",
)
SET_BACK = "2001-01-01 00:00:00"


def is_own_model(model):
    return (model._original_module or "").startswith(ADDON_PREFIX)


def reachable_methods(env):
    """Every (model, method) an RPC caller reaches that this addon answers for.

    The public methods the addon's classes define on any model (found in each model's
    MRO), the ORM methods on the addon's own models and the mail methods on those of
    them that are mail threads. ``init`` is public by name but refused by Odoo's RPC.
    """
    found = set()
    for name in env.registry:
        model = env[name]
        for klass in type(model).__mro__:
            if not klass.__module__.startswith("odoo.addons." + ADDON_PREFIX):
                continue
            for attr, value in vars(klass).items():
                if attr.startswith("_") or attr == "init":
                    continue
                if inspect.isfunction(value) or isinstance(
                    value, (classmethod, staticmethod)
                ):
                    found.add((name, attr))
        if is_own_model(model):
            found.update((name, method) for method in ORM_METHODS)
            found.update(
                (name, method) for method in MAIL_METHODS if hasattr(model, method)
            )
    return found


# ----------------------------------------------------------------------
# The rows: (model, method) -> rows(case) giving [(label, args, kwargs[, refusals])]
# ----------------------------------------------------------------------


def _with_records_of_b(records_of, *args, **kwargs):
    """Rows calling a method with line B's records as ``self``."""
    return lambda case: [("line B's records", [records_of(case).ids] + list(args), kwargs)]


# Line B's record of each of the addon's own models, values to write on it and values
# to create one: the ORM and mail rows of that model are built from them.
OWN_RECORDS = {
    "mrp.plc.line": lambda case: (
        case.line_b,
        {"name": "x"},
        {"code": "DX", "name": "x"},
    ),
    "mrp.plc.silo": lambda case: (
        case.plant_b["silos"]["101"],
        {"name": "x"},
        {"code": "199", "name": "x", "line_id": case.line_b.id},
    ),
    "mrp.plc.consumption": lambda case: (
        case.mo_b.plc_consumption_ids[:1],
        {"plc_actual_qty": 1.0},
        {"production_id": case.mo_b.id, "silo_id": case.plant_b["silos"]["101"].id},
    ),
    "mrp.plc.failure": lambda case: (
        case.failure_b,
        {"state": "resolved"},
        {
            "line_id": case.line_b.id,
            "failure_key": "k",
            "equipment": "e",
            "info": "i",
            "occurred_at": "2026-11-28 06:00:00",
        },
    ),
    "mrp.plc.weighing": lambda case: (
        case.weighing_b,
        {"state": "discarded"},
        {"line_id": case.line_b.id, "weighing_key": "k", "weighed_at": "2026-11-28"},
    ),
    "mrp.plc.line.ping": lambda case: (
        case.ping_b,
        {"queued": 99},
        {"line_id": case.line_b.id, "seen_at": "2026-11-28 06:00:00"},
    ),
    "mrp.plc.silo.fill": lambda case: (
        case.fill_b,
        {"note": "x"},
        {"silo_id": case.plant_b["silos"]["102"].id, "how": "refill"},
    ),
    "mrp.plc.consumption.lot": lambda case: (
        case.lot_share_b,
        {"plc_qty": 1.0},
        {"consumption_id": case.mo_b.plc_consumption_ids[:1].id, "lot_id": case.lot_b.id},
    ),
    "mrp.plc.silo.refill": lambda case: (
        case.refill_b,
        {"note": "x"},
        {"silo_id": case.plant_b["silos"]["101"].id},
    ),
    "mrp.plc.lot.choice": lambda case: (
        case.lot_choice_b,
        {"share_ids": [(5, 0, 0)]},
        {"consumption_id": case.mo_b.plc_consumption_ids[:1].id},
    ),
    "mrp.plc.lot.choice.share": lambda case: (
        case.lot_choice_b.share_ids,
        {"plc_qty": 1.0},
        {"choice_id": case.lot_choice_b.id, "plc_qty": 1.0},
    ),
    "mrp.plc.agent.access": lambda case: (
        case.wizard_b,
        {"line_id": case.line_a.id},
        {"line_id": case.line_b.id},
    ),
    # Abstract: no records, but their methods are reachable all the same.
    "mrp.plc.line.report": lambda case: (
        case.env["mrp.plc.line.report"].browse(1),
        {"line_id": case.line_a.id},
        {"line_id": case.line_b.id},
    ),
    "mrp.plc.agent.key": lambda case: (
        case.env["mrp.plc.agent.key"].browse(1),
        {"login": "x"},
        {"login": "x", "key": "x"},
    ),
    "mrp.plc.run": lambda case: (
        case.run_b,
        {"accepted_by_id": case.agent_a.id},
        {"production_id": case.mo_b.id, "run": 9, "status": "done"},
    ),
    # A correction needs a done MO; the agent has no right on the model at all, so one
    # that does not exist is refused alike.
    "mrp.plc.consumption.correction": lambda case: (
        case.env["mrp.plc.consumption.correction"].browse(1),
        {"reason": "x"},
        {"production_id": case.mo_b.id, "new_value": 1.0, "reason": "x"},
    ),
    "mrp.plc.correction.wizard": lambda case: (
        case.env["mrp.plc.correction.wizard"].browse(1),
        {"reason": "x"},
        {"production_id": case.mo_b.id, "target": "finished_weight", "reason": "x"},
    ),
    "mrp.plc.batch.record.export": lambda case: (
        case.env["mrp.plc.batch.record.export"].browse(1),
        {"date_to": "2026-12-31"},
        {
            "date_from": "2026-11-01",
            "date_to": "2026-11-30",
            "line_ids": [(6, 0, case.line_b.ids)],
        },
    ),
    "report.mrp_plc_bridge.report_batch_record": lambda case: (
        case.env["report.mrp_plc_bridge.report_batch_record"].browse(1),
        {},
        {},
    ),
}


def _own_rows(model, method):
    def rows(case):
        records, write_values, create_values = OWN_RECORDS[model](case)
        ids = records.ids
        return {
            "read": [("line B's record", [ids], {})],
            "search_read": [("line B's record", [[("id", "in", ids)]], {})],
            "write": [("line B's record", [ids, write_values], {})],
            "create": [("a record for line B", [create_values], {})],
            "unlink": [("line B's record", [ids], {})],
            "message_post": [("on line B's record", [ids], {"body": "x"})],
            "message_subscribe": [
                # Odoo answers False, writing nothing, to a reader subscribing itself.
                (
                    "itself to line B's record",
                    [ids],
                    {"partner_ids": case.partner_a.ids},
                    (False,),
                ),
                (
                    "someone to line B's record",
                    [ids],
                    {"partner_ids": case.partner_b.ids},
                ),
            ],
            "activity_schedule": [
                (
                    "on line B's record",
                    [ids, "mail.mail_activity_data_todo"],
                    {"summary": "x"},
                )
            ],
        }[method]

    return rows


DOOR_ROWS = {
    ("mrp.production", "plc_ping"): lambda case: [
        ("line B", ["DB"], {}),
        ("line B, with a status", ["DB", {"stuck": 0, "plc": {"last_error": "x"}}], {}),
    ],
    ("mrp.production", "plc_fetch_batches"): lambda case: [("line B", ["DB", 5], {})],
    ("mrp.production", "plc_report_batch"): lambda case: [
        ("line B's MO as line B", [case.payload_b], {}),
        ("line B's MO as line A", [dict(case.payload_b, line="DA")], {}),
    ],
    ("mrp.production", "plc_report_failure"): lambda case: [
        ("a failure of line B", [case.failure_payload("DB", "DB/2")], {}),
    ],
    ("mrp.production", "plc_report_manual_weighing"): lambda case: [
        (
            "a weighing of line B for line B's MO",
            [case.weighing_payload("DB", case.mo_b.name, "DB-W-2")],
            {},
        ),
    ],
    ("mrp.production", "write"): _with_records_of_b(
        lambda case: case.mo_b, {"plc_hold": True}
    ),
    ("mrp.production", "action_plc_release"): _with_records_of_b(
        lambda case: case.mo_b
    ),
    ("mrp.production", "action_plc_accept_actuals"): _with_records_of_b(
        lambda case: case.mo_b
    ),
    ("mrp.production", "action_plc_send_now"): _with_records_of_b(
        lambda case: case.mo_b
    ),
    ("mrp.production", "action_plc_open_correction"): _with_records_of_b(
        lambda case: case.mo_b
    ),
    ("mrp.plc.run", "name_get"): _with_records_of_b(lambda case: case.run_b),
    ("mrp.plc.correction.wizard", "action_record"): _with_records_of_b(
        lambda case: case.env["mrp.plc.correction.wizard"].browse(1)
    ),
    ("mrp.plc.batch.record.export", "action_export"): _with_records_of_b(
        lambda case: case.env["mrp.plc.batch.record.export"].browse(1)
    ),
    ("mrp.plc.line", "action_open_plc_agent_access"): _with_records_of_b(
        lambda case: case.line_b
    ),
    ("mrp.plc.silo", "name_get"): _with_records_of_b(
        lambda case: case.plant_b["silos"]["101"]
    ),
    ("mrp.plc.silo", "action_open_plc_consumption"): _with_records_of_b(
        lambda case: case.plant_b["silos"]["101"]
    ),
    ("mrp.plc.silo", "action_plc_refill"): _with_records_of_b(
        lambda case: case.plant_b["silos"]["101"]
    ),
    ("mrp.plc.silo.fill", "name_get"): _with_records_of_b(lambda case: case.fill_b),
    ("mrp.plc.consumption", "action_plc_choose_lots"): _with_records_of_b(
        lambda case: case.mo_b.plc_consumption_ids[:1]
    ),
    ("mrp.plc.silo.refill", "action_refill"): _with_records_of_b(
        lambda case: case.refill_b
    ),
    ("mrp.plc.lot.choice", "action_choose"): _with_records_of_b(
        lambda case: case.lot_choice_b
    ),
    ("mrp.plc.failure", "action_acknowledge"): _with_records_of_b(
        lambda case: case.failure_b
    ),
    ("mrp.plc.failure", "action_resolve"): _with_records_of_b(
        lambda case: case.failure_b
    ),
    ("mrp.plc.weighing", "name_get"): _with_records_of_b(lambda case: case.weighing_b),
    ("mrp.plc.weighing", "action_consume"): _with_records_of_b(
        lambda case: case.weighing_b
    ),
    ("mrp.plc.weighing", "action_discard"): _with_records_of_b(
        lambda case: case.weighing_b
    ),
    ("mrp.plc.agent.access", "action_issue_key"): _with_records_of_b(
        lambda case: case.wizard_b
    ),
    ("res.users", "write"): lambda case: [
        ("line B's agent user, archived", [case.agent_b.ids, {"active": False}], {}),
        (
            "itself, bound to line B",
            [case.agent_a.ids, {"plc_agent_line_ids": [(4, case.line_b.id)]}],
            {},
        ),
    ],
    # Odoo's key check, public like any method: a wrong key of B's agent is refused.
    ("res.users", "check"): lambda case: [
        (
            "line B's agent user with a wrong key",
            [[], case.agent_b.id, "not-the-key"],
            {},
            (AccessDenied,),
        ),
    ],
}


def door_rows(env):
    """DOOR_ROWS, plus the ORM and mail rows of each own model OWN_RECORDS knows."""
    rows = dict(DOOR_ROWS)
    for name in OWN_RECORDS:
        if name not in env.registry:
            continue
        methods = ORM_METHODS + tuple(
            method for method in MAIL_METHODS if hasattr(env[name], method)
        )
        for method in methods:
            rows.setdefault((name, method), _own_rows(name, method))
    return rows


def rows_missing(env):
    """The reachable methods without a row, as ``model.method`` names."""
    rows = door_rows(env)
    return sorted(
        "%s.%s" % key for key in reachable_methods(env) if key not in rows
    )


class DoorWorld(HttpCase):
    """Lines DA and DB, each with its own agent; line B has an MO sent to it, a failure,
    a kept weighing and a ping, all made by its own agent."""

    def setUp(self):
        super().setUp()
        self.db = get_db_name()
        env = self.env
        self.plant_a = build_plant(env, "DA")
        self.plant_b = build_plant(env, "DB")
        self.line_a, self.line_b = self.plant_a["line"], self.plant_b["line"]
        for plant in (self.plant_a, self.plant_b):
            for name in ("maize", "soy", "molasses"):
                add_stock(env, plant["products"][name], 10000.0)
        self.mo_a = create_mo(env, self.plant_a["bom"], 1000.0)
        self.mo_b = create_mo(env, self.plant_b["bom"], 1000.0)
        self.agent_a = create_agent_user(env, "door_agent_a", self.line_a)
        self.agent_b = create_agent_user(env, "door_agent_b", self.line_b)
        self.partner_a = self.agent_a.partner_id
        self.partner_b = self.agent_b.partner_id
        self.key_a = env["res.users.apikeys"].with_user(self.agent_a)._generate(
            "rpc", "door A"
        )
        api_b = env["mrp.production"].with_user(self.agent_b)
        batch = api_b.plc_fetch_batches("DB", 5)["batches"][0]
        self.payload_b = {
            "mo_id": batch["mo_id"],
            "line": "DB",
            "batch_key": batch["batch_key"],
            "consumption": [
                {"silo": c["silo"], "quantity": c["quantity"]}
                for c in batch["components"]
            ],
            "finished_quantity": None,
            "status": "done",
        }
        failure = api_b.plc_report_failure(self.failure_payload("DB", "DB/1"))
        self.failure_b = env["mrp.plc.failure"].browse(failure["failure_id"])
        api_b.plc_report_manual_weighing(
            self.weighing_payload("DB", "", "DB-W-1")
        )
        self.weighing_b = env["mrp.plc.weighing"].search(
            [("weighing_key", "=", "DB-W-1")]
        )
        api_b.plc_ping("DB", {"stuck": 0})
        self.ping_b = env["mrp.plc.line.ping"].search(
            [("line_id", "=", self.line_b.id)], limit=1
        )
        self.wizard_b = env["mrp.plc.agent.access"].create({"line_id": self.line_b.id})
        # Line B's silo history, a lot share of its MO, and its silo's and MO's wizards.
        maize_b = self.plant_b["products"]["maize"]
        self.lot_b = env["stock.production.lot"].create(
            {"name": "DB-LOT", "product_id": maize_b.id, "company_id": env.company.id}
        )
        self.fill_b = self.plant_b["silos"]["101"].fill_ids[:1]
        consumption_b = self.mo_b.plc_consumption_ids[:1]
        self.lot_share_b = env["mrp.plc.consumption.lot"].create(
            {"consumption_id": consumption_b.id, "lot_id": self.lot_b.id, "plc_qty": 1.0}
        )
        self.refill_b = env["mrp.plc.silo.refill"].create(
            {"silo_id": self.plant_b["silos"]["101"].id, "product_id": maize_b.id}
        )
        self.lot_choice_b = env["mrp.plc.lot.choice"].create(
            {
                "consumption_id": consumption_b.id,
                "share_ids": [(0, 0, {"lot_id": self.lot_b.id, "plc_qty": 1.0})],
            }
        )
        # A run of line B's MO as a report records it (the MO itself stays sent here).
        self.run_b = env["mrp.plc.run"].create(
            {"production_id": self.mo_b.id, "run": 1, "status": "failed"}
        )
        self.assertEqual(
            (self.mo_b.plc_state, self.failure_b.state, self.weighing_b.state),
            ("sent", "new", "kept"),
        )
        self.assertTrue(self.ping_b)
        self.assertTrue(self.fill_b)
        self.watched = self._watched_tables()
        env["base"].flush()
        for table, dated in self.watched:
            if dated:
                self.env.cr.execute(
                    sql.SQL("UPDATE {} SET write_date = %s").format(
                        sql.Identifier(table)
                    ),
                    [SET_BACK],
                )
        env["base"].invalidate_cache()

    def failure_payload(self, line, key, **values):
        return dict(
            {
                "line": line,
                "failure_key": key,
                "equipment": "silo101",
                "info": "START_FAILURE",
                "occurred_at": "2026-11-28T06:01:02+00:00",
            },
            **values
        )

    def weighing_payload(self, line, mo_name, key, **values):
        plant = self.plant_a if line == "DA" else self.plant_b
        return dict(
            {
                "line": line,
                "weighing_key": key,
                "mo_name": mo_name,
                "batch_number": 1,
                "product_template_id": plant["products"]["maize"].product_tmpl_id.id,
                "quantity": 5.0,
                "weighed_at": "2026-11-28T06:01:02+00:00",
            },
            **values
        )

    def _watched_tables(self):
        self.env.cr.execute(
            """SELECT c.relname, EXISTS (
                          SELECT 1 FROM information_schema.columns col
                           WHERE col.table_name = c.relname
                             AND col.column_name = 'write_date')
                 FROM pg_class c
                WHERE c.relkind = 'r' AND c.relname IN %s
                ORDER BY c.relname""",
            [WATCHED_TABLES],
        )
        return self.env.cr.fetchall()

    def snapshot(self):
        """Per table: how many rows, and how many written since the setup."""
        self.env["base"].flush()
        counts = {}
        for table, dated in self.watched:
            if dated:
                query = sql.SQL(
                    "SELECT count(*), count(*) FILTER (WHERE write_date > %s) FROM {}"
                ).format(sql.Identifier(table))
                self.env.cr.execute(query, [SET_BACK])
            else:
                query = sql.SQL("SELECT count(*), 0 FROM {}").format(
                    sql.Identifier(table)
                )
                self.env.cr.execute(query)
            counts[table] = self.env.cr.fetchone()
        return counts

    @staticmethod
    def writes(before, after):
        changed = []
        for table, (count, written) in sorted(after.items()):
            old_count, old_written = before[table]
            if count != old_count:
                changed.append("%s %+d rows" % (table, count - old_count))
            if written != old_written:
                changed.append("%s %d rows written" % (table, written - old_written))
        return changed

    def call_as_a(self, model, method, args, kwargs=None):
        """``model.method(*args, **kwargs)`` by agent A through Odoo's RPC dispatch."""
        self.env["base"].flush()
        return http.dispatch_rpc(
            "object",
            "execute_kw",
            [self.db, self.agent_a.id, self.key_a, model, method, args, kwargs or {}],
        )

    def outcome(self, model, method, args, kwargs=None):
        """("raised", exception) or ("answered", result): what the agent gets."""
        try:
            return "answered", self.call_as_a(model, method, args, kwargs)
        except Exception as error:  # pylint: disable=broad-except
            return "raised", error
        finally:
            self.env["base"].invalidate_cache()

    def try_refused(self, model, method, args, kwargs=None, refusals=()):
        """What is wrong with calling it as agent A: [] if refused and nothing written.

        Refused: an AccessError or UserError, a ``rejected`` answer, or one of
        ``refusals`` (an answer Odoo itself gives when it refuses, e.g. False, or
        AccessDenied for a key check the call asks for).

        The call runs in a savepoint rolled back afterwards, so that one call that
        gets through does not change what the next one finds.
        """
        self.env["base"].flush()
        self.env.cr.execute('SAVEPOINT "door_row"')
        before = self.snapshot()
        kind, value = self.outcome(model, method, args, kwargs)
        after = self.snapshot()
        self.env.cr.execute('ROLLBACK TO SAVEPOINT "door_row"')
        self.env["base"].invalidate_cache()
        problems = []
        if kind == "raised":
            if isinstance(value, AccessDenied) and AccessDenied not in refusals:
                problems.append("agent A's key was refused: the test is broken")
            elif not isinstance(value, UserError):
                problems.append(
                    "raised %s (a server error, not a refusal): %s"
                    % (type(value).__name__, shorten(value))
                )
        elif not (
            isinstance(value, dict) and value.get("status") == "rejected"
        ) and not any(value is refusal for refusal in refusals):
            problems.append("answered %s" % shorten(value))
        written = self.writes(before, after)
        if written:
            problems.append("wrote: " + ", ".join(written))
        return problems


def shorten(value, size=300):
    text = str(value)
    return text if len(text) <= size else text[:size] + "... (%d chars)" % len(text)


@tagged("post_install", "-at_install")
class TestDoorTable(DoorWorld):
    def test_every_reachable_method_refuses_another_lines_agent(self):
        # The control: agent A's key and line work through the same dispatch.
        own = self.call_as_a("mrp.production", "plc_ping", ["DA"])
        self.assertTrue(own["line_exists"])
        failures = [
            "%s: no row says how an agent calls it against another line "
            "(add one to DOOR_ROWS or OWN_RECORDS in tests/test_door_table.py)" % name
            for name in rows_missing(self.env)
        ]
        reachable = reachable_methods(self.env)
        rows = door_rows(self.env)
        tried = 0
        for key in sorted(rows):
            if key not in reachable:
                failures.append(
                    "%s.%s: a row for a method the addon no longer defines (remove it)" % key
                )
                continue
            model, method = key
            for row in rows[key](self):
                label, args, kwargs, refusals = (tuple(row) + ((),))[:4]
                tried += 1
                for problem in self.try_refused(model, method, args, kwargs, refusals):
                    failures.append("%s.%s [%s]: %s" % (model, method, label, problem))
        if failures:
            self.fail(
                "%d problem(s) in %d calls of line A's agent against line B:\n- %s"
                % (len(failures), tried, "\n- ".join(failures))
            )

    def test_another_lines_mo_is_answered_like_a_missing_mo(self):
        missing_id = self.mo_b.id + 100000
        for_b = self.outcome(
            "mrp.production", "plc_report_batch", [dict(self.payload_b, line="DA")]
        )
        for_missing = self.outcome(
            "mrp.production",
            "plc_report_batch",
            [dict(self.payload_b, line="DA", mo_id=missing_id)],
        )
        self.assertEqual(
            answer_text(for_b, {str(self.mo_b.id): "<id>"}),
            answer_text(for_missing, {str(missing_id): "<id>", str(self.mo_b.id): "<id>"}),
        )

    def test_a_weighing_naming_another_lines_mo_is_kept_like_an_unknown_mo(self):
        before = (len(self.mo_b.move_raw_ids), self.mo_b.state)
        named_b = self.call_as_a(
            "mrp.production",
            "plc_report_manual_weighing",
            [self.weighing_payload("DA", self.mo_b.name, "DA-W-1")],
        )
        unknown = self.call_as_a(
            "mrp.production",
            "plc_report_manual_weighing",
            [self.weighing_payload("DA", "NO/SUCH/MO", "DA-W-2")],
        )
        self.assertEqual(named_b["status"], unknown["status"])
        self.assertEqual(
            named_b["reason"].replace(self.mo_b.name, "<mo>"),
            unknown["reason"].replace("NO/SUCH/MO", "<mo>"),
        )
        self.assertNotIn("DB", named_b["reason"])
        weighing = self.env["mrp.plc.weighing"].search(
            [("weighing_key", "=", "DA-W-1")]
        )
        self.assertEqual(weighing.line_id, self.line_a)
        self.assertFalse(weighing.production_id, "attached to line B's MO")
        self.mo_b.invalidate_cache()
        self.assertFalse(self.mo_b.plc_weighing_ids)
        self.assertEqual((len(self.mo_b.move_raw_ids), self.mo_b.state), before)


def answer_text(outcome, replace):
    kind, value = outcome
    if kind == "raised":
        text = "%s: %s" % (type(value).__name__, value)
    else:
        text = repr(sorted(value.items())) if isinstance(value, dict) else repr(value)
    for old, new in replace.items():
        text = re.sub(r"\b%s\b" % re.escape(old), new, text)
    return text


@tagged("post_install", "-at_install")
class TestDoorBounds(DoorWorld):
    """What an agent sends is bounded before it is read, formatted or stored."""

    def test_deeply_nested_values_are_refused_not_a_server_error(self):
        nested = "x"
        for _depth in range(5000):
            nested = [nested]
        calls = {
            "plc_ping line": ("plc_ping", [nested]),
            "plc_ping status text": (
                "plc_ping",
                ["DA", {"plc": {"last_error": nested}}],
            ),
            "plc_ping status flag": ("plc_ping", ["DA", {"plc": {"up": nested}}]),
            "plc_fetch_batches line": ("plc_fetch_batches", [nested, 5]),
            "plc_report_batch line": (
                "plc_report_batch",
                [dict(self.payload_b, line=nested)],
            ),
            "plc_report_batch message": (
                "plc_report_batch",
                [dict(self.payload_b, line="DA", message=nested)],
            ),
            "plc_report_failure equipment": (
                "plc_report_failure",
                [self.failure_payload("DA", "DA/1", equipment=nested)],
            ),
            "plc_report_manual_weighing mo_name": (
                "plc_report_manual_weighing",
                [self.weighing_payload("DA", nested, "DA-W-9")],
            ),
        }
        failures = []
        for label, (method, args) in sorted(calls.items()):
            for problem in self.try_refused("mrp.production", method, args):
                failures.append("%s: %s" % (label, problem))
        if failures:
            self.fail("\n- ".join(["nested values:"] + failures))

    def test_a_huge_message_is_not_stored_in_full(self):
        api_a = self.env["mrp.production"].with_user(self.agent_a)
        batch = api_a.plc_fetch_batches("DA", 5)["batches"][0]
        payload = {
            "mo_id": batch["mo_id"],
            "line": "DA",
            "batch_key": batch["batch_key"],
            "consumption": [
                {"silo": c["silo"], "quantity": c["quantity"]}
                for c in batch["components"]
            ],
            "finished_quantity": None,
            "status": "failed",
            "message": "overdosed " * 500000,
        }
        kind, value = self.outcome("mrp.production", "plc_report_batch", [payload])
        if kind == "raised":
            self.assertIsInstance(value, UserError)
            self.assertLess(len(str(value)), 10000)
        else:
            self.assertLess(len(repr(value)), 10000, "the answer echoes the message")
        self.env.cr.execute(
            """SELECT coalesce(length(plc_message), 0) + coalesce(length(plc_reason), 0)
                      + coalesce(length(plc_report_result), 0)
                 FROM mrp_production WHERE id = %s""",
            [self.mo_a.id],
        )
        stored = self.env.cr.fetchone()[0]
        self.assertLess(stored, 1000000, "a 5 MB message stored as %d chars" % stored)

    def test_a_long_line_code_is_not_echoed_in_full(self):
        code = "L" * 100000
        calls = {
            "plc_ping": [code],
            "plc_fetch_batches": [code, 5],
            "plc_report_failure": [self.failure_payload(code, "K")],
            "plc_report_manual_weighing": [self.weighing_payload(code, "", "K")],
            "plc_report_batch": [dict(self.payload_b, line=code)],
        }
        failures = []
        for method, args in sorted(calls.items()):
            kind, value = self.outcome("mrp.production", method, args)
            text = str(value) if kind == "raised" else repr(value)
            if len(text) > 1000:
                failures.append("%s: %s %d chars" % (method, kind, len(text)))
        if failures:
            self.fail("a 100000-character line code echoed: " + "; ".join(failures))


@tagged("post_install", "-at_install")
class TestDoorTableIsComplete(SavepointCase):
    """The row check itself: a public method added to the addon has no row."""

    def test_a_new_public_method_without_a_row_is_named(self):
        production = type(self.env["mrp.production"])
        klass = next(
            k
            for k in production.__mro__
            if k.__module__.startswith("odoo.addons." + ADDON_PREFIX)
        )
        self.assertNotIn("mrp.production.plc_new_entry", rows_missing(self.env))
        klass.plc_new_entry = lambda self, payload: None
        try:
            self.assertIn("mrp.production.plc_new_entry", rows_missing(self.env))
        finally:
            del klass.plc_new_entry
        self.assertNotIn("mrp.production.plc_new_entry", rows_missing(self.env))
