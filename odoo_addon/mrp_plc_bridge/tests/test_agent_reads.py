# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The agent sees only its duty: what docs/api.md says an agent may read, and no more.

As the agent calls Odoo, over real /jsonrpc with its API key; refused calls through the
RPC service /jsonrpc hands over to (test_agent_lines.py says why).
"""
import json

from odoo.exceptions import AccessError
from odoo.service import model as rpc_model
from odoo.tests import HttpCase, tagged
from odoo.tests.common import get_db_name

from .common import add_stock, build_plant, create_agent_user, create_mo

# docs/api.md, "What an agent reads": the models of which an agent sees any record at
# all. Its own user, its companies, and the reference data every Odoo user reads.
AGENT_READS = {
    "res.users",
    "res.company",
    "res.users.log",
    "res.lang",
    "res.country",
    "res.country.group",
    "res.country.state",
    "res.currency",
    "res.currency.rate",
    "res.partner.title",
    "mail.message.subtype",
    "report.layout",
    "report.paperformat",
    "ir.default",
    "ir.ui.view.custom",
    "web_tour.tour",
}


@tagged("post_install", "-at_install")
class TestAgentReads(HttpCase):
    def setUp(self):
        super().setUp()
        self.db = get_db_name()
        self.plant = build_plant(self.env, "RD1")
        for name in ("maize", "soy", "molasses"):
            add_stock(self.env, self.plant["products"][name], 10000.0)
        self.production = create_mo(self.env, self.plant["bom"], 1000.0)
        self.agent = create_agent_user(self.env, "reads_agent", self.plant["line"])
        self.key = self.env["res.users.apikeys"].with_user(self.agent)._generate(
            "rpc", "reads"
        )
        other_line = build_plant(self.env, "RD2")["line"]
        self.other_agent = create_agent_user(self.env, "reads_other_agent", other_line)
        self.colleague = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Planner",
                    "login": "reads_planner",
                    "groups_id": [(6, 0, self.env.ref("base.group_user").ids)],
                }
            )
        )
        self.other_company = self.env["res.company"].create({"name": "Other mill"})
        admin = self.env.ref("base.user_admin")
        chat = self.env["mail.channel"].create(
            {
                "name": "Planner and admin",
                "public": "private",
                "channel_partner_ids": [
                    (6, 0, (admin.partner_id | self.colleague.partner_id).ids)
                ],
            }
        )
        chat.message_post(body="The price of maize next week", message_type="comment")
        self.env["mail.channel"].create({"name": "Everyone", "public": "public"})

    def jsonrpc(self, model, method, args, kwargs=None):
        self.env["base"].flush()
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "call",
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [
                    self.db,
                    self.agent.id,
                    self.key,
                    model,
                    method,
                    args,
                    kwargs or {},
                ],
            },
        }
        response = self.url_open(
            "/jsonrpc",
            data=json.dumps(body),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        answer = response.json()
        self.assertNotIn("error", answer)
        return answer["result"]

    def refused(self, model, method, args, kwargs=None):
        with self.assertRaises(AccessError):
            rpc_model.dispatch(
                "execute_kw",
                [self.db, self.agent.id, self.key, model, method, args, kwargs or {}],
            )

    def test_the_agent_reads_no_other_user(self):
        users = self.jsonrpc("res.users", "search_read", [[]], {"fields": ["login"]})
        self.assertEqual([u["login"] for u in users], ["reads_agent"])
        for other in (self.colleague, self.other_agent, self.env.ref("base.user_admin")):
            self.refused("res.users", "read", [other.ids, ["login"]])
        # Itself: Odoo reads it for the agent's session and its own calls.
        own = self.jsonrpc("res.users", "read", [self.agent.ids, ["login", "name"]])
        self.assertEqual(own[0]["login"], "reads_agent")
        self.assertTrue(self.jsonrpc("res.users", "context_get", []))

    def test_the_agent_reads_its_companies_only_and_no_partner(self):
        companies = self.jsonrpc("res.company", "search_read", [[]], {"fields": ["name"]})
        self.assertEqual({c["id"] for c in companies}, set(self.agent.company_ids.ids))
        self.refused("res.company", "read", [self.other_company.ids, ["name"]])
        self.refused("res.partner", "search_read", [[]], {"fields": ["name"]})

    def test_the_agent_reads_no_discussion(self):
        channels = self.jsonrpc(
            "mail.channel", "search_read", [[]], {"fields": ["name"]}
        )
        self.assertEqual(channels, [])
        messages = self.jsonrpc(
            "mail.message", "search_read", [[]], {"fields": ["body"]}
        )
        self.assertEqual(messages, [])
        aliases = self.jsonrpc(
            "mail.alias", "search_read", [[]], {"fields": ["alias_name"]}
        )
        self.assertEqual(aliases, [])

    def test_the_agent_sees_nothing_the_docs_do_not_list(self):
        agent_env = self.env(user=self.agent, su=False)
        seen = set()
        for name in self.env.registry:
            model = agent_env[name]
            if model._abstract or model._transient:
                continue
            if not model.check_access_rights("read", raise_exception=False):
                continue
            try:
                if model.search_count([]):
                    seen.add(name)
            except AccessError:
                continue
        self.assertFalse(
            seen - AGENT_READS,
            "the agent reads records of models docs/api.md does not list: %s"
            % sorted(seen - AGENT_READS),
        )

    def test_an_internal_user_in_the_group_keeps_what_its_other_groups_give(self):
        groups = self.env.ref("base.group_user") | self.env.ref(
            "mrp_plc_bridge.group_plc_agent"
        )
        internal = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Planner and agent",
                    "login": "reads_internal_agent",
                    "groups_id": [(6, 0, groups.ids)],
                }
            )
        )
        env = self.env(user=internal, su=False)
        self.assertIn(self.colleague, env["res.users"].search([]))
        self.assertTrue(env["mail.alias"].search_count([]))
        self.assertIn("Everyone", env["mail.channel"].search([]).mapped("name"))

    def test_the_agent_still_does_its_job(self):
        login = self.url_open(
            "/jsonrpc",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "call",
                    "params": {
                        "service": "common",
                        "method": "login",
                        "args": [self.db, "reads_agent", self.key],
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        ).json()
        self.assertEqual(login["result"], self.agent.id)
        self.assertTrue(self.jsonrpc("mrp.production", "plc_ping", ["RD1"])["line_exists"])
        batch = self.jsonrpc("mrp.production", "plc_fetch_batches", ["RD1", 5])[
            "batches"
        ][0]
        payload = {
            "mo_id": batch["mo_id"],
            "line": "RD1",
            "batch_key": batch["batch_key"],
            "consumption": [
                {"silo": c["silo"], "quantity": c["quantity"]}
                for c in batch["components"]
            ],
            "finished_quantity": None,
            "status": "done",
        }
        result = self.jsonrpc("mrp.production", "plc_report_batch", [payload])
        self.assertEqual(result["status"], "done")
        failure = self.jsonrpc(
            "mrp.production",
            "plc_report_failure",
            [
                {
                    "line": "RD1",
                    "failure_key": "RD1/1",
                    "equipment": "silo101",
                    "info": "START_FAILURE",
                    "occurred_at": "2026-11-28T06:01:02+00:00",
                }
            ],
        )
        self.assertEqual(failure["status"], "stored")
        weighing = self.jsonrpc(
            "mrp.production",
            "plc_report_manual_weighing",
            [
                {
                    "line": "RD1",
                    "weighing_key": "RD1-W-1",
                    "mo_name": "",
                    "batch_number": 1,
                    "product_template_id": self.plant["products"][
                        "maize"
                    ].product_tmpl_id.id,
                    "quantity": 5.0,
                    "weighed_at": "2026-11-28T06:01:02+00:00",
                }
            ],
        )
        self.assertEqual(weighing["status"], "kept")
