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
                "Silo 101 shows its actual and is highlighted beyond tolerance",
                table + " tr.o_data_row.text-danger:contains('101 - Silo A'):contains('612.50'):contains('2.08')"
            ),
            check(
                "Silo 102 shows its actual within tolerance",
                table + " tr.o_data_row:not(.text-danger):contains('102 - Silo B'):contains('379.10'):contains('-0.24')"
            ),
            check(
                "Tank 114 shows its actual",
                table + " tr.o_data_row:not(.text-danger):contains('114 - Tank C'):contains('20.00')"
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
