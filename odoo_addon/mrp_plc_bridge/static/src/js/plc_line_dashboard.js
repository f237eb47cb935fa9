odoo.define("mrp_plc_bridge.plc_line_dashboard", function (require) {
    "use strict";

    var KanbanController = require("web.KanbanController");
    var KanbanView = require("web.KanbanView");
    var viewRegistry = require("web.view_registry");

    // The agents ping every 30 s: reloading every 10 s keeps a card at most one ping
    // and this much behind its line. Nothing is loaded while the tab is hidden.
    var REFRESH_SECONDS = 10;

    var PlcLineDashboardController = KanbanController.extend({
        on_attach_callback: function () {
            this._super.apply(this, arguments);
            this._startRefresh();
        },
        on_detach_callback: function () {
            this._stopRefresh();
            this._super.apply(this, arguments);
        },
        destroy: function () {
            this._stopRefresh();
            this._super.apply(this, arguments);
        },
        _startRefresh: function () {
            var self = this;
            this._stopRefresh();
            this._refreshTimer = setInterval(function () {
                if (!document.hidden) {
                    self.reload();
                }
            }, REFRESH_SECONDS * 1000);
        },
        _stopRefresh: function () {
            clearInterval(this._refreshTimer);
            this._refreshTimer = null;
        },
    });

    var PlcLineDashboardView = KanbanView.extend({
        config: _.extend({}, KanbanView.prototype.config, {
            Controller: PlcLineDashboardController,
        }),
    });

    viewRegistry.add("mrp_plc_line_dashboard", PlcLineDashboardView);

    return {
        PlcLineDashboardController: PlcLineDashboardController,
        REFRESH_SECONDS: REFRESH_SECONDS,
    };
});
