"""The agent's only way to Odoo: the RPC methods of ``mrp_plc_bridge`` (odoorpc).

Batches: ``plc_fetch_batches``, ``plc_report_batch``; the report areas:
``plc_report_failure``, ``plc_report_manual_weighing``; the line: ``plc_ping``. All are
methods of ``mrp.production``.

Login goes through ``/jsonrpc`` service ``common`` method ``login`` so that an Odoo API
key works as well as a password; every call afterwards is exactly one ``/jsonrpc`` round
trip (service ``object``, ``execute_kw``). The server version is given to odoorpc up front,
which keeps odoorpc from asking ``/web/webclient/version_info`` when it is created.
:attr:`OdooGateway.rpc_count` counts the HTTP round trips.

Errors, and what the caller does with them:

* :class:`OdooUnavailable` -- the server could not be reached or could not answer right now
  (connection refused, timeout, HTTP 5xx, a database serialization conflict or another
  transient server error). Nothing happened on the Odoo side that would not happen again
  the same way: retry later, with backoff. The gateway's :attr:`OdooGateway.outage` logs
  the outage once when it starts, at each longer wait and when Odoo answers again.
* :class:`OdooError` -- the server answered with an error that will not go away on its own
  (``AccessError``, ``UserError``, a failed login, HTTP 4xx). The caller may retry with
  backoff (a person can fix rights or the line); the gateway logs Odoo's message once, whole,
  at ERROR (again only if it changes or Odoo accepted a call in between).
* :class:`OdooProtocolError` (an :class:`OdooError`) -- the answer does not have the shape
  the contract specifies; the message names the field.

No message ever contains the password: it is sent only inside request bodies, and every
error text is scrubbed before it is raised. odoorpc logs request bodies at DEBUG level with
the password in clear inside ``execute_kw`` arguments; a filter on its logger masks it.
"""

from __future__ import annotations

import http.client
import logging
import math
import time
import urllib.error
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import odoorpc
import odoorpc.error

from .batch import FetchedBatch, FetchedComponent, ReportResult
from .metrics import AgentMetrics
from .outage import Outage
from .queue.models import Outcome

logger = logging.getLogger(__name__)

MODEL = "mrp.production"
API_VERSION = 1
ODOO_VERSION = "14.0"
REPORT_STATUSES = ("done", "recorded", "failed", "rejected")
FAILURE_STATUSES = ("stored", "rejected")
WEIGHING_STATUSES = ("consumed", "kept", "rejected")
# A batch report's optional fields an addon older than 14.0.1.5.0 refuses as unknown.
POSITION_FIELDS = ("slot", "batch_number")
UNKNOWN_FIELDS = "unknown field(s):"

# Server-side exception names that mean "try again": the transaction lost a race or the
# database was briefly unavailable. Anything else raised by the server is an OdooError.
TRANSIENT_ERROR_NAMES = (
    "psycopg2.errors.SerializationFailure",
    "psycopg2.extensions.TransactionRollbackError",
    "psycopg2.errors.DeadlockDetected",
    "psycopg2.errors.LockNotAvailable",
    "psycopg2.OperationalError",
    "psycopg2.errors.AdminShutdown",
    "odoo.exceptions.ConcurrencyError",
)


class OdooGatewayError(Exception):
    """Base of the gateway's errors."""


class OdooUnavailable(OdooGatewayError):
    """Odoo could not be reached or could not answer now: retry later."""


class OdooError(OdooGatewayError):
    """Odoo refused the call with an error (``name`` is Odoo's exception class)."""

    def __init__(self, message: str, name: str = "", reason: str | None = None):
        self.name = name
        # Odoo's own words, without the call they answered: the same refusal of two calls.
        self.reason = message if reason is None else reason
        super().__init__(message)


OdooRejected = OdooError  # the name docs/architecture.md uses


class OdooProtocolError(OdooError):
    """The answer does not have the contract's shape."""


@dataclass(frozen=True)
class PingResult:
    """``plc_ping``'s answer: the server's time and whether the line can take batches."""

    server_time: str | None
    line_exists: bool
    line_active: bool
    # The line's PLC slot capacity as Odoo knows it; None from an addon that does not say.
    components_per_batch: int | None = None
    text_width: int | None = None
    # MOs Odoo would hand out at a fetch now; None from an addon before 14.0.1.4.0, whose
    # agent then fetches at the sync interval only.
    ready_mo_count: int | None = None

    @property
    def ok(self) -> bool:
        return self.line_exists and self.line_active


