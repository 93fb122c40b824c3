"""Catalogue rescans through listing-side indexes: a recall import restricts exactly the listings a
full scan restricts, without screening the catalogue; the keys follow listing changes and are built
for listings stored before the table existed; keys written by another release are not trusted until
they are rebuilt.

Data: the repository's real CPSC samples (data/cpsc, data/samples) and the demo listings (data/demo).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import insert

from recallguard.domain.models import Listing, Target
from recallguard.listings.readers import read_listings
from recallguard.matching.profiles import listing_profile
from recallguard.service.importers import import_listings, import_recalls
from recallguard.service.rescan import candidate_ids
from recallguard.service.scan import scan
from recallguard.service.screening import default_screener, extract
from recallguard.sources.loader import load_recalls
from recallguard.store import Store
from recallguard.store.convert import listing_hash, listing_values, now
from recallguard.store.tables import ListingRow

DATA = Path(__file__).resolve().parents[2] / "data"
CPSC = DATA / "cpsc" / "cpsc-recalls-api-80.json"
SAMPLE_RECALLS = DATA / "samples" / "recalls.json"
LISTING_FILES = (DATA / "samples" / "listings.jsonl", DATA / "demo" / "listings.jsonl")
EXACT_BLOCKERS = {"gtin", "model", "brand", "text"}


def _restrictions(store: Store) -> set[tuple[str, str]]:
    """(listing, recall) of every live restriction a recall (not a category rule) caused."""
    with store.transaction() as uow:
        return {
            (a.listing_id, a.recall_number)
            for a in uow.actions.list()
            if a.state.value != "withdrawn" and not a.recall_number.startswith("rule:")
        }


def _recall_matches(store: Store) -> dict[tuple[str, str], tuple[str, float]]:
    with store.transaction() as uow:
        return {
            (m.listing_id, m.recall_number): (m.decision.value, m.score)
            for m in uow.matches.iter_active()
            if not m.recall_number.startswith("rule:")
        }


@pytest.fixture
def seeded(store: Store) -> Store:
    for f in LISTING_FILES:
        import_listings(store, f)
    return store


def test_a_recall_import_restricts_what_a_full_scan_restricts(seeded: Store, tmp_path: Path) -> None:
    report = import_recalls(seeded, CPSC)  # 80 new recalls: their listings found by key, at once
    with seeded.transaction() as uow:
        stored = uow.listings.count()
    assert 0 < report.rescreened < stored  # not the whole catalogue
    assert report.counts.actions_created == len(_restrictions(seeded)) > 0

    # one recall at a time, from another file: each import restricts its listings at once
    for raw in json.loads(SAMPLE_RECALLS.read_text()):
        one = tmp_path / f"{raw['RecallNumber']}.json"
        one.write_text(json.dumps([raw]))
        import_recalls(seeded, one)
    restricted = _restrictions(seeded)
    matches = _recall_matches(seeded)
    assert any(r == "26513" for _, r in restricted)  # a sample recall's listings are restricted

    full = scan(seeded)  # the full rescreen: every listing against every active recall
    assert full.screened == stored
    assert _restrictions(seeded) == restricted
    assert _recall_matches(seeded) == matches


def test_listing_side_keys_find_every_pair_the_exact_blockers_find(seeded: Store) -> None:
    recalls = load_recalls(CPSC).recalls + load_recalls(SAMPLE_RECALLS).recalls
    screener = default_screener([t for r in recalls for t in extract(r)], False)
    index = screener.index  # type: ignore[attr-defined]
    listings = [x for f in LISTING_FILES for x in read_listings(f) if isinstance(x, Listing)]
    pairs = {
        (x.listing_id, ti)
        for x in listings
        for ti, blockers in index.candidates(listing_profile(x)).items()
        if blockers & EXACT_BLOCKERS
    }
    with seeded.transaction() as uow:
        found = {ti: candidate_ids(uow, index, [ti]) for ti in range(len(index.profiles))}
        keyed = sum(len(v) for v in found.values())
    missing = sorted((lid, ti) for lid, ti in pairs if lid not in found[ti])
    assert len(pairs) > 200 and not missing
    assert keyed < 0.1 * len(listings) * len(index.profiles)  # a few listings per target, not all


def test_changed_listing_is_found_by_its_new_keys_only(store: Store) -> None:
    with store.transaction() as uow:
        uow.listings.upsert_many([Listing("L1", "Garden hose 30 m", model="GH-300")])
    with store.transaction() as uow:
        uow.listings.upsert_many([Listing("L1", "Babeside doll stroller", model="BS-100", brand="Babeside")])
        assert uow.listing_keys.candidates([("model", "BS100")]) == {"L1"}
        assert uow.listing_keys.candidates([("model", "GH300"), ("token", "hose")]) == set()
        assert uow.listing_keys.with_all("token", ["doll", "stroller"]) == {"L1"}
        assert uow.listing_keys.candidates([("brand", "babeside")]) == {"L1"}


def test_listings_stored_before_the_keys_table_are_indexed_by_the_migration(empty_database_url: str) -> None:
    from alembic import command

    from recallguard.store.engine import alembic_config

    store = Store(empty_database_url, migrate=False)
    cfg = alembic_config(store.engine)
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "p001")  # the revision before the listing keys
        x = Listing("OLD-1", "Babeside doll stroller BS-100", brand="Babeside")
        ts = now()
        row = {**listing_values(x), "content_hash": listing_hash(x), "created_at": ts, "updated_at": ts}
        conn.execute(insert(ListingRow), [row])
    store.migrate()
    with store.transaction() as uow:
        assert uow.listing_keys.candidates([("model", "BS100")]) == {"OLD-1"}
    store.close()


def test_misspelt_and_scrambled_brands_are_found_like_the_matcher_finds_them(store: Store) -> None:
    from recallguard.matching.index import TargetIndex

    fork = Target("1", "CPSC", brand="Cervelo", product_name="Wolf SL Carbon Fiber Bicycle Forks")
    index = TargetIndex([fork, Target("2", "CPSC", brand="Joolz", product_name="Aer2 Car Seat Adapters")])
    listings = [
        Listing("M1", "Cerevlo water bottle"),  # one letter moved
        Listing("M2", "Covrele water bottle"),  # letters scrambled, same first letter
        Listing("M3", "Bottle", brand="Cervel"),  # brand field, one letter short
        Listing("N1", "Cavalier water bottle"),  # not the brand
    ]
    with store.transaction() as uow:
        uow.listings.upsert_many(listings)
        found = candidate_ids(uow, index, [0])
    by_matcher = {x.listing_id for x in listings if 0 in index.candidates(listing_profile(x))}
    assert by_matcher == {"M1", "M2", "M3"}
    assert found == by_matcher


def test_brands_that_sound_alike_and_codes_cut_in_two_are_found_like_the_matcher_finds_them(
    store: Store,
) -> None:
    from recallguard.matching.index import TargetIndex

    treadmill = Target("1", "CPSC", brand="Cybex", product_name="Trotter Treadmills")
    stool = Target("2", "CPSC", brand="Woodure", product_name="Step Stools", model_numbers=["WD1764"])
    index = TargetIndex([treadmill, stool])
    listings = [
        Listing("S1", "Fitness machine", brand="Cybeks"),  # the brand field sounds like the recalled one
        Listing("S2", "Kitchen helper WD1 764"),  # the recalled code cut in two
        Listing("N1", "Garden hose", brand="Gordon"),  # another brand, another product
    ]
    with store.transaction() as uow:
        uow.listings.upsert_many(listings)
        found = {ti: candidate_ids(uow, index, [ti]) for ti in (0, 1)}
    by_matcher = {
        ti: {x.listing_id for x in listings if ti in index.candidates(listing_profile(x))} for ti in (0, 1)
    }
    assert by_matcher == {0: {"S1"}, 1: {"S2"}}
    assert found == by_matcher


def _stored_keys(store: Store) -> tuple[set[tuple[str, ...]], set[tuple[str, ...]]]:
    """Every listing-key row and vocabulary row in the store."""
    from sqlalchemy import select

    from recallguard.store.listing_key_tables import ListingKeyRow, ListingKeyVocabRow

    with store.transaction() as uow:
        k = {tuple(r) for r in uow.session.execute(select(ListingKeyRow.__table__))}
        v = {tuple(r) for r in uow.session.execute(select(ListingKeyVocabRow.__table__))}
        return k, v


def test_reindex_rebuilds_the_same_keys(seeded: Store) -> None:
    from recallguard.service.rescan import reindex_listings

    before = _stored_keys(seeded)
    assert reindex_listings(seeded) == len(before[0]) > 0
    assert _stored_keys(seeded) == before


def test_keys_of_another_release_make_a_recall_import_screen_every_listing_until_reindexed(
    seeded: Store,
) -> None:
    from sqlalchemy import delete

    from recallguard.matching.keys import KEYS_VERSION
    from recallguard.service.rescan import reindex_listings
    from recallguard.store.listing_key_tables import ListingKeyRow

    with seeded.transaction() as uow:
        assert uow.listing_keys.version() == KEYS_VERSION  # keys written by this release
        stored = uow.listings.count()
        keyed = uow.listing_keys.count()
        # keys of an older release that this one does not read: a lookup by key would find nothing
        uow.session.execute(delete(ListingKeyRow))
        uow.listing_keys.set_version(KEYS_VERSION - 1)
    report = import_recalls(seeded, CPSC)
    assert report.stale_keys == KEYS_VERSION - 1
    assert report.rescreened == stored  # every listing screened: none missed for want of a key
    restricted = _restrictions(seeded)
    assert restricted
    full = scan(seeded)
    assert _restrictions(seeded) == restricted and full.screened == stored

    assert reindex_listings(seeded) == keyed  # the keys are back, of this release
    with seeded.transaction() as uow:
        assert uow.listing_keys.version() == KEYS_VERSION
    again = import_recalls(seeded, SAMPLE_RECALLS)
    assert again.stale_keys is None and again.rescreened < stored


def test_a_store_with_keys_from_before_their_version_was_kept_is_marked_unknown(
    empty_database_url: str,
) -> None:
    from alembic import command

    from recallguard.store.engine import alembic_config

    store = Store(empty_database_url, migrate=False)
    cfg = alembic_config(store.engine)
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "q001")  # the revision before the keys' version
    with store.transaction() as uow:
        uow.listings.upsert_many([Listing("OLD-1", "Babeside doll stroller BS-100", brand="Babeside")])
    store.migrate()
    with store.transaction() as uow:
        assert uow.listing_keys.version() == 0  # unknown: rescans screen everything until a reindex
    store.close()


def test_listings_keyed_one_at_a_time_get_the_keys_of_a_bulk_import(seeded: Store) -> None:
    """Publish time writes a listing's keys in one small batch (PostgreSQL: a pipelined INSERT with the
    vocabulary's), an import in bulk (PostgreSQL: COPY): a rescan must find the listing either way."""
    from sqlalchemy import delete

    from recallguard.store.listing_key_repos import SMALL_BATCH
    from recallguard.store.listing_key_tables import ListingKeyRow, ListingKeyVocabRow

    bulk = _stored_keys(seeded)
    assert len(bulk[0]) > SMALL_BATCH  # the import went the bulk way
    with seeded.transaction() as uow:
        listings = uow.listings.page("", 100_000)
        uow.session.execute(delete(ListingKeyRow))
        uow.session.execute(delete(ListingKeyVocabRow))
    for x in listings:
        with seeded.transaction() as uow:
            assert uow.listing_keys.add([x]) <= SMALL_BATCH
    assert _stored_keys(seeded) == bulk


