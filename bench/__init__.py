"""Benchmarks of the bridge: PLC I/O, Odoo's cost, line idle time, the agent's footprint.

Run with ``python -m bench``; see docs/performance.md. Not part of the test run.
"""
