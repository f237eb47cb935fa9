"""A stand-in for Odoo 14 with ``mrp_plc_bridge`` installed, served on loopback.

The agent's tests run its real odoorpc client against this server, so it speaks the HTTP
JSON-RPC endpoints odoorpc 0.10.1 uses (``/web/webclient/version_info``, ``/jsonrpc`` with
the ``common`` and ``object`` services, ``/web/session/authenticate``,
``/web/dataset/call_kw``), answers errors the way Odoo 14 serialises them, and implements
the RPC contract of docs/api.md: ``plc_fetch_batches`` / ``plc_report_batch`` /
``plc_ping`` (re-delivery first, atomic claiming, exactly-once reports by ``batch_key``),
``plc_report_failure`` / ``plc_report_manual_weighing`` (odoo_standin_reports.py), the
payload checks (odoo_standin_payloads.py), and agent users bound to their lines. It is a
second implementation of that contract: tests/contract runs the same cases against it and
against a real Odoo 14 with the addon, so that the two cannot drift.

Test code drives it directly (``add_mo``, ``release``, ``mo``) and injects faults
(``go_down``/``come_up``, ``fail_next``). Only the standard library is used.
"""

from __future__ import annotations

import copy
import http.server
import inspect
import json
import logging
import secrets
import socket
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .odoo_standin_payloads import (
    REPORT_OPTIONAL,
    REPORT_OPTIONAL_BEFORE_POSITION,
    Rejected,
    check_report,
    check_status,
    cut,
    show,
)
from .odoo_standin_reports import AreaReportsStandin

logger = logging.getLogger(__name__)

API_VERSION = 1
MODEL = "mrp.production"

SERVER_VERSION_INFO = {
    "server_version": "14.0",
    "server_version_info": [14, 0, 0, "final", 0, ""],
    "server_serie": "14.0",
    "protocol_version": 1,
}

FAULT_KINDS = ("network", "lost_reply", "http_500", "server_error", "serialization", "slow")

DEFAULT_COMPONENTS: tuple[tuple[str, str, str, float, str], ...] = (
    ("101", "RM-MAIZE", "Maize", 550.0, "kg"),
    ("102", "RM-SBM", "Soybean meal 46%", 250.0, "kg"),
    ("103", "RM-PKP", "Palm kernel pellets", 100.0, "kg"),
    ("104", "RM-LIME", "Limestone", 80.0, "kg"),
    ("115", "RM-OIL", "Soybean oil", 20.0, "kg"),
)

DEFAULT_SILOS = tuple(str(code) for code in range(101, 116))


class RpcError(Exception):
    """An error answered as Odoo 14's JSON-RPC ``error`` object."""

    def __init__(self, name: str, message: str, *, code: int = 200, http_message: str = "Odoo Server Error"):
        super().__init__(message)
        self.name = name
        self.message = message
        self.code = code
        self.http_message = http_message

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.http_message,
            "data": {
                "name": self.name,
                # Odoo sends the server traceback here; a short one keeps logs readable.
                "debug": "Traceback (most recent call last):\n  (stand-in)\n%s: %s\n" % (self.name, self.message),
                "message": self.message,
                "arguments": [self.message],
                "context": {},
            },
        }


def user_error(message: str) -> RpcError:
    return RpcError("odoo.exceptions.UserError", message)


def access_error(message: str) -> RpcError:
    return RpcError("odoo.exceptions.AccessError", message)


def access_denied() -> RpcError:
    return RpcError("odoo.exceptions.AccessDenied", "Access Denied")


@dataclass
class StandinUser:
    uid: int
    login: str
    password: str
    plc_agent: bool = True
    admin: bool = False
    active: bool = True
    # API keys work on non-interactive logins only (common.login, execute_kw), as in Odoo 14.
    api_keys: set[str] = field(default_factory=set)
    # The lines an agent user speaks for (the line's Agent Users); None: every line, as an
    # administrator. The stand-in's own agent user is such a one, so that the agent's tests
    # may use any line; the contract cases bind theirs to one line each.
    lines: frozenset[str] | None = None

    def speaks_for(self, line_code: str) -> bool:
        return self.admin or self.lines is None or line_code in self.lines

    def accepts(self, secret: str, *, interactive: bool) -> bool:
        if not self.active or not isinstance(secret, str) or not secret:
            return False
        if secret == self.password:
            return True
        return not interactive and secret in self.api_keys


@dataclass
class _Fault:
    method: str
    kind: str
    count: int
    delay: float


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], standin: OdooStandin):
        self.standin = standin
        super().__init__(address, _Handler)


