# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""14.0.1.5.0: a silo's history of what it held; what it holds now begins it.

Every silo holding something gets that as the first entry of its history, held from the
silo's creation (*Held at upgrade*): the history knows nothing older. An empty silo
starts without one, as a new one does. Closed MOs keep what they were booked on; an MO
still waiting for a person takes its lots from this history, at the batch times it stored,
when it is accepted.
"""
from odoo import SUPERUSER_ID, api

from odoo.addons.mrp_plc_bridge.models.mrp_plc_silo_fill import SILO_WRITTEN


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    silos = (
        env["mrp.plc.silo"]
        .with_context(active_test=False)
        .search(
            [
                ("fill_ids", "=", False),
                "|",
                ("product_id", "!=", False),
                ("lot_id", "!=", False),
            ],
            order="id",
        )
    )
    values = []
    for silo in silos:
        lot = silo.lot_id
        note = "Held when the silo's history began (upgrade to 14.0.1.5.0)."
        if lot and lot.product_id != silo.product_id:
            # Nothing stopped it before: a lot of another product is no lot of this one.
            note += " The silo's lot %s is a lot of %s, not of what it holds: left out." % (
                lot.name,
                lot.product_id.display_name,
            )
            lot = env["stock.production.lot"]
        values.append(
            {
                "silo_id": silo.id,
                "product_id": silo.product_id.id,
                "lot_id": lot.id,
                "valid_from": silo.create_date,
                "how": "upgrade",
                "note": note,
            }
        )
    env["mrp.plc.silo.fill"].with_context(**{SILO_WRITTEN: True}).create(values)
