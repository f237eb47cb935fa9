# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The PLC doses in its silo's unit (kg unless told otherwise), whatever unit Odoo counts in."""
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import (
    PlcBridgeCase,
    add_stock,
    create_bom,
    create_line,
    create_mo,
    create_product,
    create_silo,
)


@tagged("post_install", "-at_install")
class TestUnits(PlcBridgeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ref = cls.env.ref
        cls.kg = ref("uom.product_uom_kgm")
        cls.gram = ref("uom.product_uom_gram")
        cls.tonne = ref("uom.product_uom_ton")
        cls.litre = ref("uom.product_uom_litre")
        cls.bag = cls.env["uom.uom"].create(
            {
                "name": "Bag",
                "category_id": ref("uom.product_uom_categ_unit").id,
                "uom_type": "bigger",
                "factor_inv": 1.0,
                "rounding": 0.01,
            }
        )
        env = cls.env
        cls.premix = create_product(env, "Vitamin premix", "RM-PREMIX", uom=cls.gram)
        cls.lime = create_product(env, "Limestone", "RM-LIME", uom=cls.tonne)
        cls.wheat = create_product(env, "Wheat", "RM-WHEAT")
        cls.oil = create_product(env, "Soybean oil", "RM-OIL", uom=cls.litre)
        cls.bagged = create_product(
            env, "Layer feed 25 kg bag", "FEED-BAG", uom=cls.bag, weight=25.0
        )
        cls.unit_line = create_line(env, "U1")
        # The test's agent speaks for this line too.
        cls.unit_line.plc_agent_user_ids = [(4, cls.agent.id)]
        cls.unit_silos = {
            "201": create_silo(env, cls.unit_line, "201", cls.premix),
            "202": create_silo(env, cls.unit_line, "202", cls.lime),
            "203": create_silo(env, cls.unit_line, "203", cls.wheat),
            # On a flow meter.
            "214": create_silo(
                env, cls.unit_line, "214", cls.oil, kind="tank", plc_uom=cls.litre
            ),
        }
        # 40 bags of 25 kg: 500 g premix, 0.2 t limestone, 750 kg wheat, 50 L oil.
        cls.bag_bom = create_bom(
            env,
            cls.bagged,
            [(cls.premix, 500.0), (cls.lime, 0.2), (cls.wheat, 750.0), (cls.oil, 50.0)],
            line=cls.unit_line,
            quantity=40.0,
        )
        for product, quantity in (
            (cls.premix, 100000.0),
            (cls.lime, 100.0),
            (cls.wheat, 100000.0),
            (cls.oil, 100000.0),
        ):
            add_stock(env, product, quantity)

    def components(self, batch):
        return {c["silo"]: (c["quantity"], c["uom"]) for c in batch["components"]}

    def test_grams_go_to_the_plc_as_kilograms(self):
        # 500 g of premix was written as 500.00 kg: a thousandfold overdose.
        production = create_mo(self.env, self.bag_bom, 40.0)
        batch = self.send(production)
        self.assertEqual(self.components(batch)["201"], (0.5, "kg"))

    def test_each_component_in_its_silo_unit_and_the_finished_weight_in_kg(self):
        production = create_mo(self.env, self.bag_bom, 40.0)
        batch = self.send(production)
        self.assertEqual(
            self.components(batch),
            {
                "201": (0.5, "kg"),
                "202": (200.0, "kg"),
                "203": (750.0, "kg"),
                "214": (50.0, "L"),
            },
        )
        # 40 bags of 25 kg.
        self.assertEqual((batch["quantity"], batch["uom"]), (1000.0, "kg"))
        premix = production.plc_consumption_ids.filtered(lambda c: c.silo_code == "201")
        self.assertEqual((premix.planned_qty, premix.product_uom_id), (500.0, self.gram))
        self.assertEqual((premix.plc_planned_qty, premix.plc_uom_id), (0.5, self.kg))
        # Re-delivered exactly as sent, even after the silo's unit changed.
        self.unit_silos["214"].plc_uom_id = self.kg
        again = self.send(production)
        self.assertTrue(again["redelivered"])
        self.assertEqual(self.components(again)["214"], (50.0, "L"))

    def test_report_converts_back_to_the_moves_units(self):
        production = create_mo(self.env, self.bag_bom, 40.0)
        batch = self.send(production)
        result = self.report(
            self.payload(
                batch,
                {"201": 0.51, "202": 210.0, "203": 748.3, "214": 49.5},
                finished=998.0,
            )
        )
        self.assertEqual(result["status"], "done", result["reason"])
        self.assertEqual(production.state, "done")

        def consumed(product):
            moves = production.move_raw_ids.filtered(
                lambda m: m.product_id == product and m.state == "done"
            )
            return round(sum(moves.mapped("quantity_done")), 4), moves.product_uom

        self.assertEqual(consumed(self.premix), (510.0, self.gram))
        self.assertEqual(consumed(self.lime), (0.21, self.tonne))
        self.assertEqual(consumed(self.wheat), (748.3, self.kg))
        self.assertEqual(consumed(self.oil), (49.5, self.litre))
        premix = production.plc_consumption_ids.filtered(lambda c: c.silo_code == "201")
        self.assertEqual((premix.plc_actual_qty, premix.actual_qty), (0.51, 510.0))
        self.assertAlmostEqual(premix.deviation_percent, 2.0, places=2)
        # 998 kg of 25 kg bags.
        self.assertEqual(production.qty_produced, 39.92)
        self.assertEqual(production.plc_finished_qty_actual, 39.92)
        self.assertEqual(production.plc_finished_weight_actual, 998.0)
        self.assertEqual(production.plc_finished_weight_planned, 1000.0)

    def test_finished_product_without_weight_is_blocked(self):
        self.bagged.weight = 0.0
        production = create_mo(self.env, self.bag_bom, 40.0)
        batches = self.fetch("U1")["batches"]
        self.assertNotIn(production.id, [b["mo_id"] for b in batches])
        self.assertEqual(production.plc_state, "blocked")
        self.assertIn("[FEED-BAG] Layer feed 25 kg bag", production.plc_reason)
        self.assertIn("weight", production.plc_reason)
        # Giving it a weight is enough: it is checked again at the next fetch.
        self.bagged.weight = 25.0
        self.assertEqual(self.send(production)["quantity"], 1000.0)

    def test_component_without_conversion_is_blocked(self):
        # The oil tank weighs (kg) and Odoo counts the oil in litres: no density.
        self.unit_silos["214"].plc_uom_id = self.kg
        production = create_mo(self.env, self.bag_bom, 40.0)
        self.fetch("U1")
        self.assertEqual(production.plc_state, "blocked")
        self.assertIn("[RM-OIL] Soybean oil", production.plc_reason)
        self.assertIn("Silo 214", production.plc_reason)
        self.assertFalse(production.plc_consumption_ids)
        # Its weight per litre bridges the two.
        self.oil.weight = 0.92
        batch = self.send(production)
        self.assertEqual(self.components(batch)["214"], (46.0, "kg"))

    def test_a_dose_below_the_plc_resolution_is_blocked(self):
        # 0.2 bags: 2.5 g of premix, 0.00 kg at the PLC's resolution.
        production = create_mo(self.env, self.bag_bom, 0.2)
        self.fetch("U1")
        self.assertEqual(production.plc_state, "blocked")
        self.assertIn("Silo 201", production.plc_reason)
        self.assertIn("below what the PLC can dose in kg", production.plc_reason)

    def test_component_in_units_doses_through_its_weight(self):
        sacks = create_product(
            self.env, "Enzyme sack", "RM-ENZ", uom=self.env.ref("uom.product_uom_unit")
        )
        create_silo(self.env, self.unit_line, "205", sacks)
        add_stock(self.env, sacks, 1000.0)
        bom = create_bom(
            self.env, self.wheat, [(sacks, 2.0)], line=self.unit_line, quantity=100.0
        )
        production = create_mo(self.env, bom, 100.0)
        self.fetch("U1")
        self.assertEqual(production.plc_state, "blocked")
        self.assertIn("[RM-ENZ] Enzyme sack", production.plc_reason)
        sacks.weight = 20.0
        batch = self.send(production)
        self.assertEqual(self.components(batch), {"205": (40.0, "kg")})
        result = self.report(self.payload(batch, {"205": 41.0}))
        self.assertEqual(result["status"], "done", result["reason"])
        move = production.move_raw_ids.filtered(
            lambda m: m.product_id == sacks and m.state == "done"
        )
        self.assertEqual(sum(move.mapped("quantity_done")), 2.05)

    def test_conversion_on_the_product(self):
        self.assertAlmostEqual(
            self.premix._plc_qty_to_plc(1234.0, self.gram, self.kg), 1.234
        )
        self.assertAlmostEqual(
            self.bagged._plc_qty_to_plc(2.0, self.bag, self.tonne), 0.05
        )
        self.assertAlmostEqual(
            self.bagged._plc_qty_from_plc(0.05, self.tonne, self.bag), 2.0
        )
        self.assertAlmostEqual(
            self.premix._plc_qty_from_plc(0.51, self.kg, self.gram), 510.0
        )
        with self.assertRaisesRegex(UserError, r"\[RM-OIL\] Soybean oil"):
            self.oil._plc_qty_to_plc(1.0, self.litre, self.kg)

    def test_silo_unit_is_a_weight_or_a_volume(self):
        silo = self.unit_silos["203"]
        self.assertEqual(silo.plc_uom_id, self.kg, "kg unless told otherwise")
        with self.assertRaises(ValidationError):
            silo.plc_uom_id = self.bag
