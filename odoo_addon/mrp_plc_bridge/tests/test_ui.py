# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The PLC page of a reported MO, its Components tab and the consumption graph, opened
in a real browser.

The MO is fetched and reported through the same RPC methods the agent calls, then its
form is opened in headless Chromium and a tour checks that the PLC page shows the line's
actual figures. Set PLC_TEST_ARTIFACTS to a directory to also keep screenshots there.
"""
import base64
import os

from odoo.tests import Form, HttpCase, tagged
from odoo.tests.common import HOST
from odoo.tools import config

TOUR = "mrp_plc_bridge_plc_page"
SCREENSHOT_NAME = "mrp_plc_bridge_mo_form.png"
COMPONENTS_SHOT = "mrp_plc_bridge_mo_components.png"
GRAPH_SHOT = "mrp_plc_bridge_consumption_graph.png"

# What the line dosed: silo 101 beyond the 2 % tolerance, the others within it. The tour
# (static/src/js/tour_plc_page.js) looks for exactly these figures.
ACTUALS = {"101": 612.5, "102": 379.1, "114": 20.0}
FINISHED_ACTUAL = 995.0
LINE_MESSAGE = "Silo 101 overdosed by 12.5 kg"

# Clicks the tab named %s once the form is there; true once the list %s of the tab shows
# a row that contains %s.
SHOW_TAB = """(function () {
    var tabs = document.querySelectorAll('.o_form_view .o_notebook .nav-link');
    var tab = Array.prototype.find.call(tabs, function (a) {
        return a.textContent.trim() === '%s';
    });
    if (!tab) { return false; }
    if (!tab.classList.contains('active')) { tab.click(); }
    var loading = document.querySelector('.o_loading');
    if (loading && loading.offsetParent !== null) { return false; }
    var rows = document.querySelectorAll(
        '.tab-pane.active .o_field_widget[name=%s] tr.o_data_row');
    return Array.prototype.some.call(rows, function (tr) {
        return tr.textContent.indexOf('%s') !== -1;
    });
})()"""
# The PLC page: the consumption table, with the chart below it.
SHOW_PLC_PAGE = SHOW_TAB % ("PLC", "plc_consumption_ids", "101 - Silo A")
# The Components tab: the maize's excess labelled as dosed over plan.
SHOW_COMPONENTS = SHOW_TAB % ("Components", "move_raw_ids", "Over plan")
# True a second after the graph's canvas shows in % of plan: its bars grow for a while.
SHOW_GRAPH = """(function () {
    var canvas = document.querySelector('.o_graph_renderer canvas');
    var measure = document.querySelector('.o_graph_renderer');
    if (!(canvas && canvas.width > 0 && measure)) { return false; }
    window.plcGraphSeen = window.plcGraphSeen || Date.now();
    return Date.now() - window.plcGraphSeen > 1500;
})()"""


@tagged("post_install", "-at_install")
class TestPlcPageUi(HttpCase):
    # Tall enough for the header, the PLC page, its table and chart in one screenshot.
    browser_size = "1400,1750"

    def setUp(self):
        super().setUp()
        kg = self.env.ref("uom.product_uom_kgm")
        stock = self.env.ref("stock.stock_location_stock")

        def product(name, code):
            return self.env["product.product"].create(
                {
                    "name": name,
                    "default_code": code,
                    "type": "product",
                    "uom_id": kg.id,
                    "uom_po_id": kg.id,
                }
            )

        self.comp_a = product("UI maize", "UIT-A")
        self.comp_b = product("UI soybean meal", "UIT-B")
        self.comp_c = product("UI molasses", "UIT-C")
        self.feed = product("UI layer feed", "UIT-FEED")
        for comp in (self.comp_a, self.comp_b, self.comp_c):
            self.env["stock.quant"]._update_available_quantity(comp, stock, 10000.0)

        self.line = self.env["mrp.plc.line"].create(
            {"name": "UI test line", "code": "UIT", "consumption_tolerance": 2.0}
        )
        silos = [
            ("101", "Silo A", "silo", self.comp_a),
            ("102", "Silo B", "silo", self.comp_b),
            ("114", "Tank C", "tank", self.comp_c),
        ]
        for code, name, kind, comp in silos:
            self.env["mrp.plc.silo"].create(
                {
                    "code": code,
                    "name": name,
                    "kind": kind,
                    "line_id": self.line.id,
                    "product_id": comp.id,
                }
            )
        self.bom = self.env["mrp.bom"].create(
            {
                "product_tmpl_id": self.feed.product_tmpl_id.id,
                "product_id": self.feed.id,
                "product_qty": 1000.0,
                "product_uom_id": kg.id,
                "code": "UIT-BOM",
                "consumption": "flexible",
                "plc_line_id": self.line.id,
                "bom_line_ids": [
                    (0, 0, {"product_id": self.comp_a.id, "product_qty": 600.0}),
                    (0, 0, {"product_id": self.comp_b.id, "product_qty": 380.0}),
                    (0, 0, {"product_id": self.comp_c.id, "product_qty": 20.0}),
                ],
            }
        )
        mo_form = Form(self.env["mrp.production"])
        mo_form.product_id = self.feed
        mo_form.bom_id = self.bom
        mo_form.product_qty = 1000.0
        self.mo = mo_form.save()
        self.mo.action_confirm()
        self.assertEqual(self.mo.plc_line_id, self.line, "the MO takes its line from the BoM")

    def _fetch_and_report(self):
        """Run the MO through the agent's two calls, as an administrator may."""
        admin = self.env.ref("base.user_admin")
        production = self.env["mrp.production"].with_user(admin)
        fetched = production.plc_fetch_batches("UIT", limit=10)
        batches = [b for b in fetched["batches"] if b["mo_id"] == self.mo.id]
        self.assertEqual(len(batches), 1, "the MO is delivered to its line once")
        batch = batches[0]
        self.assertEqual(
            sorted(c["silo"] for c in batch["components"]), sorted(ACTUALS)
        )
        result = production.plc_report_batch(
            {
                "mo_id": self.mo.id,
                "line": "UIT",
                "batch_key": batch["batch_key"],
                "consumption": [
                    {"silo": silo, "quantity": qty} for silo, qty in ACTUALS.items()
                ],
                "finished_quantity": FINISHED_ACTUAL,
                "status": "done",
                "started_at": "2026-11-28T06:00:01+00:00",
                "finished_at": "2026-11-28T06:04:12+00:00",
                "message": LINE_MESSAGE,
            }
        )
        self.assertEqual(result["status"], "done", result)
        return batch

    def _save_screenshot(self, fragment=None, ready=SHOW_PLC_PAGE, name=SCREENSHOT_NAME):
        """Open a page, check it shows ``ready``, keep its picture for people to look at
        when PLC_TEST_ARTIFACTS names a directory.

        ``fragment`` is the web client's URL fragment, by default the MO's form.
        """
        directory = os.environ.get("PLC_TEST_ARTIFACTS")
        fragment = fragment or "id=%d&model=mrp.production&view_type=form" % self.mo.id
        url = "http://%s:%s/web#%s" % (HOST, config["http_port"], fragment)
        self.start_browser()
        self.authenticate("admin", "admin")
        try:
            self.browser.navigate_to(url, wait_stop=True)
            self.assertTrue(
                self.browser._wait_ready(ready, timeout=60),
                "the page %s never showed what the screenshot is for" % fragment,
            )
            shot_id = self.browser._websocket_send("Page.captureScreenshot")
            data = self.browser._websocket_wait_id(shot_id).get("result", {}).get("data")
            self.assertTrue(data, "the browser returned no screenshot")
        finally:
            self.browser.delete_cookie("session_id", domain=HOST)
            self.browser.clear()
            self._wait_remaining_requests()
        if not directory:
            return None
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, name)
        with open(path, "wb") as png:
            png.write(base64.b64decode(data))
        return path

    def test_reported_mo_shows_actuals_on_plc_page(self):
        batch = self._fetch_and_report()
        self.mo.invalidate_cache()
        self.assertEqual(self.mo.plc_state, "done")
        self.assertEqual(self.mo.state, "done")
        self.assertEqual(self.mo.plc_batch_key, batch["batch_key"])
        by_silo = {c.silo_code: c for c in self.mo.plc_consumption_ids}
        for silo, qty in ACTUALS.items():
            self.assertAlmostEqual(by_silo[silo].actual_qty, qty, places=3)
        self.assertTrue(by_silo["101"].tolerance_exceeded)
        self.assertFalse(by_silo["102"].tolerance_exceeded)
        self.env["base"].flush()

        self.start_tour(
            "/web#id=%d&model=mrp.production&view_type=form" % self.mo.id,
            TOUR,
            login="admin",
        )
        self._save_screenshot()

    def test_components_tab_labels_the_plan_and_the_excess(self):
        self._fetch_and_report()
        maize = self.mo.move_raw_ids.filtered(lambda m: m.product_id == self.comp_a)
        self.assertEqual(
            sorted(maize.mapped("plc_dose_role")), ["over_plan", "planned"]
        )
        self.env["base"].flush()
        self._save_screenshot(ready=SHOW_COMPONENTS, name=COMPONENTS_SHOT)

    def test_consumption_graph_in_percent_of_plan(self):
        self._fetch_and_report()
        self.env["base"].flush()
        self._save_screenshot(
            "action=mrp_plc_bridge.mrp_plc_consumption_action&view_type=graph",
            SHOW_GRAPH,
            GRAPH_SHOT,
        )
