# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The PLC line dashboard, the line form, its Agent access wizard, the failure list, the
menus and the consumption pivot, opened in headless Chromium.

One line's agent pings (green), another's has been silent for an hour (red); a batch of
the first line is reported, so the pivot and the card's chart have figures. Set
PLC_TEST_ARTIFACTS to a directory to keep the screenshots there.
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
WIZARD_SHOT = "mrp_plc_bridge_agent_access.png"
FAILURE_LIST_SHOT = "mrp_plc_bridge_failure_list.png"
OPERATIONS_MENU_SHOT = "mrp_plc_bridge_menu_operations.png"
CONFIGURATION_MENU_SHOT = "mrp_plc_bridge_menu_configuration.png"
LIVE_MO = "LIVE/MO/0042"

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
    function card(code) {
        return Array.prototype.find.call(cards, function (c) {
            return c.textContent.indexOf('(' + code + ')') !== -1;
        });
    }
    var running = card('UIG');
    var silent = card('UIR');
    return light('UIG').indexOf('text-success') !== -1
        && light('UIR').indexOf('text-danger') !== -1
        && !!running.querySelector('.o_mrp_plc_link_up')
        && !!silent.querySelector('.o_mrp_plc_link_unknown')
        && running.querySelectorAll('.o_mrp_plc_batches_chart rect.o_mrp_plc_bar').length === 24
        && !!running.querySelector('.o_mrp_plc_batches_chart rect[data-count="1"]')
        && running.querySelector('.o_mrp_plc_done_today').textContent.trim() === '1'
        && (running.querySelector('.o_mrp_plc_next_fetch') || {textContent: ''})
            .textContent.indexOf('batch(es) in the queue are done') !== -1
        && !silent.querySelector('.o_mrp_plc_next_fetch');
})()"""

# True once the running line's card shows LIVE_MO as running, without a page reload.
DASHBOARD_RELOADED = """(function () {
    if (!window.plcNotReloaded) { return false; }
    var running = document.querySelectorAll('.o_kanban_view .o_mrp_plc_running');
    return Array.prototype.some.call(running, function (r) {
        return r.textContent.trim() === 'LIVE/MO/0042';
    });
})()"""

# Opens the Agent access wizard of the line form; true once its first page names the user.
WIZARD_READY = """(function () {
    var modal = document.querySelector('.modal .o_form_view');
    if (!modal) {
        var button = document.querySelector(
            '.o_form_view button[name=action_open_plc_agent_access]');
        if (button && !window.plcWizardAsked) { window.plcWizardAsked = true; button.click(); }
        return false;
    }
    return modal.textContent.replace(/\\s+/g, ' ')
        .indexOf('logs in to Odoo as user plc-agent-uig, which is') !== -1;
})()"""

# True once the failure list names the silo with the PLC's code.
FAILURE_LIST_READY = """(function () {
    var cells = document.querySelectorAll('.o_list_view tbody tr.o_data_row td');
    return Array.prototype.some.call(cells, function (td) {
        return td.textContent.trim() === 'Silo 101 (silo101)';
    });
})()"""

# Opens the top menu called ``name`` of the Manufacturing app; true once it is open.
MENU_OPEN = """(function () {
    var toggles = document.querySelectorAll('.o_menu_sections .dropdown-toggle');
    var toggle = Array.prototype.find.call(toggles, function (a) {
        return a.textContent.trim() === '%s';
    });
    if (!toggle) { return false; }
    var menu = toggle.parentElement.querySelector('.dropdown-menu');
    if (!menu.classList.contains('show')) { toggle.click(); return false; }
    return menu.textContent.indexOf('%s') !== -1;
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
                  '.alert-warning[name=plc_light_amber]:not(.o_invisible_modifier)')
              && document.querySelector('.alert-warning[name=plc_light_amber]')
                  .textContent.indexOf('Open failures: 1') !== -1
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
            "next_fetch": {
                "in_seconds": None,
                "reason": "when the 1 batch(es) in the queue are done",
            },
        }
        # A slow test machine must not turn the running line red before the browser
        # looks: its agent counts as silent only after three hours.
        running["line"].plc_health_interval = 3600
        api.plc_ping("UIG", status)
        api.plc_ping("UIR", status)
        silent["line"].plc_seen_at = fields.Datetime.now() - datetime.timedelta(hours=1)
        self.running_line = running["line"]
        self.silent_line = silent["line"]
        self.api = api
        self.assertAlmostEqual(production.plc_max_deviation_percent, 2.08, 2)
        self.assertEqual(running["line"].plc_light, "green")
        self.assertEqual(silent["line"].plc_light, "red")
        self.env["base"].flush()

    def report_failure(self, line, equipment="silo101"):
        """A failure of ``equipment`` reported by ``line``'s agent."""
        self.api.plc_report_failure(
            {
                "line": line.code,
                "failure_key": "%s/%s/START_FAILURE/20261128T060102Z"
                % (line.code, equipment),
                "equipment": equipment,
                "info": "START_FAILURE",
                "occurred_at": "2026-11-28T06:01:02+00:00",
            }
        )
        self.env["base"].flush()

    def _open_and_shoot(self, fragment, ready, name, change=None, ready_after=None):
        """Open ``fragment`` of the web client as admin, wait for ``ready``, screenshot.

        With ``change``: once ``ready``, run it (between the browser's requests, on the
        cursor they share) and wait for ``ready_after`` before the screenshot.
        """
        self.start_browser()
        self.authenticate("admin", "admin")
        try:
            self.browser.navigate_to(
                "http://%s:%s/web#%s" % (HOST, config["http_port"], fragment),
                wait_stop=True,
            )
            shown = self.browser._wait_ready(ready, timeout=60)
            if shown and change:
                self.browser._wait_ready("window.plcNotReloaded = true", timeout=5)
                with self.registry.test_lock:
                    change()
                shown = self.browser._wait_ready(ready_after, timeout=60)
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

    def test_dashboard_shows_each_lines_light_link_and_chart_and_reloads_itself(self):
        def start_another_mo():
            self.running_line.plc_running_mo = LIVE_MO
            self.env["base"].flush()

        self._open_and_shoot(
            "action=mrp_plc_bridge.mrp_plc_line_action_dashboard",
            DASHBOARD_READY,
            DASHBOARD_SHOT,
            change=start_another_mo,
            ready_after=DASHBOARD_RELOADED,
        )

    def test_consumption_pivot_shows_the_reported_actuals(self):
        self._open_and_shoot(
            "action=mrp_plc_bridge.mrp_plc_consumption_action&view_type=pivot",
            PIVOT_READY,
            PIVOT_SHOT,
        )

    def test_line_form_shows_its_health_and_history(self):
        self.report_failure(self.running_line)
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

    def test_agent_access_wizard_names_the_user(self):
        self._open_and_shoot(
            "id=%d&model=mrp.plc.line&view_type=form" % self.running_line.id,
            WIZARD_READY,
            WIZARD_SHOT,
        )

    def test_failure_list_names_the_equipment(self):
        self.report_failure(self.silent_line)
        self.report_failure(self.silent_line, "motor_pump_01")
        self._open_and_shoot(
            "action=mrp_plc_bridge.mrp_plc_failure_action",
            FAILURE_LIST_READY,
            FAILURE_LIST_SHOT,
        )

    def test_menus_name_the_dashboard_and_the_setup_list_apart(self):
        fragment = "action=mrp_plc_bridge.mrp_plc_line_action_dashboard&menu_id=%d" % (
            self.env.ref("mrp.menu_mrp_root").id
        )
        self._open_and_shoot(
            fragment,
            MENU_OPEN % ("Operations", "PLC Line Dashboard"),
            OPERATIONS_MENU_SHOT,
        )
        self._open_and_shoot(
            fragment,
            MENU_OPEN % ("Configuration", "PLC Lines"),
            CONFIGURATION_MENU_SHOT,
        )
