# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import PlcBridgeCase, add_stock, create_mo, create_product


@tagged("post_install", "-at_install")
class TestWeighing(PlcBridgeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.premix = create_product(cls.env, "Vitamin premix", "RM-PREMIX")
        add_stock(cls.env, cls.premix, 1000.0)
        cls.stock = cls.env.ref("stock.stock_location_stock")

    def setUp(self):
        super().setUp()
        self.count = 0

    def weigh(self, production, quantity=12.5, product=None, **values):
        self.count += 1
        payload = {
            "line": self.line.code,
            "weighing_key": "T1-W-20261128T060102Z-%d" % self.count,
            "mo_name": production.name if production else "",
            "batch_number": 17,
            "product_template_id": (product or self.premix).product_tmpl_id.id,
            "quantity": quantity,
            "weighed_at": "2026-11-28T06:01:02+00:00",
        }
        payload.update(values)
        return payload, self.Production.plc_report_manual_weighing(payload)

    def weighing(self, payload):
        return self.env["mrp.plc.weighing"].search(
            [("weighing_key", "=", payload["weighing_key"])]
        )

    def on_hand(self, product):
        return product.with_context(location=self.stock.id).qty_available

    def premix_done(self, production):
        moves = production.move_raw_ids.filtered(
            lambda m: m.product_id == self.premix and m.state == "done"
        )
        return sum(moves.mapped("quantity_done"))

    def test_during_the_batch_it_counts_in_the_closing(self):
        production = create_mo(self.env, self.bom, 1000.0)
        batch = self.send(production)
        payload, result = self.weigh(production)
        self.assertEqual(
            result,
            {"status": "consumed", "duplicate": False, "reason": None, "api_version": 1},
        )
        weighing = self.weighing(payload)
        self.assertEqual(weighing.production_id, production)
        self.assertEqual(production.plc_weighing_ids, weighing)
        self.assertEqual(str(weighing.weighed_at), "2026-11-28 06:01:02")
        self.assertFalse(weighing.posted)
        self.assertEqual(weighing.move_id.quantity_done, 12.5)
        # The same report again changes nothing.
        self.assertEqual(self.weigh(production, weighing_key=payload["weighing_key"])[1],
                         dict(result, duplicate=True))
        before = self.on_hand(self.premix)
        self.assertEqual(self.report(self.payload(batch))["status"], "done")
        self.assertEqual(production.state, "done")
        self.assertTrue(weighing.posted)
        self.assertEqual(self.premix_done(production), 12.5)
        self.assertEqual(self.on_hand(self.premix), before - 12.5)

    def test_two_identical_weighings_under_two_keys_are_two_weighings(self):
        # The line's agent sends each entry of the weighing area under its own key, also
        # one with the very words of the entry before: Odoo must not merge them. Batch
        # number 65535 is the last rolling number, a value like any other.
        production = create_mo(self.env, self.bom, 1000.0)
        self.send(production)
        first, result = self.weigh(production, batch_number=65535)
        second, again = self.weigh(production, batch_number=65535)
        self.assertNotEqual(first["weighing_key"], second["weighing_key"])
        self.assertEqual(result["status"], "consumed")
        self.assertEqual(again, result)  # not a duplicate: consumed again
        weighings = self.weighing(first) | self.weighing(second)
        self.assertEqual(len(weighings), 2)
        self.assertEqual(weighings.mapped("batch_number"), [65535, 65535])
        self.assertEqual(production.plc_weighing_ids, weighings)
        self.assertEqual(sum(weighings.mapped("move_id.quantity_done")), 25.0)

    def test_consume_planned_policy_keeps_the_weighed_quantity(self):
        self.line.missing_silo_policy = "consume_planned"
        production = create_mo(self.env, self.bom, 1000.0)
        batch = self.send(production)
        self.weigh(production, 3.0)
        self.assertEqual(self.report(self.payload(batch, finished=900.0))["status"], "done")
        self.assertEqual(self.premix_done(production), 3.0)

    def test_a_weighing_is_never_sent_to_the_line(self):
        production = create_mo(self.env, self.bom, 1000.0)
        self.weigh(production, 2.0)
        batch = self.send(production)
        self.assertEqual(production.plc_state, "sent")
        self.assertEqual(sorted(c["silo"] for c in batch["components"]), ["101", "102", "114"])
        self.assertEqual(self.report(self.payload(batch))["status"], "done")
        self.assertEqual(self.premix_done(production), 2.0)

    def test_after_the_closing_it_is_posted_on_the_done_mo(self):
        production = create_mo(self.env, self.bom, 1000.0)
        self.report(self.payload(self.send(production)))
        self.assertEqual(production.state, "done")
        before = self.on_hand(self.premix)
        payload, result = self.weigh(production, 4.25)
        self.assertEqual(result["status"], "consumed")
        weighing = self.weighing(payload)
        self.assertTrue(weighing.posted)
        self.assertEqual(weighing.move_id.state, "done")
        self.assertTrue(weighing.move_id.additional)
        self.assertEqual(self.premix_done(production), 4.25)
        self.assertEqual(self.on_hand(self.premix), before - 4.25)
        self.weigh(production, 4.25, weighing_key=payload["weighing_key"])
        self.assertEqual(self.on_hand(self.premix), before - 4.25)

    def test_converts_kg_to_the_product_unit(self):
        tonne = self.env.ref("uom.product_uom_ton")
        bulk = create_product(self.env, "Bulk salt", "RM-BULK")
        bulk.write({"uom_id": tonne.id, "uom_po_id": tonne.id})
        production = create_mo(self.env, self.bom, 1000.0)
        payload, result = self.weigh(production, 250.0, product=bulk)
        self.assertEqual(result["status"], "consumed")
        self.assertAlmostEqual(self.weighing(payload).product_qty, 0.25)
        self.assertEqual(self.weighing(payload).product_uom_id, tonne)

    def test_what_cannot_be_applied_is_kept_with_the_reason(self):
        production = create_mo(self.env, self.bom, 1000.0)
        cancelled = create_mo(self.env, self.bom, 1000.0)
        cancelled.action_cancel()
        attribute = self.env["product.attribute"].create(
            {"name": "Grade", "value_ids": [(0, 0, {"name": "A"}), (0, 0, {"name": "B"})]}
        )
        graded = self.env["product.template"].create(
            {
                "name": "Graded premix",
                "type": "product",
                "attribute_line_ids": [
                    (0, 0, {"attribute_id": attribute.id,
                            "value_ids": [(6, 0, attribute.value_ids.ids)]})
                ],
            }
        )
        pieces = create_product(self.env, "Bags", "RM-BAGS")
        pieces.write({"uom_id": self.env.ref("uom.product_uom_unit").id,
                      "uom_po_id": self.env.ref("uom.product_uom_unit").id})
        cases = [
            ({"mo_name": "WH/MO/NOPE"}, "Unknown MO reference 'WH/MO/NOPE'"),
            ({"mo_name": ""}, "Unknown MO reference ''"),
            ({"mo_name": cancelled.name}, "%s is cancelled" % cancelled.name),
            ({"product_template_id": 0}, "Unknown product: no product template 0"),
            ({"product_template_id": 10 ** 9}, "Unknown product"),
            (
                {"product_template_id": graded.id},
                "Product template %d (Graded premix) has 2 variants" % graded.id,
            ),
            ({"product_template_id": pieces.product_tmpl_id.id}, "Bags is counted in Units"),
            ({"quantity": -1.0}, "Implausible quantity -1.0 kg"),
            ({"quantity": 0}, "Implausible quantity 0.0 kg"),
            ({"quantity": 1000.5}, "Implausible quantity 1000.5 kg"),
        ]
        for values, reason in cases:
            with self.subTest(reason=reason):
                payload, result = self.weigh(production, **values)
                self.assertEqual(result["status"], "kept", result)
                self.assertIn(reason, result["reason"])
                weighing = self.weighing(payload)
                self.assertEqual(weighing.state, "kept")
                self.assertEqual(weighing.reason, result["reason"])
                self.assertFalse(weighing.move_id)
                again = dict(values, weighing_key=payload["weighing_key"])
                self.assertEqual(
                    self.weigh(production, **again)[1], dict(result, duplicate=True)
                )
        self.assertFalse(production.move_raw_ids.filtered(lambda m: m.additional))
        self.assertEqual(self.line.weighing_kept_count, len(cases))

    def test_a_person_corrects_a_kept_weighing_and_consumes_it(self):
        production = create_mo(self.env, self.bom, 1000.0)
        payload, result = self.weigh(production, mo_name="WH/MO/TYPO")
        weighing = self.weighing(payload)
        self.assertEqual(result["status"], "kept")
        weighing.production_id = production
        weighing.action_consume()
        self.assertEqual(weighing.state, "consumed")
        self.assertFalse(weighing.reason)
        self.assertEqual(weighing.move_id.raw_material_production_id, production)
        with self.assertRaises(UserError):
            weighing.action_consume()
        # The agent's answer for the key now says consumed.
        _payload, again = self.weigh(
            production, mo_name="WH/MO/TYPO", weighing_key=payload["weighing_key"]
        )
        self.assertEqual(again["status"], "consumed")
        other = self.weighing(self.weigh(production, quantity=-3)[0])
        other.action_discard()
        self.assertEqual(other.state, "discarded")

    def test_malformed_payloads_are_rejected_and_nothing_is_written(self):
        production = create_mo(self.env, self.bom, 1000.0)
        cases = [
            ({"quantity": "12.5"}, "quantity: must be a number"),
            ({"quantity": True}, "quantity: must be a number"),
            ({"quantity": float("nan")}, "quantity: must be a finite number"),
            ({"product_template_id": "55"}, "product_template_id: must be an integer"),
            ({"batch_number": 70000}, "batch_number: must be from 0 to 65535"),
            ({"mo_name": None}, "mo_name: must be a string"),
            ({"weighed_at": "yesterday"}, "weighed_at: not an ISO 8601"),
            ({"weighing_key": ""}, "weighing_key: must be a non-empty string"),
            ({"extra": 1}, "unknown field(s): extra"),
        ]
        for values, reason in cases:
            with self.subTest(reason=reason):
                _payload, result = self.weigh(production, **values)
                self.assertEqual(result["status"], "rejected")
                self.assertTrue(result["reason"].startswith(reason), result["reason"])
        payload = {"line": "T1"}
        self.assertTrue(self.Production.plc_report_manual_weighing(payload)["reason"]
                        .startswith("missing field(s): "))
        # A line no line has: the agent is refused it like any line not its own, an
        # administrator is told it is unknown.
        with self.assertRaises(AccessError):
            self.weigh(production, line="NOPE")
        admin = self.env["mrp.production"].with_user(self.env.ref("base.user_admin"))
        result = admin.plc_report_manual_weighing(
            {
                "line": "NOPE",
                "weighing_key": "W-NOPE",
                "mo_name": production.name,
                "batch_number": 17,
                "product_template_id": self.premix.product_tmpl_id.id,
                "quantity": 12.5,
                "weighed_at": "2026-11-28T06:01:02+00:00",
            }
        )
        self.assertEqual(result["status"], "rejected")
        self.assertEqual(result["reason"], "line: unknown PLC line 'NOPE'.")
        self.assertFalse(self.env["mrp.plc.weighing"].search([]))
        # The same key with another payload: the first one stands.
        first, _result = self.weigh(production)
        _second, result = self.weigh(production, 99.0, weighing_key=first["weighing_key"])
        self.assertEqual(result["status"], "rejected")
        self.assertIn("already reported with a different payload", result["reason"])
        self.assertEqual(self.weighing(first).quantity_kg, 12.5)
