"""docker-compose.yml, checked by reading it: no Docker engine is needed.

The services must fit together (names, ports, databases, the line code of the addon's demo
data) and the agent's environment must be one the agent's own configuration accepts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
CONFIG_SOURCE = ROOT / "plc_agent" / "config.py"
DEMO_DIR = ROOT / "odoo_addon" / "mrp_plc_bridge" / "demo"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def interpolated(value: str) -> str:
    """What compose makes of a string: ``$$`` is a literal ``$``; any other ``$`` would be
    replaced from the host's environment, which this file must not depend on."""
    assert "$" not in value.replace("$$", ""), f"unescaped $ in {value!r}"
    return value.replace("$$", "$")


def option(command: list[str], name: str) -> str:
    """The value of ``--name=value`` or ``--name value`` in a command list."""
    for index, arg in enumerate(command):
        if arg.startswith(name + "="):
            return interpolated(arg.split("=", 1)[1])
        if arg == name:
            return interpolated(command[index + 1])
    raise AssertionError(f"{name} not in {command}")


def agent_env(services: dict[str, Any]) -> dict[str, str]:
    return services["plc-agent"]["environment"]


def test_services(services: dict[str, Any]) -> None:
    assert set(services) == {"db", "odoo", "plc-simulator", "plc-agent"}
    assert services["db"]["image"] == "postgres:15"
    assert services["odoo"]["image"] == "odoo:14"
    for name in ("plc-simulator", "plc-agent"):
        assert services[name]["build"] == "."
        assert services[name]["entrypoint"] == ["plc-agent"]
    assert services["plc-agent"]["command"] == ["run"]


def test_every_service_has_a_health_check_and_waits_for_healthy_dependencies(services: dict[str, Any]) -> None:
    for name, service in services.items():
        check = service.get("healthcheck")
        assert check and check["test"][0] in ("CMD", "CMD-SHELL"), name
        for dependency, how in (service.get("depends_on") or {}).items():
            assert dependency in services, (name, dependency)
            assert how == {"condition": "service_healthy"}, (name, dependency)
    assert set(services["odoo"]["depends_on"]) == {"db"}
    assert set(services["plc-agent"]["depends_on"]) == {"db", "odoo", "plc-simulator"}
    assert "pg_isready" in services["db"]["healthcheck"]["test"][1]
    assert "/web/login" in " ".join(services["odoo"]["healthcheck"]["test"])
    # Installing mrp with demo data on the first start takes minutes.
    start = services["odoo"]["healthcheck"]["start_period"]
    assert start.endswith("s") and int(start[:-1]) >= 300


def test_named_volumes_are_declared(compose: dict[str, Any], services: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    used = set()
    for service in services.values():
        for volume in service.get("volumes") or []:
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/")):
                used.add(source)
    assert used and used == declared
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["db"]["volumes"])
    assert any(v.endswith(":/var/lib/odoo") for v in services["odoo"]["volumes"])


def test_odoo_mounts_the_addon_and_installs_it_with_demo_data(services: dict[str, Any]) -> None:
    odoo = services["odoo"]
    mount = next(v for v in odoo["volumes"] if v.split(":")[1] == "/mnt/extra-addons")
    source = mount.split(":")[0]
    assert (COMPOSE_FILE.parent / source / "mrp_plc_bridge" / "__manifest__.py").is_file()
    command = odoo["command"]
    assert command[0] == "odoo"  # the image's entrypoint adds the database arguments then
    assert option(command, "--init") == "mrp_plc_bridge"
    assert "--without-demo" not in " ".join(command)
    database = option(command, "--database")
    assert option(command, "--db-filter") == f"^{database}$"
    assert odoo["environment"]["HOST"] == "db"
    db_env = services["db"]["environment"]
    assert (odoo["environment"]["USER"], odoo["environment"]["PASSWORD"]) == (
        db_env["POSTGRES_USER"], db_env["POSTGRES_PASSWORD"])
    assert "8069:8069" in odoo["ports"]


