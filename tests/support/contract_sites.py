"""The two implementations of the RPC contract (docs/api.md) behind one face.

``tests/contract`` writes each case once and runs it against both: the stand-in Odoo the
agent's tests use (``odoo_standin.py``) and a real Odoo 14 with ``mrp_plc_bridge``. A case
asks its site for a fresh line, with an agent user bound to that line alone and silos
holding the components, and for fresh MOs on it; then it talks to the site only as an
agent does, JSON-RPC over HTTP (``/jsonrpc``, ``common.login`` then ``execute_kw``). The
setup goes through whatever each implementation offers a test: the stand-in's own API, and
on Odoo an administrator's RPC calls (what a planner does in the UI: a line, its silos, a
BoM, *Agent access*, MOs confirmed from the BoM).
"""

from __future__ import annotations

import abc
import dataclasses
import itertools
import json
import secrets
import urllib.request
from typing import Any

from .odoo_standin import OdooStandin

MO_MODEL = "mrp.production"
PLANNED_START = "2026-11-28 06:00:00"
# What every contract line doses per 1000 kg, one silo each, in the order of the BoM lines.
COMPONENTS: tuple[tuple[str, str, str, float], ...] = (
    ("101", "RM-MAIZE", "Ground maize", 600.0),
    ("102", "RM-SBM", "Soybean meal", 380.0),
    ("103", "RM-PALMOIL", "Crude palm oil", 20.0),
)
# A silo of the line that the BoM does not use: a report naming it was not sent with the MO.
IDLE_SILO = ("104", "RM-LIMESTONE", "Limestone grit")
# Odoo 14's demo administrator.
ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "admin"


class RpcRefused(Exception):
    """An error answer of the JSON-RPC endpoint: Odoo's exception name and message."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


class JsonRpcClient:
    """A user of ``/jsonrpc`` with its password or API key, as the agent calls Odoo."""

    def __init__(self, url: str, database: str, login: str, secret: str, timeout: float = 60.0):
        self.url = url
        self.database = database
        self.login = login
        self.secret = secret
        self.timeout = timeout
        self.uid = self._call("common", "login", [database, login, secret])
        if not self.uid:
            raise AssertionError(f"{login} cannot log in to {url}")

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``mrp.production.<method>(*args, **kwargs)``: the agent's RPC surface."""
        return self.execute(MO_MODEL, method, list(args), kwargs)

    def execute(self, model: str, method: str, args: list, kwargs: dict | None = None) -> Any:
        return self._call("object", "execute_kw",
                          [self.database, self.uid, self.secret, model, method, args, kwargs or {}])

    def call_with_raw_arguments(self, method: str, arguments_json: str) -> Any:
        """The method with ``args`` given as JSON text: for values no JSON encoder of this
        process would write (nested deeper than its recursion limit)."""
        head = json.dumps([self.database, self.uid, self.secret, MO_MODEL, method])[:-1]
        body = ('{"jsonrpc": "2.0", "method": "call", "id": 1, "params": {"service": "object", '
                '"method": "execute_kw", "args": %s, %s, {}]}}' % (head, arguments_json))
        return self._post(body.encode())

    def _call(self, service: str, method: str, args: list) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1,
                           "params": {"service": service, "method": method, "args": args}})
        return self._post(body.encode())

    def _post(self, body: bytes) -> Any:
        request = urllib.request.Request(f"{self.url}/jsonrpc", body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout) as answer:
            reply = json.loads(answer.read())
        if "error" in reply:
            data = reply["error"].get("data") or {}
            raise RpcRefused(data.get("name", "?"), data.get("message", reply["error"].get("message", "")))
        return reply["result"]


@dataclasses.dataclass(frozen=True)
class ContractMo:
    id: int
    name: str
    quantity: float


@dataclasses.dataclass
class ContractLine:
    """A line of its own for one case, and the agent user bound to it alone."""

    code: str
    agent: JsonRpcClient
    # A silo of the line that its MOs are not dosed from.
    idle_silo: str = IDLE_SILO[0]


