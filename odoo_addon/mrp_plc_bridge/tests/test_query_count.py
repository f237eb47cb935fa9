# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo.tests import tagged

from .common import PlcBridgeCase, add_stock, build_plant, create_mo

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestQueryCount(PlcBridgeCase):
    def _settle(self):
        # What a commit writes: pending ORM writes, then the chatter's tracking
        # messages, which mail.thread makes at precommit.
        self.env["base"].flush()
        self.env.cr.precommit.run()
        self.env["base"].flush()

    def _count(self, line_code, limit):
        self._settle()
        self.env["base"].invalidate_cache()
        before = self.cr.sql_log_count
        result = self.fetch(line_code, limit)
        self._settle()
        return self.cr.sql_log_count - before, result

    def test_fetch_query_count(self):
        plants = {}
        for code, count in (("Q0", 1), ("Q10", 10), ("Q50", 50)):
            plants[code] = build_plant(self.env, code)
            self.bind_agent(plants[code]["line"])
            for name in ("maize", "soy", "molasses"):
                add_stock(self.env, plants[code]["products"][name], 100000.0)
            for _i in range(count):
                create_mo(self.env, plants[code]["bom"], 100.0)
        # Warm the caches that a running server has warm already.
        self._count("Q0", 10)
        new10, result10 = self._count("Q10", 10)
        new50, result50 = self._count("Q50", 50)
        self.assertEqual(len(result10["batches"]), 10)
        self.assertEqual(len(result50["batches"]), 50)
        again10, result = self._count("Q10", 10)
        again50, result = self._count("Q50", 50)
        self.assertTrue(all(b["redelivered"] for b in result["batches"]))
        _logger.info(
            "QUERY COUNT plc_fetch_batches: claim 10 batches %d, 50 batches %d; "
            "redeliver 10 batches %d, 50 batches %d",
            new10,
            new50,
            again10,
            again50,
        )
        # Sending writes through the ORM (state with its chatter tracking, the
        # consumption lines): a few queries per MO, no more.
        self.assertLessEqual(new50 - new10, 40 * 10)
        self.assertLess(new10, 150)
        # Re-delivery only reads: flat.
        self.assertLessEqual(again50, again10 + 3)