def test_titles_run_together_are_found_like_the_matcher_finds_them(store: Store) -> None:
    from recallguard.matching.index import TargetIndex

    scooter = Target("1", "CPSC", brand="Razor", product_name="Razor Electric Scooters")
    index = TargetIndex([scooter, Target("2", "CPSC", brand="Joolz", product_name="Aer2 Car Seat Adapters")])
    listings = [
        Listing("C1", "RazorElectricScooterFreeShipping"),  # camel case, as a hashtag
        Listing("C2", "#razorelectric #scooter"),  # the brand glued to the next word
        Listing("N1", "Razorback hunting knife"),  # another word that starts with the brand
    ]
    with store.transaction() as uow:
        uow.listings.upsert_many(listings)
        found = candidate_ids(uow, index, [0])
    by_matcher = {x.listing_id for x in listings if 0 in index.candidates(listing_profile(index.read(x)))}
    assert by_matcher == {"C1", "C2"}
    assert found == by_matcher


def test_a_brand_run_into_a_code_or_a_camel_case_word_is_found_like_the_matcher_finds_it(
    store: Store,
) -> None:
    from recallguard.matching.index import TargetIndex

    bikes = Target("1", "CPSC", brand="Rossignol", product_name="All Track DH Bicycles")
    skis = Target("2", "CPSC", brand="Head", product_name="Head ski bindings")
    index = TargetIndex([bikes, skis, Target("3", "CPSC", brand="Trek", text="Cracks at the head tube.")])
    listings = [
        Listing("C1", "rossignol2018 mountain"),  # a year run into the brand
        Listing("C2", "HeadSki Vintage"),  # a brand that is a plain word, marked by its case
        Listing("N1", "headski vintage"),  # the same in lower case: nothing marks the brand
    ]
    with store.transaction() as uow:
        uow.listings.upsert_many(listings)
        found = candidate_ids(uow, index, [0, 1])
    by_matcher = {
        x.listing_id for x in listings if {0, 1} & index.candidates(listing_profile(index.read(x))).keys()
    }
    assert by_matcher == {"C1", "C2"}
    assert found == by_matcher
