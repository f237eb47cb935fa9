# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What the line's screens show: the menus, the dashboard card's figures, the Agent access
wizard's first page, a failure's equipment and the zone of times written as text."""
import datetime

import pytz

from odoo import fields
from odoo.tests import tagged

from ..models.mrp_plc_line_health import LineHealth
from .common import PlcBridgeCase, create_mo

STATUS = {
    "agent_version": "0.2.0",
    "queue": {"queued": 0, "running": 0, "held": 0},
    "plc": {"up": True, "last_error": None},
    "stuck": 0,
    "running_mo": None,
}
ADDONS = ("mrp_plc_bridge", "mrp_plc_bridge_maintenance")


@tagged("post_install", "-at_install")
class TestLineScreens(PlcBridgeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A zone far from UTC, and not a whole hour off it: an hour bucket or a time
        # text that forgot the zone is wrong here.
        cls.env.user.tz = "Asia/Kolkata"
        cls.responsible = cls.env["res.users"].create(
            {
                "name": "Line lead",
                "login": "line_lead_screens",
                "email": "lead.screens@example.com",
                "tz": "America/New_York",
            }
        )
        cls.line.responsible_id = cls.responsible

    def ping(self, status):
        return self.Production.plc_ping(self.line.code, status)

    # ------------------------------------------------------------------
    # Menus
    # ------------------------------------------------------------------

    def test_each_menu_of_the_addons_has_a_name_no_other_manufacturing_menu_has(self):
        menu_ids = (
            self.env["ir.model.data"]
            .search([("module", "in", ADDONS), ("model", "=", "ir.ui.menu")])
            .mapped("res_id")
        )
        ours = self.env["ir.ui.menu"].browse(menu_ids)
        self.assertGreaterEqual(len(ours), 7)
        root = self.env.ref("mrp.menu_mrp_root")
        app = self.env["ir.ui.menu"].search([("id", "child_of", root.id)])
        for menu in ours:
            with self.subTest(menu=menu.complete_name):
                self.assertIn(menu, app)
                namesakes = app.filtered(lambda m: m.name == menu.name)
                self.assertEqual(namesakes, menu, "two menus are called %s" % menu.name)
        self.assertEqual(
            self.env.ref("mrp_plc_bridge.menu_mrp_plc_dashboard").name,
            "PLC Line Dashboard",
        )
        self.assertEqual(self.env.ref("mrp_plc_bridge.menu_mrp_plc_line").name, "PLC Lines")

    # ------------------------------------------------------------------
    # The dashboard card
    # ------------------------------------------------------------------

    def test_card_shows_the_plc_link_as_the_agent_said_unknown_once_silent(self):
        self.assertEqual(self.line.plc_link_now, "unknown", "never seen: unknown")
        self.ping(STATUS)
        self.assertEqual(self.line.plc_link_now, "up")
        self.ping(dict(STATUS, plc={"up": False, "last_error": "timed out"}))
        self.line.invalidate_cache()
        self.assertEqual(self.line.plc_link_now, "down")
        self.assertEqual(self.line.plc_light, "amber")
        self.ping(dict(STATUS, plc=None))
        self.line.invalidate_cache()
        self.assertEqual(self.line.plc_link_now, "unknown", "the agent did not say")
        self.ping(STATUS)
        self.line.plc_seen_at = fields.Datetime.now() - datetime.timedelta(hours=1)
        self.line.invalidate_cache()
        self.assertEqual(self.line.plc_light, "red")
        self.assertEqual(
            self.line.plc_link_now, "unknown", "a silent agent's last word is no news"
        )

    def test_card_reasons_read_as_label_and_count(self):
        self.ping(dict(STATUS, queue={"held": 1}, stuck=2))
        self.assertEqual(self.line.plc_light_reason, "Batches held: 1; Batches stuck: 2")

    def _done_at(self, moment):
        production = create_mo(self.env, self.bom, 100.0)
        production.write({"plc_state": "done", "plc_reported_at": moment})
        return production

    def test_card_chart_counts_the_batches_of_each_hour_of_the_users_today(self):
        tz = pytz.timezone("Asia/Kolkata")
        now = fields.Datetime.now()
        local_now = pytz.utc.localize(now).astimezone(tz)
        local_midnight = tz.localize(
            datetime.datetime.combine(local_now.date(), datetime.time.min)
        )
        midnight = local_midnight.astimezone(pytz.utc).replace(tzinfo=None)
        self._done_at(midnight)
        self._done_at(now)
        self._done_at(midnight - datetime.timedelta(minutes=1))  # yesterday
        self.line.invalidate_cache()

        counts, hour_now = LineHealth(self.line).batches_per_hour_today()
        self.assertEqual(hour_now, local_now.hour)
        expected = [0] * 24
        expected[0] += 1
        expected[local_now.hour] += 1
        self.assertEqual(counts[self.line.id], expected, "the hours are the user's")
        self.assertEqual(sum(expected), self.line.plc_mo_done_today_count)

        # What the card draws: the hours gone by with their numbers, those to come empty.
        shown = self.line.plc_batches_today.split(",")
        self.assertEqual(len(shown), 24)
        gone_by = local_now.hour + 1
        self.assertEqual(shown[:gone_by], [str(c) for c in expected[:gone_by]])
        self.assertEqual(shown[gone_by:], [""] * (24 - gone_by))
        self.assertEqual(self.line.plc_batches_today_max, max(expected))

    # ------------------------------------------------------------------
    # The Agent access wizard
    # ------------------------------------------------------------------

    def test_agent_access_first_page_names_the_user_the_agent_logs_in_as(self):
        action = self.line.action_open_plc_agent_access()
        Wizard = self.env["mrp.plc.agent.access"].with_context(**action["context"])
        view = Wizard.fields_view_get(view_type="form")
        self.assertIn('name="agent_login"', view["arch"])
        # What the web client asks for when it opens the wizard.
        shown = Wizard.onchange({}, [], Wizard._onchange_spec(view))["value"]
        self.assertEqual(shown["agent_login"], "plc-agent-t1")
        self.assertEqual(shown["line_id"][0], self.line.id)

        user, _key = self.line._plc_agent_grant_access()
        shown = Wizard.onchange({}, [], Wizard._onchange_spec(view))["value"]
        self.assertEqual(shown["agent_login"], user.login)
        self.assertEqual(shown["agent_user_id"][0], user.id)

    # ------------------------------------------------------------------
    # Failures
    # ------------------------------------------------------------------

    def failure(self, equipment, at="2026-11-28T06:01:02+00:00"):
        result = self.Production.plc_report_failure(
            {
                "line": self.line.code,
                "failure_key": "T1/%s/START_FAILURE/%s" % (equipment, at),
                "equipment": equipment,
                "info": "START_FAILURE",
                "occurred_at": at,
            }
        )
        return self.env["mrp.plc.failure"].browse(result["failure_id"])

    def test_failure_shows_the_silo_or_tanks_name_with_the_plcs_code(self):
        self.silos["114"].name = "Molasses tank"
        self.assertEqual(self.failure("silo101").equipment_name, "Silo 101 (silo101)")
        self.assertEqual(
            self.failure("TANK_114").equipment_name, "Molasses tank (TANK_114)"
        )
        self.assertEqual(self.failure("motor_pump_01").equipment_name, "motor_pump_01")
        self.assertEqual(
            self.failure("silo999").equipment_name, "silo999", "no silo of that number"
        )

    def test_failure_note_gives_the_time_in_the_responsibles_zone_and_names_it(self):
        failure = self.failure("silo101", at="2026-11-28T06:01:02+00:00")
        note = failure.activity_ids.note
        self.assertEqual(failure.activity_ids.user_id, self.responsible)
        # 06:01:02 UTC is 01:01:02 in New York in November (EST).
        self.assertIn("Silo 101 (silo101) reported START_FAILURE", note)
        self.assertIn("2026-11-28 01:01:02 EST", note)
        # The failure lists give the reader's time, the zone named (the test user
        # is in Kolkata, five and a half hours ahead of UTC).
        self.assertEqual(failure.occurred_at_zoned, "2026-11-28 11:31:02 IST")

    def test_silence_and_return_messages_name_their_zone(self):
        self.line.plc_silence_alert_minutes = 5
        self.ping(STATUS)
        seen = datetime.datetime(2026, 7, 1, 12, 0, 0)
        self.line.plc_seen_at = seen
        self.env["mrp.plc.line"]._cron_plc_watch_agents()
        note = self.line.activity_ids.note
        self.assertIn("since 2026-07-01 08:00:00 EDT", note)
        self.ping(STATUS)
        self.line.invalidate_cache()
        body = self.line.message_ids[0].body
        self.assertIn("pinged again at", body)
        self.assertRegex(body, r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d E[SD]T")
