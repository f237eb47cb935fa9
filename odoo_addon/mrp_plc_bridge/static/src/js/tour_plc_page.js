odoo.define("mrp_plc_bridge.tour_plc_page", function (require) {
    "use strict";

    var tour = require("web_tour.tour");

    // Opened by tests/test_ui.py on the form of an MO that the line reported with the
    // figures below; the steps only look, they change nothing.
    var page = ".o_form_view .o_notebook .tab-pane.active";
    var table = page + " .o_field_widget[name=plc_consumption_ids]";

    function check(content, trigger) {
        return {content: content, trigger: trigger, run: function () {}};
    }

    tour.register(
        "mrp_plc_bridge_plc_page",
        {test: true},
        [
            {
                content: "Open the PLC page of the manufacturing order",
                trigger: ".o_form_view .o_notebook .nav-link:contains('PLC')",
            },
            check(
                "The PLC state says the line closed the order",
                page + " .o_field_widget[name=plc_state]:contains('Done')"
            ),
            check(
                "The batch key is shown",
                page + " .o_field_widget[name=plc_batch_key]:contains('UIT-')"
            ),
            check(
                "The line is shown",
                page + " .o_field_widget[name=plc_line_id]:contains('UI test line')"
            ),
            check(
                "Silo 101 shows its actual, its deviation red: beyond the 2 % tolerance",
                table + " tr.o_data_row:contains('101 - Silo A'):contains('612.50'):contains('kg') td.text-danger:contains('2.08')"
            ),
            check(
                "Silo 102 shows its actual, its deviation green: within the tolerance",
                table + " tr.o_data_row:contains('102 - Silo B'):contains('379.10') td.text-success:contains('-0.24')"
            ),
            check(
                "Tank 114 shows its actual, its deviation green",
                table + " tr.o_data_row:contains('114 - Tank C'):contains('20.00') td.text-success:contains('0.00')"
            ),
            check(
                "The line's tolerance is named above the table",
                page + " .o_field_widget[name=plc_consumption_tolerance]:contains('2.00')"
            ),
            check(
                "The planned-vs-actual chart draws a bar pair per silo",
                page + " .o_field_widget[name=plc_consumption_chart] svg.o_plc_consumption_chart text:contains('101 UI maize')"
            ),
            check(
                "Finished goods: actual next to planned",
                page + " .o_field_widget[name=plc_finished_qty_actual]:contains('995.00')"
            ),
            check(
                "Finished goods: planned",
                page + " .o_field_widget[name=plc_finished_qty_planned]:contains('1,000.00')"
            ),
            check(
                "The line's message is shown",
                page + " .o_field_widget[name=plc_message]:contains('Silo 101 overdosed')"
            ),
        ]
    );
});
