"""``triggerwatch``: one entry point for every service and every operator task."""

from __future__ import annotations

import json
import logging
import shutil
import signal
import sys
import threading
import time
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from triggerwatch.analytics import cli as analytics_cli
from triggerwatch.collectors.sources_cli import sources_app
from triggerwatch.core.errors import ConfigError, TriggerwatchError
from triggerwatch.core.settings import (
    BaseServiceSettings,
    CollectorSettings,
    NotifierSettings,
    RelaySettings,
    WebSettings,
    WorkerSettings,
    load,
)
from triggerwatch.notifier.cli import objections_app, retention_app
from triggerwatch.onboarding.init import init_command
from triggerwatch.registry.cli import app as registry_app
from triggerwatch.scoring import cli as scoring_cli
from triggerwatch.text.cli import link_command
from triggerwatch.web.tokens_cli import tokens_app as _tokens_app

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="triggerwatch: event-driven sales trigger monitor (Finland first).",
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
topics_app = typer.Typer(no_args_is_help=True, help="Kafka topics.")
targets_app = typer.Typer(no_args_is_help=True, help="Companies, target groups and scores.")
app.add_typer(db_app, name="db")
app.add_typer(topics_app, name="topics")
app.add_typer(targets_app, name="targets")
app.add_typer(registry_app, name="registry")
app.add_typer(scoring_cli.customers_app, name="customers")
app.add_typer(scoring_cli.score_app, name="score")
app.command("link")(link_command)
app.add_typer(objections_app, name="objections")
app.add_typer(retention_app, name="retention")
app.add_typer(_tokens_app, name="tokens")
app.add_typer(sources_app, name="sources")
app.command("export")(analytics_cli.export_command)
app.command("backtest")(analytics_cli.backtest_command)
app.command("init")(init_command)

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(), stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("kafka", "aiokafka", "apscheduler.executors", "httpx", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))


