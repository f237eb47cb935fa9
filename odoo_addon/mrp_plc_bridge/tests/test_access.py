# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import get_db_name

from .common import PlcBridgeCase, add_stock, build_plant, create_agent_user, create_mo


@tagged("post_install", "-at_install")
class TestAccess(PlcBridgeCase):
    def test_user_outside_group_is_refused(self):
        manager = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "MRP manager",
                    "login": "plc_mrp_manager",
                    "groups_id": [(6, 0, [self.env.ref("mrp.group_mrp_manager").id])],
                }
            )
        )
        production = create_mo(self.env, self.bom, 100.0)
        api = self.env["mrp.production"].with_user(manager)
        with self.assertRaises(AccessError):
            api.plc_fetch_batches("T1", 10)
        with self.assertRaises(AccessError):
            api.plc_ping("T1")
        with self.assertRaises(AccessError):
            api.plc_report_batch({"mo_id": production.id})
        self.assertEqual(production.plc_state, "ready")

    def test_agent_does_its_whole_job_with_the_group_alone(self):
        self.assertEqual(
            self.agent.groups_id, self.env.ref("mrp_plc_bridge.group_plc_agent")
        )
        production = create_mo(self.env, self.bom, 1000.0)
        self.assertTrue(self.Production.plc_ping("T1")["line_active"])
        batch = self.fetch()["batches"][0]
        result = self.report(self.payload(batch, {"101": 610.0}, finished=990.0))
        self.assertEqual(result["status"], "done")
        self.assertEqual(production.state, "done")
        # Least rights: outside the API the agent cannot read manufacturing data.
        with self.assertRaises(AccessError):
            self.env["mrp.production"].with_user(self.agent).search([])
        with self.assertRaises(AccessError):
            self.env["mrp.plc.line"].with_user(self.agent).search([])
        with self.assertRaises(AccessError):
            production.with_user(self.agent).write({"plc_hold": True})

    def test_administrator_may_call(self):
        admin = self.env.ref("base.user_admin")
        create_mo(self.env, self.bom, 100.0)
        result = self.env["mrp.production"].with_user(admin).plc_fetch_batches("T1", 5)
        self.assertEqual(len(result["batches"]), 1)

    def test_planner_reads_lines_and_silos(self):
        user = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "MRP user",
                    "login": "plc_mrp_user",
                    "groups_id": [(6, 0, [self.env.ref("mrp.group_mrp_user").id])],
                }
            )
        )
        self.assertTrue(self.env["mrp.plc.silo"].with_user(user).search([]))
        with self.assertRaises(AccessError):
            self.line.with_user(user).write({"name": "x"})


@tagged("post_install", "-at_install")
class TestAgentOverJsonRpc(HttpCase):
    """The agent's user, with the group alone and an API key, over /jsonrpc."""

    def _call(self, service, method, *args):
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "call",
            "params": {"service": service, "method": method, "args": list(args)},
        }
        response = self.url_open(
            "/jsonrpc",
            data=json.dumps(body),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        return response.json()

    def test_fetch_and_report_with_an_api_key(self):
        plant = build_plant(self.env, "RPC")
        for name in ("maize", "soy", "molasses"):
            add_stock(self.env, plant["products"][name], 10000.0)
        production = create_mo(self.env, plant["bom"], 1000.0)
        agent = create_agent_user(self.env, "plc_agent_rpc", lines=plant["line"])
        key = self.env["res.users.apikeys"].with_user(agent)._generate("rpc", "test")
        db = get_db_name()
        uid = self._call("common", "login", db, "plc_agent_rpc", key)["result"]
        self.assertEqual(uid, agent.id)

        def execute(method, *args):
            return self._call(
                "object",
                "execute_kw",
                db,
                uid,
                key,
                "mrp.production",
                method,
                list(args),
                {},
            )

        self.assertTrue(execute("plc_ping", "RPC")["result"]["line_active"])
        batches = execute("plc_fetch_batches", "RPC", 5)["result"]["batches"]
        self.assertEqual([b["mo_id"] for b in batches], [production.id])
        payload = {
            "mo_id": production.id,
            "line": "RPC",
            "batch_key": batches[0]["batch_key"],
            "consumption": [
                {"silo": c["silo"], "quantity": c["quantity"]}
                for c in batches[0]["components"]
            ],
            "finished_quantity": None,
            "status": "done",
        }
        result = execute("plc_report_batch", payload)["result"]
        self.assertEqual(result["status"], "done", result)
        again = execute("plc_report_batch", payload)["result"]
        self.assertTrue(again["duplicate"])
        production.invalidate_cache()
        self.assertEqual(production.state, "done")
