"""The CPSC Recalls API parser on the real sample and on the feed's real quirks."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from recallguard.sources.cpsc import (
    CPSC_KEYS,
    is_poison_row,
    parse_cpsc,
    parse_unit_count,
    repair_text,
    sniff_cpsc,
)

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "cpsc" / "cpsc-recalls-api-80.json"


@pytest.fixture(scope="module")
def raw() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return data


def test_all_80_real_records_parse_with_every_key_kept(raw: list[dict[str, Any]]) -> None:
    batch = parse_cpsc(raw, "sample")
    assert len(batch.recalls) == 80 and batch.bad == []
    assert all(set(CPSC_KEYS) <= set(r.raw) for r in batch.recalls)
    r = next(r for r in batch.recalls if r.recall_number == "26528")
    assert r.key == "CPSC:26528"
    assert r.product_names == ["Gudook Adult Bike Helmets"]
    assert r.recall_date == datetime(2026, 6, 4, tzinfo=UTC)
    assert r.last_publish_date == datetime(2026, 6, 5, tzinfo=UTC)
    assert r.retailers == ["Online at Amazon.com from May 2025 through February 2026 for about $23."]
    assert r.manufacturer_countries == ["China"]
    assert r.number_of_units == "About 520"
    assert r.images[0].startswith("https://www.cpsc.gov/") and r.remedy_options
    assert r.raw == next(x for x in raw if x["RecallNumber"] == "26528")


def test_upcs_and_companies_are_read(raw: list[dict[str, Any]]) -> None:
    batch = parse_cpsc(raw, "sample")
    built = next(r for r in batch.recalls if r.recall_number == "26331")
    assert len(built.upcs) == 15 and built.upcs[0] == "843461115513"
    assert built.importers == ["Lifetime Brands, Inc., owner of the BUILT brand, of Garden City, New York"]


def test_question_mark_for_non_breaking_space_is_repaired(raw: list[dict[str, Any]]) -> None:
    batch = parse_cpsc(raw, "sample")
    coin = next(r for r in batch.recalls if r.recall_number == "26484")
    assert "Due to Risk" in coin.title and "?" not in coin.title
    helmets = next(r for r in batch.recalls if r.recall_number == "26528")
    assert "standard for bicycle helmets because" in helmets.hazard
    lights = next(r for r in batch.recalls if r.recall_number == "26454")
    assert "https://www.amazon.com/sp?seller=A1PBQ44FT8BEDW and" in lights.consumer_contact  # a real ?


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ("for?bicycle helmets?because", "for bicycle helmets because"),
        ("the lithium?ion battery", "the lithium-ion battery"),
        ("hazard.?Additionally", "hazard. Additionally"),
        ("Recalled ?WSDZ ?Light-up", "Recalled WSDZ Light-up"),
        ("Is it safe? Call now.", "Is it safe? Call now."),
        ("What?", "What?"),
        (
            "see https://x.example/Contact?request=recall today",
            "see https://x.example/Contact?request=recall today",
        ),
    ],
)
def test_repair_text_leaves_real_question_marks(text: str, fixed: str) -> None:
    assert repair_text(text) == fixed
    assert repair_text(fixed) == fixed  # idempotent


def test_poison_row_is_reported_not_imported(raw: list[dict[str, Any]]) -> None:
    poison = {"RecallID": 0, "Title": "Error retrieving Recalls: too many results"}
    assert is_poison_row(poison) and not is_poison_row(raw[0])
    batch = parse_cpsc([poison, raw[1]], "api")
    assert [r.recall_number for r in batch.recalls] == ["26561"]
    assert batch.bad[0].field == "RecallID" and "Error retrieving Recalls" in batch.bad[0].error
    assert batch.bad[0].location == "record 0 (RecallNumber ?)"


def test_records_missing_keys_still_parse(raw: list[dict[str, Any]]) -> None:
    minimal = {"RecallNumber": "99001", "Title": "Heaters Recalled"}
    partial = {
        k: v for k, v in raw[2].items() if k not in ("Retailers", "Images", "LastPublishDate", "Hazards")
    }
    batch = parse_cpsc([minimal, partial], "feed")
    assert batch.bad == []
    assert batch.recalls[0].recall_date is None and batch.recalls[0].product_names == []
    assert batch.recalls[1].retailers == [] and batch.recalls[1].images == []


def test_wrong_types_name_the_record_and_field_and_the_rest_goes_on(raw: list[dict[str, Any]]) -> None:
    bad_products = copy.deepcopy(raw[3]) | {"Products": "Joolz adapters"}
    bad_date = copy.deepcopy(raw[4]) | {"RecallDate": "18/06/2026"}
    bad_title = copy.deepcopy(raw[5]) | {"Title": {"en": "x"}}
    no_number = copy.deepcopy(raw[6]) | {"RecallNumber": ""}
    nested = copy.deepcopy(raw[7])
    nested["Images"] = [{"URL": ["a", "b"]}]
    batch = parse_cpsc(
        [raw[0], bad_products, bad_date, bad_title, no_number, nested, "junk", raw[1]], "feed.json"
    )
    assert [r.recall_number for r in batch.recalls] == ["26565", "26561"]
    found = {(b.location, b.field) for b in batch.bad}
    assert found == {
        ("record 1 (RecallNumber 26568)", "Products"),
        ("record 2 (RecallNumber 26569)", "RecallDate"),
        ("record 3 (RecallNumber 26552)", "Title"),
        ("record 4 (RecallNumber ?)", "RecallNumber"),
        ("record 5 (RecallNumber 26538)", "Images[0].URL"),
        ("record 6 (RecallNumber ?)", "(record)"),
    }
    assert all(b.source == "feed.json" and b.raw for b in batch.bad)
    assert "feed.json: record 1 (RecallNumber 26568): field 'Products'" in str(batch.bad[0])


def test_numbers_given_as_numbers_are_accepted() -> None:
    batch = parse_cpsc([{"RecallID": 5, "RecallNumber": 26561, "Title": "Toys"}])
    assert batch.recalls[0].recall_number == "26561"


def test_dates_with_zone_or_fraction_become_utc() -> None:
    batch = parse_cpsc([{"RecallNumber": "1", "RecallDate": "2026-06-18T02:00:00+02:00"}])
    assert batch.recalls[0].recall_date == datetime(2026, 6, 18, 0, 0, tzinfo=UTC)


def test_parsing_is_idempotent_and_does_not_mutate_input(raw: list[dict[str, Any]]) -> None:
    before = copy.deepcopy(raw)
    first = parse_cpsc(raw, "a")
    second = parse_cpsc(raw, "a")
    assert first.recalls == second.recalls
    assert raw == before
    first.recalls[0].raw["Title"] = "changed"
    assert raw[0]["Title"] != "changed"  # raw is a copy


def test_a_recall_listed_twice_is_kept_once(raw: list[dict[str, Any]]) -> None:
    newer = copy.deepcopy(raw[0]) | {"Title": "Amended title"}
    batch = parse_cpsc([raw[0], raw[1], newer])
    assert [r.recall_number for r in batch.recalls] == ["26565", "26561"]
    assert batch.recalls[0].title == "Amended title"


def test_free_text_unit_counts() -> None:
    assert parse_unit_count("About 3,840 (In addition, about 148 were sold in Canada)") == 3840
    assert parse_unit_count("3000") == 3000
    assert parse_unit_count("About 800 units") == 800
    assert parse_unit_count("unknown") is None


def test_sniff_accepts_cpsc_arrays_only(raw: list[dict[str, Any]]) -> None:
    assert sniff_cpsc(raw)
    assert not sniff_cpsc([{"NID": "82281", "Title": "Catheter trays"}])  # Health Canada records
    assert not sniff_cpsc({"format": "recallguard.recalls/1"})
    assert not sniff_cpsc([])
