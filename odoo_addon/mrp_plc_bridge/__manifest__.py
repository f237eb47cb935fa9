# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "MRP PLC Bridge",
    "summary": "Run manufacturing orders on PLC batching lines and close them "
    "with the line's actual consumption",
    "version": "14.0.1.4.1",
    "category": "Manufacturing",
    "website": "https://github.com/mrp-plc-bridge/mrp-plc-bridge",
    "author": "mrp-plc-bridge contributors",
    "license": "LGPL-3",
    "depends": ["mrp"],
    "data": [
        "security/mrp_plc_bridge_security.xml",
        "security/ir.model.access.csv",
        "security/mrp_plc_line_health_security.xml",
        "security/mrp_plc_station_security.xml",
        "views/mrp_plc_line_views.xml",
        "data/mrp_plc_bridge_data.xml",
        "views/mrp_plc_line_agent_access_views.xml",
        "wizards/mrp_plc_agent_access_views.xml",
        "views/mrp_plc_silo_views.xml",
        "views/mrp_plc_silo_drift_views.xml",
        "views/mrp_plc_consumption_views.xml",
        "views/mrp_plc_line_dashboard_views.xml",
        "views/mrp_bom_views.xml",
        "views/mrp_production_views.xml",
        "views/mrp_production_plc_deviation_views.xml",
        "views/mrp_plc_bridge_menus.xml",
        "views/mrp_plc_failure_views.xml",
        "views/mrp_plc_weighing_views.xml",
        "views/mrp_plc_line_station_views.xml",
        "views/mrp_production_station_views.xml",
        "views/assets.xml",
    ],
    "demo": [
        "demo/mrp_plc_bridge_demo.xml",
    ],
}
