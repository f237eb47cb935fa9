# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tests.common import SavepointCase

from .common import create_line


@tagged("post_install", "-at_install")
class TestAgentAccess(SavepointCase):
    """The line form's "Agent access": the agent's user, in the PLC agent group only, and an
    API key shown once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.line = create_line(cls.env, "T9 Line")
        cls.group = cls.env.ref("mrp_plc_bridge.group_plc_agent")
        cls.admin = cls.env.ref("base.user_admin")
        cls.keys = cls.env["res.users.apikeys"]

    def _issue(self, user=None):
        line = self.line.with_user(user or self.admin)
        action = line.action_open_plc_agent_access()
        wizard = (
            self.env["mrp.plc.agent.access"]
            .with_user(user or self.admin)
            .with_context(**action["context"])
            .create({})
        )
        return wizard, wizard.action_issue_key()

    def test_creates_the_agent_user_and_shows_a_working_key_once(self):
        wizard, shown = self._issue()
        user = self.line.plc_agent_user_id
        self.assertEqual(user.login, "plc-agent-t9-line")
        self.assertEqual(user.groups_id, self.group)
        self.assertTrue(user.email.startswith("plc-agent-t9-line@"))
        self.assertEqual(shown["res_model"], "mrp.plc.agent.key")
        key = shown["context"]["default_key"]
        self.assertEqual(self.keys._check_credentials(scope="rpc", key=key), user.id)
        lines = dict(
            line.split("=", 1)
            for line in shown["context"]["default_env_lines"].splitlines()
        )
        self.assertEqual(lines["ODOO_USERNAME"], user.login)
        self.assertEqual(lines["ODOO_PASSWORD"], key)
        self.assertEqual(lines["PLC_LINE_CODE"], "T9 Line")
        self.assertEqual(lines["ODOO_DATABASE"], self.env.cr.dbname)
        # Nothing stored holds the key: the wizard record has no field for it.
        self.assertNotIn("key", wizard._fields)

    def test_pressing_again_reuses_the_user_and_revokes_the_old_key(self):
        _wizard, first = self._issue()
        user = self.line.plc_agent_user_id
        _wizard, second = self._issue()
        self.assertEqual(self.line.plc_agent_user_id, user)
        old, new = first["context"]["default_key"], second["context"]["default_key"]
        self.assertNotEqual(old, new)
        self.assertFalse(self.keys._check_credentials(scope="rpc", key=old))
        self.assertEqual(self.keys._check_credentials(scope="rpc", key=new), user.id)
        self.assertEqual(self.keys.sudo().search_count([("user_id", "=", user.id)]), 1)

    def test_a_user_with_more_rights_is_not_made_an_agent(self):
        self.env["res.users"].with_context(no_reset_password=True).create(
            {
                "name": "Someone",
                "login": "plc-agent-t9-line",
                "groups_id": [(6, 0, (self.group | self.env.ref("base.group_user")).ids)],
            }
        )
        with self.assertRaisesRegex(UserError, "more rights than the group"):
            self._issue()

    def test_only_user_administrators_may_do_it(self):
        manager = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "MRP manager",
                    "login": "plc_t9_mrp_manager",
                    "groups_id": [(6, 0, self.env.ref("mrp.group_mrp_manager").ids)],
                }
            )
        )
        with self.assertRaises(AccessError):
            self.line.with_user(manager).action_open_plc_agent_access()
        with self.assertRaises(AccessError):
            self.line.with_user(manager)._plc_agent_grant_access()
        self.assertFalse(self.line.plc_agent_user_id)
