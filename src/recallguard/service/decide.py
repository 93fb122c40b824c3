"""Decide and act: bring the stored matches and actions of one listing in line with what the
screener says now, writing an audit event for every state change.

- a new block or review match is stored (``match.created``); a changed one updated (``match.updated``);
- a block decision gets a RESTRICT action for the authority's countries (a DELIST everywhere where the
  authority's policy says so), approved automatically (``action.created``; a withdrawn one comes back:
  ``action.reinstated``) and queued for the marketplace in the same transaction (``service.outbox``);
- every stored match and automated action records the model version and thresholds behind it;
- in shadow mode (``service.shadow``) decisions are recorded (``decision.shadow``) and nothing is enforced;
- a match the screener no longer reports is withdrawn (``match.withdrawn``) and its live actions too
  (``action.withdrawn``); so is a restriction whose match dropped from block to review. An action that
  had gone out to the marketplace gets an ``action.lifted`` delivery (``service.lifts.end_action``).

>>> from recallguard.store import Store
>>> from recallguard.domain.models import Listing, Match, DecisionKind
>>> store = Store("sqlite://")
>>> with store.transaction() as uow:
...     _ = uow.listings.upsert_many([Listing("L1", "Doll stroller BS-100")])
...     m = Match("L1", "26561", "CPSC", 0.97, DecisionKind.BLOCK, "model BS-100 in title")
...     c = reconcile(uow, "L1", [m], existing=[], actor="test")
>>> c.created, c.actions_created
(1, 1)
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, fields

from recallguard.domain.models import ActionState, Match
from recallguard.domain.policy import preference
from recallguard.enforcement.actions import LIVE_STATES, DecisionBasis, action_for, implied_kinds, transition
from recallguard.errors import NotFoundError
from recallguard.service.automation import (
    AutomationPolicy,
    action_basis_columns,
    automation_policy,
    match_basis_columns,
    record_action_basis,
    record_match_basis,
)
from recallguard.service.bank_record import action_changed as bank_action_changed
from recallguard.service.lifts import end_action
from recallguard.service.outbox import enqueue
from recallguard.store import UnitOfWork
from recallguard.store.people_tables import approval_actors

#: Which (authority, recall number) pairs a screening covered; None means every one.
Scope = Collection[tuple[str, str]] | None
Progress = Callable[[int, int | None], None]


@dataclass
class ReconcileCounts:
    """What reconciling did (summed over listings)."""

    created: int = 0
    updated: int = 0
    withdrawn: int = 0
    actions_created: int = 0
    actions_withdrawn: int = 0
    actions_reinstated: int = 0
    shadowed: int = 0  # decisions recorded in shadow mode, not enforced

    def add(self, other: ReconcileCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def best_per_recall(matches: Sequence[Match]) -> dict[tuple[str, str], Match]:
    """One match per (authority, recall number), the one ``policy.preference`` puts first (a recall may
    have many targets, and the fingerprint bank may match it too)."""
    out: dict[tuple[str, str], Match] = {}
    for m in matches:
        if not implied_kinds(m.decision) and m.decision.value != "review":
            continue  # "none" decisions are not stored
        key = (m.authority, m.recall_number)
        if key not in out or preference(m) > preference(out[key]):
            out[key] = m
    return out


def _key(m: Match) -> str:
    return f"{m.authority}:{m.recall_number}"


def _withdraw_actions(uow: UnitOfWork, m: Match, why: str, actor: str, counts: ReconcileCounts) -> None:
    for a in uow.actions.for_match(m.listing_id, m.authority, m.recall_number):
        if a.state in LIVE_STATES:
            a2 = transition(a, ActionState.WITHDRAWN, why)
            end_action(uow, a, a2, why)  # stored, out of the bank; the marketplace gets a lift if it had it
            counts.actions_withdrawn += 1
            uow.audit.append(
                "action.withdrawn", f"action:{a.action_id}", actor, why,
                {"listing_id": m.listing_id, "recall": _key(m), "from": a.state.value},
            )  # fmt: skip


def _shadow(uow: UnitOfWork, m: Match, would: str, actor: str, basis: DecisionBasis | None) -> None:
    """Audit what enforcement would have done (shadow mode: nothing is enforced)."""
    uow.audit.append(
        "decision.shadow", f"listing:{m.listing_id}", actor, f"shadow: would {would}",
        {"recall": _key(m), "authority": m.authority, "decision": m.decision.value, "score": m.score,
         "would": would, "shadow": True, **(basis.as_dict() if basis else {})},
    )  # fmt: skip


def _would(m: Match, auto: AutomationPolicy) -> str:
    kinds = implied_kinds(m.decision, delist=auto.delists(m.authority))
    return kinds[0].value if kinds else m.decision.value


def _ensure_actions(
    uow: UnitOfWork,
    m: Match,
    actor: str,
    counts: ReconcileCounts,
    auto: AutomationPolicy,
    basis: DecisionBasis,
    new: bool = False,
) -> None:
    delist = auto.delists(m.authority)
    wanted = implied_kinds(m.decision, delist=delist)
    current = [] if new else uow.actions.for_match(m.listing_id, m.authority, m.recall_number)
    weakened = [a for a in current if a.kind not in wanted and a.state in LIVE_STATES]
    # an action a reviewer approved stays while the listing still matches (as review): automation only
    # ever tightens a person's decision; it is lifted by a person, an appeal or a withdrawn recall
    by_person = approval_actors(uow.session, [a.action_id for a in weakened]) if weakened else {}
    for a in weakened:
        if a.action_id in by_person:
            continue
        why = f"decision is now {m.decision.value}"
        end_action(uow, a, transition(a, ActionState.WITHDRAWN, why), why)
        counts.actions_withdrawn += 1
        uow.audit.append(
            "action.withdrawn", f"action:{a.action_id}", actor, why, {"listing_id": m.listing_id}
        )
    for kind in wanted:
        existing = next((a for a in current if a.kind == kind), None)
        try:
            proposed = action_for(m, delist=delist)
        except NotFoundError:
            return  # an authority recallguard has no jurisdiction for: the match stays for review
        if proposed is None:
            continue
        if existing is None:
            a = uow.actions.add(proposed, action_basis_columns(basis))
            bank_action_changed(uow, a, new=True)  # approved: the listing's fingerprint joins the bank
            enqueue(uow, a, new=True)  # the marketplace hears of it through the outbox, committed with it
            counts.actions_created += 1
            uow.audit.append(
                "action.created", f"action:{a.action_id}", actor, a.reason,
                {"listing_id": a.listing_id, "recall": _key(m), "kind": a.kind.value,
                 "countries": a.countries, "state": a.state.value, **basis.as_dict()},
            )  # fmt: skip
        elif existing.state == ActionState.WITHDRAWN:
            uow.actions.save_state(back := transition(existing, ActionState.APPROVED, proposed.reason))
            record_action_basis(uow, back.action_id, basis)
            bank_action_changed(uow, back)
            enqueue(uow, back)
            counts.actions_reinstated += 1
            uow.audit.append(
                "action.reinstated", f"action:{existing.action_id}", actor, proposed.reason,
                {"listing_id": m.listing_id, "state": ActionState.APPROVED.value, **basis.as_dict()},
            )  # fmt: skip


def enforce_recorded(uow: UnitOfWork, m: Match, actor: str) -> ReconcileCounts:
    """Act on a stored match's decision now (shadow mode switched off): the actions reconciliation
    would have created, approved and queued; the match's basis is recorded as enforced."""
    counts = ReconcileCounts()
    auto = automation_policy(uow)
    basis = auto.basis(m)
    record_match_basis(uow, m, basis, auto.shadowed(m.authority, m.recall_number))
    if not auto.shadowed(m.authority, m.recall_number):
        _ensure_actions(uow, m, actor, counts, auto, basis)
    return counts


