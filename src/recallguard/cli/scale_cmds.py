"""``recallguard synth`` (synthetic catalogue in Parquet), ``recallguard synth-recalls`` (many recalls
for an index of 10^4-10^5 targets) and ``recallguard worker`` (listing stream).

recallguard synth --listings 1000000 --out /tmp/catalogue --seed 1 [--recalls recalls.json]
recallguard synth-recalls --templates recalls.json --count 20000 --out /tmp/recalls-20k.json
recallguard worker --stream recallguard:listings --group recallguard --recalls recalls.json
"""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path

import typer
from rich.console import Console

from recallguard.errors import UsageError

err = Console(stderr=True)


def synth(
    listings: int = typer.Option(..., "--listings", min=1, help="How many listings to write."),
    out: Path = typer.Option(..., "--out", help="Folder for the Parquet part files."),
    seed: int = typer.Option(0, "--seed", help="Same seed, same catalogue."),
    recalls: Path | None = typer.Option(
        None, "--recalls", help="Recall file: some listings offer its products."
    ),
    recalled_share: float = typer.Option(0.001, "--recalled-share", min=0.0, max=1.0),
    row_group: int = typer.Option(131_072, "--row-group", min=1_000, help="Rows per Parquet row group."),
    rows_per_file: int = typer.Option(1_048_576, "--rows-per-file", min=1_000),
) -> None:
    """Write a synthetic listing catalogue (Parquet part files, one row group per chunk) to OUT."""
    from recallguard.scale.recalled import products_from_recalls
    from recallguard.scale.synth import write_catalogue

    products = []
    if recalls is not None:
        from recallguard.sources.loader import load_recalls

        products = products_from_recalls(load_recalls(recalls).recalls)
        if not products:
            raise UsageError(f"{recalls}: no recalled products to write listings of")
    every = max(1, listings // 20)

    def progress(done: int, total: int) -> None:
        if done == total or done // every != (done - row_group) // every:
            err.print(f"synth: {done:,}/{total:,} listings", highlight=False, soft_wrap=True)

    s = write_catalogue(
        out,
        listings,
        seed=seed,
        recalled=products,
        recalled_share=recalled_share,
        chunk_rows=row_group,
        rows_per_file=rows_per_file,
        progress=progress,
    )
    extra = f", {s.recalled:,} of recalled products (ids in {out / '_truth.csv'})" if products else ""
    err.print(
        f"wrote {s.listings:,} listings in {len(s.files)} files to {out} in {s.seconds:.1f}s "
        f"({s.per_second:,.0f}/s){extra}",
        highlight=False,
        soft_wrap=True,
    )


def worker(
    stream: str = typer.Option(
        "recallguard:listings", "--stream", help="Redis stream key of listing events."
    ),
    group: str = typer.Option("recallguard", "--group", help="Consumer group shared by the workers."),
    consumer: str = typer.Option("", "--consumer", help="This worker's name (default host-pid)."),
    redis_url: str = typer.Option("redis://127.0.0.1:6379/0", "--redis-url", envvar="RECALLGUARD_REDIS_URL"),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        envvar="RECALLGUARD_DATABASE_URL",
        help="Store listings and matches here (the service sink).",
    ),
    recalls: Path | None = typer.Option(None, "--recalls", help="Screen in memory against this recall file."),
    batch_size: int = typer.Option(100, "--batch-size", min=1, help="Events read per XREADGROUP."),
    block_ms: int = typer.Option(1000, "--block-ms", min=1),
    claim_idle_ms: int = typer.Option(
        30_000, "--claim-idle-ms", min=1, help="Reclaim others' pending after."
    ),
    max_deliveries: int = typer.Option(5, "--max-deliveries", min=1, help="Dead-letter after so many tries."),
    forget_idle_ms: int = typer.Option(
        3_600_000, "--forget-idle-ms", min=0, help="Remove idle consumers holding nothing (0: never)."
    ),
    metrics_port: int = typer.Option(0, "--metrics-port", help="Serve Prometheus /metrics here (0: off)."),
    max_events: int = typer.Option(0, "--max-events", min=0, help="Stop after so many events (0: run on)."),
) -> None:
    """Consume listing events (create/update/delete) from a Redis stream and screen them."""
    import redis

    from recallguard.cli.store_cmds import as_background
    from recallguard.scale.bulk_gc import tune_malloc
    from recallguard.scale.sinks import open_sink
    from recallguard.scale.stream import StreamWorker, WorkerConfig
    from recallguard.settings import load_settings
    from recallguard.store.wal import WalCheckpointer

    tune_malloc()  # a long-running process: before its threads start
    as_background(load_settings().stream_nice)  # a server beside it answers buyers first
    r = redis.Redis.from_url(redis_url)
    sink = open_sink(r, stream, database_url=database_url, recalls=recalls)
    name = consumer or f"{socket.gethostname()}-{os.getpid()}"
    cfg = WorkerConfig(
        stream=stream,
        group=group,
        consumer=name,
        batch_size=batch_size,
        block_ms=block_ms,
        claim_idle_ms=claim_idle_ms,
        max_deliveries=max_deliveries,
        forget_idle_ms=forget_idle_ms,
    )
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port)
    w = StreamWorker(r, sink, cfg)
    store = getattr(sink, "store", None)  # a sink that writes to the store: checkpoints off the writer lock
    checkpoints = WalCheckpointer(store) if store is not None else contextlib.nullcontext()
    with checkpoints, contextlib.suppress(KeyboardInterrupt):  # Ctrl-C from the banner on: a clean stop
        err.print(
            f"worker {cfg.consumer}: stream {stream}, group {group}, sink {type(sink).__name__}",
            highlight=False,
            soft_wrap=True,
        )
        w.run(max_events=max_events or None)
    err.print(f"worker {cfg.consumer} stopped: {w.stats()}", highlight=False, soft_wrap=True)


