# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import datetime

from odoo import fields
from odoo.tests import tagged

from .common import PlcBridgeCase, create_mo


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


@tagged("post_install", "-at_install")
class TestOee(PlcBridgeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Round the clock, so that an availability loss counts its wall-clock time
        # (Odoo counts it in the work center's working hours).
        calendar = cls.env["resource.calendar"].create(
            {
                "name": "Feed mill, round the clock",
                "tz": "UTC",
                "attendance_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Day %d" % day,
                            "dayofweek": str(day),
                            "hour_from": 0.0,
                            "hour_to": 24.0,
                        },
                    )
                    for day in range(7)
                ],
            }
        )
        cls.workcenter = cls.env["mrp.workcenter"].create(
            {"name": "Line T1", "resource_calendar_id": calendar.id}
        )
        cls.line.workcenter_id = cls.workcenter
        cls.now = fields.Datetime.now().replace(microsecond=0)

    def run_batch(self, start, minutes, status="done"):
        production = create_mo(self.env, self.bom, 100.0)
        batch = self.send(production)
        payload = self.payload(
            batch,
            status=status,
            started_at=iso(start),
            finished_at=iso(start + datetime.timedelta(minutes=minutes)),
        )
        result = self.report(payload)
        self.assertEqual(result["status"], status, result)
        return production, payload

    def report_failure(self, moment):
        """An equipment failure at ``moment``, reported as the agent reports it."""
        result = self.Production.plc_report_failure(
            {
                "line": self.line.code,
                "failure_key": "T1/silo101/START_FAILURE/"
                + moment.strftime("%Y%m%dT%H%M%SZ"),
                "equipment": "silo101",
                "info": "START_FAILURE",
                "occurred_at": iso(moment),
            }
        )
        self.assertEqual(result["status"], "stored", result)
        return self.time_log("mrp_plc_bridge.loss_plc_equipment_failure").filtered(
            lambda entry: entry.date_start == moment
        )

    def time_log(self, loss_xmlid):
        return self.env["mrp.workcenter.productivity"].search(
            [
                ("workcenter_id", "=", self.workcenter.id),
                ("loss_id", "=", self.env.ref(loss_xmlid).id),
            ],
            order="date_start",
        )

    def test_each_batch_is_productive_time_from_the_plcs_start_to_finish(self):
        start = self.now - datetime.timedelta(hours=3)
        production, payload = self.run_batch(start, 12.5)
        entries = self.time_log("mrp_plc_bridge.loss_plc_batch")
        self.assertEqual(len(entries), 1)
        self.assertEqual(entries.loss_type, "productive")
        self.assertEqual(entries.date_start, start)
        self.assertEqual(entries.date_end, start + datetime.timedelta(minutes=12.5))
        self.assertAlmostEqual(entries.duration, 12.5)
        self.assertIn(production.name, entries.description)
        # The same report again logs nothing more.
        self.assertTrue(self.report(payload)["duplicate"])
        self.assertEqual(len(self.time_log("mrp_plc_bridge.loss_plc_batch")), 1)
        self.workcenter.invalidate_cache()
        self.assertEqual(self.workcenter.oee, 100.0)

    def test_a_failed_batch_is_not_productive(self):
        self.run_batch(self.now - datetime.timedelta(hours=2), 5, status="failed")
        self.assertFalse(self.time_log("mrp_plc_bridge.loss_plc_batch"))

    def test_oee_is_what_the_plc_times_give(self):
        # Odoo keeps the work center's times in hours with two decimals, and computes its
        # OEE from those: times in quarter hours keep the figures exact.
        first = self.now - datetime.timedelta(hours=3)
        self.run_batch(first, 15)
        failed_at = first + datetime.timedelta(minutes=20)
        loss = self.report_failure(failed_at)
        self.assertEqual(len(loss), 1)
        self.assertEqual(loss.loss_type, "availability")
        self.assertFalse(loss.date_end, "open while the failure lasts")
        self.workcenter.invalidate_cache()
        self.assertEqual(self.workcenter.working_state, "blocked")
        second = failed_at + datetime.timedelta(minutes=30)
        self.run_batch(second, 45)
        self.assertEqual(loss.date_end, second, "the next batch's start ends it")
        self.assertAlmostEqual(loss.duration, 30.0)
        self.workcenter.invalidate_cache()
        productive, blocked = 60.0, 30.0
        self.assertAlmostEqual(self.workcenter.productive_time, productive / 60.0, 2)
        self.assertAlmostEqual(self.workcenter.blocked_time, blocked / 60.0, 2)
        self.assertEqual(
            self.workcenter.oee, round(productive * 100.0 / (productive + blocked), 2)
        )
        self.assertEqual(self.workcenter.oee, 66.67)
        self.assertEqual(self.line.plc_oee, 66.67)

    def test_a_failure_reported_after_the_next_batch_is_closed_by_it(self):
        failed_at = self.now - datetime.timedelta(hours=2)
        restart = failed_at + datetime.timedelta(minutes=12)
        self.run_batch(restart, 5)
        loss = self.report_failure(failed_at)
        self.assertEqual(loss.date_end, restart)
        self.workcenter.invalidate_cache()
        self.assertEqual(self.workcenter.working_state, "normal")

    def test_a_line_without_work_center_logs_nothing(self):
        self.line.workcenter_id = False
        self.run_batch(self.now - datetime.timedelta(hours=1), 5)
        self.assertFalse(
            self.env["mrp.workcenter.productivity"].search(
                [("loss_id", "=", self.env.ref("mrp_plc_bridge.loss_plc_batch").id)]
            )
        )
