# Copyright 2026 mrp-plc-bridge contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""14.0.1.5.0: the batch record reads each reported run from ``mrp.plc.run``.

Every MO the line reported before the upgrade gets its last reported run, from the PLC
fields the MO kept: the key, how the report ended it and why (the stored answer), the
line's message and the times. An MO released again after a failed run and not reported
since keeps that failed run: its number is the one before the current, its reason the
line's message. Runs before the last were never stored and stay unknown (the chatter shows
their PLC states); the PLC's slot and batch number, which reports did not carry, read as not
reported. In SQL: one statement for each case however many MOs were closed.
"""


def migrate(cr, version):
    if not version:
        return
    # The run whose report the MO stored (plc_report_result is the answer, as JSON).
    cr.execute(
        """
        INSERT INTO mrp_plc_run
            (production_id, company_id, run, batch_key, status, reason, message,
             slot, batch_number, sent_at, started_at, finished_at, reported_at,
             finished_weight, create_uid, create_date, write_uid, write_date)
        SELECT p.id, p.company_id, COALESCE(p.plc_run, 1), p.plc_batch_key,
               p.plc_report_result::json ->> 'status',
               p.plc_report_result::json ->> 'reason',
               p.plc_message, 0, 0, p.plc_sent_at, p.plc_started_at, p.plc_finished_at,
               p.plc_reported_at, p.plc_finished_weight_actual,
               1, NOW() AT TIME ZONE 'UTC', 1, NOW() AT TIME ZONE 'UTC'
          FROM mrp_production p
         WHERE p.plc_reported_at IS NOT NULL
           AND p.plc_report_result IS NOT NULL
           AND p.plc_report_result::json ->> 'status' IN ('done', 'recorded', 'failed')
        """
    )
    # A failed run released again: the MO kept that run's times and message, not its key.
    cr.execute(
        """
        INSERT INTO mrp_plc_run
            (production_id, company_id, run, batch_key, status, reason, message,
             slot, batch_number, sent_at, started_at, finished_at, reported_at,
             finished_weight, create_uid, create_date, write_uid, write_date)
        SELECT p.id, p.company_id, p.plc_run - 1, NULL, 'failed',
               COALESCE(p.plc_message, 'The line reported a failure.'),
               p.plc_message, 0, 0, NULL, p.plc_started_at, p.plc_finished_at,
               p.plc_reported_at, NULL,
               1, NOW() AT TIME ZONE 'UTC', 1, NOW() AT TIME ZONE 'UTC'
          FROM mrp_production p
         WHERE p.plc_reported_at IS NOT NULL
           AND p.plc_report_result IS NULL
           AND p.plc_run > 1
        """
    )
