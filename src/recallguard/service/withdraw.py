"""Withdrawn recalls: lift exactly the restrictions a recall caused, and none another one still needs.

A recall is withdrawn by its authority — its status in a re-published feed, or an operator running
``recallguard recalls withdraw AUTHORITY NUMBER --reason ...``. In one transaction:

1. the recall's status becomes ``withdrawn`` (its targets leave the active set; ``recall.withdrawn``);
2. every active match of the recall is withdrawn (``match.withdrawn``) and each of its live actions
   moves to ``withdrawn`` (``action.withdrawn``), which lifts its restriction at the gate; one that had
   gone out to the marketplace gets an ``action.lifted`` delivery in the same transaction. Actions are
   kept one per (listing, recall, kind), so another recall's or a category-ban rule's restriction of the
   same listing is a different action and stays in force. Withdrawn, not reversed: reversal is final and
   belongs to appeals; a recall published again as active reinstates its actions
   (``action.reinstated``);
3. the listings that lost a match are screened again against every other active recall and the
   category-ban rules, adding what those still need (``match.created``, ``action.created``): the
   screener reports a second recall of a listing only when it scores close to the best one, so a
   restriction another recall needs may only now appear (so is a block where that recall's match only
   asked for review). Nothing else of those listings is withdrawn or rescored: ``recallguard scan``
   brings them to the new scan version.

>>> from recallguard.store import Store
>>> from recallguard.domain.models import Recall
>>> store = Store("sqlite://")
>>> with store.transaction() as uow:
...     _ = uow.recalls.upsert(Recall("26561", "CPSC", "Doll"), [])
>>> r = withdraw_recall(store, "cpsc", "26561", "published in error", actor="test")
>>> r.recall, r.withdrawn_now, withdraw_recall(store, "CPSC", "26561", "again").withdrawn_now
('CPSC:26561', True, False)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from recallguard.domain.models import Action, ActionState, DecisionKind, Match, Recall, RecallStatus, Target
from recallguard.enforcement.actions import LIVE_STATES, transition
from recallguard.errors import NotFoundError, UsageError
from recallguard.service.decide import ReconcileCounts, reconcile
from recallguard.service.lifts import end_action
from recallguard.service.screening import ScreenerFactory, ScreenerLike, default_screener
from recallguard.store import Store, UnitOfWork


@dataclass
class WithdrawReport:
    """What withdrawing one recall did."""

    recall: str
    withdrawn_now: bool = False  # False: it was withdrawn already (nothing changed)
    matches_withdrawn: int = 0
    actions_withdrawn: int = 0
    listings: list[str] = field(default_factory=list)  # listings that lost a match of the recall
    still_restricted: dict[str, list[str]] = field(default_factory=dict)  # listing → recalls in force
    counts: ReconcileCounts = field(default_factory=ReconcileCounts)  # what the re-screening added


def lift_recall(
    uow: UnitOfWork,
    recall: Recall,
    reason: str,
    actor: str,
    factory: ScreenerFactory = default_screener,
    report: WithdrawReport | None = None,
) -> WithdrawReport:
    """Steps 2 and 3 of the module docstring for a recall already stored as withdrawn (same transaction)."""
    report = report or WithdrawReport(recall.key)
    why = f"recall {recall.key} withdrawn: {reason}"
    lost = uow.matches.active_for_recall(recall.authority, recall.recall_number)
    for m in lost:
        if not uow.matches.withdraw(m.listing_id, m.authority, m.recall_number):
            continue
        report.matches_withdrawn += 1
        uow.audit.append(
            "match.withdrawn", f"listing:{m.listing_id}", actor, why,
            {"recall": recall.key, "was": m.decision.value, "score": m.score},
        )  # fmt: skip
        for a in uow.actions.for_match(m.listing_id, m.authority, m.recall_number):
            if a.state in LIVE_STATES:
                end_action(uow, a, transition(a, ActionState.WITHDRAWN, why), why)  # + lift if sent
                report.actions_withdrawn += 1
                uow.audit.append(
                    "action.withdrawn", f"action:{a.action_id}", actor, why,
                    {"listing_id": a.listing_id, "recall": recall.key, "kind": a.kind.value,
                     "countries": a.countries, "from": a.state.value},
                )  # fmt: skip
    report.listings = sorted({m.listing_id for m in lost})
    if report.listings:
        _rescreen_others(uow, report, factory, actor, why)
    return report


def _rescreen_others(
    uow: UnitOfWork, report: WithdrawReport, factory: ScreenerFactory, actor: str, why: str
) -> None:
    """Add the matches and actions the other active recalls and rules need on the affected listings."""
    targets = uow.recalls.active_targets()
    screener = factory(targets, True)
    listings = uow.listings.get_many(report.listings)
    existing = uow.matches.active_for_listings(report.listings)
    for listing, matches in screener.screen_many(listings):
        old = {(m.authority, m.recall_number): m for m in existing.get(listing.listing_id, [])}
        needed = [m for m in matches if _adds_restriction(m, old.get((m.authority, m.recall_number)))]
        keep = {(m.authority, m.recall_number) for m in needed}
        report.counts.add(
            reconcile(
                uow, listing.listing_id, needed, existing.get(listing.listing_id, []), actor,
                scope=keep, why=f"screened again after {why}",
            )
        )  # fmt: skip
    for lid in report.listings:
        live = [a for a in _actions_of(uow, lid) if a.state in LIVE_STATES]
        if live:
            report.still_restricted[lid] = sorted({f"{a.authority}:{a.recall_number}" for a in live})


def _adds_restriction(new: Match, old: Match | None) -> bool:
    """A match the re-screening stores: a recall or rule not matched before, or one that now blocks where
    it only asked for review (scores of matches that stay as they were are left to the next scan)."""
    if old is None:
        return new.decision is not DecisionKind.NONE
    return new.decision is DecisionKind.BLOCK and old.decision is not DecisionKind.BLOCK


def _actions_of(uow: UnitOfWork, listing_id: str) -> list[Action]:
    active = uow.matches.active_for_listings([listing_id]).get(listing_id, [])
    return [a for m in active for a in uow.actions.for_match(listing_id, m.authority, m.recall_number)]


def _lifted(report: WithdrawReport, limit: int = 200) -> dict[str, Any]:
    """The data of a ``recall.restrictions_lifted`` audit event (long lists cut at ``limit``)."""
    return {
        "matches_withdrawn": report.matches_withdrawn,
        "actions_withdrawn": report.actions_withdrawn,
        "listings": report.listings[:limit],
        "still_restricted": dict(list(report.still_restricted.items())[:limit]),
        "matches_added": report.counts.created,
        "actions_added": report.counts.actions_created,
    }


def withdraw_recall(
    store: Store,
    authority: str,
    number: str,
    reason: str,
    *,
    actor: str = "cli",
    factory: ScreenerFactory = default_screener,
) -> WithdrawReport:
    """Withdraw one stored recall (see the module docstring); withdrawing it again changes nothing.

    Raises NotFoundError for a recall the store does not hold, UsageError without a reason.
    """
    if not reason.strip():
        raise UsageError("a withdrawal needs a reason (--reason): it goes into the audit log")
    code = authority.strip().upper()
    with store.transaction() as uow:
        recall = uow.recalls.get(code, number.strip())
        if recall is None:
            raise NotFoundError(f"no recall {code}:{number.strip()} in the store")
        report = WithdrawReport(recall.key)
        if recall.status is RecallStatus.WITHDRAWN:
            return report
        targets = uow.recalls.targets_of(recall.authority, recall.recall_number)
        withdrawn = dataclasses.replace(recall, status=RecallStatus.WITHDRAWN)
        res = uow.recalls.upsert(withdrawn, targets)
        report.withdrawn_now = True
        uow.audit.append(
            "recall.withdrawn", f"recall:{recall.key}", actor, reason,
            {"version": res.version, "content_hash": res.content_hash, "source": "operator"},
        )  # fmt: skip
        lift_recall(uow, withdrawn, reason, actor, factory, report)
        uow.audit.append("recall.restrictions_lifted", f"recall:{recall.key}", actor, reason, _lifted(report))
    return report


def lift_withdrawn(
    uow: UnitOfWork, recalls: Sequence[Recall], source: str, actor: str, factory: ScreenerFactory
) -> list[WithdrawReport]:
    """For an import: lift what each recall that the feed now says is withdrawn caused (same transaction)."""
    built: list[ScreenerLike] = []

    def once(targets: Sequence[Target], rules: bool) -> ScreenerLike:  # one screener for the whole import
        if not built:
            built.append(factory(targets, rules))
        return built[0]

    out = []
    for r in recalls:
        why = f"withdrawn in {source}"
        rep = lift_recall(uow, r, why, actor, once)
        uow.audit.append("recall.restrictions_lifted", f"recall:{r.key}", actor, why, _lifted(rep))
        out.append(rep)
    return out
