# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What the line reported for a closed MO is never overwritten; a correction is an entry."""
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .batch_record_common import BatchRecordCase
from .common import create_mo


@tagged("post_install", "-at_install")
class TestPlcCorrections(BatchRecordCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.production = cls.done_batch_of_class({"101": 612.37}, finished=998.2)
        cls.maize_line = cls.production.plc_consumption_ids.filtered(
            lambda c: c.silo_code == "101"
        )

    @classmethod
    def done_batch_of_class(cls, actuals, **extra):
        production = create_mo(cls.env, cls.bom, 1000.0)
        batch = next(
            b
            for b in cls.Production.plc_fetch_batches(cls.line.code, 100)["batches"]
            if b["mo_id"] == production.id
        )
        payload = cls.payload(cls, batch, actuals, **extra)
        result = cls.Production.plc_report_batch(payload)
        assert result["status"] == "done", result
        return production

    def correct(self, new_value, reason="Scale 101 was recalibrated", user=None, **values):
        """A correction made the way a manager makes it: the wizard on the MO."""
        action = self.production.with_user(user or self.manager).action_plc_open_correction()
        self.assertEqual(action["res_model"], "mrp.plc.correction.wizard")
        form = Form(
            self.env[action["res_model"]]
            .with_user(user or self.manager)
            .with_context(**action["context"])
        )
        form.target = values.get("target", "silo")
        if form.target == "silo":
            form.consumption_id = values.get("consumption", self.maize_line)
        form.new_value = new_value
        form.reason = reason
        wizard = form.save()
        wizard.action_record()
        return self.production.plc_correction_ids.sorted("id")[-1:]

    # ------------------------------------------------------------------
    # Read-only after the close
    # ------------------------------------------------------------------

    def test_a_write_to_a_closed_mo_figures_is_refused(self):
        manager_line = self.maize_line.with_user(self.manager)
        with self.assertRaisesRegex(UserError, r"Actual \(silo unit\) of silo 101") as caught:
            manager_line.plc_actual_qty = 600.0
        self.assertIn("Correct PLC figures", str(caught.exception))
        self.assertIn(self.production.name, str(caught.exception))
        # Nobody may: not the code that runs as superuser either.
        for field, value in (
            ("actual_qty", 600.0),
            ("planned_qty", 590.0),
            ("reported", False),
            ("silo_code", "102"),
        ):
            with self.assertRaisesRegex(UserError, "never overwritten"):
                self.maize_line.sudo().write({field: value})
        with self.assertRaisesRegex(UserError, "never deleted"):
            self.maize_line.sudo().unlink()
        with self.assertRaisesRegex(UserError, "gets no new consumption line"):
            self.env["mrp.plc.consumption"].create(
                {"production_id": self.production.id, "silo_code": "999"}
            )
        for field, value in (
            ("plc_finished_weight_actual", 1000.0),
            ("plc_finished_qty_actual", 1000.0),
            ("plc_started_at", "2026-11-28 05:00:00"),
            ("plc_finished_at", False),
            ("plc_batch_key", "BR-0-1"),
            ("plc_message", "all fine"),
        ):
            with self.assertRaisesRegex(UserError, "never overwritten") as caught:
                self.production.with_user(self.manager).sudo().write({field: value})
            self.assertIn(self.production._fields[field].string, str(caught.exception))
        run = self.production.plc_run_ids
        with self.assertRaisesRegex(UserError, "Batch Number|never changed"):
            run.sudo().write({"batch_number": 9})
        self.assertEqual(self.maize_line.plc_actual_qty, 612.37)
        self.assertEqual(self.production.plc_finished_weight_actual, 998.2)

    def test_the_same_value_and_other_fields_may_still_be_written(self):
        # Saving the form without changing a figure is no overwrite.
        self.maize_line.sudo().write({"plc_actual_qty": 612.37, "sequence": 5})
        self.production.write(
            {"plc_finished_weight_actual": 998.2, "plc_hold": False, "origin": "audit"}
        )
        self.assertEqual(self.production.origin, "audit")

    def test_open_mos_are_still_written_by_the_report(self):
        production = create_mo(self.env, self.bom, 1000.0)
        self.send(production)
        line = production.plc_consumption_ids[:1]
        line.sudo().write({"plc_actual_qty": 5.0})
        self.assertEqual(line.plc_actual_qty, 5.0)

    # ------------------------------------------------------------------
    # Corrections
    # ------------------------------------------------------------------

    def test_a_correction_keeps_both_values_and_who_made_it(self):
        stock = self.env.ref("stock.stock_location_stock")
        on_hand = self.products["maize"].with_context(location=stock.id).qty_available
        correction = self.correct(600.0, reason="Scale <b>101</b> read 2 % high")
        self.assertEqual(
            (correction.old_value, correction.new_value, correction.uom_id.name),
            (612.37, 600.0, "kg"),
        )
        self.assertEqual(correction.user_id, self.manager)
        self.assertTrue(correction.corrected_at)
        self.assertEqual(correction.consumption_id, self.maize_line)
        # The line's figure stays; the corrected one is next to it.
        self.assertEqual(self.maize_line.plc_actual_qty, 612.37)
        self.assertEqual(self.maize_line.corrected_actual_qty, 600.0)
        # Record keeping only: stock is as it was.
        self.assertEqual(
            self.products["maize"].with_context(location=stock.id).qty_available, on_hand
        )
        # The chatter has a note, the reason escaped.
        note = self.production.message_ids.filtered(
            lambda m: "PLC figure corrected" in (m.body or "")
        )
        self.assertEqual(len(note), 1)
        self.assertIn("from 612.37 to 600.00 kg", note.body)
        self.assertIn("Scale &lt;b&gt;101&lt;/b&gt; read 2 % high", note.body)
        self.assertNotIn("<b>101", note.body)
        self.assertIn("inventory adjustment", note.body)
        # The batch record shows both values and who made the correction.
        page = self.record_html(self.production)
        rows = {
            row.get("data-silo"): [self.text(cell) for cell in row.xpath("td")]
            for row in self.section(page, "silos").xpath(".//tr[@data-silo]")
        }
        self.assertEqual(rows["101"][4], "612.37")
        self.assertEqual(rows["101"][9], "600.00 kg (see corrections)")
        corrections = self.text(self.section(page, "corrections"))
        self.assertIn("Silo 101 ([RM-MAIZE-BR] Ground maize BR), run 1", corrections)
        self.assertIn("from 612.37 to 600.00 kg", corrections)
        self.assertIn("by Batch Manager at", corrections)
        self.assertIn(
            self.env["mrp.plc.line"]
            .with_user(self.reader)
            ._plc_time_text(correction.corrected_at),
            corrections,
        )
        self.assertIn("Scale <b>101</b> read 2 % high", corrections)

    def test_a_second_correction_starts_from_the_first(self):
        self.correct(600.0)
        second = self.correct(605.5, reason="The recalibration was wrong too")
        self.assertEqual((second.old_value, second.new_value), (600.0, 605.5))
        self.assertEqual(self.maize_line.corrected_actual_qty, 605.5)
        self.assertEqual(len(self.production.plc_correction_ids), 2)

    def test_the_finished_weight_is_corrected_in_kg(self):
        correction = self.correct(1001.0, target="finished_weight")
        self.assertFalse(correction.consumption_id)
        self.assertEqual(correction.figure, "Finished weight")
        self.assertEqual((correction.old_value, correction.new_value), (998.2, 1001.0))
        self.assertEqual(self.production.plc_finished_weight_actual, 998.2)
        finished = self.text(self.section(self.record_html(self.production), "finished"))
        self.assertIn("Weight reported 998.20 kg", finished)
        self.assertIn("Weight corrected 1,001.00 kg", finished)

    def test_only_managers_correct_with_a_reason_on_a_done_mo(self):
        with self.assertRaises(AccessError):
            self.production.with_user(self.planner).action_plc_open_correction()
        with self.assertRaises(AccessError):
            self.env["mrp.plc.consumption.correction"].with_user(self.planner).create(
                {
                    "production_id": self.production.id,
                    "consumption_id": self.maize_line.id,
                    "new_value": 1.0,
                    "reason": "x",
                }
            )
        Correction = self.env["mrp.plc.consumption.correction"].with_user(self.manager)
        values = {
            "production_id": self.production.id,
            "consumption_id": self.maize_line.id,
            "new_value": 600.0,
            "reason": "   ",
        }
        with self.assertRaisesRegex(ValidationError, "needs its reason"):
            Correction.create(values)
        with self.assertRaisesRegex(ValidationError, "must be a number"):
            Correction.create(dict(values, reason="r", new_value=-1.0))
        with self.assertRaisesRegex(UserError, "612.37 kg already"):
            Correction.create(dict(values, reason="r", new_value=612.37))
        # Who and when are the server's, whatever is given.
        correction = Correction.create(
            dict(values, reason="r", user_id=self.planner.id, old_value=1.0)
        )
        self.assertEqual((correction.user_id, correction.old_value), (self.manager, 612.37))
        open_mo = create_mo(self.env, self.bom, 1000.0)
        self.send(open_mo)
        with self.assertRaisesRegex(UserError, "is not done"):
            Correction.create(
                dict(values, production_id=open_mo.id, consumption_id=False, reason="r")
            )
        with self.assertRaisesRegex(UserError, "Only done orders"):
            open_mo.with_user(self.manager).action_plc_open_correction()
        with self.assertRaisesRegex(ValidationError, "belongs to"):
            Correction.create(
                dict(values, consumption_id=open_mo.plc_consumption_ids[0].id, reason="r")
            )

    def test_a_correction_is_never_changed_or_deleted(self):
        correction = self.correct(600.0)
        with self.assertRaisesRegex(UserError, "never changed"):
            correction.sudo().write({"new_value": 1.0})
        with self.assertRaisesRegex(UserError, "never deleted"):
            correction.sudo().unlink()
