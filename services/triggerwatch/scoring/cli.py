"""``triggerwatch customers import`` and ``triggerwatch score train|evaluate|report|export``."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

customers_app = typer.Typer(no_args_is_help=True, help="Customer data (who buys what, how profitably).")
score_app = typer.Typer(no_args_is_help=True, help="Lookalike models, target groups and prospect scores.")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

SeedOpt = Annotated[int, typer.Option(help="seed of the train/test split and cross-validation")]
TopOpt = Annotated[float, typer.Option(help="a good buyer = this top share of a group's buyers by --label")]
LabelOpt = Annotated[
    str,
    typer.Option(
        help="what makes a buyer good: margin_rate (default: chosen by cross-validated AUC, see "
        "docs/scoring.md), margin, margin_per_year or combined"
    ),
]


@contextmanager
def progress(description: str, total: int | None) -> Iterator[Any]:
    """A Rich progress bar on stderr; yields ``advance()``."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)


def _db() -> Any:
    from triggerwatch.core.db import Database
    from triggerwatch.core.settings import BaseServiceSettings, load

    settings: BaseServiceSettings = load(BaseServiceSettings)
    db = Database(settings.database.url)
    db.upgrade()
    return db


def _label(label: str) -> str:
    from triggerwatch.scoring.labels import LABELS

    if label not in LABELS:
        raise typer.BadParameter(f"{label!r}: choose one of {', '.join(LABELS)}", param_hint="--label")
    return label


def _file_dataset(customers: Path, companies: Path, codes: Any) -> Any:
    from triggerwatch.scoring.customers import read_customers
    from triggerwatch.scoring.features import read_companies_jsonl
    from triggerwatch.scoring.targets import Dataset

    features, problems = read_companies_jsonl(companies, codes)
    for p in problems:
        err.print(f"[yellow]{companies}: {p}[/]")
    with progress(f"reading {customers.name}", None) as advance:
        imported = read_customers(customers, set(features.index), advance)
    for issue in imported.issues:
        err.print(f"[yellow]{customers}: row {issue.row}: {issue.severity} {issue.code}: {issue.message}[/]")
    return Dataset(features, imported.customers(), imported.orders())


def _train(data: Any, codes: Any, seed: int, top_share: float, label: str = "margin_rate") -> Any:
    from triggerwatch.scoring.targets import run

    n = data.customers["product_group"].nunique()
    with progress("training and scoring per product group", 2 * n) as advance:
        return run(data, codes, seed=seed, top_share=top_share, label=_label(label), progress=advance)


@customers_app.command("import")
def customers_import(file: Path) -> None:
    """Import customers from CSV (any encoding, `,` `;` or tab; English or Finnish headers) or
    Excel; prints the per-row validation report as JSON. Needs the company registry loaded first
    (`triggerwatch registry load`); exits 1 when no row could be imported."""
    from triggerwatch.core.errors import ConfigError
    from triggerwatch.scoring.publish import import_customers

    try:
        with progress(f"importing {file.name}", None) as advance:
            result = import_customers(_db(), file, advance)
    except ConfigError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    out.print_json(json.dumps(result.report(), ensure_ascii=False))
    if result.errors:
        err.print(f"[yellow]{len({i.row for i in result.errors})} row(s) not imported: see issues[/]")
    if not result.lines:
        err.print(f"[red]error:[/] no row of {file} could be imported ({result.rows_read} read)")
        raise typer.Exit(1)


@score_app.command("evaluate")
def score_evaluate(
    customers: Annotated[Path, typer.Option(help="customers CSV/Excel")],
    companies: Annotated[Path, typer.Option(help="YTJ v3 company records, one JSON object per line")],
    seed: SeedOpt = 0,
    top_share: TopOpt = 0.2,
    label: LabelOpt = "margin_rate",
    top: Annotated[int, typer.Option(help="target groups listed per product group")] = 5,
) -> None:
    """The whole offline pipeline on files (no database, no broker): prints held-out metrics and
    the top target groups per product group as JSON."""
    from triggerwatch.scoring.features import default_codes
    from triggerwatch.scoring.targets import evaluation

    codes = default_codes()
    data = _file_dataset(customers, companies, codes)
    result = _train(data, codes, seed, top_share, label)
    sys.stdout.write(json.dumps(evaluation(result, top), ensure_ascii=False, indent=2, default=str) + "\n")
    _exit_if_nothing_trained(result)


def _exit_if_nothing_trained(result: Any) -> None:
    for pg, why in result.refused.items():
        err.print(f"[yellow]{pg}: not trained: {why}[/]")
    if not result.models:
        err.print("[red]error:[/] no product group has enough data to train and validate a model")
        raise typer.Exit(1)


@score_app.command("synthetic")
def score_synthetic(
    directory: Path,
    companies: Annotated[int, typer.Option(help="companies (YTJ v3 records)")] = 3000,
    customers: Annotated[int, typer.Option(help="of which customers")] = 1500,
    seed: SeedOpt = 7,
    random_labels: Annotated[bool, typer.Option(help="margins independent of the company")] = False,
) -> None:
    """Write a synthetic demo dataset (customers.csv, companies.jsonl) with a planted profitable
    segment: TOL K x Uusimaa for product group it-services."""
    from triggerwatch.scoring import synthetic
    from triggerwatch.scoring.features import default_codes

    spec = synthetic.Spec(companies=companies, customers=customers, seed=seed, random_labels=random_labels)
    paths = synthetic.write_dataset(directory, default_codes(), spec)
    out.print("wrote " + ", ".join(str(p) for p in paths))


