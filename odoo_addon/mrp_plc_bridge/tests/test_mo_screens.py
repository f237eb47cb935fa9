# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The MO's screens as the web client gets them: the PLC page's columns, the deviation's
colour against the line's tolerance, the Components tab's two rows of one component, the
chart, the MO list and the consumption analysis."""
import json

from lxml import etree

from odoo.tests import tagged

from ..models.mrp_plc_consumption import deviation_state
from ..models.mrp_production_plc_chart import consumption_chart
from .common import PlcBridgeCase, create_mo

# What a plant engineer reads at a glance on the PLC page; the rest is optional.
PLC_PAGE_COLUMNS = [
    "silo_id",
    "product_id",
    "plc_planned_qty",
    "plc_actual_qty",
    "plc_uom_id",
    "deviation_percent",
    # Where lots are on (Inventory settings): the lot each silo's dose is booked on.
    "lot_names",
]
# A header longer than this is cut in a list of the form's width.
HEADER_MAX = 12


def columns(arch, fields):
    """(name, header, modifiers, optional) of each column of a tree arch."""
    found = []
    for node in etree.fromstring(arch).iterchildren("field"):
        name = node.get("name")
        header = node.get("string") or fields[name]["string"]
        modifiers = json.loads(node.get("modifiers") or "{}")
        found.append((name, header, modifiers, node.get("optional")))
    return found


def holds(leaf, parent):
    """One leaf of a column_invisible domain on the parent's values (all ANDed here)."""
    field, operator, value = leaf
    assert field.startswith("parent."), leaf
    actual = parent.get(field[len("parent.") :])
    return {
        "=": lambda: actual == value,
        "!=": lambda: actual != value,
        "in": lambda: actual in value,
        "not in": lambda: actual not in value,
    }[operator]()


def shown(cols, parent=None):
    """The columns shown by default (``parent``: the values of parent.* in modifiers)."""
    parent = parent or {}
    result = []
    for name, _header, modifiers, optional in cols:
        hidden = modifiers.get("column_invisible", False)
        if isinstance(hidden, list):
            hidden = all(holds(leaf, parent) for leaf in hidden)
        if not hidden and optional != "hide":
            result.append(name)
    return result


