"""Publish-time screening: store listings, screen them against the active recalls and checks, decide
and act, all in one transaction, and answer with decisions, actions and the gate's view.

Bad records are rejected one by one (named by index and field) and quarantined; the rest go on.

>>> from recallguard.api.config import ServiceSettings
>>> from recallguard.api.runtime import Enforcer
>>> enf = Enforcer(ServiceSettings(database_url="sqlite://", data_dir="/tmp/rg-doc-sc"))
>>> out = screen_listings(enf, [{"listing_id": "L1", "title": "Garden hose"}, {"title": "no id"}], "test")
>>> [r.listing_id for r in out.results], [r.field for r in out.rejected]
(['L1'], ['listing_id'])
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from pydantic import ValidationError

from recallguard.api.runtime import Enforcer
from recallguard.api.schemas import ActionPublic, MatchPublic, RejectedRecord, ScreenResponse, ScreenResult
from recallguard.domain.models import Action, BadRecord, Listing
from recallguard.enforcement.state_machine import in_force
from recallguard.listings.schema import ListingIn
from recallguard.service.automation import action_bases, match_bases
from recallguard.service.decide import reconcile
from recallguard.service.rescan import key_rows
from recallguard.store import UnitOfWork
from recallguard.store.enforcement_tables import EnforcementRepo


def parse_listings(records: list[dict[str, Any]]) -> tuple[list[Listing], list[RejectedRecord]]:
    """Validate each record; returns the good listings and the rejected records (index, field, error)."""
    good: list[Listing] = []
    bad: list[RejectedRecord] = []
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            bad.append(RejectedRecord(index=i, field="<record>", error="not a JSON object"))
            continue
        try:
            good.append(ListingIn.model_validate(rec).to_domain())
        except ValidationError as e:
            err = e.errors()[0]
            field = ".".join(str(p) for p in err.get("loc", ())) or "<record>"
            bad.append(
                RejectedRecord(
                    index=i,
                    listing_id=str(rec.get("listing_id", ""))[:200],
                    field=field,
                    error=err.get("msg", "invalid"),
                )
            )
    return good, bad


def written_answer(
    uow: UnitOfWork, listing_ids: set[str], keys: list[tuple[str, str, str]]
) -> tuple[list[Action], dict[tuple[str, str, str], dict[str, Any]], dict[str, dict[str, Any]]]:
    """The actions of ``listing_ids`` and the bases of the matches ``keys`` and of those actions, as
    this unit of work wrote them: what ``actions_for_listings``, ``match_bases`` and ``action_bases``
    would read back for listings first stored in it (nothing else can have written their rows).

    >>> from recallguard.store import Store
    >>> with Store("sqlite://").transaction() as uow:
    ...     written_answer(uow, {"L1"}, [("L1", "CPSC", "1")])
    ([], {}, {})
    """
    added = [(a, b) for a, b in uow.actions.added.values() if a.listing_id in listing_ids]
    m_bases = {k: uow.matches.written[k] for k in keys if k in uow.matches.written}
    return [a for a, _ in added], m_bases, {a.action_id: b for a, b in added}


def screen_listings(enf: Enforcer, records: list[dict[str, Any]], actor: str) -> ScreenResponse:
    """Store, screen, decide and act on ``records``; the gate reflects new restrictions before returning."""
    listings, rejected = parse_listings(records)
    screener, version = enf.screener()
    by_id = {x.listing_id: x for x in listings}  # the last of duplicate ids wins, as in the store
    ids = list(by_id)
    matches = screener.screen_batch(list(by_id.values())) if ids else []
    mv = str(screener.model_version)  # every decision names the model that made it
    matches = [
        [m if m.model_version else dataclasses.replace(m, model_version=mv) for m in ms] for ms in matches
    ]
    keys = key_rows(list(by_id.values()))  # index keys before the write transaction: a shorter writer lock
    with enf.store.transaction() as uow:
        if rejected:
            uow.quarantine.add_many(
                "listing",
                [
                    BadRecord(
                        "api:/v1/listings:screen",
                        f"listings[{r.index}]",
                        r.field,
                        r.error,
                        json.dumps(records[r.index], default=str)[:10_000],
                    )
                    for r in rejected
                ],
            )
        if ids:
            # a listing stored for the first time has no matches or actions yet: nothing to read of it
            stored = uow.listings.upsert_many(list(by_id.values()), keys, screened_version=version)
            created = set(stored.created)
            seen = [lid for lid in ids if lid not in created]
            existing = uow.matches.active_for_listings(seen) if seen else {}
            touched = []  # listings with a match before or now (most have neither: nothing to reconcile)
            for lid, found in zip(ids, matches, strict=True):
                was = existing.get(lid, [])
                if found or was:
                    touched.append(lid)
                    reconcile(uow, lid, found, was, actor, why="publish-time screening", new=lid in created)
            if stored.unchanged:  # new and changed listings were written as screened at this version
                written = created.union(stored.changed)
                uow.listings.mark_screened([i for i in ids if i not in written], version)
            match_keys = [(m.listing_id, m.authority, m.recall_number) for ms in matches for m in ms]
            if created.issuperset(touched):  # every row of these listings was written just now: no reads
                actions, m_bases, a_bases = written_answer(uow, set(touched), match_keys)
            else:
                actions = EnforcementRepo(uow.session).actions_for_listings(touched) if touched else []
                m_bases = match_bases(uow, match_keys)
                a_bases = action_bases(uow, [a.action_id for a in actions])
        else:
            actions, m_bases, a_bases = [], {}, {}
    for a in actions:
        enf.gate.apply(a)
    per: dict[str, list[Action]] = {}
    for a in actions:
        per.setdefault(a.listing_id, []).append(a)
    results = []
    for lid, found in zip(ids, matches, strict=True):
        acts = per.get(lid, [])
        results.append(
            ScreenResult(
                listing_id=lid,
                allowed_everywhere=not any(in_force(a) for a in acts),
                decisions=[
                    MatchPublic.from_domain(m, m_bases.get((m.listing_id, m.authority, m.recall_number)))
                    for m in found
                ],
                actions=[ActionPublic.from_domain(a, a_bases.get(a.action_id)) for a in acts],
            )
        )
    return ScreenResponse(results=results, rejected=rejected, model_version=str(screener.model_version))
