"""The whole chain on a real Odoo 14: Odoo + mrp_plc_bridge (demo data), the PLC simulator
on loopback, and ``plc-agent run`` as a subprocess, configured as a user would."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import odoorpc
import pytest

from plc_agent.plc.register_map import load_register_map
from plc_agent.plc.simulator import PlcSimulator
from support.odoo14 import Odoo14, OdooServer, served_odoo_with_addon

pytestmark = pytest.mark.odoo

LINE = "FM1"
ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "admin"

CREATE_AGENT_USER = """
group = env.ref("mrp_plc_bridge.group_plc_agent")
user = env["res.users"].create({
    "name": "PLC agent FM1",
    "login": "plc-agent-fm1",
    "groups_id": [(6, 0, [group.id])],
    # An agent speaks only for the lines it is bound to.
    "plc_agent_line_ids": [(6, 0, env["mrp.plc.line"].search([("code", "=", "FM1")]).ids)],
})
key = env["res.users.apikeys"].with_user(user)._generate(None, "plc-agent e2e")
env.cr.commit()
print("AGENT_API_KEY=" + key)
"""

CREATE_MOS = """
from odoo.tests import Form
bom = env["mrp.bom"].search([("plc_line_id.code", "=", %(line)r)], limit=1)
assert bom, "no BoM for line %(line)s"
names = []
for _ in range(%(count)d):
    form = Form(env["mrp.production"])
    form.product_id = bom.product_id
    form.bom_id = bom
    form.product_qty = %(quantity)r
    production = form.save()
    production.action_confirm()
    names.append(production.name)
