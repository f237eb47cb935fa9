# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Is the line running: what its agent last said, the state light, and the silence alert.

The agent's ping arrives through mrp_production_plc_api.py; its shape is checked in
ping_status.py. The history of pings is mrp.plc.line.ping.
"""
import datetime

import pytz

from odoo import _, api, fields, models

SILENT_ACTIVITY = "mrp_plc_bridge.mail_activity_type_plc_agent_silent"
# The agent pings every health interval; missing this many pings in a row means it is
# silent (a single late ping on a busy Odoo is not an outage).
SILENT_AFTER_INTERVALS = 3
PING_HISTORY_DAYS = 7


class MrpPlcLine(models.Model):
    _name = "mrp.plc.line"
    # The silence alert is an activity of the line; its chatter says when the agent came back.
    _inherit = ["mrp.plc.line", "mail.thread", "mail.activity.mixin"]

    plc_health_interval = fields.Integer(
        string="Agent Health Interval (s)",
        default=60,
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
    plc_ping_ids = fields.One2many(
        "mrp.plc.line.ping", "line_id", string="Health History", readonly=True
    )
    plc_light = fields.Selection(
        [("green", "Running"), ("amber", "Needs a look"), ("red", "Agent silent")],
        string="State Light",
        compute="_compute_plc_health",
    )
    plc_light_reason = fields.Char(string="Why", compute="_compute_plc_health")
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

    # ------------------------------------------------------------------
    # What the agent says
    # ------------------------------------------------------------------

    def _plc_take_ping(self, status):
        """Store a ping's ``PingStatus`` on the line and in its history."""
        self.ensure_one()
        now = fields.Datetime.now()
        queue = status.queue or {}
        link = {True: "up", False: "down"}.get(status.plc_up, False)
        values = {
            "plc_seen_at": now,
            "plc_agent_version": status.agent_version or False,
            "plc_link": link,
            "plc_last_error": status.plc_last_error or False,
            "plc_last_good_read_at": status.plc_last_good_read_at or False,
            "plc_queue_queued": queue.get("queued") or 0,
            "plc_queue_running": queue.get("running") or 0,
            "plc_held": queue.get("held") or 0,
            "plc_stuck": status.stuck or 0,
            "plc_running_mo": status.running_mo or False,
            "plc_unsent_batches": (status.unsent or {}).get("batches") or 0,
        }
        self.write(values)
        self.env["mrp.plc.line.ping"].create(
            {
                "line_id": self.id,
                "seen_at": now,
                "agent_version": values["plc_agent_version"],
                "plc_up": link,
                "plc_last_error": values["plc_last_error"],
                "plc_last_good_read_at": values["plc_last_good_read_at"],
                "queued": values["plc_queue_queued"],
                "running": values["plc_queue_running"],
                "held": values["plc_held"],
                "stuck": values["plc_stuck"],
                "running_mo": values["plc_running_mo"],
                "unsent_batches": values["plc_unsent_batches"],
            }
        )
        self._plc_agent_back()

    # ------------------------------------------------------------------
    # The state light and the dashboard's figures
    # ------------------------------------------------------------------

    def _plc_is_silent(self, now=None):
        self.ensure_one()
        if not self.plc_seen_at:
            return True
        now = now or fields.Datetime.now()
        limit = datetime.timedelta(
            seconds=SILENT_AFTER_INTERVALS * max(self.plc_health_interval, 1)
        )
        return now - self.plc_seen_at > limit

    def _plc_open_failure_count(self):
        """Failures waiting for someone: equipment failures not resolved, and failed
        batches whose MO was not released to the line again."""
        self.ensure_one()
        failed_mos = self.env["mrp.production"].search_count(
            [
                ("plc_line_id", "=", self.id),
                ("plc_state", "=", "failed"),
                ("state", "not in", ("done", "cancel")),
            ]
        )
        return self.failure_open_count + failed_mos

    def _plc_last_failure(self):
        """The latest failure, as a text and its time: the equipment's or a batch's."""
        self.ensure_one()
        failure = self.env["mrp.plc.failure"].search(
            [("line_id", "=", self.id)], order="occurred_at desc, id desc", limit=1
        )
        failed = self.env["mrp.production"].search(
            [("plc_line_id", "=", self.id), ("plc_state", "=", "failed")],
            order="plc_reported_at desc, id desc",
            limit=1,
        )
        candidates = []
        if failure:
            candidates.append((failure.occurred_at, failure.name))
        if failed:
            candidates.append(
                (
                    failed.plc_finished_at or failed.plc_reported_at,
                    "%s: %s" % (failed.name, failed.plc_reason or ""),
                )
            )
        if not candidates:
            return False, False
        moment, text = max(candidates, key=lambda pair: pair[0])
        return text, moment

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
        now = fields.Datetime.now()
        Production = self.env["mrp.production"]
        for line in self:
            reasons = []
            if line._plc_is_silent(now):
                light = "red"
                reasons.append(
                    _(
                        "Agent silent for %s min",
                        int((now - line.plc_seen_at).total_seconds() // 60),
                    )
                    if line.plc_seen_at
                    else _("Agent never seen")
                )
            else:
                if line.plc_link != "up":
                    reasons.append(
                        _("PLC link down: %s", line.plc_last_error or _("no error text"))
                        if line.plc_link == "down"
                        else _("PLC link not reported by the agent")
                    )
                if line.plc_held:
                    reasons.append(_("%s batches held", line.plc_held))
                if line.plc_stuck:
                    reasons.append(_("%s batches stuck", line.plc_stuck))
                open_failures = line._plc_open_failure_count()
                if open_failures:
                    reasons.append(_("%s failures open", open_failures))
                light = "amber" if reasons else "green"
            line.plc_light = light
            line.plc_light_reason = "; ".join(reasons) or _("Agent and PLC up")
            running = Production
            if line.plc_running_mo:
                running = Production.search(
                    [("plc_line_id", "=", line.id), ("name", "=", line.plc_running_mo)],
                    limit=1,
                )
            line.plc_running_production_id = running
            line.plc_last_failure, line.plc_last_failure_at = line._plc_last_failure()

    def _plc_start_of_today(self):
        """Midnight of the user's today, in UTC as Odoo stores it."""
        tz = pytz.timezone(self.env.user.tz or "UTC")
        local_now = pytz.utc.localize(fields.Datetime.now()).astimezone(tz)
        local_midnight = tz.localize(
            datetime.datetime.combine(local_now.date(), datetime.time.min)
        )
        return local_midnight.astimezone(pytz.utc).replace(tzinfo=None)

    def _compute_plc_mo_counts(self):
        Production = self.env["mrp.production"]
        open_domain = [
            ("plc_line_id", "in", self.ids),
            ("state", "not in", ("done", "cancel")),
        ]
        counts = {}
        for group in Production.read_group(
            open_domain + [("plc_state", "in", ("ready", "sent", "failed"))],
            ["plc_line_id", "plc_state"],
            ["plc_line_id", "plc_state"],
            lazy=False,
        ):
            counts[(group["plc_line_id"][0], group["plc_state"])] = group["__count"]
        done_today = {
            group["plc_line_id"][0]: group["plc_line_id_count"]
            for group in Production.read_group(
                [
                    ("plc_line_id", "in", self.ids),
                    ("plc_state", "=", "done"),
                    ("plc_reported_at", ">=", self._plc_start_of_today()),
                ],
                ["plc_line_id"],
                ["plc_line_id"],
            )
        }
        for line in self:
            line.plc_mo_queued_count = counts.get((line.id, "ready"), 0)
            line.plc_mo_sent_count = counts.get((line.id, "sent"), 0)
            line.plc_mo_failed_count = counts.get((line.id, "failed"), 0)
            line.plc_mo_done_today_count = done_today.get(line.id, 0)

    # ------------------------------------------------------------------
    # The silence alert
    # ------------------------------------------------------------------

    def _plc_silent_activities(self):
        activity_type = self.env.ref(SILENT_ACTIVITY)
        return (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", self.ids),
                    ("activity_type_id", "=", activity_type.id),
                ]
            )
        )

    def _plc_agent_silent(self):
        """Raise the silence activity on each line that has none open yet."""
        alerted = set(self._plc_silent_activities().mapped("res_id"))
        for line in self:
            if line.id in alerted:
                continue
            line.sudo().activity_schedule(
                SILENT_ACTIVITY,
                summary=_("Agent of line %s is silent", line.code),
                note=_(
                    "The agent of PLC line %(line)s has not pinged Odoo since %(seen)s "
                    "(alert after %(minutes)s minutes). Check the agent's service and its "
                    "network path to Odoo.",
                    line=line.code,
                    seen=line.plc_seen_at,
                    minutes=line.plc_silence_alert_minutes,
                ),
                user_id=line._plc_responsible_user().id,
            )

    def _plc_agent_back(self):
        """Mark the silence activities done: the agent pings again."""
        activities = self._plc_silent_activities()
        if activities:
            activities.action_feedback(
                feedback=_("The agent pinged again at %s.", fields.Datetime.now())
            )

    @api.model
    def _cron_plc_watch_agents(self):
        """Raise or clear the silence alerts; prune the ping history."""
        now = fields.Datetime.now()
        lines = self.search([("plc_seen_at", "!=", False)])
        silent = lines.filtered(
            lambda line: now - line.plc_seen_at
            > datetime.timedelta(minutes=max(line.plc_silence_alert_minutes, 1))
        )
        silent._plc_agent_silent()
        (lines - silent)._plc_agent_back()
        self.env["mrp.plc.line.ping"].search(
            [("seen_at", "<", now - datetime.timedelta(days=PING_HISTORY_DAYS))]
        ).unlink()
