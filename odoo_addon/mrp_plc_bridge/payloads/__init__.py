# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What the line's agent sends, checked in plain Python before any record is touched.

``checks`` holds the shared text and number checks and every limit; one module per
payload: ``batch_report``, ``failure``, ``weighing``, ``ping_status``. No module imports
Odoo: the agent's test suite loads them without a database.
"""
