# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from .common import PlcBridgeCase, create_mo


@tagged("post_install", "-at_install")
class TestDeviation(PlcBridgeCase):
    def test_mo_shows_its_largest_deviation_with_its_sign(self):
        production = create_mo(self.env, self.bom, 1000.0)
        self.assertEqual(production.plc_max_deviation_percent, 0.0)
        batch = self.send(production)
        # Silo 101: 600 planned, 606 dosed (+1 %); silo 102: 380 planned, 361 (-5 %).
        self.report(self.payload(batch, {"101": 606.0, "102": 361.0}))
        self.assertAlmostEqual(production.plc_max_deviation_percent, -5.0)
        self.assertTrue(production.plc_tolerance_exceeded)
        found = self.env["mrp.production"].search(
            [("plc_tolerance_exceeded", "=", True), ("plc_line_id", "=", self.line.id)]
        )
        self.assertEqual(found, production)

    def test_silo_deviation_over_the_last_30_days(self):
        for actual in (606.0, 612.0):
            production = create_mo(self.env, self.bom, 1000.0)
            self.report(self.payload(self.send(production), {"101": actual}))
        silo = self.silos["101"]
        self.assertEqual(silo.plc_batches_30d, 2)
        self.assertAlmostEqual(silo.plc_planned_30d, 1200.0)
        self.assertAlmostEqual(silo.plc_actual_30d, 1218.0)
        self.assertAlmostEqual(silo.plc_deviation_30d_percent, 1.5)
        # Reported long ago: the done MO's PLC times are read-only, so the test moves
        # them in SQL.
        production.flush()
        self.env.cr.execute(
            "UPDATE mrp_production SET plc_reported_at = %s WHERE id = %s",
            ("2020-01-01 00:00:00", production.id),
        )
        production.invalidate_cache()
        silo.invalidate_cache()
        self.assertEqual(silo.plc_batches_30d, 1)
        action = silo.action_open_plc_consumption()
        self.assertEqual(action["res_model"], "mrp.plc.consumption")
        self.assertEqual(
            len(self.env["mrp.plc.consumption"].search(action["domain"])), 1
        )