def stop_event() -> threading.Event:
    """An event set by SIGTERM or SIGINT."""
    stop = threading.Event()

    def handler(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    return stop


def demo_resource(*parts: str) -> Path:
    return Path(str(resources.files("triggerwatch.demo").joinpath(*parts)))


# --------------------------------------------------------------------------------------- plumbing
@app.command()
def broker(port: Annotated[int | None, typer.Option(help="port on 127.0.0.1")] = None) -> None:
    """Run the embedded Kafka-compatible broker (Tansu) on loopback until Ctrl-C; creates the topics."""
    from triggerwatch.core.broker import EmbeddedBroker

    settings: BaseServiceSettings = load(BaseServiceSettings)
    if port is not None:
        settings = settings.with_overrides(kafka=settings.kafka.model_copy(update={"embedded_port": port}))
    setup_logging(settings.log_level)
    stop = stop_event()
    b = EmbeddedBroker(settings)
    b.start()
    out.print(f"embedded broker listening on {b.bootstrap} (memory only); Ctrl-C stops it")
    try:
        while not stop.wait(0.5):
            if not b.running():
                raise TriggerwatchError("the broker process exited")
    finally:
        b.stop()


@topics_app.command("create")
def topics_create() -> None:
    """Create every topic (idempotent): partitions from settings, the targets topic compacted."""
    from triggerwatch.core.broker import wait_until_answers
    from triggerwatch.core.kafka import ensure_topics

    settings: BaseServiceSettings = load(BaseServiceSettings)
    wait_until_answers(settings.bootstrap_servers, 60)
    created = ensure_topics(settings)
    out.print(f"created: {', '.join(created) or 'nothing (all exist)'}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations (idempotent)."""
    from triggerwatch.core.db import Database

    settings: BaseServiceSettings = load(BaseServiceSettings)
    Database(settings.database.url).upgrade()
    out.print(f"database at head: {settings.database.url.split('@')[-1]}")


@targets_app.command("load")
def targets_load(path: Path) -> None:
    """Load companies, target groups and scores from a YAML/JSON file (format: the demo targets.yaml)."""
    from triggerwatch.core.db import Database
    from triggerwatch.core.targets import load_targets, read_target_file

    settings: BaseServiceSettings = load(BaseServiceSettings)
    db = Database(settings.database.url)
    db.upgrade()
    counts = load_targets(db, read_target_file(path))
    out.print(", ".join(f"{v} {k}" for k, v in counts.items()))


# --------------------------------------------------------------------------------------- sources
@app.command()
def parse(
    source: Annotated[str, typer.Argument(help="a configured source name, or a format (see --help)")],
    file: Path,
    sources_file: Annotated[Path | None, typer.Option(help="defaults to settings")] = None,
) -> None:
    """Print what a recorded payload yields, as JSON lines (dead letters go to stderr).

    SOURCE is either a source of the sources file (its options apply) or one of the registered
    formats listed by ``triggerwatch parse --help``.
    """
    from datetime import UTC, datetime

    from triggerwatch.collectors.base import RawPayload
    from triggerwatch.collectors.formats import PARSE_FORMATS
    from triggerwatch.collectors.registry import load_sources
    from triggerwatch.collectors.runner import RunReport, parse_payloads

    settings: CollectorSettings = load(CollectorSettings)
    sources = load_sources(sources_file or settings.sources_file, include_disabled=True)
    raw = RawPayload(
        source=source, url=None, content=file.read_bytes(), fetched_at=datetime.now(UTC), ref=f"file:{file}"
    )
    report = RunReport(source=source)
    if source in sources:
        records: Any = parse_payloads(sources[source], [raw], report)
    elif source in PARSE_FORMATS:
        records = PARSE_FORMATS[source].parse(raw, report)
    else:
        raise ConfigError(
            f"unknown source or format {source!r}; configured sources: {', '.join(sorted(sources))}; "
            f"formats: {', '.join(sorted(PARSE_FORMATS)) or 'none'}"
        )
    for record in records:
        sys.stdout.write(record.model_dump_json() + "\n")
    for dl in report.dead_letters:
        err.print(json.dumps({"dead_letter": dl.reason, "error_type": dl.error_type}, ensure_ascii=False))
    if report.dead_letters and not report.items:
        raise typer.Exit(1)


@app.command()
def classify(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            help="text files (first line = title), '-' for stdin; with --payload: payload paths or URLs"
        ),
    ] = None,
    payload: Annotated[
        str | None,
        typer.Option(
            help="read INPUTS as recorded payloads of this source or format (see `triggerwatch parse --help`)"
        ),
    ] = None,
    language: Annotated[str | None, typer.Option(help="fi, sv or en (default: detected)")] = None,
    names: Annotated[
        Path | None,
        typer.Option(help="CSV id,name: link subject companies to these (as `triggerwatch link`)"),
    ] = None,
    db: Annotated[bool, typer.Option("--db", help="link subject companies to the company table")] = False,
    sources_file: Annotated[Path | None, typer.Option(help="for --payload with a source name")] = None,
) -> None:
    """Print the triggers of texts or recorded payload items as JSON lines (see docs/classification.md).

    One line per trigger: kind, subject companies with roles (acquirer/target/seller,
    appointed/leaving, subject, employer, buyer, investor), evidence sentence, calibrated confidence,
    rule and attributes; ``"kind": "news"`` for an input without a trigger.
    """
    from triggerwatch.text.cli import classify_text, make_linker, trigger_records, write_records

    linker = make_linker(names, db)
    items = inputs or ["-"]
    if payload is None:
        for item in items:
            text = sys.stdin.read() if item == "-" else _read_input(item).decode("utf-8")
            write_records(classify_text(text, {"input": item}, language, linker))
        return
    from triggerwatch.text.classify import classify_all

    for item in items:
        for event in _payload_items(payload, item, sources_file):
            found = classify_all(event.title, event.summary, language or event.language, linker=linker)
            source = {"input": item, "source_item_id": event.source_item_id, "title": event.title}
            write_records(trigger_records(found, source))


