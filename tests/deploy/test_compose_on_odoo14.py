"""docker-compose.yml's Odoo services, run as Docker would run them, on a real Odoo 14.

The command lines, environments and Odoo configuration come from the compose file itself
(see ``support/compose_stack.py`` for what is translated between a container and this
machine). The scenario is the one that broke the first stack: ``docker compose up``, then
``docker compose restart``: the init step, the serving command started twice on the same
database, the init step again. The demo MOs, their moves and a done MO must come out of it
unchanged, and the agent must get in with its own user and key, through a file.
"""

from __future__ import annotations

import itertools
import re
import shlex
import stat
import urllib.request
from pathlib import Path

import odoorpc
import psycopg2
import pytest

from plc_agent.config import load_settings
from plc_agent.odoo_gateway import OdooError, OdooGateway
from support.compose_stack import REPO_ROOT, ComposeStack, odoo_shell

# An Odoo install with demo data takes minutes on a busy machine.
pytestmark = [pytest.mark.odoo, pytest.mark.slow, pytest.mark.timeout(1800)]

ADMIN = ("admin", "admin")  # the demo data's administrator

MARK_DONE = """
from odoo.tests import Form
production = env.ref("mrp_plc_bridge.mrp_production_fm1_1")
production.action_assign()
form = Form(production)
form.qty_producing = production.product_qty
production = form.save()
production.button_mark_done()
assert production.state == "done", production.state
env.cr.commit()
print("DONE_MO=%s" % production.name)
"""


@pytest.fixture(scope="module")
def stack(odoo14, tmp_path_factory, artifacts_dir):
    log_dir = artifacts_dir / "deploy"
    log_dir.mkdir(exist_ok=True)
    stack = ComposeStack(odoo14, tmp_path_factory.mktemp("compose"), log_dir)
    first = stack.run("odoo-init")
    stack.first_init = first
    try:
        yield stack
    finally:
        stack.cleanup()


def snapshot(stack: ComposeStack) -> list[tuple]:
    """Every MO with its state, quantities and moves: what a reinstall of the demo disturbed."""
    connection = psycopg2.connect(dbname=stack.database, host=stack.odoo.db_host, port=stack.odoo.db_port,
                                  user=stack.odoo.db_user, password=stack.odoo.db_password)
    try:
        with connection.cursor() as cursor:
            cursor.execute("""
                SELECT p.id, p.name, p.state, p.product_qty, p.qty_producing,
                       (SELECT count(*) FROM stock_move m WHERE m.raw_material_production_id = p.id),
                       (SELECT count(*) FROM stock_move m WHERE m.production_id = p.id),
                       (SELECT coalesce(sum(m.product_uom_qty), 0) FROM stock_move m
                         WHERE m.raw_material_production_id = p.id),
                       (SELECT coalesce(sum(l.qty_done), 0) FROM stock_move_line l
                          JOIN stock_move m ON m.id = l.move_id WHERE m.production_id = p.id),
                       (SELECT string_agg(m.state, ',' ORDER BY m.id) FROM stock_move m
                         WHERE m.raw_material_production_id = p.id OR m.production_id = p.id)
                  FROM mrp_production p ORDER BY p.id
            """)
            return cursor.fetchall()
    finally:
        connection.close()


def module_state(stack: ComposeStack) -> str:
    connection = psycopg2.connect(dbname=stack.database, host=stack.odoo.db_host, port=stack.odoo.db_port,
                                  user=stack.odoo.db_user, password=stack.odoo.db_password)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT state FROM ir_module_module WHERE name = 'mrp_plc_bridge'")
            return cursor.fetchone()[0]
    finally:
        connection.close()


def key_file(stack: ComposeStack) -> Path:
    return Path(stack.environment("odoo-init")["PLC_AGENT_KEY_FILE"])


def agent_settings(stack: ComposeStack):
    """The plc-agent service's own environment, with the odoo service's address on this machine."""
    env = stack.environment("plc-agent")
    assert env["ODOO_URL"] == "http://odoo:8069"
    env["ODOO_URL"] = stack.url
    return load_settings(environ=env, env_file=None)


def gateway(stack: ComposeStack, login: str, key: str) -> OdooGateway:
    return OdooGateway(stack.url, stack.database, login, key, timeout=60)


def admin(stack: ComposeStack) -> odoorpc.ODOO:
    client = odoorpc.ODOO("127.0.0.1", port=stack.http_port, timeout=120)
    client.login(stack.database, *ADMIN)
    return client


