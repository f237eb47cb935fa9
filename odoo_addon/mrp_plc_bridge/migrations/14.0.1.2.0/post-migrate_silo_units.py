# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""PLC units (14.0.1.2.0): silos dose in kg, and open MOs keep what they were sent with.

Before this version every quantity went to the PLC in the unit of its move and the PLC
took the number as kg. Silos get kg, the unit every PLC of this bridge doses in. The
consumption lines and finished quantities of MOs still open were sent as numbers in
their own unit: they are frozen that way, so that a re-delivery sends the same numbers
and a report of them converts as before. Closed MOs are history and stay as they are.
"""
from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    kg = env.ref("uom.product_uom_kgm")
    silos = (
        env["mrp.plc.silo"]
        .with_context(active_test=False)
        .search([("plc_uom_id", "=", False)])
    )
    silos.write({"plc_uom_id": kg.id})
    open_states = ("draft", "confirmed", "progress", "to_close")
    consumptions = env["mrp.plc.consumption"].search(
        [("plc_uom_id", "=", False), ("production_id.state", "in", open_states)]
    )
    for consumption in consumptions:
        consumption.write(
            {
                "plc_uom_id": consumption.product_uom_id.id,
                "plc_planned_qty": consumption.planned_qty,
                "plc_actual_qty": consumption.actual_qty,
            }
        )
    productions = env["mrp.production"].search(
        [("plc_sent_at", "!=", False), ("state", "in", open_states)]
    )
    for production in productions:
        production.write(
            {
                "plc_finished_weight_planned": production.plc_finished_qty_planned,
                "plc_finished_weight_actual": production.plc_finished_qty_actual,
            }
        )