env.cr.commit()
print("CREATED_MOS=" + ",".join(names))
"""


def odoo_shell(odoo: Odoo14, database: str, data_dir: Path, script: str, log_file: Path) -> str:
    """Run a Python script in ``odoo-bin shell`` against the database, return its stdout."""
    command = [
        str(odoo.python),
        str(odoo.home / "odoo-bin"),
        "shell",
        f"--addons-path={odoo.addons_path}",
        f"--database={database}",
        f"--db_host={odoo.db_host}",
        f"--db_port={odoo.db_port}",
        f"--db_user={odoo.db_user}",
        f"--db_password={odoo.db_password}",
        f"--data-dir={data_dir}",
        "--no-http",
        "--log-level=warn",
    ]
    completed = subprocess.run(
        command, input=script, capture_output=True, text=True, cwd=str(odoo.home), timeout=600, env=odoo.pg_env()
    )
    with open(log_file, "a") as log:
        log.write(completed.stdout + completed.stderr)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout


@dataclasses.dataclass
class OdooSite:
    odoo: Odoo14
    server: OdooServer
    database: str
    data_dir: Path
    agent_login: str
    agent_key: str
    log_dir: Path

    @property
    def url(self) -> str:
        return self.server.url

    def admin(self) -> odoorpc.ODOO:
        client = odoorpc.ODOO("127.0.0.1", port=self.server.port, timeout=60)
        client.login(self.database, ADMIN_LOGIN, ADMIN_PASSWORD)
        return client

    def create_mos(self, count: int, quantity: float = 500.0) -> list[str]:
        out = odoo_shell(
            self.odoo,
            self.database,
            self.data_dir,
            CREATE_MOS % {"line": LINE, "count": count, "quantity": quantity},
            self.log_dir / "odoo-shell.log",
        )
        return re.search(r"CREATED_MOS=(.*)", out).group(1).split(",")

    def line_productions(self, client: odoorpc.ODOO, names: list[str] | None = None) -> list[dict]:
        domain = [("plc_line_id.code", "=", LINE)]
        if names is not None:
            domain.append(("name", "in", names))
        return client.execute(
            "mrp.production",
            "search_read",
            domain,
            ["name", "state", "plc_state", "plc_batch_key", "qty_producing", "qty_produced", "product_qty"],
        )


@pytest.fixture(scope="module")
def odoo_site(odoo14: Odoo14, tmp_path_factory, artifacts_dir) -> OdooSite:
    data_dir = tmp_path_factory.mktemp("odoo-data")
    log_dir = artifacts_dir / "e2e"
    log_dir.mkdir(exist_ok=True)
    keys: list[str] = []

    def create_agent_user(database: str) -> None:
        out = odoo_shell(odoo14, database, data_dir, CREATE_AGENT_USER, log_dir / "odoo-shell.log")
        keys.append(re.search(r"AGENT_API_KEY=(\S+)", out).group(1))

    try:
        with served_odoo_with_addon(
            odoo14, "plc_e2e", data_dir=data_dir, log_dir=log_dir, before_serving=create_agent_user
        ) as server:
            yield OdooSite(odoo14, server, server.database, data_dir, "plc-agent-fm1", keys[0], log_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def line_simulator():
    simulator = PlcSimulator(load_register_map(), batch_seconds=1.0, noise=0.03, seed=7)
    simulator.start("127.0.0.1", 0)
    yield simulator
    simulator.stop()


class AgentProcess:
    """``plc-agent run`` as a service manager would start it."""

    def __init__(self, environment: dict[str, str], log_file: Path):
        self.environment = environment
        self.log_file = log_file
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log_file, "a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "plc_agent", "run"], env=self.environment, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def run_command(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "plc_agent", *args], env=self.environment, capture_output=True, text=True, timeout=60
        )


@pytest.fixture
def agent_factory(odoo_site: OdooSite, line_simulator: PlcSimulator, tmp_path):
    agents: list[AgentProcess] = []

    def make(**overrides: str) -> AgentProcess:
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("ODOO_", "PLC_", "SYNC_", "DATABASE_"))}
        environment.update(
            ENABLE_AUTO_SYNC="true",
            SYNC_INTERVAL_MINUTES="60",
            SYNC_BATCH_LIMIT="3",
            ODOO_URL=odoo_site.url,
            ODOO_DATABASE=odoo_site.database,
            ODOO_USERNAME=odoo_site.agent_login,
            ODOO_PASSWORD=odoo_site.agent_key,
            ODOO_TIMEOUT_SECONDS="20",
            DATABASE_URL=f"sqlite:///{tmp_path / 'agent.sqlite3'}",
            PLC_AGENT_DATA_DIR=str(tmp_path),
            PLC_LINE_CODE=LINE,
            PLC_HOST="127.0.0.1",
            PLC_PORT=str(line_simulator.port),
            PLC_POLL_INTERVAL_SECONDS="0.5",
            PUSH_INTERVAL_SECONDS="2",
            HEALTH_INTERVAL_SECONDS="5",
            PUSH_BACKOFF_MAX_SECONDS="4",
            BATCH_STUCK_THRESHOLD_MINUTES="5",
            LOG_LEVEL="INFO",
        )
        environment.update(overrides)
        agent = AgentProcess(environment, odoo_site.log_dir / f"agent-{len(agents)}.log")
        agents.append(agent)
        return agent

    yield make
    for agent in agents:
        agent.stop()


def wait_until(predicate, timeout: float, interval: float = 0.5, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@contextlib.contextmanager
def admin_browser(site: OdooSite):
    """Headless Chromium logged in to the site as the admin (selenium), closed afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1800",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    try:
        wait = WebDriverWait(driver, 60)
        driver.get(f"{site.url}/web/login?db={site.database}")
        wait.until(ec.presence_of_element_located((By.NAME, "login"))).send_keys(ADMIN_LOGIN)
        driver.find_element(By.NAME, "password").send_keys(ADMIN_PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "form.oe_login_form button[type=submit]").click()
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".o_web_client")))
        yield driver, wait
    finally:
        driver.quit()


def screenshot_mo_form(site: OdooSite, production_id: int, png_path: Path) -> str:
    """Open the MO form's PLC page in headless Chromium as the admin; return the page's text."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    with admin_browser(site) as (driver, wait):
        driver.get(f"{site.url}/web#id={production_id}&model=mrp.production&view_type=form")
        tab = wait.until(ec.element_to_be_clickable((By.XPATH, "//a[@role='tab'][normalize-space()='PLC']")))
        tab.click()
        page = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".tab-pane.active")))
        time.sleep(1)  # let the one2many table finish rendering before the picture
        driver.save_screenshot(str(png_path))
        return page.text


def screenshot_batch_record(site: OdooSite, production_id: int, png_path: Path) -> str:
    """The MO's batch record as the web page of its report, pictured; return its text."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    with admin_browser(site) as (driver, wait):
        driver.get(f"{site.url}/report/html/mrp_plc_bridge.report_batch_record/{production_id}")
        page = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".o_plc_batch_record")))
        height = driver.execute_script("return document.body.scrollHeight")
        driver.set_window_size(1400, max(1800, height + 100))
        driver.save_screenshot(str(png_path))
        return page.text