@score_app.command("train")
def score_train(
    seed: SeedOpt = 0,
    top_share: TopOpt = 0.2,
    label: LabelOpt = "margin_rate",
    publish_all: Annotated[
        bool, typer.Option(help="also publish models not better than the baseline")
    ] = False,
) -> None:
    """Train on the imported customers, score every non-customer company, store target groups and
    scores, and queue them for the targets topic."""
    from triggerwatch.scoring.features import default_codes
    from triggerwatch.scoring.publish import dataset_from_db, store
    from triggerwatch.scoring.targets import evaluation

    db = _db()
    codes = default_codes()
    data = dataset_from_db(db, codes)
    _require_data(data)
    result = _train(data, codes, seed, top_share, label)
    counts = store(db, result, data, only_better=not publish_all)
    summary = evaluation(result, 3)
    summary["stored"] = counts
    sys.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2, default=str) + "\n")
    _exit_if_nothing_trained(result)


def _require_data(data: Any) -> None:
    """Name the missing step instead of training on nothing."""
    from triggerwatch.scoring.publish import REGISTRY_FIRST

    if data.features.empty:
        err.print(f"[red]error:[/] nothing to train on: {REGISTRY_FIRST}")
        raise typer.Exit(1)
    if data.customers.empty:
        err.print(
            "[red]error:[/] nothing to train on: no customers imported yet — import the customer file "
            "first with `triggerwatch customers import customers.csv` (business ID, product group, "
            "revenue, gross margin per row)"
        )
        raise typer.Exit(1)


@score_app.command("report")
def score_report(
    out_file: Annotated[Path, typer.Option("--out", help="HTML file to write")] = Path("scoring-report.html"),
    customers: Annotated[Path | None, typer.Option(help="customers file (default: the database)")] = None,
    companies: Annotated[Path | None, typer.Option(help="YTJ v3 JSON lines (default: the database)")] = None,
    seed: SeedOpt = 0,
    top_share: TopOpt = 0.2,
    label: LabelOpt = "margin_rate",
) -> None:
    """Write the HTML report: verdict, both models against the baseline, lift per decile, score
    distribution, segments, the readable tree, and existing customers' offers and lifetime values."""
    from triggerwatch.scoring.features import default_codes
    from triggerwatch.scoring.report import render

    codes = default_codes()
    feedback: list[Any] = []
    if customers is not None and companies is not None:
        data = _file_dataset(customers, companies, codes)
    else:
        from triggerwatch.core.feedback import feedback_precision
        from triggerwatch.scoring.publish import dataset_from_db

        db = _db()
        data = dataset_from_db(db, codes)
        _require_data(data)
        with db.session() as session:
            feedback = feedback_precision(session)  # reps' verdicts on the alerts these scores made
    result = _train(data, codes, seed, top_share, label)
    with progress("rendering the report", len(result.models)) as advance:
        render(result, data, out_file, progress=advance, feedback=feedback)
    out.print(f"wrote {out_file}")


@score_app.command("export")
def score_export(
    out_file: Annotated[Path, typer.Option("--out", help="CSV file (default: standard output)")] = Path("-"),
    customers: Annotated[
        bool,
        typer.Option(
            "--customers",
            help="existing customers: lifetime value and cross-sell offers instead of prospects",
        ),
    ] = False,
    rules_file: Annotated[
        Path | None, typer.Option("--rules", help="rules file whose routing names the owner rep")
    ] = None,
) -> None:
    """Export a rep list as CSV: prospects' scores (company name, region, owner rep, product group,
    offer rank per company, score, rule path), or with --customers existing customers' lifetime
    values and next-best-offers."""
    from triggerwatch.core.spreadsheet import safe_cell
    from triggerwatch.scoring.publish import export_customers, export_scores

    frame = (export_customers if customers else export_scores)(_db(), _owner_of(rules_file))
    frame = frame.map(safe_cell)  # no cell may start a spreadsheet formula
    if str(out_file) == "-":
        frame.to_csv(sys.stdout, index=False)
    else:
        frame.to_csv(out_file, index=False)
        out.print(f"wrote {len(frame)} rows to {out_file}")


def _owner_of(rules_file: Path | None) -> Any:
    """The owner rep of a row by the rules file's routing (CRM mapping, territory, product group)."""
    from triggerwatch.core.rules import load_rules
    from triggerwatch.core.settings import WorkerSettings, load

    path = rules_file or load(WorkerSettings).rules_file
    if not path.exists():
        return None
    routing = load_rules(path).routing

    def owner_of(
        product_group: str, region: str | None, business_id: str, industry: str | None
    ) -> str | None:
        return routing.owner(product_group, region, business_id=business_id, industry_code=industry)

    return owner_of
