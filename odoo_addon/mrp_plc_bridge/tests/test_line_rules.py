# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import PlcBridgeCase, create_mo, create_silo


@tagged("post_install", "-at_install")
class TestSiloCode(PlcBridgeCase):
    def test_silo_code_must_be_a_plc_silo_number(self):
        for code in ("A1", "0", "65536", "0101", " 101", "1.5", "-3", "١٠١"):
            with self.subTest(code=code):
                with self.assertRaisesRegex(
                    ValidationError, "is not a whole number from 1 to 65535"
                ):
                    with self.env.cr.savepoint():
                        create_silo(self.env, self.line, code, None)
        self.assertEqual(create_silo(self.env, self.line, "65535", None).code, "65535")
        self.assertEqual(create_silo(self.env, self.line, "1", None).code, "1")
        with self.assertRaisesRegex(ValidationError, "Silo code 'X9' of Silo 101"):
            with self.env.cr.savepoint():
                self.silos["101"].code = "X9"


@tagged("post_install", "-at_install")
class TestLineCapacity(PlcBridgeCase):
    def test_defaults_and_ping(self):
        self.assertEqual(self.line.components_per_batch, 15)
        self.assertEqual(self.line.text_width, 16)
        result = self.Production.plc_ping("T1")
        self.assertEqual(result["components_per_batch"], 15)
        self.assertEqual(result["text_width"], 16)
        self.assertEqual(result["api_version"], 1)
        admin = self.env["mrp.production"].with_user(self.env.ref("base.user_admin"))
        self.assertNotIn("components_per_batch", admin.plc_ping("NOPE"))
        with self.assertRaisesRegex(ValidationError, "at least 1"):
            self.line.components_per_batch = 0

    def test_more_silos_than_the_slot_holds_is_blocked_at_fetch(self):
        # The test feed needs silos 101, 102 and tank 114.
        self.line.components_per_batch = 2
        production = create_mo(self.env, self.bom, 100.0)
        self.assertEqual(self.fetch()["batches"], [])
        self.assertEqual(production.plc_state, "blocked")
        self.assertEqual(
            production.plc_reason,
            "The MO needs 3 silos and tanks; a batch of line T1 holds at most 2.",
        )
        self.assertFalse(production.plc_consumption_ids)
        self.line.components_per_batch = 3
        self.assertEqual([b["mo_id"] for b in self.fetch()["batches"]], [production.id])
        self.assertEqual(production.plc_state, "sent")
        self.assertFalse(production.plc_reason)

    def test_reference_longer_than_the_text_width_is_blocked_at_fetch(self):
        production = create_mo(self.env, self.bom, 100.0)
        fits = create_mo(self.env, self.bom, 100.0)
        production.name = "WH/MO/LONG/REFERENCE/1"
        batches = self.fetch()["batches"]
        self.assertEqual([b["mo_id"] for b in batches], [fits.id])
        self.assertEqual(production.plc_state, "blocked")
        self.assertEqual(
            production.plc_reason,
            "The MO reference WH/MO/LONG/REFERENCE/1 has 22 characters; the PLC slot "
            "of line T1 holds 16.",
        )
        # A PLC program with wider text fields: the line says so, the MO goes.
        self.line.text_width = 24
        batches = self.fetch()["batches"]
        self.assertEqual(
            [(b["mo_id"], b["redelivered"]) for b in batches],
            [(fits.id, True), (production.id, False)],
        )

    def test_reference_that_is_not_ascii_is_blocked_at_fetch(self):
        production = create_mo(self.env, self.bom, 100.0)
        production.name = "WH/MO/Größe"
        self.assertEqual(self.fetch()["batches"], [])
        self.assertEqual(production.plc_state, "blocked")
        self.assertIn("not printable ASCII", production.plc_reason)


@tagged("post_install", "-at_install")
class TestChatter(PlcBridgeCase):
    def _commit_point(self):
        # What a commit runs: mail.thread writes tracking messages at precommit. The
        # MOs are made with tracking off, which holds only until that point.
        self.env["base"].flush()
        self.env.cr.precommit.run()
        self.env["base"].flush()

    def _plc_state_changes(self, production):
        self._commit_point()
        trackings = self.env["mail.tracking.value"].search(
            [
                ("mail_message_id.model", "=", "mrp.production"),
                ("mail_message_id.res_id", "=", production.id),
                ("field.name", "=", "plc_state"),
            ],
            order="id",
        )
        return [(t.old_value_char, t.new_value_char) for t in trackings]

    def test_chatter_shows_ready_sent_done(self):
        production = create_mo(self.env, self.bom, 1000.0)
        self.assertEqual(production.plc_state, "ready")
        self._commit_point()
        batch = self.fetch()["batches"][0]
        self.assertEqual(self._plc_state_changes(production), [("Ready", "Sent")])
        result = self.report(self.payload(batch))
        self.assertEqual(result["status"], "done")
        self.assertEqual(
            self._plc_state_changes(production), [("Ready", "Sent"), ("Sent", "Done")]
        )
        # Re-delivering and a duplicate report write nothing to the chatter.
        self.report(self.payload(batch))
        self.assertEqual(len(self._plc_state_changes(production)), 2)

    def test_chatter_shows_a_block(self):
        self.line.components_per_batch = 1
        production = create_mo(self.env, self.bom, 1000.0)
        self._commit_point()
        self.fetch()
        self.assertEqual(self._plc_state_changes(production), [("Ready", "Blocked")])
        # Fetching again with the same reason writes nothing more.
        self.fetch()
        self.assertEqual(self._plc_state_changes(production), [("Ready", "Blocked")])


@tagged("post_install", "-at_install")
class TestMoCreatedInCode(PlcBridgeCase):
    def test_an_mo_made_as_procurement_makes_it_is_ready_and_fetched(self):
        """Odoo's stock rule creates MOs with create(), then their moves, then confirms
        them: no form and no onchange. Such an MO is on the BoM's line, ready, and fetched."""
        production = self.env["mrp.production"].create(
            {
                "product_id": self.bom.product_tmpl_id.product_variant_id.id,
                "bom_id": self.bom.id,
                "product_qty": 1000.0,
                "product_uom_id": self.bom.product_uom_id.id,
            }
        )
        self.env["stock.move"].create(production._get_moves_raw_values())
        self.env["stock.move"].create(production._get_moves_finished_values())
        production.action_confirm()
        self.assertEqual(production.plc_line_id, self.line)
        self.assertEqual(production.plc_state, "ready")
        batches = self.fetch()["batches"]
        self.assertIn(production.id, [batch["mo_id"] for batch in batches])
        self.assertEqual(production.plc_state, "sent")
