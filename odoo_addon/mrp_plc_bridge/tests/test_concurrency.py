# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Two agents fetching for one line at once, on real separate cursors.

The data is committed on a cursor of the test's own (it has to be visible to the other
transactions) and deleted again in tearDown.
"""

import logging
import threading
import time

from psycopg2 import OperationalError
from psycopg2.errorcodes import SERIALIZATION_FAILURE

import odoo
from odoo import SUPERUSER_ID, api
from odoo.tests import tagged
from odoo.tests.common import BaseCase, get_db_name

from .common import add_stock, build_plant, create_agent_user, create_mo

MO_COUNT = 6

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestConcurrentFetch(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = odoo.registry(get_db_name())

    def setUp(self):
        super().setUp()
        self.code = "TC%d" % int(time.time() * 1000 % 1000000)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            plant = build_plant(env, self.code)
            for name in ("maize", "soy", "molasses"):
                add_stock(env, plant["products"][name], 10000.0)
            self.mo_ids = [
                create_mo(env, plant["bom"], 100.0).id for _i in range(MO_COUNT)
            ]
            self.agent_id = create_agent_user(
                env, "plc_agent_" + self.code.lower(), lines=plant["line"]
            ).id
            self.plant_ids = {
                "line": plant["line"].id,
                "bom": plant["bom"].id,
                "products": [p.id for p in plant["products"].values()],
            }
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            productions = env["mrp.production"].browse(self.mo_ids).exists()
            productions.action_cancel()
            productions.unlink()
            env["mrp.bom"].browse(self.plant_ids["bom"]).unlink()
            env["mrp.plc.line"].browse(self.plant_ids["line"]).unlink()
            products = env["product.product"].browse(self.plant_ids["products"])
            env["stock.quant"].search(
                [("product_id", "in", products.ids)]
            ).sudo().unlink()
            env["stock.move.line"].search([("product_id", "in", products.ids)]).unlink()
            env["stock.move"].search([("product_id", "in", products.ids)]).write(
                {"state": "draft"}
            )
            env["stock.move"].search([("product_id", "in", products.ids)]).unlink()
            templates = products.mapped("product_tmpl_id")
            products.unlink()
            templates.unlink()
            env["res.users"].browse(self.agent_id).unlink()

    def _fetch(self, limit, results, name, hold=None, start=None, retries=5):
        """One agent's fetch in its own transaction, retried as Odoo's RPC layer does.

        With ``start`` (a barrier) both transactions take their snapshot first and
        then fetch together, the worst case for a claim.
        """
        with api.Environment.manage():
            for attempt in range(retries):
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, self.agent_id, {})
                    try:
                        if start is not None and attempt == 0:
                            cr.execute("SELECT count(*) FROM mrp_production")
                            start.wait(30)
                        result = env["mrp.production"].plc_fetch_batches(
                            self.code, limit
                        )
                        if hold is not None:
                            hold.set()
                            time.sleep(1.0)
                    except OperationalError as error:
                        if error.pgcode != SERIALIZATION_FAILURE:
                            raise
                        cr.rollback()
                        results.setdefault(name + "_retries", 0)
                        results[name + "_retries"] = results[name + "_retries"] + 1
                        continue
                results[name] = result
                return

    def _new(self, result):
        return [b["mo_id"] for b in result["batches"] if not b["redelivered"]]

    def test_locked_mos_are_skipped(self):
        """While one fetch holds its claim, the other one claims the next MOs."""
        results = {}
        hold = threading.Event()
        first = threading.Thread(target=self._fetch, args=(2, results, "a", hold))
        first.start()
        self.assertTrue(hold.wait(30))
        self._fetch(MO_COUNT, results, "b")
        first.join(60)
        new_a, new_b = self._new(results["a"]), self._new(results["b"])
        self.assertEqual(new_a, self.mo_ids[:2])
        self.assertEqual(new_b, self.mo_ids[2:])
        self.assertFalse(set(new_a) & set(new_b))

    def test_racing_fetches_never_double_deliver(self):
        results = {}
        start = threading.Barrier(2)
        threads = [
            threading.Thread(
                target=self._fetch, args=(MO_COUNT, results, name, None, start)
            )
            for name in ("a", "b")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        self.assertIn("a", results)
        self.assertIn("b", results)
        new_a, new_b = self._new(results["a"]), self._new(results["b"])
        _logger.info(
            "CONCURRENCY racing fetches: a claimed %d, b claimed %d, a retried %d, "
            "b retried %d (serialization failures)",
            len(new_a),
            len(new_b),
            results.get("a_retries", 0),
            results.get("b_retries", 0),
        )
        self.assertFalse(set(new_a) & set(new_b), results)
        self.assertEqual(sorted(new_a + new_b), sorted(self.mo_ids))
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM mrp_plc_consumption WHERE production_id IN %s",
                (tuple(self.mo_ids),),
            )
            # Three silos per MO, frozen exactly once each.
            self.assertEqual(cr.fetchone()[0], 3 * MO_COUNT)
