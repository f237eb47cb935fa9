# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""14.0.1.2.0: an agent speaks only for its lines; bind the agent users made before."""
from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["mrp.plc.line"]._plc_bind_existing_agents()
