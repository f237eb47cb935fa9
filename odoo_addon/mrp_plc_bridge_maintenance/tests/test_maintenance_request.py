# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from odoo.addons.mrp_plc_bridge.tests.common import PlcBridgeCase


@tagged("post_install", "-at_install")
class TestMaintenanceRequest(PlcBridgeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.technician = cls.env["res.users"].create(
            {"name": "Technician", "login": "technician_t1", "email": "t@example.com"}
        )
        cls.pump = cls.env["maintenance.equipment"].create(
            {"name": "Motor_Pump_01", "technician_user_id": cls.technician.id}
        )
        # "_" matches any character in a LIKE pattern: this one must not be taken.
        cls.env["maintenance.equipment"].create({"name": "motorXpump_01"})

    def report_failure(self, equipment, key):
        result = self.Production.plc_report_failure(
            {
                "line": self.line.code,
                "failure_key": key,
                "equipment": equipment,
                "info": "MOTOR_FAILURE",
                "occurred_at": "2026-11-28T06:01:02+00:00",
            }
        )
        return self.env["mrp.plc.failure"].browse(result["failure_id"])

    def test_a_failure_opens_a_request_on_the_equipment_of_that_name(self):
        failure = self.report_failure("motor_pump_01", "k1")
        request = failure.maintenance_request_id
        self.assertEqual(request.equipment_id, self.pump)
        self.assertEqual(request.name, "motor_pump_01: MOTOR_FAILURE")
        self.assertEqual(request.user_id, self.technician)
        self.assertEqual(str(request.request_date), "2026-11-28")
        self.assertEqual(request.maintenance_type, "corrective")
        # Reported again: no second request.
        self.report_failure("motor_pump_01", "k1")
        self.assertEqual(
            self.env["maintenance.request"].search_count(
                [("equipment_id", "=", self.pump.id)]
            ),
            1,
        )

    def test_no_equipment_of_that_name_no_request(self):
        failure = self.report_failure("silo101", "k2")
        self.assertTrue(failure)
        self.assertFalse(failure.maintenance_request_id)
