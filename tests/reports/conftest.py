"""Fixtures of the reports tests: the API test app (SQLite and PostgreSQL) with a scenario seeded
through the real paths — publish-time screening, a reviewer's approval — plus rows placed where a
scenario needs a past time (an SLA breach) or a bank re-listing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from recallguard.api.runtime import Enforcer
from recallguard.domain.models import ActionKind, ActionState, DecisionKind, Listing, Match, Recall, Target
from recallguard.store.tables import ActionRow, RecallRow
from tests.api.conftest import app, client, enforcer, settings, token  # noqa: F401  (fixtures)

Headers = Callable[..., dict[str, str]]
SG_RECALL = Recall(
    "A12/00042/26",
    "SAFETYGATE",
    "KIDDO magnetic building set",
    hazard="Magnets can be swallowed",
    url="https://ec.europa.eu/safety-gate-alerts/screen/webReport/alertDetail/00042",
    remedy="Withdrawal from the market",
)
SG_TARGET = Target(
    "A12/00042/26", "SAFETYGATE", brand="KIDDO", product_name="magnetic set", model_numbers=["KM-77"]
)


@dataclass
class Scenario:
    """What was seeded (ids of the actions by role in the scenario)."""

    auto: str  # L1: screened, blocked, approved automatically (seller S1, listing language zh)
    late: str  # L3: approved 5 h after the recall arrived (CPSC SLA 4 h: breached)
    reviewed: str  # L4: a review match a reviewer approved
    relisting: str  # L5: a re-listing the fingerprint bank caught
    sg: str  # L6: a Safety Gate restriction (EU/EEA countries)
    # L7: a review match nobody decided yet (in review, SLA clock open); L2: harmless


def seed(http: TestClient, enf: Enforcer, make_token: Headers) -> Scenario:
    with enf.store.transaction() as uow:
        uow.recalls.upsert(SG_RECALL, [SG_TARGET])
    mp = make_token("marketplace")
    listings = [
        {"listing_id": "L1", "title": "BABESIDE doll stroller toy BS-100", "seller_id": "S1",
         "language": "zh", "ship_to": ["*"]},
        {"listing_id": "L2", "title": "Garden hose 20 m", "seller_id": "S2"},
        {"listing_id": "L3", "title": "Doll pram BS-100 pink", "seller_id": "S3", "language": "en"},
        {"listing_id": "L6", "title": "KIDDO magnet tiles KM-77", "seller_id": "S1", "language": "de"},
    ]  # fmt: skip
    r = http.post("/v1/listings:screen", json={"listings": listings}, headers=mp)
    assert r.status_code == 200, r.text
    with enf.store.transaction() as uow:
        uow.listings.upsert_many(
            [Listing("L4", "stroller for dolls", seller_id="S4"),
             Listing("L5", "B-SIDE pram", seller_id="S5"), Listing("L7", "toy stroller", seller_id="S7")]
        )  # fmt: skip
        uow.matches.upsert(
            Match("L7", "26561", "CPSC", 0.55, DecisionKind.REVIEW, "product type doll stroller")
        )
        uow.matches.upsert(Match("L4", "26561", "CPSC", 0.62, DecisionKind.REVIEW, "brand BABESIDE in title"))
        uow.matches.upsert(
            Match("L5", "26561", "CPSC", 0.91, DecisionKind.BLOCK,
                  "re-listing of removed listing L1 (recall 26561): title shingles; original action x")
        )  # fmt: skip
        from recallguard.domain.models import Action

        relist = uow.actions.add(
            Action("L5", "26561", "CPSC", ActionKind.RESTRICT, ["US"], ActionState.APPROVED, reason="bank")
        )
    reviewed = http.post(
        "/v1/matches/approve",
        json={"listing_id": "L4", "authority": "CPSC", "recall_number": "26561", "reason": "same product"},
        headers=make_token("reviewer"),
    )
    assert reviewed.status_code == 200, reviewed.text
    with enf.store.transaction() as uow:
        acts = {a.listing_id: a for a in uow.actions.list()}
        received = uow.session.scalar(select(RecallRow.created_at).where(RecallRow.recall_number == "26561"))
        late = received + timedelta(hours=5)
        uow.session.execute(update(ActionRow).where(ActionRow.listing_id == "L3").values(created_at=late))
    enf.refresh_gate()
    return Scenario(
        acts["L1"].action_id,
        acts["L3"].action_id,
        reviewed.json()["action_id"],
        relist.action_id,
        acts["L6"].action_id,
    )


@pytest.fixture()
def scenario(client: TestClient, enforcer: Enforcer, token: Headers) -> Scenario:  # noqa: F811
    return seed(client, enforcer, token)
