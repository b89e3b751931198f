"""docker-compose.yml, deploy/Dockerfile and the env example agree with the code.

No Docker needed: the compose file is read with PyYAML, commands are resolved against the Typer
app and the services' environments are loaded with the real settings classes.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from pydantic import AliasChoices, BaseModel

from triggerwatch.cli import app
from triggerwatch.core.settings import (
    BaseServiceSettings,
    CollectorSettings,
    NotifierSettings,
    RelaySettings,
    WebSettings,
    WorkerSettings,
    load,
)
from triggerwatch.notifier.sinks.table import check_sinks

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
CONFIG_DIR = ROOT / "deploy" / "config"
ENV_FILE = "deploy/config/triggerwatch.env"
ENV_EXAMPLE = ROOT / "deploy" / "config" / "triggerwatch.env.example"

INFRA = ("kafka", "postgres")
INIT_JOBS = {"migrate": ["db", "upgrade"], "topics": ["topics", "create"]}
LONG_RUNNING = ("collectors", "relay", "worker", "notifier", "web")
USES_KAFKA = ("relay", "worker", "notifier")
# Services with an HTTP health page of their own: the host/port settings' prefix.
HTTP_HEALTH = {"worker": "worker", "notifier": "notifier", "web": "web"}
SETTINGS_FOR_COMMAND: dict[str, type[BaseServiceSettings]] = {
    "db": BaseServiceSettings,
    "topics": BaseServiceSettings,
    "collectors": CollectorSettings,
    "relay": RelaySettings,
    "worker": WorkerSettings,
    "notifier": NotifierSettings,
    "web": WebSettings,
}
ALL_SETTINGS = (
    BaseServiceSettings,
    RelaySettings,
    CollectorSettings,
    WorkerSettings,
    NotifierSettings,
    WebSettings,
)
SECRETS = ("TRIGGERWATCH_SLACK_WEBHOOK_URL", "TRIGGERWATCH_SMTP_PASSWORD", "TRIGGERWATCH_CRM_WEBHOOK_SECRETS")
# Values for compose's ${VAR} interpolation (normally from the shell or .env).
INTERPOLATION = {"POSTGRES_PASSWORD": "a-test-password-0123456789"}

COMPOSE: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]


# ------------------------------------------------------------------------------------------ helpers
def is_project_service(svc: dict[str, Any]) -> bool:
    build = svc.get("build")
    dockerfile = build.get("dockerfile") if isinstance(build, dict) else None
    image = str(svc.get("image", ""))
    return dockerfile == "deploy/Dockerfile" or image.split(":")[0] == "triggerwatch"


PROJECT = sorted(name for name, svc in SERVICES.items() if is_project_service(svc))


def depends_on(svc: dict[str, Any]) -> dict[str, Any]:
    deps = svc.get("depends_on") or {}
    assert isinstance(deps, dict), "depends_on must be the long form (with a condition per service)"
    return deps


def interpolate(value: str) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, with INTERPOLATION as the environment."""

    def sub(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        if INTERPOLATION.get(name):
            return INTERPOLATION[name]
        if op in (":-", "-"):
            return arg or ""
        if op in (":?", "?"):
            raise AssertionError(f"${{{name}}} is required: {arg}")
        return ""

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}", sub, value)


def environment(svc: dict[str, Any]) -> dict[str, str]:
    env = svc.get("environment") or {}
    assert isinstance(env, dict), "environment must be a mapping (it is merged from an x- anchor)"
    return {str(k): interpolate(str(v)) for k, v in env.items() if v is not None}