def test_simulator_listens_where_the_agent_looks(services: dict[str, Any]) -> None:
    simulator = services["plc-simulator"]
    command = simulator["command"]
    assert command[0] == "simulate-plc"
    assert option(command, "--host") == "0.0.0.0"
    port = option(command, "--port")
    assert f"{port}:{port}" in simulator["ports"]
    env = agent_env(services)
    assert env["PLC_HOST"] == "plc-simulator"
    assert env["PLC_PORT"] == port


def test_agent_points_at_the_odoo_and_database_services(services: dict[str, Any]) -> None:
    env = agent_env(services)
    odoo_url = urlsplit(env["ODOO_URL"])
    assert (odoo_url.scheme, odoo_url.hostname, odoo_url.port) == ("http", "odoo", 8069)
    assert env["ODOO_DATABASE"] == option(services["odoo"]["command"], "--database")
    database = urlsplit(env["DATABASE_URL"])
    db_env = services["db"]["environment"]
    assert database.scheme == "postgresql" and database.hostname == "db"
    assert (database.username, database.password) == (db_env["POSTGRES_USER"], db_env["POSTGRES_PASSWORD"])
    assert database.path == "/" + db_env["POSTGRES_DB"]
    # The demo's line: the one the addon's demo data defines.
    demo = "".join(p.read_text(encoding="utf-8") for p in DEMO_DIR.glob("*.xml"))
    line_codes = re.findall(r'model="mrp\.plc\.line">.*?<field name="code">([^<]+)</field>', demo, re.S)
    assert env["PLC_LINE_CODE"] in line_codes
    assert int(env["SYNC_INTERVAL_MINUTES"]) <= 5
    # Docker passes environment values as strings; YAML booleans or numbers would be
    # rewritten by compose in ways the agent's parser may not expect.
    assert all(isinstance(value, str) for value in env.values()), env


def test_agent_environment_names_are_the_agents_settings(services: dict[str, Any]) -> None:
    source = CONFIG_SOURCE.read_text(encoding="utf-8")
    known = set(re.findall(r'r\.\w+\(\s*"([A-Z][A-Z0-9_]+)"', source))
    known |= set(re.findall(r'values\.get\("([A-Z][A-Z0-9_]+)"', source))
    assert {"ODOO_URL", "ODOO_PASSWORD", "DATABASE_URL", "PLC_HOST"} <= known
    unknown = set(agent_env(services)) - known
    assert not unknown, f"not read by plc_agent/config.py: {sorted(unknown)}"


def test_agent_environment_is_accepted_by_the_agents_configuration(services: dict[str, Any]) -> None:
    from plc_agent.config import load_settings

    env = agent_env(services)
    settings = load_settings(environ=env, env_file=None)
    assert settings.line_code == env["PLC_LINE_CODE"]
    assert settings.plc_host == "plc-simulator"
    assert settings.plc_port == int(env["PLC_PORT"])
    assert settings.database_url == env["DATABASE_URL"]
    assert settings.sync_interval_minutes == int(env["SYNC_INTERVAL_MINUTES"])
    data_dir = env["PLC_AGENT_DATA_DIR"]
    assert str(settings.data_dir) == data_dir
    assert any(v.endswith(":" + data_dir) for v in services["plc-agent"]["volumes"])


def test_dockerfile_builds_the_agent() -> None:
    dockerfile = ROOT / "Dockerfile"
    if not dockerfile.is_file():
        pytest.skip("no Dockerfile at the top level yet: the simulator and agent services build from it")
    text = dockerfile.read_text(encoding="utf-8")
    # The agent's queue is on PostgreSQL in the compose file: psycopg2 must be in the image.
    assert "postgresql" in text or "psycopg2" in text


def test_nothing_depends_on_the_host_environment(compose: dict[str, Any]) -> None:
    def strings(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [s for value in node.values() for s in strings(value)]
        if isinstance(node, list):
            return [s for value in node for s in strings(value)]
        return [node] if isinstance(node, str) else []

    for value in strings(compose):
        interpolated(value)