def synth_recalls(
    templates: Path = typer.Option(
        ..., "--templates", help="CPSC API recall file (a JSON array) to rewrite."
    ),
    count: int = typer.Option(..., "--count", min=1, help="How many synthetic recalls to make."),
    out: Path = typer.Option(..., "--out", help="JSON file to write (a CPSC API array)."),
    seed: int = typer.Option(0, "--seed", help="Same seed, same recalls."),
    with_templates: bool = typer.Option(False, "--with-templates", help="Write the templates first."),
) -> None:
    """Write COUNT synthetic CPSC recalls made from real ones: other firms' products of the same kinds,
    with invented brands, product-line names and identifiers (``scale.synth_recalls``)."""
    import json

    from rich.progress import Progress

    from recallguard.scale.synth_recalls import iter_synthetic_recalls, usable_templates

    try:
        data = json.loads(templates.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise UsageError(f"{templates}: cannot read the templates: {e}") from e
    if not isinstance(data, list):
        raise UsageError(f"{templates}: not a CPSC API array (records with a RecallNumber)")
    data, bad = usable_templates(data)
    for why in bad:  # the record is left out, and said so; the others serve
        err.print(f"{templates}: {why}: not used as a template", highlight=False, soft_wrap=True)
    if not data:
        raise UsageError(f"{templates}: no usable template record ({len(bad)} bad)")
    made = []
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("synthetic recalls", total=count)
        for rec in iter_synthetic_recalls(data, count, seed=seed):
            made.append(rec)
            bar.advance(task)
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(json.dumps((data if with_templates else []) + made), encoding="utf-8")
    tmp.replace(out)  # whole or not at all
    skipped = f" ({len(bad)} bad template records left out)" if bad else ""
    err.print(f"wrote {len(made):,} synthetic recalls to {out}{skipped}", highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Attach ``synth``, ``synth-recalls`` and ``worker`` to the root CLI."""
    app.command("synth")(synth)
    app.command("synth-recalls")(synth_recalls)
    app.command("worker")(worker)
