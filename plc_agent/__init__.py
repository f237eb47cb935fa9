"""PLC agent: runs Odoo 14 Manufacturing Orders on one PLC batching line."""

__version__ = "0.2.0"
