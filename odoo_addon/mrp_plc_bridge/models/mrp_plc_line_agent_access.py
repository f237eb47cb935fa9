# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import re
from urllib.parse import urlsplit

from odoo import _, fields, models
from odoo.exceptions import AccessError, UserError

AGENT_GROUP = "mrp_plc_bridge.group_plc_agent"


class MrpPlcLine(models.Model):
    """The line's agent: its Odoo user and the API key it logs in with."""

    _inherit = "mrp.plc.line"

    plc_agent_user_id = fields.Many2one(
        "res.users",
        string="Agent User",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The Odoo user the line's agent logs in as (group 'PLC agent' only). "
        "Made with the 'Agent access' button.",
    )

    def action_open_plc_agent_access(self):
        """The 'Agent access' button: the wizard that hands the agent its key."""
        self.ensure_one()
        self._plc_agent_check_manager()
        return {
            "type": "ir.actions.act_window",
            "name": _("Agent access for line %s", self.code),
            "res_model": "mrp.plc.agent.access",
            "view_mode": "form",
            "target": "new",
            "context": {"default_line_id": self.id},
        }

    def _plc_agent_check_manager(self):
        # Users and keys are made with sudo() below: only who may manage users gets there.
        if not (self.env.su or self.env.user.has_group("base.group_erp_manager")):
            raise AccessError(
                _("Only an administrator (Access Rights) may give a line's agent access.")
            )

    def _plc_agent_login(self):
        self.ensure_one()
        return "plc-agent-%s" % re.sub(r"[^a-z0-9._-]+", "-", self.code.lower())

    def _plc_agent_email(self, login):
        """The agent's e-mail address: activities scheduled by its reports go out in its name."""
        domain = (self.company_id.email or "").rpartition("@")[2].strip()
        if not domain:
            domain = (
                self.env["ir.config_parameter"].sudo().get_param("mail.catchall.domain")
                or urlsplit(
                    self.env["ir.config_parameter"].sudo().get_param("web.base.url") or ""
                ).hostname
                or "localhost"
            )
        return "%s@%s" % (login, domain)

    def _plc_agent_grant_access(self):
        """Make (or reuse) the line's agent user and give it a new API key.

        The user is in the group 'PLC agent' only. Earlier keys of that user are revoked, so
        exactly one key works: the one returned, which Odoo stores only as a hash.
        Returns ``(user, key)``. The caller shows the key once (the wizard) or writes it
        where the agent reads it (the compose stack's init script, which commits).
        """
        self.ensure_one()
        self._plc_agent_check_manager()
        group = self.env.ref(AGENT_GROUP)
        users = self.env["res.users"].sudo().with_context(active_test=False)
        login = self._plc_agent_login()
        user = self.plc_agent_user_id.sudo() or users.search([("login", "=", login)])
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
                    "name": _("PLC agent %s", self.code),
                    "login": login,
                    "email": self._plc_agent_email(login),
                    "company_id": self.company_id.id,
                    "company_ids": [(6, 0, self.company_id.ids)],
                    "groups_id": [(6, 0, group.ids)],
                }
            )
        self.sudo().plc_agent_user_id = user
        self.env["res.users.apikeys"].sudo().search([("user_id", "=", user.id)])._remove()
        key = (
            self.env["res.users.apikeys"]
            .with_user(user)
            ._generate(None, "plc-agent %s" % self.code)
        )
        return user, key

    def _plc_agent_env_lines(self, user, key):
        """The agent's Odoo settings, as lines of its .env file."""
        self.ensure_one()
        base_url = (
            self.env["ir.config_parameter"].sudo().get_param("web.base.url") or ""
        ).rstrip("/")
        return "\n".join(
            [
                "PLC_LINE_CODE=%s" % self.code,
                "ODOO_URL=%s" % base_url,
                "ODOO_DATABASE=%s" % self.env.cr.dbname,
                "ODOO_USERNAME=%s" % user.login,
                "ODOO_PASSWORD=%s" % key,
            ]
        )
