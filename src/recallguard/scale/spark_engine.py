"""``recallguard screen --engine spark``: the same screening, inside Apache Spark.

The recalls (or targets), the rule files and the decision policy are broadcast; each Python worker
builds the very ``Screener`` the local engine uses once (cached per broadcast) and screens its
partitions with ``mapInArrow``. Parquet listings are read by Spark; JSONL is read as text lines and
parsed in the workers with the local reader's rules; CSV (and JSON-array files) are converted to
JSONL on the driver first. Every record passes ``validate_record`` exactly as in the local engine,
so bad records are skipped and counted the same way. The matches stream back to the driver
(``toLocalIterator``) into the same CSV columns: listing_id, recall_number, score, decision, evidence.

pyspark is imported lazily (the ``spark`` extra); the core installs without it.

>>> import recallguard.scale.spark_engine as se
>>> se.OUT_SCHEMA.split(",")[0]
'kind string'
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from recallguard.domain.models import BadRecord, Listing, Recall, Target
from recallguard.domain.policy import DecisionPolicy
from recallguard.errors import ConfigurationError, InputError
from recallguard.listings.readers import detect_format, validate_record
from recallguard.scale.bulk_gc import bulk_screening

OUT_SCHEMA = (
    "kind string, listing_id string, recall_number string, score double, decision string, "
    "evidence string, n long"
)
MATCH_COLUMNS = ("listing_id", "recall_number", "score", "decision", "evidence")
_SCREENERS: dict[str, Any] = {}  # per Python worker: broadcast key -> Screener
err = Console(stderr=True)


def spark_session(master: str = "local[*]", app_name: str = "recallguard", **conf: str) -> Any:
    """A SparkSession whose Python workers run this interpreter (so they can import recallguard).

    Raises ConfigurationError when pyspark (the ``spark`` extra) or Java is missing.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:
        raise ConfigurationError("the Spark engine needs pyspark: pip install 'recallguard[spark]'") from e
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    b = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "4096")
        .config("spark.driver.memory", os.environ.get("RECALLGUARD_SPARK_DRIVER_MEMORY", "2g"))
    )
    for k, v in conf.items():
        b = b.config(k, v)
    try:
        spark = b.getOrCreate()
    except Exception as e:  # no Java, bad master URL
        raise ConfigurationError(f"cannot start Spark (master {master}): {e}") from e
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _active_session() -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return None
    return SparkSession.getActiveSession()


def _screener(key: str, payload: Any) -> Any:
    """This worker's screener for a broadcast (built on first use, then reused by every task)."""
    s = _SCREENERS.get(key)
    if s is None:
        items, rules, policy = payload
        if items and isinstance(items[0], Target):
            from recallguard.matching.build import rule_checks
            from recallguard.matching.screen import Screener

            s = Screener(items, policy=policy, checks=rule_checks([Path(p) for p in rules]))
        else:
            from recallguard.matching.build import build_screener

            s = build_screener(items, rule_paths=[Path(p) for p in rules], policy=policy)
        _SCREENERS.clear()
        _SCREENERS[key] = s
    return s


def _records(batch: Any, text: bool, where: str) -> Iterator[Listing | BadRecord]:
    if not text:
        for i, row in enumerate(batch.to_pylist(), 1):
            yield validate_record(row, where, f"row {i}")
        return
    for i, line in enumerate(batch.column(0).to_pylist(), 1):
        if not line or not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            yield BadRecord(where, f"line {i}", "<json>", f"invalid JSON: {e.msg}", line[:10_000])
            continue
        if not isinstance(row, dict):
            yield BadRecord(where, f"line {i}", "<record>", "expected a JSON object", line[:10_000])
            continue
        yield validate_record(row, where, f"line {i}")


def _screen_partition(batches: Iterator[Any], key: str, bc: Any, text: bool, source: str) -> Iterator[Any]:
    import pyarrow as pa

    screener = _screener(key, bc.value)
    schema = _arrow_schema()
    for bi, batch in enumerate(batches):
        good: list[Listing] = []
        rows: list[tuple[Any, ...]] = []
        for r in _records(batch, text, f"{source} (batch {bi})"):
            if isinstance(r, BadRecord):
                rows.append(("bad", None, None, None, None, str(r), 1))
            else:
                good.append(r)
        with bulk_screening():
            for _, matches in screener.screen_many(good, batch_size=1024):
                for m in matches:
                    rows.append(
                        ("match", m.listing_id, m.recall_number, m.score, m.decision.value, m.evidence, None)
                    )
        rows.append(("stats", None, None, None, None, None, len(good)))
        cols = [
            pa.array(list(col), type=f.type) for col, f in zip(zip(*rows, strict=True), schema, strict=True)
        ]
        yield pa.RecordBatch.from_arrays(cols, schema=schema)


def _arrow_schema() -> Any:
    import pyarrow as pa

    s, d, n = pa.string(), pa.float64(), pa.int64()
    return pa.schema(
        [
            ("kind", s),
            ("listing_id", s),
            ("recall_number", s),
            ("score", d),
            ("decision", s),
            ("evidence", s),
            ("n", n),
        ]
    )