@tagged("post_install", "-at_install")
class TestMoScreens(PlcBridgeCase):
    def _plc_page(self):
        view = self.env["mrp.production"].fields_view_get(view_type="form")
        sub = view["fields"]["plc_consumption_ids"]["views"]["tree"]
        return columns(sub["arch"], sub["fields"])

    def test_plc_page_shows_one_planned_and_one_actual_in_the_silo_unit(self):
        cols = self._plc_page()
        self.assertEqual(shown(cols, {"plc_suspect": False}), PLC_PAGE_COLUMNS)
        # A suspect MO shows which silo's value the line doubted.
        self.assertEqual(
            shown(cols, {"plc_suspect": True}), PLC_PAGE_COLUMNS + ["suspect"]
        )
        headers = {name: header for name, header, _m, _o in cols}
        self.assertEqual(headers["plc_planned_qty"], "Planned")
        self.assertEqual(headers["plc_actual_qty"], "Actual")
        self.assertEqual(headers["plc_uom_id"], "Unit")
        for name in PLC_PAGE_COLUMNS:
            self.assertLessEqual(
                len(headers[name]), HEADER_MAX, "header of %s is cut" % name
            )
        # Every other column of a person's interest is there to switch on.
        optional = {name for name, _h, _m, opt in cols if opt == "hide"}
        self.assertEqual(
            optional,
            {
                "run",
                "suspect_reason",
                "planned_qty",
                "actual_qty",
                "product_uom_id",
                "deviation_qty",
                "lot_note",
                "corrected_actual_qty",
            },
        )
        self.assertEqual(
            [h for n, h, _m, _o in cols if n in optional and "(" in h],
            [
                "Planned (product unit)",
                "Actual (product unit)",
                "Deviation (product unit)",
            ],
            "the product-unit figures say their unit",
        )

    def test_plc_page_colours_the_deviation_by_where_it_stands(self):
        arch = self.env["mrp.production"].fields_view_get(view_type="form")["fields"][
            "plc_consumption_ids"
        ]["views"]["tree"]["arch"]
        node = etree.fromstring(arch).find("field[@name='deviation_percent']")
        self.assertEqual(node.get("decoration-success"), "deviation_state == 'within'")
        self.assertEqual(node.get("decoration-warning"), "deviation_state == 'near'")
        self.assertEqual(node.get("decoration-danger"), "deviation_state == 'beyond'")

    def test_deviation_within_near_and_beyond_the_line_tolerance(self):
        # Silo 101 plans 600 kg; the line's tolerance is 2 %: near from 1.5 %.
        self.assertEqual(self.line.consumption_tolerance, 2.0)
        expected = {
            600.0: "within",  # 0 %
            605.0: "within",  # +0.83 %
            591.0: "near",  # -1.50 %: three quarters of the tolerance
            610.0: "near",  # +1.67 %
            612.0: "near",  # +2.00 %: at the tolerance, not beyond it
            612.02: "near",  # +2.0033 %, shown as 2.00 %: not red
            613.0: "beyond",  # +2.17 %
            570.0: "beyond",  # -5 %
        }
        consumptions = {}
        for actual in expected:
            production = create_mo(self.env, self.bom, 1000.0)
            self.report(self.payload(self.send(production), {"101": actual}))
            consumptions[actual] = production.plc_consumption_ids.filtered(
                lambda c: c.silo_code == "101"
            )
        for actual, state in expected.items():
            consumption = consumptions[actual]
            self.assertEqual(
                consumption.deviation_state,
                state,
                "%s kg of 600: %.4f %%" % (actual, consumption.deviation_percent),
            )
            self.assertEqual(consumption.tolerance_exceeded, state == "beyond")
            self.assertEqual(consumption.tolerance_percent, 2.0)
        # The MO's unreported line has no state; a wider tolerance re-judges the lot.
        self.line.consumption_tolerance = 5.0
        self.assertEqual(consumptions[613.0].deviation_state, "within")
        self.assertEqual(consumptions[570.0].deviation_state, "near")
        self.line.consumption_tolerance = 0.0
        self.assertEqual(consumptions[600.0].deviation_state, "within")
        self.assertEqual(consumptions[605.0].deviation_state, "beyond")

    def test_deviation_state_rule(self):
        self.assertEqual(deviation_state(0.0, 2.0), "within")
        self.assertEqual(deviation_state(1.49, 2.0), "within")
        self.assertEqual(deviation_state(-1.5, 2.0), "near")
        self.assertEqual(deviation_state(2.004, 2.0), "near")
        self.assertEqual(deviation_state(2.006, 2.0), "beyond")
        self.assertEqual(deviation_state(0.0, 0.0), "within")
        self.assertEqual(deviation_state(0.01, 0.0), "beyond")

    def test_unreported_consumption_has_no_deviation_state(self):
        production = create_mo(self.env, self.bom, 1000.0)
        self.send(production)
        self.assertTrue(production.plc_consumption_ids)
        self.assertEqual(set(production.plc_consumption_ids.mapped("deviation_state")), {False})

    def test_components_tab_says_which_row_is_the_plan_and_which_the_excess(self):
        production = create_mo(self.env, self.bom, 1000.0)
        moves = production.move_raw_ids
        self.assertEqual(set(moves.mapped("plc_dose_role")), {"planned"})
        # Maize over plan (606 of 600), soybean meal short of it (361 of 380).
        self.report(self.payload(self.send(production), {"101": 606.0, "102": 361.0}))
        self.assertEqual(production.state, "done")
        maize = production.move_raw_ids.filtered(
            lambda m: m.product_id == self.products["maize"]
        )
        soy = production.move_raw_ids.filtered(
            lambda m: m.product_id == self.products["soy"]
        )
        over = maize.filtered(lambda m: m.plc_dose_role == "over_plan")
        # Silo 101 feeds two BoM lines (500 + 100): an extra move beside each.
        self.assertEqual(len(over), 2, "Odoo booked each move's excess as an extra move")
        self.assertAlmostEqual(sum(over.mapped("quantity_done")), 6.0)
        self.assertEqual(
            set((maize - over).mapped("plc_dose_role")), {"planned"}
        )
        # Odoo lowers the soybean meal's demand to the 361 kg dosed and keeps an
        # empty move for the rest.
        short = soy.filtered(lambda m: m.plc_dose_role == "short_of_plan")
        self.assertEqual(len(short), 1)
        self.assertEqual(short.quantity_done, 0.0)
        self.assertEqual((soy - short).plc_dose_role, "planned")
        self.assertAlmostEqual((soy - short).quantity_done, 361.0)
        molasses = production.move_raw_ids.filtered(
            lambda m: m.product_id == self.products["molasses"]
        )
        self.assertEqual(molasses.plc_dose_role, "planned", "dosed as planned: one row")
        # The column is in the Components tab, only for MOs on a line.
        view = self.env["mrp.production"].fields_view_get(view_type="form")
        sub = view["fields"]["move_raw_ids"]["views"]["tree"]
        cols = columns(sub["arch"], sub["fields"])
        self.assertIn("plc_dose_role", shown(cols, {"plc_line_id": self.line.id}))
        self.assertNotIn("plc_dose_role", shown(cols, {"plc_line_id": False}))
        self.assertEqual(
            {n: h for n, h, _m, _o in cols}["plc_dose_role"], "PLC Dose"
        )

    def test_chart_draws_plan_and_actual_and_escapes_plant_text(self):
        self.products["maize"].name = 'Maize <img src=x onerror="alert(1)">'
        production = create_mo(self.env, self.bom, 1000.0)
        self.report(self.payload(self.send(production), {"101": 613.0}))
        chart = production.plc_consumption_chart
        self.assertTrue(chart.startswith("<svg"))
        self.assertNotIn("<img", chart)
        self.assertIn("Maize &lt;img", chart)
        # One planned and one actual bar per reported silo; the overdose drawn red.
        self.assertEqual(chart.count("<rect") - 4, 2 * len(production.plc_consumption_ids))
        self.assertIn("600.00 → 613.00 kg (+2.17 %)", chart)
        self.assertIn('fill="#dc3545"', chart)
        self.assertEqual(consumption_chart(self.env["mrp.plc.consumption"]), "")

    def test_mo_list_forces_no_plc_column_on_every_row(self):
        view = self.env["mrp.production"].fields_view_get(view_type="tree")
        plc_columns = [
            (name, optional)
            for name, _h, modifiers, optional in columns(view["arch"], view["fields"])
            if name.startswith("plc_") and not modifiers.get("column_invisible")
        ]
        self.assertTrue(plc_columns)
        self.assertEqual({opt for _n, opt in plc_columns}, {"hide"}, plc_columns)

    def test_consumption_analysis_in_percent_of_plan_with_the_tolerance(self):
        Consumption = self.env["mrp.plc.consumption"]
        for view_type in ("graph", "pivot"):
            arch = etree.fromstring(
                Consumption.fields_view_get(view_type=view_type)["arch"]
            )
            measures = [f.get("name") for f in arch.iterfind("field[@type='measure']")]
            self.assertEqual(measures[0], "deviation_percent", view_type)
        pivot = etree.fromstring(Consumption.fields_view_get(view_type="pivot")["arch"])
        self.assertEqual(
            [f.get("name") for f in pivot.iterfind("field[@type='col']")],
            ["deviation_state"],
            "the pivot splits the figures by where they stand against the tolerance",
        )
        self.assertIn(
            "tolerance_percent",
            [f.get("name") for f in pivot.iterfind("field[@type='measure']")],
        )
        strings = {
            name: field["string"]
            for name, field in Consumption.fields_get(
                ["deviation_percent", "deviation_qty", "planned_qty", "tolerance_percent"]
            ).items()
        }
        self.assertEqual(strings["deviation_percent"], "Deviation (% of plan)")
        self.assertEqual(strings["deviation_qty"], "Deviation (product unit)")
        self.assertEqual(strings["planned_qty"], "Planned (product unit)")
        self.assertEqual(strings["tolerance_percent"], "Tolerance (%)")
        search = etree.fromstring(
            Consumption.fields_view_get(view_type="search")["arch"]
        )
        filters = {f.get("name") for f in search.iter("filter")}
        self.assertLessEqual(
            {
                "within_tolerance",
                "near_tolerance",
                "tolerance_exceeded",
                "groupby_deviation_state",
            },
            filters,
        )
