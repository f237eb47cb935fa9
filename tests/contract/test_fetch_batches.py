"""``plc_fetch_batches`` as docs/api.md states it, on the stand-in and on Odoo 14."""

from __future__ import annotations

import re
import threading

from support.contract_sites import COMPONENTS, PLANNED_START, ContractLine, ContractSite, RpcRefused

from .conftest import BATCH_KEYS, COMPONENT_KEYS, done_payload, fetch, refused, report


def test_an_empty_queue_answers_no_batches(line: ContractLine) -> None:
    assert fetch(line) == {"api_version": 1, "line": line.code, "batches": []}


def test_a_batch_has_the_documented_shape(site: ContractSite, line: ContractLine) -> None:
    mo = site.new_mo(line, quantity=1500.0)
    answer = fetch(line)
    assert (answer["api_version"], answer["line"]) == (1, line.code)
    (batch,) = answer["batches"]
    assert set(batch) == BATCH_KEYS
    assert (batch["mo_id"], batch["mo_name"], batch["run"], batch["redelivered"]) == (mo.id, mo.name, 1, False)
    assert batch["batch_key"] == f"{line.code}-{mo.id}-1"
    assert (batch["line"], batch["quantity"], batch["uom"]) == (line.code, 1500.0, "kg")
    assert all(isinstance(batch[k], str) for k in ("product_code", "product_name", "bom_code"))
    assert batch["date_planned_start"] == PLANNED_START
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", batch["date_planned_start"])
    # One entry per silo, in the order of the BoM lines, in the silo's PLC unit.
    assert all(set(c) == COMPONENT_KEYS for c in batch["components"])
    assert [(c["silo"], c["product_code"], c["quantity"], c["uom"]) for c in batch["components"]] == [
        (silo, code, per_tonne * 1.5, "kg") for silo, code, _, per_tonne in COMPONENTS]
    assert site.mo_status(mo.id)["plc_state"] == "sent"


def test_the_limit_caps_a_fetch_and_the_rest_stays_ready(site: ContractSite, line: ContractLine) -> None:
    first, second, third = (site.new_mo(line) for _ in range(3))
    assert [b["mo_id"] for b in fetch(line, limit=2)["batches"]] == [first.id, second.id]
    assert site.mo_status(third.id)["plc_state"] == "ready"


def test_ten_by_default_and_at_most_100(site: ContractSite, line: ContractLine) -> None:
    for _ in range(12):
        site.new_mo(line)
    assert len(line.agent.call("plc_fetch_batches", line.code)["batches"]) == 10
    # The limit as the second positional argument, at its largest.
    batches = line.agent.call("plc_fetch_batches", line.code, 100)["batches"]
    assert [b["redelivered"] for b in batches] == [True] * 10 + [False] * 2


def test_claims_by_priority_then_planned_start_then_id(site: ContractSite, line: ContractLine) -> None:
    a = site.new_mo(line)
    b = site.new_mo(line, urgent=True)
    c = site.new_mo(line, planned_start="2026-11-27 06:00:00")
    d = site.new_mo(line)
    e = site.new_mo(line, urgent=True)
    assert [x["mo_id"] for x in fetch(line, limit=3)["batches"]] == [b.id, e.id, c.id]
    assert [site.mo_status(x.id)["plc_state"] for x in (a, d)] == ["ready", "ready"]


def test_redelivery_comes_first_and_never_brings_other_mos(site: ContractSite, line: ContractLine) -> None:
    mos = [site.new_mo(line) for _ in range(3)]
    first = fetch(line, limit=2)["batches"]
    assert [(x["mo_id"], x["redelivered"]) for x in first] == [(mos[0].id, False), (mos[1].id, False)]
    # The agent "crashed": the same two come back flagged, exactly as sent, then the next one.
    second = fetch(line, limit=3)["batches"]
    assert [(x["mo_id"], x["redelivered"]) for x in second] == [(mos[0].id, True), (mos[1].id, True),
                                                                 (mos[2].id, False)]
    assert [dict(x, redelivered=False) for x in second[:2]] == first
    # A limit below the re-deliveries brings re-deliveries only.
    assert [(x["mo_id"], x["redelivered"]) for x in fetch(line, limit=1)["batches"]] == [(mos[0].id, True)]
    # A reported MO is no longer re-delivered.
    assert report(line, done_payload(line, second[0]))["status"] == "done"
    assert [x["mo_id"] for x in fetch(line)["batches"]] == [mos[1].id, mos[2].id]


