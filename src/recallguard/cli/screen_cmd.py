"""``recallguard screen``: one-shot, stateless screening of a listing file against a recall file.

Output CSV columns: listing_id, recall_number, score, decision, evidence. Progress and the count of
skipped bad records go to stderr. Exit 0 when the output was written, 2 on usage errors or
unreadable input.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from recallguard.domain.models import BadRecord, Listing
from recallguard.errors import UsageError

MATCH_COLUMNS = ("listing_id", "recall_number", "score", "decision", "evidence")
err = Console(stderr=True)


def screen(
    recalls: Path = typer.Option(
        ..., "--recalls", help="Recall file: CPSC API JSON, Safety Gate JSON or own format."
    ),
    listings: Path = typer.Option(..., "--listings", help="Listings: JSONL, CSV or Parquet."),
    out: Path = typer.Option(..., "--out", help="Where to write MATCHES.csv."),
    rules: list[Path] = typer.Option([], "--rules", help="Extra category-ban rule files (YAML)."),
    engine: str = typer.Option("local", "--engine", help="local or spark."),
    master: str = typer.Option("local[*]", "--master", help="Spark master URL (with --engine spark)."),
    batch_size: int = typer.Option(1024, "--batch-size", min=1),
) -> None:
    """Screen LISTINGS against RECALLS and write the matches worth acting on."""
    from recallguard.matching.build import build_screener
    from recallguard.sources.loader import load_recalls

    t0 = time.perf_counter()
    batch = load_recalls(recalls)
    for bad in batch.bad:
        err.print(f"[yellow]skipped recall[/yellow] {bad}")
    if engine == "spark":
        from recallguard.scale.spark_engine import screen_spark

        screen_spark(batch.recalls, listings, out, master=master, rules=list(rules))
        return
    if engine != "local":
        raise UsageError(f"--engine must be 'local' or 'spark', not {engine!r}")
    screener = build_screener(batch.recalls, rule_paths=list(rules))
    err.print(f"{len(batch.recalls)} recalls, {len(screener.targets)} targets ({batch.format}); index ready")
    from recallguard.listings.readers import read_listings

    records = read_listings(listings)
    bad_records: list[BadRecord] = []

    def good() -> Iterator[Listing]:
        for r in records:
            if isinstance(r, BadRecord):
                bad_records.append(r)
                if len(bad_records) <= 20:
                    err.print(f"[yellow]skipped listing[/yellow] {r}")
                continue
            yield r

    n = blocks = reviews = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    from recallguard.scale.bulk_gc import bulk_screening

    with (
        bulk_screening(),
        tmp.open("w", newline="", encoding="utf-8") as f,
        Progress(TextColumn("screening"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                 console=err, transient=True, disable=not err.is_terminal) as progress,
    ):  # fmt: skip
        w = csv.writer(f)
        w.writerow(MATCH_COLUMNS)
        task = progress.add_task("screen", total=None)
        for _listing, matches in screener.screen_many(good(), batch_size=batch_size):
            n += 1
            for m in matches:
                w.writerow((m.listing_id, m.recall_number, f"{m.score:.4f}", m.decision.value, m.evidence))
                blocks += m.decision.value == "block"
                reviews += m.decision.value == "review"
            if n % 5000 == 0:
                progress.update(task, completed=n)
    tmp.replace(out)
    dt = time.perf_counter() - t0
    err.print(
        f"screened {n} listings in {dt:.1f}s ({n / max(dt, 1e-9):,.0f}/s): {blocks} block, {reviews} review; "
        f"skipped {len(bad_records)} bad records; wrote {out}"
    )


def register(app: typer.Typer) -> None:
    """Attach ``screen`` to the root CLI."""
    app.command("screen")(screen)