def _as_jsonl(path: Path, fmt: str, tmp: Path) -> Path:
    """CSV or a JSON-array file rewritten as JSONL (raw values kept; validation happens in Spark)."""
    out = tmp / "listings.jsonl"
    with out.open("w", encoding="utf-8") as f:
        if fmt == "csv":
            csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
            with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as src:
                reader = csv.DictReader(
                    src, dialect="excel-tab" if path.suffix.lower() == ".tsv" else "excel"
                )
                if not reader.fieldnames or "listing_id" not in reader.fieldnames:
                    raise InputError(
                        f"{path}: CSV header must name a listing_id column (got {reader.fieldnames})"
                    )
                for row in reader:  # more values than header columns: not an object, so a bad record
                    bad = None in row
                    clean = list(row.values()) if bad else row
                    f.write(json.dumps(clean, ensure_ascii=False) + "\n")
        else:
            for row in json.loads(path.read_text(encoding="utf-8", errors="replace")):
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return out


@dataclass
class SparkReport:
    """What a Spark screening run did."""

    listings: int = 0
    bad: int = 0
    blocks: int = 0
    reviews: int = 0
    seconds: float = 0.0
    spark_version: str = ""
    master: str = ""


def screen_spark(
    recalls_or_targets: Sequence[Recall] | Sequence[Target],
    listings_path: str | Path,
    out_path: str | Path,
    master: str = "local[*]",
    policy: DecisionPolicy | None = None,
    rules: Sequence[Path] = (),
    spark: Any = None,
    partitions: int | None = None,
) -> SparkReport:
    """Screen a listing file or Parquet folder on Spark and write MATCHES.csv like the local engine.

    ``spark``: an open session to use (kept open); else one is started on ``master`` and stopped.
    ``partitions``: how many input partitions (default: about 4 per core).

    Example (needs Java)::

        screen_spark(load_recalls("recalls.json").recalls, "listings/", "matches.csv", master="local[2]")
    """
    t0 = time.perf_counter()
    path, out = Path(listings_path), Path(out_path)
    if not path.exists():
        raise InputError(f"{path}: no such listings file")
    fmt = detect_format(path)
    own = spark is None and _active_session() is None  # a session someone else opened stays open
    spark = spark or _active_session() or spark_session(master)
    sc = spark.sparkContext
    rep = SparkReport(spark_version=spark.version, master=sc.master)
    err.print(f"Spark {spark.version}, master {sc.master} ({sc.defaultParallelism} cores)", highlight=False)
    tmp = Path(tempfile.mkdtemp(prefix="recallguard-spark-"))
    try:
        if fmt == "jsonl" and path.is_file():
            with path.open("rb") as fh:
                first = fh.read(1)
            if first == b"[":
                fmt = "json-array"
        if fmt in ("csv", "json-array"):
            path = _as_jsonl(path, fmt, tmp)
            fmt = "jsonl"
        size = sum(p.stat().st_size for p in path.rglob("*")) if path.is_dir() else path.stat().st_size
        parts = partitions or max(1, sc.defaultParallelism * 4)
        spark.conf.set("spark.sql.files.maxPartitionBytes", str(max(1 << 20, size // parts + 1)))
        df = spark.read.text(str(path)) if fmt == "jsonl" else spark.read.parquet(str(path))
        if fmt != "jsonl" and "listing_id" not in df.columns:
            raise InputError(f"{path}: Parquet schema must have a listing_id column")
        payload = (list(recalls_or_targets), [str(p) for p in rules], policy or DecisionPolicy())
        key = hashlib.sha256(pickle.dumps(payload)).hexdigest()  # same recalls: workers reuse their screener
        bc, text, source = sc.broadcast(payload), fmt == "jsonl", str(listings_path)

        def run(batches: Iterator[Any]) -> Iterator[Any]:
            return _screen_partition(batches, key, bc, text, source)

        result = df.mapInArrow(run, OUT_SCHEMA)
        out.parent.mkdir(parents=True, exist_ok=True)
        part = out.with_name(out.name + ".part")
        with part.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(MATCH_COLUMNS)
            for row in result.toLocalIterator(prefetchPartitions=True):
                if row.kind == "match":
                    w.writerow(
                        (row.listing_id, row.recall_number, f"{row.score:.4f}", row.decision, row.evidence)
                    )
                    rep.blocks += row.decision == "block"
                    rep.reviews += row.decision == "review"
                elif row.kind == "stats":
                    rep.listings += row.n
                else:
                    rep.bad += 1
                    if rep.bad <= 20:
                        err.print(f"[yellow]skipped listing[/yellow] {row.evidence}", highlight=False)
        part.replace(out)
        bc.unpersist()
    finally:
        for p in sorted(tmp.rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()
        tmp.rmdir()
        if own:
            spark.stop()
    rep.seconds = time.perf_counter() - t0
    err.print(
        f"screened {rep.listings} listings on Spark {rep.spark_version} ({rep.master}) in {rep.seconds:.1f}s "
        f"({rep.listings / max(rep.seconds, 1e-9):,.0f}/s): {rep.blocks} block, {rep.reviews} review; "
        f"skipped {rep.bad} bad records; wrote {out}",
        highlight=False,
    )
    return rep