def withdraw_unbacked(uow: UnitOfWork, m: Match, why: str, actor: str) -> ReconcileCounts:
    """Withdraw the live actions of a (listing, recall) whose match no longer holds."""
    counts = ReconcileCounts()
    _withdraw_actions(uow, m, why, actor, counts)
    return counts


def reconcile(
    uow: UnitOfWork,
    listing_id: str,
    matches: Sequence[Match],
    existing: Sequence[Match],
    actor: str,
    scope: Scope = None,
    why: str = "screened",
    new: bool = False,
) -> ReconcileCounts:
    """Store ``matches`` (the screener's answer for one listing) and act on them; withdraw the
    ``existing`` active matches within ``scope`` that the answer no longer contains. ``new``: the
    listing was first stored in this transaction, so it has no matches or actions yet (none are read)."""
    counts = ReconcileCounts()
    auto = automation_policy(uow)
    answer = best_per_recall(matches)
    for old in existing:
        key = (old.authority, old.recall_number)
        if key in answer or (scope is not None and key not in scope):
            continue
        if uow.matches.withdraw(listing_id, old.authority, old.recall_number):
            counts.withdrawn += 1
            reason = f"no longer matches ({why})"
            uow.audit.append(
                "match.withdrawn", f"listing:{listing_id}", actor, reason,
                {"recall": _key(old), "was": old.decision.value, "score": old.score},
            )  # fmt: skip
            if auto.shadowed(old.authority, old.recall_number):
                _shadow(uow, old, "withdraw", actor, None)
            else:
                _withdraw_actions(uow, old, reason, actor, counts)
    before = {(m.authority, m.recall_number): m for m in existing}
    for key, m in answer.items():
        basis, shadow = auto.basis(m), auto.shadowed(m.authority, m.recall_number)
        outcome = uow.matches.upsert(m, match_basis_columns(basis, shadow), new=new)
        if outcome in ("created", "reactivated"):
            counts.created += 1
            uow.audit.append(
                "match.created", f"listing:{listing_id}", actor, m.evidence,
                {"recall": f"{key[0]}:{key[1]}", "decision": m.decision.value, "score": m.score,
                 "reactivated": outcome == "reactivated", "shadow": shadow, **basis.as_dict()},
            )  # fmt: skip
        elif outcome == "updated":
            counts.updated += 1
            was = before.get(key)
            uow.audit.append(
                "match.updated", f"listing:{listing_id}", actor, m.evidence,
                {"recall": f"{key[0]}:{key[1]}", "decision": m.decision.value, "score": m.score,
                 "was": was.decision.value if was else None, "was_score": was.score if was else None,
                 "shadow": shadow, **basis.as_dict()},
            )  # fmt: skip
        if not shadow:
            _ensure_actions(uow, m, actor, counts, auto, basis, new)
        elif outcome != "unchanged":
            counts.shadowed += 1
            _shadow(uow, m, _would(m, auto), actor, basis)
    return counts
