"""The stand-in Odoo, exercised through the agent's real client (odoorpc) and raw HTTP.

These tests pin the stand-in to the contract in docs/architecture.md §1-2, so the agent's
tests that run against it mean something.
"""

from __future__ import annotations

import copy
import json
import math
import threading
import urllib.error
import urllib.request
from typing import Any

import odoorpc
import pytest

from support.odoo_standin import OdooStandin

MO = "mrp.production"
BATCH_KEYS = {
    "mo_id", "mo_name", "run", "batch_key", "redelivered", "product_code", "product_name",
    "quantity", "uom", "bom_code", "line", "date_planned_start", "components",
}
RESULT_KEYS = {"status", "mo_state", "reason", "duplicate", "api_version"}


def connect(standin: OdooStandin, *, login: str | None = None, password: str | None = None,
            timeout: float = 5.0) -> odoorpc.ODOO:
    client = odoorpc.ODOO(standin.host, protocol="jsonrpc", port=standin.port, timeout=timeout)
    client.login(standin.database, login or standin.username, password or standin.password)
    return client


def fetch(client: odoorpc.ODOO, line: str = "FM1", limit: int = 10) -> dict[str, Any]:
    return client.execute_kw(MO, "plc_fetch_batches", [line], {"limit": limit})


def report(client: odoorpc.ODOO, payload: Any) -> dict[str, Any]:
    return client.execute_kw(MO, "plc_report_batch", [payload])


def raw_jsonrpc(standin: OdooStandin, path: str, params: dict[str, Any], *, cookie: str | None = None,
                timeout: float = 5.0) -> tuple[dict[str, Any], Any]:
    body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params, "id": 7}).encode()
    request = urllib.request.Request(standin.url + path, data=body, headers={"Content-Type": "application/json"})
    if cookie:
        request.add_header("Cookie", cookie)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read()), response.headers


def done_payload(standin: OdooStandin, mo_id: int, **changes: Any) -> dict[str, Any]:
    mo = standin.mo(mo_id)
    payload = {
        "mo_id": mo_id,
        "line": mo["line"],
        "batch_key": mo["batch_key"],
        "consumption": [{"silo": c["silo"], "quantity": round(c["quantity"] * 1.01, 2)} for c in mo["components"]],
        "finished_quantity": 998.2,
        "status": "done",
        "started_at": "2026-11-28T06:00:01+00:00",
        "finished_at": "2026-11-28T06:04:12+00:00",
        "message": None,
    }
    payload.update(changes)
    return payload


def error_name(exc: odoorpc.error.RPCError) -> str:
    return exc.info["data"]["name"]


@pytest.fixture
def client(odoo_standin: OdooStandin) -> odoorpc.ODOO:
    return connect(odoo_standin)


# ---------------------------------------------------------------------------- login


def test_fixture_serves_on_an_ephemeral_loopback_port(odoo_standin: OdooStandin) -> None:
    assert odoo_standin.host == "127.0.0.1"
    assert odoo_standin.port > 0
    assert odoo_standin.url == "http://127.0.0.1:%d" % odoo_standin.port
    answer, _ = raw_jsonrpc(odoo_standin, "/web/webclient/version_info", {})
    assert answer["result"]["server_version"] == "14.0"
    assert answer["result"]["server_version_info"][0] == 14


def test_odoorpc_login_makes_the_calls_odoo_14_expects(odoo_standin: OdooStandin) -> None:
    client = connect(odoo_standin)
    assert client.version == "14.0"
    assert client.env.uid == odoo_standin.agent_uid
    assert client.env.context["uid"] == odoo_standin.agent_uid
    assert odoo_standin.call_log == [
        ("/web/webclient/version_info", "web", "version_info"),
        ("/jsonrpc", "common", "login"),
        ("/jsonrpc", "res.users", "context_get"),
    ]


