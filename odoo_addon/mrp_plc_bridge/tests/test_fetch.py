# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import datetime, timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import (
    PlcBridgeCase,
    add_stock,
    build_plant,
    create_bom,
    create_mo,
    create_product,
)


@tagged("post_install", "-at_install")
class TestFetch(PlcBridgeCase):
    def test_batch_content(self):
        production = create_mo(self.env, self.bom, 1000.0)
        self.assertEqual(production.plc_line_id, self.line)
        self.assertEqual(production.plc_state, "ready")
        result = self.fetch()
        self.assertEqual(result["api_version"], 1)
        self.assertEqual(result["line"], "T1")
        self.assertEqual(len(result["batches"]), 1)
        batch = result["batches"][0]
        key = "T1-%d-1" % production.id
        self.assertEqual(
            {k: v for k, v in batch.items() if k != "components"},
            {
                "mo_id": production.id,
                "mo_name": production.name,
                "run": 1,
                "batch_key": key,
                "redelivered": False,
                "product_code": "FEED-T1",
                "product_name": "Test feed T1",
                "quantity": 1000.0,
                "uom": "kg",
                "bom_code": "BOM-FEED-T1",
                "line": "T1",
                "date_planned_start": batch["date_planned_start"],
            },
        )
        self.assertTrue(batch["date_planned_start"])
        # One entry per silo, BoM line order, the two maize lines summed.
        self.assertEqual(
            batch["components"],
            [
                {
                    "silo": "101",
                    "product_code": "RM-MAIZE-T1",
                    "product_name": "Ground maize T1",
                    "quantity": 600.0,
                    "uom": "kg",
                },
                {
                    "silo": "102",
                    "product_code": "RM-SOY-T1",
                    "product_name": "Soybean meal T1",
                    "quantity": 380.0,
                    "uom": "kg",
                },
                {
                    "silo": "114",
                    "product_code": "RM-MOL-T1",
                    "product_name": "Molasses T1",
                    "quantity": 20.0,
                    "uom": "kg",
                },
            ],
        )
        self.assertEqual(production.plc_state, "sent")
        self.assertEqual(production.plc_batch_key, key)
        self.assertTrue(production.plc_sent_at)
        self.assertEqual(production.plc_finished_qty_planned, 1000.0)
        lines = production.plc_consumption_ids
        self.assertEqual(lines.mapped("silo_code"), ["101", "102", "114"])
        self.assertEqual(lines.mapped("planned_qty"), [600.0, 380.0, 20.0])
        self.assertEqual(len(lines[0].move_ids), 2)
        self.assertEqual(lines.mapped("line_id"), self.line)
        self.assertEqual(set(lines.mapped("run")), {1})
        self.assertEqual(
            lines.mapped("move_ids"),
            production.move_raw_ids,
            "every component move belongs to exactly one silo line",
        )

    def test_order_and_limit(self):
        base = datetime(2026, 12, 1, 6, 0)
        late = create_mo(self.env, self.bom, 100.0, date=base + timedelta(hours=5))
        early = create_mo(self.env, self.bom, 100.0, date=base + timedelta(hours=1))
        urgent = create_mo(
            self.env, self.bom, 100.0, priority="1", date=base + timedelta(hours=9)
        )
        same_time = create_mo(self.env, self.bom, 100.0, date=base + timedelta(hours=1))
        first = self.fetch(limit=2)["batches"]
        self.assertEqual([b["mo_id"] for b in first], [urgent.id, early.id])
        self.assertEqual(late.plc_state, "ready")
        second = self.fetch(limit=3)["batches"]
        # The two sent ones come back first, then the next new one.
        self.assertEqual(
            [(b["mo_id"], b["redelivered"]) for b in second],
            [(urgent.id, True), (early.id, True), (same_time.id, False)],
        )
        third = self.fetch(limit=2)["batches"]
        self.assertEqual(len(third), 2)
        self.assertTrue(all(b["redelivered"] for b in third))
        self.assertEqual(late.plc_state, "ready")

    def test_redelivery_after_crash_is_identical(self):
        production = create_mo(self.env, self.bom, 1000.0)
        first = self.fetch()["batches"]
        lines = production.plc_consumption_ids
        # What a silo holds changes after sending: the MO keeps what it was sent with.
        self.silos["101"].product_id = self.products["soy"]
        self.silos["102"].product_id = self.products["maize"]
        again = self.fetch()["batches"]
        self.assertEqual(len(again), 1)
        self.assertTrue(again[0]["redelivered"])
        self.assertFalse(first[0]["redelivered"])
        first[0]["redelivered"] = True
        self.assertEqual(again[0], first[0])
        self.assertEqual(production.plc_consumption_ids, lines)

    def test_mo_of_another_company_is_blocked(self):
        other_company = self.env["res.company"].create({"name": "Other feed mill"})
        self.bom.company_id = False
        companies = [other_company.id, self.env.company.id]
        env = self.env(context=dict(self.env.context, allowed_company_ids=companies))
        production = create_mo(env, self.bom.with_env(env), 100.0)
        self.assertEqual(production.company_id, other_company)
        self.assertEqual(production.plc_line_id, self.line)
        self.assertEqual(self.fetch()["batches"], [])
        self.assertEqual(production.plc_state, "blocked")
        self.assertIn("Other feed mill", production.plc_reason)
        self.assertFalse(production.plc_consumption_ids)

    def test_line_isolation(self):
        other = build_plant(self.env, "T2")
        self.bind_agent(other["line"])
        for name in ("maize", "soy", "molasses"):
            add_stock(self.env, other["products"][name], 10000.0)
        mine = create_mo(self.env, self.bom, 100.0)
        theirs = create_mo(self.env, other["bom"], 100.0)
        self.assertEqual(theirs.plc_line_id, other["line"])
        self.assertEqual([b["mo_id"] for b in self.fetch()["batches"]], [mine.id])
        batches = self.fetch("T2")["batches"]
        self.assertEqual([b["mo_id"] for b in batches], [theirs.id])
        self.assertEqual(batches[0]["batch_key"], "T2-%d-1" % theirs.id)
        # A sent MO can never move to another line, so it can never reach two lines.
        with self.assertRaises(UserError):
            mine.plc_line_id = other["line"]
        self.assertEqual([b["mo_id"] for b in self.fetch("T2")["batches"]], [theirs.id])

    def test_line_change_before_sending(self):
        other = build_plant(self.env, "T2")
        self.bind_agent(other["line"])
        production = create_mo(self.env, self.bom, 100.0)
        # T2's silos do not hold T1's products.
        production.plc_line_id = other["line"]
        self.assertEqual(self.fetch()["batches"], [])
        self.assertEqual(self.fetch("T2")["batches"], [])
        self.assertEqual(production.plc_state, "blocked")
        production.plc_line_id = self.line
        self.assertEqual(production.plc_state, "ready")
        self.assertFalse(production.plc_reason)
        self.assertEqual([b["mo_id"] for b in self.fetch()["batches"]], [production.id])

    def test_hold(self):
        held = create_mo(self.env, self.bom, 100.0)
        held.plc_hold = True
        free = create_mo(self.env, self.bom, 100.0)
        self.assertEqual([b["mo_id"] for b in self.fetch()["batches"]], [free.id])
        self.assertEqual(held.plc_state, "ready")
        held.plc_hold = False
        batches = self.fetch()["batches"]
        self.assertEqual(
            [(b["mo_id"], b["redelivered"]) for b in batches],
            [(free.id, True), (held.id, False)],
        )

    def test_draft_and_cancelled_are_not_sent(self):
        draft = create_mo(self.env, self.bom, 100.0, confirm=False)
        cancelled = create_mo(self.env, self.bom, 100.0)
        cancelled.action_cancel()
        self.assertEqual(self.fetch()["batches"], [])
        self.assertEqual(draft.plc_state, "ready")
        self.assertEqual(cancelled.plc_state, "ready")

    def test_blocked_with_reason_then_unblocked(self):
        salt = create_product(self.env, "Salt", "RM-SALT")
        bom = create_bom(
            self.env,
            self.products["feed"],
            [(self.products["maize"], 990.0), (salt, 10.0)],
            line=self.line,
        )
        blocked = create_mo(self.env, bom, 1000.0)
        fine = create_mo(self.env, self.bom, 1000.0)
        batches = self.fetch()["batches"]
        self.assertEqual([b["mo_id"] for b in batches], [fine.id])
        self.assertEqual(blocked.plc_state, "blocked")
        self.assertIn("Salt", blocked.plc_reason)
        self.assertIn("T1", blocked.plc_reason)
        self.assertIn("103", blocked.plc_reason, "the empty silo is named as a hint")
        self.assertFalse(blocked.plc_consumption_ids)
        # The planner fills silo 103 with salt: the next fetch sends the MO.
        self.silos["103"].product_id = salt
        batches = self.fetch()["batches"]
        self.assertEqual(
            [(b["mo_id"], b["redelivered"]) for b in batches],
            [(fine.id, True), (blocked.id, False)],
        )
        self.assertEqual(blocked.plc_state, "sent")
        self.assertFalse(blocked.plc_reason)
        self.assertEqual([c["silo"] for c in batches[1]["components"]], ["101", "103"])

    def test_archived_silo_blocks(self):
        self.silos["114"].active = False
        production = create_mo(self.env, self.bom, 100.0)
        self.assertEqual(self.fetch()["batches"], [])
        self.assertEqual(production.plc_state, "blocked")
        self.assertIn("Molasses T1", production.plc_reason)

    def test_consume_planned_policy_sends_without_the_component(self):
        self.line.missing_silo_policy = "consume_planned"
        salt = create_product(self.env, "Salt", "RM-SALT")
        bom = create_bom(
            self.env,
            self.products["feed"],
            [(self.products["maize"], 990.0), (salt, 10.0)],
            line=self.line,
        )
        production = create_mo(self.env, bom, 1000.0)
        batches = self.fetch()["batches"]
        self.assertEqual(len(batches), 1)
        self.assertEqual([c["silo"] for c in batches[0]["components"]], ["101"])
        self.assertEqual(production.plc_state, "sent")

    def test_bad_arguments(self):
        with self.assertRaisesRegex(UserError, "NOPE"):
            self.fetch("NOPE")
        self.line.active = False
        with self.assertRaisesRegex(UserError, "T1"):
            self.fetch("T1")
        self.line.active = True
        for limit in (0, 101, "10", 2.5, True, None):
            with self.assertRaisesRegex(UserError, "limit"):
                self.fetch("T1", limit)
        # PostgreSQL cannot compare a NUL: refused before any SQL.
        with self.assertRaisesRegex(UserError, "line_code"):
            self.fetch("T\x001")
        with self.assertRaisesRegex(UserError, "line_code"):
            self.Production.plc_ping("T\x001")

    def test_ping(self):
        result = self.Production.plc_ping("T1")
        self.assertEqual(result["api_version"], 1)
        self.assertTrue(result["line_exists"])
        self.assertTrue(result["line_active"])
        self.assertTrue(result["server_time"])
        self.line.active = False
        result = self.Production.plc_ping("T1")
        self.assertEqual((result["line_exists"], result["line_active"]), (True, False))
        # An agent user may ping only its own lines: another code, existing or not, is
        # refused; an administrator learns that no line has it.
        with self.assertRaisesRegex(AccessError, "'NOPE'"):
            self.Production.plc_ping("NOPE")
        admin = self.env.ref("base.user_admin")
        result = self.env["mrp.production"].with_user(admin).plc_ping("NOPE")
        self.assertEqual((result["line_exists"], result["line_active"]), (False, False))