@dataclass(frozen=True)
class AreaReportResult:
    """Odoo's answer to a failure or manual-weighing report; every status is final."""

    status: str
    duplicate: bool
    reason: str | None
    answer: dict[str, Any]


class _SecretFilter(logging.Filter):
    """Masks known secrets in records of odoorpc's request logger."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        for secret in self.secrets:
            message = message.replace(secret, "***")
        record.msg, record.args = message, None
        return True


_secret_filter = _SecretFilter()
logging.getLogger("odoorpc.rpc.jsonrpclib").addFilter(_secret_filter)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Checker:
    """Checks an answer's shape; errors name the path to the bad field."""

    def __init__(self, method: str):
        self.method = method

    def fail(self, path: str, expected: str, value: Any) -> OdooProtocolError:
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        return OdooProtocolError(f"{self.method} answer: {path}: expected {expected}, got {shown}")

    def dict_(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, "an object", value)
        return value

    def key(self, obj: dict[str, Any], name: str, path: str) -> Any:
        if name not in obj:
            raise OdooProtocolError(f"{self.method} answer: {path}.{name}: missing")
        return obj[name]

    def text(self, obj: dict[str, Any], name: str, path: str, *, optional: bool = False) -> str:
        value = self.key(obj, name, path) if not optional else obj.get(name)
        if optional and value in (None, False):
            return ""
        if not isinstance(value, str) or (not optional and not value):
            raise self.fail(f"{path}.{name}", "a non-empty string" if not optional else "a string", value)
        return value

    def integer(self, obj: dict[str, Any], name: str, path: str, low: int) -> int:
        value = self.key(obj, name, path)
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise self.fail(f"{path}.{name}", f"an integer >= {low}", value)
        return value

    def quantity(self, obj: dict[str, Any], name: str, path: str) -> float:
        value = self.key(obj, name, path)
        if not _is_number(value) or not math.isfinite(value) or value < 0:
            raise self.fail(f"{path}.{name}", "a finite number >= 0", value)
        return float(value)

    def boolean(self, obj: dict[str, Any], name: str, path: str) -> bool:
        value = self.key(obj, name, path)
        if not isinstance(value, bool):
            raise self.fail(f"{path}.{name}", "true or false", value)
        return value


