# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The batch records of a date range as CSV for an auditor: one row per MO and silo.

Plain Python called by the export wizard (mrp_plc_batch_record_export.py). The rows are
the batch record's own values (models/mrp_production_batch_record.py), one per
consumption line of every run, so the CSV and the printed record never disagree. Numbers
are written as numbers (a dot, no grouping), times in the exporting user's time zone with
the zone named, as on the record.
"""
import csv
import io

from odoo.tools import float_repr

from ..models.mrp_production_batch_record import QUANTITY_PRECISION

COLUMNS = (
    "Line",
    "MO",
    "Product",
    "Finished lot",
    "Run",
    "Batch number",
    "Started",
    "Finished",
    "Silo",
    "Material",
    "Lot(s)",
    "Planned",
    "Actual",
    "Unit",
    "Deviation %",
    "Verdict",
    "Corrected actual",
    "Corrections",
)
# A cell a spreadsheet would run as a formula (CSV injection); numbers are written apart.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value):
    """A text for a cell: as it is, unless a spreadsheet would take it for a formula."""
    value = "" if value in (None, False) else str(value)
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class BatchRecordCsv:
    """The CSV of the batch records of some MOs, for the user of ``env``."""

    def __init__(self, env):
        self.env = env
        self.digits = env["decimal.precision"].precision_get(QUANTITY_PRECISION)

    def number(self, value, digits=None):
        if value is None:
            return ""
        return float_repr(value, self.digits if digits is None else digits)

    def build(self, productions):
        """The CSV text of ``productions``' batch records, header first."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for production in productions:
            for row in self.rows(production):
                writer.writerow(row)
        return out.getvalue()

    def rows(self, production):
        """The rows of one MO: one per silo of each run."""
        record = production._plc_batch_record_rows()
        runs = {run.run: run for run in production.plc_run_ids}
        rows = []
        for silo in record["silos"]:
            run = runs.get(silo["run"])
            if run:
                batch_number = run.batch_number or ""
                started = run.started_at
                finished = run.finished_at
            else:
                batch_number = ""
                started = finished = False
            lots = "; ".join(
                "%s: %s %s" % (name, self.number(qty), uom)
                for name, qty, uom in silo["lots"]
            )
            corrections = " | ".join(
                "%(at)s %(user)s: %(old)s -> %(new)s %(uom)s (%(reason)s)" % correction
                for correction in silo["corrections"]
            )
            rows.append(
                [
                    text_cell(production.plc_line_id.code),
                    text_cell(production.name),
                    text_cell(production.product_id.display_name),
                    text_cell(record["finished_lots"]),
                    silo["run"],
                    batch_number,
                    text_cell(self._time(started)),
                    text_cell(self._time(finished)),
                    text_cell(silo["silo"]),
                    text_cell(silo["material"]),
                    text_cell(lots),
                    self.number(silo["planned"]),
                    self.number(silo["actual"]),
                    text_cell(silo["unit"]),
                    self.number(silo["deviation"], 2),
                    text_cell(silo["verdict_text"]),
                    self.number(silo["corrected"]),
                    text_cell(corrections),
                ]
            )
        return rows

    def _time(self, moment):
        return self.env["mrp.plc.line"]._plc_time_text(moment)
