# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import datetime

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import PlcBridgeCase, create_mo

STATUS = {
    "agent_version": "0.2.0",
    "queue": {"queued": 2, "written": 1, "running": 1, "finished": 0, "held": 0},
    "plc": {
        "up": True,
        "last_error": None,
        "last_good_read_at": "2026-11-28T06:01:02+00:00",
    },
    "stuck": 0,
    "running_mo": None,
    "unsent": {"batches": 1, "failures": 0, "weighings": 0},
    "a_key_from_a_newer_agent": {"anything": 1},
}


@tagged("post_install", "-at_install")
class TestLineHealth(PlcBridgeCase):
    def ping(self, status=None, line_code=None):
        if status is None:
            return self.Production.plc_ping(line_code or self.line.code)
        return self.Production.plc_ping(line_code or self.line.code, status)

    def age(self, seconds):
        """As if the agent's last ping was ``seconds`` ago."""
        self.line.plc_seen_at = fields.Datetime.now() - datetime.timedelta(
            seconds=seconds
        )

    def test_ping_without_status_still_answers_and_is_seen(self):
        answer = self.ping()
        self.assertEqual(answer["api_version"], 1)
        self.assertTrue(answer["line_exists"])
        self.assertTrue(self.line.plc_seen_at)
        # An agent that does not say how its PLC is cannot be green.
        self.assertEqual(self.line.plc_light, "amber")
        self.assertIn("not reported", self.line.plc_light_reason)

    def test_status_is_stored_with_the_time_seen_and_kept_in_history(self):
        production = create_mo(self.env, self.bom, 100.0)
        batch = self.send(production)
        status = dict(STATUS, running_mo=production.name)
        self.ping(status)
        line = self.line
        self.assertEqual(line.plc_agent_version, "0.2.0")
        self.assertEqual(line.plc_link, "up")
        self.assertEqual(
            line.plc_last_good_read_at, datetime.datetime(2026, 11, 28, 6, 1, 2)
        )
        self.assertEqual(line.plc_queue_queued, 2)
        self.assertEqual(line.plc_unsent_batches, 1)
        self.assertEqual(line.plc_running_production_id, production)
        self.assertEqual(line.plc_light, "green", line.plc_light_reason)
        self.assertEqual(line.plc_mo_sent_count, 1)
        self.assertEqual(len(line.plc_ping_ids), 1)
        self.assertEqual(line.plc_ping_ids.running_mo, production.name)
        # The batch closes: done today, no longer sent.
        self.report(self.payload(batch))
        line.invalidate_cache()
        self.assertEqual(line.plc_mo_done_today_count, 1)
        self.assertEqual(line.plc_mo_sent_count, 0)

    def test_plc_down_held_or_stuck_is_amber(self):
        self.ping(dict(STATUS, plc={"up": False, "last_error": "timed out"}))
        self.assertEqual(self.line.plc_light, "amber")
        self.assertIn("timed out", self.line.plc_light_reason)
        self.ping(dict(STATUS, stuck=2))
        self.assertEqual(self.line.plc_light, "amber")
        self.assertIn("Batches stuck: 2", self.line.plc_light_reason)
        self.ping(dict(STATUS, queue={"held": 1}))
        self.assertIn("Batches held: 1", self.line.plc_light_reason)
        self.ping(STATUS)
        self.assertEqual(self.line.plc_light, "green")

    def test_open_failure_is_amber_and_shown_as_last_failure(self):
        production = create_mo(self.env, self.bom, 100.0)
        batch = self.send(production)
        self.report(self.payload(batch, status="failed", message="Mixer jammed"))
        self.ping(STATUS)
        self.assertEqual(self.line.plc_light, "amber")
        self.assertIn("Open failures: 1", self.line.plc_light_reason)
        self.assertIn("Mixer jammed", self.line.plc_last_failure)

    def test_silent_after_three_health_intervals_is_red(self):
        self.line.plc_health_interval = 30
        self.ping(STATUS)
        self.age(89)
        self.assertEqual(self.line.plc_light, "green")
        self.line.invalidate_cache()
        self.age(91)
        self.assertEqual(self.line.plc_light, "red")

    def test_bad_types_are_refused_naming_the_key_and_nothing_is_written(self):
        cases = {
            "status.queue.held": dict(STATUS, queue={"held": "2"}),
            "status.plc.up": dict(STATUS, plc={"up": "yes"}),
            "status.stuck": dict(STATUS, stuck=-1),
            "status.agent_version": dict(STATUS, agent_version=2),
            "status.plc.last_good_read_at": dict(
                STATUS, plc={"last_good_read_at": "yesterday"}
            ),
            "status.unsent": dict(STATUS, unsent=[1]),
            "status:": ["not", "an", "object"],
        }
        for key, status in cases.items():
            with self.subTest(key=key), self.assertRaises(UserError) as caught:
                self.ping(status)
            self.assertIn(key, str(caught.exception))
        self.assertFalse(self.line.plc_seen_at)
        self.assertFalse(self.line.plc_ping_ids)

    def test_silence_raises_an_activity_for_the_responsible_and_return_clears_it(self):
        responsible = self.env.ref("base.user_demo", raise_if_not_found=False)
        responsible = responsible or self.env.ref("base.user_admin")
        self.line.write({"responsible_id": responsible.id, "plc_silence_alert_minutes": 5})
        Line = self.env["mrp.plc.line"]
        self.ping(STATUS)
        self.age(4 * 60)
        Line._cron_plc_watch_agents()
        self.assertFalse(self.line.activity_ids)
        self.age(6 * 60)
        Line._cron_plc_watch_agents()
        Line._cron_plc_watch_agents()
        activity = self.line.activity_ids
        self.assertEqual(len(activity), 1, "one activity, however often the cron runs")
        self.assertEqual(activity.user_id, responsible)
        self.assertEqual(
            activity.activity_type_id,
            self.env.ref("mrp_plc_bridge.mail_activity_type_plc_agent_silent"),
        )
        self.assertEqual(self.line.plc_light, "red")
        self.ping(STATUS)
        self.line.invalidate_cache()
        self.assertFalse(self.line.activity_ids)
        self.assertIn("pinged again", self.line.message_ids[0].body)
