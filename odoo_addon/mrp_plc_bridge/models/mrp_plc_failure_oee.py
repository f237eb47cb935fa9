# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""An equipment failure blocks the line's work center until the next batch starts."""
from odoo import models


class MrpPlcFailure(models.Model):
    _inherit = "mrp.plc.failure"

    def _plc_new_failure_reported(self):
        result = super()._plc_new_failure_reported()
        for failure in self:
            failure.line_id._plc_log_failure_time(
                failure.occurred_at, "%s (%s)" % (failure.name, failure.failure_key)
            )
        return result
