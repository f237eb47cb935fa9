# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, fields, models


class StockMoveLine(models.Model):
    _inherit = "stock.move.line"

    # Odoo's Traceability report looks up, for every done line of a lot it shows, the
    # lines that brought that lot into the line's location (a search by product, lot,
    # location and date), and the lot's own lines by lot: without an index each of those
    # reads every move line. On 10,000 closed batches (`python -m bench trace`,
    # docs/performance.md) that was 445 full scans of 40,275 lines in one forward trace.
    lot_id = fields.Many2one(index=True)

    def _action_done(self):
        """A done transfer of a lot into a silo's location is an entry of its history."""
        # The lines with a quantity done are the ones that stay (Odoo deletes the
        # others), chosen before: no query for a transfer without lots.
        lines = self.filtered(lambda ml: ml.lot_id and ml.qty_done)
        result = super()._action_done()
        if lines:
            lines._plc_enter_silo_fills()
        return result

    def _plc_enter_silo_fills(self):
        """An entry of the history of each silo whose location a done line of a lot entered."""
        lines = self
        # Whoever validates the transfer fills the silo, manufacturing user or not.
        silos = (
            self.env["mrp.plc.silo"]
            .sudo()
            .search([("location_id", "in", lines.mapped("location_dest_id").ids)])
        )
        if not silos:
            return
        values = []
        for line in lines.sorted(lambda ml: (ml.date, ml.id)):
            for silo in silos.filtered(lambda s, ml=line: s.location_id == ml.location_dest_id):
                values.append(
                    {
                        "silo_id": silo.id,
                        "product_id": line.product_id.id,
                        "lot_id": line.lot_id.id,
                        "valid_from": line.date,
                        "entered_by": self.env.user.id,
                        "how": "transfer",
                        "move_line_id": line.id,
                        "note": _("Transfer %s", line.reference or line.move_id.name),
                    }
                )
        self.env["mrp.plc.silo.fill"].sudo().create(values)
