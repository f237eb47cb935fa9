"""Task 3, push (``plc_agent.tasks.push``): a failed batch is reported failed with what it used;
Odoo's answer, whatever it is, is archived with its reason.
"""

from __future__ import annotations

import logging

from ..helpers import batches, history, run_line_until_finished, wait_until


def test_failed_batch_is_reported_failed_with_what_it_used(tasks, engine, odoo_standin, plc_simulator):
    good, bad = odoo_standin.add_mo(), odoo_standin.add_mo()
    plc_simulator.faults.fail_batch(2)
    tasks.sync()
    run_line_until_finished(tasks, engine)
    rows = batches(engine)
    assert [r.state for r in rows] == ["finished", "failed"]
    assert rows[1].status_operation and rows[1].message
    assert tasks.push().archived == 2
    assert odoo_standin.mo(good)["plc_state"] == "done"
    failed = odoo_standin.mo(bad)
    assert failed["plc_state"] == "failed" and failed["actuals"]
    assert [h.outcome for h in history(engine)] == ["done", "failed"]
    # the PLC got every acknowledgement and is ready for the next set
    wait_until(lambda: plc_simulator.line.state == "ready", what="PLC ready")


def test_recorded_outcome_is_archived_with_the_reason(tasks, engine, odoo_standin):
    mo_id = odoo_standin.add_mo()
    odoo_standin.answer_recorded(mo_id, "strict BoM")
    tasks.sync()
    run_line_until_finished(tasks, engine)
    tasks.push()
    (h,) = history(engine)
    assert h.outcome == "recorded" and h.reason == "strict BoM"
    assert h.report_payload["batch_key"] == h.batch_key


def test_the_report_says_which_slot_and_batch_number_the_plc_ran(tasks, engine, odoo_standin):
    odoo_standin.add_mo(), odoo_standin.add_mo()
    tasks.sync()
    run_line_until_finished(tasks, engine)
    rows = {r.batch_key: (r.slot, r.batch_number) for r in batches(engine)}
    assert tasks.push().archived == 2
    sent = {r["payload"]["batch_key"]: (r["payload"]["slot"], r["payload"]["batch_number"])
            for r in odoo_standin.reports}
    assert sent == rows
    assert sorted(slot for slot, _ in sent.values()) == [1, 2]
    assert all(1 <= number <= 65535 for _, number in sent.values())


def test_an_addon_without_the_slot_and_batch_number_still_gets_its_reports(
        tasks, engine, odoo_standin, caplog):
    odoo_standin.report_takes_position = False
    odoo_standin.add_mo(), odoo_standin.add_mo()
    tasks.sync()
    run_line_until_finished(tasks, engine)
    with caplog.at_level(logging.WARNING, logger="plc_agent.odoo_gateway"):
        assert tasks.push().archived == 2
    assert [h.outcome for h in history(engine)] == ["done", "done"]
    answered = [r for r in odoo_standin.reports if r["result"]["status"] != "rejected"]
    assert len(answered) == 2 and all("slot" not in r["payload"] for r in answered)
    # Refused once, then sent without them: 3 reports for 2 batches.
    assert odoo_standin.calls("plc_report_batch") == 3
    warnings = [r for r in caplog.records if "slot and batch number" in r.getMessage()]
    assert len(warnings) == 1
