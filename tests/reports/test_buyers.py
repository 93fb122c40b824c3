"""Buyer notification: orders imported (a bad row named and quarantined, the rest loaded), the buyers of
a recall's actioned listings in the authority's countries over the last 6 months, and the retention
purge that deletes exactly the expired rows with an audit event."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient

from recallguard.api.runtime import Enforcer
from recallguard.service.buyers import buyers_of_recall, import_orders, purge_expired
from recallguard.store.people_tables import BuyerOrder, BuyerRepo
from tests.reports.conftest import Scenario

Headers = Callable[..., dict[str, str]]
NOW = datetime.now(UTC)


def _day(days_ago: int) -> str:
    return (NOW - timedelta(days=days_ago)).date().isoformat()


def orders_csv() -> str:
    rows = [
        "listing_id,order_date,buyer_country,buyer_ref",
        f"L1,{_day(10)},US,buyer-a",  # notify: recalled listing, US, recent
        f"L1,{_day(40)},us,buyer-b",  # notify (country case is normalised)
        f"L1,{_day(20)},DE,buyer-c",  # outside the CPSC's countries
        f"L1,{_day(250)},US,buyer-d",  # older than 6 months
        f"L2,{_day(5)},US,buyer-e",  # a listing nobody restricted
        f"L3,{_day(3)},US,buyer-f",  # notify
        "L4,not-a-date,US,buyer-g",  # bad: line 8, order_date
        f"L1,{_day(400)},US,buyer-h",  # already past the 365-day retention: not stored
    ]
    return "\n".join(rows) + "\n"


def test_import_with_a_bad_row_and_the_buyers_of_a_recall(enforcer: Enforcer, scenario: Scenario) -> None:
    res = import_orders(enforcer.store, orders_csv(), source="orders.csv", actor="test", retention_days=365)
    assert (res.loaded, res.expired, res.duplicates) == (6, 1, 0)
    (bad,) = res.bad
    assert (bad.location, bad.field) == ("line 8", "order_date")
    assert "buyer-g" not in bad.raw  # no personal data in the quarantine
    again = import_orders(enforcer.store, orders_csv(), source="orders.csv", actor="test", retention_days=365)
    assert (again.loaded, again.duplicates) == (0, 6)  # idempotent
    with enforcer.store.transaction() as uow:
        assert uow.quarantine.count("buyer_order") == 1
    lines = buyers_of_recall(enforcer.store, "26561", months=6, actor="test")
    assert [(x.listing_id, x.buyer_ref) for x in lines] == [
        ("L1", "buyer-b"),
        ("L1", "buyer-a"),
        ("L3", "buyer-f"),
    ]
    assert {x.authority for x in lines} == {"CPSC"} and {x.buyer_country for x in lines} == {"US"}
    wider = buyers_of_recall(enforcer.store, "26561", authority="cpsc", months=12, actor="test")
    assert "buyer-d" in {x.buyer_ref for x in wider}
    with enforcer.store.transaction() as uow:
        listed = [e for e in uow.audit.list(0, 10_000) if e.kind == "buyers.listed"]
    assert listed[-1].data["buyers"] == 4 and "buyer-a" not in str(listed[-1].data)


def test_retention_purge_deletes_exactly_the_expired_rows(enforcer: Enforcer, scenario: Scenario) -> None:
    import_orders(enforcer.store, orders_csv(), source="orders.csv", actor="test", retention_days=365)
    # 30 days' retention: rows ordered 40 and 250 days ago expire; 10, 20, 5 and 3 days ago stay
    with enforcer.store.transaction() as uow:
        assert BuyerRepo(uow.session).count() == 6
    assert purge_expired(enforcer.store, retention_days=30, actor="timer") == 2
    assert purge_expired(enforcer.store, retention_days=30, actor="timer") == 0
    with enforcer.store.transaction() as uow:
        assert BuyerRepo(uow.session).count() == 4
        purged = [e for e in uow.audit.list(0, 10_000) if e.kind == "buyers.purged"]
        left = {
            o.buyer_ref
            for o in BuyerRepo(uow.session).for_listings(
                ["L1", "L2", "L3"], NOW.date() - timedelta(days=999), None
            )
        }
    assert len(purged) == 1 and purged[0].data["deleted"] == 2 and purged[0].actor == "timer"
    assert left == {"buyer-a", "buyer-c", "buyer-e", "buyer-f"}


def test_buyers_api(client: TestClient, token: Headers, scenario: Scenario) -> None:
    mp = token("marketplace")
    r = client.post("/v1/buyers/import", content=orders_csv(), headers={**mp, "Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json()["loaded"] == 6
    assert r.json()["rejected"] == [
        {"location": "line 8", "field": "order_date", "error": "not a date (YYYY-MM-DD): 'not-a-date'"}
    ]
    got = client.get("/v1/buyers", params={"recall": "26561"}, headers=mp).json()
    assert sorted(b["buyer_ref"] for b in got["buyers"]) == ["buyer-a", "buyer-b", "buyer-f"]
    as_csv = client.get("/v1/buyers", params={"recall": "26561", "format": "csv"}, headers=mp).text
    assert as_csv.splitlines()[0] == "authority,recall_number,listing_id,order_date,buyer_country,buyer_ref"
    headerless = client.post("/v1/buyers/import", content="a,b\n1,2\n", headers=mp)
    assert headerless.status_code == 400 and "missing column" in headerless.json()["error"]["message"]
    assert client.get("/v1/buyers", params={"recall": "26561"}, headers=token("regulator")).status_code == 403
    assert client.post("/v1/buyers/purge", headers=mp).status_code == 403
    assert client.post("/v1/buyers/purge", headers=token("admin")).json()["deleted"] == 0


def test_the_server_timer_purges_expired_buyer_data(app: FastAPI, enforcer: Enforcer) -> None:
    old = NOW.date() - timedelta(days=400)  # past the default 365 days
    with enforcer.store.transaction() as uow:
        BuyerRepo(uow.session).add_many([(BuyerOrder("L1", old, "US", "buyer-x"), "h-old")])
    with TestClient(app):  # the lifespan starts the purge timer; its first round runs at once
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with enforcer.store.transaction() as uow:
                if BuyerRepo(uow.session).count() == 0:
                    break
            time.sleep(0.05)
    with enforcer.store.transaction() as uow:
        assert BuyerRepo(uow.session).count() == 0
        (ev,) = [e for e in uow.audit.list(0, 10_000) if e.kind == "buyers.purged"]
    assert ev.actor == "timer" and ev.data["deleted"] == 1
