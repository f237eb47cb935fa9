# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Is the line running: what its agent last said, the state light, and the silence alert.

The agent's ping passes the door (mrp_production_plc_rpc.py, its shape checked in
payloads/ping_status.py) and lands here through the line (``_plc_take_ping``); the
line's computes and its watch cron call the rest. The history of pings is
mrp.plc.line.ping. Plain Python called by the line, not a model.
"""
import datetime

import pytz

from odoo import _, fields

SILENT_ACTIVITY = "mrp_plc_bridge.mail_activity_type_plc_agent_silent"
# The agent pings every health interval; missing this many pings in a row means it is
# silent (a single late ping on a busy Odoo is not an outage).
SILENT_AFTER_INTERVALS = 3
PING_HISTORY_DAYS = 7


class LineHealth:
    """What the agents of ``lines`` say, the state light, and the silence alert."""

    def __init__(self, lines):
        self.lines = lines
        self.env = lines.env

    # ------------------------------------------------------------------
    # What the agent says
    # ------------------------------------------------------------------

    def take_ping(self, status):
        """Store a ping's ``PingStatus`` on the line and in its history."""
        line = self.lines
        line.ensure_one()
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
        # An agent that does not say when it fetches next leaves both empty.
        values.update(
            plc_next_fetch_at=(
                now + datetime.timedelta(seconds=status.next_fetch_in_seconds)
                if status.next_fetch_in_seconds is not None
                else False
            ),
            plc_next_fetch_reason=status.next_fetch_reason or False,
        )
        line.write(values)
        self.env["mrp.plc.line.ping"].create(
            {
                "line_id": line.id,
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
        self._agent_back(line)

    # ------------------------------------------------------------------
    # The state light and the dashboard's figures
    # ------------------------------------------------------------------

    @staticmethod
    def _is_silent(line, now):
        if not line.plc_seen_at:
            return True
        limit = datetime.timedelta(
            seconds=SILENT_AFTER_INTERVALS * max(line.plc_health_interval, 1)
        )
        return now - line.plc_seen_at > limit

    def _open_failure_count(self, line):
        """Failures waiting for someone: equipment failures not resolved, and failed
        batches whose MO was not released to the line again."""
        failed_mos = self.env["mrp.production"].search_count(
            [
                ("plc_line_id", "=", line.id),
                ("plc_state", "=", "failed"),
                ("state", "not in", ("done", "cancel")),
            ]
        )
        return line.failure_open_count + failed_mos

    def _last_failure(self, line):
        """The latest failure, as a text and its time: the equipment's or a batch's."""
        failure = self.env["mrp.plc.failure"].search(
            [("line_id", "=", line.id)], order="occurred_at desc, id desc", limit=1
        )
        failed = self.env["mrp.production"].search(
            [("plc_line_id", "=", line.id), ("plc_state", "=", "failed")],
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

    def compute_light(self):
        """The lines' state light, its reason, the running MO and the last failure."""
        now = fields.Datetime.now()
        Production = self.env["mrp.production"]
        for line in self.lines:
            reasons = []
            if self._is_silent(line, now):
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
                # "Label: count" reads the same for one and for many.
                if line.plc_held:
                    reasons.append(_("Batches held: %s", line.plc_held))
                if line.plc_stuck:
                    reasons.append(_("Batches stuck: %s", line.plc_stuck))
                open_failures = self._open_failure_count(line)
                if open_failures:
                    reasons.append(_("Open failures: %s", open_failures))
                light = "amber" if reasons else "green"
            line.plc_light = light
            # A silent agent's last word on the PLC is no news of it.
            line.plc_link_now = (
                "unknown" if light == "red" else (line.plc_link or "unknown")
            )
            line.plc_light_reason = "; ".join(reasons) or _("Agent and PLC up")
            running = Production
            if line.plc_running_mo:
                running = Production.search(
                    [("plc_line_id", "=", line.id), ("name", "=", line.plc_running_mo)],
                    limit=1,
                )
            line.plc_running_production_id = running
            line.plc_last_failure, line.plc_last_failure_at = self._last_failure(line)

    def _start_of_today(self):
        """Midnight of the user's today, in UTC as Odoo stores it."""
        tz = pytz.timezone(self.env.user.tz or "UTC")
        local_now = pytz.utc.localize(fields.Datetime.now()).astimezone(tz)
        local_midnight = tz.localize(
            datetime.datetime.combine(local_now.date(), datetime.time.min)
        )
        return local_midnight.astimezone(pytz.utc).replace(tzinfo=None)

    def batches_per_hour_today(self):
        """The MOs each line finished in each hour of the user's today (0 to 23, in the
        user's time zone), and that hour now: ``({line id: [24 counts]}, hour now)``."""
        tz = pytz.timezone(self.env.user.tz or "UTC")
        hour_now = pytz.utc.localize(fields.Datetime.now()).astimezone(tz).hour
        counts = {line.id: [0] * 24 for line in self.lines}
        for production in self.env["mrp.production"].search_read(
            [
                ("plc_line_id", "in", self.lines.ids),
                ("plc_state", "=", "done"),
                ("plc_reported_at", ">=", self._start_of_today()),
            ],
            ["plc_line_id", "plc_reported_at"],
        ):
            hour = pytz.utc.localize(production["plc_reported_at"]).astimezone(tz).hour
            counts[production["plc_line_id"][0]][hour] += 1
        return counts, hour_now

    def compute_batches_today(self):
        """Today's MOs per hour as the card's chart draws them: 24 numbers, an hour to
        come left empty, and the largest number for the scale."""
        counts, hour_now = self.batches_per_hour_today()
        for line in self.lines:
            hours = counts[line.id]
            line.plc_batches_today = ",".join(
                str(count) if hour <= hour_now else ""
                for hour, count in enumerate(hours)
            )
            line.plc_batches_today_max = max(hours)

    def compute_mo_counts(self):
        """The dashboard's MO figures of the lines."""
        lines = self.lines
        Production = self.env["mrp.production"]
        open_domain = [
            ("plc_line_id", "in", lines.ids),
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
                    ("plc_line_id", "in", lines.ids),
                    ("plc_state", "=", "done"),
                    ("plc_reported_at", ">=", self._start_of_today()),
                ],
                ["plc_line_id"],
                ["plc_line_id"],
            )
        }
        for line in lines:
            line.plc_mo_queued_count = counts.get((line.id, "ready"), 0)
            line.plc_mo_sent_count = counts.get((line.id, "sent"), 0)
            line.plc_mo_failed_count = counts.get((line.id, "failed"), 0)
            line.plc_mo_done_today_count = done_today.get(line.id, 0)

    # ------------------------------------------------------------------
    # The silence alert
    # ------------------------------------------------------------------

    def _silent_activities(self, lines):
        activity_type = self.env.ref(SILENT_ACTIVITY)
        return (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "mrp.plc.line"),
                    ("res_id", "in", lines.ids),
                    ("activity_type_id", "=", activity_type.id),
                ]
            )
        )

    def _agent_silent(self, lines):
        """Raise the silence activity on each line that has none open yet."""
        alerted = set(self._silent_activities(lines).mapped("res_id"))
        for line in lines:
            if line.id in alerted:
                continue
            responsible = line._plc_responsible_user()
            line.sudo().activity_schedule(
                SILENT_ACTIVITY,
                summary=_("Agent of line %s is silent", line.code),
                note=_(
                    "The agent of PLC line %(line)s has not pinged Odoo since %(seen)s "
                    "(alert after %(minutes)s minutes). Check the agent's service and its "
                    "network path to Odoo.",
                    line=line.code,
                    seen=line._plc_time_text(line.plc_seen_at, responsible),
                    minutes=line.plc_silence_alert_minutes,
                ),
                user_id=responsible.id,
            )

    def _agent_back(self, lines):
        """Mark the silence activities done: the agent pings again."""
        now = fields.Datetime.now()
        for activity in self._silent_activities(lines):
            line = lines.browse(activity.res_id)
            activity.action_feedback(
                feedback=_(
                    "The agent pinged again at %s.",
                    line._plc_time_text(now, line._plc_responsible_user()),
                )
            )

    def watch(self):
        """Raise or clear the silence alerts of the lines seen; prune the ping history."""
        now = fields.Datetime.now()
        lines = self.lines
        silent = lines.filtered(
            lambda line: now - line.plc_seen_at
            > datetime.timedelta(minutes=max(line.plc_silence_alert_minutes, 1))
        )
        self._agent_silent(silent)
        self._agent_back(lines - silent)
        self.env["mrp.plc.line.ping"].search(
            [("seen_at", "<", now - datetime.timedelta(days=PING_HISTORY_DAYS))]
        ).unlink()
