# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What an operator weighed by hand for an MO: extra component moves, consumed once.

A weighing's move is its own: the line never doses it, so it is neither sent to the PLC
nor overwritten by a batch report.
"""
from odoo import fields, models


class MrpProduction(models.Model):
    # The house rule splits a big model by concern, one file each.
    _inherit = "mrp.production"  # pylint: disable=consider-merging-classes-inherited

    plc_weighing_ids = fields.One2many(
        "mrp.plc.weighing",
        "production_id",
        string="Manual Weighings",
        readonly=True,
    )

    def _plc_open_raw_moves(self):
        return super()._plc_open_raw_moves().filtered(
            lambda move: not move.plc_weighing_ids
        )

    def _plc_set_consumed_quantities(self, line, finished):
        result = super()._plc_set_consumed_quantities(line, finished)
        # Components outside the silos follow the plan, which a weighing's move has
        # none of: it keeps what was weighed.
        for weighing in self.plc_weighing_ids:
            move = weighing.move_id
            if weighing.state == "consumed" and move.state not in ("done", "cancel"):
                self._plc_set_move_quantity(move, weighing.product_qty, False)
        return result

    def _plc_add_weighed_component(self, product, qty):
        """An extra component move of ``qty`` (product UoM) for a manual weighing.

        On an open MO it waits, done, for the MO's closing; on a closed MO it is posted
        at once, as Odoo does for a component added to an unlocked done MO.
        """
        self.ensure_one()
        values = self._get_move_raw_values(product, 0.0, product.uom_id)
        values["additional"] = True
        closed = self.state == "done"
        if closed:
            values["state"] = "done"
            values["move_line_ids"] = [
                (
                    0,
                    0,
                    {
                        "product_id": product.id,
                        "product_uom_id": product.uom_id.id,
                        "qty_done": qty,
                        "location_id": values["location_id"],
                        "location_dest_id": values["location_dest_id"],
                        "company_id": self.company_id.id,
                        "production_id": self.id,
                    },
                )
            ]
        before = self.move_raw_ids
        self.write({"move_raw_ids": [(0, 0, values)]})
        move = self.move_raw_ids - before
        move.ensure_one()
        if not closed:
            self._plc_set_move_quantity(move, qty, False)
        return move
