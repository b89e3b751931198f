"""``triggerwatch sources check`` and ``triggerwatch sources discover`` (issue 18)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from triggerwatch.collectors.check import check_sources
from triggerwatch.collectors.discover import companies_to_discover, discover, write_entries
from triggerwatch.collectors.registry import load_sources
from triggerwatch.collectors.service import make_fetcher
from triggerwatch.core.db import Database
from triggerwatch.core.errors import ConfigError
from triggerwatch.core.settings import CollectorSettings, load

sources_app = typer.Typer(no_args_is_help=True, help="Which sources deliver; find your companies' job ads.")
out = Console(width=None if sys.stdout.isatty() else 200)
HELSINKI = ZoneInfo("Europe/Helsinki")


def _local(value: datetime | None) -> str:
    return value.astimezone(HELSINKI).strftime("%Y-%m-%d %H:%M") if value else "—"


def _yes(value: bool | None) -> str:
    return "—" if value is None else ("yes" if value else "[red]no[/]")


@sources_app.command("check")
def check_command(
    offline: Annotated[
        bool, typer.Option("--offline", help="validate each source against its recording")
    ] = False,
    recordings: Annotated[
        Path | None, typer.Option(help="recordings directory (default: the demo's)")
    ] = None,
    sources_file: Annotated[Path | None, typer.Option(help="defaults to settings")] = None,
    store: Annotated[bool, typer.Option(help="store the results for the web ops page")] = True,
) -> None:
    """Fetch every configured source once (enabled or not) and say what came of it; exit 1 when an
    enabled source is dead (unreachable, refused by robots.txt, credentials missing, unparsable)."""
    settings: CollectorSettings = load(CollectorSettings)
    sources = load_sources(sources_file or settings.sources_file, include_disabled=True)
    db = None
    if store:
        db = Database(settings.database.url)
        db.upgrade()
    rec = (
        recordings
        or settings.replay_dir
        or Path(str(resources.files("triggerwatch.demo").joinpath("recordings")))
    )
    now = datetime.now(UTC)
    results = check_sources(sources, settings, db, now=now, offline=offline, recordings=rec)
    table = Table(
        title=f"sources check ({'offline: recordings' if offline else 'live'}), {_local(now)} Helsinki"
    )
    for col in (
        "source",
        "enabled",
        "type",
        "status",
        "reachable",
        "HTTP",
        "robots",
        "items",
        "newest item",
        "licence",
        "credentials missing",
        "next poll",
    ):
        table.add_column(col, overflow="fold")
    for r in results:
        status = f"[red]{r.status}[/]" if r.dead else r.status
        table.add_row(
            r.source,
            "yes" if r.enabled else "no",
            r.type,
            status + (f"\n{r.error[:160]}" if r.error else ""),
            _yes(r.reachable),
            str(r.http_status or "—"),
            _yes(r.robots_allowed),
            str(r.items) + (f" (+{r.dead_letters} bad)" if r.dead_letters else ""),
            _local(r.newest_item_at),
            (r.licence or "—")[:60],
            r.credentials_missing[:80] if r.credentials_missing else "—",
            _local(r.next_poll_at) if r.enabled else "disabled",
        )
    out.print(table)
    dead = [r.source for r in results if r.dead]
    if dead:
        out.print(f"[red]dead enabled sources:[/] {', '.join(dead)}")
        raise typer.Exit(1)
    out.print(f"{sum(r.enabled for r in results)} enabled sources deliver")


@sources_app.command("discover")
def discover_command(
    business_id: Annotated[list[str] | None, typer.Option("--business-id", help="repeatable")] = None,
    target_group: Annotated[str | None, typer.Option(help="every scored company of a target group")] = None,
    out_file: Annotated[Path, typer.Option("--out", help="sources file to append the entries to")] = Path(
        "sources.discovered.yaml"
    ),
    interval: Annotated[float, typer.Option(help="seconds between two requests to one host")] = 10.0,
    cache: Annotated[Path, typer.Option(help="validators and pages for conditional requests")] = Path(
        ".triggerwatch/discover-cache.json"
    ),
    verify: Annotated[bool, typer.Option(help="fetch each found source once")] = True,
) -> None:
    """Find the careers page and ATS of companies (their website from the company register) and write
    a disabled source entry for each to --out, for you to review and enable."""
    if not business_id and not target_group:
        raise ConfigError("give --business-id (repeatable) or --target-group")
    settings: CollectorSettings = load(CollectorSettings)
    db = Database(settings.database.url)
    db.upgrade()
    companies = companies_to_discover(db, business_id or [], target_group)
    http = make_fetcher(settings)
    try:
        found = discover(companies, http, interval_s=interval, cache_file=cache, verify=verify)
    finally:
        http.client.close()
    written = write_entries(out_file, found, datetime.now(UTC))
    for d in found:
        if d.entry is not None:
            items = f", {d.items} ads" if d.items is not None else ""
            evidence = d.find.evidence if d.find else ""
            note = f" ({d.note})" if d.note else ""
            out.print(f"{d.business_id} {d.name}: [green]{d.entry['type']}[/] {evidence}{items}{note}")
        else:
            out.print(f"{d.business_id} {d.name}: [yellow]nothing found[/]: {d.note}")
    out.print(
        f"wrote {len(written)} disabled entries to {out_file}"
        + (f": {', '.join(written)}" if written else "")
    )