def _read_input(item: str) -> bytes:
    """A path, a file:// URL or an http(s) URL (e.g. a recorded payload served locally)."""
    if item.startswith(("http://", "https://")):
        import httpx

        response = httpx.get(item, timeout=30, follow_redirects=True)
        if response.status_code != 200:
            raise TriggerwatchError(f"{item}: HTTP {response.status_code}")
        return response.content
    path = Path(item[len("file://") :] if item.startswith("file://") else item)
    if not path.is_file():
        raise ConfigError(f"{item}: no such file")
    return path.read_bytes()


def _payload_items(source: str, item: str, sources_file: Path | None) -> list[Any]:
    """The news items of a recorded payload, as the collector of ``source`` parses them (unclassified)."""
    from datetime import UTC, datetime

    from triggerwatch.collectors.base import RawPayload
    from triggerwatch.collectors.formats import PARSE_FORMATS
    from triggerwatch.collectors.registry import load_sources
    from triggerwatch.collectors.runner import RunReport, parse_payloads

    raw = RawPayload(
        source=source, url=None, content=_read_input(item), fetched_at=datetime.now(UTC), ref=item
    )
    report = RunReport(source=source)
    settings: CollectorSettings = load(CollectorSettings)
    sources = load_sources(sources_file or settings.sources_file, include_disabled=True)
    if source in sources:
        config = sources[source].config
        unclassified = config.model_copy(update={"options": {**config.options, "classify": False}})
        from triggerwatch.collectors.registry import build_source

        records: list[Any] = parse_payloads(build_source(unclassified), [raw], report)
    elif source in PARSE_FORMATS:
        records = list(PARSE_FORMATS[source].parse(raw, report))
    else:
        raise ConfigError(f"unknown source or format {source!r}; formats: {', '.join(sorted(PARSE_FORMATS))}")
    for dl in report.dead_letters:
        err.print(json.dumps({"dead_letter": dl.reason, "error_type": dl.error_type}, ensure_ascii=False))
    return [r for r in records if hasattr(r, "title") and hasattr(r, "summary")]


@app.command()
def collect(
    source: str,
    once: Annotated[bool, typer.Option("--once", help="one poll, then exit")] = False,
    replay_dir: Annotated[Path | None, typer.Option(help="replay recordings from here")] = None,
) -> None:
    """Poll one source (``--once``), storing its events and outbox rows."""
    from triggerwatch.collectors.registry import load_sources
    from triggerwatch.collectors.runner import run_once
    from triggerwatch.collectors.service import make_fetcher
    from triggerwatch.core.db import Database

    if not once:
        raise ConfigError("collect runs one poll: pass --once (the scheduler is `triggerwatch collectors`)")
    settings: CollectorSettings = load(CollectorSettings)
    setup_logging(settings.log_level)
    sources = load_sources(settings.sources_file, include_disabled=True)
    if source not in sources:
        raise ConfigError(f"unknown source {source!r}; configured: {', '.join(sorted(sources))}")
    db = Database(settings.database.url)
    db.upgrade()
    replay = replay_dir or settings.replay_dir
    report = run_once(
        sources[source],
        db,
        None if replay else make_fetcher(settings),
        replay_dir=replay,
        replay_time_shift=settings.replay_time_shift,
    )
    out.print(
        f"{source}: {report.items} items, {len(report.new_events)} new events, "
        f"{len(report.dead_letters)} dead letters"
        + (f", error: {report.error}" if report.error else "")
        + (" (not modified)" if report.not_modified and not report.error else "")
    )
    if report.error:
        raise typer.Exit(1)


