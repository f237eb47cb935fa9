"""Task 1, sync (``plc_agent.tasks.sync``): only an empty queue is filled; a batch that does not
fit the PLC is reported failed, not written; a re-delivered MO already answered is not queued
again; each batch gets a rolling number (1..65535) no queue row or PLC area still holds,
written in its slot and read back."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from ..helpers import batches, history, run_line_until_finished, wait_until


def test_number_is_written_at_offset_77_and_echoed_in_the_read_slot(tasks, engine, odoo_standin,
                                                                   plc_simulator):
    rmap = tasks.register_map
    for _ in range(2):
        odoo_standin.add_mo()
    tasks.sync()
    numbers = [r.batch_number for r in batches(engine)]
    assert numbers == [1, 2]
    assert plc_simulator.registers(rmap.write_slot_address(2) + 77, 1) == [2]
    assert plc_simulator.registers(rmap.write_slot_address(2), 1) == [2]  # offset 0: the slot
    run_line_until_finished(tasks, engine)
    assert [r.batch_number for r in tasks.plc.read_read_area()[:2]] == [1, 2]
    assert tasks.push().archived == 2
    wait_until(lambda: plc_simulator.line.state == "ready", what="PLC ready")
    odoo_standin.add_mo()
    tasks.sync()
    assert [r.batch_number for r in batches(engine)] == [3]  # rolls on from the history
    with pytest.raises(ValueError, match="batch_number must be a whole number from 0 to 65535"):
        rmap.encode_slot(replace(_batch(), batch_number=70000))


def test_number_still_shown_by_the_plc_is_not_given_again(tasks, engine, odoo_standin,
                                                          plc_simulator):
    """A read slot can show an old batch for a long time; its number is skipped."""
    rmap = tasks.register_map
    plc_simulator.set_registers(rmap.read_slot_address(5), [5])
    plc_simulator.set_registers(rmap.field_address("read", 5, "batch_number"), [1])
    odoo_standin.add_mo()
    tasks.sync()
    assert [r.batch_number for r in batches(engine)] == [2]


def _batch():
    from plc_agent.plc.register_map import ComponentDose, SlotBatch

    return SlotBatch(batch_no=1, mo_reference="WH/MO/1", bom_code="", finished_goods="",
                     planned_quantity=1.0, components=(ComponentDose(101, 1.0),))


MANY = tuple((str(101 + k), f"RM-{k}", f"Raw {k}", 10.0, "kg") for k in range(16))


def test_batch_that_does_not_fit_is_reported_failed_not_written(tasks, engine, odoo_standin,
                                                                plc_simulator, caplog):
    ok = odoo_standin.add_mo()
    bad_silo = odoo_standin.add_mo(components=(("A", "RM-X", "X", 10.0, "kg"),))
    too_many = odoo_standin.add_mo(components=MANY)
    caplog.set_level(logging.INFO, logger="plc_agent")
    result = tasks.sync()
    assert result.inserted == 3 and result.refused == 2
    rows = {r.mo_name: r for r in batches(engine)}
    assert rows[odoo_standin.mo(bad_silo)["name"]].plc_excluded
    assert "'A'" in rows[odoo_standin.mo(bad_silo)["name"]].message
    assert "16 components" in rows[odoo_standin.mo(too_many)["name"]].message
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any(odoo_standin.mo(bad_silo)["name"] in m for m in errors)
    # only the fitting batch went to the PLC, in its slot; the other slots are zeros
    wait_until(lambda: plc_simulator.line.received_sets, what="set taken")
    assert plc_simulator.line.received_sets == [[(1, 1, odoo_standin.mo(ok)["name"])]]

    push = tasks.push()  # the refused ones are pushable at once
    assert push.archived == 2
    for mo_id in (bad_silo, too_many):
        mo = odoo_standin.mo(mo_id)
        assert mo["plc_state"] == "failed" and "Not sent to the PLC" in mo["plc_reason"]
    assert {h.outcome for h in history(engine)} == {"failed"}

    run_line_until_finished(tasks, engine)
    assert tasks.push().archived == 1
    assert odoo_standin.mo(ok)["plc_state"] == "done"


def test_redelivered_mo_already_in_history_is_not_queued_again(tasks, engine, odoo_standin,
                                                               plc_simulator, caplog):
    mo_id = odoo_standin.add_mo(components=(("101", "RM-A", "A", 100.0, "kg"),))
    tasks.sync()
    run_line_until_finished(tasks, engine)
    # Odoo rejects the report (the MO was cancelled meanwhile) and keeps it "sent".
    odoo_standin.cancel_mo(mo_id)
    caplog.set_level(logging.INFO, logger="plc_agent")
    assert tasks.push().archived == 1
    (h,) = history(engine)
    assert h.outcome == "rejected" and "cancelled" in h.reason
    assert any(r.levelno == logging.ERROR and "rejected" in r.getMessage() for r in caplog.records)
    # Odoo delivers the MO again: the agent refuses to run it twice.
    odoo_standin._mos[mo_id]["state"] = "confirmed"
    wait_until(lambda: plc_simulator.line.state == "ready", what="PLC ready")
    caplog.clear()
    result = tasks.sync()
    assert result.inserted == 0 and batches(engine) == []
    name = odoo_standin.mo(mo_id)["name"]
    assert any(r.levelno == logging.ERROR and name in r.getMessage() and "planner" in r.getMessage()
               for r in caplog.records)
    assert len(plc_simulator.line.received_sets) == 1


def test_sync_skips_when_queue_not_empty(tasks, engine, odoo_standin, caplog):
    odoo_standin.add_mo()
    odoo_standin.add_mo()
    assert tasks.sync().inserted == 2
    odoo_standin.add_mo()
    caplog.set_level("INFO", logger="plc_agent")
    result = tasks.sync()
    assert result.inserted == 0 and result.count_before == 2
    assert ("[TASK 1] Table mo_batch has 2 records. Skipping sync - waiting for PLC to complete "
            "all batches.") in caplog.messages
    assert odoo_standin.calls("plc_fetch_batches") == 1
