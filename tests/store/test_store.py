"""The store on SQLite and PostgreSQL: schema on first use, idempotent upserts, round trips of the
domain objects, quarantine, all-or-nothing transactions and the audit chain."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from recallguard.domain.models import (
    ActionKind,
    ActionState,
    BadRecord,
    DecisionKind,
    IdentifierRange,
    Listing,
    Match,
    Recall,
    Target,
)
from recallguard.enforcement.actions import action_for
from recallguard.errors import ConfigurationError
from recallguard.store import Store
from recallguard.store.engine import (
    HEAD_REVISION,
    head_revision,
    normalise_url,
    stored_revision,
)

TABLES = {
    "recalls",
    "targets",
    "listings",
    "quarantine",
    "matches",
    "actions",
    "audit_events",
    "scan_checkpoints",
}


def _recall(title: str = "BABESIDE Doll and Stroller Toys Recalled") -> Recall:
    return Recall(
        "26561", "CPSC", title, recall_date=datetime(2026, 6, 18, tzinfo=UTC), product_names=["Doll"],
        upcs=["012345678905"], raw={"RecallID": 1, "RecallNumber": "26561", "Title": title},
    )  # fmt: skip


def _targets() -> list[Target]:
    return [
        Target("26561", "CPSC", brand="BABESIDE", model_numbers=["BS-100"],
               ranges=[IdentifierRange("lot", start="A1", end="A9", text="lots A1-A9")])
    ]  # fmt: skip


def test_schema_is_created_on_first_use_of_an_empty_database(empty_database_url: str) -> None:
    store = Store(empty_database_url)
    try:
        with store.engine.connect() as conn:  # Alembic's own reading of the stored revision
            alembic_says = MigrationContext.configure(conn).get_current_revision()
        assert alembic_says == head_revision() == HEAD_REVISION  # a new revision: update HEAD_REVISION
        assert stored_revision(store.engine) == alembic_says
        assert set(inspect(store.engine).get_table_names()) >= TABLES
        Store(empty_database_url).close()  # a second open finds the schema current and changes nothing
        assert store.counts() == dict.fromkeys(store.counts(), 0)
    finally:
        store.close()


def test_migrations_describe_exactly_the_models(store: Store) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from recallguard.store.engine import model_metadata

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), model_metadata())
    assert diff == [], "models changed without a new Alembic revision"


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path}/sub/dir/rg.db")
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    store.close()


def test_url_forms() -> None:
    assert normalise_url("postgresql://postgres@127.0.0.1:5432/db").startswith("postgresql+psycopg://")
    with pytest.raises(ConfigurationError):
        normalise_url("mysql://u@h/db")
    with pytest.raises(ConfigurationError):
        normalise_url("not a url")


def test_recall_upsert_is_idempotent_and_amendments_replace_targets(store: Store) -> None:
    with store.transaction() as uow:
        assert uow.recalls.upsert(_recall(), _targets()).outcome == "created"
    with store.transaction() as uow:
        again = uow.recalls.upsert(_recall(), _targets())
    assert (again.outcome, again.version) == ("unchanged", 1)
    amended_targets = [Target("26561", "CPSC", brand="BABESIDE", model_numbers=["BS-200"])]
    with store.transaction() as uow:
        res = uow.recalls.upsert(_recall("BABESIDE Doll Toys Recalled"), amended_targets)
        assert (res.outcome, res.version) == ("amended", 2)
    with store.transaction() as uow:
        r = uow.recalls.get("CPSC", "26561")
        assert r is not None and r.title == "BABESIDE Doll Toys Recalled"
        assert r.recall_date == datetime(2026, 6, 18, tzinfo=UTC) and r.raw["RecallID"] == 1
        assert uow.recalls.targets_of("CPSC", "26561") == amended_targets
        assert uow.recalls.count_targets() == 1


def test_targets_round_trip_with_ranges(store: Store) -> None:
    with store.transaction() as uow:
        uow.recalls.upsert(_recall(), _targets())
    with store.transaction() as uow:
        assert uow.recalls.active_targets() == _targets()


def test_listing_upsert_reports_new_changed_unchanged_and_round_trips(store: Store) -> None:
    a = Listing("A", "Kids helmet", brand="Acme", price=12.5, ship_to=["US", "CA"], extra={"color": "red"})
    b = Listing("B", "Garden hose")
    with store.transaction() as uow:
        res = uow.listings.upsert_many([a, b])
    assert (sorted(res.created), res.changed, res.unchanged) == (["A", "B"], [], 0)
    b2 = Listing("B", "Garden hose 20 m")
    with store.transaction() as uow:
        res = uow.listings.upsert_many([a, b2])
    assert (res.created, res.changed, res.unchanged) == ([], ["B"], 1)
    with store.transaction() as uow:
        got = uow.listings.get("A")
        assert got is not None
        assert (got.brand, got.price, got.ship_to, got.extra) == (
            "Acme",
            12.5,
            ["US", "CA"],
            {"color": "red"},
        )
        assert uow.listings.get("B").title == "Garden hose 20 m"  # type: ignore[union-attr]


def test_a_listing_inserted_in_a_transaction_reads_back_as_its_row_does(store: Store) -> None:
    """The unit of work answers ``get`` for a listing it inserted without reading the row: what it
    answers must be what the stored row gives back (timestamps included), and the scan version the
    insert wrote must be the one screening asked for."""
    a = Listing(
        "A", "Kids helmet \u00e9", description="d", brand="Acme", model="K-1", gtin="012345678905",
        price=12.5, currency="USD", seller_id="S1", site="us", ship_to=["US", "CA"],
        image_urls=["https://x.example/a.jpg"], language="en", extra={"color": "red", "n": [1, 2.5, None]},
    )  # fmt: skip
    with store.transaction() as uow:
        uow.listings.upsert_many([a], screened_version="v7")
        in_transaction = uow.listings.get("A")
    with store.transaction() as uow:
        assert uow.listings.get("A") == in_transaction
        assert uow.listings.count_to_screen("v7") == 0 and uow.listings.count_to_screen("v8") == 1
    with store.transaction() as uow:  # inserted, then changed in the same unit of work
        uow.listings.upsert_many([Listing("B", "Garden hose")])
        uow.listings.upsert_many([Listing("B", "Garden hose 20 m")])
        assert uow.listings.get("B").title == "Garden hose 20 m"  # type: ignore[union-attr]


def test_quarantine_keeps_each_bad_record_once_and_counts(store: Store) -> None:
    bad = [BadRecord("l.jsonl", "line 2", "title", "Field required", '{"listing_id": "B"}')]
    with store.transaction() as uow:
        assert uow.quarantine.add_many("listing", bad) == 1
    with store.transaction() as uow:
        assert uow.quarantine.add_many("listing", bad) == 0
        assert uow.quarantine.count() == 1 and uow.quarantine.count("recall") == 0
        assert uow.quarantine.list()[0].field == "title"


def test_a_failed_transaction_writes_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as uow:
        uow.recalls.upsert(_recall(), _targets())
        uow.listings.upsert_many([Listing("A", "Kids helmet")])
        uow.audit.append("recall.created", "recall:CPSC:26561", "test")
        raise RuntimeError("crash half way")
    assert store.counts() == dict.fromkeys(store.counts(), 0)
    with store.transaction() as uow:
        assert uow.audit.count() == 0


def test_one_match_and_one_action_per_listing_and_recall(store: Store) -> None:
    m = Match(
        "A", "26561", "CPSC", 0.97, DecisionKind.BLOCK, "model BS-100 in title", {"model_match": 1.0}, "v1"
    )
    with store.transaction() as uow:
        uow.listings.upsert_many([Listing("A", "BABESIDE stroller BS-100")])
        assert uow.matches.upsert(m) == "created"
        action = uow.actions.add(action_for(m))  # type: ignore[arg-type]
    with store.transaction() as uow:
        assert uow.matches.upsert(m) == "unchanged"
        assert uow.matches.active_for_listings(["A"])["A"] == [m]
        got = uow.actions.get("A", "CPSC", "26561", ActionKind.RESTRICT)
        assert got is not None and got.countries == ["US"] and got.state == ActionState.APPROVED
        assert got.action_id == action.action_id
    with pytest.raises(IntegrityError), store.transaction() as uow:
        uow.actions.add(action_for(m))  # type: ignore[arg-type]
        uow.flush()


def test_bulk_action_reads_give_what_single_reads_give(store: Store) -> None:
    """The gate is built from ``all_actions`` and refreshed from ``actions_changed_since``, which read
    plain rows instead of ORM objects: the same actions, UTC-aware times, only what changed since."""
    from recallguard.store.enforcement_tables import EnforcementRepo

    def add(listing_id: str) -> str:
        m = Match(listing_id, "26561", "CPSC", 0.97, DecisionKind.BLOCK, "model BS-100", {}, "v1")
        with store.transaction() as uow:
            uow.listings.upsert_many([Listing(listing_id, "BABESIDE stroller BS-100")])
            uow.matches.upsert(m)
            return uow.actions.add(action_for(m)).action_id  # type: ignore[arg-type]

    first = add("A")
    between = datetime.now(UTC)
    second = add("B")
    with store.transaction() as uow:
        repo = EnforcementRepo(uow.session)
        one_by_one = {i: repo.action(i) for i in (first, second)}
        every = {a.action_id: a for a in repo.all_actions()}
        changed = repo.actions_changed_since(between)
    assert every == one_by_one
    assert [a.action_id for a in changed] == [second]
    got = every[second]
    assert got.countries == ["US"] and got.kind == ActionKind.RESTRICT and got.state == ActionState.APPROVED
    assert got.updated_at is not None and got.updated_at.tzinfo is not None and got.updated_at >= between


def test_audit_chain_verifies_and_detects_tampering(store: Store) -> None:
    with store.transaction() as uow:
        for i in range(5):
            uow.audit.append("match.created", f"listing:L{i}", "test", "why", {"score": 0.5 + i / 10})
    with store.transaction() as uow:
        events = uow.audit.list()
        assert [e.seq for e in events] == [1, 2, 3, 4, 5]
        assert all(events[i].prev_hash == events[i - 1].hash for i in range(1, 5))
        assert uow.audit.verify().ok and uow.audit.verify().events == 5
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET reason = 'edited' WHERE seq = 3"))
    with store.transaction() as uow:
        check = uow.audit.verify()
    assert (check.ok, check.first_bad_seq) == (False, 3)