def test_held_cancelled_and_blocked_mos_are_not_sent(site: ContractSite, line: ContractLine) -> None:
    held = site.new_mo(line, hold=True, urgent=True)
    cancelled = site.new_mo(line)
    site.cancel_mo(cancelled.id)
    blocked = site.new_mo(line, blocked=True)
    runnable = site.new_mo(line)
    assert [x["mo_id"] for x in fetch(line)["batches"]] == [runnable.id]
    assert site.mo_status(held.id)["plc_state"] == "ready"
    assert site.mo_status(cancelled.id)["state"] == "cancel"
    assert site.mo_status(blocked.id)["plc_state"] == "blocked"
    site.set_hold(held.id, False)
    assert [(x["mo_id"], x["redelivered"]) for x in fetch(line)["batches"]] == [(runnable.id, True),
                                                                                 (held.id, False)]
    # Checked again at every fetch, and still blocked.
    assert site.mo_status(blocked.id)["plc_state"] == "blocked"


def test_a_bad_limit_is_a_user_error_and_claims_nothing(site: ContractSite, line: ContractLine) -> None:
    mo = site.new_mo(line)
    for limit in (0, 101, -1, "5", 2.5, True, None):
        error = refused(line.agent.call, "plc_fetch_batches", line.code, limit=limit)
        assert error.name == "odoo.exceptions.UserError", (limit, error)
        assert error.message.startswith("limit must be an integer from 1 to 100"), (limit, error)
    assert site.mo_status(mo.id)["plc_state"] == "ready"


def test_a_line_code_that_is_no_text_is_a_user_error(site: ContractSite, line: ContractLine) -> None:
    for code in ("", None, 1, ["C001"]):
        for method in ("plc_fetch_batches", "plc_ping"):
            error = refused(line.agent.call, method, code)
            assert error.name == "odoo.exceptions.UserError", (method, code, error)


def test_administrators_fetching_a_code_of_no_line_get_a_user_error(site: ContractSite) -> None:
    error = refused(site.admin().call, "plc_fetch_batches", "NO-SUCH-LINE", limit=10)
    assert error.name == "odoo.exceptions.UserError" and "NO-SUCH-LINE" in error.message


def test_an_archived_line_is_a_user_error_and_pings_as_inactive(site: ContractSite, line: ContractLine) -> None:
    mo = site.new_mo(line)
    site.archive_line(line)
    assert refused(fetch, line).name == "odoo.exceptions.UserError"
    assert site.mo_status(mo.id)["plc_state"] == "ready"
    ping = line.agent.call("plc_ping", line.code)
    assert (ping["line_exists"], ping["line_active"]) == (True, False)


def test_concurrent_fetches_never_claim_one_mo_twice(site: ContractSite, line: ContractLine) -> None:
    mos = {site.new_mo(line).id for _ in range(6)}
    agents = [site.client(line.agent.login, line.agent.secret) for _ in range(3)]
    claims: list[int] = []
    unexpected: list[BaseException] = []
    barrier = threading.Barrier(len(agents))

    def run(agent) -> None:
        barrier.wait()
        for _ in range(3):
            try:
                batches = agent.call("plc_fetch_batches", line.code, limit=2)["batches"]
            except RpcRefused as error:
                # A conflict Odoo gave up retrying is "try again later" (docs/api.md).
                if not error.name.startswith("psycopg2."):
                    unexpected.append(error)
                continue
            except BaseException as error:  # noqa: BLE001 - reported by the assertion below
                unexpected.append(error)
                continue
            claims.extend(b["mo_id"] for b in batches if not b["redelivered"])

    threads = [threading.Thread(target=run, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not unexpected
    claims.extend(b["mo_id"] for b in fetch(line, limit=100)["batches"] if not b["redelivered"])
    assert sorted(claims) == sorted(mos)
