# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Text from the plant is text: markup an agent sends is shown, never rendered.

Odoo's sanitizer removes scripts and event handlers from HTML, but keeps links, images
and formatting: any text from the agent or the PLC put unescaped into an activity note,
a message or a mail would reach a person's chatter and inbox as markup. The markup below
goes through every path where plant text meets HTML (a failure, a suspect value of a
batch report, a manual weighing, the ping's texts and the silence alert) and is looked
for as elements in every activity note, message body and mail those paths produce.
"""
import datetime

from lxml import html as lxml_html

from odoo import fields
from odoo.tests import tagged

from odoo.addons.mail.tests.common import MockEmail

from .common import PlcBridgeCase, create_mo

# Short enough for the failure's 64-character texts; each recognisable as an element.
LINK = '<a href="https://plc.example/">a</a>'
IMAGE = '<img src="plc.png"><b>plcb</b>'


def plant_elements(html):
    """The elements of ``html`` that come from the plant's markup."""
    if not html or not html.strip():
        return []
    tree = lxml_html.fromstring("<div>%s</div>" % html)
    found = []
    for element in tree.iter():
        if element.tag == "a" and "plc.example" in (element.get("href") or ""):
            found.append("link")
        elif element.tag == "img" and "plc.png" in (element.get("src") or ""):
            found.append("image")
        elif element.tag == "b" and (element.text or "") == "plcb":
            found.append("bold")
    return found


def shown_text(html):
    return "".join(lxml_html.fromstring("<div>%s</div>" % html).itertext())


@tagged("post_install", "-at_install")
class TestPlantText(PlcBridgeCase, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.responsible = (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Line lead",
                    "login": "plc_text_line_lead",
                    "email": "line.lead@example.com",
                    "notification_type": "email",
                    "groups_id": [(6, 0, [cls.env.ref("mrp.group_mrp_user").id])],
                }
            )
        )
        cls.line.responsible_id = cls.responsible

    def setUp(self):
        super().setUp()
        self.env.cr.execute("SELECT coalesce(max(id), 0) FROM mail_message")
        self.first_message = self.env.cr.fetchone()[0] + 1
        self.env.cr.execute("SELECT coalesce(max(id), 0) FROM mail_activity")
        self.first_activity = self.env.cr.fetchone()[0] + 1

    def report_everything(self):
        """Markup through every path from the agent to a person, as the agent sends it."""
        failure = self.Production.plc_report_failure(
            {
                "line": self.line.code,
                "failure_key": "T1/markup/1",
                "equipment": LINK,
                "info": IMAGE,
                "occurred_at": "2026-11-28T06:01:02+00:00",
            }
        )
        self.assertEqual(failure["status"], "stored")
        production = create_mo(self.env, self.bom, 1000.0)
        production.user_id = self.responsible
        batch = self.send(production)
        suspect = [{"silo": "101", "raw_words": [3, 65535], "reason": LINK + IMAGE}]
        report = self.report(self.payload(batch, suspect=suspect))
        self.assertEqual(report["status"], "recorded")
        weighing = self.Production.plc_report_manual_weighing(
            {
                "line": self.line.code,
                "weighing_key": "T1-W-markup",
                "mo_name": LINK,
                "batch_number": 1,
                "product_template_id": self.products["maize"].product_tmpl_id.id,
                "quantity": 5.0,
                "weighed_at": "2026-11-28T06:01:02+00:00",
            }
        )
        self.assertEqual(weighing["status"], "kept")
        status = {
            "agent_version": LINK,
            "plc": {"up": False, "last_error": LINK + IMAGE},
            "running_mo": IMAGE,
        }
        self.Production.plc_ping(self.line.code, status)
        # The agent falls silent: the watch raises the silence alert.
        self.line.plc_seen_at = fields.Datetime.now() - datetime.timedelta(days=1)
        self.env["mrp.plc.line"]._cron_plc_watch_agents()
        return self.env["mrp.plc.failure"].browse(failure["failure_id"]), production

    def html_produced(self):
        """(where, html) of every activity note, message and mail since setUp."""
        self.env["base"].flush()
        produced = []
        activities = self.env["mail.activity"].search([("id", ">=", self.first_activity)])
        produced += [("activity %s" % a.summary, a.note) for a in activities]
        messages = self.env["mail.message"].search([("id", ">=", self.first_message)])
        produced += [
            ("message %s on %s" % (m.message_type, m.model), m.body) for m in messages
        ]
        produced += [("mail.mail %s" % m.subject, m.body_html) for m in self._new_mails]
        produced += [("e-mail %s" % m["subject"], m["body"]) for m in self._mails]
        return produced

    def test_markup_from_the_plant_is_shown_as_text_everywhere(self):
        with self.mock_mail_gateway():
            failure, production = self.report_everything()
            failure_note = failure.activity_ids.note
            # A person deals with the failure: its note is quoted in the chatter.
            failure.with_user(self.responsible).action_acknowledge()
        produced = self.html_produced()
        rendered = [
            "%s: %s" % (where, ", ".join(plant_elements(html)))
            for where, html in produced
            if plant_elements(html)
        ]
        self.assertFalse(
            rendered, "plant markup rendered as HTML in:\n" + "\n".join(rendered)
        )
        # And it is there, as the text the plant sent.
        self.assertIn(LINK, shown_text(failure_note))
        self.assertIn(IMAGE, shown_text(failure_note))
        mo_note = production.activity_ids.note
        self.assertIn(LINK, shown_text(mo_note))
        notified = [
            html
            for where, html in produced
            if where.startswith("e-mail") and LINK in shown_text(html or "")
        ]
        self.assertGreaterEqual(len(notified), 2, "failure and MO to-do mails")
        done = self.env["mail.message"].search(
            [
                ("id", ">=", self.first_message),
                ("model", "=", "mrp.plc.failure"),
                ("res_id", "=", failure.id),
                ("mail_activity_type_id", "!=", False),
            ]
        )
        self.assertIn(LINK, shown_text(done.body))

    def test_no_view_of_the_addon_renders_a_field_as_raw_html(self):
        views = self.env["ir.ui.view"].search(
            [("model_data_id.module", "like", "mrp_plc_bridge%")]
        )
        self.assertTrue(views)
        raw = [
            view.xml_id
            for view in views
            if "t-raw" in view.arch_db or 'widget="html"' in view.arch_db
        ]
        self.assertFalse(raw, "views rendering raw HTML: %s" % raw)
