# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import copy
import logging
import time

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import float_compare

from .common import PlcBridgeCase, add_stock, create_bom, create_mo, create_product

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestReport(PlcBridgeCase):
    def assertMovesMatch(self, production):
        """Each silo's product consumes exactly what the line reported, to the rounding.

        Closing an MO moves what exceeds a move's plan to an extra move of the same
        product, so the moves are summed by product.
        """
        reported = production.plc_consumption_ids.filtered("reported")
        for product in reported.mapped("product_id"):
            moves = production.move_raw_ids.filtered(
                lambda m: m.product_id == product and m.state != "cancel"
            )
            done = sum(moves.mapped("quantity_done"))
            actual = sum(
                reported.filtered(lambda c: c.product_id == product).mapped(
                    "actual_qty"
                )
            )
            self.assertEqual(
                float_compare(done, actual, precision_digits=2),
                0,
                "%s: moves %s, reported %s" % (product.name, done, actual),
            )

    def test_done_with_deviations(self):
        production = create_mo(self.env, self.bom, 1000.0)
        batch = self.send(production)
        result = self.report(
            self.payload(
                batch,
                {"101": 612.37, "102": 379.1, "114": 20.0},
                finished=998.2,
                message="ok",
            )
        )
        self.assertEqual(
            result,
            {
                "status": "done",
                "mo_state": "done",
                "reason": None,
                "duplicate": False,
                "api_version": 1,
            },
        )
        self.assertEqual(production.state, "done")
        self.assertEqual(production.plc_state, "done")
        self.assertEqual(production.qty_produced, 998.2)
        self.assertEqual(production.plc_finished_qty_actual, 998.2)
        self.assertAlmostEqual(
            production.plc_finished_deviation_percent, -0.18, places=2
        )
        self.assertEqual(production.plc_message, "ok")
        self.assertEqual(str(production.plc_started_at), "2026-11-28 06:00:01")
        self.assertTrue(production.plc_reported_at)
        self.assertMovesMatch(production)
        maize = production.move_raw_ids.filtered(
            lambda m: m.product_id == self.products["maize"]
        )
        by_bom_line = {}
        for move in maize:
            by_bom_line.setdefault(move.bom_line_id.product_qty, 0.0)
            by_bom_line[move.bom_line_id.product_qty] += move.quantity_done
        # 612.37 shared 500:100 over the two maize BoM lines, rounded in the move's UoM.
        self.assertEqual(by_bom_line, {500.0: 510.31, 100.0: 102.06})
        self.assertEqual(set(maize.mapped("state")), {"done"})
        silo101 = production.plc_consumption_ids.filtered(
            lambda c: c.silo_code == "101"
        )
        self.assertAlmostEqual(silo101.deviation_qty, 12.37, places=2)
        self.assertAlmostEqual(silo101.deviation_percent, 2.06, places=2)
        self.assertTrue(silo101.tolerance_exceeded)
        silo102 = production.plc_consumption_ids.filtered(
            lambda c: c.silo_code == "102"
        )
        self.assertFalse(silo102.tolerance_exceeded)
        finished = production.move_finished_ids.filtered(
            lambda m: m.product_id == production.product_id and m.state == "done"
        )
        self.assertEqual(sum(finished.mapped("quantity_done")), 998.2)
        self.assertFalse(production.activity_ids)

    def test_finished_quantity_null_means_as_planned(self):
        production = create_mo(self.env, self.bom, 500.0)
        result = self.report(self.payload(self.send(production)))
        self.assertEqual(result["status"], "done")
        self.assertEqual(production.qty_produced, 500.0)
        self.assertEqual(production.plc_finished_qty_actual, 500.0)

    def test_less_produced_never_backorders(self):
        production = create_mo(self.env, self.bom, 1000.0)
        result = self.report(self.payload(self.send(production), finished=800.0))
        self.assertEqual(result["status"], "done")
        self.assertEqual(production.state, "done")
        self.assertEqual(production.product_qty, 800.0)
        self.assertEqual(production.procurement_group_id.mrp_production_ids, production)
        self.assertMovesMatch(production)

    def test_less_produced_always_backorders(self):
        self.line.backorder_policy = "always"
        production = create_mo(self.env, self.bom, 1000.0)
        result = self.report(self.payload(self.send(production), finished=800.0))
        self.assertEqual(result["status"], "done")
        self.assertEqual(production.state, "done")
        backorder = production.procurement_group_id.mrp_production_ids - production
        self.assertEqual(len(backorder), 1)
        self.assertEqual(backorder.product_qty, 200.0)
        self.assertEqual(backorder.state, "confirmed")
        # The backorder needs the components of its own 200 kg.
        self.assertEqual(
            sorted(backorder.move_raw_ids.mapped("product_uom_qty")),
            [4.0, 20.0, 76.0, 100.0],
        )
        self.assertEqual(backorder.plc_line_id, self.line)
        self.assertEqual(backorder.plc_state, "ready")
        self.assertFalse(backorder.plc_consumption_ids)
        self.assertMovesMatch(production)
        # The rest goes to the line with its own key.
        batch = self.send(backorder)
        self.assertEqual(batch["batch_key"], "T1-%d-1" % backorder.id)
        self.assertEqual(batch["quantity"], 200.0)

    def test_more_produced_never_backorders(self):
        self.line.backorder_policy = "always"
        production = create_mo(self.env, self.bom, 1000.0)
        result = self.report(self.payload(self.send(production), finished=1010.0))
        self.assertEqual(result["status"], "done")
        self.assertEqual(production.procurement_group_id.mrp_production_ids, production)

    def test_failed_then_released(self):
        production = create_mo(self.env, self.bom, 1000.0)
        batch = self.send(production)
        failed = self.payload(
            batch,
            {"101": 300.0, "102": 0.0, "114": 0.0},
            status="failed",
            message="Mixer motor tripped",
        )
        result = self.report(failed)
        self.assertEqual(result["status"], "failed")
        self.assertEqual(result["reason"], "Mixer motor tripped")
        self.assertNotEqual(production.state, "done")
        self.assertEqual(production.plc_state, "failed")
        self.assertEqual(production.plc_reason, "Mixer motor tripped")
        self.assertMovesMatch(production)
        # Not sent again until a planner releases it.
        self.assertEqual(self.fetch()["batches"], [])
        production.action_plc_release()
        self.assertEqual((production.plc_state, production.plc_run), ("ready", 2))
        batch2 = self.send(production)
        self.assertEqual(batch2["batch_key"], "T1-%d-2" % production.id)
        self.assertEqual(batch2["run"], 2)
        # The failed run's report sent again (its answer lost) gets its answer again;
        # another payload under the first run's key is refused.
        again = self.report(failed)
        self.assertEqual((again["status"], again["duplicate"]), ("failed", True))
        stale = self.report(self.payload(batch))
        self.assertEqual(stale["status"], "rejected")
        self.assertIn("different payload", stale["reason"])
        result = self.report(
            self.payload(batch2, {"101": 600.0, "102": 380.0, "114": 20.0})
        )
        self.assertEqual(result["status"], "done")
        maize = production.move_raw_ids.filtered(
            lambda m: m.product_id == self.products["maize"]
        )
        # The second run's consumption adds to what the failed run used.
        self.assertAlmostEqual(sum(maize.mapped("quantity_done")), 900.0, places=2)
        self.assertMovesMatch(production)
        self.assertEqual(len(production.plc_consumption_ids), 6)

    def test_release_only_failed(self):
        production = create_mo(self.env, self.bom, 1000.0)
        with self.assertRaises(Exception):
            production.action_plc_release()

    def test_strict_bom_deviation_is_recorded(self):
        self.bom.consumption = "strict"
        planner = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Planner",
                    "login": "plc_planner",
                    "email": "planner@example.com",
                    "groups_id": [(6, 0, [self.env.ref("mrp.group_mrp_user").id])],
                }
            )
        )
        production = create_mo(self.env, self.bom, 1000.0)
        production.user_id = planner
        self.assertEqual(production.consumption, "strict")
        result = self.report(self.payload(self.send(production), {"101": 612.0}))
        self.assertEqual(result["status"], "recorded")
        self.assertIn("Ground maize T1", result["reason"])
        self.assertNotEqual(production.state, "done")
        self.assertEqual(result["mo_state"], production.state)
        self.assertEqual(production.plc_state, "recorded")
        self.assertEqual(production.plc_reason, result["reason"])
        self.assertMovesMatch(production)
        activity = production.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(
            activity.activity_type_id, self.env.ref("mail.mail_activity_data_todo")
        )
        self.assertEqual(activity.user_id, planner)

    def test_strict_bom_as_planned_closes(self):
        self.bom.consumption = "strict"
        production = create_mo(self.env, self.bom, 1000.0)
        result = self.report(self.payload(self.send(production)))
        self.assertEqual(result["status"], "done")

    def test_lot_tracked_component(self):
        lotted = create_product(self.env, "Premix", "RM-PREMIX", tracking="lot")
        lot = self.env["stock.production.lot"].create(
            {
                "name": "PMX-1",
                "product_id": lotted.id,
                "company_id": self.env.company.id,
            }
        )
        add_stock(self.env, lotted, 100.0, lot=lot)
        silo = self.silos["103"]
        silo.product_id = lotted
        bom = create_bom(
            self.env,
            self.products["feed"],
            [(self.products["maize"], 990.0), (lotted, 10.0)],
            line=self.line,
        )
        without_lot = create_mo(self.env, bom, 1000.0)
        result = self.report(self.payload(self.send(without_lot)))
        self.assertEqual(result["status"], "recorded")
        self.assertIn("Premix", result["reason"])
        self.assertIn("103", result["reason"])
        self.assertEqual(without_lot.plc_state, "recorded")
        self.assertTrue(without_lot.activity_ids)
        self.assertMovesMatch(without_lot)
        # The batch dosed after the lot was entered on the silo is booked on it.
        silo.lot_id = lot
        with_lot = create_mo(self.env, bom, 1000.0)
        now = fields.Datetime.now().strftime("%Y-%m-%dT%H:%M:%S+00:00")
        result = self.report(
            self.payload(
                self.send(with_lot), {"103": 10.5}, started_at=now, finished_at=now
            )
        )
        self.assertEqual(result["status"], "done", result["reason"])
        premix = with_lot.move_raw_ids.filtered(lambda m: m.product_id == lotted)
        self.assertEqual(premix.move_line_ids.filtered("qty_done").lot_id, lot)
        self.assertEqual(sum(premix.mapped("quantity_done")), 10.5)

    def test_consume_planned_component(self):
        self.line.missing_silo_policy = "consume_planned"
        salt = create_product(self.env, "Salt", "RM-SALT")
        bom = create_bom(
            self.env,
            self.products["feed"],
            [(self.products["maize"], 990.0), (salt, 10.0)],
            line=self.line,
        )
        production = create_mo(self.env, bom, 1000.0)
        result = self.report(self.payload(self.send(production), finished=900.0))
        self.assertEqual(result["status"], "done")
        salt_moves = production.move_raw_ids.filtered(lambda m: m.product_id == salt)
        self.assertEqual(sum(salt_moves.mapped("quantity_done")), 9.0)

    def test_duplicate_key_returns_first_result(self):
        production = create_mo(self.env, self.bom, 1000.0)
        payload = self.payload(self.send(production), {"101": 605.0})
        first = self.report(payload)
        messages = len(production.message_ids)
        write_date = production.write_date
        moves_done = production.move_raw_ids.mapped("quantity_done")
        again = self.report(copy.deepcopy(payload))
        self.assertEqual(again, dict(first, duplicate=True))
        # Same numbers written differently are the same payload.
        payload2 = copy.deepcopy(payload)
        payload2["consumption"].reverse()
        payload2["consumption"][0]["quantity"] = int(
            payload2["consumption"][0]["quantity"]
        )
        self.assertEqual(self.report(payload2)["duplicate"], True)
        self.assertEqual(len(production.message_ids), messages)
        self.assertEqual(production.write_date, write_date)
        self.assertEqual(production.move_raw_ids.mapped("quantity_done"), moves_done)

    def test_negative_zero_is_zero(self):
        production = create_mo(self.env, self.bom, 1000.0)
        payload = self.payload(self.send(production), {"101": -0.0})
        self.assertEqual(self.report(payload)["status"], "done")
        silo101 = production.plc_consumption_ids.filtered(
            lambda c: c.silo_code == "101"
        )
        self.assertEqual(str(silo101.actual_qty), "0.0")
        payload["consumption"][0]["quantity"] = 0
        self.assertTrue(self.report(payload)["duplicate"])

    def test_reused_key_with_another_payload(self):
        production = create_mo(self.env, self.bom, 1000.0)
        payload = self.payload(self.send(production))
        self.report(payload)
        other = copy.deepcopy(payload)
        other["consumption"][0]["quantity"] = 1.0
        result = self.report(other)
        self.assertEqual(result["status"], "rejected")
        self.assertIn("batch_key", result["reason"])
        self.assertEqual(production.plc_state, "done")

    def test_other_key_after_report(self):
        production = create_mo(self.env, self.bom, 1000.0)
        payload = self.payload(self.send(production))
        self.report(payload)
        result = self.report(dict(payload, batch_key="T1-%d-9" % production.id))
        self.assertEqual(result["status"], "rejected")
        self.assertIn("already reported", result["reason"])

    def test_bad_input_is_rejected_and_nothing_written(self):
        production = create_mo(self.env, self.bom, 1000.0)
        other_line_plant_mo = create_mo(self.env, self.bom, 1000.0)
        not_sent = create_mo(self.env, self.bom, 1000.0)
        not_sent.plc_hold = True
        batch = self.send(production)
        self.send(other_line_plant_mo)
        good = self.payload(batch)

        def change(**values):
            payload = copy.deepcopy(good)
            payload.update(values)
            return payload

        def without(name):
            payload = copy.deepcopy(good)
            del payload[name]
            return payload

        def quantity(value, index=0):
            payload = copy.deepcopy(good)
            payload["consumption"][index]["quantity"] = value
            return payload

        nan = float("nan")
        inf = float("inf")
        cases = [
            ("not an object", ["x"], "payload"),
            ("unknown MO", change(mo_id=999999999), "mo_id"),
            ("MO id a string", change(mo_id=str(production.id)), "mo_id"),
            ("MO id a bool", change(mo_id=True), "mo_id"),
            ("line empty", change(line=""), "line"),
            ("another MO's key", change(mo_id=other_line_plant_mo.id), "batch_key"),
            (
                "MO not sent",
                change(mo_id=not_sent.id, batch_key="T1-%d-1" % not_sent.id),
                "not sent",
            ),
            ("wrong key", change(batch_key="T1-%d-7" % production.id), "batch_key"),
            ("key not a string", change(batch_key=12), "batch_key"),
            (
                "unknown silo",
                change(consumption=[{"silo": "999", "quantity": 1.0}]),
                "consumption[0].silo",
            ),
            (
                "silo not on this MO",
                change(consumption=[{"silo": "103", "quantity": 1.0}]),
                "consumption[0].silo",
            ),
            (
                "silo twice",
                change(
                    consumption=[
                        {"silo": "101", "quantity": 1.0},
                        {"silo": "101", "quantity": 2.0},
                    ]
                ),
                "consumption[1].silo",
            ),
            (
                "silo an int",
                change(consumption=[{"silo": 101, "quantity": 1.0}]),
                "consumption[0].silo",
            ),
            ("negative", quantity(-1.0), "consumption[0].quantity"),
            ("NaN", quantity(nan), "consumption[0].quantity"),
            ("infinite", quantity(inf, 1), "consumption[1].quantity"),
            ("string quantity", quantity("12.5"), "consumption[0].quantity"),
            ("bool quantity", quantity(True), "consumption[0].quantity"),
            (
                "quantity missing",
                change(consumption=[{"silo": "101"}]),
                "consumption[0]",
            ),
            ("consumption not a list", change(consumption={"101": 1.0}), "consumption"),
            (
                "consumption item not an object",
                change(consumption=[["101", 1.0]]),
                "consumption[0]",
            ),
            ("negative finished", change(finished_quantity=-5), "finished_quantity"),
            ("NaN finished", change(finished_quantity=nan), "finished_quantity"),
            ("string finished", change(finished_quantity="998"), "finished_quantity"),
            ("bad status", change(status="ok"), "status"),
            ("bad date", change(started_at="yesterday"), "started_at"),
            ("date not a string", change(finished_at=12345), "finished_at"),
            ("message not a string", change(message=5), "message"),
            ("unknown field", change(colour="red"), "colour"),
            ("huge integer", quantity(10**400), "consumption[0].quantity"),
            ("huge float", quantity(1e308), "consumption[0].quantity"),
            ("huge finished", change(finished_quantity=1e300), "finished_quantity"),
            ("NUL in line", change(line="T\x001"), "line"),
            (
                "NUL in silo",
                change(consumption=[{"silo": "10\x001", "quantity": 1.0}]),
                "consumption[0].silo",
            ),
            ("NUL in message", change(message="motor\x00"), "message"),
            (
                "date out of range",
                change(started_at="0001-01-01T00:00:00+01:00"),
                "started_at",
            ),
        ] + [
            ("missing " + name, without(name), name)
            for name in ("mo_id", "line", "batch_key", "consumption", "status")
        ]
        for label, payload, needle in cases:
            with self.subTest(label):
                result = self.report(payload)
                self.assertEqual(result["status"], "rejected", label)
                self.assertIn(needle, result["reason"], label)
                self.assertFalse(result["duplicate"])
        # A line the agent is not bound to (here no line at all) is refused outright;
        # an administrator is told that the line is unknown.
        for unknown in ("NOPE", "T1\u00e9"):
            with self.assertRaises(AccessError):
                self.report(change(line=unknown))
        result = (
            self.env["mrp.production"]
            .with_user(self.env.ref("base.user_admin"))
            .plc_report_batch(change(line="NOPE"))
        )
        self.assertEqual(result["status"], "rejected")
        self.assertIn("line", result["reason"])
        # Nothing was written by any of them.
        self.assertEqual(production.plc_state, "sent")
        self.assertFalse(production.plc_report_digest)
        self.assertFalse(production.plc_reported_at)
        self.assertFalse(production.plc_consumption_ids.filtered("reported"))
        self.assertFalse(any(production.move_raw_ids.mapped("quantity_done")))
        self.assertEqual(not_sent.plc_state, "ready")
        # And the good payload is still accepted afterwards.
        self.assertEqual(self.report(good)["status"], "done")

    def test_cancelled_and_done_mo_rejected(self):
        production = create_mo(self.env, self.bom, 1000.0)
        batch = self.send(production)
        production.action_cancel()
        result = self.report(self.payload(batch))
        self.assertEqual(result["status"], "rejected")
        self.assertIn("cancel", result["reason"])

    def test_report_of_mo_of_another_line(self):
        from .common import build_plant

        other = build_plant(self.env, "T2")
        self.bind_agent(other["line"])
        production = create_mo(self.env, self.bom, 1000.0)
        batch = self.send(production)
        result = self.report(dict(self.payload(batch), line="T2"))
        self.assertEqual(result["status"], "rejected")
        self.assertIn("T2", result["reason"])
        self.assertTrue(other["line"])

    def test_timing_report_vs_mark_done(self):
        """Server time of plc_report_batch next to Odoo's own button_mark_done."""

        def report_once():
            production = create_mo(self.env, self.bom, 1000.0)
            payload = self.payload(
                self.send(production), {"101": 601.0}, finished=999.0
            )
            self.env["base"].flush()
            queries = self.cr.sql_log_count
            start = time.perf_counter()
            result = self.report(payload)
            self.env["base"].flush()
            elapsed = time.perf_counter() - start
            self.assertEqual(result["status"], "done")
            return elapsed, self.cr.sql_log_count - queries

        def mark_done_once():
            production = create_mo(self.env, self.bom, 1000.0)
            production.action_assign()
            production.qty_producing = 999.0
            production._set_qty_producing()
            self.env["base"].flush()
            queries = self.cr.sql_log_count
            start = time.perf_counter()
            production.with_context(skip_backorder=True).button_mark_done()
            self.env["base"].flush()
            elapsed = time.perf_counter() - start
            self.assertEqual(production.state, "done")
            return elapsed, self.cr.sql_log_count - queries

        report_once()
        mark_done_once()
        reports = [report_once() for _i in range(3)]
        marks = [mark_done_once() for _i in range(3)]
        _logger.info(
            "TIMING plc_report_batch: %s ms (queries %s); button_mark_done: %s ms "
            "(queries %s), one MO with 4 component moves, 3 runs each after a warm-up",
            [round(t * 1000, 1) for t, _q in reports],
            [q for _t, q in reports],
            [round(t * 1000, 1) for t, _q in marks],
            [q for _t, q in marks],
        )
