# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The lot in the silo when the line dosed the batch, and Odoo's own traceability.

Silo 101 holds lot-tracked maize. A batch is booked on the lot the silo's history says it
held between the PLC's start and finish of the batch, whenever the report arrives and
whenever a person accepts it; a batch during which the lot changed waits for a person,
who books it on the lot(s) it came from.
"""
import datetime

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import (
    BOM_LINES,
    PlcBridgeCase,
    create_bom,
    create_line,
    create_product,
    create_silo,
)


def iso(value):
    """A datetime as the agent sends it."""
    return value.strftime("%Y-%m-%dT%H:%M:%S+00:00")


@tagged("post_install", "-at_install")
class TestSiloLots(PlcBridgeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.now = fields.Datetime.now()
        cls.manager = cls._user("plc_lots_manager", "mrp.group_mrp_manager")
        cls.planner = cls._user("plc_lots_planner", "mrp.group_mrp_user")
        cls.maize = create_product(env, "Tracked maize", "RM-MAIZE-LT", tracking="lot")
        soy = create_product(env, "Soybean meal LT", "RM-SOY-LT")
        molasses = create_product(env, "Molasses LT", "RM-MOL-LT")
        cls.feed = create_product(env, "Traced feed", "FEED-LT", tracking="lot")
        cls.plant_line = create_line(env, "LT")
        cls.bind_agent_to(cls.plant_line)
        # Silo 101 is set up empty: its history begins with the refill two days ago.
        cls.silo = create_silo(env, cls.plant_line, "101", None)
        create_silo(env, cls.plant_line, "102", soy)
        create_silo(env, cls.plant_line, "114", molasses, kind="tank")
        products = {"maize": cls.maize, "soy": soy, "molasses": molasses}
        cls.lt_bom = create_bom(
            env,
            cls.feed,
            [(products[name], qty) for name, qty in BOM_LINES],
            line=cls.plant_line,
        )
        cls.lot_a = cls._lot(cls.maize, "MAIZE-A")
        cls.lot_b = cls._lot(cls.maize, "MAIZE-B")
        cls.stock = env.ref("stock.stock_location_stock")
        # Lot A came in first: the MOs reserve it first.
        cls._receive(cls.maize, cls.lot_a, 5000.0)
        cls._receive(cls.maize, cls.lot_b, 5000.0)
        for product in (soy, molasses):
            cls._receive(product, None, 5000.0)
        cls.refill(cls.silo, cls.lot_a, cls.now - datetime.timedelta(days=2))

    # ------------------------------------------------------------------
    # Builders
    # ------------------------------------------------------------------

    @classmethod
    def _user(cls, login, group):
        return (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": login,
                    "login": login,
                    "email": login + "@example.com",
                    "groups_id": [
                        (
                            6,
                            0,
                            [
                                cls.env.ref(group).id,
                                cls.env.ref("stock.group_production_lot").id,
                            ],
                        )
                    ],
                }
            )
        )

    @classmethod
    def bind_agent_to(cls, line):
        line.plc_agent_user_ids = [(4, cls.agent.id)]

    @classmethod
    def _lot(cls, product, name):
        return cls.env["stock.production.lot"].create(
            {"name": name, "product_id": product.id, "company_id": cls.env.company.id}
        )

    @classmethod
    def _receive(cls, product, lot, quantity, destination=None):
        """A done receipt of ``quantity`` (of ``lot``) into ``destination`` (stock)."""
        env = cls.env
        destination = destination or env.ref("stock.stock_location_stock")
        supplier = env.ref("stock.stock_location_suppliers")
        move = env["stock.move"].create(
            {
                "name": "Receipt of %s" % (lot.name if lot else product.name),
                "product_id": product.id,
                "product_uom": product.uom_id.id,
                "product_uom_qty": quantity,
                "location_id": supplier.id,
                "location_dest_id": destination.id,
            }
        )
        move._action_confirm()
        env["stock.move.line"].create(
            {
                "move_id": move.id,
                "product_id": product.id,
                "product_uom_id": product.uom_id.id,
                "location_id": supplier.id,
                "location_dest_id": destination.id,
                "lot_id": lot.id if lot else False,
                "qty_done": quantity,
            }
        )
        move._action_done()
        return move

    @classmethod
    def refill(cls, silo, lot, when, user=None):
        """The Refill button on the silo, as a manufacturing manager presses it."""
        action = silo.with_user(user or cls.manager).action_plc_refill()
        wizard_model = cls.env[action["res_model"]].with_user(user or cls.manager)
        form = Form(wizard_model.with_context(**action["context"]))
        form.product_id = lot.product_id
        form.lot_id = lot
        form.valid_from = when
        return form.save().action_refill()

    def mo(self):
        production = Form(self.env["mrp.production"])
        production.product_id = self.feed
        production.bom_id = self.lt_bom
        production.product_qty = 1000.0
        production = production.save()
        production.action_confirm()
        production.action_assign()
        return production

    def dosed(self, production, start, end, **extra):
        """The report of ``production``'s batch, dosed from ``start`` to ``end``."""
        return self.payload(
            self.send(production), started_at=iso(start), finished_at=iso(end), **extra
        )

    def maize_lines(self, production):
        """Lot -> quantity done on the MO's maize move lines."""
        quantities = {}
        for line in production.move_raw_ids.filtered(
            lambda m: m.product_id == self.maize
        ).move_line_ids:
            if line.qty_done:
                quantities[line.lot_id.name] = (
                    quantities.get(line.lot_id.name, 0.0) + line.qty_done
                )
        return quantities

    def newest(self, silo):
        """The silo's newest history entry."""
        return self.env["mrp.plc.silo.fill"].search(
            [("silo_id", "=", silo.id)], order="valid_from desc, id desc", limit=1
        )

    def hours_ago(self, hours, minutes=0):
        return self.now - datetime.timedelta(hours=hours, minutes=minutes)

    # ------------------------------------------------------------------
    # Odoo's traceability report, as its screen calls it
    # ------------------------------------------------------------------

    def trace_lot(self, lot):
        """The rows of a lot's Traceability report (the button on the lot)."""
        return (
            self.env["stock.traceability.report"]
            .with_context(active_id=lot.id, model="stock.production.lot")
            .get_lines()
        )

    def trace_onwards(self, row):
        """What a consumption row was used in: the report's up/downstream button."""
        return (
            self.env["stock.traceability.report"]
            .with_context(
                active_id=row["model_id"], model=row["model"], lot_name=row["lot_name"]
            )
            .get_lines()
        )

    def unfold(self, row):
        """A row unfolded: for a production row, what it consumed."""
        return self.env["stock.traceability.report"].get_lines(
            row["id"],
            model_id=row["model_id"],
            model_name=row["model"],
            level=row["level"] + 30,
        )

    def assertTraced(self, production, lot, reaches):
        """From ``lot``, Odoo's report reaches ``production`` and its finished lot, or not."""
        rows = [
            r
            for r in self.trace_lot(lot)
            if r["res_model"] == "mrp.production" and r["res_id"] == production.id
        ]
        if not reaches:
            self.assertFalse(rows, "lot %s reaches %s" % (lot.name, production.name))
            return
        self.assertTrue(rows, "lot %s does not reach %s" % (lot.name, production.name))
        finished = set()
        for row in rows:
            self.assertEqual(
                (row["reference"], row["lot_name"]), (production.name, lot.name)
            )
            self.assertTrue(row["is_used"], "the consumption row leads nowhere")
            finished |= {(r["reference"], r["lot_name"]) for r in self.trace_onwards(row)}
        self.assertEqual(
            finished, {(production.name, production.lot_producing_id.name)}
        )

    def consumed_lots(self, finished_lot):
        """Back from a finished lot: the lots of the components its MO consumed."""
        [produced] = [
            r
            for r in self.trace_lot(finished_lot)
            if r["res_model"] == "mrp.production"
        ]
        return {r["lot_name"] for r in self.unfold(produced) if r["lot_name"]}

    # ------------------------------------------------------------------
    # The lot at the moment of dosing
    # ------------------------------------------------------------------

    def test_refilled_after_the_batch_and_reported_later_is_booked_on_the_old_lot(self):
        production = self.mo()
        reserved = production.move_raw_ids.filtered(
            lambda m: m.product_id == self.maize
        ).move_line_ids
        self.assertEqual(reserved.lot_id, self.lot_a, "reserved on lot A first")
        payload = self.dosed(production, self.hours_ago(3), self.hours_ago(3, -4))
        # The silo is refilled after the batch while Odoo is down; the agent keeps the
        # report and sends it when Odoo is back.
        self.refill(self.silo, self.lot_b, self.hours_ago(1))
        self.assertEqual(self.silo.lot_id, self.lot_b)
        result = self.report(payload)
        self.assertEqual(result["status"], "done", result["reason"])
        self.assertEqual(self.maize_lines(production), {"MAIZE-A": 600.0})
        [consumption] = production.plc_consumption_ids.filtered(
            lambda c: c.silo_code == "101"
        )
        self.assertEqual(
            (consumption.lot_state, consumption.lot_id, consumption.dosed_lot_ids),
            ("silo", self.lot_a, self.lot_a),
        )
        self.assertEqual(
            (consumption.dosed_from, consumption.dosed_to),
            (self.hours_ago(3), self.hours_ago(3, -4)),
        )
        # The reservation stayed on A: lot B was neither reserved nor consumed.
        quant_b = self.env["stock.quant"].search(
            [("lot_id", "=", self.lot_b.id), ("location_id", "=", self.stock.id)]
        )
        self.assertEqual((quant_b.quantity, quant_b.reserved_quantity), (5000.0, 0.0))
        self.assertFalse(
            production.move_raw_ids.move_line_ids.filtered(
                lambda ml: ml.lot_id == self.lot_b
            )
        )
        self.assertTrue(production.lot_producing_id)
        self.assertTraced(production, self.lot_a, reaches=True)
        self.assertTraced(production, self.lot_b, reaches=False)
        self.assertEqual(self.consumed_lots(production.lot_producing_id), {"MAIZE-A"})

    def test_refilled_during_the_batch_waits_for_a_person_who_splits_it(self):
        production = self.mo()
        payload = self.dosed(production, self.hours_ago(3), self.hours_ago(3, -4))
        self.refill(self.silo, self.lot_b, self.hours_ago(3, -2))
        result = self.report(payload)
        self.assertEqual(result["status"], "recorded")
        change = fields.Datetime.to_string(self.hours_ago(3, -2))
        for named in ("silo 101", "lot MAIZE-A", "then lot MAIZE-B from %s UTC" % change):
            self.assertIn(named, result["reason"])
        self.assertIn("Choose the lots", result["reason"])
        self.assertEqual(production.plc_reason, result["reason"])
        self.assertTrue(production.activity_ids)
        [consumption] = production.plc_consumption_ids.filtered(
            lambda c: c.silo_code == "101"
        )
        self.assertEqual(consumption.lot_state, "question")
        self.assertEqual(consumption.dosed_lot_ids, self.lot_a | self.lot_b)
        # The actual is on the moves, on no lot: nothing booked silently on A or B.
        self.assertEqual(self.maize_lines(production), {False: 600.0})
        with self.assertRaises(UserError):
            production.with_user(self.planner).action_plc_accept_actuals()
        self.assertEqual(production.plc_state, "recorded")
        self.assertNotEqual(production.state, "done")
        # The person splits the 600 kg: 450 kg still of lot A, 150 kg of the new lot B.
        action = consumption.with_user(self.planner).action_plc_choose_lots()
        wizard = Form(
            self.env[action["res_model"]]
            .with_user(self.planner)
            .with_context(**action["context"])
        ).save()
        self.assertEqual(
            [(share.lot_id, share.plc_qty) for share in wizard.share_ids],
            [(self.lot_a, 600.0), (self.lot_b, 0.0)],
            "the lot in the silo when the batch started proposed first",
        )
        wizard.share_ids[0].plc_qty = 450.0
        wizard.share_ids[1].plc_qty = 150.0
        wizard.action_choose()
        self.assertEqual(consumption.lot_state, "chosen")
        self.assertEqual(consumption.lot_chosen_by, self.planner)
        self.assertEqual(
            self.maize_lines(production), {"MAIZE-A": 450.0, "MAIZE-B": 150.0}
        )
        self.assertIn(
            "MAIZE-A (450.0 kg), MAIZE-B (150.0 kg)",
            "".join(production.message_ids.mapped("body")),
        )
        production.with_user(self.planner).action_plc_accept_actuals()
        self.assertEqual((production.state, production.plc_state), ("done", "done"))
        self.assertEqual(self.maize_lines(production), {"MAIZE-A": 450.0, "MAIZE-B": 150.0})
        self.assertTraced(production, self.lot_a, reaches=True)
        self.assertTraced(production, self.lot_b, reaches=True)
        self.assertEqual(
            self.consumed_lots(production.lot_producing_id), {"MAIZE-A", "MAIZE-B"}
        )

    def test_a_person_books_a_questioned_batch_on_one_lot(self):
        production = self.mo()
        payload = self.dosed(production, self.hours_ago(3), self.hours_ago(3, -4))
        self.refill(self.silo, self.lot_b, self.hours_ago(3, -2))
        self.assertEqual(self.report(payload)["status"], "recorded")
        consumption = production.plc_consumption_ids.filtered(
            lambda c: c.silo_code == "101"
        )
        Choice = self.env["mrp.plc.lot.choice"].with_user(self.planner)
        form = Form(Choice.with_context(default_consumption_id=consumption.id))
        with form.share_ids.edit(0) as share:
            share.plc_qty = 500.0
        wizard = form.save()
        with self.assertRaisesRegex(UserError, "add up to 500.0 kg; silo 101 dosed 600.0"):
            wizard.action_choose()
        self.assertEqual(consumption.lot_state, "question")
        form = Form(Choice.with_context(default_consumption_id=consumption.id))
        with form.share_ids.edit(0) as share:
            share.plc_qty = 300.0
        with form.share_ids.edit(1) as share:
            share.lot_id = self.lot_a
            share.plc_qty = 300.0
        with self.assertRaisesRegex(UserError, "each lot once"):
            form.save().action_choose()
        form = Form(Choice.with_context(default_consumption_id=consumption.id))
        with form.share_ids.edit(0) as share:
            share.lot_id = self.lot_b
        form.save().action_choose()
        production.with_user(self.planner).action_plc_accept_actuals()
        self.assertEqual(production.state, "done")
        self.assertEqual(self.maize_lines(production), {"MAIZE-B": 600.0})
        self.assertTraced(production, self.lot_a, reaches=False)
        self.assertTraced(production, self.lot_b, reaches=True)
        # A closed MO keeps its lots.
        with self.assertRaisesRegex(UserError, "is closed"):
            consumption.with_user(self.planner).action_plc_choose_lots()

    def test_accepted_days_later_is_booked_on_the_lot_at_dosing_time(self):
        self.lt_bom.consumption = "strict"
        production = self.mo()
        dosed_at = self.now - datetime.timedelta(days=1, hours=3)
        payload = self.dosed(
            production,
            dosed_at,
            dosed_at + datetime.timedelta(minutes=4),
            actuals={"101": 612.0},
        )
        result = self.report(payload)
        self.assertEqual(result["status"], "recorded", "a strict BoM's deviation")
        self.assertIn("Strict BoM", result["reason"])
        self.assertEqual(self.maize_lines(production), {"MAIZE-A": 612.0})
        # The silo is refilled with B long after the report; the person accepts now.
        self.refill(self.silo, self.lot_b, self.hours_ago(2))
        production.with_user(self.planner).action_plc_accept_actuals()
        self.assertEqual(production.state, "done")
        self.assertEqual(self.maize_lines(production), {"MAIZE-A": 612.0})
        self.assertTraced(production, self.lot_a, reaches=True)
        self.assertTraced(production, self.lot_b, reaches=False)

    def test_a_batch_reported_before_the_upgrade_is_accepted_at_its_stored_times(self):
        self.lt_bom.consumption = "strict"
        production = self.mo()
        payload = self.dosed(
            production, self.hours_ago(5), self.hours_ago(5, -4), actuals={"101": 612.0}
        )
        self.assertEqual(self.report(payload)["status"], "recorded")
        # What 14.0.1.4.0 left on a recorded MO: its times, no dosing time on its lines.
        production.plc_consumption_ids.sudo().write(
            {"dosed_from": False, "dosed_to": False, "lot_state": False, "lot_id": False}
        )
        self.refill(self.silo, self.lot_b, self.hours_ago(1))
        production.with_user(self.planner).action_plc_accept_actuals()
        self.assertEqual(production.state, "done")
        self.assertEqual(self.maize_lines(production), {"MAIZE-A": 612.0})
        consumption = production.plc_consumption_ids.filtered(
            lambda c: c.silo_code == "101"
        )
        self.assertEqual(consumption.dosed_from, self.hours_ago(5))

    def test_a_batch_without_plc_times_takes_the_lot_at_report_time_and_says_so(self):
        production = self.mo()
        payload = self.payload(
            self.send(production), started_at=None, finished_at=None
        )
        self.refill(self.silo, self.lot_b, self.hours_ago(1))
        result = self.report(payload)
        self.assertEqual(result["status"], "done", result["reason"])
        self.assertEqual(self.maize_lines(production), {"MAIZE-B": 600.0})
        notes = production.message_ids.filtered(
            lambda m: "sent no start or finish time" in (m.body or "")
        )
        self.assertEqual(len(notes), 1)
        self.assertIn(
            fields.Datetime.to_string(production.plc_reported_at) + " UTC", notes.body
        )

    def test_a_batch_before_the_silos_history_waits_for_a_person(self):
        production = self.mo()
        before = self.now - datetime.timedelta(days=3)
        result = self.report(
            self.dosed(production, before, before + datetime.timedelta(minutes=4))
        )
        self.assertEqual(result["status"], "recorded")
        self.assertIn("silo 101 held nothing its history records.", result["reason"])
        self.assertEqual(self.maize_lines(production), {False: 600.0})

    def test_nothing_dosed_of_a_silo_whose_lot_changed_needs_no_choice(self):
        production = self.mo()
        payload = self.dosed(
            production,
            self.hours_ago(3),
            self.hours_ago(3, -4),
            actuals={"101": 0.0},
        )
        self.refill(self.silo, self.lot_b, self.hours_ago(3, -2))
        result = self.report(payload)
        self.assertEqual(result["status"], "done", result["reason"])
        consumption = production.plc_consumption_ids.filtered(
            lambda c: c.silo_code == "101"
        )
        self.assertEqual(consumption.lot_state, "none")

    def test_a_failed_run_and_the_next_run_are_booked_on_their_own_lots(self):
        production = self.mo()
        failed = self.dosed(
            production,
            self.hours_ago(4),
            self.hours_ago(4, -2),
            actuals={"101": 200.0, "102": 0.0, "114": 0.0},
            status="failed",
        )
        self.assertEqual(self.report(failed)["status"], "failed")
        self.refill(self.silo, self.lot_b, self.hours_ago(3))
        production.action_plc_release()
        second = self.dosed(production, self.hours_ago(2), self.hours_ago(2, -4))
        self.assertEqual(self.report(second)["status"], "done")
        self.assertEqual(
            self.maize_lines(production), {"MAIZE-A": 200.0, "MAIZE-B": 600.0}
        )

    # ------------------------------------------------------------------
    # The silo's history
    # ------------------------------------------------------------------

    def test_a_refill_before_the_last_entry_or_in_the_future_is_refused(self):
        last = self.newest(self.silo)
        self.assertEqual((last.lot_id, last.how), (self.lot_a, "refill"))
        with self.assertRaisesRegex(
            ValidationError, "is before the silo's last entry, lot MAIZE-A of"
        ):
            self.refill(self.silo, self.lot_b, self.now - datetime.timedelta(days=3))
        with self.assertRaisesRegex(ValidationError, "is in the future"):
            self.refill(self.silo, self.lot_b, self.now + datetime.timedelta(hours=1))
        self.assertEqual(self.silo.fill_ids, last)
        self.assertEqual(self.silo.lot_id, self.lot_a)
        # The same moment as the last entry is not before it.
        self.refill(self.silo, self.lot_b, last.valid_from)
        self.assertEqual(self.silo.lot_id, self.lot_b)
        self.assertEqual(len(self.silo.fill_ids), 2)

    def test_a_refill_of_a_tracked_product_needs_its_lot(self):
        action = self.silo.with_user(self.manager).action_plc_refill()
        form = Form(
            self.env[action["res_model"]]
            .with_user(self.manager)
            .with_context(**action["context"])
        )
        self.assertEqual(form.product_id, self.maize)
        self.assertEqual(form.last_fill_id, self.newest(self.silo))
        form.lot_id = self.lot_b
        form.product_id = self.feed
        self.assertFalse(form.lot_id, "a lot of another product is cleared")
        # The form asks for the lot; so does the button when called without it.
        refill = self.env["mrp.plc.silo.refill"].with_user(self.manager).create(
            {"silo_id": self.silo.id, "product_id": self.maize.id}
        )
        with self.assertRaisesRegex(UserError, "tracked by lot: give the lot"):
            refill.action_refill()
        self.assertEqual(self.silo.lot_id, self.lot_a)

    def test_every_write_of_product_or_lot_is_an_entry_and_tracked(self):
        silo = self.silo.with_context(tracking_disable=False)
        silo.with_user(self.manager).write({"lot_id": self.lot_b.id})
        newest = self.newest(silo)
        self.assertEqual(
            (newest.lot_id, newest.product_id, newest.how, newest.entered_by),
            (self.lot_b, self.maize, "refill", self.manager),
        )
        self.assertGreaterEqual(newest.valid_from, self.now)
        # The chatter tracks it, as it does at the end of the request.
        self.env["base"].flush()
        self.env.cr.precommit.run()
        tracked = silo.message_ids.mapped("tracking_value_ids").filtered(
            lambda t: t.field.name == "lot_id"
        )
        self.assertEqual(
            [(t.old_value_char, t.new_value_char) for t in tracked],
            [("MAIZE-A", "MAIZE-B")],
        )
        silo.write({"name": "Maize silo"})
        silo.write({"lot_id": self.lot_b.id})
        self.assertEqual(len(silo.fill_ids), 2, "only a change is an entry")
        silo.write({"product_id": False, "lot_id": False})
        self.assertEqual(self.newest(silo)._plc_content_text(), "empty")
        with self.assertRaisesRegex(ValidationError, "is a lot of"), self.cr.savepoint():
            silo.write({"product_id": self.feed.id, "lot_id": self.lot_a.id})
        # The form shows the history on its own tab.
        arch = self.env["mrp.plc.silo"].fields_view_get(view_type="form")["arch"]
        self.assertIn('name="content_history"', arch)
        self.assertIn('name="fill_ids"', arch)
        self.assertIn('name="action_plc_refill"', arch)

    def test_entries_are_read_only_and_only_managers_refill(self):
        entry = self.newest(self.silo)
        with self.assertRaisesRegex(UserError, "never changed"):
            entry.with_user(self.manager).write({"note": "typo"})
        with self.assertRaises(AccessError):
            entry.with_user(self.manager).unlink()
        self.assertEqual(entry.with_user(self.planner).lot_id, self.lot_a)
        with self.assertRaises(AccessError):
            self.refill(self.silo, self.lot_b, self.hours_ago(1), user=self.planner)
        with self.assertRaises(AccessError):
            self.env["mrp.plc.silo.fill"].with_user(self.agent).search([])
        self.assertEqual(self.silo.lot_id, self.lot_a)

    def test_a_done_transfer_into_the_silos_location_is_an_entry(self):
        location = self.env["stock.location"].create(
            {"name": "Silo 101", "usage": "internal", "location_id": self.stock.id}
        )
        self.silo.location_id = location
        lot_c = self._lot(self.maize, "MAIZE-C")
        move = self._receive(self.maize, lot_c, 30000.0, destination=location)
        newest = self.newest(self.silo)
        self.assertEqual(
            (newest.how, newest.lot_id, newest.move_line_id, newest.valid_from),
            ("transfer", lot_c, move.move_line_ids, move.move_line_ids.date),
        )
        self.assertEqual(self.silo.lot_id, lot_c)
        # Transfers elsewhere say nothing about the silo.
        self._receive(self.maize, self.lot_b, 10.0)
        self.assertEqual(self.newest(self.silo), newest)