class OdooGateway:
    """Client of the ``mrp_plc_bridge`` API for one agent."""

    def __init__(self, url: str, database: str, username: str, password: str,
                 timeout: float = 30.0, *, metrics: AgentMetrics | None = None):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("Odoo URL must be http(s)://host[:port]")
        self.url = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        self._host = parts.hostname
        self._protocol = "jsonrpc+ssl" if parts.scheme == "https" else "jsonrpc"
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self.database = database
        self.username = username
        self._password = password
        self.timeout = timeout
        self._odoo: odoorpc.ODOO | None = None
        self._uid: int | None = None
        self.rpc_count = 0
        # The agent that owns this gateway may rebind it to its own registry.
        self.metrics = metrics or AgentMetrics()
        # None until known; False once Odoo said its plc_ping takes no status (an older addon).
        self._ping_takes_status: bool | None = None
        # False once an older addon refused a batch report's slot and batch number.
        self._report_takes_position: bool | None = None
        if password:
            _secret_filter.secrets.add(password)
        self.outage = Outage(f"Odoo {self.url}", "ODOO_URL, the network and that Odoo runs")

    def __repr__(self) -> str:
        return f"OdooGateway({self.url!r}, database={self.database!r}, user={self.username!r})"

    # ------------------------------------------------------------------ transport

    def _scrub(self, text: str) -> str:
        return text.replace(self._password, "***") if self._password else text

    def _client(self) -> odoorpc.ODOO:
        if self._odoo is None:
            try:
                # version given: odoorpc does not call the server while constructing.
                self._odoo = odoorpc.ODOO(self._host, protocol=self._protocol, port=self._port,
                                          timeout=self.timeout, version=ODOO_VERSION)
            except odoorpc.error.InternalError as exc:
                raise OdooUnavailable(self._scrub(f"cannot set up the Odoo client: {exc}")) from None
        return self._odoo

    def _round_trip(self, service: str, method: str, args: list[Any], *, quiet_refusal: bool = False) -> Any:
        """One POST to /jsonrpc, timed and counted; returns ``result`` or raises a gateway error.

        Every outcome goes through :attr:`outage`, which logs what a person must know, once.
        ``quiet_refusal``: the caller handles a refusal itself (an expected answer of an
        older addon), the outage does not log it.
        """
        name = method if service == "common" else str(args[4])
        started = time.monotonic()
        try:
            result = self._post(service, method, args)
        except OdooUnavailable as exc:
            self.metrics.odoo_unavailable(name)
            self.outage.failed(str(exc))
            raise
        except OdooError as exc:
            self.metrics.odoo_refused(name)
            if not quiet_refusal:
                self.outage.refused(str(exc), f"{exc.name}: {exc.reason}")
            raise
        self.metrics.odoo_answer(name, time.monotonic() - started)
        self.outage.answered()
        return result

    def _post(self, service: str, method: str, args: list[Any]) -> Any:
        """One POST to /jsonrpc; returns ``result`` or raises a gateway error."""
        client = self._client()
        self.rpc_count += 1
        what = f"{service}.{method}" if service == "common" else f"{MODEL}.{args[4]}"
        try:
            answer = client.json("/jsonrpc", {"service": service, "method": method, "args": args})
        except odoorpc.error.RPCError as exc:
            raise self._server_error(what, exc) from None
        except urllib.error.HTTPError as exc:
            if exc.code >= 500:
                raise OdooUnavailable(f"Odoo {what}: HTTP {exc.code} {exc.reason} from {self.url}") from None
            raise OdooError(f"Odoo {what}: HTTP {exc.code} {exc.reason} from {self.url} "
                            "(wrong ODOO_URL?)", name=f"HTTP {exc.code}") from None
        except urllib.error.URLError as exc:
            raise OdooUnavailable(self._scrub(f"Odoo {what}: cannot reach {self.url}: {exc.reason}")) from None
        except TimeoutError:
            raise OdooUnavailable(f"Odoo {what}: no answer from {self.url} within {self.timeout:g} s") from None
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            raise OdooUnavailable(self._scrub(f"Odoo {what}: connection to {self.url} failed: "
                                              f"{type(exc).__name__}: {exc}")) from None
        except (KeyError, TypeError) as exc:
            # odoorpc itself fails on an error object without 'data'.
            raise OdooProtocolError(f"Odoo {what}: malformed JSON-RPC error object ({exc!r})") from None
        except ValueError as exc:  # not JSON at all (a proxy's HTML page, ...)
            raise OdooProtocolError(self._scrub(f"Odoo {what}: the answer is not JSON-RPC: {exc}")) from None
        if not isinstance(answer, dict) or "result" not in answer:
            raise OdooProtocolError(f"Odoo {what}: the answer has no 'result'")
        return answer["result"]

    def _server_error(self, what: str, exc: odoorpc.error.RPCError) -> OdooGatewayError:
        info = exc.info if isinstance(exc.info, dict) else {}
        data = info.get("data") if isinstance(info.get("data"), dict) else {}
        name = str(data.get("name") or "")
        message = self._scrub(str(data.get("message") or exc))
        if name in TRANSIENT_ERROR_NAMES:
            return OdooUnavailable(f"Odoo {what}: transient server error {name}: {message}")
        if name == "odoo.exceptions.AccessDenied":
            self._uid = None  # the credentials changed: log in again next time
        if "may not act for PLC line" in message and "PLC_LINE_CODE" not in message:
            # An addon that does not name the fix itself.
            message += (" Check PLC_LINE_CODE in the agent's settings against the lines this "
                        f"Odoo user ({self.username}) is bound to (the line's Agent Users in Odoo).")
        return OdooError(f"Odoo {what}: {name or 'server error'}: {message}", name=name, reason=message)

    def _login(self) -> int:
        uid = self._round_trip("common", "login", [self.database, self.username, self._password])
        if not isinstance(uid, int) or isinstance(uid, bool) or uid <= 0:
            raise OdooError(
                f"Odoo login refused for user {self.username!r} on database {self.database!r} "
                "(wrong ODOO_USERNAME / ODOO_PASSWORD / ODOO_DATABASE?)",
                name="odoo.exceptions.AccessDenied",
            )
        self._uid = uid
        return uid

    def _execute(self, method: str, *args: Any, quiet_refusal: bool = False) -> Any:
        uid = self._uid if self._uid is not None else self._login()
        return self._round_trip(
            "object", "execute_kw",
            [self.database, uid, self._password, MODEL, method, list(args), {}],
            quiet_refusal=quiet_refusal,
        )

    # ------------------------------------------------------------------ API

    def fetch_batches(self, line_code: str, limit: int) -> list[FetchedBatch]:
        """``plc_fetch_batches``: the line's batches, checked."""
        result = self._execute("plc_fetch_batches", line_code, limit)
        return self._check_batches(result, line_code, limit)

    def report_batch(self, payload: dict[str, Any]) -> ReportResult:
        """``plc_report_batch``: Odoo's result, checked.

        The PLC's ``slot`` and ``batch_number`` go with the report while Odoo's addon takes
        them; an addon older than 14.0.1.5.0 rejects them as unknown fields, and from then on
        this gateway reports without them (said once in the log).
        """
        if self._report_takes_position is False:
            payload = _without_position(payload)
        result, status, duplicate, reason = self._report("plc_report_batch", payload, REPORT_STATUSES)
        if status == "rejected" and _refuses_position(payload, reason):
            self._report_takes_position = False
            logger.warning(
                "Odoo's mrp_plc_bridge does not take the PLC's slot and batch number in a batch "
                "report (a version older than 14.0.1.5.0): the agent reports without them until "
                "it is restarted. Upgrade the addon to see them on the batch record. (%s)", reason)
            payload = _without_position(payload)
            result, status, duplicate, reason = self._report("plc_report_batch", payload, REPORT_STATUSES)
        elif status != "rejected" and POSITION_FIELDS[0] in payload:
            self._report_takes_position = True
        mo_state = result.get("mo_state")
        return ReportResult(status=Outcome(status), mo_state=mo_state if isinstance(mo_state, str) else None,
                            reason=reason or None, duplicate=duplicate, answer=result)

    def report_failure(self, payload: dict[str, Any]) -> AreaReportResult:
        """``plc_report_failure``: ``stored`` or ``rejected``, checked."""
        return self._area_report("plc_report_failure", payload, FAILURE_STATUSES)

    def report_manual_weighing(self, payload: dict[str, Any]) -> AreaReportResult:
        """``plc_report_manual_weighing``: ``consumed``, ``kept`` or ``rejected``, checked."""
        return self._area_report("plc_report_manual_weighing", payload, WEIGHING_STATUSES)

    def _report(self, method: str, payload: dict[str, Any],
                statuses: tuple[str, ...]) -> tuple[dict[str, Any], str, bool, str | None]:
        """Send a report; Odoo's answer checked: (answer, status, duplicate, reason)."""
        result = self._execute(method, payload)
        c = _Checker(method)
        result = c.dict_(result, "result")
        status = c.key(result, "status", "result")
        if status not in statuses:
            raise c.fail("result.status", " / ".join(statuses), status)
        duplicate = result.get("duplicate", False)
        if not isinstance(duplicate, bool):
            raise c.fail("result.duplicate", "true or false", duplicate)
        reason = result.get("reason")
        if reason not in (None, False) and not isinstance(reason, str):
            raise c.fail("result.reason", "a string or null", reason)
        return result, status, duplicate, reason or None

    def _area_report(self, method: str, payload: dict[str, Any],
                     statuses: tuple[str, ...]) -> AreaReportResult:
        result, status, duplicate, reason = self._report(method, payload, statuses)
        return AreaReportResult(status=status, duplicate=duplicate, reason=reason or None,
                                answer=result)

    def ping(self, line_code: str, status: dict[str, Any] | None = None) -> PingResult:
        """``plc_ping``: server time and whether the line exists and is active.

        ``status`` (the line's health, docs/api.md) is sent when given and Odoo's addon takes
        it; an older addon's ``plc_ping(line_code)`` refuses the extra argument, and from then
        on this gateway pings without it (said once in the log).
        """
        if status is None or self._ping_takes_status is False:
            result = self._execute("plc_ping", line_code)
        else:
            try:
                result = self._execute("plc_ping", line_code, status, quiet_refusal=True)
            except OdooError as exc:
                if not _refuses_status_argument(exc):
                    self.outage.refused(str(exc), f"{exc.name}: {exc.reason}")
                    raise
                self._ping_takes_status = False
                logger.warning(
                    "Odoo's mrp_plc_bridge does not take the line's status in plc_ping (an older "
                    "version of the addon): the agent pings without it until it is restarted. "
                    "Upgrade the addon to see the line's health in Odoo. (%s)", exc)
                result = self._execute("plc_ping", line_code)
            else:
                self._ping_takes_status = True
        c = _Checker("plc_ping")
        result = c.dict_(result, "result")
        exists = c.boolean(result, "line_exists", "result")
        active = c.boolean(result, "line_active", "result") if "line_active" in result else True
        server_time = result.get("server_time")
        capacity = {name: c.integer(result, name, "result", 1)
                    for name in ("components_per_batch", "text_width") if name in result}
        ready = c.integer(result, "ready_mo_count", "result", 0) if "ready_mo_count" in result else None
        return PingResult(server_time=server_time if isinstance(server_time, str) else None,
                          line_exists=exists, line_active=active, ready_mo_count=ready, **capacity)

    @property
    def ping_takes_status(self) -> bool | None:
        """Whether Odoo's plc_ping took the status (None before the first ping with one)."""
        return self._ping_takes_status

    @staticmethod
    def _check_batches(result: Any, line_code: str, limit: int) -> list[FetchedBatch]:
        c = _Checker("plc_fetch_batches")
        result = c.dict_(result, "result")
        version = c.key(result, "api_version", "result")
        if version != API_VERSION:
            raise c.fail("result.api_version", str(API_VERSION), version)
        batches = c.key(result, "batches", "result")
        if not isinstance(batches, list):
            raise c.fail("result.batches", "a list", batches)
        if len(batches) > limit:
            raise c.fail("result.batches", f"at most {limit} batches", f"{len(batches)} batches")
        out: list[FetchedBatch] = []
        keys: set[str] = set()
        for i, raw in enumerate(batches):
            batch = _check_batch(c, raw, f"batches[{i}]", line_code, keys)
            keys.add(batch.batch_key)
            out.append(batch)
        return out


