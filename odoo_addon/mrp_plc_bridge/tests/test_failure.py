# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import PlcBridgeCase, create_mo


@tagged("post_install", "-at_install")
class TestFailure(PlcBridgeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.responsible = cls.env["res.users"].create(
            {"name": "Line lead", "login": "line_lead_t1", "email": "lead@example.com"}
        )
        cls.line.responsible_id = cls.responsible

    def failure(self, at="2026-11-28T06:01:02+00:00", **values):
        payload = {
            "line": self.line.code,
            "failure_key": "T1/silo101/START_FAILURE/"
            + at[:19].replace("-", "").replace(":", "")
            + "Z",
            "equipment": "silo101",
            "info": "START_FAILURE",
            "occurred_at": at,
        }
        payload.update(values)
        return self.Production.plc_report_failure(payload)

    def test_stored_once_with_an_activity_for_the_line_responsible(self):
        result = self.failure()
        self.assertEqual(result["status"], "stored")
        self.assertFalse(result["duplicate"])
        self.assertIsNone(result["reason"])
        self.assertEqual(result["api_version"], 1)
        failure = self.env["mrp.plc.failure"].browse(result["failure_id"])
        self.assertEqual(
            (failure.line_id, failure.equipment, failure.info, failure.state),
            (self.line, "silo101", "START_FAILURE", "new"),
        )
        self.assertEqual(str(failure.occurred_at), "2026-11-28 06:01:02")
        self.assertEqual(failure.name, "silo101: START_FAILURE")
        self.assertEqual(failure.activity_ids.user_id, self.responsible)
        self.assertIn(failure, self.line.failure_ids)
        self.assertEqual(self.line.failure_open_count, 1)

        again = self.failure()
        self.assertEqual(again, dict(result, duplicate=True))
        self.assertEqual(
            self.env["mrp.plc.failure"].search_count([("line_id", "=", self.line.id)]), 1
        )
        self.assertEqual(len(failure.activity_ids), 1)

    def test_same_key_on_another_line_is_another_failure(self):
        other = self.env["mrp.plc.line"].create({"code": "T2", "name": "Line T2"})
        self.bind_agent(other)
        first = self.failure(failure_key="K")
        second = self.failure(line="T2", failure_key="K")
        self.assertNotEqual(first["failure_id"], second["failure_id"])
        self.assertEqual(
            self.env["mrp.plc.failure"].browse(second["failure_id"]).line_id, other
        )
        # No responsible on T2: the administrator is told.
        self.assertEqual(
            self.env["mrp.plc.failure"].browse(second["failure_id"]).activity_ids.user_id,
            self.env.ref("base.user_admin"),
        )

    def test_failure_during_a_batch_reaches_that_mo_when_its_report_comes(self):
        running = create_mo(self.env, self.bom, 1000.0)
        later = create_mo(self.env, self.bom, 500.0)
        batches = {b["mo_id"]: b for b in self.fetch()["batches"]}
        # While the batch runs, Odoo does not know it started: no MO yet.
        during = self.failure(at="2026-11-28T06:02:00+00:00")
        before = self.failure(at="2026-11-28T05:59:00Z", equipment="motor_pump_01",
                              failure_key="before")
        failure = self.env["mrp.plc.failure"].browse(during["failure_id"])
        self.assertFalse(failure.production_id)
        self.report(self.payload(batches[running.id]))
        self.assertEqual(failure.production_id, running)
        self.assertEqual(running.plc_failure_ids, failure)
        self.assertEqual(running.plc_failure_count, 1)
        self.assertFalse(self.env["mrp.plc.failure"].browse(before["failure_id"]).production_id)
        self.assertFalse(later.plc_failure_ids)
        # Reported after the batch's report (Odoo was down): found at once.
        late = self.failure(at="2026-11-28T06:03:00+00:00", failure_key="late")
        self.assertEqual(
            self.env["mrp.plc.failure"].browse(late["failure_id"]).production_id, running
        )
        # After the batch's end: not that MO's.
        after = self.failure(at="2026-11-28T06:05:00+00:00", failure_key="after")
        self.assertFalse(self.env["mrp.plc.failure"].browse(after["failure_id"]).production_id)

    def test_acknowledge_then_resolve(self):
        failure = self.env["mrp.plc.failure"].browse(self.failure()["failure_id"])
        failure.with_user(self.responsible).check_access_rights("write")
        failure.action_acknowledge()
        self.assertEqual(failure.state, "acknowledged")
        self.assertFalse(failure.activity_ids)
        with self.assertRaises(UserError):
            failure.action_acknowledge()
        failure.action_resolve()
        self.assertEqual(failure.state, "resolved")
        self.assertEqual(self.line.failure_open_count, 0)
        with self.assertRaises(UserError):
            failure.action_resolve()

    def test_bad_payloads_are_rejected_and_nothing_is_written(self):
        good = {
            "line": "T1",
            "failure_key": "T1/x",
            "equipment": "silo101",
            "info": "SENSOR_ERROR",
            "occurred_at": "2026-11-28T06:01:02+00:00",
        }
        cases = [
            ("not a dict", "payload: must be an object"),
            ({k: v for k, v in good.items() if k != "info"}, "missing field(s): info"),
            (dict(good, extra=1), "unknown field(s): extra"),
            (dict(good, line=""), "line: must be a non-empty string"),
            (dict(good, equipment=7), "equipment: must be a non-empty string"),
            (dict(good, info="A\x00B"), "info: must not contain NUL"),
            (dict(good, info="X" * 65), "info: at most 64 characters"),
            (dict(good, failure_key="   "), "failure_key: must be a non-empty string"),
            (dict(good, occurred_at="2026-13-01T00:00:00"), "occurred_at: not an ISO 8601"),
            (dict(good, occurred_at=None), "occurred_at: must be an ISO 8601 string"),
        ]
        for payload, reason in cases:
            with self.subTest(reason=reason):
                result = self.Production.plc_report_failure(payload)
                self.assertEqual(result["status"], "rejected")
                self.assertIsNone(result["failure_id"])
                self.assertTrue(result["reason"].startswith(reason), result["reason"])
        # A line no line has: the agent is refused it like any line not its own, an
        # administrator is told it is unknown.
        with self.assertRaises(AccessError):
            self.Production.plc_report_failure(dict(good, line="NOPE"))
        admin = self.env["mrp.production"].with_user(self.env.ref("base.user_admin"))
        result = admin.plc_report_failure(dict(good, line="NOPE"))
        self.assertEqual(result["status"], "rejected")
        self.assertEqual(result["reason"], "line: unknown PLC line 'NOPE'.")
        self.assertFalse(self.env["mrp.plc.failure"].search([]))

    def test_only_the_agent_group_may_report(self):
        user = self.env["res.users"].create({"name": "Someone", "login": "someone_t1"})
        with self.assertRaises(AccessError):
            self.env["mrp.production"].with_user(user).plc_report_failure({})
