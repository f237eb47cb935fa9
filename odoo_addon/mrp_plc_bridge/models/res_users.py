# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import api, fields, models

from .mrp_plc_line_agent_access import AGENT_GROUP

_logger = logging.getLogger(__name__)


class ResUsers(models.Model):
    _inherit = "res.users"

    # The other side of the line's plc_agent_user_ids: the lines an agent user speaks for.
    plc_agent_line_ids = fields.Many2many(
        "mrp.plc.line",
        "mrp_plc_line_agent_user_rel",
        "user_id",
        "line_id",
        string="PLC Lines (Agent)",
        copy=False,
    )

    @classmethod
    def check(cls, db, uid, passwd):
        """The key check of every RPC call, after the other workers' news.

        Odoo answers it from each worker's cache of (user, key), and its RPC dispatch
        checks the key before it reads the signal by which another worker says it
        cleared the caches, e.g. after revoking a key. Read first, that signal empties
        this worker's cache, so that a revoked key is refused at once on every worker.
        """
        registry = cls.pool.check_signaling()
        if registry is not cls.pool:
            # Reloaded meanwhile (a module was installed): the new registry answers.
            return registry[cls._name].check(db, uid, passwd)
        return super().check(db, uid, passwd)

    def write(self, vals):
        lines_before = {}
        if "plc_agent_line_ids" in vals:
            lines_before = {user: user.sudo().plc_agent_line_ids for user in self}
        result = super().write(vals)
        revoked = self.browse()
        if "active" in vals and not vals["active"]:
            revoked = self
        for user, lines in lines_before.items():
            if lines - user.sudo().plc_agent_line_ids:
                revoked |= user
        revoked._plc_revoke_agent_keys()
        return result

    def _plc_revoke_agent_keys(self):
        """Revoke every API key of these agent users (archived, or taken off a line).

        Agent users only: members of the group 'PLC agent' who are not internal users,
        whose keys are for nothing but the agent. A key taken off a line would
        otherwise still speak for the user's other lines, and one of an archived user
        would work again when the user is restored.
        """
        group = self.env.ref(AGENT_GROUP)
        agents = self.sudo().filtered(
            lambda user: user.share and group in user.groups_id
        )
        keys = self.env["res.users.apikeys"].sudo().search(
            [("user_id", "in", agents.ids)]
        )
        if keys:
            keys._remove()
            self._plc_forget_checked_keys()

    @api.model
    def _plc_revoke_keys_of_archived_agents(self):
        """Revoke the keys archived agent users kept (upgrade to 14.0.1.3.0).

        Before, archiving an agent user left its keys, which worked again once the user
        was restored. Also names the lines that share one agent user (two lines whose
        codes gave one login, before each line got its own): only a person can say which
        line keeps it. Returns the archived agents whose keys were revoked.
        """
        group = self.env.ref(AGENT_GROUP)
        users = self.sudo().with_context(active_test=False)
        archived = users.search(
            [("active", "=", False), ("groups_id", "in", group.ids)]
        )
        with_keys = archived.filtered(
            lambda user: self.env["res.users.apikeys"]
            .sudo()
            .search_count([("user_id", "=", user.id)])
        )
        with_keys._plc_revoke_agent_keys()
        for agent in users.search([("groups_id", "in", group.ids)]):
            lines = agent.plc_agent_line_ids
            logins = lines.mapped(lambda line: line._plc_agent_login())
            if len(set(logins)) < len(logins):
                _logger.warning(
                    "PLC agent user %s speaks for lines %s: press Agent access on each "
                    "line but one to give it an agent user of its own.",
                    agent.login,
                    ", ".join(lines.mapped("code")),
                )
        return with_keys

    def _plc_forget_checked_keys(self):
        """Forget the key checks every worker cached (Odoo caches them per user and key).

        Cleared here for this worker; clearing marks the caches invalidated, which the
        registry signals to the other workers once the transaction is committed. Cleared
        again after the commit, in case a call checked the old key meanwhile in another
        thread of this worker and cached it before its removal was committed.
        """
        self.clear_caches()
        self.env.cr.postcommit.add(self.clear_caches)
