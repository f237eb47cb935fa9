# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The MO's planned-vs-actual chart on its PLC page: one pair of bars per silo, as SVG.

Drawn on the server so that the form needs no widget of its own. Silo codes, names and
units come from the plant and its PLC: every text is escaped before it joins the markup.
Plain Python called by ``mrp.production`` (``_compute_plc_consumption_chart``).
"""
from odoo.tools import float_repr, html_escape

ROW_HEIGHT = 34
BAR_HEIGHT = 12
LABEL_WIDTH = 170
BAR_WIDTH = 360
FIGURE_WIDTH = 210
# Bar colours: the plan in grey; the actual coloured as its deviation is on the PLC
# table (Bootstrap's success, warning and danger of Odoo 14's backend theme).
PLANNED_COLOUR = "#adb5bd"
ACTUAL_COLOURS = {
    "within": "#28a745",
    "near": "#ffac00",
    "beyond": "#dc3545",
    False: "#6c757d",
}
STATE_WORDS = {
    "within": "within tolerance",
    "near": "near tolerance",
    "beyond": "beyond tolerance",
    False: "not reported",
}


def _number(value):
    return float_repr(value, 2)


def _text(x, y, words, anchor="start", css=""):
    return '<text x="%s" y="%s" text-anchor="%s" font-size="12" %s>%s</text>' % (
        x,
        y,
        anchor,
        css,
        html_escape(words),
    )


def consumption_chart(consumptions):
    """The SVG (a str) comparing plan and actual of ``consumptions``, or "" without any.

    Bars of one silo share its unit; each row is scaled to the largest figure of all
    rows in their units, which is what a glance compares: how full each actual bar is
    next to its plan.
    """
    rows = [c for c in consumptions if c.plc_planned_qty or c.plc_actual_qty]
    if not rows:
        return ""
    largest = max(max(c.plc_planned_qty, c.plc_actual_qty) for c in rows) or 1.0
    height = ROW_HEIGHT * len(rows) + 24
    width = LABEL_WIDTH + BAR_WIDTH + FIGURE_WIDTH
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" class="o_plc_consumption_chart" '
        'width="%d" height="%d" viewBox="0 0 %d %d" role="img" '
        'aria-label="Planned and actual by silo">' % (width, height, width, height)
    ]
    for index, consumption in enumerate(rows):
        top = ROW_HEIGHT * index
        unit = consumption.plc_uom_id.name or consumption.product_uom_id.name or ""
        label = "%s %s" % (
            consumption.silo_code or "",
            consumption.product_id.name or "",
        )
        state = consumption.deviation_state if consumption.reported else False
        planned_width = BAR_WIDTH * consumption.plc_planned_qty / largest
        actual_width = BAR_WIDTH * consumption.plc_actual_qty / largest
        parts.append(_text(0, top + 16, label[:24]))
        parts.append(
            '<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s">'
            "<title>%s</title></rect>"
            % (
                LABEL_WIDTH,
                top + 4,
                planned_width,
                BAR_HEIGHT,
                PLANNED_COLOUR,
                html_escape("Planned %s %s" % (_number(consumption.plc_planned_qty), unit)),
            )
        )
        if consumption.reported:
            parts.append(
                '<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s">'
                "<title>%s</title></rect>"
                % (
                    LABEL_WIDTH,
                    top + 4 + BAR_HEIGHT + 2,
                    actual_width,
                    BAR_HEIGHT,
                    ACTUAL_COLOURS[state],
                    html_escape(
                        "Actual %s %s, %s"
                        % (_number(consumption.plc_actual_qty), unit, STATE_WORDS[state])
                    ),
                )
            )
            figure = "%s → %s %s (%+.2f %%)" % (
                _number(consumption.plc_planned_qty),
                _number(consumption.plc_actual_qty),
                unit,
                consumption.deviation_percent,
            )
        else:
            figure = "%s %s planned" % (_number(consumption.plc_planned_qty), unit)
        parts.append(
            _text(
                LABEL_WIDTH + BAR_WIDTH + 8,
                top + 20,
                figure,
                css='fill="%s"' % ACTUAL_COLOURS[state],
            )
        )
    legend_top = ROW_HEIGHT * len(rows) + 16
    legend_x = LABEL_WIDTH
    for colour, words in (
        (PLANNED_COLOUR, "planned"),
        (ACTUAL_COLOURS["within"], "actual within"),
        (ACTUAL_COLOURS["near"], "near"),
        (ACTUAL_COLOURS["beyond"], "beyond tolerance"),
    ):
        parts.append(
            '<rect x="%d" y="%d" width="10" height="10" fill="%s"/>'
            % (legend_x, legend_top - 9, colour)
        )
        parts.append(_text(legend_x + 14, legend_top, words))
        legend_x += 14 + 8 * len(words) + 16
    parts.append("</svg>")
    return "".join(parts)