def test_init_installs_the_module_with_demo_data_and_writes_the_agents_key(stack):
    assert stack.first_init.returncode == 0, stack.first_init.output[-3000:]
    assert "installing it with its demo data" in stack.first_init.output
    assert module_state(stack) == "installed"
    rows = {row[1]: row for row in snapshot(stack)}
    demo = [row for name, row in rows.items() if row[2] == "confirmed"]
    assert len(demo) >= 5
    for row in demo:
        assert row[6] == 1, f"{row[1]}: {row[6]} finished moves"
    path = key_file(stack)
    key = path.read_text()
    assert re.fullmatch(r"[0-9a-f]{40}\n", key)
    # Readable by the agent container's user, written by nobody once there.
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert key.strip() not in stack.first_init.output


def test_serving_twice_leaves_the_demo_mos_their_moves_and_a_done_mo_unchanged(stack):
    after_init = snapshot(stack)
    with stack.serving("odoo"):
        pass
    assert snapshot(stack) == after_init, "the first start of the serving command changed the MOs"
    done = re.search(r"DONE_MO=(\S+)", odoo_shell(stack, MARK_DONE)).group(1)
    before = snapshot(stack)
    assert [row for row in before if row[1] == done][0][2] == "done"
    with stack.serving("odoo"):
        pass
    assert snapshot(stack) == before, "the restart changed the MOs or their moves"
    log = (stack.log_dir / f"{stack.database}-odoo.log").read_text()
    assert "demo data" not in log.lower() and " ERROR " not in log, log[-3000:]


def test_init_again_is_a_no_op(stack):
    before = snapshot(stack)
    key = key_file(stack).read_text()
    again = stack.run("odoo-init")
    assert again.returncode == 0, again.output[-3000:]
    assert "not installed again" in again.output and "key is kept" in again.output
    assert snapshot(stack) == before
    assert key_file(stack).read_text() == key


