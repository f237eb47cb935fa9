"""The manual-weighing task (``plc_agent.tasks.weighings``): Odoo's kept and rejected answers and
bad words are final and never block the area; ``status`` lists what was not consumed.
"""

from __future__ import annotations

from datetime import timedelta

from plc_agent.queue.models import utcnow
from plc_agent.queue.weighing import ManualWeighing

from ..helpers import agent, report_waiting, rows, wait_until


def test_kept_rejected_and_bad_words_are_final_and_never_block_the_area(
        tasks, engine, odoo_standin, plc_simulator, register_map, agent_settings, tmp_path):
    area = register_map.weighing_area
    odoo_standin.add_product(55)
    odoo_standin.add_product(56, variants=3)
    mo_id = odoo_standin.add_mo()
    bad_quantity = area.encode({"batch_number": 1, "mo_reference": "WH/MO/00001", "product_id": 55,
                                "quantity": 1.0})
    bad_quantity[11:13] = [0xFFFF, 0xFFFF]
    plc_simulator.report_weighing(55, 4.0, "WH/MO/09999", 1)  # an MO the agent never saw
    plc_simulator.report_weighing(56, 4.0, "WH/MO/00001", 1)  # a template with several variants
    plc_simulator.report_raw("weighing", bad_quantity)
    plc_simulator.report_weighing(55, 6000.0, "WH/MO/00001", 1)  # an implausible quantity
    plc_simulator.report_weighing(55, 3.25, "WH/MO/00001", 1)  # a good one after all of them
    for _ in range(5):
        wait_until(lambda: report_waiting(plc_simulator, area), what="the next weighing")
        assert tasks.read_weighing().acknowledged == 1
        tasks.push_weighings()
    wait_until(lambda: plc_simulator.pending_reports("weighing") == 0, what="the PLC to see the last ack")
    stored = rows(engine, ManualWeighing)
    assert [(w.state.value, w.outcome) for w in stored] == [
        ("answered", "kept"), ("answered", "kept"), ("invalid", None), ("answered", "kept"),
        ("answered", "consumed")]
    assert "no MO 'WH/MO/09999'" in stored[0].reason and "3 variants" in stored[1].reason
    assert stored[2].reason == "not sent to Odoo: quantity unreadable"
    assert stored[2].raw_words[11:13] == [0xFFFF, 0xFFFF]
    assert [c["quantity"] for c in odoo_standin.manual_consumption(mo_id)] == [3.25]
    calls = len(odoo_standin.area_calls("plc_report_manual_weighing"))
    assert calls == 4  # the invalid one was never sent
    tasks.clock = lambda: utcnow() + timedelta(days=1)
    assert tasks.push_weighings().attempted == 0  # final answers are never asked again
    p = agent(agent_settings, "status", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "Manual weighings: 1 consumed, 1 invalid, 3 kept" in p.stdout
    assert "not sent to Odoo: quantity unreadable raw [1, " in p.stdout
    assert "kept: mo_name: no MO 'WH/MO/09999'" in p.stdout


def test_two_identical_entries_are_two_weighings_and_0xffff_words_are_real_values(
        tasks, engine, odoo_standin, plc_simulator, register_map):
    # docs/register-map.md: each entry the PLC hands over with H = 0 is one weighing, even with
    # the very words of the one before (an operator who weighs the same bag twice). And the
    # last rolling batch number, product template 65535 and 655.35 kg (0x0000 0xFFFF) are values.
    area = register_map.weighing_area
    odoo_standin.add_product(65535)
    mo_id = odoo_standin.add_mo()
    entry = area.encode({"batch_number": 65535, "mo_reference": "WH/MO/00001", "product_id": 65535,
                         "quantity": 655.35})
    assert entry[0] == 0xFFFF and entry[9:13] == [0x0000, 0xFFFF, 0x0000, 0xFFFF]
    plc_simulator.report_raw("weighing", entry)
    plc_simulator.report_raw("weighing", entry)
    for _ in range(2):
        wait_until(lambda: report_waiting(plc_simulator, area), what="the next weighing")
        assert tasks.read_weighing().stored == 1
        tasks.push_weighings()
    wait_until(lambda: plc_simulator.pending_reports("weighing") == 0, what="the PLC to see the last ack")
    stored = rows(engine, ManualWeighing)
    assert [(w.state.value, w.outcome, w.problem) for w in stored] == [("answered", "consumed", None)] * 2
    assert stored[0].raw_words == stored[1].raw_words and stored[0].weighing_key != stored[1].weighing_key
    sent = [c["payload"] for c in odoo_standin.area_calls("plc_report_manual_weighing")]
    assert [(p["batch_number"], p["product_template_id"], p["quantity"]) for p in sent] == [
        (65535, 65535, 655.35)] * 2
    assert [c["quantity"] for c in odoo_standin.manual_consumption(mo_id)] == [655.35, 655.35]
