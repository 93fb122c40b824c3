"""``make demo``: the main job end to end on bundled real data, with the embedded SQLite store.

Imports the real CPSC sample, imports the demo listings (three bad records go to quarantine), scans
every listing against every active recall, restricts what is blocked, verifies the audit chain and
prints a short report with the three strongest matches and where to look next.

    python -m recallguard.demo [--out demo-out]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"


def run(out: Path, recalls: Path, listings: Path, console: Console) -> int:
    """Run the demo into ``out`` (a fresh folder) and print the report; returns an exit code."""
    from recallguard.service.importers import import_listings, import_recalls
    from recallguard.service.scan import scan
    from recallguard.store import Store

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    db = out / "recallguard.db"
    url = f"sqlite:///{db}"
    t0 = time.perf_counter()
    with Store(url) as store:
        r = import_recalls(store, recalls, actor="demo")
        console.print(f"[bold]1. recalls import[/bold] {recalls.name}: {r.created} recalls ({r.format})")
        ls = import_listings(store, listings, actor="demo")
        console.print(f"[bold]2. listings import[/bold] {listings.name}: {ls.created} loaded, "
                      f"{ls.quarantined} quarantined")  # fmt: skip
        sc = scan(store, actor="demo")
        console.print(f"[bold]3. scan[/bold]: {sc.screened} listings screened against {sc.recalls} recalls")
        elapsed = time.perf_counter() - t0
        with store.transaction() as uow:
            counts = store.counts()
            matches = list(uow.matches.iter_active())
            chain = uow.audit.verify()
            bad = uow.quarantine.list(limit=5)
    blocks = [m for m in matches if m.decision.value == "block"]
    reviews = [m for m in matches if m.decision.value == "review"]
    export = out / "matches.csv"
    with export.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["listing_id", "recall_number", "score", "decision", "evidence"])
        for m in sorted(matches, key=lambda m: -m.score):
            w.writerow([m.listing_id, m.recall_number, f"{m.score:.4f}", m.decision.value, m.evidence])

    table = Table(title="recallguard demo", show_header=False)
    table.add_row("recalls loaded", str(counts["recalls"]))
    table.add_row("targets extracted", str(counts["targets"]))
    table.add_row("listings screened", str(counts["listings"]))
    table.add_row("bad listing records quarantined", str(counts["quarantined"]))
    table.add_row(
        "blocked (restricted for US buyers)", f"{len(blocks)} listings, {counts['actions']} actions"
    )
    table.add_row("sent to review", str(len(reviews)))
    table.add_row("audit chain", "intact" if chain.ok else f"BROKEN at {chain}")
    table.add_row("time taken", f"{elapsed:.1f} s")
    console.print(table)
    console.print("[bold]Three strongest matches[/bold]")
    for m in sorted(matches, key=lambda m: -m.score)[:3]:
        console.print(
            f"  {m.listing_id} → recall {m.recall_number}  p={m.score:.3f} {m.decision.value}: {m.evidence}"
        )
    if bad:
        console.print("[bold]Quarantined records[/bold] (first ones)")
        for b in bad:
            console.print(f"  {b}")
    console.print(
        f"\nWhere to look: store [cyan]{db}[/cyan], matches [cyan]{export}[/cyan].\n"
        f"  .venv/bin/recallguard status --database-url {url}\n"
        f"  .venv/bin/recallguard serve --database-url {url}   (then http://127.0.0.1:8000/docs)"
    )
    return 0 if chain.ok else 1


def main() -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=ROOT / "demo-out")
    ap.add_argument("--recalls", type=Path, default=DATA / "cpsc" / "cpsc-recalls-api-80.json")
    ap.add_argument("--listings", type=Path, default=DATA / "demo" / "listings.jsonl")
    a = ap.parse_args()
    return run(a.out, a.recalls, a.listings, Console())


if __name__ == "__main__":
    raise SystemExit(main())
