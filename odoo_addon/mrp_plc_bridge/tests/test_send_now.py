# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""New work goes at once: the ping tells the agent how many MOs wait, the agent tells when
it fetches next, and a planner can send an MO first."""
import datetime

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import PlcBridgeCase, create_mo


@tagged("post_install", "-at_install")
class TestReadyCountInPing(PlcBridgeCase):
    def ping(self, status=None):
        return self.Production.plc_ping(self.line.code, status)

    def test_the_ping_counts_what_a_fetch_would_claim(self):
        self.assertEqual(self.ping()["ready_mo_count"], 0)
        first = create_mo(self.env, self.bom)
        create_mo(self.env, self.bom)
        held = create_mo(self.env, self.bom)
        held.plc_hold = True
        create_mo(self.env, self.bom, confirm=False)
        self.assertEqual(self.ping()["ready_mo_count"], 2)
        batches = self.fetch()["batches"]
        self.assertEqual(len(batches), 2)
        self.assertIn(first.id, [batch["mo_id"] for batch in batches])
        self.assertEqual(self.ping()["ready_mo_count"], 0)

    def test_blocked_mos_are_not_counted(self):
        production = create_mo(self.env, self.bom)
        production.write({"plc_state": "blocked", "plc_reason": "Silo 101 is empty."})
        self.assertEqual(self.ping()["ready_mo_count"], 0)

    def test_an_archived_line_counts_nothing(self):
        create_mo(self.env, self.bom)
        self.line.active = False
        answer = self.ping()
        self.assertFalse(answer["line_active"])
        self.assertEqual(answer["ready_mo_count"], 0)

    def test_the_agents_next_fetch_is_stored_on_the_line(self):
        before = fields.Datetime.now()
        self.ping({"next_fetch": {"in_seconds": 30, "reason": "at the next ping"}})
        self.assertEqual(self.line.plc_next_fetch_reason, "at the next ping")
        self.assertGreaterEqual(
            self.line.plc_next_fetch_at, before + datetime.timedelta(seconds=30)
        )
        self.assertLessEqual(
            self.line.plc_next_fetch_at,
            fields.Datetime.now() + datetime.timedelta(seconds=30),
        )
        self.ping({"next_fetch": {"in_seconds": None, "reason": "when 3 batches are done"}})
        self.assertFalse(self.line.plc_next_fetch_at)
        self.assertEqual(self.line.plc_next_fetch_reason, "when 3 batches are done")
        # An older agent says nothing: nothing stale stays on the line.
        self.ping({"agent_version": "0.2.0"})
        self.assertFalse(self.line.plc_next_fetch_reason)

    def test_a_bad_next_fetch_is_refused_naming_the_field_and_nothing_is_written(self):
        with self.assertRaisesRegex(UserError, r"status\.next_fetch\.in_seconds"):
            self.ping({"next_fetch": {"in_seconds": -5}})
        self.assertFalse(self.line.plc_seen_at)


@tagged("post_install", "-at_install")
class TestSendNow(PlcBridgeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.planner = (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Planner",
                    "login": "plc_planner_send_now",
                    "tz": "Europe/Brussels",
                    "groups_id": [(6, 0, [cls.env.ref("mrp.group_mrp_user").id])],
                }
            )
        )

    def press(self, production):
        return production.with_user(self.planner).action_plc_send_now()

    def agent_pinged(self, seconds_ago=0, **next_fetch):
        status = {"next_fetch": next_fetch} if next_fetch else None
        self.Production.plc_ping(self.line.code, status)
        self.line.plc_seen_at = fields.Datetime.now() - datetime.timedelta(
            seconds=seconds_ago
        )

    def test_the_mo_sent_now_is_fetched_first(self):
        urgent = create_mo(self.env, self.bom, priority="1")
        early = create_mo(
            self.env, self.bom, date=fields.Datetime.now() - datetime.timedelta(days=2)
        )
        late = create_mo(self.env, self.bom)
        self.agent_pinged(in_seconds=30, reason="at the next ping")
        self.press(late)
        self.assertTrue(late.plc_send_now_at)
        batches = self.fetch(limit=1)["batches"]
        self.assertEqual([batch["mo_id"] for batch in batches], [late.id])
        self.assertFalse(late.plc_send_now_at)
        # Then the usual order: priority, then date (the one sent is delivered again first,
        # as long as it is not reported).
        self.assertEqual(
            [batch["mo_id"] for batch in self.fetch(limit=3)["batches"]],
            [late.id, urgent.id, early.id],
        )

    def test_it_says_the_next_ping_when_the_agent_waits_for_work(self):
        production = create_mo(self.env, self.bom)
        self.agent_pinged(in_seconds=30, reason="at the next ping (every 30 s)")
        action = self.press(production)
        self.assertEqual(action["tag"], "display_notification")
        params = action["params"]
        self.assertEqual(params["type"], "success")
        self.assertIn("goes first on line T1", params["title"])
        self.assertIn("at the next ping (every 30 s)", params["message"])
        # In the planner's zone, named.
        self.assertRegex(params["message"], r"at about \d{4}-\d\d-\d\d \d\d:\d\d:\d\d CE")

    def test_it_says_after_the_batches_the_line_holds(self):
        production = create_mo(self.env, self.bom)
        self.agent_pinged(in_seconds=None, reason="when the 4 batches in its queue are done")
        message = self.press(production)["params"]["message"]
        self.assertIn("fetches next when the 4 batches in its queue are done", message)

    def test_earlier_presses_go_before(self):
        first = create_mo(self.env, self.bom)
        second = create_mo(self.env, self.bom)
        self.agent_pinged(in_seconds=30, reason="at the next ping")
        self.press(first)
        second.invalidate_cache()
        message = self.press(second)["params"]["message"]
        self.assertIn("1 other orders were sent now before it", message)

    def test_a_silent_agent_is_named_with_what_to_check(self):
        production = create_mo(self.env, self.bom)
        self.agent_pinged(seconds_ago=3600, in_seconds=30, reason="at the next ping")
        params = self.press(production)["params"]
        self.assertEqual(params["type"], "warning")
        self.assertTrue(params["sticky"])
        self.assertIn("silent", params["message"])
        self.assertIn("plc-agent health", params["message"])
        # Still first when the agent is back.
        self.assertTrue(production.plc_send_now_at)

    def test_an_agent_that_never_pinged_is_named(self):
        production = create_mo(self.env, self.bom)
        params = self.press(production)["params"]
        self.assertIn("never pinged", params["message"])
        self.assertIn("PLC_LINE_CODE=T1", params["message"])

    def test_a_percent_in_the_agents_words_survives_the_notifications_sprintf(self):
        production = create_mo(self.env, self.bom)
        self.agent_pinged(in_seconds=30, reason="soon, 100% sure")
        params = self.press(production)["params"]
        self.assertIn("soon, 100%% sure", params["message"])

    def test_refusals_name_the_fix(self):
        no_line = create_mo(self.env, self.bom)
        no_line.plc_line_id = False
        with self.assertRaisesRegex(UserError, "has no PLC line: set the PLC Line"):
            self.press(no_line)
        draft = create_mo(self.env, self.bom, confirm=False)
        with self.assertRaisesRegex(UserError, "Confirm it first"):
            self.press(draft)
        held = create_mo(self.env, self.bom)
        held.plc_hold = True
        with self.assertRaisesRegex(UserError, "untick PLC Hold"):
            self.press(held)
        sent = create_mo(self.env, self.bom)
        self.send(sent)
        with self.assertRaisesRegex(UserError, "already sent to line T1 at .* CE"):
            self.press(sent)
        self.assertFalse(sent.plc_send_now_at)

    def test_a_blocked_mo_is_refused_with_its_reason_or_freed(self):
        production = create_mo(self.env, self.bom)
        self.silos["102"].product_id = False
        with self.assertRaisesRegex(
            UserError, "cannot run on line T1: .*Soybean meal T1.*Fix that and press"
        ):
            self.press(production)
        self.assertFalse(production.plc_send_now_at)
        self.silos["102"].product_id = self.products["soy"]
        production.write({"plc_state": "blocked", "plc_reason": "was missing soy"})
        self.agent_pinged(in_seconds=30, reason="at the next ping")
        self.press(production)
        self.assertEqual(production.plc_state, "ready")
        self.assertFalse(production.plc_reason)

    def test_only_manufacturing_users_may_press(self):
        production = create_mo(self.env, self.bom)
        with self.assertRaises(AccessError):
            production.with_user(self.agent).action_plc_send_now()
        self.assertFalse(production.plc_send_now_at)
