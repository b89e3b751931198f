"""``triggerwatch export`` and ``triggerwatch backtest`` (registered in ``triggerwatch.cli``)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from triggerwatch.analytics.export import VIEWS, Format
from triggerwatch.core.errors import ConfigError

err = Console(stderr=True, soft_wrap=True)
What = StrEnum("What", {name.upper().replace("-", "_"): name for name in VIEWS})  # type: ignore[misc]
HELSINKI = ZoneInfo("Europe/Helsinki")


def _db() -> object:
    from triggerwatch.core.db import Database
    from triggerwatch.core.settings import BaseServiceSettings, load

    settings: BaseServiceSettings = load(BaseServiceSettings)
    db = Database(settings.database.url)
    db.upgrade()  # the views are a migration
    return db


def parse_when(value: str, *, end: bool = False) -> datetime:
    """``2026-11-01`` (local midnight; with ``end`` the midnight after) or an ISO date and time;
    a time without a zone is Europe/Helsinki time."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value) + timedelta(days=1 if end else 0)
            return datetime.combine(day, time(0), tzinfo=HELSINKI)
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(f"not a date or an ISO date and time: {value!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=HELSINKI)


def export_command(
    what: Annotated[What, typer.Option("--what", help="what to export")],  # type: ignore[valid-type]
    fmt: Annotated[
        Format, typer.Option("--format", help="csv (Excel), parquet (Power BI) or xlsx")
    ] = Format.CSV,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="file to write (default triggerwatch-WHAT.FORMAT; '-': stdout)"),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="only rows from this date or time on (Europe/Helsinki unless given)")
    ] = None,
    delimiter: Annotated[str, typer.Option(help="CSV delimiter: ',' or ';' (Finnish Excel)")] = ",",
    decimal: Annotated[str, typer.Option(help="CSV decimal mark: '.' or ',' (Finnish Excel)")] = ".",
    timezone: Annotated[str, typer.Option(help="time zone of times in CSV and xlsx")] = "Europe/Helsinki",
) -> None:
    """Export alerts, events, scores, target groups, feedback or deliveries for Power BI or Excel.

    Reads the read-only analytics views (docs/analytics.md). CSV is UTF-8 with a byte-order mark;
    for Finnish Excel use --delimiter ';' --decimal ','. Companies and people in the objection
    register are left out.
    """
    from triggerwatch.analytics.export import read, write

    if delimiter not in (",", ";", "\t") or decimal not in (".", ","):
        raise ConfigError("--delimiter is one of ',' ';' or a tab, --decimal '.' or ','")
    try:
        ZoneInfo(timezone)
    except Exception as exc:
        raise ConfigError(f"unknown time zone {timezone!r}") from exc
    name = str(what.value)
    export = read(_db(), name, parse_when(since) if since else None)  # type: ignore[arg-type]
    target = None if out is not None and str(out) == "-" else out or Path(f"triggerwatch-{name}.{fmt.value}")
    try:
        written = write(export, fmt, target, delimiter=delimiter, decimal=decimal, timezone=timezone)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    note = f"; {export.withheld} alert(s) left out for an objection" if export.withheld else ""
    where = f" to {written}" if written else ""
    err.print(f"exported {len(export.rows)} {name} rows{where}{note}")


def backtest_command(
    start: Annotated[str, typer.Option("--from", help="first day (or ISO time), Europe/Helsinki")],
    end: Annotated[str, typer.Option("--to", help="last day, inclusive (or an ISO time, exclusive)")],
    rules: Annotated[
        Path | None, typer.Option(help="a proposed rules file, compared with the rules in force")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(help="a stored scoring run's id: its models' scores instead of the published"),
    ] = None,
    recordings: Annotated[
        Path | None,
        typer.Option(help="replay recordings from here (sources' replay_file) instead of stored events"),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="the HTML report; the JSON is written beside it")] = Path(
        "backtest.html"
    ),
) -> None:
    """Replay stored events (or recordings) through the rules and model in force and a proposal,
    without delivering anything: alerts per rep and week, per kind and product group, the share
    reps marked useful, and the difference. Writes an HTML report and JSON."""
    import json
    import sys

    from triggerwatch.analytics.backtest import Scenario, run, summary
    from triggerwatch.analytics.backtest_report import render
    from triggerwatch.core.rules import load_rules
    from triggerwatch.core.settings import CollectorSettings, WorkerSettings, load

    worker: WorkerSettings = load(WorkerSettings)
    in_force = Scenario("in_force", load_rules(worker.rules_file), str(worker.rules_file))
    proposed = None
    if rules is not None or model is not None:
        proposed = Scenario(
            "proposed",
            load_rules(rules) if rules else in_force.rules,
            str(rules or worker.rules_file),
            model_run=model,
        )
    result = run(
        _db(),  # type: ignore[arg-type]
        parse_when(start),
        parse_when(end, end=True),
        in_force,
        proposed,
        recordings=recordings,
        sources_file=load(CollectorSettings).sources_file,
    )
    data = summary(result)
    out.with_suffix(".json").write_text(
        json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    render(data, out)
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    err.print(f"wrote {out} and {out.with_suffix('.json')}; nothing was delivered")