def test_wrong_password_login_fails_and_execute_kw_is_denied(odoo_standin: OdooStandin) -> None:
    client = odoorpc.ODOO(odoo_standin.host, protocol="jsonrpc", port=odoo_standin.port, timeout=5)
    with pytest.raises(odoorpc.error.RPCError, match="Wrong login ID or password"):
        client.login(odoo_standin.database, odoo_standin.username, "wrong")
    # common.login answers false on bad credentials, as Odoo 14 does; it does not raise.
    answer, _ = raw_jsonrpc(odoo_standin, "/jsonrpc", {
        "service": "common", "method": "login", "args": [odoo_standin.database, odoo_standin.username, "wrong"]})
    assert answer["result"] is False
    answer, _ = raw_jsonrpc(odoo_standin, "/jsonrpc", {
        "service": "common", "method": "authenticate",
        "args": [odoo_standin.database, odoo_standin.username, odoo_standin.password, {}]})
    assert answer["result"] == odoo_standin.agent_uid
    answer, _ = raw_jsonrpc(odoo_standin, "/jsonrpc", {
        "service": "object", "method": "execute_kw",
        "args": [odoo_standin.database, odoo_standin.agent_uid, "wrong", MO, "plc_ping", ["FM1"], {}]})
    assert answer["error"]["code"] == 200
    assert answer["error"]["message"] == "Odoo Server Error"
    assert answer["error"]["data"]["name"] == "odoo.exceptions.AccessDenied"
    assert answer["error"]["data"]["message"] == "Access Denied"


def test_unknown_database_is_a_server_error(odoo_standin: OdooStandin) -> None:
    client = odoorpc.ODOO(odoo_standin.host, protocol="jsonrpc", port=odoo_standin.port, timeout=5)
    with pytest.raises(odoorpc.error.RPCError, match='database "nope" does not exist') as caught:
        client.login("nope", odoo_standin.username, odoo_standin.password)
    assert error_name(caught.value) == "psycopg2.OperationalError"


def test_api_key_works_on_jsonrpc_but_not_on_the_interactive_session(odoo_standin: OdooStandin) -> None:
    odoo_standin.add_api_key("0123456789abcdef0123456789abcdef01234567")
    client = connect(odoo_standin, password="0123456789abcdef0123456789abcdef01234567")
    assert client.execute_kw(MO, "plc_ping", ["FM1"])["line_exists"] is True
    answer, _ = raw_jsonrpc(odoo_standin, "/web/session/authenticate", {
        "db": odoo_standin.database, "login": odoo_standin.username,
        "password": "0123456789abcdef0123456789abcdef01234567"})
    assert answer["error"]["data"]["name"] == "odoo.exceptions.AccessDenied"


def test_session_authenticate_and_call_kw(odoo_standin: OdooStandin) -> None:
    answer, headers = raw_jsonrpc(odoo_standin, "/web/session/authenticate", {
        "db": odoo_standin.database, "login": odoo_standin.username, "password": odoo_standin.password})
    assert answer["result"]["uid"] == odoo_standin.agent_uid
    cookie = headers["Set-Cookie"].split(";")[0]
    answer, _ = raw_jsonrpc(odoo_standin, "/web/dataset/call_kw/mrp.production/plc_ping",
                            {"model": MO, "method": "plc_ping", "args": ["FM1"], "kwargs": {}}, cookie=cookie)
    assert answer["result"]["line"] == "FM1"
    answer, _ = raw_jsonrpc(odoo_standin, "/web/dataset/call_kw",
                            {"model": MO, "method": "plc_ping", "args": ["FM1"], "kwargs": {}})
    assert answer["error"]["code"] == 100
    assert answer["error"]["data"]["name"] == "odoo.http.SessionExpiredException"


def test_only_plc_agents_and_administrators_may_call_the_api(odoo_standin: OdooStandin) -> None:
    odoo_standin.add_user("clerk", "clerk-pw", plc_agent=False)
    clerk = connect(odoo_standin, login="clerk", password="clerk-pw")
    for method, args in (("plc_ping", ["FM1"]), ("plc_fetch_batches", ["FM1"]), ("plc_report_batch", [{}])):
        with pytest.raises(odoorpc.error.RPCError) as caught:
            clerk.execute_kw(MO, method, args)
        assert error_name(caught.value) == "odoo.exceptions.AccessError"
        assert "PLC agent" in str(caught.value)
    admin = connect(odoo_standin, login="admin", password="admin")
    assert admin.execute_kw(MO, "plc_ping", ["FM1"])["line_active"] is True


