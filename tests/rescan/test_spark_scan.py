"""``scan --engine spark`` stores exactly what the local ``scan`` stores (matches with their scores,
decisions, evidence, features — to 12 decimals — and model; actions), on a small seeded store
(data/samples: 12 real CPSC recalls, 300 benchmark listings). The SparkSession (local[2]) is the test
session's (``spark`` in tests/conftest.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from recallguard.service.importers import import_listings, import_recalls
from recallguard.service.scan import scan
from recallguard.store import Store
from recallguard.store.tables import ActionRow, MatchRow

pytestmark = pytest.mark.spark
pytest.importorskip("pyspark")

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


def seeded(path: Path) -> Store:
    store = Store(f"sqlite:///{path}")
    import_recalls(store, SAMPLES / "recalls.json")  # before the listings: nothing screened yet
    import_listings(store, SAMPLES / "listings.jsonl")
    return store


def _rounded(features: dict[str, float]) -> dict[str, float]:
    """Features to 12 decimals: a few are sums over sets, whose last bit follows the process's hash
    seed (Spark's Python workers run with PYTHONHASHSEED=0, pytest with a random one)."""
    return {k: round(v, 12) for k, v in features.items()}


def stored(store: Store) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    m, a = MatchRow, ActionRow
    cols = (m.listing_id, m.authority, m.recall_number, m.score, m.decision, m.evidence, m.features)
    with store.transaction() as uow:
        matches = [
            (*r[:6], _rounded(r[6]), *r[7:])
            for r in uow.session.execute(select(*cols, m.model_version, m.state))
        ]
        actions = uow.session.execute(select(a.listing_id, a.recall_number, a.kind, a.countries, a.state))
        return sorted(matches), sorted(tuple(r) for r in actions)


def test_spark_scan_stores_what_the_local_scan_stores(spark: Any, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from recallguard.cli.main import _register, app
    from recallguard.scale.spark_scan import scan_spark

    local, remote = seeded(tmp_path / "local.db"), seeded(tmp_path / "spark.db")
    a = scan(local)
    _register()
    url = f"sqlite:///{tmp_path / 'spark.db'}"
    res = CliRunner().invoke(
        app, ["scan", "--engine", "spark", "--master", "local[2]", "--database-url", url]
    )
    assert res.exit_code == 0, res.output
    assert f"Spark {spark.version}, master local[2]" in res.output  # the session the tests opened
    assert (
        f"screened 300 listings against 12 active recalls; {a.listings_matched} listings matched"
        in res.output
    )
    assert a.listings_matched > 30 and a.counts.actions_created > 0
    assert stored(remote) == stored(local)
    assert scan_spark(remote, spark=spark).screened == 0  # at the current version already
    with remote.transaction() as uow:
        kinds = [e.kind for e in uow.audit.list(limit=100_000)]
        assert "scan.completed" in kinds and uow.audit.verify().ok
    local.close()
    remote.close()
