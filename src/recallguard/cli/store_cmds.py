"""The stateful commands on the shared store: ``recalls import|sync``, ``listings import|reindex``, ``scan``,
``matches export`` and ``status``. All take ``--database-url`` (or ``RECALLGUARD_DATABASE_URL``).

Import commands exit 0 when every record loaded, 1 when some were quarantined (the rest loaded),
2 on usage errors or unreadable input.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from recallguard.settings import Settings, help_for, load_settings

if TYPE_CHECKING:  # the store and the services load with the command that needs them: a quick --help
    from recallguard.service.importers import ImportReport
    from recallguard.store import Store

MATCH_COLUMNS = ("listing_id", "recall_number", "score", "decision", "evidence")
err = Console(stderr=True)
out = Console()

recalls_app = typer.Typer(
    help="Recalls in the store: import a file, sync the live CPSC feed.", no_args_is_help=True
)
listings_app = typer.Typer(help="Listings in the store.", no_args_is_help=True)
matches_app = typer.Typer(help="Matches in the store.", no_args_is_help=True)

FULL_GC_EVERY = 100  # middle-generation collections per full one in a command (Python's default: 10)
DbOpt = typer.Option(None, "--database-url", help=help_for("database_url"), show_default=False)


def _open(database_url: str | None, bank: str = "now") -> tuple[Store, Settings]:
    """The store and settings of a command. ``bank``: when the fingerprint bank (which screening here
    checks too) is loaded — ``now``; ``on_demand``, when a screener first asks for it (the command builds
    its screener outside any write transaction: loading repairs the bank in transactions of its own);
    ``never``, for commands that screen nothing.

    A command holds a large working set that lives until it exits (the bank, the matcher's index):
    Python's full collections, every 10th middle one by default, would walk all of it and free little
    (~0.2 s of a 4.5 s scan against 8,600 removed listings); here one in ``FULL_GC_EVERY`` runs."""
    import gc

    from recallguard.service.bank import open_bank, open_bank_on_demand
    from recallguard.store import Store

    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_GC_EVERY)
    settings = load_settings(database_url=database_url)
    store = Store(settings.database_url, echo=settings.sql_echo)
    if bank == "now":
        open_bank(store, background=False)
    elif bank == "on_demand":
        open_bank_on_demand(store, background=False)
    return store, settings


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int | None], None]]:
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                  transient=True, disable=not err.is_terminal) as progress:  # fmt: skip
        task = progress.add_task(label, total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)


def _finish(report: ImportReport, what: str) -> None:
    err.print(
        f"{what}: {report.created} new, {report.updated} changed, {report.unchanged} unchanged"
        + (f", {report.withdrawn} withdrawn" if report.withdrawn else "")
        + f"; {report.quarantined} quarantined"
        + (f"; {report.rescreened} stored listings screened again" if report.rescreened else "")
    )
    if report.stale_keys is not None:
        from recallguard.matching.keys import KEYS_VERSION

        err.print(
            f"[yellow]warning:[/yellow] the stored listing keys are of version {report.stale_keys}, not this "
            f"release's {KEYS_VERSION}: every stored listing was screened for the new recalls; run "
            "`recallguard listings reindex` once so that rescans find candidates by key again"
        )
    c = report.counts
    if c.created or c.updated or c.withdrawn:
        err.print(
            f"matches: {c.created} new, {c.updated} changed, {c.withdrawn} withdrawn; actions: "
            f"{c.actions_created} new, {c.actions_withdrawn} withdrawn, {c.actions_reinstated} reinstated"
        )
    raise typer.Exit(report.exit_code)


@recalls_app.command("import")
def recalls_import(
    file: Path = typer.Argument(..., help="Recall file: CPSC API JSON, Safety Gate JSON or own format."),
    database_url: str | None = DbOpt,
) -> None:
    """Import a recall file; the same file twice changes nothing, amended recalls are re-screened."""
    from recallguard.service.importers import import_recalls

    store, settings = _open(database_url)
    with store, _progress("recalls") as progress:
        report = import_recalls(store, file, actor=settings.actor, on_progress=progress)
    _finish(report, f"recalls ({report.format})")


@recalls_app.command("sync")
def recalls_sync(
    since: str | None = typer.Option(
        None, "--since", help="YYYY-MM-DD; default: newest LastPublishDate stored, else a year back."
    ),
    until: str | None = typer.Option(None, "--until", help="YYYY-MM-DD; default: today."),
    base_url: str | None = typer.Option(None, "--base-url", help=help_for("cpsc_base_url")),
    database_url: str | None = DbOpt,
) -> None:
    """Fetch recalls published since a date from the CPSC Recalls API and store them."""
    from recallguard.errors import UsageError
    from recallguard.service.importers import sync_recalls

    try:
        since_d = date.fromisoformat(since) if since else None
        until_d = date.fromisoformat(until) if until else None
    except ValueError as e:
        raise UsageError(f"--since/--until must be YYYY-MM-DD: {e}") from None
    store, settings = _open(database_url)
    url = base_url or settings.cpsc_base_url
    with store, _progress("recalls") as progress:
        report = sync_recalls(
            store, url, since=since_d, until=until_d, actor=settings.actor, on_progress=progress
        )
    _finish(report, f"recalls synced from {url}")


def as_background(level: int) -> None:
    """Run this process at a CPU niceness of at least ``level`` (``Settings.bulk_nice`` for a scan or
    an import, ``Settings.stream_nice`` for the stream worker); a process already that nice, or nicer,
    is left as it is (calls do not add up).

    On a machine shared with the API server the scheduler then runs the server's requests first and
    the background work in the time left; on an idle machine it runs as fast as before. Nothing where
    the platform has no ``os.nice``.

    >>> as_background(0)  # 0: unchanged
    """
    if level and hasattr(os, "nice") and (now := os.nice(0)) < level:
        os.nice(level - now)


@listings_app.command("import")
def listings_import(
    file: Path = typer.Argument(..., help="Listings: JSONL, CSV or Parquet."),
    batch_size: int | None = typer.Option(None, "--batch-size", min=1, help=help_for("import_batch_size")),
    database_url: str | None = DbOpt,
) -> None:
    """Import listings; changed ones are screened again at once, new ones by `recallguard scan`."""
    from recallguard.service.importers import import_listings
    from recallguard.store.wal import WalCheckpointer  # checkpoints outside the writer lock

    store, settings = _open(database_url, bank="on_demand")
    as_background(settings.bulk_nice)
    with store, WalCheckpointer(store), _progress("listings") as progress:
        report = import_listings(
            store, file, batch_size=batch_size or settings.import_batch_size, actor=settings.actor,
            on_progress=progress,
        )  # fmt: skip
    if report.created:
        err.print(f"{report.created} new listings are not screened yet: run `recallguard scan`")
    _finish(report, "listings")


@listings_app.command("reindex")
def listings_reindex(database_url: str | None = DbOpt) -> None:
    """Rebuild every stored listing's index keys (after an upgrade that changes them: the release notes
    say so), so that a new recall finds its listings by key."""
    from recallguard.matching.keys import KEYS_VERSION
    from recallguard.service.rescan import reindex_listings

    store, _settings = _open(database_url, bank="never")
    with store:
        rows = reindex_listings(store)
    err.print(f"listing keys rebuilt (version {KEYS_VERSION}): {rows} key rows")


def scan_cmd(
    batch_size: int | None = typer.Option(None, "--batch-size", min=1, help=help_for("scan_batch_size")),
    rules: list[Path] = typer.Option(
        [], "--rules", help="Category-ban rule files or folders (YAML), applied with the shipped rules."
    ),
    engine: str = typer.Option("local", "--engine", help="local, or spark: screening in Apache Spark."),
    master: str = typer.Option("local[*]", "--master", help="Spark master URL (--engine spark)."),
    database_url: str | None = DbOpt,
) -> None:
    """Screen every stored listing against every active recall and the category-ban rules (resumes an
    interrupted scan)."""
    from recallguard.errors import UsageError
    from recallguard.service.scan import scan
    from recallguard.service.screening import screener_factory
    from recallguard.store.wal import WalCheckpointer  # checkpoints outside the writer lock

    if engine not in ("local", "spark"):
        raise UsageError(f"--engine must be local or spark, not {engine!r}")
    factory = screener_factory(rules)
    store, settings = _open(database_url)
    as_background(settings.bulk_nice)
    size = batch_size or settings.scan_batch_size
    with store, WalCheckpointer(store), _progress("scanning") as progress:
        if engine == "spark":  # the screening in Spark, the reconciling here (scale.spark_scan)
            from recallguard.scale.spark_scan import scan_spark

            report = scan_spark(store, master=master, rule_paths=rules, on_progress=progress, batch_size=size,
                                actor=settings.actor)  # fmt: skip
        else:
            report = scan(store, batch_size=size, actor=settings.actor, on_progress=progress, factory=factory)
    if not report.recalls:
        err.print("no active recalls in the store: run `recallguard recalls import FILE` first")
        return
    c = report.counts
    err.print(
        f"{'resumed: ' if report.resumed else ''}screened {report.screened} listings against "
        f"{report.recalls} active recalls; {report.listings_matched} listings matched; "
        f"matches: {c.created} new, {c.updated} changed, {c.withdrawn} withdrawn; "
        f"actions: {c.actions_created} new, {c.actions_withdrawn} withdrawn"
    )


@matches_app.command("export")
def matches_export(
    out_file: Path = typer.Option(..., "--out", help="CSV to write (the columns of `recallguard screen`)."),
    database_url: str | None = DbOpt,
) -> None:
    """Write the active matches: listing_id, recall_number, score, decision, evidence."""
    store, _ = _open(database_url, bank="never")
    out_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_file.with_name(out_file.name + ".part")
    n = 0
    with store, store.transaction() as uow, tmp.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(MATCH_COLUMNS)
        for m in uow.matches.iter_active():
            w.writerow((m.listing_id, m.recall_number, f"{m.score:.4f}", m.decision.value, m.evidence))
            n += 1
    tmp.replace(out_file)
    err.print(f"wrote {n} matches to {out_file}")


def status_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    database_url: str | None = DbOpt,
) -> None:
    """Counts: recalls, targets, listings, quarantined, matches (active), actions."""
    from recallguard.store import COUNT_KEYS

    store, _ = _open(database_url, bank="never")
    with store:
        counts = store.counts()
    if as_json:
        print(json.dumps({k: counts[k] for k in COUNT_KEYS}))
        return
    for k in COUNT_KEYS:
        out.print(f"{k:<12} {counts[k]:>10,}")


def register(app: typer.Typer) -> None:
    """Attach the stateful commands to the root CLI."""
    app.add_typer(recalls_app, name="recalls")
    app.add_typer(listings_app, name="listings")
    app.add_typer(matches_app, name="matches")
    app.command("scan")(scan_cmd)
    app.command("status")(status_cmd)
