# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The agent's one door: every RPC entry of ``mrp.production`` comes in through ``enter()``.

The public methods (``plc_ping``, ``plc_fetch_batches``, ``plc_report_batch``,
``plc_report_failure``, ``plc_report_manual_weighing``, docs/api.md) are one line each in
mrp_production.py: ``enter(self, <Entry>, *args)``. Before any record is read or written
the door

1. checks the caller's group (*PLC agent*, or an administrator, or superuser code);
2. checks and bounds every argument (``payloads/``): a value the call can never accept is
   answered, naming the field, before it is quoted anywhere;
3. finds the line the call acts for and checks the caller is bound to it
   (``mrp.plc.line.plc_agent_user_ids``; administrators and superuser code are not
   limited), and for a batch report the MO's line too: an MO of a line the caller is not
   bound to is answered exactly as an MO that does not exist.

Only then does the entry hand over to the record that does the work. Work that ends in a
``rejected`` answer runs in a savepoint that is rolled back: a refusal writes nothing.

Plain Python called by the model, not a model of its own.
"""
from odoo import _, fields
from odoo.exceptions import AccessError, UserError

from ..payloads.batch_report import no_such_mo, parse_report
from ..payloads.checks import MAX_FETCH_LIMIT, ReportRejected, check_line_code, show
from ..payloads.failure import parse_failure
from ..payloads.ping_status import parse_status
from ..payloads.weighing import parse_weighing
from .mrp_plc_line_agent_access import AGENT_GROUP

API_VERSION = 1
# The refusal names the lines the agent user is bound to; an agent bound to all lines of
# its companies (see the 14.0.1.2.0 upgrade) gets the first ones and a count.
SHOW_BOUND_LINES = 10


def enter(productions, entry, *args):
    """Call ``entry`` with the RPC arguments ``args`` as the caller of ``productions``."""
    return entry(Door(productions.env)).call(*args)


class Door:
    """The caller of one RPC call: who it is and the lines it may act for."""

    def __init__(self, env):
        self.env = env
        self.user = env.user
        self.limited = not (env.su or env.user._is_system())

    def check_group(self):
        if self.env.su:
            return
        if self.user.has_group(AGENT_GROUP) or self.user.has_group("base.group_system"):
            return
        raise AccessError(
            _(
                "Only members of the group 'PLC agent' may call the PLC bridge API "
                "(user %s).",
                self.user.login,
            )
        )

    def line(self, code):
        """The line of ``code`` the caller may act for; for an administrator the line of
        that code, archived ones included, or an empty recordset."""
        lines = self.env["mrp.plc.line"].sudo()
        domain = [("code", "=", code)]
        if self.limited:
            # Only the caller's own lines are looked at: another line is never read.
            domain.append(("plc_agent_user_ids", "in", self.user.id))
        line = lines.with_context(active_test=False).search(domain, limit=1)
        if self.limited and not line:
            self.refuse_line(code)
        # In the caller's context again: the line's archived silos stay out of its work.
        return lines.browse(line.ids)

    def refuse_line(self, code):
        """The one refusal for a line the caller may not act for: the code it gave and,
        to name the fix, the lines it is bound to; whether the code exists is not said."""
        bound = (
            self.env["mrp.plc.line"]
            .sudo()
            .with_context(active_test=False)
            .search([("plc_agent_user_ids", "in", self.user.id)])
            .mapped("code")
        )
        shown = ", ".join(bound[:SHOW_BOUND_LINES])
        if len(bound) > SHOW_BOUND_LINES:
            shown = _(
                "%(codes)s and %(count)s more",
                codes=shown,
                count=len(bound) - SHOW_BOUND_LINES,
            )
        raise AccessError(
            _(
                "User %(login)s may not act for PLC line %(line)s: this agent user is "
                "bound to %(bound)s. Check the agent's PLC_LINE_CODE, or bind the user on "
                "the line's Agent Users page.",
                login=self.user.login,
                line=show(code),
                bound=shown or _("no line"),
            )
        )

    def production(self, mo_id):
        """The MO of ``mo_id`` the caller may report; an MO of a line it is not bound to is
        answered like one that does not exist."""
        productions = self.env["mrp.production"].sudo()
        domain = [("id", "=", mo_id)]
        if self.limited:
            domain.append(("plc_line_id.plc_agent_user_ids", "in", self.user.id))
        production = productions.search(domain, limit=1)
        if not production:
            raise no_such_mo(mo_id)
        return production


class Entry:
    """One RPC entry: how its arguments are checked, the line it acts for, the work.

    ``parse(*args)`` returns ``(line_code, request)`` or raises ``ReportRejected``;
    ``work(line, request)`` does the call. A refusal is raised as ``UserError`` unless the
    entry answers it (``rejected()``).
    """

    answers_rejections = False

    def __init__(self, door):
        self.door = door
        self.env = door.env

    def call(self, *args):
        self.door.check_group()
        try:
            line_code, request = self.parse(*args)
        except ReportRejected as error:
            return self.refuse(error.reason)
        line = self.door.line(line_code)
        if not self.answers_rejections:
            return self.work(line, request)
        try:
            # The work may still find the payload unacceptable (a different payload under
            # a key already reported, an MO not waiting for it): nothing it wrote stays.
            with self.env.cr.savepoint():
                return self.work(line, request)
        except ReportRejected as error:
            return self.refuse(error.reason)

    def refuse(self, reason):
        if self.answers_rejections:
            return self.rejected(reason)
        raise UserError(reason)

    def rejected(self, reason):
        return {
            "status": "rejected",
            "duplicate": False,
            "reason": reason,
            "api_version": API_VERSION,
        }


class Ping(Entry):
    """``plc_ping(line_code, status=None)``: the agent is alive, and how its line is."""

    def parse(self, line_code, status=None):
        check_line_code(line_code, "line_code")
        return line_code, (line_code, parse_status(status))

    def work(self, line, request):
        line_code, status = request
        answer = {
            "api_version": API_VERSION,
            "server_time": fields.Datetime.to_string(fields.Datetime.now()),
            # As given: an administrator may ping a code no line has.
            "line": line_code,
            "line_exists": bool(line),
            "line_active": bool(line.active),
        }
        if line:
            answer.update(line._plc_capacity())
            # The agent fetches at once when its queue is empty and this is above 0:
            # new work goes to an idle line within one ping, with no extra call per ping.
            answer["ready_mo_count"] = line._plc_ready_count() if line.active else 0
            line._plc_take_ping(status)
        return answer


class FetchBatches(Entry):
    """``plc_fetch_batches(line_code, limit=10)``: the line's batches for its agent."""

    def parse(self, line_code, limit=10):
        if (
            isinstance(limit, bool)
            or not isinstance(limit, int)
            or not 1 <= limit <= MAX_FETCH_LIMIT
        ):
            raise ReportRejected(
                "limit must be an integer from 1 to %d, got %s."
                % (MAX_FETCH_LIMIT, show(limit))
            )
        check_line_code(line_code, "line_code")
        return line_code, (line_code, limit)

    def work(self, line, request):
        line_code, limit = request
        if not line.active:
            raise UserError(_("Unknown or archived PLC line %s.", show(line_code)))
        return {
            "api_version": API_VERSION,
            "line": line.code,
            "batches": line._plc_take_batches(limit),
        }


