"""Real parts for end-to-end tests: service processes, stub Slack/CRM HTTP servers, an SMTP server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import free_port
from triggerwatch.core.broker import EmbeddedBroker

CRM_SECRETS = ["crm-secret-new-0123456789abcdef", "crm-secret-old-fedcba9876543210"]


def wait_for(predicate: Callable[[], Any], timeout_s: float, what: str, interval_s: float = 0.2) -> Any:
    """Poll a condition on observable state until it holds; fail with ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what} (last: {last!r})")


@dataclass
class HttpStub:
    """A local HTTP server recording every POST; answers 200 unless ``responder`` says otherwise."""

    name: str
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    responder: Callable[[dict[str, str], bytes], int] | None = None
    server: ThreadingHTTPServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/{self.name}"

    def start(self) -> None:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = stub.responder(headers, body) if stub.responder else 200
                if status < 300:
                    with stub.lock:
                        stub.requests.append((headers, body))
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"error")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def json_bodies(self) -> list[Any]:
        with self.lock:
            return [json.loads(b) for _, b in self.requests]


class SmtpCollector:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def slack_stub() -> Iterator[HttpStub]:
    stub = HttpStub("slack")
    stub.start()
    yield stub
    stub.stop()


@pytest.fixture
def crm_stub() -> Iterator[HttpStub]:
    from triggerwatch.notifier.sinks.crm import verify_signature

    stub = HttpStub("crm")

    def verify(headers: dict[str, str], body: bytes) -> int:
        ok = verify_signature(
            body,
            headers.get("x-triggerwatch-timestamp", ""),
            headers.get("x-triggerwatch-signature", ""),
            [CRM_SECRETS[1]],
            now=time.time(),
        )
        return 200 if ok and headers.get("idempotency-key") else 401

    stub.responder = verify  # the receiver knows only the *old* secret: rotation must still verify
    stub.start()
    yield stub
    stub.stop()


@pytest.fixture
def smtp_server() -> Iterator[tuple[SmtpCollector, int]]:
    handler = SmtpCollector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


class Services:
    """Starts ``triggerwatch <service>`` processes with one environment; SIGKILLs on demand."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.starts: dict[str, int] = {}

    def start(self, name: str) -> subprocess.Popen[bytes]:
        n = self.starts[name] = self.starts.get(name, 0) + 1
        log = (self.log_dir / f"{name}.{n}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "triggerwatch.cli", name],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[name] = proc
        return proc

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def alive(self, name: str) -> bool:
        proc = self.procs.get(name)
        return proc is not None and proc.poll() is None

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.log_dir.glob("*.log"))
        )

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs.clear()


@pytest.fixture
def services_env(
    tmp_path: Path,
    embedded_broker: EmbeddedBroker,
    slack_stub: HttpStub,
    crm_stub: HttpStub,
    smtp_server: tuple[SmtpCollector, int],
) -> dict[str, str]:
    _, smtp_port = smtp_server
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIGGERWATCH_")}
    env.update(
        {
            "KAFKA_BOOTSTRAP_SERVERS": embedded_broker.bootstrap,
            "TRIGGERWATCH_KAFKA__EMBEDDED_PORT": str(embedded_broker.port),
            "TRIGGERWATCH_SINKS": json.dumps(["console", "slack", "email", "crm"]),
            "TRIGGERWATCH_SLACK_WEBHOOK_URL": slack_stub.url,
            "TRIGGERWATCH_SLACK_MIN_INTERVAL_S": "0",
            "TRIGGERWATCH_SMTP_HOST": "127.0.0.1",
            "TRIGGERWATCH_SMTP_PORT": str(smtp_port),
            "TRIGGERWATCH_EMAIL_TO": json.dumps(["rep@example.fi"]),
            "TRIGGERWATCH_CRM_WEBHOOK_URL": crm_stub.url,
            "TRIGGERWATCH_CRM_WEBHOOK_SECRETS": json.dumps(CRM_SECRETS),
            "TRIGGERWATCH_WORKER_PORT": str(free_port()),
            "TRIGGERWATCH_NOTIFIER_PORT": str(free_port()),
            "TRIGGERWATCH_WORKER_DATA_DIR": str(tmp_path / "worker"),
            "TRIGGERWATCH_NOTIFIER_DATA_DIR": str(tmp_path / "notifier"),
            "TRIGGERWATCH_POLL_INTERVAL_S": "0.1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@pytest.fixture
def services(services_env: dict[str, str], tmp_path: Path) -> Iterator[Services]:
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    svc = Services(services_env, log_dir)
    yield svc
    svc.stop_all()