class ContractSite(abc.ABC):
    """One implementation of docs/api.md, with the setup a contract case needs."""

    name: str
    url: str
    database: str

    def __init__(self) -> None:
        self._codes = itertools.count(1)

    def _next_code(self) -> str:
        return "C%03d" % next(self._codes)

    def client(self, login: str, secret: str) -> JsonRpcClient:
        return JsonRpcClient(self.url, self.database, login, secret)

    @abc.abstractmethod
    def new_line(self) -> ContractLine:
        """A new active line with the silos of ``COMPONENTS`` and ``IDLE_SILO``, and a new
        agent user bound to it alone."""

    @abc.abstractmethod
    def new_mo(self, line: ContractLine, *, quantity: float = 1000.0, urgent: bool = False,
               planned_start: str = PLANNED_START, hold: bool = False, blocked: bool = False) -> ContractMo:
        """A confirmed MO of ``line``, PLC state ready. ``blocked``: it needs a component no
        silo of the line holds, so a fetch blocks it."""

    @abc.abstractmethod
    def mo_status(self, mo_id: int) -> dict[str, Any]:
        """What a report may change on the MO: ``state``, ``plc_state``, ``run``,
        ``batch_key``, ``reported`` (it was reported), ``weighed`` (weighings consumed on it)."""

    @abc.abstractmethod
    def set_hold(self, mo_id: int, hold: bool) -> None:
        """The planner's PLC hold."""

    @abc.abstractmethod
    def cancel_mo(self, mo_id: int) -> None:
        """The planner cancels the MO."""

    @abc.abstractmethod
    def release(self, mo_id: int) -> None:
        """The planner's *Release to PLC line* on a failed MO."""

    @abc.abstractmethod
    def archive_line(self, line: ContractLine) -> None:
        """The administrator archives the line."""

    @abc.abstractmethod
    def line_records(self, line: ContractLine) -> dict[str, int]:
        """How many failures and weighings the line holds, and how many pings it got."""

    @abc.abstractmethod
    def weighing_template_id(self) -> int:
        """A product template with one variant, stored in kg, that a weighing can consume."""

    @abc.abstractmethod
    def outsider(self) -> JsonRpcClient:
        """A user who is neither in the group PLC agent nor an administrator."""

    def admin(self) -> JsonRpcClient:
        return self.client(ADMIN_LOGIN, ADMIN_PASSWORD)


class StandinSite(ContractSite):
    """The stand-in Odoo of the agent's tests, driven through its own API."""

    name = "standin"
    WEIGHING_TEMPLATE_ID = 55

    def __init__(self, standin: OdooStandin):
        super().__init__()
        self.standin = standin
        self.url = standin.url
        self.database = standin.database
        standin.add_product(self.WEIGHING_TEMPLATE_ID)
        self._outsider: tuple[str, str] | None = None

    def new_line(self) -> ContractLine:
        code = self._next_code()
        silos = tuple(c for c, *_ in COMPONENTS) + (IDLE_SILO[0],)
        self.standin.add_line(code, silos=silos)
        login, secret = f"plc-agent-{code.lower()}", secrets.token_hex(20)
        self.standin.add_user(login, secret, plc_agent=True, lines=(code,))
        return ContractLine(code, self.client(login, secret))

    def new_mo(self, line: ContractLine, *, quantity: float = 1000.0, urgent: bool = False,
               planned_start: str = PLANNED_START, hold: bool = False, blocked: bool = False) -> ContractMo:
        components = tuple((silo, code, name, per_tonne * quantity / 1000.0, "kg")
                           for silo, code, name, per_tonne in COMPONENTS)
        mo_id = self.standin.add_mo(
            line=line.code, quantity=quantity, components=components, priority=1 if urgent else 0,
            date_planned_start=planned_start, hold=hold, bom_code=f"CT-{line.code}",
            product_code="FEED-LAYER-25", product_name="Layer feed 25 kg",
            blocked_reason=f"No active silo of line {line.code} holds [RM-SALT] Salt." if blocked else None,
        )
        return ContractMo(mo_id, self.standin.mo(mo_id)["name"], quantity)

    def mo_status(self, mo_id: int) -> dict[str, Any]:
        mo = self.standin.mo(mo_id)
        return {"state": mo["state"], "plc_state": mo["plc_state"], "run": mo["run"],
                "batch_key": mo["batch_key"], "reported": bool(mo["reports_received"]),
                "weighed": len(mo.get("manual", []))}

    def set_hold(self, mo_id: int, hold: bool) -> None:
        self.standin.set_hold(mo_id, hold)

    def cancel_mo(self, mo_id: int) -> None:
        self.standin.cancel_mo(mo_id)

    def release(self, mo_id: int) -> None:
        self.standin.release(mo_id)

    def archive_line(self, line: ContractLine) -> None:
        self.standin.set_line_active(line.code, False)

    def line_records(self, line: ContractLine) -> dict[str, int]:
        return {
            "failures": sum(1 for f in self.standin.failures if f["line"] == line.code),
            "weighings": sum(1 for w in self.standin.weighings if w["line"] == line.code),
            "pings": sum(1 for p in self.standin.pings if p["line"] == line.code),
        }

    def weighing_template_id(self) -> int:
        return self.WEIGHING_TEMPLATE_ID

    def outsider(self) -> JsonRpcClient:
        if self._outsider is None:
            self._outsider = ("contract-clerk", secrets.token_hex(12))
            self.standin.add_user(*self._outsider, plc_agent=False)
        return self.client(*self._outsider)