def healthcheck_text(svc: dict[str, Any]) -> str:
    test = svc["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else str(test)


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the final stage, continuation lines joined, comments dropped."""
    logical: list[str] = []
    current = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):  # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    if current:
        logical.append(current)
    instructions = [(ln.split(None, 1)[0].upper(), [*ln.split(None, 1), ""][1].strip()) for ln in logical]
    last_from = max(i for i, (instr, _) in enumerate(instructions) if instr == "FROM")
    return instructions[last_from:]


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for instr, args in dockerfile_instructions():
        if instr == "ENV":
            for token in shlex.split(args):
                key, _, value = token.partition("=")
                env[key] = value
    return env


def env_example() -> tuple[dict[str, str], dict[str, str]]:
    """(set, commented-out) variables of the env example."""
    active: dict[str, str] = {}
    commented: dict[str, str] = {}
    pattern = re.compile(r"^(#\s*)?((?:TRIGGERWATCH_|KAFKA_BOOTSTRAP_SERVERS)[A-Z0-9_]*)=(.*)$")
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        m = pattern.match(line.strip())
        if m:
            (commented if m.group(1) else active)[m.group(2)] = m.group(3).strip()
    return active, commented


def settings_variables() -> set[str]:
    """Every environment variable the settings classes read."""
    names: set[str] = set()
    for cls in ALL_SETTINGS:
        for name, field in cls.model_fields.items():
            if isinstance(field.validation_alias, AliasChoices):  # KAFKA_BOOTSTRAP_SERVERS
                names.add(str(field.validation_alias.choices[0]))
            elif isinstance(field.default, BaseModel):
                names.update(
                    f"TRIGGERWATCH_{name.upper()}__{sub.upper()}" for sub in type(field.default).model_fields
                )
            else:
                names.add(f"TRIGGERWATCH_{name.upper()}")
    return names


def load_with(monkeypatch: pytest.MonkeyPatch, cls: type[BaseServiceSettings], env: dict[str, str]) -> Any:
    for key in list(os.environ):
        if key.startswith("TRIGGERWATCH_") or key == "KAFKA_BOOTSTRAP_SERVERS":
            monkeypatch.delenv(key)
    for key, value in env.items():
        if key.startswith("TRIGGERWATCH_") or key == "KAFKA_BOOTSTRAP_SERVERS":  # not PATH & co.
            monkeypatch.setenv(key, value)
    return load(cls)


def resolve_command(args: list[str]) -> tuple[list[str], Any, list[str]]:
    """Walk the Typer app's command groups: (command path, leaf command, remaining arguments).

    Groups are recognised by their ``commands`` mapping (recent Typer vendors its own click, so
    ``isinstance(..., click.Group)`` would not do).
    """
    cmd: Any = typer.main.get_command(app)
    assert isinstance(getattr(cmd, "commands", None), dict) and "worker" in cmd.commands
    path: list[str] = []
    rest = list(args)
    while isinstance(getattr(cmd, "commands", None), dict):
        where = " ".join(["triggerwatch", *path])
        assert rest, f"`{where}` is a group: name one of {sorted(cmd.commands)}"
        name = rest.pop(0)
        assert name in cmd.commands, f"`{name}` is not a command of `{where}`"
        path.append(name)
        cmd = cmd.commands[name]
    return path, cmd, rest


# ------------------------------------------------------------------------------------- the services
def test_expected_services_use_the_project_image() -> None:
    assert set(PROJECT) == set(INIT_JOBS) | set(LONG_RUNNING)
    images = {SERVICES[name].get("image") for name in PROJECT}
    assert len(images) == 1, f"one image for every service, got {images}"
    for name in PROJECT:
        assert SERVICES[name]["build"]["dockerfile"] == "deploy/Dockerfile"
        assert SERVICES[name]["build"].get("context", ".") == "."


@pytest.mark.parametrize("name", PROJECT)
def test_command_is_a_cli_command(name: str) -> None:
    command = SERVICES[name].get("command")
    assert isinstance(command, list) and command, f"{name}: command must be an exec-form list"
    path, leaf, rest = resolve_command([str(c) for c in command])
    # The remaining words must parse as that command's options and arguments.
    leaf.make_context(f"triggerwatch {' '.join(path)}", rest)
    if name in INIT_JOBS:
        assert command == INIT_JOBS[name]
    else:
        assert path == [name], f"{name} runs `triggerwatch {' '.join(path)}`"


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_long_running_services_have_healthchecks(name: str) -> None:
    svc = SERVICES[name]
    check = svc.get("healthcheck")
    assert check and not check.get("disable"), f"{name} has no healthcheck"
    assert isinstance(check["test"], list) and check["test"][0] in ("CMD", "CMD-SHELL")
    assert svc.get("restart") in ("unless-stopped", "always", "on-failure")


@pytest.mark.parametrize("name", INIT_JOBS)
def test_init_jobs_run_once(name: str) -> None:
    assert SERVICES[name].get("restart") == "no"  # a quoted "no": a bare no is YAML's false
    assert "healthcheck" not in SERVICES[name]


@pytest.mark.parametrize("name", [*INFRA])
def test_infrastructure_has_healthchecks(name: str) -> None:
    assert SERVICES[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_python_healthchecks_compile() -> None:
    for name in PROJECT:
        test = SERVICES[name].get("healthcheck", {}).get("test")
        if isinstance(test, list) and test[1:3] == ["python", "-c"]:
            compile(test[3], f"<{name} healthcheck>", "exec")


def test_database_healthcheck_runs(tmp_path: Path) -> None:
    """The collectors/relay check (python -c) really connects, here to a SQLite file."""
    for name in ("collectors", "relay"):
        test = SERVICES[name]["healthcheck"]["test"]
        assert test[:3] == ["CMD", "python", "-c"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRIGGERWATCH_")}
        env["TRIGGERWATCH_DATABASE__URL"] = f"sqlite:///{tmp_path / 'health.db'}"
        ok = subprocess.run([sys.executable, "-c", test[3]], env=env, capture_output=True, timeout=60)
        assert ok.returncode == 0, ok.stderr.decode()
        env["TRIGGERWATCH_DATABASE__URL"] = f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}"
        bad = subprocess.run([sys.executable, "-c", test[3]], env=env, capture_output=True, timeout=60)
        assert bad.returncode != 0


@pytest.mark.parametrize("name", sorted(HTTP_HEALTH))
def test_http_healthchecks_match_the_configured_port(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    svc = SERVICES[name]
    settings = load_with(monkeypatch, SETTINGS_FOR_COMMAND[name], {**image_env(), **environment(svc)})
    prefix = HTTP_HEALTH[name]
    port = getattr(settings, f"{prefix}_port")
    assert getattr(settings, f"{prefix}_host") == "0.0.0.0", f"{name} must listen beyond loopback"
    assert f"127.0.0.1:{port}/health" in healthcheck_text(svc)
    if name == "web":
        assert f"{port}:{port}" in [str(p) for p in svc.get("ports", [])]


# ------------------------------------------------------------------------------------- dependencies
def test_every_dependency_exists_and_has_a_condition() -> None:
    for name, svc in SERVICES.items():
        for dep, spec in depends_on(svc).items():
            assert dep in SERVICES, f"{name} depends on unknown service {dep}"
            assert isinstance(spec, dict) and spec.get("condition"), f"{name} -> {dep}: no condition"


def test_kafka_and_postgres_dependencies_wait_until_healthy() -> None:
    for name, svc in SERVICES.items():
        for dep, spec in depends_on(svc).items():
            if dep in INFRA:
                assert spec["condition"] == "service_healthy", f"{name} -> {dep}"
            if dep in INIT_JOBS:
                assert spec["condition"] == "service_completed_successfully", f"{name} -> {dep}"


def test_init_jobs_wait_for_what_they_set_up() -> None:
    assert "postgres" in depends_on(SERVICES["migrate"])
    assert "kafka" in depends_on(SERVICES["topics"])


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_services_start_after_migrations_and_topics(name: str) -> None:
    deps = depends_on(SERVICES[name])
    assert "postgres" in deps and "migrate" in deps
    if name in USES_KAFKA:
        # auto-create is off, and Faust refuses topics whose partition counts disagree
        assert "kafka" in deps and "topics" in deps


# -------------------------------------------------------------------------------------- environment
@pytest.mark.parametrize("name", PROJECT)
def test_service_environment_loads(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    svc = SERVICES[name]
    cls = SETTINGS_FOR_COMMAND[str(svc["command"][0])]
    settings = load_with(monkeypatch, cls, {**image_env(), **environment(svc)})
    assert settings.bootstrap_servers == "kafka:9092"
    assert not settings.embedded_broker
    assert settings.database.url.startswith("postgresql+psycopg://triggerwatch:")
    assert settings.database.url.endswith("@postgres:5432/triggerwatch")
    # production consumer timeouts, not the embedded broker's short ones
    assert settings.kafka.session_timeout_s == 45
    assert settings.kafka.heartbeat_interval_s == 3
    assert settings.kafka.replication_factor == 1
    if isinstance(settings, CollectorSettings | WebSettings):
        assert settings.sources_file == Path("/app/deploy/config/sources.yaml")
    if isinstance(settings, WorkerSettings):
        assert settings.rules_file == Path("/app/deploy/config/rules.yaml")


def test_partitions_agree_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    counts = {
        name: load_with(monkeypatch, BaseServiceSettings, environment(SERVICES[name])).kafka.partitions
        for name in PROJECT
    }
    assert len(set(counts.values())) == 1, counts
    assert next(iter(counts.values())) > 1, "more than one partition, or workers cannot scale"


def test_worker_can_scale() -> None:
    worker = SERVICES["worker"]
    assert "container_name" not in worker and "ports" not in worker, "`--scale worker=N` needs neither"
    assert "--scale worker=" in COMPOSE_FILE.read_text(encoding="utf-8")


def test_secrets_come_from_the_env_file() -> None:
    for name in PROJECT:
        env_files = SERVICES[name].get("env_file")
        assert env_files == [{"path": ENV_FILE, "required": False}], name
        env = SERVICES[name].get("environment") or {}
        assert not set(SECRETS) & set(env), f"{name}: secrets belong in {ENV_FILE}"
    assert ENV_EXAMPLE.exists()


def test_no_hard_coded_database_password() -> None:
    postgres_env = SERVICES["postgres"]["environment"]
    assert postgres_env["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    for name in PROJECT:
        url = (SERVICES[name].get("environment") or {}).get("TRIGGERWATCH_DATABASE__URL", "")
        assert "${POSTGRES_PASSWORD:?" in url, name


# ---------------------------------------------------------------------------------------------- kafka
def test_kafka_is_single_node_kraft() -> None:
    kafka = SERVICES["kafka"]
    image, _, tag = kafka["image"].partition(":")
    assert image == "apache/kafka" and re.fullmatch(r"\d+\.\d+\.\d+", tag), "pin an apache/kafka version"
    env = {k: str(v) for k, v in kafka["environment"].items()}
    roles = {r.strip() for r in env["KAFKA_PROCESS_ROLES"].split(",")}
    assert {"broker", "controller"} <= roles
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] in env["KAFKA_LISTENERS"]
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith(f"{env['KAFKA_NODE_ID']}@")
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"].lower() == "false"
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == "1"
    assert "kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    check = healthcheck_text(kafka)
    assert "/opt/kafka/bin/kafka-topics.sh" in check and "--list" in check


def test_postgres() -> None:
    postgres = SERVICES["postgres"]
    assert postgres["image"].startswith("postgres:16")
    assert "pg_isready" in healthcheck_text(postgres)
    assert any(str(v).endswith(":/var/lib/postgresql/data") for v in postgres.get("volumes", []))


# ----------------------------------------------------------------------------------------- env file
def test_env_example_documents_every_compose_variable() -> None:
    active, commented = env_example()
    documented = set(active) | set(commented)
    referenced = set(re.findall(r"\b(TRIGGERWATCH_[A-Z0-9_]+)", COMPOSE_FILE.read_text(encoding="utf-8")))
    for name in PROJECT:
        referenced |= {k for k in (SERVICES[name].get("environment") or {}) if k.startswith("TRIGGERWATCH_")}
    referenced |= {k for k in image_env() if k.startswith("TRIGGERWATCH_")}
    assert referenced, "compose references no TRIGGERWATCH_ variable?"
    assert referenced <= documented, f"undocumented: {sorted(referenced - documented)}"


def test_env_example_documents_every_setting() -> None:
    active, commented = env_example()
    missing = settings_variables() - set(active) - set(commented)
    assert not missing, f"add to {ENV_EXAMPLE.name}: {sorted(missing)}"


def test_env_example_is_safe_and_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    active, commented = env_example()
    for secret in SECRETS:
        assert not active.get(secret), f"{secret} must not have a value in the example"
    # As shipped, and with every example value uncommented: every service's settings load.
    for env in (active, {**{k: v for k, v in commented.items() if v}, **active}):
        for cls in ALL_SETTINGS:
            settings = load_with(monkeypatch, cls, env)
            if isinstance(settings, NotifierSettings):
                check_sinks(settings)


# ----------------------------------------------------------------------------------------- the image
def test_dockerfile() -> None:
    assert DOCKERFILE.exists()
    text = DOCKERFILE.read_text(encoding="utf-8")
    final = dockerfile_instructions()
    assert final[0] == ("FROM", "python:3.11-slim")
    entrypoints = [args for instr, args in final if instr == "ENTRYPOINT"]
    assert entrypoints and json.loads(entrypoints[-1]) == ["triggerwatch"]
    users = [args for instr, args in final if instr == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), "run as a non-root user"
    assert re.search(r"^RUN pip install \.$", text, re.MULTILINE), "a regular (non-editable) install"
    assert ("COPY", "deploy/config /app/deploy/config") in final
    env = image_env()
    for var, file in (
        ("TRIGGERWATCH_SOURCES_FILE", "sources.yaml"),
        ("TRIGGERWATCH_RULES_FILE", "rules.yaml"),
    ):
        assert env[var] == f"/app/deploy/config/{file}"
        assert (CONFIG_DIR / file).exists()


def test_dockerignore() -> None:
    entries = {line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines() if line.strip()}
    required = {".venv", ".triggerwatch", "*.db", ".git", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
    assert required <= entries, f"missing: {sorted(required - entries)}"
    assert {"__pycache__", "**/__pycache__"} & entries
    assert {"**/*.env", ENV_FILE} & entries, "the real env file (secrets) must stay out of the image"
