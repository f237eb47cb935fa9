"""docker-compose.yml, checked by reading it: no Docker engine is needed.

The services must fit together (names, ports, databases, the line code of the addon's demo
data) and the agent's environment must be one the agent's own configuration accepts. What the
odoo services' command lines do on a real Odoo 14 is tested in tests/deploy.
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
README = ROOT / "README.md"
# The only host variables the compose file reads; each has a safe default and README names it.
HOST_VARIABLES = {"PLC_BRIDGE_BIND_ADDRESS": "127.0.0.1", "ODOO_MASTER_PASSWORD": ""}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def interpolated(value: str) -> str:
    """What compose makes of a string with no variable set on the host: ``$$`` is a literal
    ``$``; ``${NAME:-default}`` is allowed for the documented HOST_VARIABLES only."""

    def default(match: re.Match) -> str:
        name, fallback = match.group(1), match.group(2)
        assert name in HOST_VARIABLES, f"undocumented host variable {name} in {value!r}"
        assert fallback == HOST_VARIABLES[name], f"{name}: default {fallback!r}, expected the safe one"
        return fallback

    expanded = re.sub(r"\$\{([A-Z_]+):-([^}]*)\}", default, value.replace("$$", "\0"))
    assert "$" not in expanded, f"unescaped $ in {value!r}"
    return expanded.replace("\0", "$")


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
    assert set(services) == {"db", "odoo-init", "odoo", "plc-simulator", "plc-agent"}
    assert services["db"]["image"] == "postgres:15"
    # The same Odoo image for both, amd64 only upstream (see README, "Pinning the Odoo image").
    assert services["odoo"]["image"] == services["odoo-init"]["image"]
    assert services["odoo"]["image"].startswith("odoo:14.0")
    assert services["odoo"]["platform"] == services["odoo-init"]["platform"] == "linux/amd64"
    for name in ("plc-simulator", "plc-agent"):
        assert services[name]["build"] == "."
        assert services[name]["entrypoint"] == ["plc-agent"]
    assert services["plc-agent"]["command"] == ["run"]


def test_every_service_has_a_health_check_and_waits_for_its_dependencies(services: dict[str, Any]) -> None:
    one_shots = {name for name, service in services.items() if service.get("restart") == "no"}
    assert one_shots == {"odoo-init"}
    for name, service in services.items():
        if name not in one_shots:
            check = service.get("healthcheck")
            assert check and check["test"][0] in ("CMD", "CMD-SHELL"), name
        for dependency, how in (service.get("depends_on") or {}).items():
            assert dependency in services, (name, dependency)
            expected = "service_completed_successfully" if dependency in one_shots else "service_healthy"
            assert how == {"condition": expected}, (name, dependency)
    assert set(services["odoo-init"]["depends_on"]) == {"db"}
    assert set(services["odoo"]["depends_on"]) == {"odoo-init"}
    assert set(services["plc-agent"]["depends_on"]) == {"db", "odoo", "plc-simulator"}
    assert "pg_isready" in services["db"]["healthcheck"]["test"][1]
    assert "/web/login" in " ".join(services["odoo"]["healthcheck"]["test"])
    start = services["odoo"]["healthcheck"]["start_period"]
    assert start.endswith("s") and int(start[:-1]) >= 60


def test_agent_health_check_is_the_service_loop_and_it_gets_time_to_stop(services: dict[str, Any]) -> None:
    agent = services["plc-agent"]
    assert agent["healthcheck"]["test"] == ["CMD", "plc-agent", "health"]
    unit = (ROOT / "deploy" / "plc-agent.service").read_text(encoding="utf-8")
    stop_seconds = int(re.search(r"^TimeoutStopSec=(\d+)$", unit, re.M).group(1))
    assert agent["stop_grace_period"] == f"{stop_seconds}s"
    # Exit code 3 (the queue's instance lock still held) is retried, as by the unit.
    assert agent["restart"] == "unless-stopped"
    assert re.search(r"^RestartPreventExitStatus=2$", unit, re.M)
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r'^HEALTHCHECK .*\n\s+CMD \["plc-agent", "health"\]', dockerfile, re.M)


def test_published_ports_listen_on_loopback_unless_one_documented_variable_says_otherwise(
        services: dict[str, Any]) -> None:
    published = [port for service in services.values() for port in service.get("ports") or []]
    assert published
    for port in published:
        assert port.startswith("${PLC_BRIDGE_BIND_ADDRESS:-127.0.0.1}:"), port
        assert interpolated(port).startswith("127.0.0.1:")
    assert "ports" not in services["db"]
    readme = README.read_text(encoding="utf-8")
    for name in HOST_VARIABLES:
        assert name in readme


def test_odoo_database_manager_is_off_and_the_master_password_comes_from_the_environment(
        compose: dict[str, Any], services: dict[str, Any]) -> None:
    content = compose["configs"]["odoo_conf"]["content"]
    options = dict(line.split(" = ", 1) for line in content.splitlines()[1:] if line.strip())
    assert content.startswith("[options]\n")
    assert options["list_db"] == "False"
    # Unset, the master password is empty: Odoo then refuses every master-password operation.
    assert options["admin_passwd"] == "${ODOO_MASTER_PASSWORD:-}"
    assert interpolated(options["admin_passwd"]) == ""
    for name in ("odoo", "odoo-init"):
        assert services[name]["configs"] == [{"source": "odoo_conf", "target": "/etc/odoo/odoo.conf"}]
    assert "--no-database-list" in services["odoo"]["command"]


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


def test_odoo_serves_only_and_the_init_step_installs_with_demo_data(services: dict[str, Any]) -> None:
    odoo, init = services["odoo"], services["odoo-init"]
    for service in (odoo, init):
        mount = next(v for v in service["volumes"] if v.split(":")[1] == "/mnt/extra-addons")
        source = mount.split(":")[0]
        assert (COMPOSE_FILE.parent / source / "mrp_plc_bridge" / "__manifest__.py").is_file()
    command = odoo["command"]
    assert command[0] == "odoo"  # the image's entrypoint adds the database arguments then
    # Never -i/-u on the serving command: on an installed module, -i reinstalls it and loads
    # the demo data again (issue 9: doubled moves, a done MO reset).
    for arg in command:
        assert not re.match(r"^(-i|-u|--init|--update)(=|$)", arg), arg
    database = option(command, "--database")
    assert option(command, "--db-filter") == f"^{database}$"
    # The init step: its script, from the mounted deploy folder, installs with demo data.
    assert init["command"][0] == "bash"
    script_mount = next(v for v in init["volumes"] if init["command"][1].startswith(v.split(":")[1] + "/"))
    host_dir, container_dir = script_mount.split(":")[:2]
    script = (ROOT / host_dir / init["command"][1][len(container_dir) + 1:])
    text = script.read_text(encoding="utf-8")
    assert "--init=mrp_plc_bridge" in text and "--without-demo" not in text
    assert init["environment"]["ODOO_DATABASE"] == database
    for service in (odoo, init):
        assert service["environment"]["HOST"] == "db"
        db_env = services["db"]["environment"]
        assert (service["environment"]["USER"], service["environment"]["PASSWORD"]) == (
            db_env["POSTGRES_USER"], db_env["POSTGRES_PASSWORD"])
    assert interpolated(odoo["ports"][0]) == "127.0.0.1:8069:8069"


def test_simulator_listens_where_the_agent_looks(services: dict[str, Any]) -> None:
    simulator = services["plc-simulator"]
    command = simulator["command"]
    assert command[0] == "simulate-plc"
    assert option(command, "--host") == "0.0.0.0"
    port = option(command, "--port")
    assert f"127.0.0.1:{port}:{port}" in [interpolated(p) for p in simulator["ports"]]
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


def test_agent_logs_in_as_its_own_user_with_the_key_the_init_step_writes(services: dict[str, Any]) -> None:
    env, init = agent_env(services), services["odoo-init"]
    assert env["ODOO_USERNAME"] != "admin" and "ODOO_PASSWORD" not in env
    # The login the line's "Agent access" derives from its code.
    assert env["ODOO_USERNAME"] == "plc-agent-" + env["PLC_LINE_CODE"].lower()
    assert init["environment"]["PLC_LINE_CODE"] == env["PLC_LINE_CODE"]
    key_file = env["ODOO_PASSWORD_FILE"]
    assert init["environment"]["PLC_AGENT_KEY_FILE"] == key_file

    def volume_holding(service: dict[str, Any], path: str) -> tuple[str, str]:
        for volume in service["volumes"]:
            source, target, *mode = volume.split(":")
            if path.startswith(target + "/"):
                return source, mode[0] if mode else "rw"
        raise AssertionError(f"{path} is on no volume of the service")

    assert volume_holding(init, key_file) == ("agent-secret", "rw")
    assert volume_holding(services["plc-agent"], key_file) == ("agent-secret", "ro")


def test_agent_environment_is_accepted_by_the_agents_configuration(services: dict[str, Any], tmp_path) -> None:
    from plc_agent.config import load_settings

    env = dict(agent_env(services))
    key = tmp_path / "odoo-api-key"  # what odoo-init writes on the agent-secret volume
    key.write_text("0" * 40 + "\n", encoding="utf-8")
    env["ODOO_PASSWORD_FILE"] = str(key)
    settings = load_settings(environ=env, env_file=None)
    assert settings.odoo_password == "0" * 40
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


def test_unit_file_installs_what_it_needs() -> None:
    unit = (ROOT / "deploy" / "plc-agent.service").read_text(encoding="utf-8")
    assert "pip install '.[postgresql]'" in unit
    config_dir = re.search(r"^EnvironmentFile=(/\S+)/[^/\s]+$", unit, re.M).group(1)
    assert re.search(rf"install -d .*{re.escape(config_dir)}$", unit, re.M), "the unit's config folder is never created"
    # The unit's data folder is not overridden by the example settings file copied next to it
    # (systemd: EnvironmentFile= wins over Environment=).
    from dotenv import dotenv_values

    example = dotenv_values(ROOT / ".env.example")
    assert "PLC_AGENT_DATA_DIR" not in example
    assert re.search(r"^Environment=PLC_AGENT_DATA_DIR=/var/lib/plc-agent$", unit, re.M)


def test_docker_build_context_leaves_out_secrets_and_local_state() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in (".env", ".git", ".venv", "data", "test-artifacts"):
        assert entry in ignored
