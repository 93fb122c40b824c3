"""``recallguard scan --engine spark``: the stateful full scan, with the screening done in Spark.

1. The listings not yet screened at the current scan version (as ``recallguard scan`` counts them)
   are exported from the store to Parquet part files, in listing-id order.
2. Spark screens them with the Spark engine's core (``spark_engine``: the targets, rule files and
   policy broadcast; each Python worker builds the same ``Screener`` once; ``mapInArrow``), and sends
   back every match with all it carries (authority, score, decision, evidence, features, model).
3. The driver reconciles the results in the store in batches, exactly as ``scan`` does: per batch the
   matches, actions, audit events, the listings' ``screened_version`` and the checkpoint commit
   together; listings without matches get their stale matches withdrawn.

Not in Spark: the fingerprint bank's check of re-listings (publish-time, in-process state); the
local ``scan`` applies it when a bank is open.

>>> OUT_SCHEMA.split(", ")[:2]
['listing_id string', 'authority string']
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from recallguard.domain.models import DecisionKind, Listing, Match
from recallguard.domain.policy import DecisionPolicy
from recallguard.scale import spark_engine
from recallguard.scale.bulk_gc import bulk_screening
from recallguard.service.decide import Progress, reconcile
from recallguard.service.scan import ScanReport, finish_scan
from recallguard.service.screening import default_screener, policy_of, scan_version
from recallguard.store import Store

OUT_SCHEMA = (
    "listing_id string, authority string, recall_number string, score double, decision string, "
    "evidence string, features string, model_version string"
)
EXPORT_PAGE = 50_000


def _export(store: Store, version: str, folder: Path) -> list[str]:
    """Listings to screen at ``version`` → Parquet part files; returns their ids in order."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from recallguard.scale.synth import SCHEMA

    ids: list[str] = []
    after, part = "", 0
    while True:
        with store.transaction() as uow:
            page = uow.listings.page_to_screen(after, version, EXPORT_PAGE)
        if not page:
            return ids
        rows = [{f: getattr(x, f) for f in SCHEMA.names} for x in page]
        pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), folder / f"part-{part:05d}.parquet")
        ids += [x.listing_id for x in page]
        after, part = page[-1].listing_id, part + 1


def _screen_partition(batches: Iterator[Any], key: str, bc: Any) -> Iterator[Any]:
    import pyarrow as pa

    screener = spark_engine._screener(key, bc.value)  # the Spark engine's per-worker screener
    names = [f.split()[0] for f in OUT_SCHEMA.split(", ")]
    for bi, batch in enumerate(batches):
        good = [
            r for r in spark_engine._records(batch, False, f"store (batch {bi})") if isinstance(r, Listing)
        ]
        cols: dict[str, list[Any]] = {n: [] for n in names}
        with bulk_screening():
            for _, matches in screener.screen_many(good, batch_size=1024):
                for m in matches:
                    for n, v in zip(names, _row(m), strict=True):
                        cols[n].append(v)
        arrays = [pa.array(cols[n], type=pa.float64() if n == "score" else pa.string()) for n in names]
        yield pa.RecordBatch.from_arrays(arrays, names=names)


def _row(m: Match) -> tuple[Any, ...]:
    return (m.listing_id, m.authority, m.recall_number, m.score, m.decision.value, str(m.evidence),
            json.dumps(m.features), m.model_version)  # fmt: skip


def scan_spark(
    store: Store,
    *,
    master: str = "local[*]",
    rule_paths: Sequence[Path] = (),
    batch_size: int = 500,
    actor: str = "cli",
    spark: Any = None,
    on_progress: Progress | None = None,
) -> ScanReport:
    """Bring every stored listing to the current scan version, screening in Spark (see the module).

    ``spark``: an open SparkSession to use (kept open); else one is started on ``master`` and stopped.
    Raises ConfigurationError when pyspark or Java is missing.
    """
    report = ScanReport()
    with store.transaction() as uow:
        targets, fingerprint = uow.recalls.active_targets(), uow.recalls.active_fingerprint()
    report.recalls = len(fingerprint)
    if not fingerprint:
        return report
    local = default_screener(targets, True, rule_paths)  # the version: the same model, policy, rules
    version = scan_version(fingerprint, local.model_version, policy_of(local))
    report.version = version
    with store.transaction() as uow:
        report.to_screen = uow.listings.count_to_screen(version)
        if not report.to_screen:
            return report
        cp, report.resumed = uow.checkpoints.open(version, local.model_version)
        uow.audit.append(
            "scan.resumed" if report.resumed else "scan.started", f"scan:{cp.id}", actor,
            f"{report.to_screen} listings to screen against {len(fingerprint)} active recalls on Spark",
            {"version": version, "model_version": local.model_version, "engine": "spark", "master": master},
        )  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="recallguard-spark-scan-"))
    own = spark is None and spark_engine._active_session() is None
    spark = spark or spark_engine._active_session() or spark_engine.spark_session(master)
    try:
        sc = spark.sparkContext
        spark_engine.err.print(
            f"Spark {spark.version}, master {sc.master} ({sc.defaultParallelism} cores)", highlight=False
        )
        t0 = time.perf_counter()
        ids = _export(store, version, tmp)
        payload = (list(targets), [str(p) for p in rule_paths], DecisionPolicy())
        key = hashlib.sha256(pickle.dumps(payload)).hexdigest()
        bc = sc.broadcast(payload)
        df = spark.read.parquet(str(tmp))
        result = df.mapInArrow(lambda it: _screen_partition(it, key, bc), OUT_SCHEMA)
        found: dict[str, list[Match]] = {}
        for r in result.toLocalIterator(prefetchPartitions=True):
            m = Match(r.listing_id, r.recall_number, r.authority, r.score, DecisionKind(r.decision),
                      r.evidence, json.loads(r.features), r.model_version)  # fmt: skip
            found.setdefault(r.listing_id, []).append(m)
        bc.unpersist()
        spark_engine.err.print(
            f"screened {len(ids)} listings on Spark {spark.version} ({sc.master}) in "
            f"{time.perf_counter() - t0:.1f}s; {sum(map(len, found.values()))} matches to reconcile",
            highlight=False,
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if own:
            spark.stop()
    _reconcile(store, ids, found, version, cp.id, batch_size, actor, report, on_progress)
    with store.transaction() as uow:
        finish_scan(uow, cp.id, version, actor, " on Spark")
    return report


def _reconcile(
    store: Store, ids: list[str], found: dict[str, list[Match]], version: str, cp_id: int,
    batch_size: int, actor: str, report: ScanReport, on_progress: Progress | None,
) -> None:  # fmt: skip
    for i in range(0, len(ids), batch_size):
        chunk = ids[i : i + batch_size]
        with store.transaction() as uow:
            existing = uow.matches.active_for_listings(chunk)
            matched = 0
            for lid in chunk:
                mine = sorted(found.get(lid, []), key=lambda m: -m.score)
                matched += bool(mine)
                report.counts.add(reconcile(uow, lid, mine, existing.get(lid, []), actor))
            uow.listings.mark_screened(chunk, version)
            uow.checkpoints.advance(cp_id, chunk[-1], len(chunk), matched)
        report.batches += 1
        report.screened += len(chunk)
        report.listings_matched += matched
        if on_progress:
            on_progress(report.screened, report.to_screen)