def _without_position(payload: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in payload.items() if name not in POSITION_FIELDS}


def _refuses_position(payload: dict[str, Any], reason: str | None) -> bool:
    """Odoo rejected the report because it does not know the slot and batch number fields.

    The addon names the unknown fields of a payload before it checks anything else in it
    ("unknown field(s): batch_number, slot."), so the answer to the same report without them
    is Odoo's answer to the report itself.
    """
    if not reason or not reason.startswith(UNKNOWN_FIELDS) or not any(name in payload for name in POSITION_FIELDS):
        return False
    named = {name.strip(" .") for name in reason[len(UNKNOWN_FIELDS):].split(",")}
    return bool(named) and named <= set(POSITION_FIELDS)


def _refuses_status_argument(exc: OdooError) -> bool:
    """Odoo raised TypeError because its ``plc_ping`` has no ``status`` parameter.

    Odoo 14 calls the model method with the RPC's arguments and serialises the TypeError
    ("plc_ping() takes 2 positional arguments but 3 were given") as ``builtins.TypeError``.
    """
    message = str(exc)
    return exc.name == "builtins.TypeError" and "plc_ping()" in message and (
        "positional argument" in message or "unexpected keyword" in message)


def _check_batch(c: _Checker, raw: Any, p: str, line_code: str, keys: set[str]) -> FetchedBatch:
    b = c.dict_(raw, p)
    fields = {
        "mo_id": c.integer(b, "mo_id", p, 1),
        "mo_name": c.text(b, "mo_name", p),
        "run": c.integer(b, "run", p, 1),
        "batch_key": c.text(b, "batch_key", p),
        "redelivered": c.boolean(b, "redelivered", p),
        "product_code": c.text(b, "product_code", p, optional=True),
        "product_name": c.text(b, "product_name", p, optional=True),
        "quantity": c.quantity(b, "quantity", p),
        "uom": c.text(b, "uom", p, optional=True),
        "bom_code": c.text(b, "bom_code", p, optional=True),
        "line": c.text(b, "line", p),
        "date_planned_start": c.text(b, "date_planned_start", p, optional=True) or None,
    }
    if fields["line"] != line_code:
        raise c.fail(f"{p}.line", repr(line_code), fields["line"])
    if fields["batch_key"] in keys:
        raise c.fail(f"{p}.batch_key", "a key not already in this answer", fields["batch_key"])
    components = c.key(b, "components", p)
    if not isinstance(components, list):
        raise c.fail(f"{p}.components", "a list", components)
    comps = []
    for k, raw_comp in enumerate(components):
        q = f"{p}.components[{k}]"
        comp = c.dict_(raw_comp, q)
        comps.append(FetchedComponent(
            silo=c.text(comp, "silo", q),
            product_code=c.text(comp, "product_code", q, optional=True),
            product_name=c.text(comp, "product_name", q, optional=True),
            quantity=c.quantity(comp, "quantity", q),
            uom=c.text(comp, "uom", q, optional=True),
        ))
    return FetchedBatch(**fields, components=tuple(comps))
