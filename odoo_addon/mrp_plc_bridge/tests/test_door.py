# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The agent's one door: the caller's line before anything is read or written, and
every input bounded before it is echoed.

An agent bound to line T1 tries everything it can against line T2: failures and
weighings naming T2, a weighing on T1 naming T2's MO, a batch report of T2's MO. Then
input no PLC sends (values nested thousands deep, a message of megabytes, a line code of
100000 characters) must be answered, never break the server.
"""
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import PlcBridgeCase, add_stock, build_plant, create_mo, create_product

MISSING_MO_ID = 2147483000
LONG = "L" * 100000
# Longer than any answer or error needs to be; the inputs below are far longer.
ANSWER_LIMIT = 1000


def nested(depth=5000):
    """A list nested ``depth`` deep: repr() of it ends in a RecursionError."""
    value = []
    for _level in range(depth):
        value = [value]
    return value


@tagged("post_install", "-at_install")
class TestOneDoor(PlcBridgeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        plant = build_plant(cls.env, "T2")
        cls.other_line = plant["line"]
        cls.other_bom = plant["bom"]
        for name in ("maize", "soy", "molasses"):
            add_stock(cls.env, plant["products"][name], 100000.0)
        # With a work center a failure would also log an availability loss on it.
        cls.other_line.workcenter_id = cls.env["mrp.workcenter"].create(
            {"name": "Line T2 mixer"}
        )
        cls.other_line.responsible_id = cls.env.ref("base.user_admin")
        cls.premix = create_product(cls.env, "Premix T2", "RM-PREMIX-T2")
        add_stock(cls.env, cls.premix, 1000.0)
        cls.admin = cls.env["mrp.production"].with_user(cls.env.ref("base.user_admin"))

    def written(self):
        """Everything an agent's call could write, counted."""
        models = [
            "mrp.plc.failure",
            "mrp.plc.weighing",
            "mrp.plc.line.ping",
            "mrp.plc.consumption",
            "mail.activity",
            "mail.message",
            "mrp.workcenter.productivity",
            "stock.move",
            "stock.move.line",
        ]
        self.env["base"].flush()
        counts = {model: self.env[model].sudo().search_count([]) for model in models}
        productions = self.env["mrp.production"].search(
            [("plc_line_id", "in", (self.line | self.other_line).ids)]
        )
        counts["mos"] = sorted(
            (
                mo.id,
                mo.state,
                mo.plc_state,
                mo.plc_report_digest,
                mo.qty_producing,
                tuple(sorted(mo.move_raw_ids.mapped("quantity_done"))),
            )
            for mo in productions
        )
        counts["lines"] = [
            (line.plc_seen_at, line.plc_agent_version)
            for line in self.line | self.other_line
        ]
        return counts

    def failure_payload(self, line_code, key="K1"):
        return {
            "line": line_code,
            "failure_key": key,
            "equipment": "silo101",
            "info": "START_FAILURE",
            "occurred_at": "2026-11-28T06:01:02+00:00",
        }

    def weighing_payload(self, line_code, mo_name, key="W1"):
        return {
            "line": line_code,
            "weighing_key": key,
            "mo_name": mo_name,
            "batch_number": 3,
            "product_template_id": self.premix.product_tmpl_id.id,
            "quantity": 2.5,
            "weighed_at": "2026-11-28T06:01:02+00:00",
        }

    def assertRefusedForT2(self, caught):
        message = str(caught.exception)
        # The code the caller gave, and, to name the fix, the lines it is bound to.
        self.assertIn("'T2'", message)
        self.assertIn("bound to T1", message)
        self.assertIn("PLC_LINE_CODE", message)
        self.assertNotIn("Line T2", message)

    # ------------------------------------------------------------------
    # Another line
    # ------------------------------------------------------------------

    def test_a_failure_for_another_line_is_refused_and_writes_nothing(self):
        before = self.written()
        with self.assertRaises(AccessError) as caught:
            self.Production.plc_report_failure(self.failure_payload("T2"))
        self.assertRefusedForT2(caught)
        self.assertEqual(self.written(), before)
        self.assertFalse(self.other_line.failure_ids)
        # The same failure for its own line is stored.
        result = self.Production.plc_report_failure(self.failure_payload("T1"))
        self.assertEqual(result["status"], "stored")

    def test_a_weighing_for_another_line_is_refused_and_writes_nothing(self):
        other_mo = create_mo(self.env, self.other_bom, 1000.0)
        self.assertEqual(other_mo.state, "confirmed")
        before = self.written()
        with self.assertRaises(AccessError) as caught:
            self.Production.plc_report_manual_weighing(
                self.weighing_payload("T2", other_mo.name)
            )
        self.assertRefusedForT2(caught)
        self.assertEqual(self.written(), before)
        self.assertEqual(other_mo.state, "confirmed")
        self.assertFalse(other_mo.plc_weighing_ids)

    def test_ping_and_fetch_for_another_line_name_the_lines_it_is_bound_to(self):
        create_mo(self.env, self.other_bom, 1000.0)
        before = self.written()
        for method, args in (
            ("plc_ping", ("T2",)),
            ("plc_ping", ("T2", {"stuck": 0})),
            ("plc_fetch_batches", ("T2", 5)),
        ):
            with self.subTest(method=method, args=args):
                with self.assertRaises(AccessError) as caught:
                    getattr(self.Production, method)(*args)
                self.assertRefusedForT2(caught)
        self.assertEqual(self.written(), before)

    def test_a_typo_in_the_line_code_names_the_line_the_agent_is_bound_to(self):
        """PLC_LINE_CODE mistyped (a code no line has, or its line's code in another case):
        the refusal names the line the user is bound to and the setting to check, the
        message README's troubleshooting table quotes."""
        before = self.written()
        for typo in ("T11", "t1"):
            expected = (
                "User plc_agent_test may not act for PLC line '%s': this agent user is "
                "bound to T1. Check the agent's PLC_LINE_CODE, or bind the user on the "
                "line's Agent Users page." % typo
            )
            for method, args in (
                ("plc_ping", (typo,)),
                ("plc_fetch_batches", (typo, 5)),
                ("plc_report_failure", (self.failure_payload(typo),)),
            ):
                with self.subTest(typo=typo, method=method):
                    with self.assertRaises(AccessError) as caught:
                        getattr(self.Production, method)(*args)
                    self.assertEqual(str(caught.exception), expected)
        self.assertEqual(self.written(), before)
        # The right code works at once.
        self.assertTrue(self.Production.plc_ping("T1")["line_exists"])

    def test_an_agent_bound_to_no_line_is_told_so(self):
        self.line.plc_agent_user_ids = [(3, self.agent.id)]
        with self.assertRaises(AccessError) as caught:
            self.Production.plc_ping("T1")
        self.assertIn("this agent user is bound to no line.", str(caught.exception))
        self.assertIn("Agent Users page", str(caught.exception))

    def test_a_weighing_on_its_line_naming_another_lines_mo_is_kept_as_unknown(self):
        other_mo = create_mo(self.env, self.other_bom, 1000.0)
        moves = other_mo.move_raw_ids
        unknown = self.Production.plc_report_manual_weighing(
            self.weighing_payload("T1", "WH/MO/NOPE", key="W-unknown")
        )
        result = self.Production.plc_report_manual_weighing(
            self.weighing_payload("T1", other_mo.name, key="W-other")
        )
        self.assertEqual(result["status"], "kept", result)
        # Answered as for a reference no MO has: not a word of the other line.
        self.assertEqual(
            result["reason"], unknown["reason"].replace("WH/MO/NOPE", other_mo.name)
        )
        self.assertNotIn("T2", result["reason"])
        weighing = self.env["mrp.plc.weighing"].search([("weighing_key", "=", "W-other")])
        self.assertEqual(weighing.line_id, self.line)
        self.assertFalse(weighing.production_id)
        self.assertFalse(other_mo.plc_weighing_ids)
        self.assertEqual(other_mo.move_raw_ids, moves)
        self.assertEqual(other_mo.state, "confirmed")

    def test_a_batch_report_of_another_lines_mo_is_answered_like_a_missing_mo(self):
        other_mo = create_mo(self.env, self.other_bom, 1000.0)
        batch = self.admin.plc_fetch_batches("T2", 5)["batches"][0]
        self.assertEqual(batch["mo_id"], other_mo.id)
        payload = self.payload(batch, line="T1")
        missing = self.report(dict(payload, mo_id=MISSING_MO_ID))
        self.assertEqual(missing["status"], "rejected")
        self.assertIn(str(MISSING_MO_ID), missing["reason"])
        before = self.written()
        result = self.report(payload)
        self.assertEqual(
            result,
            dict(
                missing,
                reason=missing["reason"].replace(str(MISSING_MO_ID), str(other_mo.id)),
            ),
        )
        self.assertNotIn("T2", result["reason"])
        # Naming the MO's own line instead is refused for that line.
        with self.assertRaises(AccessError) as caught:
            self.report(self.payload(batch))
        self.assertRefusedForT2(caught)
        self.assertEqual(self.written(), before)
        other_mo.invalidate_cache()
        self.assertEqual(other_mo.plc_state, "sent")
        # The line's own agent, or an administrator, may report it.
        self.assertEqual(self.admin.plc_report_batch(self.payload(batch))["status"], "done")

    def test_an_agent_bound_to_both_lines_is_told_where_the_mo_runs(self):
        self.bind_agent(self.other_line)
        other_mo = create_mo(self.env, self.other_bom, 1000.0)
        batch = self.fetch("T2")["batches"][0]
        result = self.report(self.payload(batch, line="T1"))
        self.assertEqual(result["status"], "rejected")
        self.assertIn("%s belongs to line T2, not to T1" % other_mo.name, result["reason"])

    # ------------------------------------------------------------------
    # Bounded input
    # ------------------------------------------------------------------

    def assertBounded(self, text):
        self.assertLess(len(text), ANSWER_LIMIT, text[:2000])
        self.assertNotIn("L" * 100, text)

    def test_deeply_nested_values_are_rejected_naming_the_field(self):
        production = create_mo(self.env, self.bom, 1000.0)
        batch = self.send(production)
        good_report = self.payload(batch)
        before = self.written()
        cases = [
            ("plc_report_failure", dict(self.failure_payload("T1"), **{name: nested()}), name)
            for name in ("line", "failure_key", "equipment", "info", "occurred_at")
        ] + [
            (
                "plc_report_manual_weighing",
                dict(self.weighing_payload("T1", production.name), **{name: nested()}),
                name,
            )
            for name in (
                "line",
                "weighing_key",
                "mo_name",
                "batch_number",
                "product_template_id",
                "quantity",
                "weighed_at",
            )
        ] + [
            ("plc_report_batch", dict(good_report, **{name: nested()}), field)
            for name, field in (
                ("mo_id", "mo_id"),
                ("line", "line"),
                ("batch_key", "batch_key"),
                ("status", "status"),
                # A list: its first item is not an object.
                ("consumption", "consumption[0]"),
                ("finished_quantity", "finished_quantity"),
                ("started_at", "started_at"),
                ("message", "message"),
                ("suspect", "suspect[0]"),
            )
        ] + [
            (
                "plc_report_batch",
                dict(good_report, consumption=[{"silo": nested(), "quantity": 1.0}]),
                "consumption[0].silo",
            ),
            (
                "plc_report_batch",
                dict(good_report, consumption=[{"silo": "101", "quantity": nested()}]),
                "consumption[0].quantity",
            ),
            (
                "plc_report_batch",
                dict(
                    good_report,
                    suspect=[{"silo": None, "raw_words": nested(), "reason": "x"}],
                ),
                "suspect[0].raw_words",
            ),
            (
                "plc_report_batch",
                dict(
                    good_report,
                    suspect=[{"silo": None, "raw_words": [1], "reason": nested()}],
                ),
                "suspect[0].reason",
            ),
        ]
        for method, payload, field in cases:
            with self.subTest(method=method, field=field):
                result = getattr(self.Production, method)(payload)
                self.assertEqual(result["status"], "rejected", result)
                self.assertTrue(result["reason"].startswith(field + ":"), result["reason"])
                self.assertBounded(result["reason"])
        # ping and fetch raise a UserError naming the argument.
        for method, args, field in (
            ("plc_ping", (nested(),), "line_code"),
            ("plc_ping", ("T1", {"stuck": nested()}), "status.stuck"),
            ("plc_ping", ("T1", {"queue": {"held": nested()}}), "status.queue.held"),
            ("plc_ping", ("T1", {"plc": {"up": nested()}}), "status.plc.up"),
            ("plc_fetch_batches", (nested(), 5), "line_code"),
            ("plc_fetch_batches", ("T1", nested()), "limit"),
        ):
            with self.subTest(method=method, field=field):
                with self.assertRaises(UserError) as caught:
                    getattr(self.Production, method)(*args)
                self.assertIn(field, str(caught.exception))
                self.assertBounded(str(caught.exception))
        self.assertEqual(self.written(), before)

    def test_a_report_message_has_a_size_limit(self):
        production = create_mo(self.env, self.bom, 1000.0)
        batch = self.send(production)
        before = self.written()
        result = self.report(self.payload(batch, message="x" * 5000000))
        self.assertEqual(result["status"], "rejected")
        self.assertEqual(
            result["reason"], "message: at most 2000 characters, got 5000000."
        )
        self.assertEqual(self.written(), before)
        result = self.report(self.payload(batch, status="failed", message="y" * 2000))
        self.assertEqual(result["status"], "failed")
        self.assertEqual(production.plc_message, "y" * 2000)

    def test_long_line_codes_are_cut_in_every_answer_and_error(self):
        production = create_mo(self.env, self.bom, 1000.0)
        batch = self.send(production)
        before = self.written()
        for api in (self.Production, self.admin):
            for method, args in (
                ("plc_ping", (LONG,)),
                ("plc_fetch_batches", (LONG, 5)),
            ):
                with self.subTest(user=api.env.user.login, method=method):
                    with self.assertRaises(UserError) as caught:
                        getattr(api, method)(*args)
                    self.assertIn("line_code", str(caught.exception))
                    self.assertBounded(str(caught.exception))
            for method, payload, field in (
                ("plc_report_failure", self.failure_payload(LONG), "line"),
                (
                    "plc_report_manual_weighing",
                    self.weighing_payload(LONG, production.name),
                    "line",
                ),
                ("plc_report_batch", self.payload(batch, line=LONG), "line"),
                ("plc_report_batch", self.payload(batch, batch_key=LONG), "batch_key"),
                (
                    "plc_report_batch",
                    self.payload(batch, consumption=[{"silo": LONG, "quantity": 1.0}]),
                    "consumption[0].silo",
                ),
                ("plc_report_batch", dict(self.payload(batch), **{LONG: 1}), "unknown"),
                (
                    "plc_report_failure",
                    dict(self.failure_payload("T1"), **{LONG: 1}),
                    "unknown",
                ),
            ):
                with self.subTest(user=api.env.user.login, method=method, field=field):
                    result = getattr(api, method)(payload)
                    self.assertEqual(result["status"], "rejected", result)
                    self.assertTrue(result["reason"].startswith(field), result["reason"])
                    self.assertBounded(result["reason"])
        self.assertEqual(self.written(), before)
        # A line's code is what its agent sends: no longer than an agent may send it.
        with self.assertRaises(ValidationError):
            self.env["mrp.plc.line"].create({"code": "C" * 65, "name": "Too long"})