class _DropConnection(Exception):
    """Raised inside the handler to close the socket without an answer."""


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        logger.debug("stand-in %s: " + format, self.address_string(), *args)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._send(404, b"<html><body>404: Not Found</body></html>", "text/html")

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            status, payload, content_type, extra_headers = self.server.standin._handle_http(
                self.path, body, self.headers.get("Cookie", "")
            )
        except _DropConnection:
            self._drop()
            return
        self._send(status, payload, content_type, extra_headers)

    def _drop(self) -> None:
        self.close_connection = True
        try:
            # Linger 0: the client sees a reset, as when a proxy or the server dies mid-call.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send(
        self,
        status: int,
        payload: bytes,
        content_type: str,
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


def _now_str() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


class OdooStandin(AreaReportsStandin):
    """Odoo 14 + mrp_plc_bridge as far as the agent can see it, in one thread-safe object."""

    def __init__(
        self,
        *,
        database: str = "plc_test",
        username: str = "plc-agent",
        password: str = "secret-key",
        lines: tuple[str, ...] | list[str] = ("FM1",),
    ) -> None:
        self.database = database
        self.username = username
        self.password = password
        self.host = "127.0.0.1"
        self.port = 0
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._users: dict[str, StandinUser] = {}
        self._sessions: dict[str, int] = {}
        self._lines: dict[str, dict[str, Any]] = {}
        self._mos: dict[int, dict[str, Any]] = {}
        self._next_mo_id = 1
        self._send_seq = 0
        # The user whose RPC call this thread answers.
        self._local = threading.local()
        self._faults: list[_Fault] = []
        self._record_instead: dict[int, str] = {}
        self.reports: list[dict[str, Any]] = []
        # Every plc_ping received: line, status (None without one), time.
        self.pings: list[dict[str, Any]] = []
        # False: plc_ping(line_code) only, as the addon before the line's status (14.0.1.1.0).
        self.ping_takes_status = True
        # False: no ready_mo_count in plc_ping's answer, as the addon before 14.0.1.4.0.
        self.ping_counts_ready = True
        # False: a batch report's slot and batch number are unknown fields, as the addon
        # before 14.0.1.5.0 had it.
        self.report_takes_position = True
        self.call_log: list[tuple[str, str, str]] = []
        self._init_area_reports()
        # Odoo 14: uid 1 is __system__, 2 the admin; the agent's user comes later.
        self.add_user("admin", "admin", uid=2, plc_agent=False, admin=True)
        self.agent_uid = self.add_user(username, password, uid=6, plc_agent=True)
        for code in lines:
            self.add_line(code)

    # ------------------------------------------------------------------ server life

    @property
    def url(self) -> str:
        return "http://%s:%d" % (self.host, self.port)

    @property
    def is_up(self) -> bool:
        return self._server is not None

    def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        if self._server is not None:
            raise RuntimeError("the stand-in Odoo is already serving on %s" % self.url)
        server = _Server((host, port), self)
        self.host, self.port = host, server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05},
            name="odoo-standin-%d" % self.port, daemon=True,
        )
        self._thread.start()
        logger.debug("stand-in Odoo serving on %s", self.url)
        return self.port

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def go_down(self) -> None:
        """Refuse connections (the listening socket is closed) until ``come_up``."""
        if self._server is None:
            raise RuntimeError("the stand-in Odoo is not running")
        self.stop()

    def come_up(self) -> None:
        """Serve again on the same host and port, with all data kept."""
        if self._server is not None:
            return
        if not self.port:
            raise RuntimeError("the stand-in Odoo was never started")
        self.start(self.host, self.port)

    def __enter__(self) -> OdooStandin:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ test setup

    def add_user(
        self, login: str, password: str, *, uid: int | None = None, plc_agent: bool = True,
        admin: bool = False, api_keys: tuple[str, ...] = (), lines: tuple[str, ...] | None = None,
    ) -> int:
        """A user; ``lines``: the only lines it may act for (None: all of them)."""
        with self._lock:
            if uid is None:
                uid = max((u.uid for u in self._users.values()), default=5) + 1
            self._users[login] = StandinUser(uid, login, password, plc_agent=plc_agent, admin=admin,
                                             api_keys=set(api_keys),
                                             lines=None if lines is None else frozenset(lines))
            return uid

    def add_api_key(self, key: str, login: str | None = None) -> None:
        with self._lock:
            self._users[login or self.username].api_keys.add(key)

    def add_line(self, code: str, *, active: bool = True, silos: tuple[str, ...] = DEFAULT_SILOS) -> None:
        with self._lock:
            # The addon's defaults for one PLC slot (mrp.plc.line components_per_batch, text_width).
            self._lines[code] = {"code": code, "active": active, "silos": set(silos),
                                 "capacity": {"components_per_batch": 15, "text_width": 16}}

    def set_line_capacity(self, code: str, *, components_per_batch: int, text_width: int) -> None:
        with self._lock:
            self._lines[code]["capacity"] = {"components_per_batch": components_per_batch,
                                             "text_width": text_width}

    def set_line_active(self, code: str, active: bool) -> None:
        with self._lock:
            self._lines[code]["active"] = active

    def add_mo(
        self,
        *,
        line: str = "FM1",
        name: str | None = None,
        product_code: str = "FEED-LAYER-25",
        product_name: str = "Layer feed 25 kg",
        quantity: float = 1000.0,
        uom: str = "kg",
        bom_code: str = "LAYER-25",
        components: tuple[tuple[str, str, str, float, str], ...] | list = DEFAULT_COMPONENTS,
        priority: int = 0,
        hold: bool = False,
        date_planned_start: str = "2026-11-28 06:00:00",
        state: str = "confirmed",
        blocked_reason: str | None = None,
    ) -> int:
        """Create a confirmed MO for ``line`` in PLC state ``ready``; return its id.

        ``components`` are ``(silo, product_code, product_name, quantity, uom)``; entries
        sharing a silo are summed, as the addon does. ``blocked_reason`` makes the MO fail
        the eligibility check, so the next fetch marks it ``blocked`` with that reason.
        """
        with self._lock:
            if line not in self._lines:
                self.add_line(line)
            mo_id = self._next_mo_id
            self._next_mo_id += 1
            merged: dict[str, dict[str, Any]] = {}
            for silo, code, cname, qty, cuom in components:
                silo = str(silo)
                if silo in merged:
                    merged[silo]["quantity"] += float(qty)
                else:
                    merged[silo] = {"silo": silo, "product_code": code, "product_name": cname,
                                    "quantity": float(qty), "uom": cuom}
                self._lines[line]["silos"].add(silo)
            self._mos[mo_id] = {
                "id": mo_id,
                "name": name or "WH/MO/%05d" % mo_id,
                "line": line,
                "state": state,
                "plc_state": "ready",
                "plc_reason": None,
                "plc_suspect": False,
                "run": 1,
                "batch_key": None,
                "hold": hold,
                "priority": priority,
                "date_planned_start": date_planned_start,
                "product_code": product_code,
                "product_name": product_name,
                "quantity": float(quantity),
                "uom": uom,
                "bom_code": bom_code,
                "components": list(merged.values()),
                "blocked_reason": blocked_reason,
                "actuals": {},
                "finished_quantity": None,
                "deliveries": 0,
                "reports_received": [],
                # The accepted report of the current run: what its key answers again.
                "report_digest": None,
                "report_result": None,
                # The failed run's (batch_key, digest, result), kept after a release again.
                "failed_run": None,
                "times_closed": 0,
                "sent_at": None,
                "send_seq": 0,
                "reported_at": None,
            }
            return mo_id

    def set_hold(self, mo_id: int, hold: bool = True) -> None:
        with self._lock:
            self._mos[mo_id]["hold"] = hold

    def cancel_mo(self, mo_id: int) -> None:
        with self._lock:
            self._mos[mo_id]["state"] = "cancel"

    def release(self, mo_id: int) -> None:
        """The planner's "release again" button on a failed MO: ready, run + 1."""
        with self._lock:
            mo = self._mos[mo_id]
            if mo["plc_state"] != "failed":
                raise ValueError("MO %s is %s; only a failed MO can be released again" % (mo["name"], mo["plc_state"]))
            mo["plc_state"] = "ready"
            mo["plc_reason"] = None
            mo["run"] += 1
            # The failed run's report is kept: sent again (its answer lost), it gets the same answer.
            mo["failed_run"] = (mo["batch_key"], mo["report_digest"], mo["report_result"])
            mo["report_digest"] = mo["report_result"] = None

    def answer_recorded(
        self, mo_id: int, reason: str = "The BoM is strict and the consumption deviates from it."
    ) -> None:
        """Make a later ``done`` report of this MO end as ``recorded`` (Odoo refused to close)."""
        with self._lock:
            self._record_instead[mo_id] = reason

    def fail_next(self, method: str, kind: str, count: int = 1, *, delay: float = 5.0) -> None:
        """Inject a fault into the next ``count`` calls of ``method`` ("*": any call).

        ``method`` is the RPC method: ``plc_fetch_batches``, ``plc_report_batch``,
        ``plc_ping``, ``login``, ``context_get``, ``version_info``, ...
        Kinds: ``network`` (connection reset before the call runs), ``lost_reply`` (the call
        runs and commits, then the connection is reset), ``http_500`` (an HTML 500 page, as a
        proxy would answer), ``server_error`` (an Odoo JSON-RPC error, nothing done),
        ``serialization`` (Odoo's error after its serialization-conflict retries, nothing
        done), ``slow`` (answers after ``delay`` seconds).
        """
        if kind not in FAULT_KINDS:
            raise ValueError("unknown fault kind %r; expected one of %s" % (kind, ", ".join(FAULT_KINDS)))
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._faults.append(_Fault(method, kind, count, delay))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # ------------------------------------------------------------------ inspection

    def mo(self, mo_id: int) -> dict[str, Any]:
        """A snapshot of one MO: state, plc_state, run, batch_key, actuals, ..."""
        with self._lock:
            return copy.deepcopy(self._mos[mo_id])

    def mos(self) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(mo) for mo in self._mos.values()]

    def calls(self, method: str | None = None) -> int:
        """How many HTTP round trips reached the server (for ``method`` only, if given)."""
        with self._lock:
            return sum(1 for entry in self.call_log if method is None or entry[2] == method)

    # ------------------------------------------------------------------ HTTP layer

    def _handle_http(self, path: str, body: bytes, cookie_header: str) -> tuple[int, bytes, str, dict[str, str]]:
        route = path.split("?", 1)[0].rstrip("/") or "/"
        try:
            request = json.loads(body.decode("utf-8") or "null")
        except (UnicodeDecodeError, ValueError):
            return 400, b"<html><body>400: Bad Request: Invalid JSON data</body></html>", "text/html", {}
        except RecursionError:
            # Odoo's own JSON parser gives up on values nested too deep, before any method runs.
            return 500, b"<html><body><h1>500 Internal Server Error</h1></body></html>", "text/html", {}
        if not isinstance(request, dict):
            return 400, b"<html><body>400: Bad Request: Invalid JSON-RPC data</body></html>", "text/html", {}
        request_id = request.get("id")
        params = request.get("params") or {}
        if not isinstance(params, dict):
            params = {}
        target, method = self._describe(route, params)
        with self._lock:
            self.call_log.append((route, target, method))
            fault = self._take_fault(method)
        headers: dict[str, str] = {}
        if fault is not None:
            if fault.kind == "network":
                raise _DropConnection()
            if fault.kind == "http_500":
                return 500, b"<html><body><h1>500 Internal Server Error</h1></body></html>", "text/html", {}
            if fault.kind == "server_error":
                return self._json(request_id, error=RpcError(
                    "psycopg2.OperationalError", "terminating connection due to administrator command"))
            if fault.kind == "serialization":
                return self._json(request_id, error=RpcError(
                    "psycopg2.errors.SerializationFailure",
                    "could not serialize access due to concurrent update\n"))
            if fault.kind == "slow":
                time.sleep(fault.delay)
        try:
            result = self._route(route, params, cookie_header, headers)
        except RpcError as exc:
            return self._json(request_id, error=exc, headers=headers)
        except Exception as exc:  # what Odoo does with any unexpected server exception
            logger.debug("stand-in: unexpected error\n%s", traceback.format_exc())
            name = "%s.%s" % (type(exc).__module__, type(exc).__name__)
            return self._json(request_id, error=RpcError(name, str(exc)), headers=headers)
        if fault is not None and fault.kind == "lost_reply":
            raise _DropConnection()
        return self._json(request_id, result=result, headers=headers)

    @staticmethod
    def _describe(route: str, params: dict[str, Any]) -> tuple[str, str]:
        if route == "/web/webclient/version_info":
            return "web", "version_info"
        if route == "/web/session/authenticate":
            return "web", "session_authenticate"
        if route.startswith("/web/dataset/call_kw"):
            return str(params.get("model")), str(params.get("method"))
        if route == "/jsonrpc":
            service = params.get("service")
            args = params.get("args")
            if service == "object" and isinstance(args, list) and len(args) >= 5:
                return str(args[3]), str(args[4])
            return str(service), str(params.get("method"))
        return "", route

    def _take_fault(self, method: str) -> _Fault | None:
        for fault in self._faults:
            if fault.method in ("*", method):
                fault.count -= 1
                if fault.count <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    @staticmethod
    def _json(request_id: Any, *, result: Any = None, error: RpcError | None = None,
              headers: dict[str, str] | None = None) -> tuple[int, bytes, str, dict[str, str]]:
        answer: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
        if error is not None:
            answer["error"] = error.to_json()
        else:
            answer["result"] = result
        return 200, json.dumps(answer).encode("utf-8"), "application/json", headers or {}

    def _route(self, route: str, params: dict[str, Any], cookie_header: str, headers: dict[str, str]) -> Any:
        if route == "/web/webclient/version_info":
            return dict(SERVER_VERSION_INFO)
        if route == "/jsonrpc":
            return self._dispatch_rpc(params.get("service"), params.get("method"), params.get("args"))
        if route == "/web/session/authenticate":
            return self._session_authenticate(params, headers)
        if route == "/web/dataset/call_kw" or route.startswith("/web/dataset/call_kw/"):
            uid = self._session_uid(cookie_header)
            args = params.get("args") or []
            kwargs = params.get("kwargs") or {}
            return self._call_model(uid, params.get("model"), params.get("method"), args, kwargs)
        raise RpcError("werkzeug.exceptions.NotFound", "404 Not Found: The requested URL was not found on the server.",
                       code=404, http_message="404: Not Found")

    # ------------------------------------------------------------------ services

    def _dispatch_rpc(self, service: Any, method: Any, args: Any) -> Any:
        if not isinstance(args, list):
            raise RpcError("builtins.TypeError", "jsonrpc() missing 1 required positional argument: 'args'")
        if service == "common":
            return self._common(method, args)
        if service == "object":
            return self._object(method, args)
        if service == "db":
            if method == "list":
                return [self.database]
            raise RpcError("odoo.exceptions.AccessDenied", "Access Denied")
        raise RpcError("builtins.KeyError", repr(service))

    def _check_db(self, db: Any) -> None:
        if db != self.database:
            raise RpcError("psycopg2.OperationalError", 'FATAL:  database "%s" does not exist\n' % (db,))

    def _common(self, method: Any, args: list) -> Any:
        if method == "version":
            return dict(SERVER_VERSION_INFO)
        if method == "about":
            return "See http://openerp.com"
        if method in ("login", "authenticate"):
            expected = 3 if method == "login" else 4
            if len(args) != expected:
                raise RpcError("builtins.TypeError", "exp_%s() takes %d positional arguments but %d were given"
                               % (method, expected, len(args)))
            db, login, password = args[0], args[1], args[2]
            self._check_db(db)
            with self._lock:
                user = self._users.get(login) if isinstance(login, str) else None
                # common.login/authenticate answer False on bad credentials; they do not raise.
                if user is None or not user.accepts(password, interactive=False):
                    return False
                return user.uid
        raise RpcError("builtins.Exception", "Method not found: %s" % (method,))

    def _object(self, method: Any, args: list) -> Any:
        if method not in ("execute", "execute_kw"):
            raise RpcError("builtins.NameError", "Method not available %s" % (method,))
        if len(args) < 5:
            raise RpcError("builtins.IndexError", "list index out of range")
        db, uid, password, model, model_method = args[:5]
        self._check_db(db)
        user = self._check_credentials(uid, password)
        if method == "execute":
            call_args, call_kwargs = list(args[5:]), {}
        else:
            call_args = args[5] if len(args) > 5 else []
            call_kwargs = args[6] if len(args) > 6 else {}
            if not isinstance(call_args, list) or not isinstance(call_kwargs, dict):
                raise RpcError(
                    "builtins.TypeError",
                    "execute_kw() expects a list of arguments and a dict of keyword arguments",
                )
        return self._call_model(user.uid, model, model_method, call_args, call_kwargs)

    def _check_credentials(self, uid: Any, password: Any) -> StandinUser:
        with self._lock:
            for user in self._users.values():
                if user.uid == uid and not isinstance(uid, bool):
                    if user.accepts(password, interactive=False):
                        return user
                    break
        raise access_denied()

    def _session_authenticate(self, params: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        self._check_db(params.get("db"))
        login, password = params.get("login"), params.get("password")
        with self._lock:
            user = self._users.get(login) if isinstance(login, str) else None
            # An interactive login: Odoo 14 refuses API keys here and raises AccessDenied.
            if user is None or not user.accepts(password, interactive=True):
                raise access_denied()
            token = secrets.token_hex(20)
            self._sessions[token] = user.uid
        headers["Set-Cookie"] = "session_id=%s; HttpOnly; Path=/" % token
        return {
            "uid": user.uid,
            "is_system": user.admin,
            "is_admin": user.admin,
            "user_context": {"lang": "en_US", "tz": "UTC", "uid": user.uid},
            "db": self.database,
            "server_version": SERVER_VERSION_INFO["server_version"],
            "server_version_info": SERVER_VERSION_INFO["server_version_info"],
            "name": user.login,
            "username": user.login,
            "partner_display_name": user.login,
            "company_id": 1,
            "partner_id": user.uid + 1,
            "session_id": token,
        }

    def _session_uid(self, cookie_header: str) -> int:
        for part in cookie_header.split(";"):
            name, _, value = part.strip().partition("=")
            if name == "session_id":
                with self._lock:
                    uid = self._sessions.get(value)
                if uid is not None:
                    return uid
        raise RpcError("odoo.http.SessionExpiredException", "Session expired",
                       code=100, http_message="Odoo Session Expired")

    def _user_by_uid(self, uid: int) -> StandinUser:
        with self._lock:
            for user in self._users.values():
                if user.uid == uid:
                    return user
        raise access_denied()

    def _call_model(self, uid: int, model: Any, method: Any, args: list, kwargs: dict) -> Any:
        if not isinstance(method, str) or not isinstance(model, str):
            raise RpcError("builtins.TypeError", "model and method must be strings")
        if method.startswith("_"):
            raise access_error("Private methods (such as %s) cannot be called remotely." % method)
        user = self._user_by_uid(uid)
        if model == "res.users" and method == "context_get":
            return {"lang": "en_US", "tz": "UTC", "uid": user.uid}
        if model != MODEL:
            raise user_error("Object %s doesn't exist" % model)
        handlers: dict[str, Callable[..., Any]] = {
            "plc_fetch_batches": self._plc_fetch_batches,
            "plc_report_batch": self._plc_report_batch,
            "plc_ping": self._plc_ping if self.ping_takes_status else self._plc_ping_without_status,
            "plc_report_failure": self._plc_report_failure,
            "plc_report_manual_weighing": self._plc_report_manual_weighing,
        }
        handler = handlers.get(method)
        if handler is None:
            raise RpcError("builtins.AttributeError", "type object 'mrp.production' has no attribute '%s'" % method)
        if not (user.plc_agent or user.admin):
            raise access_error(
                "You are not allowed to call %s.%s: only members of the group \"PLC agent\" "
                "(mrp_plc_bridge.group_plc_agent) and administrators may." % (MODEL, method))
        try:
            inspect.signature(handler).bind(*args, **kwargs)
        except TypeError as exc:
            raise RpcError("builtins.TypeError", "%s() %s" % (method, exc)) from exc
        self._local.caller = user
        try:
            return handler(*args, **kwargs)
        finally:
            self._local.caller = None

    # ------------------------------------------------------------------ the addon's API

    def _caller(self) -> StandinUser | None:
        """The user of the RPC call being answered (None: test code calling directly)."""
        return getattr(self._local, "caller", None)

    def _check_speaks_for(self, line_code: str) -> None:
        """An agent user speaks only for the lines it is bound to: any other code, whether
        a line has it or not, is refused alike."""
        user = self._caller()
        if user is not None and not user.speaks_for(line_code):
            raise access_error(
                "User %s may not act for PLC line %s: it is not one of the lines this agent user "
                "is bound to." % (user.login, show(line_code)))

    def _line_code_or_error(self, line_code: Any) -> str:
        if not isinstance(line_code, str) or not line_code.strip() or "\x00" in line_code:
            raise user_error("line_code must be a non-empty string without NUL, got %s." % show(line_code))
        self._check_speaks_for(line_code)
        return line_code

    def _line_or_error(self, line_code: Any) -> dict[str, Any]:
        line = self._lines.get(self._line_code_or_error(line_code))
        if line is None or not line["active"]:
            raise user_error("PLC line %s does not exist or is archived." % show(line_code))
        return line

    def _batch(self, mo: dict[str, Any], redelivered: bool) -> dict[str, Any]:
        return {
            "mo_id": mo["id"],
            "mo_name": mo["name"],
            "run": mo["run"],
            "batch_key": mo["batch_key"],
            "redelivered": redelivered,
            "product_code": mo["product_code"],
            "product_name": mo["product_name"],
            "quantity": mo["quantity"],
            "uom": mo["uom"],
            "bom_code": mo["bom_code"],
            "line": mo["line"],
            "date_planned_start": mo["date_planned_start"],
            "components": copy.deepcopy(mo["components"]),
        }

    def _plc_fetch_batches(self, line_code: Any, limit: Any = 10) -> dict[str, Any]:
        with self._lock:
            self._line_or_error(line_code)
            if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 100:
                raise user_error("limit must be an integer from 1 to 100, got %s." % show(limit))
            batches: list[dict[str, Any]] = []
            pending = sorted(
                (mo for mo in self._mos.values() if mo["line"] == line_code and mo["plc_state"] == "sent"),
                key=lambda mo: (mo["send_seq"], mo["id"]),
            )
            for mo in pending[:limit]:
                mo["deliveries"] += 1
                batches.append(self._batch(mo, redelivered=True))
            ready = sorted(
                (mo for mo in self._mos.values()
                 if mo["line"] == line_code and mo["plc_state"] in ("ready", "blocked")),
                key=lambda mo: (-mo["priority"], mo["date_planned_start"], mo["id"]),
            )
            for mo in ready:
                if len(batches) >= limit:
                    break
                if mo["state"] not in ("confirmed", "progress") or mo["hold"]:
                    continue
                if mo["blocked_reason"]:
                    mo["plc_state"] = "blocked"
                    mo["plc_reason"] = mo["blocked_reason"]
                    continue
                mo["plc_state"] = "sent"
                mo["plc_reason"] = None
                mo["batch_key"] = "%s-%d-%d" % (line_code, mo["id"], mo["run"])
                # A sequence keeps re-delivery in send order even within one second.
                self._send_seq += 1
                mo["send_seq"] = self._send_seq
                mo["sent_at"] = _now_str()
                mo["deliveries"] += 1
                batches.append(self._batch(mo, redelivered=False))
            return {"api_version": API_VERSION, "line": line_code, "batches": batches}

    def _plc_ping(self, line_code: Any, status: Any = None) -> dict[str, Any]:
        self._line_code_or_error(line_code)
        try:
            check_status(status)
        except Rejected as error:
            raise user_error(error.reason) from None
        return self._ping(line_code, status)

    def _plc_ping_without_status(self, line_code: Any) -> dict[str, Any]:
        self._line_code_or_error(line_code)
        return self._ping(line_code, None)

    def line_status(self, code: str) -> dict[str, Any] | None:
        """The last status the line's agent sent with plc_ping, and when (None: never)."""
        with self._lock:
            for ping in reversed(self.pings):
                if ping["line"] == code and ping["status"] is not None:
                    return copy.deepcopy(ping)
        return None

    def _ping(self, line_code: str, status: Any) -> dict[str, Any]:
        with self._lock:
            line = self._lines.get(line_code)
            answer = {
                "api_version": API_VERSION,
                "server_time": _now_str(),
                "line": line_code,
                "line_exists": line is not None,
                "line_active": bool(line and line["active"]),
            }
            if line is not None:
                answer.update(line["capacity"])
                if self.ping_counts_ready:
                    # What a fetch would claim: ready, confirmed or in progress, not held.
                    answer["ready_mo_count"] = sum(
                        1 for mo in self._mos.values()
                        if mo["line"] == line_code and mo["plc_state"] == "ready"
                        and mo["state"] in ("confirmed", "progress") and not mo["hold"]
                        and not mo["blocked_reason"]) if line["active"] else 0
                # The status as it came off the wire: the stand-in's own, unknown keys and all.
                self.pings.append({"line": line_code, "status": status, "at": _now_str()})
            return answer

    def _plc_report_batch(self, payload: Any) -> dict[str, Any]:
        with self._lock:
            result = self._report(payload)
            # The payload as decoded from this request: nobody else holds it.
            self.reports.append({"payload": payload, "result": copy.deepcopy(result), "at": _now_str()})
            return result

    @staticmethod
    def _result(status: str, mo_state: str | None, reason: str | None = None,
                duplicate: bool = False) -> dict[str, Any]:
        return {"status": status, "mo_state": mo_state, "reason": reason, "duplicate": duplicate,
                "api_version": API_VERSION}

    def _rejected(self, reason: str) -> dict[str, Any]:
        # docs/api.md: a rejected report changes nothing and names no MO state.
        return self._result("rejected", None, reason)

    def _report(self, payload: Any) -> dict[str, Any]:
        try:
            digest = check_report(
                payload, REPORT_OPTIONAL if self.report_takes_position else REPORT_OPTIONAL_BEFORE_POSITION)
        except Rejected as error:
            return self._rejected(error.reason)
        self._check_speaks_for(payload["line"])
        mo = self._mos.get(payload["mo_id"])
        caller = self._caller()
        if mo is None or (caller is not None and not caller.speaks_for(mo["line"])):
            # An MO of a line the agent does not speak for is one it cannot know of.
            return self._rejected("mo_id: manufacturing order %d does not exist." % payload["mo_id"])
        key = payload["batch_key"]
        stored = None
        if mo["failed_run"] is not None and mo["failed_run"][0] == key and mo["failed_run"][1] is not None:
            stored = mo["failed_run"][1:]
        elif mo["report_digest"] is not None and mo["batch_key"] == key:
            stored = (mo["report_digest"], mo["report_result"])
        if stored is not None:
            if stored[0] != digest:
                return self._rejected("batch_key: %s was already reported with a different payload; "
                                      "the first report stands." % cut(key))
            return dict(stored[1], duplicate=True)
        if payload["line"] not in self._lines:
            return self._rejected("line: unknown PLC line %s." % show(payload["line"]))
        if payload["line"] != mo["line"]:
            return self._rejected("mo_id: %s belongs to line %s, not to %s."
                                  % (mo["name"], mo["line"], payload["line"]))
        if mo["plc_state"] in ("done", "recorded", "failed"):
            return self._rejected("batch_key: %s was already reported under batch_key %s."
                                  % (mo["name"], mo["batch_key"]))
        if mo["state"] in ("done", "cancel"):
            # The addon names the state's code ("is cancel."); the agent's tests read "cancelled".
            return self._rejected("mo_id: %s is %s." % (mo["name"], "cancelled" if mo["state"] == "cancel" else "done"))
        if mo["plc_state"] != "sent":
            return self._rejected("mo_id: %s was not sent to the line (PLC state %s)."
                                  % (mo["name"], mo["plc_state"]))
        if key != mo["batch_key"]:
            return self._rejected("batch_key: %s is running under %s, not %s."
                                  % (mo["name"], mo["batch_key"], cut(key)))
        line_silos = self._lines[mo["line"]]["silos"]
        sent_silos = {c["silo"] for c in mo["components"]}
        for index, entry in enumerate(payload["consumption"]):
            silo = entry["silo"]
            if silo not in line_silos:
                return self._rejected("consumption[%d].silo: unknown silo %s on line %s."
                                      % (index, show(silo), mo["line"]))
            if silo not in sent_silos:
                return self._rejected("consumption[%d].silo: silo %s was not sent with %s."
                                      % (index, silo, mo["name"]))
        suspect = payload.get("suspect") or []
        for index, entry in enumerate(suspect):
            if entry["silo"] is not None and entry["silo"] not in sent_silos:
                return self._rejected("suspect[%d].silo: silo %s was not sent with %s."
                                      % (index, show(entry["silo"]), mo["name"]))

        # Everything checked: apply as one unit (under the lock nothing is half-written).
        for entry in payload["consumption"]:
            mo["actuals"][entry["silo"]] = mo["actuals"].get(entry["silo"], 0.0) + float(entry["quantity"])
        mo["reports_received"].append(copy.deepcopy(payload))
        mo["reported_at"] = _now_str()
        suspect_text = "; ".join(
            "%s, raw words %s: %s" % ("finished weight" if e["silo"] is None else "silo " + e["silo"],
                                      e["raw_words"], e["reason"]) for e in suspect)
        if payload["status"] == "failed":
            mo["plc_state"] = "failed"
            mo["plc_reason"] = " ".join(filter(None, [
                payload.get("message") or "The line reported a failure.",
                suspect_text and "The line marked values as suspect: %s." % suspect_text]))
            if payload["consumption"] and mo["state"] == "confirmed":
                mo["state"] = "progress"
            result = self._result("failed", mo["state"], mo["plc_reason"])
        else:
            finished = payload.get("finished_quantity")
            produced = mo["quantity"] if finished is None else float(finished)
            mo["finished_quantity"] = (mo["finished_quantity"] or 0.0) + produced
            if suspect:
                # As the addon: the actuals stay on the MO, a person accepts or corrects them.
                mo["plc_state"] = "recorded"
                mo["plc_suspect"] = True
                mo["plc_reason"] = ("The line marked values as suspect: %s. Check them, then accept the "
                                    "PLC actuals or correct the moves and close the order." % suspect_text)
                mo["state"] = "to_close"
                result = self._result("recorded", mo["state"], mo["plc_reason"])
            elif mo["id"] in self._record_instead:
                mo["plc_state"] = "recorded"
                mo["plc_reason"] = self._record_instead[mo["id"]]
                mo["state"] = "to_close"
                result = self._result("recorded", mo["state"], mo["plc_reason"])
            else:
                mo["plc_state"] = "done"
                mo["plc_reason"] = None
                mo["state"] = "done"
                mo["times_closed"] += 1
                result = self._result("done", mo["state"])
        mo["report_digest"] = digest
        mo["report_result"] = copy.deepcopy(result)
        return result