def test_private_and_unknown_methods_are_refused(client: odoorpc.ODOO) -> None:
    with pytest.raises(odoorpc.error.RPCError) as caught:
        client.execute_kw(MO, "_plc_claim", ["FM1"])
    assert error_name(caught.value) == "odoo.exceptions.AccessError"
    with pytest.raises(odoorpc.error.RPCError) as caught:
        client.execute_kw(MO, "button_mark_done", [[1]])
    assert error_name(caught.value) == "builtins.AttributeError"
    with pytest.raises(odoorpc.error.RPCError, match="Object stock.silo doesn't exist"):
        client.execute_kw("stock.silo", "read", [[1]])
    with pytest.raises(odoorpc.error.RPCError) as caught:
        client.execute_kw(MO, "plc_fetch_batches", [], {"limit": 3})
    assert error_name(caught.value) == "builtins.TypeError"


# ---------------------------------------------------------------------------- fetch


def test_fetch_returns_the_contract_shape(odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    mo_id = odoo_standin.add_mo(components=(
        ("101", "RM-MAIZE", "Maize", 500.0, "kg"),
        ("102", "RM-SBM", "Soybean meal 46%", 250.0, "kg"),
        ("101", "RM-MAIZE", "Maize", 50.0, "kg"),
        ("115", "RM-OIL", "Soybean oil", 20.0, "kg"),
    ))
    answer = fetch(client)
    assert answer["api_version"] == 1 and answer["line"] == "FM1"
    (batch,) = answer["batches"]
    assert set(batch) == BATCH_KEYS
    assert batch["mo_id"] == mo_id
    assert batch["mo_name"] == "WH/MO/%05d" % mo_id
    assert batch["run"] == 1
    assert batch["batch_key"] == "FM1-%d-1" % mo_id
    assert batch["redelivered"] is False
    assert (batch["product_code"], batch["quantity"], batch["uom"], batch["bom_code"], batch["line"]) == (
        "FEED-LAYER-25", 1000.0, "kg", "LAYER-25", "FM1")
    # One entry per silo, quantities of lines sharing a silo summed, in BoM order.
    assert batch["components"] == [
        {"silo": "101", "product_code": "RM-MAIZE", "product_name": "Maize", "quantity": 550.0, "uom": "kg"},
        {"silo": "102", "product_code": "RM-SBM", "product_name": "Soybean meal 46%", "quantity": 250.0, "uom": "kg"},
        {"silo": "115", "product_code": "RM-OIL", "product_name": "Soybean oil", "quantity": 20.0, "uom": "kg"},
    ]
    mo = odoo_standin.mo(mo_id)
    assert (mo["plc_state"], mo["batch_key"], mo["deliveries"]) == ("sent", "FM1-%d-1" % mo_id, 1)
    assert mo["sent_at"] is not None


def test_fetch_orders_by_priority_then_planned_start_then_id_and_honours_limit(
        odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    a = odoo_standin.add_mo()
    b = odoo_standin.add_mo(priority=1)
    c = odoo_standin.add_mo(date_planned_start="2026-11-27 06:00:00")
    d = odoo_standin.add_mo()
    e = odoo_standin.add_mo(priority=1)
    answer = fetch(client, limit=3)
    assert [x["mo_id"] for x in answer["batches"]] == [b, e, c]
    assert odoo_standin.mo(a)["plc_state"] == "ready"
    assert odoo_standin.mo(d)["plc_state"] == "ready"
    assert odoo_standin.calls("plc_fetch_batches") == 1


def test_redelivery_comes_first_and_never_brings_other_mos(odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    ids = [odoo_standin.add_mo() for _ in range(3)]
    first = fetch(client, limit=2)
    assert [(x["mo_id"], x["redelivered"]) for x in first["batches"]] == [(ids[0], False), (ids[1], False)]
    # The agent "crashed": the same two come back flagged, then the next ready MO.
    second = fetch(client, limit=3)
    assert [(x["mo_id"], x["redelivered"]) for x in second["batches"]] == [
        (ids[0], True), (ids[1], True), (ids[2], False)]
    assert [x["batch_key"] for x in second["batches"][:2]] == [x["batch_key"] for x in first["batches"]]
    # A limit smaller than the re-delivery set returns only re-deliveries.
    third = fetch(client, limit=1)
    assert [(x["mo_id"], x["redelivered"]) for x in third["batches"]] == [(ids[0], True)]
    assert odoo_standin.mo(ids[0])["deliveries"] == 3
    # Reported MOs are no longer re-delivered.
    assert report(client, done_payload(odoo_standin, ids[0]))["status"] == "done"
    assert [x["mo_id"] for x in fetch(client)["batches"]] == [ids[1], ids[2]]


def test_hold_cancelled_and_blocked_mos_are_skipped(odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    held = odoo_standin.add_mo(hold=True, priority=1)
    cancelled = odoo_standin.add_mo()
    odoo_standin.cancel_mo(cancelled)
    blocked = odoo_standin.add_mo(blocked_reason="Component RM-SALT is held by no silo of line FM1.")
    ok = odoo_standin.add_mo()
    assert [x["mo_id"] for x in fetch(client)["batches"]] == [ok]
    assert odoo_standin.mo(held)["plc_state"] == "ready"
    assert odoo_standin.mo(cancelled)["plc_state"] == "ready"
    assert odoo_standin.mo(blocked)["plc_state"] == "blocked"
    assert "RM-SALT" in odoo_standin.mo(blocked)["plc_reason"]
    odoo_standin.set_hold(held, False)
    assert [(x["mo_id"], x["redelivered"]) for x in fetch(client)["batches"]] == [(ok, True), (held, False)]


def test_lines_are_isolated(odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    odoo_standin.add_line("FM2")
    fm1 = odoo_standin.add_mo(line="FM1")
    fm2 = odoo_standin.add_mo(line="FM2")
    assert [x["mo_id"] for x in fetch(client, "FM2")["batches"]] == [fm2]
    assert [(x["mo_id"], x["redelivered"]) for x in fetch(client, "FM1")["batches"]] == [(fm1, False)]
    assert fetch(client, "FM2")["batches"][0]["batch_key"] == "FM2-%d-1" % fm2


@pytest.mark.parametrize("line_code", ["XX", "", None, 1])
def test_unknown_line_is_a_user_error_naming_it(odoo_standin: OdooStandin, client: odoorpc.ODOO, line_code: Any) -> None:
    with pytest.raises(odoorpc.error.RPCError) as caught:
        fetch(client, line_code)
    assert error_name(caught.value) == "odoo.exceptions.UserError"
    assert repr(line_code) in str(caught.value)


def test_archived_line_is_a_user_error(odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    odoo_standin.add_mo()
    odoo_standin.set_line_active("FM1", False)
    with pytest.raises(odoorpc.error.RPCError, match="'FM1' does not exist or is archived"):
        fetch(client)
    assert odoo_standin.mos()[0]["plc_state"] == "ready"
    ping = client.execute_kw(MO, "plc_ping", ["FM1"])
    assert (ping["line_exists"], ping["line_active"]) == (True, False)


@pytest.mark.parametrize("limit", [0, 101, -1, "5", 2.5, True, None])
def test_bad_limit_is_a_user_error(odoo_standin: OdooStandin, client: odoorpc.ODOO, limit: Any) -> None:
    odoo_standin.add_mo()
    with pytest.raises(odoorpc.error.RPCError, match="limit must be an integer from 1 to 100") as caught:
        fetch(client, limit=limit)
    assert error_name(caught.value) == "odoo.exceptions.UserError"
    assert odoo_standin.mos()[0]["plc_state"] == "ready"


def test_limit_defaults_to_ten_and_accepts_100(odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    for _ in range(12):
        odoo_standin.add_mo()
    assert len(client.execute_kw(MO, "plc_fetch_batches", ["FM1"])["batches"]) == 10
    assert len(client.execute_kw(MO, "plc_fetch_batches", ["FM1", 100])["batches"]) == 12


def test_concurrent_fetches_never_claim_one_mo_twice(odoo_standin: OdooStandin) -> None:
    ids = {odoo_standin.add_mo() for _ in range(40)}
    clients = [connect(odoo_standin) for _ in range(6)]
    new_claims: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(clients))

    def run(c: odoorpc.ODOO) -> None:
        try:
            barrier.wait()
            for _ in range(3):
                for batch in fetch(c, limit=3)["batches"]:
                    if not batch["redelivered"]:
                        new_claims.append(batch["mo_id"])
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert len(new_claims) == len(set(new_claims))
    assert set(new_claims) <= ids


def test_ping(odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    ping = client.execute_kw(MO, "plc_ping", ["FM1"])
    assert set(ping) == {"api_version", "server_time", "line", "line_exists", "line_active",
                         "components_per_batch", "text_width"}
    assert (ping["api_version"], ping["line"], ping["line_exists"], ping["line_active"]) == (1, "FM1", True, True)
    assert (ping["components_per_batch"], ping["text_width"]) == (15, 16)  # the addon's defaults
    assert len(ping["server_time"]) == 19
    unknown = client.execute_kw(MO, "plc_ping", ["NOPE"])
    assert (unknown["line_exists"], unknown["line_active"]) == (False, False)
    assert "components_per_batch" not in unknown  # as the addon: capacity only for a line that exists


# ---------------------------------------------------------------------------- report


def sent_mo(standin: OdooStandin, client: odoorpc.ODOO, **kwargs: Any) -> int:
    mo_id = standin.add_mo(**kwargs)
    claimed = [b["mo_id"] for b in fetch(client, kwargs.get("line", "FM1"), limit=100)["batches"]]
    assert mo_id in claimed
    return mo_id


def test_report_done_closes_the_mo_with_the_actuals(odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    mo_id = sent_mo(odoo_standin, client)
    payload = done_payload(odoo_standin, mo_id)
    result = report(client, payload)
    assert result == {"status": "done", "mo_state": "done", "reason": None, "duplicate": False, "api_version": 1}
    mo = odoo_standin.mo(mo_id)
    assert (mo["state"], mo["plc_state"], mo["times_closed"]) == ("done", "done", 1)
    assert mo["actuals"] == {c["silo"]: c["quantity"] for c in payload["consumption"]}
    assert mo["finished_quantity"] == 998.2
    assert mo["reports_received"] == [payload]
    assert mo["reported_at"] is not None
    assert odoo_standin.reports == [{"payload": payload, "result": result, "at": odoo_standin.reports[0]["at"]}]
    assert fetch(client)["batches"] == []


def test_finished_quantity_null_means_as_planned(odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    mo_id = sent_mo(odoo_standin, client, quantity=2000.0)
    payload = done_payload(odoo_standin, mo_id, finished_quantity=None)
    del payload["started_at"], payload["finished_at"], payload["message"]
    assert report(client, payload)["status"] == "done"
    assert odoo_standin.mo(mo_id)["finished_quantity"] == 2000.0


def test_same_key_same_payload_is_answered_once_more_as_a_duplicate(
        odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    mo_id = sent_mo(odoo_standin, client)
    payload = done_payload(odoo_standin, mo_id)
    first = report(client, payload)
    again = report(client, copy.deepcopy(payload))
    assert again == dict(first, duplicate=True)
    mo = odoo_standin.mo(mo_id)
    assert mo["times_closed"] == 1
    assert len(mo["reports_received"]) == 1
    assert mo["actuals"] == {c["silo"]: c["quantity"] for c in payload["consumption"]}
    assert len(odoo_standin.reports) == 2


def test_same_key_with_another_payload_is_rejected(odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    mo_id = sent_mo(odoo_standin, client)
    payload = done_payload(odoo_standin, mo_id)
    report(client, payload)
    before = odoo_standin.mo(mo_id)
    result = report(client, done_payload(odoo_standin, mo_id, finished_quantity=990.0, batch_key=payload["batch_key"]))
    assert result["status"] == "rejected" and result["duplicate"] is False
    assert "batch_key" in result["reason"] and "different payload" in result["reason"]
    assert odoo_standin.mo(mo_id) == before


def test_another_key_for_a_reported_mo_is_rejected(odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    mo_id = sent_mo(odoo_standin, client)
    report(client, done_payload(odoo_standin, mo_id, status="failed", message="Mixer motor tripped"))
    before = odoo_standin.mo(mo_id)
    result = report(client, done_payload(odoo_standin, mo_id, batch_key="FM1-%d-1-retry" % mo_id))
    assert result["status"] == "rejected"
    assert result["reason"].startswith("batch_key:") and "already reported" in result["reason"]
    assert odoo_standin.mo(mo_id) == before


def test_failed_then_released_runs_again_and_adds_consumption(odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    mo_id = sent_mo(odoo_standin, client)
    failed = done_payload(odoo_standin, mo_id, status="failed", finished_quantity=None,
                          consumption=[{"silo": "101", "quantity": 120.0}], message="Mixer motor tripped")
    result = report(client, failed)
    assert result == {"status": "failed", "mo_state": "progress", "reason": "Mixer motor tripped",
                      "duplicate": False, "api_version": 1}
    assert odoo_standin.mo(mo_id)["plc_state"] == "failed"
    assert fetch(client)["batches"] == []  # a failed MO is neither re-delivered nor claimed

    odoo_standin.release(mo_id)
    mo = odoo_standin.mo(mo_id)
    assert (mo["plc_state"], mo["run"], mo["batch_key"]) == ("ready", 2, None)
    (batch,) = fetch(client)["batches"]
    assert (batch["mo_id"], batch["run"], batch["batch_key"], batch["redelivered"]) == (
        mo_id, 2, "FM1-%d-2" % mo_id, False)
    second = done_payload(odoo_standin, mo_id, consumption=[{"silo": "101", "quantity": 550.0}])
    assert report(client, second)["status"] == "done"
    assert odoo_standin.mo(mo_id)["actuals"] == {"101": 670.0}
    # The first run's key still answers its own first result.
    assert report(client, failed) == dict(result, duplicate=True)


def test_release_refuses_an_mo_that_did_not_fail(odoo_standin: OdooStandin) -> None:
    mo_id = odoo_standin.add_mo()
    with pytest.raises(ValueError, match="only a failed MO"):
        odoo_standin.release(mo_id)


def test_recorded_switch(odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    mo_id = sent_mo(odoo_standin, client)
    odoo_standin.answer_recorded(mo_id, "Component RM-PKP is tracked by lot and silo 103 has no lot.")
    result = report(client, done_payload(odoo_standin, mo_id))
    assert result["status"] == "recorded"
    assert result["mo_state"] == "to_close"
    assert "lot" in result["reason"]
    mo = odoo_standin.mo(mo_id)
    assert (mo["plc_state"], mo["times_closed"]) == ("recorded", 0)
    assert mo["actuals"]


REJECTIONS: list[tuple[str, Any, str]] = [
    ("missing mo_id", lambda p: p.pop("mo_id"), "mo_id"),
    ("missing line", lambda p: p.pop("line"), "line"),
    ("missing consumption", lambda p: p.pop("consumption"), "consumption"),
    ("missing status", lambda p: p.pop("status"), "status"),
    ("mo_id as string", lambda p: p.update(mo_id=str(p["mo_id"])), "mo_id"),
    ("mo_id as bool", lambda p: p.update(mo_id=True), "mo_id"),
    ("unknown mo", lambda p: p.update(mo_id=99999), "mo_id"),
    ("line not a string", lambda p: p.update(line=1), "line"),
    ("status unknown", lambda p: p.update(status="finished"), "status"),
    ("consumption not a list", lambda p: p.update(consumption={"101": 5}), "consumption"),
    ("consumption entry not an object", lambda p: p.update(consumption=[["101", 5.0]]), "consumption[0]"),
    ("consumption entry without quantity", lambda p: p["consumption"][0].pop("quantity"), "consumption[0].quantity"),
    ("silo as integer", lambda p: p["consumption"][0].update(silo=101), "consumption[0].silo"),
    ("silo twice", lambda p: p["consumption"].append(dict(p["consumption"][0])), "consumption[5].silo"),
    ("unknown silo", lambda p: p["consumption"][1].update(silo="999"), "consumption[1].silo"),
    ("silo not on this MO", lambda p: p["consumption"][1].update(silo="110"), "consumption[1].silo"),
    ("negative quantity", lambda p: p["consumption"][2].update(quantity=-0.5), "consumption[2].quantity"),
    ("NaN quantity", lambda p: p["consumption"][2].update(quantity=math.nan), "consumption[2].quantity"),
    ("infinite quantity", lambda p: p["consumption"][2].update(quantity=math.inf), "consumption[2].quantity"),
    ("string quantity", lambda p: p["consumption"][2].update(quantity="12.5"), "consumption[2].quantity"),
    ("bool quantity", lambda p: p["consumption"][2].update(quantity=True), "consumption[2].quantity"),
    ("null quantity", lambda p: p["consumption"][2].update(quantity=None), "consumption[2].quantity"),
    ("negative finished", lambda p: p.update(finished_quantity=-1), "finished_quantity"),
    ("string finished", lambda p: p.update(finished_quantity="998"), "finished_quantity"),
    ("started_at not a string", lambda p: p.update(started_at=1764309601), "started_at"),
    ("misspelt field", lambda p: p.update(finished_qty=998.2), "finished_qty"),
    ("batch_key of another run", lambda p: p.update(batch_key=p["batch_key"][:-1] + "2"), "batch_key"),
]


@pytest.mark.parametrize("mutate, field", [(m, f) for _, m, f in REJECTIONS], ids=[n for n, _, _ in REJECTIONS])
def test_bad_report_is_rejected_naming_the_field_and_writes_nothing(
        odoo_standin: OdooStandin, client: odoorpc.ODOO, mutate: Any, field: str) -> None:
    mo_id = sent_mo(odoo_standin, client)
    before = odoo_standin.mo(mo_id)
    payload = done_payload(odoo_standin, mo_id)
    mutate(payload)
    result = report(client, payload)
    assert set(result) == RESULT_KEYS
    assert (result["status"], result["duplicate"], result["api_version"]) == ("rejected", False, 1)
    assert result["reason"].startswith(field + ":") or result["reason"].startswith(field + "."), result["reason"]
    assert odoo_standin.mo(mo_id) == before
    # Nothing was remembered either: the valid report still goes through.
    assert report(client, done_payload(odoo_standin, mo_id))["status"] == "done"


def test_report_of_an_mo_of_another_line_is_rejected(odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    odoo_standin.add_line("FM2")
    mo_id = sent_mo(odoo_standin, client)
    result = report(client, done_payload(odoo_standin, mo_id, line="FM2"))
    assert result["status"] == "rejected" and result["reason"].startswith("line:")
    assert odoo_standin.mo(mo_id)["plc_state"] == "sent"


@pytest.mark.parametrize("how", ["not sent", "cancelled", "done"])
def test_report_of_an_mo_in_the_wrong_state_is_rejected(
        odoo_standin: OdooStandin, client: odoorpc.ODOO, how: str) -> None:
    if how == "not sent":
        mo_id = odoo_standin.add_mo(hold=True)
        payload = done_payload(odoo_standin, mo_id, batch_key="FM1-%d-1" % mo_id)
    else:
        mo_id = sent_mo(odoo_standin, client)
        payload = done_payload(odoo_standin, mo_id)
        if how == "cancelled":
            odoo_standin.cancel_mo(mo_id)
        else:
            report(client, done_payload(odoo_standin, mo_id))
            payload["batch_key"] = "FM1-%d-9" % mo_id
    before = odoo_standin.mo(mo_id)
    result = report(client, payload)
    assert result["status"] == "rejected"
    assert result["reason"].startswith("mo_id:")
    assert how.split()[-1] in result["reason"]
    assert odoo_standin.mo(mo_id) == before


def test_payload_not_an_object_is_rejected(odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    assert report(client, [1, 2])["reason"].startswith("payload:")
    assert report(client, {"mo_id": 1})["reason"].startswith("batch_key:")


# ---------------------------------------------------------------------------- faults


def test_network_fault_raises_in_the_client_and_nothing_happens(
        odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    mo_id = sent_mo(odoo_standin, client)
    odoo_standin.fail_next("plc_report_batch", "network")
    with pytest.raises(OSError):
        report(client, done_payload(odoo_standin, mo_id))
    assert odoo_standin.mo(mo_id)["plc_state"] == "sent"
    assert odoo_standin.reports == []
    assert report(client, done_payload(odoo_standin, mo_id))["duplicate"] is False


def test_lost_reply_commits_and_the_retry_is_a_duplicate(odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    mo_id = sent_mo(odoo_standin, client)
    payload = done_payload(odoo_standin, mo_id)
    odoo_standin.fail_next("plc_report_batch", "lost_reply")
    with pytest.raises(OSError):
        report(client, payload)
    assert odoo_standin.mo(mo_id)["plc_state"] == "done"
    retry = report(client, payload)
    assert (retry["status"], retry["duplicate"]) == ("done", True)
    assert odoo_standin.mo(mo_id)["times_closed"] == 1


def test_lost_fetch_reply_is_recovered_by_redelivery(odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    mo_id = odoo_standin.add_mo()
    odoo_standin.fail_next("plc_fetch_batches", "lost_reply")
    with pytest.raises(OSError):
        fetch(client)
    (batch,) = fetch(client)["batches"]
    assert (batch["mo_id"], batch["redelivered"], batch["batch_key"]) == (mo_id, True, "FM1-%d-1" % mo_id)


@pytest.mark.parametrize("kind, name", [
    ("server_error", "psycopg2.OperationalError"),
    ("serialization", "psycopg2.errors.SerializationFailure"),
])
def test_server_side_errors_raise_rpc_errors_and_change_nothing(
        odoo_standin: OdooStandin, client: odoorpc.ODOO, kind: str, name: str) -> None:
    mo_id = sent_mo(odoo_standin, client)
    odoo_standin.fail_next("plc_report_batch", kind, count=2)
    for _ in range(2):
        with pytest.raises(odoorpc.error.RPCError) as caught:
            report(client, done_payload(odoo_standin, mo_id))
        assert caught.value.info["code"] == 200
        assert error_name(caught.value) == name
    assert odoo_standin.mo(mo_id)["plc_state"] == "sent"
    assert report(client, done_payload(odoo_standin, mo_id))["status"] == "done"


def test_http_500_raises_an_http_error(odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    odoo_standin.fail_next("plc_ping", "http_500")
    with pytest.raises(urllib.error.HTTPError) as caught:
        client.execute_kw(MO, "plc_ping", ["FM1"])
    assert caught.value.code == 500
    assert client.execute_kw(MO, "plc_ping", ["FM1"])["line_exists"] is True


def test_slow_answer_times_out_in_the_client(odoo_standin: OdooStandin) -> None:
    client = connect(odoo_standin, timeout=0.3)
    odoo_standin.fail_next("plc_ping", "slow", delay=1.0)
    with pytest.raises(OSError):  # socket timeout: TimeoutError
        client.execute_kw(MO, "plc_ping", ["FM1"])


def test_fault_on_any_method_and_bad_fault_kinds(odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    odoo_standin.fail_next("*", "network")
    with pytest.raises(OSError):
        client.execute_kw(MO, "plc_ping", ["FM1"])
    assert client.execute_kw(MO, "plc_ping", ["FM1"])["line"] == "FM1"
    with pytest.raises(ValueError, match="unknown fault kind"):
        odoo_standin.fail_next("plc_ping", "meteor")
    odoo_standin.fail_next("plc_ping", "network")
    odoo_standin.clear_faults()
    assert client.execute_kw(MO, "plc_ping", ["FM1"])["line"] == "FM1"


def test_login_can_fail_too(odoo_standin: OdooStandin) -> None:
    odoo_standin.fail_next("login", "network")
    with pytest.raises(OSError):
        connect(odoo_standin)
    assert connect(odoo_standin).env.uid == odoo_standin.agent_uid


def test_down_refuses_connections_and_comes_back_on_the_same_port(
        odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    mo_id = sent_mo(odoo_standin, client)
    port = odoo_standin.port
    odoo_standin.go_down()
    assert not odoo_standin.is_up
    with pytest.raises(urllib.error.URLError) as caught:
        client.execute_kw(MO, "plc_ping", ["FM1"])
    assert isinstance(caught.value.reason, ConnectionRefusedError)
    with pytest.raises(OSError):
        connect(odoo_standin)
    odoo_standin.come_up()
    assert odoo_standin.port == port and odoo_standin.is_up
    # The same client (same URL, same credentials) carries on; the data survived.
    assert report(client, done_payload(odoo_standin, mo_id))["status"] == "done"
    odoo_standin.go_down()
    odoo_standin.come_up()
    assert client.execute_kw(MO, "plc_ping", ["FM1"])["line_exists"] is True


def test_call_log_counts_round_trips(odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    odoo_standin.add_mo()
    before = odoo_standin.calls()
    fetch(client)
    client.execute_kw(MO, "plc_ping", ["FM1"])
    assert odoo_standin.calls() == before + 2
    assert odoo_standin.call_log[-2:] == [
        ("/jsonrpc", MO, "plc_fetch_batches"), ("/jsonrpc", MO, "plc_ping")]
