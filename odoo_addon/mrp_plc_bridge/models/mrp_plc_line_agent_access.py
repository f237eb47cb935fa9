# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The line's agent user and its API key: made, bound to the line, handed out once.

Plain Python called by the line (the *Agent access* button and its wizard,
``_plc_agent_grant_access`` for scripts, ``_plc_bind_existing_agents`` for the 14.0.1.2.0
upgrade), not a model. The lines an agent user may act for are checked by the door
(mrp_production_plc_rpc.py).
"""
import logging
import re
from urllib.parse import urlsplit

from odoo import _
from odoo.exceptions import AccessError, UserError

_logger = logging.getLogger(__name__)

AGENT_GROUP = "mrp_plc_bridge.group_plc_agent"


class LineAgentAccess:
    """The line's agent: its Odoo user and the API key it logs in with."""

    def __init__(self, line):
        line.ensure_one()
        self.line = line
        self.env = line.env

    def check_manager(self):
        # Users and keys are made with sudo() below: only who may manage users gets there.
        if not (self.env.su or self.env.user.has_group("base.group_erp_manager")):
            raise AccessError(
                _("Only an administrator (Access Rights) may give a line's agent access.")
            )

    def login(self):
        """The agent login made from the code; codes like FM1 and fm1 give the same."""
        return "plc-agent-%s" % re.sub(r"[^a-z0-9._-]+", "-", self.line.code.lower())

    def user_to_grant(self):
        """The user the 'Agent access' button gives a key to, and its login.

        The line's own agent user, or the user of the line's agent login, or none yet
        (make one with that login). Never another line's agent: when the login made from
        the code is taken by one (lines FM1 and fm1), the next free one is used
        (plc-agent-fm1-2, -3, ...). Returns ``(user or empty, login)``.
        """
        users = self.env["res.users"].sudo().with_context(active_test=False)
        own = self.line.plc_agent_user_id.sudo()
        if own and not self.speaks_for_another_line(own):
            return own, own.login
        base = self.login()
        login, number = base, 1
        user = users.search([("login", "=", login)])
        while user and self.speaks_for_another_line(user):
            number += 1
            login = "%s-%d" % (base, number)
            user = users.search([("login", "=", login)])
        return user, login

    def speaks_for_another_line(self, user):
        """Whether ``user`` is the agent of a line other than this one."""
        return bool(
            self.line.sudo()
            .with_context(active_test=False)
            .search_count(
                [
                    ("id", "!=", self.line.id),
                    "|",
                    ("plc_agent_user_id", "=", user.id),
                    ("plc_agent_user_ids", "in", user.ids),
                ]
            )
        )

    def _email(self, login):
        """The agent's e-mail address.

        Activities scheduled by its reports go out in its name.
        """
        domain = (self.line.company_id.email or "").rpartition("@")[2].strip()
        if not domain:
            domain = (
                self.env["ir.config_parameter"].sudo().get_param("mail.catchall.domain")
                or urlsplit(
                    self.env["ir.config_parameter"].sudo().get_param("web.base.url") or ""
                ).hostname
                or "localhost"
            )
        return "%s@%s" % (login, domain)

    def grant(self):
        """Make (or reuse) the line's agent user and give it a new API key.

        The user is in the group 'PLC agent' only, and the agent of no other line
        (user_to_grant). Earlier keys of that user are revoked, in every worker at once,
        so exactly one key works: the one returned, which Odoo stores only as a hash.
        Returns ``(user, key)``. The caller shows the key once (the wizard) or writes it
        where the agent reads it (the compose stack's init script, which commits).
        """
        line = self.line
        self.check_manager()
        group = self.env.ref(AGENT_GROUP)
        users = self.env["res.users"].sudo().with_context(active_test=False)
        user, login = self.user_to_grant()
        if user:
            extra = user.groups_id - group
            if extra:
                raise UserError(
                    _(
                        "User %(login)s has more rights than the group 'PLC agent' "
                        "(%(groups)s). An agent's user must have that group only: remove "
                        "the others, or archive the user and press the button again.",
                        login=user.login,
                        groups=", ".join(extra.mapped("full_name")),
                    )
                )
            if not user.active:
                user.active = True
            if group not in user.groups_id:
                user.groups_id = [(4, group.id)]
        else:
            user = users.with_context(no_reset_password=True).create(
                {
                    "name": _("PLC agent %s", line.code),
                    "login": login,
                    "email": self._email(login),
                    "company_id": line.company_id.id,
                    "company_ids": [(6, 0, line.company_id.ids)],
                    "groups_id": [(6, 0, group.ids)],
                }
            )
        line.sudo().write(
            {"plc_agent_user_id": user.id, "plc_agent_user_ids": [(4, user.id)]}
        )
        user._plc_revoke_agent_keys()
        key = (
            self.env["res.users.apikeys"]
            .with_user(user)
            ._generate(None, "plc-agent %s" % line.code)
        )
        return user, key

    def env_lines(self, user, key):
        """The agent's Odoo settings, as lines of its .env file."""
        base_url = (
            self.env["ir.config_parameter"].sudo().get_param("web.base.url") or ""
        ).rstrip("/")
        return "\n".join(
            [
                "PLC_LINE_CODE=%s" % self.line.code,
                "ODOO_URL=%s" % base_url,
                "ODOO_DATABASE=%s" % self.env.cr.dbname,
                "ODOO_USERNAME=%s" % user.login,
                "ODOO_PASSWORD=%s" % key,
            ]
        )

    @staticmethod
    def bind_existing_agents(env):
        """Bind the agent users made before lines had agent users (upgrade to 14.0.1.2.0).

        A user the 'Agent access' button made is bound to its line: the line's
        ``plc_agent_user_id``, or the line whose agent login (``plc-agent-<code>``) it
        has. Any other agent user was made by hand, for lines nobody wrote down: it is
        bound to every line of its companies, so that no running agent is refused after
        the upgrade; the log names it, for an administrator to narrow. Users already bound
        are left alone, so running this twice changes nothing.
        """
        group = env.ref(AGENT_GROUP)
        lines = env["mrp.plc.line"].sudo().search([("active", "in", (True, False))])
        by_login = {LineAgentAccess(line).login(): line for line in lines}
        agents = (
            env["res.users"]
            .sudo()
            .with_context(active_test=False)
            .search([("groups_id", "in", group.ids), ("plc_agent_line_ids", "=", False)])
        )
        bound = {}
        for agent in agents.filtered(lambda user: not user._is_system()):
            own = lines.filtered(lambda line: line.plc_agent_user_id == agent)
            own = own or by_login.get(agent.login) or lines.browse()
            if not own:
                own = lines.filtered(lambda line: line.company_id in agent.company_ids)
                _logger.warning(
                    "PLC agent user %s names no line: bound to all lines of its "
                    "companies (%s); narrow it on the lines' Agent Users page.",
                    agent.login,
                    ", ".join(own.mapped("code")) or "none",
                )
            agent.plc_agent_line_ids = [(4, line.id) for line in own]
            bound[agent.login] = own.mapped("code")
        return bound
