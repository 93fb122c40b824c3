"""The synthetic catalogue: deterministic, valid listings, recalled products seeded where asked."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from recallguard.domain.models import BadRecord, Listing, Recall
from recallguard.listings.readers import read_listings
from recallguard.scale.recalled import RecalledProduct, products_from_recalls
from recallguard.scale.synth import write_catalogue


def test_same_seed_same_catalogue_other_seed_other(tmp_path: Path) -> None:
    a = write_catalogue(tmp_path / "a", 5_000, seed=7, chunk_rows=2_000)
    b = write_catalogue(tmp_path / "b", 5_000, seed=7, chunk_rows=2_000)
    c = write_catalogue(tmp_path / "c", 5_000, seed=8, chunk_rows=2_000)
    ta, tb, tc = (pq.read_table(s.files[0]) for s in (a, b, c))
    assert ta.equals(tb)
    assert not ta.column("title").equals(tc.column("title"))
    assert pq.ParquetFile(a.files[0]).metadata.num_row_groups == 3  # one row group per chunk


def test_every_listing_passes_the_project_validation(tmp_path: Path) -> None:
    write_catalogue(tmp_path, 3_000, seed=1, chunk_rows=1_000)
    records = list(read_listings(tmp_path))
    bad = [r for r in records if isinstance(r, BadRecord)]
    assert not bad, bad[:3]
    listings = [r for r in records if isinstance(r, Listing)]
    assert len({x.listing_id for x in listings}) == 3_000
    assert {x.site for x in listings} == {"b2b", "b2c"}
    assert len({x.language for x in listings}) >= 5
    assert len({x.category for x in listings}) >= 10
    assert all(x.title and "  " not in x.title for x in listings)
    gtins = [x.gtin for x in listings if x.gtin]
    assert 0.15 < len(gtins) / len(listings) < 0.35
    # EAN-13 check digits are right, as a real catalogue's are
    from recallguard.domain.identifiers import normalize_gtin

    assert all(normalize_gtin(g) for g in gtins[:500])


def test_recalled_products_appear_with_their_truth(tmp_path: Path) -> None:
    products = [
        RecalledProduct("26561", "BABESIDE", "Doll and Stroller Toys", ("BS-100",)),
        RecalledProduct("26539", "Merkury", "Heating and Cooling Fans", ("MI-DHC02",)),
    ]
    s = write_catalogue(tmp_path, 20_000, seed=2, recalled=products, recalled_share=0.01, chunk_rows=5_000)
    truth = list(csv.DictReader((tmp_path / "_truth.csv").open()))
    assert s.recalled == len(truth) and 100 < len(truth) < 300
    titles = dict(
        zip(*(pq.read_table(tmp_path).column(c).to_pylist() for c in ("listing_id", "title")), strict=True)
    )
    for row in truth:
        t = titles[row["listing_id"]].lower()
        assert ("stroller" in t) if row["recall_number"] == "26561" else ("fans" in t)


def test_products_from_recall_text() -> None:
    r = Recall(
        "26539",
        "CPSC",
        "Merkury Recalls Fans",
        product_names=["Merkury Hot + Cool Fans"],
        description="The model number MI-DHC02 is printed on the label.",
    )
    (p,) = products_from_recalls([r])
    assert p.recall_number == "26539" and "MI-DHC02" in p.models and "Fans" in p.name


def test_synth_command_writes_parquet(tmp_path: Path) -> None:
    from recallguard.cli.main import _register, app

    _register()
    res = CliRunner().invoke(
        app, ["synth", "--listings", "2500", "--out", str(tmp_path), "--seed", "4", "--row-group", "1000"]
    )
    assert res.exit_code == 0, res.output
    assert pq.read_table(tmp_path).num_rows == 2500
    assert "wrote 2,500 listings" in res.output