# --------------------------------------------------------------------------------------- services
@app.command()
def collectors() -> None:
    """Service: poll every enabled source on its schedule (APScheduler)."""
    from triggerwatch.collectors.service import CollectorService
    from triggerwatch.core.db import Database

    settings: CollectorSettings = load(CollectorSettings)
    setup_logging(settings.log_level)
    CollectorService(settings, Database(settings.database.url)).run_forever(stop_event())


@app.command()
def relay() -> None:
    """Service: publish the outbox to Kafka; replay it after a broker loss."""
    from triggerwatch.relay.service import run_relay

    settings: RelaySettings = load(RelaySettings)
    setup_logging(settings.log_level)
    run_relay(settings, stop_event())


@app.command()
def worker() -> None:
    """Service: the Faust stream worker (events → alerts). Scale by running more, up to the partitions."""
    from triggerwatch.core.streams import run_worker
    from triggerwatch.worker.app import create_app

    settings: WorkerSettings = load(WorkerSettings)
    run_worker(create_app(settings), loglevel=settings.log_level)


@app.command()
def notifier() -> None:
    """Service: deliver alerts to console, Slack, email and the CRM webhook."""
    from triggerwatch.core.streams import run_worker
    from triggerwatch.notifier.app import create_app

    settings: NotifierSettings = load(NotifierSettings)
    from triggerwatch.notifier.sinks.table import check_sinks

    check_sinks(settings)
    run_worker(create_app(settings), loglevel=settings.log_level)


@app.command()
def web() -> None:
    """Service: the web UI and API, /health, /ready and /metrics, the silent-source check."""
    import uvicorn

    from triggerwatch.web.app import create_app

    settings: WebSettings = load(WebSettings)
    uvicorn.run(
        create_app(settings),
        host=settings.web_host,
        port=settings.web_port,
        log_level=settings.log_level.lower(),
    )


# --------------------------------------------------------------------------------------- all in one
def _run_pipeline(
    *,
    replay_dir: Path | None,
    targets: Path | None,
    once: bool,
    timeout_s: float,
    run_dir: Path,
    fresh: bool,
) -> None:
    """Run every service. ``up`` (``replay_dir`` None) uses the database every command uses
    (``TRIGGERWATCH_DATABASE__URL``, default ``sqlite:///triggerwatch.db``); the demo, which starts
    afresh each time, has its own under ``run_dir`` unless that variable is set."""
    import os

    from triggerwatch.collectors.registry import load_sources
    from triggerwatch.core.db import Database
    from triggerwatch.core.readiness import readiness
    from triggerwatch.core.targets import load_targets, read_target_file
    from triggerwatch.onboarding.login import demo_login, ui_url, web_ready
    from triggerwatch.onboarding.recordings import check_recordings
    from triggerwatch.supervisor import Supervisor, child_env, drain_status

    demo = replay_dir is not None
    sources = load_sources(load(CollectorSettings).sources_file, replay=demo)
    if replay_dir is not None:
        check_recordings(sources, replay_dir)  # before anything starts or is deleted
    if fresh and run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    overrides: dict[str, str] = {}
    if demo and "TRIGGERWATCH_DATABASE__URL" not in os.environ:
        overrides["TRIGGERWATCH_DATABASE__URL"] = f"sqlite:///{(run_dir / 'triggerwatch.db').resolve()}"
    overrides.setdefault("TRIGGERWATCH_WORKER_DATA_DIR", str(run_dir / "worker"))
    overrides.setdefault("TRIGGERWATCH_NOTIFIER_DATA_DIR", str(run_dir / "notifier"))
    if replay_dir is not None:
        overrides["TRIGGERWATCH_REPLAY_DIR"] = str(replay_dir.resolve())
    env = child_env(overrides)
    os.environ.update(overrides)
    settings: NotifierSettings = load(NotifierSettings)
    from triggerwatch.notifier.sinks.table import check_sinks

    check_sinks(settings)
    setup_logging(settings.log_level)
    db = Database(settings.database.url)
    db.upgrade()
    if demo:
        load_targets(db, read_target_file(targets or demo_resource("targets.yaml")))
    with db.session() as s:
        warning = readiness(s).warning()
    url = ui_url(load(WebSettings))

    stop = stop_event()
    sup = Supervisor(settings, env=env, run_dir=run_dir)
    started = time.monotonic()
    err.print(
        f"[bold]triggerwatch[/] {'demo (replaying recorded payloads)' if demo else 'up'}: "
        f"{len(sources)} sources, sinks {', '.join(settings.sinks)}; database "
        f"{settings.database.url.split('@')[-1]}; logs in {run_dir / 'logs'}"
    )
    if warning:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False)
    sup.start()
    if sup.broker:
        err.print(f"embedded broker on {sup.broker.bootstrap}")
    announced = False

    def announce() -> None:
        if demo:
            err.print(
                f"[bold]web UI:[/] {url}  log in with this token: {demo_login(db)}\n"
                f"  (the demo's database; other commands use it with "
                f"TRIGGERWATCH_DATABASE__URL={settings.database.url})",
                highlight=False,
            )
        else:
            err.print(
                f"[bold]web UI:[/] {url}  log in with a token from "
                "`triggerwatch tokens create --role admin --name you@example.fi`",
                highlight=False,
            )

    try:
        while not stop.wait(0.25):
            sup.tick()
            if not announced and web_ready(url):
                announce()
                announced = True
            if not once:
                continue
            status = drain_status(db)
            if status.alerts and status.drained(len(sources), len(settings.sinks)):
                if not announced:  # --once: the login is part of what a run prints
                    while time.monotonic() - started < timeout_s and not stop.wait(0.1):
                        if web_ready(url):
                            announce()
                            break
                err.print(
                    f"drained in {time.monotonic() - started:.1f}s: {status.events} events, "
                    f"{status.alerts} alerts, {status.delivered} deliveries"
                )
                if status.delivered == 0:
                    raise typer.Exit(1)
                return
            if time.monotonic() - started > timeout_s:
                err.print(f"[red]not drained within {timeout_s:.0f}s[/]: {status}")
                raise typer.Exit(1)
    finally:
        sup.stop()


