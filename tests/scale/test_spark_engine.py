"""The Spark engine gives the same matches as the local engine (data/samples: 12 real CPSC recalls,
300 benchmark listings), on JSONL, Parquet and CSV input, with bad records skipped alike.

One SparkSession (local[2], ``spark`` in tests/conftest.py) serves the whole test session: starting
Spark is the slow part.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from recallguard.scale.synth import SCHEMA

pytestmark = pytest.mark.spark
pytest.importorskip("pyspark")

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
RECALLS, LISTINGS = SAMPLES / "recalls.json", SAMPLES / "listings.jsonl"


def rows(path: Path) -> list[tuple[str, ...]]:
    with path.open(newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        assert next(r) == ["listing_id", "recall_number", "score", "decision", "evidence"]
        return sorted(tuple(x) for x in r)


def screen(args: list[str]) -> Any:
    from recallguard.cli.main import _register, app

    _register()
    res = CliRunner().invoke(app, ["screen", "--recalls", str(RECALLS), *args])
    assert res.exit_code == 0, res.output
    return res


def both(listings: Path, tmp_path: Path) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]], Any]:
    """(local rows, Spark rows, Spark CLI result) for one listing file."""
    local, spark_out = tmp_path / f"{listings.name}.local.csv", tmp_path / f"{listings.name}.spark.csv"
    screen(["--listings", str(listings), "--out", str(local)])
    res = screen(
        ["--listings", str(listings), "--out", str(spark_out), "--engine", "spark", "--master", "local[2]"]
    )
    return rows(local), rows(spark_out), res


def test_same_matches_on_jsonl(spark: Any, tmp_path: Path) -> None:
    local, on_spark, res = both(LISTINGS, tmp_path)
    assert on_spark == local
    assert len(local) >= 40 and {r[3] for r in local} == {"block", "review"}
    assert len({r[1] for r in local}) >= 10  # most of the 12 recalls found
    assert f"Spark {spark.version}, master local[2]" in res.output


def test_same_matches_on_parquet_and_as_on_jsonl(spark: Any, tmp_path: Path) -> None:
    data = [json.loads(x) for x in LISTINGS.read_text(encoding="utf-8").splitlines()]
    folder = tmp_path / "catalogue"
    folder.mkdir()
    table = pa.Table.from_pylist(data, schema=SCHEMA)
    pq.write_table(table.slice(0, 150), folder / "part-0.parquet")
    pq.write_table(table.slice(150), folder / "part-1.parquet")
    local, on_spark, _ = both(folder, tmp_path)
    assert on_spark == local
    jsonl = tmp_path / "jsonl.local.csv"
    screen(["--listings", str(LISTINGS), "--out", str(jsonl)])
    assert local == rows(jsonl)  # the format of the input changes nothing


def test_bad_records_skipped_alike_on_csv(spark: Any, tmp_path: Path) -> None:
    from recallguard.scale.spark_engine import screen_spark
    from recallguard.sources.loader import load_recalls

    data = [json.loads(x) for x in LISTINGS.read_text(encoding="utf-8").splitlines()][:120]
    path = tmp_path / "listings.csv"
    cols = ["listing_id", "title", "description", "brand", "model", "gtin", "category", "price", "currency",
            "seller_id", "site", "ship_to", "image_urls", "language"]  # fmt: skip
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for d in data:
            w.writerow([",".join(d[c]) if isinstance(d.get(c), list) else d.get(c, "") for c in cols])
        w.writerow(["BAD1", "", *[""] * 12])  # no title
        w.writerow(["BAD2", "Lamp", *[""] * 9, "USA", "", "en"])  # not a country code
    local, on_spark, res = both(path, tmp_path)
    assert on_spark == local and len(local) > 10
    assert "skipped 2 bad records" in res.output
    rep = screen_spark(load_recalls(RECALLS).recalls, path, tmp_path / "again.csv", spark=spark)
    assert (rep.listings, rep.bad) == (120, 2)
