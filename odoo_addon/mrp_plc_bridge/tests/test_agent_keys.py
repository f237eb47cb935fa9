# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""An agent's API key dies when it is revoked, and each line has an agent of its own.

Over real /jsonrpc, as the agent calls Odoo: ``common.login``, then ``execute_kw``.
Odoo 14 caches the key check of ``execute_kw`` per (user, key) in each worker; a key
removed without clearing that cache kept working there.
"""
import importlib.util
import json
from unittest.mock import patch

from odoo.exceptions import AccessDenied, AccessError
from odoo.modules.module import get_resource_path
from odoo.modules.registry import Registry
from odoo.service import model as rpc_model, security
from odoo.tests import HttpCase, tagged
from odoo.tests.common import get_db_name

from .common import create_line


class AgentKeyCase(HttpCase):
    def setUp(self):
        super().setUp()
        self.db = get_db_name()
        self.admin = self.env.ref("base.user_admin")

    def jsonrpc(self, service, method, *args):
        self.env["base"].flush()
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

    def login(self, user, key):
        return self.jsonrpc("common", "login", self.db, user.login, key)["result"]

    def ping(self, user, key, line_code):
        """plc_ping over /jsonrpc: the answer, or the error's exception name."""
        answer = self.jsonrpc(
            "object",
            "execute_kw",
            self.db,
            user.id,
            key,
            "mrp.production",
            "plc_ping",
            [line_code],
            {},
        )
        if "error" in answer:
            return answer["error"]["data"]["name"]
        return answer["result"]

    def assertKeyWorks(self, user, key, line_code):
        self.assertEqual(self.login(user, key), user.id)
        answer = self.ping(user, key, line_code)
        self.assertIsInstance(answer, dict, answer)
        self.assertEqual(answer["line"], line_code)

    def assertKeyDead(self, user, key, line_code):
        self.assertFalse(self.login(user, key), "common.login still takes the key")
        self.assertEqual(
            self.ping(user, key, line_code),
            "odoo.exceptions.AccessDenied",
            "execute_kw still takes the key",
        )

    def press_agent_access(self, line):
        """The line form's "Agent access", as an administrator: (user, key shown)."""
        action = line.with_user(self.admin).action_open_plc_agent_access()
        wizard = (
            self.env["mrp.plc.agent.access"]
            .with_user(self.admin)
            .with_context(**action["context"])
            .create({})
        )
        shown = wizard.action_issue_key()
        return line.plc_agent_user_id, shown["context"]["default_key"]


@tagged("post_install", "-at_install")
class TestAgentKeys(AgentKeyCase):
    def setUp(self):
        super().setUp()
        self.line = create_line(self.env, "KY1")

    def test_a_new_key_stops_the_old_one_at_once(self):
        user, old = self.press_agent_access(self.line)
        # Checked once: the worker now has the (user, key) check in its cache.
        self.assertKeyWorks(user, old, "KY1")
        same, new = self.press_agent_access(self.line)
        self.assertEqual(same, user)
        self.assertKeyDead(user, old, "KY1")
        self.assertKeyWorks(user, new, "KY1")

    def test_archiving_the_agent_revokes_its_keys(self):
        user, key = self.press_agent_access(self.line)
        self.assertKeyWorks(user, key, "KY1")
        user.with_user(self.admin).active = False
        self.assertKeyDead(user, key, "KY1")
        # Back from the archive, it has no key: an old one does not come back to life.
        user.with_user(self.admin).active = True
        self.assertKeyDead(user, key, "KY1")
        self.assertFalse(
            self.env["res.users.apikeys"].search([("user_id", "=", user.id)])
        )
        # The button gives it a new one.
        _user, new = self.press_agent_access(self.line)
        self.assertKeyWorks(user, new, "KY1")

    def test_removing_the_agent_from_its_line_revokes_its_keys(self):
        user, key = self.press_agent_access(self.line)
        self.assertKeyWorks(user, key, "KY1")
        self.line.with_user(self.admin).plc_agent_user_ids = [(3, user.id)]
        self.assertKeyDead(user, key, "KY1")
        # From the user's side the same.
        _user, key = self.press_agent_access(self.line)
        self.assertKeyWorks(user, key, "KY1")
        user.with_user(self.admin).plc_agent_line_ids = [(5,)]
        self.assertKeyDead(user, key, "KY1")
        # And when the line is deleted.
        _user, key = self.press_agent_access(self.line)
        self.assertKeyWorks(user, key, "KY1")
        self.line.with_user(self.admin).unlink()
        self.assertFalse(self.login(user, key), "common.login still takes the key")

    def test_the_other_workers_learn_of_a_revoked_key(self):
        user, old = self.press_agent_access(self.line)
        self.assertKeyWorks(user, old, "KY1")
        # Revoking marks the caches invalidated: the registry signals that to the other
        # workers when the request ends (Registry.signal_changes).
        self.registry.cache_invalidated = False
        self.press_agent_access(self.line)
        self.assertTrue(self.registry.cache_invalidated)
        # A worker reads that signal before it answers from its cache of key checks
        # (Odoo's RPC checks the key first, then the signal).
        seen = []
        check_signaling = Registry.check_signaling

        def spy(registry):
            seen.append(registry)
            return check_signaling(registry)

        with patch.object(Registry, "check_signaling", spy):
            with self.assertRaises(AccessDenied):
                security.check(self.db, user.id, old)
        self.assertTrue(seen, "the key check did not look at the other workers' signal")


