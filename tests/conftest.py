"""Shared fixtures: real SQLite and PostgreSQL databases, the embedded broker, free ports."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest
import sqlalchemy as sa

from triggerwatch.core.broker import EmbeddedBroker
from triggerwatch.core.db import Database
from triggerwatch.core.settings import BaseServiceSettings, KafkaSettings

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"


def package_file(package: str, *parts: str) -> Path:
    """A file shipped inside the installed package (package data), as a filesystem path."""
    return Path(str(resources.files(package).joinpath(*parts)))


RECORDINGS = package_file("triggerwatch.demo", "recordings")
PG_ADMIN_URL = os.environ.get(
    "TRIGGERWATCH_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


TRIGGERWATCH = [sys.executable, "-m", "triggerwatch.cli"]


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any TRIGGERWATCH_ / KAFKA_ setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRIGGERWATCH_", "KAFKA_"))}
    env.update(extra)
    return env


@dataclass(frozen=True)
class DemoRun:
    result: subprocess.CompletedProcess[str]
    run_dir: Path
    elapsed_s: float


@pytest.fixture(scope="session")
def demo_once(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """One real ``triggerwatch demo --once`` run (embedded broker, every service, the shipped
    recordings), shared by the tests that read its output, database or metrics."""
    cwd = tmp_path_factory.mktemp("demo-once")
    env = clean_env(
        TRIGGERWATCH_KAFKA__EMBEDDED_PORT=str(free_port()),
        TRIGGERWATCH_WORKER_PORT=str(free_port()),
        TRIGGERWATCH_NOTIFIER_PORT=str(free_port()),
        TRIGGERWATCH_WEB_PORT=str(free_port()),
    )
    run_dir = cwd / "demo"
    started = time.monotonic()
    result = subprocess.run(
        [*TRIGGERWATCH, "demo", "--once", "--run-dir", str(run_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
        cwd=cwd,
    )
    return DemoRun(result, run_dir, time.monotonic() - started)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to the newest revision once per session; tests get copies."""
    path = tmp_path_factory.mktemp("sqlite-template") / "triggerwatch.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    db.dispose()
    return path


@pytest.fixture
def sqlite_db(tmp_path: Path, _sqlite_template: Path) -> Iterator[Database]:
    path = tmp_path / "triggerwatch.db"
    shutil.copyfile(_sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    db.upgrade()  # a no-op on the copy; kept so a test sees exactly what a service sees at start
    yield db
    db.dispose()


def _pg_available() -> bool:
    try:
        engine = sa.create_engine(PG_ADMIN_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


def _require_pg() -> None:
    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL} (CI must have it)")
        pytest.skip("PostgreSQL not reachable")


def _pg_database(template: str | None = None) -> Iterator[str]:
    """Create a PostgreSQL database (a copy of ``template`` when given), yield its URL, drop it."""
    name = f"tw_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as c:
            c.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    _require_pg()
    yield from _pg_database()


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    """A PostgreSQL database migrated to the newest revision once per session (the template each
    ``pg_db`` is copied from: CREATE DATABASE … TEMPLATE takes milliseconds, migrations seconds)."""
    _require_pg()
    for url in _pg_database():
        db = Database(url)
        db.upgrade()
        db.dispose()
        yield url.rsplit("/", 1)[1]


@pytest.fixture
def pg_db(_pg_template: str) -> Iterator[Database]:
    for url in _pg_database(template=_pg_template):
        db = Database(url)
        db.upgrade()  # a no-op on the copy
        yield db
        db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest) -> Database:
    """Runs the test on SQLite and on PostgreSQL."""
    fixture = "sqlite_db" if request.param == "sqlite" else "pg_db"
    database: Database = request.getfixturevalue(fixture)
    return database


def broker_settings(port: int, **kafka: object) -> BaseServiceSettings:
    return BaseServiceSettings(
        kafka_bootstrap_servers=f"127.0.0.1:{port}", kafka=KafkaSettings(embedded_port=port, **kafka)
    )  # type: ignore[arg-type]


@pytest.fixture
def embedded_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    """A fresh, memory-only embedded broker on a free loopback port, topics created."""
    port = free_port()
    broker = EmbeddedBroker(broker_settings(port), log_path=tmp_path / "broker.log")
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """One migrated database per test module and backend (SQLite, then PostgreSQL), for tests that
    keep out of each other's way (their own source names, keys, ids): a fresh PostgreSQL database
    costs seconds, so a module of small tests shares one."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path_factory.mktemp('module-db') / 'triggerwatch.db'}")
        db.upgrade()
        yield db
        db.dispose()
        return
    if not _pg_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL} (CI must have it)")
        pytest.skip("PostgreSQL not reachable")
    name = f"tw_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    db = Database(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    db.upgrade()
    try:
        yield db
    finally:
        db.dispose()
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
