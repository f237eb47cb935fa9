# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The planner's *Send to the line now*: the MO goes first, and the planner learns when.

Odoo cannot push to the PLC: the line's agent fetches. So the button does what Odoo can
do: it puts the MO first in its line's fetch order (``plc_send_now_at``, read by
mrp_plc_line_fetch.py) and says honestly when the agent will take it, from what the agent
said at its last ping (mrp_plc_line_health.py): at its next ping when its queue is empty,
after the batches it holds otherwise, nothing while it is silent. An MO that cannot go is
refused with what to fix. Plain Python called by ``mrp.production.action_plc_send_now``.
"""
import datetime

import pytz

from odoo import _, fields
from odoo.exceptions import UserError

from .mrp_plc_line_fetch import LineFetch
from .mrp_plc_line_health import SILENT_AFTER_INTERVALS


class SendNow:
    """Send one MO of a PLC line first."""

    def __init__(self, production):
        production.ensure_one()
        self.production = production
        self.line = production.plc_line_id
        self.env = production.env

    def run(self):
        """Put the MO first; the notification action that says when it reaches the PLC."""
        self._check_can_go()
        production = self.production
        values = {"plc_send_now_at": fields.Datetime.now()}
        if production.plc_state == "blocked":
            # Just checked again: what blocked it is fixed.
            values.update(plc_state="ready", plc_reason=False)
        production.write(values)
        message, warning = self._when()
        # Not in the chatter: a user without an email address could not log it, and the
        # time stays on the order (Sent Now at). The notification escapes the agent's words
        # itself and formats them with sprintf, hence the doubled %.
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _(
                    "%(mo)s goes first on line %(line)s",
                    mo=production.name,
                    line=self.line.code,
                ),
                "message": message.replace("%", "%%"),
                "type": "warning" if warning else "success",
                "sticky": warning,
            },
        }

    def _check_can_go(self):
        production = self.production
        line = self.line
        if not line:
            raise UserError(
                _(
                    "%s has no PLC line: set the PLC Line on the order (or on its BoM) "
                    "first.",
                    production.name,
                )
            )
        if not line.active:
            raise UserError(
                _(
                    "PLC line %(line)s of %(mo)s is archived: restore the line or set "
                    "another PLC Line on the order.",
                    line=line.code,
                    mo=production.name,
                )
            )
        if production.state not in ("confirmed", "progress"):
            raise UserError(
                _(
                    "%(mo)s is %(state)s: only confirmed or in-progress orders go to the "
                    "line. Confirm it first.",
                    mo=production.name,
                    state=dict(
                        production._fields["state"]._description_selection(self.env)
                    ).get(production.state, production.state),
                )
            )
        if production.plc_state == "sent":
            raise UserError(
                _(
                    "%(mo)s was already sent to line %(line)s at %(sent)s: the agent has "
                    "it.",
                    mo=production.name,
                    line=line.code,
                    sent=self._show_time(production.plc_sent_at),
                )
            )
        if production.plc_state not in ("ready", "blocked"):
            raise UserError(
                _(
                    "%(mo)s is %(state)s on line %(line)s and does not go again; a failed "
                    "order goes back with Release to PLC.",
                    mo=production.name,
                    state=production.plc_state,
                    line=line.code,
                )
            )
        if production.plc_hold:
            raise UserError(
                _(
                    "%s is on PLC Hold: untick PLC Hold on the order first.",
                    production.name,
                )
            )
        reason = LineFetch(line).blocking_reason(production)
        if reason:
            raise UserError(
                _(
                    "%(mo)s cannot run on line %(line)s: %(reason)s Fix that and press "
                    "the button again.",
                    mo=production.name,
                    line=line.code,
                    reason=reason,
                )
            )

    def _when(self):
        """When the agent takes the MO, as far as Odoo knows; and whether to worry."""
        line = self.line
        now = fields.Datetime.now()
        ahead = self.env["mrp.production"].search_count(
            LineFetch(line).ready_domain()
            + [
                ("id", "!=", self.production.id),
                ("plc_send_now_at", "!=", False),
                # Presses within the same second count as earlier: the fetch orders
                # those by priority and date.
                ("plc_send_now_at", "<=", self.production.plc_send_now_at),
            ]
        )
        first = (
            _("%s other orders were sent now before it and may go first. ", ahead)
            if ahead
            else ""
        )
        if not line.plc_seen_at:
            return (
                first
                + _(
                    "The agent of line %(line)s has never pinged Odoo, so nothing reaches "
                    "the PLC yet. Check that plc-agent runs with PLC_LINE_CODE=%(line)s "
                    "(plc-agent health on the agent's machine).",
                    line=line.code,
                ),
                True,
            )
        silent_after = datetime.timedelta(
            seconds=SILENT_AFTER_INTERVALS * max(line.plc_health_interval, 1)
        )
        if now - line.plc_seen_at > silent_after:
            return (
                first
                + _(
                    "The agent of line %(line)s last pinged Odoo at %(seen)s and is silent "
                    "since: the order waits until it is back. Check the agent's service "
                    "and its link to Odoo (plc-agent health on the agent's machine).",
                    line=line.code,
                    seen=self._show_time(line.plc_seen_at),
                ),
                True,
            )
        if line.plc_next_fetch_reason:
            if line.plc_next_fetch_at:
                when = _(
                    "The agent fetches next at about %(at)s (%(reason)s).",
                    at=self._show_time(max(line.plc_next_fetch_at, now)),
                    reason=line.plc_next_fetch_reason,
                )
            else:
                when = _(
                    "The agent fetches next %s.", line.plc_next_fetch_reason
                )
            return first + when, False
        held = line.plc_queue_queued + line.plc_queue_running
        if held:
            return (
                first
                + _(
                    "It reaches the PLC when the %(count)s batches the agent of line "
                    "%(line)s holds are done.",
                    count=held,
                    line=line.code,
                ),
                False,
            )
        return (
            first
            + _(
                "The agent of line %s does not say when it fetches next (an older "
                "agent): it fetches when its queue empties and at its hourly sync.",
                line.code,
            ),
            False,
        )

    def _show_time(self, moment):
        """A UTC time in the user's time zone, with the zone named."""
        tz = pytz.timezone(self.env.user.tz or "UTC")
        local = pytz.utc.localize(moment).astimezone(tz)
        return local.strftime("%Y-%m-%d %H:%M:%S %Z")