@tagged("post_install", "-at_install")
class TestOneAgentUserPerLine(AgentKeyCase):
    # Two pairs of lines whose codes give one agent login: plc-agent-kx7, plc-agent-kx-7.
    CODES = ("KX7", "kx7", "KX 7", "KX-7")

    def test_lines_whose_codes_give_one_login_get_an_agent_each(self):
        lines = [create_line(self.env, code) for code in self.CODES]
        first_user, first_key = self.press_agent_access(lines[0])
        self.assertEqual(first_user.login, "plc-agent-kx7")
        agents = [(lines[0], first_user, first_key)]
        for line in lines[1:]:
            said = self.env["mrp.plc.agent.access"].create({"line_id": line.id}).agent_login
            user, key = self.press_agent_access(line)
            self.assertEqual(said, user.login, "the wizard named another login")
            agents.append((line, user, key))
        users = [user for _line, user, _key in agents]
        self.assertEqual(len(set(users)), len(self.CODES), [u.login for u in users])
        for line, user, key in agents:
            self.assertTrue(user.login.startswith("plc-agent-kx"), user.login)
            self.assertEqual(user.plc_agent_line_ids, line)
            self.assertEqual(line.plc_agent_user_ids, user)
            # Each key works for its own line, the first one included...
            self.assertKeyWorks(user, key, line.code)
            # ...and for no other.
            for other in lines:
                if other != line:
                    with self.assertRaises(AccessError):
                        rpc_model.dispatch(
                            "execute_kw",
                            [
                                self.db,
                                user.id,
                                key,
                                "mrp.production",
                                "plc_ping",
                                [other.code],
                            ],
                        )
        # Pressed again, a line keeps its own user.
        again, _key = self.press_agent_access(lines[1])
        self.assertEqual(again, agents[1][1])
        self.assertKeyWorks(first_user, first_key, "KX7")


@tagged("post_install", "-at_install")
class TestUpgradeRevokesArchivedAgentsKeys(AgentKeyCase):
    """Upgrading to 14.0.1.3.0: archived agent users lose the keys they kept."""

    def run_migration(self, version):
        path = get_resource_path(
            "mrp_plc_bridge", "migrations", "14.0.1.3.0", "post-migrate_agent_keys.py"
        )
        spec = importlib.util.spec_from_file_location("post_migrate_agent_keys", path)
        script = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(script)
        script.migrate(self.env.cr, version)

    def test_archived_agents_keys_are_revoked_active_ones_kept(self):
        keys = self.env["res.users.apikeys"]
        line = create_line(self.env, "UP1")
        retired, retired_key = self.press_agent_access(line)
        # Archived before this version: its key was kept.
        self.env.cr.execute(
            "UPDATE res_users SET active = FALSE WHERE id = %s", [retired.id]
        )
        retired.invalidate_cache()
        working, working_key = self.press_agent_access(create_line(self.env, "UP2"))
        # Lines that came to share one agent user: named in the log, left alone.
        shared = create_line(self.env, "up2")
        shared.plc_agent_user_ids = [(4, working.id)]
        self.assertEqual(keys.search_count([("user_id", "=", retired.id)]), 1)
        with self.assertLogs(
            "odoo.addons.mrp_plc_bridge.models.res_users", "WARNING"
        ) as logged:
            self.run_migration("14.0.1.2.0")
        self.assertIn("UP2, up2", "\n".join(logged.output))
        self.assertEqual(keys.search_count([("user_id", "=", retired.id)]), 0)
        retired.active = True
        self.assertKeyDead(retired, retired_key, "UP1")
        self.assertKeyWorks(working, working_key, "UP2")
        # A new install has nothing to migrate; running it again changes nothing.
        self.run_migration(None)
        self.assertFalse(self.env["res.users"]._plc_revoke_keys_of_archived_agents())
