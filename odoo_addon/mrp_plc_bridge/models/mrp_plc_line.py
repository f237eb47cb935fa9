# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The PLC line: its identity, policies and PLC slot, its agent, failures, weighing
station, work center and health.

What the line does at length lives in workflow files this model calls: handing its MOs
out (mrp_plc_line_fetch.py), its agent's user and key (mrp_plc_line_agent_access.py), its
health, state light and silence alert (mrp_plc_line_health.py), and its work center's
time log (mrp_plc_line_oee.py).
"""
import pytz

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..payloads.checks import MAX_COMPONENTS, MAX_LINE_CODE
from .mrp_plc_line_agent_access import AGENT_GROUP, LineAgentAccess
from .mrp_plc_line_fetch import LineFetch
from .mrp_plc_line_health import SILENT_AFTER_INTERVALS, LineHealth
from .mrp_plc_line_oee import LineTimeLog


class MrpPlcLine(models.Model):
    _name = "mrp.plc.line"
    _description = "PLC Line"
    # The silence alert is an activity of the line; its chatter says when the agent came back.
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "code"

    name = fields.Char(required=True)
    code = fields.Char(
        required=True,
        help="The code the line's agent identifies itself with.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
    )
    backorder_policy = fields.Selection(
        [
            ("never", "Never: close with what was produced"),
            ("always", "Always: backorder the rest"),
        ],
        default="never",
        required=True,
        help="What to do with the rest of an MO when the line produced less than "
        "planned.",
    )
    missing_silo_policy = fields.Selection(
        [("block", "Block the MO"), ("consume_planned", "Consume as planned")],
        default="block",
        required=True,
        help="What to do with a component that no silo of the line holds: block the "
        "MO, or consume it as planned when the line reports the batch.",
    )
    consumption_tolerance = fields.Float(
        string="Consumption Tolerance (%)",
        default=2.0,
        help="Deviations beyond this percentage are highlighted.",
    )
    # What one batch slot of the PLC program holds (docs/register-map.md); an MO that
    # does not fit is blocked at fetch instead of being refused by the agent.
    components_per_batch = fields.Integer(
        default=15,
        required=True,
        help="How many silos and tanks one batch slot of the PLC holds. An MO that "
        "needs more is blocked.",
    )
    text_width = fields.Integer(
        default=16,
        required=True,
        help="How many characters the PLC slot's text fields hold. An MO whose "
        "reference is longer is blocked; other texts are shortened by the agent.",
    )
    silo_ids = fields.One2many("mrp.plc.silo", "line_id", string="Silos and Tanks")
    silo_count = fields.Integer(compute="_compute_silo_count")
    production_ids = fields.One2many(
        "mrp.production", "plc_line_id", string="Manufacturing Orders"
    )

    # The line's agent: its Odoo user and the API key it logs in with.
    plc_agent_user_id = fields.Many2one(
        "res.users",
        string="Agent User",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The Odoo user the line's agent logs in as (group 'PLC agent' only). "
        "Made with the 'Agent access' button.",
    )
    plc_agent_user_ids = fields.Many2many(
        "res.users",
        "mrp_plc_line_agent_user_rel",
        "line_id",
        "user_id",
        string="Agent Users",
        copy=False,
        domain=lambda self: [("groups_id", "in", self.env.ref(AGENT_GROUP).ids)],
        help="The users of the group 'PLC agent' that may fetch, report and ping for "
        "this line, and for no other line. Administrators are not limited.",
    )

    # Equipment failures and who hears of them.
    responsible_id = fields.Many2one(
        "res.users",
        domain=[("share", "=", False)],
        help="Gets an activity for each failure the line reports. Without one, the "
        "administrator does.",
    )
    failure_ids = fields.One2many("mrp.plc.failure", "line_id", string="Failures")
    failure_open_count = fields.Integer(
        string="Open Failures", compute="_compute_failure_open_count"
    )

    # The weighing station: manual weighings and what is plausible.
    weighing_max_qty = fields.Float(
        string="Largest Manual Weighing (kg)",
        default=1000.0,
        help="A manual weighing above this is implausible: it is kept for a person "
        "instead of being consumed. 0: no upper limit.",
    )
    weighing_ids = fields.One2many("mrp.plc.weighing", "line_id", string="Weighings")
    weighing_kept_count = fields.Integer(
        string="Kept Weighings", compute="_compute_weighing_kept_count"
    )

    # How well the line runs, in Odoo's own terms (mrp_plc_line_oee.py).
    workcenter_id = fields.Many2one(
        "mrp.workcenter",
        string="Work Center",
        check_company=True,
        help="Each batch the line reports is logged on this work center as productive "
        "time, each equipment failure as an availability loss: the work center's OEE "
        "is then the line's.",
    )
    plc_oee = fields.Float(related="workcenter_id.oee", string="OEE")

    # What the agent last said (mrp_plc_line_health.py).
    plc_health_interval = fields.Integer(
        string="Agent Health Interval (s)",
        default=30,
        required=True,
        help="How often the line's agent pings Odoo (its HEALTH_INTERVAL_SECONDS). The "
        "agent counts as silent after %d intervals without a ping." % SILENT_AFTER_INTERVALS,
    )
    plc_silence_alert_minutes = fields.Integer(
        string="Silence Alert After (min)",
        default=10,
        required=True,
        help="An activity is raised for the responsible when the agent has not pinged for "
        "this long; it is marked done when the agent pings again.",
    )
    plc_seen_at = fields.Datetime(
        string="Agent Last Seen", readonly=True, copy=False
    )
    plc_agent_version = fields.Char(string="Agent Version", readonly=True, copy=False)
    plc_link = fields.Selection(
        [("up", "Up"), ("down", "Down")],
        string="PLC Link",
        readonly=True,
        copy=False,
        help="As the agent last said; empty when its agent does not say.",
    )
    plc_last_error = fields.Char(string="PLC Error", readonly=True, copy=False)
    plc_last_good_read_at = fields.Datetime(
        string="Last Good PLC Read", readonly=True, copy=False
    )
    plc_queue_queued = fields.Integer(string="Agent Queue: Queued", readonly=True, copy=False)
    plc_queue_running = fields.Integer(
        string="Agent Queue: Running", readonly=True, copy=False
    )
    plc_held = fields.Integer(string="Batches Held", readonly=True, copy=False)
    plc_stuck = fields.Integer(string="Batches Stuck", readonly=True, copy=False)
    plc_running_mo = fields.Char(string="Running MO", readonly=True, copy=False)
    plc_unsent_batches = fields.Integer(
        string="Reports Not Yet Sent", readonly=True, copy=False
    )
    plc_next_fetch_at = fields.Datetime(
        string="Agent's Next Fetch",
        readonly=True,
        copy=False,
        help="When the agent said, at its last ping, it will next ask Odoo for MOs. "
        "Empty when it waits for the batches it holds to be done, or did not say.",
    )
    plc_next_fetch_reason = fields.Char(
        string="Next Fetch Because",
        readonly=True,
        copy=False,
        help="The agent's own words for when it fetches next (at the next ping, when its "
        "queued batches are done, at the hourly sync).",
    )
    plc_ping_ids = fields.One2many(
        "mrp.plc.line.ping", "line_id", string="Health History", readonly=True
    )
    plc_light = fields.Selection(
        [("green", "Running"), ("amber", "Needs a look"), ("red", "Agent silent")],
        string="State Light",
        compute="_compute_plc_health",
    )
    plc_light_reason = fields.Char(string="Why", compute="_compute_plc_health")
    plc_link_now = fields.Selection(
        [("up", "Up"), ("down", "Down"), ("unknown", "Unknown")],
        string="PLC Link Now",
        compute="_compute_plc_health",
        help="The PLC link as the agent last said; unknown while the agent is silent "
        "or does not say.",
    )
    # The card draws its chart from these numbers (no HTML from the server).
    plc_batches_today = fields.Char(
        string="Batches Today per Hour",
        compute="_compute_plc_batches_today",
        help="The MOs the line finished in each hour of today, in your time zone: 24 "
        "numbers, the hours to come empty.",
    )
    plc_batches_today_max = fields.Integer(
        string="Most Batches in an Hour Today", compute="_compute_plc_batches_today"
    )
    plc_running_production_id = fields.Many2one(
        "mrp.production", string="Running Now", compute="_compute_plc_health"
    )
    plc_mo_queued_count = fields.Integer(
        string="MOs Queued", compute="_compute_plc_mo_counts"
    )
    plc_mo_sent_count = fields.Integer(string="MOs Sent", compute="_compute_plc_mo_counts")
    plc_mo_done_today_count = fields.Integer(
        string="MOs Done Today", compute="_compute_plc_mo_counts"
    )
    plc_mo_failed_count = fields.Integer(
        string="MOs Failed", compute="_compute_plc_mo_counts"
    )
    plc_last_failure = fields.Char(string="Last Failure", compute="_compute_plc_health")
    plc_last_failure_at = fields.Datetime(
        string="Last Failure At", compute="_compute_plc_health"
    )

    _sql_constraints = [
        ("code_unique", "unique(code)", "The code of a PLC line must be unique."),
    ]

    # ------------------------------------------------------------------
    # Constraints and computes
    # ------------------------------------------------------------------

    @api.constrains("code")
    def _check_code(self):
        # Every call of the agent names its line by this code, and is held to this length.
        for line in self:
            if len(line.code or "") > MAX_LINE_CODE:
                raise ValidationError(
                    _(
                        "The code of a PLC line has at most %(max)s characters, "
                        "not %(length)s.",
                        max=MAX_LINE_CODE,
                        length=len(line.code),
                    )
                )

    @api.constrains("components_per_batch", "text_width")
    def _check_capacity(self):
        for line in self:
            for fname in ("components_per_batch", "text_width"):
                if line[fname] < 1:
                    raise ValidationError(
                        _(
                            "Line %(line)s: %(capacity)s must be at least 1, "
                            "not %(value)s.",
                            line=line.code,
                            capacity=line._fields[fname].string,
                            value=line[fname],
                        )
                    )
            # A batch report lists at most this many silos (docs/api.md).
            if line.components_per_batch > MAX_COMPONENTS:
                raise ValidationError(
                    _(
                        "Line %(line)s: %(capacity)s must be at most %(max)s, "
                        "not %(value)s.",
                        line=line.code,
                        capacity=line._fields["components_per_batch"].string,
                        max=MAX_COMPONENTS,
                        value=line.components_per_batch,
                    )
                )

    @api.constrains("weighing_max_qty")
    def _check_weighing_max_qty(self):
        for line in self:
            if line.weighing_max_qty < 0:
                raise ValidationError(
                    _(
                        "Line %s: the largest manual weighing cannot be negative.",
                        line.code,
                    )
                )

    @api.depends("silo_ids")
    def _compute_silo_count(self):
        data = self.env["mrp.plc.silo"].read_group(
            [("line_id", "in", self.ids)], ["line_id"], ["line_id"]
        )
        counts = {d["line_id"][0]: d["line_id_count"] for d in data}
        for line in self:
            line.silo_count = counts.get(line.id, 0)

    @api.depends("failure_ids.state")
    def _compute_failure_open_count(self):
        data = self.env["mrp.plc.failure"].read_group(
            [("line_id", "in", self.ids), ("state", "!=", "resolved")],
            ["line_id"],
            ["line_id"],
        )
        counts = {d["line_id"][0]: d["line_id_count"] for d in data}
        for line in self:
            line.failure_open_count = counts.get(line.id, 0)

    @api.depends("weighing_ids.state")
    def _compute_weighing_kept_count(self):
        data = self.env["mrp.plc.weighing"].read_group(
            [("line_id", "in", self.ids), ("state", "=", "kept")],
            ["line_id"],
            ["line_id"],
        )
        counts = {d["line_id"][0]: d["line_id_count"] for d in data}
        for line in self:
            line.weighing_kept_count = counts.get(line.id, 0)

    # The light also depends on the clock: a form read later computes it afresh.
    @api.depends(
        "plc_seen_at",
        "plc_health_interval",
        "plc_link",
        "plc_last_error",
        "plc_held",
        "plc_stuck",
        "plc_running_mo",
    )
    def _compute_plc_health(self):
        LineHealth(self).compute_light()

    def _compute_plc_mo_counts(self):
        LineHealth(self).compute_mo_counts()

    def _compute_plc_batches_today(self):
        LineHealth(self).compute_batches_today()

    def write(self, vals):
        users_before = {}
        if "plc_agent_user_ids" in vals:
            users_before = {line: line.sudo().plc_agent_user_ids for line in self}
        result = super().write(vals)
        removed = self.env["res.users"]
        for line, users in users_before.items():
            removed |= users - line.sudo().plc_agent_user_ids
        # A key taken off a line must not speak for the user's other lines.
        removed._plc_revoke_agent_keys()
        return result

    def unlink(self):
        agents = self.sudo().mapped("plc_agent_user_ids")
        result = super().unlink()
        agents._plc_revoke_agent_keys()
        return result

    # ------------------------------------------------------------------
    # The agent's calls, as the door hands them over (mrp_production_plc_rpc.py)
    # ------------------------------------------------------------------

    def _plc_capacity(self):
        """What one batch slot holds, as ``plc_ping`` tells the agent."""
        self.ensure_one()
        return {
            "components_per_batch": self.components_per_batch,
            "text_width": self.text_width,
        }

    def _plc_ready_count(self):
        """The MOs a fetch would claim now; ``plc_ping`` tells the agent (one count)."""
        self.ensure_one()
        return LineFetch(self).ready_count()

    def _plc_take_batches(self, limit):
        """Up to ``limit`` batches for the line's agent: re-deliveries first."""
        return LineFetch(self).take_batches(limit)

    def _plc_take_ping(self, status):
        """Store a ping's ``PingStatus`` on the line and in its history."""
        LineHealth(self).take_ping(status)

    @api.model
    def _cron_plc_watch_agents(self):
        """Raise or clear the silence alerts; prune the ping history."""
        LineHealth(self.search([("plc_seen_at", "!=", False)])).watch()

    # ------------------------------------------------------------------
    # The line's agent user and key (mrp_plc_line_agent_access.py)
    # ------------------------------------------------------------------

    def action_open_plc_agent_access(self):
        """The 'Agent access' button: the wizard that hands the agent its key."""
        self.ensure_one()
        LineAgentAccess(self).check_manager()
        return {
            "type": "ir.actions.act_window",
            "name": _("Agent access for line %s", self.code),
            "res_model": "mrp.plc.agent.access",
            "view_mode": "form",
            "target": "new",
            "context": {"default_line_id": self.id},
        }

    def _plc_agent_login(self):
        return LineAgentAccess(self).login()

    def _plc_agent_user_to_grant(self):
        """The user the 'Agent access' button would give a key to, and its login."""
        return LineAgentAccess(self).user_to_grant()

    def _plc_agent_grant_access(self):
        """Make (or reuse) the line's agent user and give it a new API key: ``(user, key)``."""
        return LineAgentAccess(self).grant()

    def _plc_agent_env_lines(self, user, key):
        """The agent's Odoo settings, as lines of its .env file."""
        return LineAgentAccess(self).env_lines(user, key)

    @api.model
    def _plc_bind_existing_agents(self):
        """Bind the agent users made before lines had agent users (upgrade to 14.0.1.2.0)."""
        return LineAgentAccess.bind_existing_agents(self.env)

    # ------------------------------------------------------------------
    # Failures and the work center's time log (mrp_plc_line_oee.py)
    # ------------------------------------------------------------------

    def _plc_time_text(self, moment, user=None):
        """``moment`` (UTC, as Odoo stores it) as text in ``user``'s time zone, the zone
        named: for messages and notes, which the web client does not convert."""
        if not moment:
            return ""
        tz = pytz.timezone((user or self.env.user).tz or "UTC")
        return (
            pytz.utc.localize(moment).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z")
        )

    def _plc_responsible_user(self):
        self.ensure_one()
        user = self.responsible_id
        if not user or not user.active or user.share:
            user = (
                self.env.ref("base.user_admin", raise_if_not_found=False)
                or self.env.user
            )
        return user

    def _plc_production_running_at(self, moment):
        """The MO whose batch ran on the line at ``moment``, as far as it is known.

        Start and end are the PLC's times, from the batch's report (only a sent MO
        has them); Odoo's own clock (``plc_sent_at``) is not compared with the PLC's.
        They come with the report, so a failure that arrives while
        its batch is still running finds no MO here; the report links it later
        (``mrp.production._plc_link_failures``).
        """
        self.ensure_one()
        return self.env["mrp.production"].search(
            [
                ("plc_line_id", "=", self.id),
                ("plc_started_at", "<=", moment),
                "|",
                ("plc_finished_at", "=", False),
                ("plc_finished_at", ">=", moment),
            ],
            order="plc_started_at desc, id desc",
            limit=1,
        )

    def _plc_log_batch_time(self, production, started_at, finished_at):
        """Log a reported batch's run as productive time; it ends the open failures."""
        LineTimeLog(self).log_batch(production, started_at, finished_at)

    def _plc_log_failure_time(self, occurred_at, description):
        """Open an availability loss from a failure's time; the next batch ends it."""
        return LineTimeLog(self).log_failure(occurred_at, description)

    def _plc_weight_uom(self):
        """The unit of the finished weight the PLC plans and reports."""
        # By the cached id: env.ref checks that the record exists, a query per call,
        # which made a fetch 2 queries per MO dearer (tests/test_query_count.py).
        return self.env["uom.uom"].browse(
            self.env["ir.model.data"].xmlid_to_res_id("uom.product_uom_kgm")
        )
