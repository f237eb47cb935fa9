# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Shared builders: lines, silos, products, BoMs and MOs made the way the UI makes them.

The builders take an environment so that the concurrency test can run them on a cursor
of its own and commit.
"""

from odoo.tests import Form
from odoo.tests.common import SavepointCase

# The test feed: 1000 kg of it takes 600 kg maize (two BoM lines sharing silo 101),
# 380 kg soybean meal (silo 102) and 20 kg molasses (tank 114).
BOM_LINES = [("maize", 500.0), ("soy", 380.0), ("molasses", 20.0), ("maize", 100.0)]


def create_product(env, name, code, tracking="none", uom=None, weight=0.0):
    """A stocked product counted in ``uom`` (default kg); ``weight`` in kg per unit."""
    uom = uom or env.ref("uom.product_uom_kgm")
    return env["product.product"].create(
        {
            "name": name,
            "default_code": code,
            "type": "product",
            "uom_id": uom.id,
            "uom_po_id": uom.id,
            "tracking": tracking,
            "weight": weight,
        }
    )


def add_stock(env, product, quantity, lot=None):
    env["stock.quant"]._update_available_quantity(
        product, env.ref("stock.stock_location_stock"), quantity, lot_id=lot
    )


def create_line(env, code, **values):
    return env["mrp.plc.line"].create(
        dict({"code": code, "name": "Line " + code}, **values)
    )


def create_silo(env, line, code, product, kind="silo", lot=None, plc_uom=None):
    values = {
        "code": code,
        "name": "Silo " + code,
        "line_id": line.id,
        "kind": kind,
        "product_id": product.id if product else False,
        "lot_id": lot.id if lot else False,
    }
    if plc_uom:
        values["plc_uom_id"] = plc_uom.id
    return env["mrp.plc.silo"].create(values)


def create_bom(env, product, lines, line=None, consumption="warning", quantity=1000.0):
    """lines: [(component, quantity)] in kg for ``quantity`` kg of product."""
    return env["mrp.bom"].create(
        {
            "product_tmpl_id": product.product_tmpl_id.id,
            "product_qty": quantity,
            "product_uom_id": product.uom_id.id,
            "code": "BOM-" + (product.default_code or str(product.id)),
            "consumption": consumption,
            "plc_line_id": line.id if line else False,
            "bom_line_ids": [
                (
                    0,
                    0,
                    {
                        "product_id": component.id,
                        "product_qty": qty,
                        "product_uom_id": component.uom_id.id,
                        "sequence": index,
                    },
                )
                for index, (component, qty) in enumerate(lines, start=1)
            ],
        }
    )


def create_mo(env, bom, quantity=1000.0, priority="0", date=None, confirm=True):
    """An MO through the form, as a planner makes it, so it gets its component moves."""
    form = Form(env["mrp.production"])
    form.product_id = bom.product_id or bom.product_tmpl_id.product_variant_id
    form.bom_id = bom
    form.product_qty = quantity
    form.priority = priority
    if date:
        form.date_planned_start = date
    production = form.save()
    if confirm:
        production.action_confirm()
    return production


def build_plant(env, code="T1", **line_values):
    """A line with silos 101, 102, tank 114, an empty silo 103 and the test feed's BoM."""
    products = {
        "maize": create_product(env, "Ground maize " + code, "RM-MAIZE-" + code),
        "soy": create_product(env, "Soybean meal " + code, "RM-SOY-" + code),
        "molasses": create_product(env, "Molasses " + code, "RM-MOL-" + code),
        "feed": create_product(env, "Test feed " + code, "FEED-" + code),
    }
    line = create_line(env, code, **line_values)
    silos = {
        "101": create_silo(env, line, "101", products["maize"]),
        "102": create_silo(env, line, "102", products["soy"]),
        "103": create_silo(env, line, "103", None),
        "114": create_silo(env, line, "114", products["molasses"], kind="tank"),
    }
    bom = create_bom(
        env,
        products["feed"],
        [(products[name], qty) for name, qty in BOM_LINES],
        line=line,
    )
    return {"line": line, "silos": silos, "products": products, "bom": bom}


def create_agent_user(env, login="plc_agent_test", lines=None):
    """A user of the group 'PLC agent' only, bound to ``lines`` (it may speak for no other)."""
    return (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "name": "PLC agent " + login,
                "login": login,
                # Activity notifications go out in the agent's name.
                "email": login + "@example.com",
                "groups_id": [(6, 0, [env.ref("mrp_plc_bridge.group_plc_agent").id])],
                "plc_agent_line_ids": [(6, 0, lines.ids if lines else [])],
            }
        )
    )


class PlcBridgeCase(SavepointCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        plant = build_plant(cls.env, "T1")
        cls.line = plant["line"]
        cls.silos = plant["silos"]
        cls.products = plant["products"]
        cls.bom = plant["bom"]
        for name in ("maize", "soy", "molasses"):
            add_stock(cls.env, cls.products[name], 100000.0)
        cls.agent = create_agent_user(cls.env, lines=cls.line)
        cls.Production = (
            cls.env["mrp.production"]
            .with_user(cls.agent)
            .with_context(tracking_disable=False)
        )

    def bind_agent(self, line):
        """Let the test's agent speak for another line too."""
        line.plc_agent_user_ids = [(4, self.agent.id)]

    def fetch(self, line_code=None, limit=10):
        return self.Production.plc_fetch_batches(line_code or self.line.code, limit)

    def report(self, payload):
        return self.Production.plc_report_batch(payload)

    def payload(self, batch, actuals=None, finished=None, status="done", **extra):
        """A report for a fetched batch; actuals default to the planned quantities."""
        actuals = actuals or {}
        payload = {
            "mo_id": batch["mo_id"],
            "line": batch["line"],
            "batch_key": batch["batch_key"],
            "consumption": [
                {"silo": c["silo"], "quantity": actuals.get(c["silo"], c["quantity"])}
                for c in batch["components"]
            ],
            "finished_quantity": finished,
            "status": status,
            "started_at": "2026-11-28T06:00:01+00:00",
            "finished_at": "2026-11-28T06:04:12+00:00",
            "message": None,
        }
        payload.update(extra)
        return payload

    def send(self, production):
        """Fetch until ``production`` is in a batch; return that batch."""
        for batch in self.fetch(production.plc_line_id.code, 100)["batches"]:
            if batch["mo_id"] == production.id:
                return batch
        raise AssertionError("%s was not delivered" % production.name)