class Odoo14Site(ContractSite):
    """A running Odoo 14 with ``mrp_plc_bridge`` and its demo data, set up as its
    administrator would over RPC."""

    name = "odoo14"

    def __init__(self, url: str, database: str):
        super().__init__()
        self.url = url
        self.database = database
        self._admin = self.admin()
        self._xmlids: dict[str, int] = {}
        self._outsider: tuple[str, str] | None = None
        self._bom_of_blocked: dict[str, int] = {}

    def _ref(self, xmlid: str) -> int:
        if xmlid not in self._xmlids:
            self._xmlids[xmlid] = self._admin.execute("ir.model.data", "xmlid_to_res_id", [xmlid, True])
        return self._xmlids[xmlid]

    def _product(self, default_code: str) -> int:
        key = "code:" + default_code
        if key not in self._xmlids:
            (self._xmlids[key],) = self._admin.execute(
                "product.product", "search", [[("default_code", "=", default_code)]])
        return self._xmlids[key]

    def _bom(self, line_id: int, code: str, components: list[tuple[str, float]]) -> int:
        product = self._product("FEED-LAYER-25")
        (template,) = self._admin.execute("product.product", "read", [[product], ["product_tmpl_id"]])
        kg = self._ref("uom.product_uom_kgm")
        return self._admin.execute("mrp.bom", "create", [{
            "product_tmpl_id": template["product_tmpl_id"][0], "product_id": product,
            "product_qty": 1000.0, "product_uom_id": kg, "code": code, "type": "normal",
            "consumption": "flexible", "plc_line_id": line_id,
            "bom_line_ids": [(0, 0, {"product_id": self._product(default_code), "product_qty": qty,
                                     "product_uom_id": kg}) for default_code, qty in components],
        }])

    def new_line(self) -> ContractLine:
        code = self._next_code()
        admin = self._admin
        line_id = admin.execute("mrp.plc.line", "create", [{"name": f"Contract line {code}", "code": code}])
        silos = [*((silo, product) for silo, product, _, _ in COMPONENTS), IDLE_SILO[:2]]
        admin.execute("mrp.plc.silo", "create", [[
            {"code": silo, "name": f"Silo {silo}", "line_id": line_id, "product_id": self._product(product)}
            for silo, product in silos]])
        self._bom(line_id, f"CT-{code}", [(product, qty) for _, product, _, qty in COMPONENTS])
        # The line's Agent access button: a user in the group PLC agent, bound to this line.
        wizard = admin.execute("mrp.plc.agent.access", "create", [{"line_id": line_id}])
        shown = admin.execute("mrp.plc.agent.access", "action_issue_key", [[wizard]])["context"]
        return ContractLine(code, self.client(shown["default_login"], shown["default_key"]))

    def _line_id(self, code: str) -> int:
        (line_id,) = self._admin.execute("mrp.plc.line", "search",
                                         [[("code", "=", code)]], {"context": {"active_test": False}})
        return line_id

    def new_mo(self, line: ContractLine, *, quantity: float = 1000.0, urgent: bool = False,
               planned_start: str = PLANNED_START, hold: bool = False, blocked: bool = False) -> ContractMo:
        admin = self._admin
        if blocked:
            if line.code not in self._bom_of_blocked:
                # Salt: no silo of the line holds it.
                self._bom_of_blocked[line.code] = self._bom(
                    self._line_id(line.code), f"CT-{line.code}-SALT", [("RM-MAIZE", 997.0), ("RM-SALT", 3.0)])
            bom = self._bom_of_blocked[line.code]
        else:
            (bom,) = admin.execute("mrp.bom", "search", [[("code", "=", f"CT-{line.code}")]])
        # import_file: mrp creates the component moves from the BoM, as the MO form does.
        mo_id = admin.execute(MO_MODEL, "create", [{
            "product_id": self._product("FEED-LAYER-25"), "bom_id": bom, "product_qty": quantity,
            "product_uom_id": self._ref("uom.product_uom_kgm"), "date_planned_start": planned_start,
            "priority": "1" if urgent else "0", "plc_hold": hold,
        }], {"context": {"import_file": True}})
        admin.execute(MO_MODEL, "action_confirm", [[mo_id]])
        (mo,) = admin.execute(MO_MODEL, "read", [[mo_id], ["name", "state", "plc_state"]])
        assert (mo["state"], mo["plc_state"]) == ("confirmed", "ready"), mo
        return ContractMo(mo_id, mo["name"], quantity)

    def mo_status(self, mo_id: int) -> dict[str, Any]:
        (mo,) = self._admin.execute(MO_MODEL, "read", [[mo_id], [
            "state", "plc_state", "plc_run", "plc_batch_key", "plc_reported_at"]])
        weighed = self._admin.execute("mrp.plc.weighing", "search_count", [[
            ("production_id", "=", mo_id), ("state", "=", "consumed")]])
        return {"state": mo["state"], "plc_state": mo["plc_state"], "run": mo["plc_run"],
                "batch_key": mo["plc_batch_key"] or None, "reported": bool(mo["plc_reported_at"]),
                "weighed": weighed}

    def set_hold(self, mo_id: int, hold: bool) -> None:
        self._admin.execute(MO_MODEL, "write", [[mo_id], {"plc_hold": hold}])

    def cancel_mo(self, mo_id: int) -> None:
        self._admin.execute(MO_MODEL, "action_cancel", [[mo_id]])

    def release(self, mo_id: int) -> None:
        self._admin.execute(MO_MODEL, "action_plc_release", [[mo_id]])

    def archive_line(self, line: ContractLine) -> None:
        self._admin.execute("mrp.plc.line", "write", [[self._line_id(line.code)], {"active": False}])

    def line_records(self, line: ContractLine) -> dict[str, int]:
        domain = [("line_id.code", "=", line.code)]
        context = {"context": {"active_test": False}}
        return {
            "failures": self._admin.execute("mrp.plc.failure", "search_count", [domain], context),
            "weighings": self._admin.execute("mrp.plc.weighing", "search_count", [domain], context),
            "pings": self._admin.execute("mrp.plc.line.ping", "search_count", [domain], context),
        }

    def weighing_template_id(self) -> int:
        (product,) = self._admin.execute("product.product", "read", [[self._product("RM-SALT")], ["product_tmpl_id"]])
        return product["product_tmpl_id"][0]

    def outsider(self) -> JsonRpcClient:
        if self._outsider is None:
            self._outsider = ("contract-clerk", secrets.token_hex(12))
            self._admin.execute("res.users", "create", [{
                "name": "Contract clerk", "login": self._outsider[0], "password": self._outsider[1],
                "groups_id": [(6, 0, [self._ref("base.group_user")])]}])
        return self.client(*self._outsider)