class ReportBatch(Entry):
    """``plc_report_batch(payload)``: a batch's actuals, applied to its MO once."""

    answers_rejections = True

    def parse(self, payload):
        report = parse_report(payload)
        return report.line, report

    def work(self, line, report):
        # The MO's own line (not only the payload's) must be the caller's.
        production = self.door.production(report.mo_id)
        return production.with_company(production.company_id)._plc_take_report(report)

    def rejected(self, reason):
        return dict(super().rejected(reason), mo_state=None)


class ReportFailure(Entry):
    """``plc_report_failure(payload)``: an equipment failure of the line, stored once."""

    answers_rejections = True

    def parse(self, payload):
        report = parse_failure(payload)
        return report.line, report

    def work(self, line, report):
        if not line:
            raise ReportRejected(_("line: unknown PLC line %s.", show(report.line)))
        return (
            self.env["mrp.plc.failure"]
            .sudo()
            .with_company(line.company_id)
            ._plc_take_failure(line, report)
        )

    def rejected(self, reason):
        return dict(super().rejected(reason), failure_id=None)


class ReportWeighing(Entry):
    """``plc_report_manual_weighing(payload)``: a manual weighing, consumed or kept once."""

    answers_rejections = True

    def parse(self, payload):
        weighing = parse_weighing(payload)
        return weighing.line, weighing

    def work(self, line, weighing):
        if not line:
            raise ReportRejected(_("line: unknown PLC line %s.", show(weighing.line)))
        return (
            self.env["mrp.plc.weighing"]
            .sudo()
            .with_company(line.company_id)
            ._plc_take_weighing(line, weighing)
        )
