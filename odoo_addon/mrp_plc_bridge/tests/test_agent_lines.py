# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""An agent speaks only for its lines: over real /jsonrpc with two lines and two agents.

Refused calls go through the same RPC service the /jsonrpc route hands over to
(``odoo.service.model.dispatch``: API key check, then execute_kw), not through the HTTP
layer: in Odoo 14's HttpCase a request that raises loses the test cursor's savepoint
(the server answers 500 "savepoint test_cursor_N does not exist"), which is why Odoo's own
RPC tests call the service for their AccessDenied and AccessError cases too.
"""
import json

from odoo.exceptions import AccessError
from odoo.service import model as rpc_model
from odoo.tests import HttpCase, tagged
from odoo.tests.common import SavepointCase, get_db_name

from .common import add_stock, build_plant, create_agent_user, create_line, create_mo


@tagged("post_install", "-at_install")
class TestAgentLinesOverJsonRpc(HttpCase):
    def setUp(self):
        super().setUp()
        self.plants = {}
        self.keys = {}
        self.agents = {}
        for code in ("LA", "LB"):
            plant = build_plant(self.env, code)
            for name in ("maize", "soy", "molasses"):
                add_stock(self.env, plant["products"][name], 10000.0)
            plant["mo"] = create_mo(self.env, plant["bom"], 1000.0)
            agent = create_agent_user(self.env, "agent_" + code.lower(), plant["line"])
            self.keys[code] = (
                self.env["res.users.apikeys"].with_user(agent)._generate("rpc", code)
            )
            self.plants[code], self.agents[code] = plant, agent
        self.db = get_db_name()

    def call(self, code, method, *args):
        """``method`` of mrp.production as the agent of line ``code``."""
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "call",
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [
                    self.db,
                    self.agents[code].id,
                    self.keys[code],
                    "mrp.production",
                    method,
                    list(args),
                    {},
                ],
            },
        }
        response = self.url_open(
            "/jsonrpc",
            data=json.dumps(body),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        return response.json()

    def assertRefused(self, code, method, args, given):
        """``method`` as the agent of ``code`` raises AccessError naming ``given`` only."""
        with self.assertRaises(AccessError) as caught:
            rpc_model.dispatch(
                "execute_kw",
                [
                    self.db,
                    self.agents[code].id,
                    self.keys[code],
                    "mrp.production",
                    method,
                    list(args),
                ],
            )
        message = str(caught.exception)
        self.assertIn(given, message)
        # Nothing about the other line: neither its name nor whether it exists.
        self.assertNotIn("Line LA", message)
        self.assertNotIn("exist", message)
        return message

    def test_each_agent_speaks_for_its_own_line_only(self):
        self.assertTrue(self.call("LA", "plc_ping", "LA")["result"]["line_exists"])
        batches = self.call("LA", "plc_fetch_batches", "LA", 5)["result"]["batches"]
        self.assertEqual([b["mo_id"] for b in batches], [self.plants["LA"]["mo"].id])
        # LB's agent on LA's line: refused for every call.
        self.assertRefused("LB", "plc_ping", ["LA"], "'LA'")
        self.assertRefused("LB", "plc_ping", ["LA", {"stuck": 0}], "'LA'")
        self.assertRefused("LB", "plc_fetch_batches", ["LA", 5], "'LA'")
        payload = {
            "mo_id": batches[0]["mo_id"],
            "line": "LA",
            "batch_key": batches[0]["batch_key"],
            "consumption": [
                {"silo": c["silo"], "quantity": c["quantity"]}
                for c in batches[0]["components"]
            ],
            "finished_quantity": None,
            "status": "done",
        }
        self.assertRefused("LB", "plc_report_batch", [payload], "'LA'")
        # Naming its own line in a report of LA's MO does not help either: LA's MO is
        # answered exactly as an MO that does not exist.
        missing_id = 2147483000
        own_line = dict(payload, line="LB")
        missing = self.call("LB", "plc_report_batch", dict(own_line, mo_id=missing_id))
        answer = self.call("LB", "plc_report_batch", own_line)
        self.assertEqual(answer["result"]["status"], "rejected")
        self.assertEqual(
            answer["result"],
            dict(
                missing["result"],
                reason=missing["result"]["reason"].replace(
                    str(missing_id), str(payload["mo_id"])
                ),
            ),
        )
        # A code no line has is refused the same way: no hint whether it exists.
        self.assertRefused("LB", "plc_ping", ["NOPE"], "'NOPE'")
        mo = self.plants["LA"]["mo"]
        mo.invalidate_cache()
        self.assertEqual(mo.plc_state, "sent", "the refused report changed nothing")
        self.assertEqual(
            self.call("LA", "plc_report_batch", payload)["result"]["status"], "done"
        )
        # The other agent still works on its own line.
        batches = self.call("LB", "plc_fetch_batches", "LB", 5)["result"]["batches"]
        self.assertEqual([b["mo_id"] for b in batches], [self.plants["LB"]["mo"].id])

    def test_an_administrator_is_not_limited(self):
        admin = self.env.ref("base.user_admin")
        production = self.env["mrp.production"].with_user(admin)
        self.assertTrue(production.plc_ping("LA")["line_exists"])
        self.assertTrue(production.plc_ping("LB")["line_exists"])
        self.assertFalse(production.plc_ping("NOPE")["line_exists"])


@tagged("post_install", "-at_install")
class TestAgentLineBinding(SavepointCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.group = cls.env.ref("mrp_plc_bridge.group_plc_agent")
        cls.fm1 = create_line(cls.env, "BX1")
        cls.fm2 = create_line(cls.env, "BX2")

    def test_agent_access_button_binds_its_user_to_the_line(self):
        self.fm1._plc_agent_grant_access()
        user = self.fm1.plc_agent_user_id
        self.assertEqual(self.fm1.plc_agent_user_ids, user)
        self.assertEqual(user.plc_agent_line_ids, self.fm1)

    def test_upgrade_binds_existing_agents_by_login_else_to_their_companys_lines(self):
        named = create_agent_user(self.env, "plc-agent-bx2")
        by_hand = create_agent_user(self.env, "feed_mill_agent")
        made = create_agent_user(self.env, "made-by-the-button")
        self.fm1.plc_agent_user_id = made
        already = create_agent_user(self.env, "already_bound", self.fm1)
        bound = self.env["mrp.plc.line"]._plc_bind_existing_agents()
        self.assertEqual(named.plc_agent_line_ids, self.fm2)
        self.assertEqual(made.plc_agent_line_ids, self.fm1)
        company_lines = self.env["mrp.plc.line"].search(
            [("company_id", "in", by_hand.company_ids.ids)]
        )
        self.assertEqual(by_hand.plc_agent_line_ids, company_lines)
        self.assertIn(self.fm2, by_hand.plc_agent_line_ids)
        self.assertEqual(already.plc_agent_line_ids, self.fm1)
        self.assertNotIn("already_bound", bound)
        self.assertEqual(self.env["mrp.plc.line"]._plc_bind_existing_agents(), {})