@app.command()
def up(
    once: Annotated[bool, typer.Option("--once", help="exit when every source has run and drained")] = False,
    timeout: float = 600.0,
    run_dir: Path = Path(".triggerwatch/up"),
) -> None:
    """Run everything locally against the live sources (embedded broker unless KAFKA_BOOTSTRAP_SERVERS),
    on the database every command uses; says so at start when there are no scores to alert on."""
    _run_pipeline(replay_dir=None, targets=None, once=once, timeout_s=timeout, run_dir=run_dir, fresh=False)


@app.command()
def demo(
    once: Annotated[bool, typer.Option("--once", help="exit 0 once the replay has drained")] = False,
    timeout: float = 90.0,
    run_dir: Path = Path(".triggerwatch/demo"),
    recordings: Annotated[
        Path | None,
        typer.Option(help="replay your own recordings from here (each enabled source's replay_file)"),
    ] = None,
    targets: Annotated[
        Path | None, typer.Option(help="companies, target groups and scores to match (default: the demo's)")
    ] = None,
) -> None:
    """Run everything locally, replaying recorded real payloads; prints each alert as it is delivered,
    and the web UI's address with a login once it answers. Its database is its own, made afresh."""
    _run_pipeline(
        replay_dir=recordings or demo_resource("recordings"),
        targets=targets,
        once=once,
        timeout_s=timeout,
        run_dir=run_dir,
        fresh=True,
    )


def main() -> None:
    try:
        app()
    except ConfigError as exc:
        err.print(f"[red]configuration error:[/] {exc}")
        sys.exit(2)
    except TriggerwatchError as exc:
        err.print(f"[red]error:[/] {exc}")
        sys.exit(1)


if __name__ == "__main__":
    main()
