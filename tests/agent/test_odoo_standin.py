"""The stand-in Odoo's own machinery, exercised through the agent's real client (odoorpc)
and raw HTTP: Odoo 14's login and error answers as odoorpc sees them, the test controls
(lines, users, MOs, the recorded switch), its bookkeeping and the fault injection.

What any implementation of docs/api.md must answer is in tests/contract, which runs the
same cases against this stand-in and against a real Odoo 14 with the addon.
"""

from __future__ import annotations

import copy
import json
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


def test_unknown_methods_models_and_arguments_are_refused_as_odoo_does(client: odoorpc.ODOO) -> None:
    with pytest.raises(odoorpc.error.RPCError) as caught:
        client.execute_kw(MO, "button_mark_done", [[1]])
    assert error_name(caught.value) == "builtins.AttributeError"
    with pytest.raises(odoorpc.error.RPCError, match="Object stock.silo doesn't exist"):
        client.execute_kw("stock.silo", "read", [[1]])
    with pytest.raises(odoorpc.error.RPCError) as caught:
        client.execute_kw(MO, "plc_fetch_batches", [], {"limit": 3})
    assert error_name(caught.value) == "builtins.TypeError"


# ---------------------------------------------------------------------------- fetch


def test_add_mo_sums_components_sharing_a_silo_and_counts_deliveries(
        odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    mo_id = odoo_standin.add_mo(components=(
        ("101", "RM-MAIZE", "Maize", 500.0, "kg"),
        ("102", "RM-SBM", "Soybean meal 46%", 250.0, "kg"),
        ("101", "RM-MAIZE", "Maize", 50.0, "kg"),
        ("115", "RM-OIL", "Soybean oil", 20.0, "kg"),
    ))
    (batch,) = fetch(client)["batches"]
    assert batch["mo_name"] == "WH/MO/%05d" % mo_id
    assert [(c["silo"], c["quantity"]) for c in batch["components"]] == [("101", 550.0), ("102", 250.0), ("115", 20.0)]
    fetch(client)
    mo = odoo_standin.mo(mo_id)
    assert (mo["plc_state"], mo["batch_key"], mo["deliveries"]) == ("sent", "FM1-%d-1" % mo_id, 2)
    assert mo["sent_at"] is not None
    assert odoo_standin.calls("plc_fetch_batches") == 2


def test_the_default_agent_user_acts_for_every_line_a_bound_one_for_its_own(odoo_standin: OdooStandin) -> None:
    odoo_standin.add_line("FM2")
    fm2 = odoo_standin.add_mo(line="FM2")
    # The stand-in's own agent user speaks for any line, as the agent's tests need.
    assert [b["mo_id"] for b in fetch(connect(odoo_standin), "FM2")["batches"]] == [fm2]
    odoo_standin.add_user("plc-agent-fm1", "fm1-key", lines=("FM1",))
    bound = connect(odoo_standin, login="plc-agent-fm1", password="fm1-key")
    assert fetch(bound, "FM1")["batches"] == []
    with pytest.raises(odoorpc.error.RPCError, match="may not act for PLC line 'FM2'") as caught:
        fetch(bound, "FM2")
    assert error_name(caught.value) == "odoo.exceptions.AccessError"
    assert odoo_standin.mo(fm2)["deliveries"] == 1


@pytest.mark.parametrize("line_code", ["XX", "", None, 1])
def test_the_default_agent_user_gets_a_user_error_for_a_code_of_no_line(
        client: odoorpc.ODOO, line_code: Any) -> None:
    with pytest.raises(odoorpc.error.RPCError) as caught:
        fetch(client, line_code)
    assert error_name(caught.value) == "odoo.exceptions.UserError"
    assert repr(line_code) in str(caught.value)


def test_a_request_nested_too_deep_to_parse_is_a_server_error_page(odoo_standin: OdooStandin) -> None:
    depth = 5000
    body = ('{"jsonrpc": "2.0", "method": "call", "id": 1, "params": {"service": "common", "method": "login", '
            '"args": ' + "[" * depth + "]" * depth + "}}").encode()
    request = urllib.request.Request(odoo_standin.url + "/jsonrpc", data=body,
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 500
    assert connect(odoo_standin).execute_kw(MO, "plc_ping", ["FM1"])["line_exists"] is True


# ---------------------------------------------------------------------------- report


def sent_mo(standin: OdooStandin, client: odoorpc.ODOO, **kwargs: Any) -> int:
    mo_id = standin.add_mo(**kwargs)
    claimed = [b["mo_id"] for b in fetch(client, kwargs.get("line", "FM1"), limit=100)["batches"]]
    assert mo_id in claimed
    return mo_id


def test_a_report_is_kept_in_the_bookkeeping_once(odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    mo_id = sent_mo(odoo_standin, client)
    payload = done_payload(odoo_standin, mo_id)
    result = report(client, payload)
    assert report(client, copy.deepcopy(payload)) == dict(result, duplicate=True)
    mo = odoo_standin.mo(mo_id)
    assert (mo["state"], mo["plc_state"], mo["times_closed"]) == ("done", "done", 1)
    assert mo["actuals"] == {c["silo"]: c["quantity"] for c in payload["consumption"]}
    assert mo["finished_quantity"] == 998.2
    assert mo["reports_received"] == [payload]
    assert mo["reported_at"] is not None
    # Every call is in the list, the duplicate too.
    assert [r["payload"] for r in odoo_standin.reports] == [payload, payload]
    assert [r["result"]["duplicate"] for r in odoo_standin.reports] == [False, True]


def test_finished_quantity_null_is_the_planned_quantity(odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    mo_id = sent_mo(odoo_standin, client, quantity=2000.0)
    assert report(client, done_payload(odoo_standin, mo_id, finished_quantity=None))["status"] == "done"
    assert odoo_standin.mo(mo_id)["finished_quantity"] == 2000.0


def test_a_released_run_adds_its_consumption_to_the_failed_one(odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    mo_id = sent_mo(odoo_standin, client)
    report(client, done_payload(odoo_standin, mo_id, status="failed", finished_quantity=None,
                                consumption=[{"silo": "101", "quantity": 120.0}], message="Mixer motor tripped"))
    odoo_standin.release(mo_id)
    mo = odoo_standin.mo(mo_id)
    assert (mo["plc_state"], mo["run"], mo["report_digest"]) == ("ready", 2, None)
    (batch,) = fetch(client)["batches"]
    assert batch["batch_key"] == "FM1-%d-2" % mo_id
    second = done_payload(odoo_standin, mo_id, consumption=[{"silo": "101", "quantity": 550.0}])
    assert report(client, second)["status"] == "done"
    assert odoo_standin.mo(mo_id)["actuals"] == {"101": 670.0}


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


def test_an_unbound_caller_reporting_another_lines_mo_is_told_its_line(
        odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    # An agent bound to lines never learns of another line's MO (tests/contract); a user
    # acting for every line is told, as docs/api.md's table of rejections says.
    odoo_standin.add_line("FM2")
    mo_id = sent_mo(odoo_standin, client)
    result = report(client, done_payload(odoo_standin, mo_id, line="FM2"))
    assert (result["status"], result["mo_state"]) == ("rejected", None)
    assert result["reason"] == "mo_id: WH/MO/%05d belongs to line FM1, not to FM2." % mo_id
    assert odoo_standin.mo(mo_id)["plc_state"] == "sent"


def test_a_line_s_largest_weighing_is_set_per_line(odoo_standin: OdooStandin, client: odoorpc.ODOO) -> None:
    odoo_standin.add_product(55)
    mo_id = odoo_standin.add_mo()
    weighing = {"line": "FM1", "weighing_key": "FM1-W-1", "mo_name": "WH/MO/%05d" % mo_id, "batch_number": 1,
                "product_template_id": 55, "quantity": 1500.0, "weighed_at": "2026-11-28T06:01:02Z"}
    assert client.execute_kw(MO, "plc_report_manual_weighing", [weighing])["status"] == "kept"
    odoo_standin.set_weighing_max("FM1", 0)
    answer = client.execute_kw(MO, "plc_report_manual_weighing", [dict(weighing, weighing_key="FM1-W-2")])
    assert answer["status"] == "consumed"
    assert [c["quantity"] for c in odoo_standin.manual_consumption(mo_id)] == [1500.0]


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
