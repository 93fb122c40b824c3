"""Publish-time screening writes each row with one statement (no ORM unit of work) and answers from
what it wrote: every row is still there, the audit chain verifies, and the answer is what a read of
the store gives (also when the listing is screened again and the answer is read back)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from recallguard.api.runtime import Enforcer
from recallguard.api.schemas import ActionPublic, MatchPublic
from recallguard.service.automation import action_bases, match_bases
from recallguard.service.outbox import EVENT
from recallguard.store.bank_repos import BankRepo
from recallguard.store.bank_tables import BankChangeRow
from recallguard.store.enforcement_tables import DeliveryRow, EnforcementRepo
from tests.api.conftest import HARMLESS, MATCHING

Headers = Callable[..., dict[str, str]]


def _stored_answer(enf: Enforcer, listing_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The decisions and actions of one listing as the store holds them, in the API's form."""
    with enf.store.transaction() as uow:
        matches = uow.matches.active_for_listings([listing_id]).get(listing_id, [])
        actions = EnforcementRepo(uow.session).actions_for_listings([listing_id])
        m_b = match_bases(uow, [(m.listing_id, m.authority, m.recall_number) for m in matches])
        a_b = action_bases(uow, [a.action_id for a in actions])
    decisions = [
        MatchPublic.from_domain(m, m_b.get((m.listing_id, m.authority, m.recall_number))).model_dump(
            mode="json"
        )
        for m in matches
    ]
    acts = [ActionPublic.from_domain(a, a_b.get(a.action_id)).model_dump(mode="json") for a in actions]
    return decisions, acts


def test_matched_listing_writes_every_row_and_answers_what_is_stored(
    client: TestClient, enforcer: Enforcer, token: Headers
) -> None:
    mp = token("marketplace")
    body = client.post("/v1/listings:screen", json={"listings": [MATCHING, HARMLESS]}, headers=mp).json()
    first, clean = body["results"]
    assert clean == {"listing_id": "L2", "allowed_everywhere": True, "decisions": [], "actions": []}
    (action,) = first["actions"]
    assert action["state"] == "approved" and action["model_version"] and action["block_threshold"]
    assert first["decisions"][0]["threshold_basis"] and first["allowed_everywhere"] is False
    assert (first["decisions"], first["actions"]) == _stored_answer(enforcer, "L1")

    aid = action["action_id"]
    with enforcer.store.transaction() as uow:
        s = uow.session
        assert uow.matches.count() == 1
        entry = BankRepo(s).get(aid)
        assert entry is not None and entry.state == "active" and entry.listing_id == "L1"
        assert s.scalar(select(func.count()).where(BankChangeRow.entry_id == entry.entry_id)) == 1
        (delivery,) = s.scalars(select(DeliveryRow).where(DeliveryRow.action_id == aid))
        assert (delivery.status, delivery.idempotency_key) == ("pending", f"{aid}:{EVENT}")
        kinds = [e.kind for e in uow.audit.list()]
        assert kinds.count("match.created") == 1 and kinds.count("action.created") == 1
        assert uow.audit.verify().ok
    assert enforcer.verify_stored().ok
    assert client.get("/v1/gate?listing_id=L1&country=US", headers=mp).json()["allowed"] is False

    # screened again: the listing is known, its rows are read back, the answer is the same action
    again = client.post("/v1/listings:screen", json=MATCHING, headers=mp).json()["results"][0]
    assert [a["action_id"] for a in again["actions"]] == [aid]
    assert (again["decisions"], again["actions"]) == _stored_answer(enforcer, "L1")
