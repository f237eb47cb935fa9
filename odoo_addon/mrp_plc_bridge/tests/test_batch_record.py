# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The batch record of an MO (PDF and HTML) and the auditor's CSV of a date range."""
import base64
import csv
import io

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from ..wizards.mrp_plc_batch_record_csv import COLUMNS
from .batch_record_common import SENTINEL, BatchRecordCase
from .common import create_mo

HOSTILE = "<script>alert(1)</script>"


@tagged("post_install", "-at_install")
class TestBatchRecord(BatchRecordCase):
    def test_the_record_shows_every_item_of_the_batch(self):
        production = self.full_batch()
        page = self.record_html(production)
        text = self.text(page)

        # Line, MO, BoM, product and finished lot.
        identity = self.section(page, "batch_identity")
        self.assertEqual(self.text(self.section(page, "line")), "BR - Line BR")
        self.assertEqual(self.text(self.section(page, "mo")), production.name)
        self.assertEqual(
            self.text(self.section(page, "bom")), production.bom_id.display_name
        )
        self.assertEqual(
            self.text(self.section(page, "product")), "[FEED-BR] Test feed BR"
        )
        self.assertTrue(production.lot_producing_id)
        self.assertEqual(
            self.text(self.section(page, "finished_lot")),
            production.lot_producing_id.name,
        )
        # The PLC's slot, batch number and times, in the reader's zone, the zone named.
        self.assertEqual(self.text(self.section(page, "slot")), "3")
        self.assertEqual(self.text(self.section(page, "batch_number")), "42")
        self.assertEqual(self.text(self.section(page, "run")), "2")
        self.assertEqual(
            self.text(self.section(page, "batch_key")), production.plc_batch_key
        )
        self.assertIn("Batch started (PLC) 2026-11-28 08:00:00 CET", self.text(identity))
        self.assertIn(
            "Batch finished (PLC) 2026-11-28 08:04:30 CET", self.text(identity)
        )
        lines = self.env["mrp.plc.line"].with_user(self.reader)
        for moment in (production.plc_sent_at, production.plc_reported_at):
            zoned = lines._plc_time_text(moment)
            self.assertTrue(zoned.endswith(" CET"), zoned)
            self.assertIn(zoned, self.text(identity))

        # Planned and actual per silo, unit, deviation, verdict and the lot booked.
        rows = {
            (row.get("data-run"), row.get("data-silo")): [
                self.text(cell) for cell in row.xpath("td")
            ]
            for row in self.section(page, "silos").xpath(".//tr[@data-silo]")
        }
        self.assertEqual(
            sorted(rows), [(run, silo) for run in "12" for silo in ("101", "102", "114")]
        )
        maize_booked = "MAIZE-LOT-A (732.37 kg)"  # 120 in the failed run, 612.37 after
        self.assertEqual(
            rows[("2", "101")],
            [
                "2",
                "101 Silo 101",
                "[RM-MAIZE-BR] Ground maize BR",
                "600.00",
                "612.37 (suspect)",
                "kg",
                "+2.06 %",
                "Beyond tolerance",
                maize_booked,
                "",
            ],
        )
        self.assertEqual(
            rows[("2", "102")][3:9],
            ["380.00", "379.10", "kg", "-0.24 %", "Within tolerance", "no lot"],
        )
        self.assertEqual(
            rows[("1", "101")][3:9],
            ["600.00", "120.00", "kg", "-80.00 %", "Beyond tolerance", maize_booked],
        )
        booked = production.move_raw_ids.filtered(
            lambda m: m.product_id == self.products["maize"] and m.state == "done"
        ).move_line_ids
        self.assertEqual(booked.lot_id, self.lot_a)
        self.assertAlmostEqual(sum(booked.mapped("qty_done")), 732.37, places=2)

        # The finished weight.
        self.assertEqual(self.text(self.section(page, "finished_weight")), "998.20 kg")
        # The failure on the line while the second run went on, and the manual weighing.
        failures = self.text(self.section(page, "failures"))
        self.assertIn("2026-11-28 08:01:30 CET", failures)
        self.assertIn("Silo 101 (silo101)", failures)
        self.assertIn("START_FAILURE", failures)
        weighings = self.text(self.section(page, "weighings"))
        self.assertIn("2026-11-28 08:02:00 CET", weighings)
        self.assertIn("[RM-PREMIX-BR] Vitamin premix BR", weighings)
        self.assertIn("12.50 kg", weighings)
        # The suspect value, who accepted it and when.
        run = production.plc_run_ids.filtered(lambda r: r.run == 2)
        self.assertEqual(run.accepted_by_id, self.planner)
        suspects = self.text(self.section(page, "suspects"))
        self.assertIn("Run 2", suspects)
        self.assertIn("silo 101, raw words [3, 65535]: low word 0xFFFF", suspects)
        self.assertIn(
            "Accepted by Batch Planner at %s." % lines._plc_time_text(run.accepted_at),
            suspects,
        )
        # The runs: why the first one failed.
        runs = {
            row.get("data-run"): [self.text(cell) for cell in row.xpath("td")]
            for row in self.section(page, "runs").xpath(".//tr[@data-run]")
        }
        self.assertEqual(sorted(runs), ["1", "2"])
        self.assertEqual(runs["1"][2:5], ["Failed", "2", "41"])
        self.assertEqual(runs["1"][6:8], ["2026-11-28 07:00:01 CET", "2026-11-28 07:04:12 CET"])
        self.assertIn("Mixer motor tripped", runs["1"][9])
        self.assertEqual(runs["2"][1:5], [production.plc_batch_key, "Recorded", "3", "42"])
        self.assertIn("low word 0xFFFF", runs["2"][9])
        self.assertIn("None: the figures are as the line reported them.", text)

    def test_the_record_escapes_what_the_line_and_people_wrote(self):
        self.silos["101"].name = "<b>Maize</b> silo"
        production = self.full_batch(
            failure_info=HOSTILE, message="<img src=x onerror=alert(2)>"
        )
        page = self.record_html(production)
        # The layout brings its own scripts; the record's page has none of the line's.
        (record,) = page.xpath("//div[contains(@class, 'o_plc_batch_record')]")
        self.assertFalse(
            record.xpath(".//script | .//img | .//b"), "no markup from the line"
        )
        text = self.text(record)
        self.assertIn(HOSTILE, text)
        self.assertIn("<img src=x onerror=alert(2)>", text)
        self.assertIn("101 <b>Maize</b> silo", text)
        self.assertIn(
            "<b>Maize</b> silo (silo101) " + HOSTILE,
            self.text(self.section(page, "failures")),
        )
        # The raw HTML carries the line's text escaped.
        raw = self.report_action.with_user(self.reader)._render_qweb_html(production.ids)[0]
        self.assertIn(b"&lt;script&gt;alert(1)&lt;/script&gt;", raw)
        self.assertNotIn(b"<script>alert(1)", raw)

    def test_an_mo_the_line_never_ran_has_an_empty_record(self):
        production = create_mo(self.env, self.bom, 10.0, confirm=False)
        text = self.text(self.record_html(production))
        self.assertIn("The line has reported no run of this order.", text)
        self.assertIn("PLC slot not reported", text)
        self.assertIn("None reported.", text)

    def test_the_print_menu_of_the_mo_offers_the_record(self):
        action = self.report_action
        self.assertEqual(action.binding_model_id.model, "mrp.production")
        self.assertEqual(action.report_type, "qweb-pdf")
        prints = self.env["ir.actions.actions"].get_bindings("mrp.production")["report"]
        self.assertIn(action.id, [entry["id"] for entry in prints])

    def test_the_pdf_renders_where_wkhtmltopdf_is_installed(self):
        state = self.report_action.get_wkhtmltopdf_state()
        if state != "ok":
            self.skipTest(
                "wkhtmltopdf is not usable here (state %r): the PDF is not rendered" % state
            )
        production = self.done_batch(slot=1, batch_number=7)
        # Core renders HTML in tests unless asked; nothing to fetch the assets from here.
        self.env["ir.config_parameter"].sudo().set_param("report.url", "http://127.0.0.1:9")
        pdf, kind = self.report_action.with_context(
            force_report_rendering=True
        )._render_qweb_pdf(production.ids)
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF-"), pdf[:20])
        self.assertGreater(len(pdf), 5000)

    # ------------------------------------------------------------------
    # The auditor's CSV
    # ------------------------------------------------------------------

    def export(self, date_from, date_to, lines=None, user=None):
        wizard = (
            self.env["mrp.plc.batch.record.export"]
            .with_user(user or self.reader)
            .create(
                {
                    "date_from": date_from,
                    "date_to": date_to,
                    "line_ids": [(6, 0, lines.ids if lines else [])],
                }
            )
        )
        action = wizard.action_export()
        self.assertEqual(
            action["url"], "/web/content/%d?download=true" % wizard.attachment_id.id
        )
        self.assertEqual(wizard.attachment_id.mimetype, "text/csv")
        content = base64.b64decode(wizard.attachment_id.datas).decode("utf-8")
        return list(csv.reader(io.StringIO(content)))

    def test_a_date_range_exports_one_row_per_mo_and_silo(self):
        full = self.full_batch()
        # Finished at 23:30 UTC on the 28th: the 29th in Berlin, outside the range.
        late = self.done_batch(
            started_at="2026-11-28T23:20:00+00:00",
            finished_at="2026-11-28T23:30:00+00:00",
            batch_number=43,
        )
        plain = self.done_batch()
        rows = self.export("2026-11-28", "2026-11-28", self.line)
        self.assertEqual(rows[0], list(COLUMNS))
        body = rows[1:]
        self.assertEqual({row[1] for row in body}, {full.name, plain.name})
        by_key = {(row[1], row[4], row[8]): dict(zip(COLUMNS, row)) for row in body}
        self.assertEqual(len(body), len(by_key))
        self.assertEqual(len([key for key in by_key if key[0] == full.name]), 6)
        maize = by_key[(full.name, "2", "101")]
        self.assertEqual(
            maize,
            {
                "Line": "BR",
                "MO": full.name,
                "Product": "[FEED-BR] Test feed BR",
                "Finished lot": full.lot_producing_id.name,
                "Run": "2",
                "Batch number": "42",
                "Started": "2026-11-28 08:00:00 CET",
                "Finished": "2026-11-28 08:04:30 CET",
                "Silo": "101",
                "Material": "[RM-MAIZE-BR] Ground maize BR",
                "Lot(s)": "MAIZE-LOT-A: 732.37 kg",
                "Planned": "600.00",
                "Actual": "612.37",
                "Unit": "kg",
                "Deviation %": "2.06",
                "Verdict": "Beyond tolerance",
                "Corrected actual": "",
                "Corrections": "",
            },
        )
        self.assertEqual(by_key[(full.name, "1", "101")]["Deviation %"], "-80.00")
        self.assertEqual(by_key[(full.name, "1", "101")]["Batch number"], "41")
        # The next day holds the late batch only.
        rows = self.export("2026-11-29", "2026-11-30")
        self.assertEqual({row[1] for row in rows[1:]}, {late.name})
        self.assertEqual(len(rows), 1 + 3)

    def test_the_export_filters_lines_and_says_when_nothing_is_in_range(self):
        self.done_batch()
        other = self.env["mrp.plc.line"].create({"code": "BR2", "name": "Line BR2"})
        with self.assertRaisesRegex(UserError, "No batch of BR2 finished from 2026-11-28"):
            self.export("2026-11-28", "2026-11-28", other)
        with self.assertRaises(ValidationError):
            self.export("2026-11-28", "2026-11-27")

    def test_the_export_keeps_a_spreadsheet_from_running_text(self):
        formula = '=HYPERLINK("http://example.com")'
        self.products["soy"].write({"name": formula, "default_code": False})
        self.done_batch({"102": 370.0})
        rows = self.export("2026-11-28", "2026-11-28", self.line)
        soy = [row for row in rows[1:] if row[COLUMNS.index("Silo")] == "102"]
        self.assertEqual(len(soy), 1)
        self.assertEqual(soy[0][COLUMNS.index("Material")], "'" + formula)
        # Numbers stay numbers, a negative deviation too.
        self.assertEqual(soy[0][COLUMNS.index("Deviation %")], "-2.63")

    def test_the_wizard_is_in_manufacturing_reporting(self):
        menu = self.env.ref("mrp_plc_bridge.menu_mrp_plc_batch_record_export")
        self.assertEqual(menu.parent_id, self.env.ref("mrp.menu_mrp_reporting"))
        form = Form(self.env["mrp.plc.batch.record.export"].with_user(self.reader))
        self.assertTrue(form.date_from and form.date_to)
        self.assertLessEqual(form.date_from, form.date_to)

    def test_the_record_reads_suspect_values_left_for_a_person(self):
        production = self.done_batch_waiting()
        suspects = self.text(self.section(self.record_html(production), "suspects"))
        self.assertIn("Waiting for a person.", suspects)

    def done_batch_waiting(self):
        production = create_mo(self.env, self.bom, 1000.0)
        result = self.report(
            self.payload(self.send(production), {"101": 612.37}, suspect=[SENTINEL])
        )
        self.assertEqual(result["status"], "recorded")
        return production
