# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "MRP PLC Bridge - Maintenance",
    "summary": "Open a maintenance request on the equipment a PLC line reports "
    "a failure of",
    "version": "14.0.1.0.0",
    "category": "Manufacturing",
    "website": "https://github.com/mrp-plc-bridge/mrp-plc-bridge",
    "author": "mrp-plc-bridge contributors",
    "license": "LGPL-3",
    "depends": ["mrp_plc_bridge", "maintenance"],
    "data": [
        "views/mrp_plc_failure_views.xml",
    ],
    "auto_install": True,
}
