"""``triggerwatch init``: from an empty database to scores the pipeline can alert on, step by step.

1. the database (migrated; the one every command uses: ``TRIGGERWATCH_DATABASE__URL``);
2. the company register (``--registry`` URL or file: PRH's YTJ bulk data, as ``registry load``);
3. the customers (``--customers`` CSV or Excel, as ``customers import``);
4. the lookalike models trained, the scores published (as ``score train``);
5. the sources: the command that checks them.

Each run does what it can with what it is given and what the database already holds, and ends by
telling the next step; run it again with the next input. Nothing is done twice unless asked
(``--retrain``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from triggerwatch.core.db import Database
from triggerwatch.core.readiness import Readiness, readiness
from triggerwatch.core.settings import CollectorSettings, load

out = Console(soft_wrap=True)
ALL_COMPANIES_URL = "https://avoindata.prh.fi/opendata-ytj-api/v3/all_companies"


def _state(db: Database) -> Readiness:
    with db.session() as s:
        return readiness(s)


def _next(step: str) -> None:
    out.print(f"\n[bold]Next:[/] {step}", highlight=False)


def init_command(
    registry: Annotated[
        str | None,
        typer.Option(help=f"company register to load: a file or URL, e.g. {ALL_COMPANIES_URL}"),
    ] = None,
    customers: Annotated[
        Path | None, typer.Option(help="your customers, CSV or Excel (format: docs/scoring.md)")
    ] = None,
    retrain: Annotated[bool, typer.Option(help="train and publish again although scores exist")] = False,
    seed: Annotated[int, typer.Option(help="seed of the train/test split")] = 0,
    offline_sources: Annotated[
        bool, typer.Option("--offline-sources", help="check the sources against their recordings only")
    ] = False,
) -> None:
    """Set up a real installation: company register → customers → scores → sources, one step at a
    time, telling you the next step at each point (run it again with what it asks for)."""
    settings: CollectorSettings = load(CollectorSettings)
    db = Database(settings.database.url)
    db.upgrade()
    out.print(f"[bold]1. database[/] {settings.database.url.split('@')[-1]} (migrated)", highlight=False)

    if registry is not None:
        from triggerwatch.registry.cli import load_cmd

        out.print(f"[bold]2. company register[/] loading {registry}", highlight=False)
        load_cmd(source=registry, batch_size=2000, no_events=True)
    state = _state(db)
    if not state.companies:
        out.print("[bold]2. company register[/] empty")
        _next(
            f"load the register: triggerwatch init --registry {ALL_COMPANIES_URL}\n"
            "      (PRH's open data, CC BY 4.0; or a downloaded file of it)"
        )
        return
    out.print(f"[bold]2. company register[/] {state.companies} companies")

    imported = False
    if customers is not None:
        from triggerwatch.scoring.publish import import_customers

        result = import_customers(db, customers)
        report = result.report()
        bad_rows = len({i.row for i in result.errors})
        out.print(
            f"[bold]3. customers[/] imported from {customers}"
            + (
                f"; {bad_rows} row(s) not imported (see `triggerwatch customers import` for each)"
                if bad_rows
                else ""
            ),
            highlight=False,
        )
        imported = bool(report)
        state = _state(db)
    if not state.customers:
        out.print("[bold]3. customers[/] none")
        _next(
            "import your customers: triggerwatch init --customers customers.csv\n"
            "      (business ID, product group, revenue, gross margin; docs/scoring.md)"
        )
        return
    out.print(f"[bold]3. customers[/] {state.customers} customer rows (business ID × product group)")

    if state.scores and not (imported or retrain):
        out.print(f"[bold]4. scores[/] {state.scores} published already (--retrain trains again)")
    else:
        _train(db, seed)
        state = _state(db)
    if not state.can_alert:
        _next(
            "no model beat its baseline, so nothing was published: add customers (more rows, order "
            "lines), then run triggerwatch init --retrain; docs/scoring.md explains the verdicts"
        )
        return

    _sources_step(settings, db, offline=offline_sources)
    _next(
        f"make up (or triggerwatch up): the pipeline alerts on the {state.scores} scored companies.\n"
        "      The web UI is at http://127.0.0.1:8000/; log in with a token from "
        "triggerwatch tokens create --role admin --name you@example.fi"
    )


def _train(db: Database, seed: int) -> None:
    from triggerwatch.scoring.features import default_codes
    from triggerwatch.scoring.publish import dataset_from_db, store
    from triggerwatch.scoring.targets import run

    codes = default_codes()
    data = dataset_from_db(db, codes)
    with out.status("4. training one lookalike model per product group"):
        result = run(data, codes, seed=seed)
    counts = store(db, result, data)
    for pg, model in sorted(result.models.items()):
        out.print(f"[bold]4. scores[/] {pg}: {model.verdict()}", highlight=False)
    for pg, why in sorted(result.refused.items()):
        out.print(f"[bold]4. scores[/] {pg}: not trained: {why}", highlight=False)
    published = counts.get("published_product_groups") or []
    out.print(
        f"[bold]4. scores[/] published for {', '.join(published) or 'no product group'}", highlight=False
    )


def _sources_step(settings: CollectorSettings, db: Database, *, offline: bool) -> None:
    """Fetch each enabled source once (``offline``: validate it against its recording), store the
    results for the ops page, and say which deliver."""
    from datetime import UTC, datetime
    from importlib import resources
    from pathlib import Path

    from triggerwatch.collectors.check import check_sources
    from triggerwatch.collectors.registry import load_sources

    sources: dict[str, Any] = load_sources(settings.sources_file)
    recordings = settings.replay_dir or Path(str(resources.files("triggerwatch.demo").joinpath("recordings")))
    how = "against their recordings" if offline else "one fetch each"
    with out.status(f"5. checking the {len(sources)} enabled sources ({how})"):
        results = check_sources(
            sources, settings, db, now=datetime.now(UTC), offline=offline, recordings=recordings
        )
    dead = [r for r in results if r.dead]
    out.print(
        f"[bold]5. sources[/] {len(results) - len(dead)} of {len(results)} enabled sources in "
        f"{settings.sources_file} deliver ({how})",
        highlight=False,
    )
    for r in dead:
        out.print(
            f"   [red]{r.source}[/]: {r.status} {r.error or r.credentials_missing or ''}", highlight=False
        )
    if dead:
        out.print(
            "   fix or disable them in the sources file; triggerwatch sources check shows every source",
            highlight=False,
        )
