# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The maintenance request a failure opens shows the PLC's text as text."""
from odoo.tests import tagged

from odoo.addons.mail.tests.common import MockEmail
from odoo.addons.mrp_plc_bridge.tests.common import PlcBridgeCase
from odoo.addons.mrp_plc_bridge.tests.test_plant_text import IMAGE, plant_elements


@tagged("post_install", "-at_install")
class TestMaintenancePlantText(PlcBridgeCase, MockEmail):
    def test_markup_in_a_failure_is_text_on_its_request(self):
        technician = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Technician",
                    "login": "technician_markup",
                    "email": "tech@example.com",
                    "notification_type": "email",
                    "groups_id": [(6, 0, self.env.ref("base.group_user").ids)],
                }
            )
        )
        self.env["maintenance.equipment"].create(
            {"name": "silo101", "technician_user_id": technician.id}
        )
        self.env.cr.execute("SELECT coalesce(max(id), 0) FROM mail_message")
        first_message = self.env.cr.fetchone()[0] + 1
        with self.mock_mail_gateway():
            result = self.Production.plc_report_failure(
                {
                    "line": self.line.code,
                    "failure_key": "T1/markup/maintenance",
                    "equipment": "silo101",
                    "info": IMAGE,
                    "occurred_at": "2026-11-28T06:01:02+00:00",
                }
            )
        request = self.env["mrp.plc.failure"].browse(result["failure_id"])
        request = request.maintenance_request_id
        self.assertTrue(request)
        self.assertIn(IMAGE, request.description)
        self.env["base"].flush()
        messages = self.env["mail.message"].search([("id", ">=", first_message)])
        produced = [("message on %s" % m.model, m.body) for m in messages]
        produced += [("mail.mail", m.body_html) for m in self._new_mails]
        produced += [("e-mail %s" % m["subject"], m["body"]) for m in self._mails]
        self.assertTrue(produced)
        rendered = [where for where, html in produced if plant_elements(html)]
        self.assertFalse(rendered, "plant markup rendered as HTML in %s" % rendered)
