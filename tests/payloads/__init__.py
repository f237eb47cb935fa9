"""The addon's plain-Python payload checks (``mrp_plc_bridge/payloads/``), run without Odoo."""
