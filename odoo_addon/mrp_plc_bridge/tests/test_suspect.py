# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Suspect values: the actuals are kept, the MO waits for a person, the line goes on."""
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import PlcBridgeCase, create_mo

# 2621.43 kg: a correct weight whose low word is 0xFFFF, the "not set" sentinel.
SENTINEL = {"silo": "101", "raw_words": [3, 65535], "reason": "low word 0xFFFF"}


@tagged("post_install", "-at_install")
class TestSuspect(PlcBridgeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.planner = (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Suspect planner",
                    "login": "plc_suspect_planner",
                    "email": "suspect.planner@example.com",
                    "groups_id": [(6, 0, [cls.env.ref("mrp.group_mrp_user").id])],
                }
            )
        )

    def suspect_report(self, production, suspect=None, **extra):
        batch = self.send(production)
        payload = self.payload(
            batch,
            {"101": 612.37, "102": 379.1, "114": 20.0},
            suspect=[SENTINEL] if suspect is None else suspect,
            **extra
        )
        return payload, self.report(payload)

    def test_suspect_value_is_recorded_not_closed(self):
        production = create_mo(self.env, self.bom, 1000.0)
        production.user_id = self.planner
        payload, result = self.suspect_report(production, finished=998.2)
        self.assertEqual(result["status"], "recorded")
        self.assertIn("silo 101", result["reason"])
        self.assertIn("[3, 65535]", result["reason"])
        self.assertIn("low word 0xFFFF", result["reason"])
        self.assertEqual(production.plc_state, "recorded")
        self.assertEqual(production.plc_reason, result["reason"])
        self.assertTrue(production.plc_suspect)
        self.assertNotEqual(production.state, "done")
        # The actuals are on the moves, ready to close with.
        maize = production.move_raw_ids.filtered(
            lambda m: m.product_id == self.products["maize"]
        )
        self.assertAlmostEqual(sum(maize.mapped("quantity_done")), 612.37, places=2)
        self.assertEqual(production.qty_producing, 998.2)
        silo101 = production.plc_consumption_ids.filtered(
            lambda c: c.silo_code == "101"
        )
        self.assertTrue(silo101.suspect)
        self.assertIn("[3, 65535]", silo101.suspect_reason)
        self.assertFalse(
            production.plc_consumption_ids.filtered(
                lambda c: c.silo_code == "102"
            ).suspect
        )
        activity = production.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.planner)
        # The list's filter finds it.
        suspects = self.env["mrp.production"].search(self.suspect_filter())
        self.assertIn(production, suspects)
        # The same report again changes nothing.
        again = self.report(payload)
        self.assertEqual(again, dict(result, duplicate=True))

        production.with_user(self.planner).action_plc_accept_actuals()
        self.assertEqual(production.state, "done")
        self.assertEqual(production.plc_state, "done")
        self.assertFalse(production.plc_reason)
        self.assertEqual(production.qty_produced, 998.2)
        maize = production.move_raw_ids.filtered(
            lambda m: m.product_id == self.products["maize"] and m.state == "done"
        )
        self.assertAlmostEqual(sum(maize.mapped("quantity_done")), 612.37, places=2)
        self.assertFalse(production.activity_ids, "the to-do is done")
        self.assertNotIn(
            production, self.env["mrp.production"].search(self.suspect_filter())
        )
        # A late copy of the report still gets its first answer.
        self.assertEqual(self.report(payload)["duplicate"], True)

    def suspect_filter(self):
        view = self.env.ref("mrp_plc_bridge.view_mrp_production_filter_inherit_plc")
        self.assertIn('name="plc_suspect"', view.arch)
        return [
            ("plc_suspect", "=", True),
            ("plc_state", "=", "recorded"),
            ("state", "not in", ("done", "cancel")),
        ]

    def test_suspect_finished_weight(self):
        production = create_mo(self.env, self.bom, 1000.0)
        _payload, result = self.suspect_report(
            production,
            [{"silo": None, "raw_words": [0xFFFF, 0xFFFF], "reason": "not set"}],
        )
        self.assertEqual(result["status"], "recorded")
        self.assertIn("finished weight", result["reason"])
        self.assertIn("[65535, 65535]", result["reason"])
        self.assertFalse(production.plc_consumption_ids.filtered("suspect"))
        # Null finished quantity: as planned.
        self.assertEqual(production.qty_producing, 1000.0)

    def test_empty_suspect_list_closes(self):
        production = create_mo(self.env, self.bom, 1000.0)
        _payload, result = self.suspect_report(production, [])
        self.assertEqual(result["status"], "done")
        self.assertFalse(production.plc_suspect)

    def test_suspect_silo_not_sent_is_rejected(self):
        production = create_mo(self.env, self.bom, 1000.0)
        _payload, result = self.suspect_report(
            production, [dict(SENTINEL, silo="103")]
        )
        self.assertEqual(result["status"], "rejected")
        self.assertIn("suspect[0].silo", result["reason"])
        self.assertEqual(production.plc_state, "sent")
        self.assertFalse(production.plc_consumption_ids.filtered("reported"))

    def test_failed_with_suspect_stays_failed(self):
        production = create_mo(self.env, self.bom, 1000.0)
        _payload, result = self.suspect_report(
            production, status="failed", message="Scale fault"
        )
        self.assertEqual(result["status"], "failed")
        self.assertIn("Scale fault", result["reason"])
        self.assertIn("[3, 65535]", result["reason"])
        self.assertTrue(production.plc_suspect)
        with self.assertRaises(UserError):
            production.with_user(self.planner).action_plc_accept_actuals()

    def test_accept_needs_a_manufacturing_user(self):
        production = create_mo(self.env, self.bom, 1000.0)
        self.suspect_report(production)
        stranger = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Sales",
                    "login": "plc_sales_user",
                    "groups_id": [(6, 0, [self.env.ref("base.group_user").id])],
                }
            )
        )
        with self.assertRaises(AccessError):
            production.with_user(stranger).action_plc_accept_actuals()
        with self.assertRaises(AccessError):
            production.with_user(self.agent).action_plc_accept_actuals()
        self.assertEqual(production.plc_state, "recorded")

    def test_accept_a_strict_bom_deviation(self):
        self.bom.consumption = "strict"
        production = create_mo(self.env, self.bom, 1000.0)
        result = self.report(self.payload(self.send(production), {"101": 640.0}))
        self.assertEqual(result["status"], "recorded")
        self.assertFalse(production.plc_suspect)
        production.with_user(self.planner).action_plc_accept_actuals()
        self.assertEqual(production.state, "done")
        maize = production.move_raw_ids.filtered(
            lambda m: m.product_id == self.products["maize"] and m.state == "done"
        )
        self.assertAlmostEqual(sum(maize.mapped("quantity_done")), 640.0, places=2)

    def test_accept_only_recorded(self):
        production = create_mo(self.env, self.bom, 1000.0)
        self.send(production)
        with self.assertRaises(UserError):
            production.with_user(self.planner).action_plc_accept_actuals()
