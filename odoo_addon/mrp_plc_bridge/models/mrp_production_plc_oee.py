# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A reported batch goes into its line's work center time log (mrp_plc_line_oee.py)."""
from odoo import models

# A failed batch did not produce: its time is not productive.
PRODUCTIVE_REPORTS = ("done", "recorded")


class MrpProduction(models.Model):
    # The house rule splits a big model by concern, one file each.
    _inherit = "mrp.production"  # pylint: disable=consider-merging-classes-inherited

    def _plc_take_report(self, report):
        result = super()._plc_take_report(report)
        if not result.get("duplicate") and result.get("status") in PRODUCTIVE_REPORTS:
            self.plc_line_id._plc_log_batch_time(
                self, report.started_at, report.finished_at
            )
        return result