def test_readmes_upgrade_command_upgrades_and_leaves_the_mos_unchanged(stack):
    """README, "Upgrading": the explicit command that replaces -u on the serving command."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    line = re.search(r"^\s*(docker compose run .*-u mrp_plc_bridge.*)$", readme, re.M).group(1)
    words = shlex.split(line)
    assert words[:3] == ["docker", "compose", "run"]
    options = list(itertools.takewhile(lambda word: word.startswith("--"), words[3:]))
    assert set(options) <= {"--rm", "--no-deps"}
    service, *override = words[3 + len(options):]
    assert service == "odoo"
    before = snapshot(stack)
    upgrade = stack.run(service, override)
    assert upgrade.returncode == 0, upgrade.output[-3000:]
    assert re.search(r"loading mrp_plc_bridge/\S+\.xml", upgrade.output), upgrade.output[-3000:]
    assert snapshot(stack) == before
    assert module_state(stack) == "installed"


def test_agent_and_wizard_keys_work_over_jsonrpc_with_the_agent_group_alone(stack):
    settings = agent_settings(stack)
    scripted_key = key_file(stack).read_text().strip()
    assert settings.odoo_password == scripted_key  # read through ODOO_PASSWORD_FILE
    with stack.serving("odoo"):
        # The compose agent's own user and key.
        agent = gateway(stack, settings.odoo_username, settings.odoo_password)
        assert agent.ping(settings.line_code).line_exists is True

        client = admin(stack)
        users = client.env["res.users"]
        agent_user = users.search_read([("login", "=", settings.odoo_username)], ["groups_id", "share"])[0]
        group = client.env.ref("mrp_plc_bridge.group_plc_agent")
        assert agent_user["groups_id"] == [group.id]
        # Nothing but the bridge's methods: the ORM refuses it.
        agent_client = odoorpc.ODOO("127.0.0.1", port=stack.http_port, timeout=60)
        agent_client.login(stack.database, settings.odoo_username, scripted_key)
        with pytest.raises(odoorpc.error.RPCError, match="AccessError|not allowed"):
            agent_client.execute("mrp.production", "search_read", [], ["name"])

        # An administrator hands out a new key from the line form's button.
        line_id = client.env["mrp.plc.line"].search([("code", "=", settings.line_code)])[0]
        action = client.execute("mrp.plc.line", "action_open_plc_agent_access", [line_id])
        assert action["res_model"] == "mrp.plc.agent.access" and action["target"] == "new"
        wizard_id = client.execute_kw("mrp.plc.agent.access", "create", [{}], {"context": action["context"]})
        shown = client.execute("mrp.plc.agent.access", "action_issue_key", [wizard_id])
        assert shown["res_model"] == "mrp.plc.agent.key"
        new_key = shown["context"]["default_key"]
        lines = dict(line.split("=", 1) for line in shown["context"]["default_env_lines"].splitlines())
        assert lines["ODOO_PASSWORD"] == new_key
        assert lines["ODOO_USERNAME"] == settings.odoo_username
        assert lines["ODOO_DATABASE"] == stack.database
        assert lines["PLC_LINE_CODE"] == settings.line_code
        # Those lines are settings the agent accepts.
        pasted = load_settings(environ=dict(lines, ODOO_URL=stack.url), env_file=None)
        assert gateway(stack, pasted.odoo_username, pasted.odoo_password).ping(pasted.line_code).line_exists
        # The same user, still the agent group alone; the previous key no longer works.
        assert users.search_read([("login", "=", settings.odoo_username)], ["groups_id"])[0]["groups_id"] == [group.id]
        with pytest.raises(OdooError):
            gateway(stack, settings.odoo_username, scripted_key).ping(settings.line_code)
        # The key is not kept anywhere readable.
        assert client.execute("mrp.plc.agent.access", "read", [wizard_id], ["line_id"])

        # Safe by default: the database manager is off, over RPC and on the web.
        for call in (lambda: client.db.list(), lambda: client.db.drop("admin", stack.database),
                     lambda: client.db.drop("", stack.database)):
            with pytest.raises(odoorpc.error.RPCError, match="AccessDenied|Access Denied"):
                call()
        manager = urllib.request.urlopen(f"{stack.url}/web/database/manager", timeout=30).read().decode()
        assert "disabled by the administrator" in manager
        assert module_state(stack) == "installed"

        # A planner (no user-management right) cannot open it.
        demo = odoorpc.ODOO("127.0.0.1", port=stack.http_port, timeout=60)
        demo.login(stack.database, "demo", "demo")
        with pytest.raises(odoorpc.error.RPCError, match="administrator"):
            demo.execute("mrp.plc.line", "action_open_plc_agent_access", [line_id])


def test_administrator_gets_the_key_from_the_line_form_in_a_browser(stack, artifacts_dir):
    """The screens a person uses: the line form's button, the wizard, the key with its copy
    button and the .env lines; the key then works for the agent."""
    import shutil
    import time

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    settings = agent_settings(stack)
    with stack.serving("odoo"):
        line_id = admin(stack).env["mrp.plc.line"].search([("code", "=", settings.line_code)])[0]
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "chromium"
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--no-first-run", "--window-size=1400,1200"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "chromedriver"), options=options)
        try:
            wait = WebDriverWait(driver, 90)
            driver.get(f"{stack.url}/web/login?db={stack.database}")
            wait.until(ec.presence_of_element_located((By.NAME, "login"))).send_keys(ADMIN[0])
            driver.find_element(By.NAME, "password").send_keys(ADMIN[1])
            driver.find_element(By.CSS_SELECTOR, "form.oe_login_form button[type=submit]").click()
            wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".o_web_client")))
            driver.get(f"{stack.url}/web#id={line_id}&model=mrp.plc.line&view_type=form")
            wait.until(ec.element_to_be_clickable(
                (By.CSS_SELECTOR, "button[name=action_open_plc_agent_access]"))).click()
            wait.until(ec.element_to_be_clickable(
                (By.CSS_SELECTOR, ".modal button[name=action_issue_key]"))).click()
            key_field = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".modal [name=key]")))
            wait.until(lambda d: re.search(r"[0-9a-f]{40}", key_field.text))
            modal = driver.find_element(By.CSS_SELECTOR, ".modal .modal-content")
            time.sleep(1)
            driver.save_screenshot(str(artifacts_dir / "deploy" / "agent-access-key.png"))
            key = re.search(r"[0-9a-f]{40}", key_field.text).group(0)
            assert len(modal.find_elements(By.CSS_SELECTOR, ".o_clipboard_button")) == 2
            # One setting a line, as they are pasted into .env.
            assert f"ODOO_USERNAME={settings.odoo_username}\nODOO_PASSWORD={key}" in modal.text
        finally:
            driver.quit()
        assert gateway(stack, settings.odoo_username, key).ping(settings.line_code).line_exists is True
