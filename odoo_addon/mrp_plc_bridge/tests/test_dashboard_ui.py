# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The PLC Lines dashboard and the consumption pivot, opened in headless Chromium.

One line's agent pings (green), another's has been silent for an hour (red); a batch of
the first line is reported, so the pivot has figures. Set PLC_TEST_ARTIFACTS to a
directory to keep the screenshots there.
"""
import base64
import datetime
import os

from odoo import fields
from odoo.tests import HttpCase, tagged
from odoo.tests.common import HOST
from odoo.tools import config

from .common import add_stock, build_plant, create_agent_user, create_mo

DASHBOARD_SHOT = "mrp_plc_bridge_dashboard.png"
PIVOT_SHOT = "mrp_plc_bridge_consumption_pivot.png"
LINE_FORM_SHOT = "mrp_plc_bridge_line_form.png"
MO_LIST_SHOT = "mrp_plc_bridge_mo_list.png"

# True once both lines' cards show, each with its light.
DASHBOARD_READY = """(function () {
    var cards = document.querySelectorAll('.o_kanban_view .o_kanban_record');
    function light(code) {
        var card = Array.prototype.find.call(cards, function (c) {
            return c.textContent.indexOf('(' + code + ')') !== -1;
        });
        var dot = card && card.querySelector('.o_mrp_plc_light');
        return dot ? dot.className : '';
    }
    return light('UIG').indexOf('text-success') !== -1
        && light('UIR').indexOf('text-danger') !== -1;
})()"""

# True once the pivot shows the reported maize of line UIG in % of plan (+2.08 %),
# under the heading of its place against the tolerance.
PIVOT_READY = """(function () {
    var table = document.querySelector('.o_pivot table');
    return !!(table && table.textContent.indexOf('Ground maize UIG') !== -1
              && table.textContent.indexOf('2.08') !== -1
              && table.textContent.indexOf('Beyond tolerance') !== -1
              && table.textContent.indexOf('Deviation (% of plan)') !== -1);
})()"""


# Opens the line form's Health tab; true once its history table has a row.
LINE_FORM_READY = """(function () {
    var tabs = document.querySelectorAll('.o_form_view .o_notebook .nav-link');
    var tab = Array.prototype.find.call(tabs, function (a) {
        return a.textContent.trim() === 'Health';
    });
    if (!tab) { return false; }
    if (!tab.classList.contains('active')) { tab.click(); }
    return !!(document.querySelector(
                  '.alert-success[name=plc_light_green]:not(.o_invisible_modifier)')
              && document.querySelector(
                  '.tab-pane.active .o_field_widget[name=plc_ping_ids] tr.o_data_row'));
})()"""

# Drops the list's default filter (orders to do: the reported MO is done); true once the
# list shows the done MO and no PLC column: those are optional, for the user to switch on.
MO_LIST_READY = """(function () {
    var remove = document.querySelector('.o_searchview_facet .o_facet_remove');
    if (remove) { remove.click(); return false; }
    var done = Array.prototype.some.call(
        document.querySelectorAll('.o_list_view tbody tr.o_data_row'), function (tr) {
            return tr.textContent.indexOf('Test feed UIG') !== -1
                && tr.textContent.indexOf('Done') !== -1;
        });
    if (!done) { return false; }
    var headers = Array.prototype.map.call(
        document.querySelectorAll('.o_list_view thead th'),
        function (th) { return th.textContent.trim(); });
    return headers.indexOf('Reference') !== -1 && !headers.some(function (header) {
        return header.indexOf('PLC') !== -1;
    });
})()"""


@tagged("post_install", "-at_install")
class TestDashboardUi(HttpCase):
    browser_size = "1400,1000"

    def setUp(self):
        super().setUp()
        running = build_plant(self.env, "UIG")
        silent = build_plant(self.env, "UIR")
        for name in ("maize", "soy", "molasses"):
            add_stock(self.env, running["products"][name], 10000.0)
        agent = create_agent_user(
            self.env, "plc_agent_ui", running["line"] | silent["line"]
        )
        api = self.env["mrp.production"].with_user(agent)
        production = create_mo(self.env, running["bom"], 1000.0)
        queued = create_mo(self.env, running["bom"], 500.0)
        batch = [
            b
            for b in api.plc_fetch_batches("UIG", 1)["batches"]
            if b["mo_id"] == production.id
        ][0]
        actuals = {"101": 612.5, "102": 379.1, "114": 20.0}
        result = api.plc_report_batch(
            {
                "mo_id": production.id,
                "line": "UIG",
                "batch_key": batch["batch_key"],
                "consumption": [
                    {"silo": silo, "quantity": qty} for silo, qty in actuals.items()
                ],
                "finished_quantity": 1011.6,
                "status": "done",
                "started_at": "2026-11-28T06:00:01+00:00",
                "finished_at": "2026-11-28T06:04:12+00:00",
            }
        )
        self.assertEqual(result["status"], "done", result)
        status = {
            "agent_version": "0.2.0",
            "queue": {"queued": 0, "running": 0, "held": 0},
            "plc": {"up": True, "last_error": None},
            "stuck": 0,
            "running_mo": queued.name,
        }
        # A slow test machine must not turn the running line red before the browser
        # looks: its agent counts as silent only after three hours.
        running["line"].plc_health_interval = 3600
        api.plc_ping("UIG", status)
        api.plc_ping("UIR", status)
        silent["line"].plc_seen_at = fields.Datetime.now() - datetime.timedelta(hours=1)
        self.running_line = running["line"]
        self.assertAlmostEqual(production.plc_max_deviation_percent, 2.08, 2)
        self.assertEqual(running["line"].plc_light, "green")
        self.assertEqual(silent["line"].plc_light, "red")
        self.env["base"].flush()

    def _open_and_shoot(self, fragment, ready, name):
        """Open ``fragment`` of the web client as admin, wait for ``ready``, screenshot."""
        self.start_browser()
        self.authenticate("admin", "admin")
        try:
            self.browser.navigate_to(
                "http://%s:%s/web#%s" % (HOST, config["http_port"], fragment),
                wait_stop=True,
            )
            shown = self.browser._wait_ready(ready, timeout=60)
            shot_id = self.browser._websocket_send("Page.captureScreenshot")
            data = self.browser._websocket_wait_id(shot_id).get("result", {}).get("data")
            self.assertTrue(data, "the browser returned no screenshot")
            directory = os.environ.get("PLC_TEST_ARTIFACTS")
            if directory:
                os.makedirs(directory, exist_ok=True)
                if not shown:
                    name = name.replace(".png", "_failed.png")
                with open(os.path.join(directory, name), "wb") as png:
                    png.write(base64.b64decode(data))
            self.assertTrue(
                shown, "the page %s never showed what the test waits for" % fragment
            )
        finally:
            self.browser.delete_cookie("session_id", domain=HOST)
            self.browser.clear()
            self._wait_remaining_requests()

    def test_dashboard_shows_each_lines_light(self):
        self._open_and_shoot(
            "action=mrp_plc_bridge.mrp_plc_line_action_dashboard",
            DASHBOARD_READY,
            DASHBOARD_SHOT,
        )

    def test_consumption_pivot_shows_the_reported_actuals(self):
        self._open_and_shoot(
            "action=mrp_plc_bridge.mrp_plc_consumption_action&view_type=pivot",
            PIVOT_READY,
            PIVOT_SHOT,
        )

    def test_line_form_shows_its_health_and_history(self):
        self._open_and_shoot(
            "id=%d&model=mrp.plc.line&view_type=form" % self.running_line.id,
            LINE_FORM_READY,
            LINE_FORM_SHOT,
        )

    def test_mo_list_shows_no_plc_column_by_default(self):
        self._open_and_shoot(
            "action=mrp.mrp_production_action&view_type=list",
            MO_LIST_READY,
            MO_LIST_SHOT,
        )
