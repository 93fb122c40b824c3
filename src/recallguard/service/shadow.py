"""Shadow mode: decisions computed and recorded, nothing enforced — and the evidence to switch on.

A shadow scope is an authority or one recall (stored: ``recallguard shadow on --authority A [--recall
N]``; or by setting: ``RECALLGUARD_SHADOW_AUTHORITIES``). Inside it reconciliation stores every match
with its model version and thresholds and ``shadow = true``, audits ``decision.shadow`` ("shadow: would
restrict"), and creates, approves, sends and withdraws no action: the gate does not change.

``shadow_report`` says what enforcement would have done (would-block / would-review matches and the
listings concerned, per recall, with the thresholds and model versions used). Switching a scope off
enforces its recorded decisions: directly (``enforce="direct"``, the default: the restrictions are
created, approved and queued for the marketplace in the same transaction) or by the next
``recallguard scan`` (``enforce="rescan"``: the listings are marked for screening again).

>>> from recallguard.store import Store
>>> store = Store("sqlite://")
>>> set_shadow(store, "CPSC", on=True, actor="test").changed
True
>>> shadow_report(store)["totals"]
{'would_block': 0, 'would_review': 0, 'listings': 0, 'already_enforced': 0}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from recallguard.domain.authorities import authority_for
from recallguard.domain.models import DecisionKind, Match
from recallguard.enforcement.state_machine import IN_FORCE
from recallguard.errors import UsageError
from recallguard.service.automation import automation_policy, configured_policy, forget_policy
from recallguard.service.decide import ReconcileCounts, enforce_recorded, withdraw_unbacked
from recallguard.store import Store, UnitOfWork
from recallguard.store.automation_tables import ShadowRepo
from recallguard.store.enforcement_repos import _match
from recallguard.store.tables import ActionRow, ListingRow, MatchRow

ENFORCE_MODES = ("direct", "rescan", "none")


@dataclass
class ShadowChange:
    """What switching a scope did."""

    authority: str
    recall_number: str
    on: bool
    changed: bool
    enforce: str = "direct"
    decisions: int = 0  # recorded shadow decisions now enforced (or marked for rescan)
    listings_marked: int = 0  # listings marked for screening again (enforce="rescan")
    counts: ReconcileCounts = field(default_factory=ReconcileCounts)


def _scope_query(authority: str, recall_number: str) -> Any:
    q = select(MatchRow).where(MatchRow.state == "active", MatchRow.authority == authority)
    return q.where(MatchRow.recall_number == recall_number) if recall_number else q


def set_shadow(
    store: Store,
    authority: str,
    recall_number: str | None = None,
    *,
    on: bool,
    actor: str,
    reason: str = "",
    enforce: str = "direct",
) -> ShadowChange:
    """Switch shadow mode on or off for an authority (every recall) or one recall; audited
    (``shadow.on`` / ``shadow.off``). Off enforces the scope's recorded decisions per ``enforce``."""
    if enforce not in ENFORCE_MODES:
        raise UsageError(f"--enforce must be one of {', '.join(ENFORCE_MODES)}, not {enforce!r}")
    code = authority_for(authority).code  # NotFoundError (exit 2 / 404) for an unknown authority
    number = (recall_number or "").strip()
    change = ShadowChange(code, number, on, False, enforce)
    with store.transaction() as uow:
        change.changed = ShadowRepo(uow.session).set(code, number, on=on, actor=actor, reason=reason)
        forget_policy(uow)
        if change.changed:
            scope = f"shadow:{code}" + (f":{number}" if number else "")
            uow.audit.append(f"shadow.{'on' if on else 'off'}", scope, actor, reason,
                             {"authority": code, "recall_number": number, "enforce": enforce})  # fmt: skip
        if not on and enforce != "none":
            _enforce_scope(uow, change, actor)
    return change


def _enforce_scope(uow: UnitOfWork, change: ShadowChange, actor: str) -> None:
    auto = automation_policy(uow)
    q = _scope_query(change.authority, change.recall_number).where(MatchRow.shadow.is_(True))
    pending = [
        m for m in map(_match, uow.session.scalars(q)) if not auto.shadowed(m.authority, m.recall_number)
    ]
    if change.enforce == "rescan":
        ids = sorted({m.listing_id for m in pending})
        for i in range(0, len(ids), 500):
            uow.session.execute(
                update(ListingRow)
                .where(ListingRow.listing_id.in_(ids[i : i + 500]))
                .values(screened_version=None)
            )
        change.listings_marked, change.decisions = len(ids), len(pending)
        return
    for m in pending:
        change.counts.add(enforce_recorded(uow, m, actor))
        change.decisions += 1
    # actions left live while shadowed although their match went away (or fell to review)
    bq = _scope_query(change.authority, change.recall_number).where(MatchRow.decision == "block")
    columns = bq.with_only_columns(MatchRow.listing_id, MatchRow.recall_number)
    backed = {(lid, number) for lid, number in uow.session.execute(columns)}
    q = select(ActionRow).where(ActionRow.authority == change.authority,
                                ActionRow.state.in_([s.value for s in IN_FORCE]))  # fmt: skip
    if change.recall_number:
        q = q.where(ActionRow.recall_number == change.recall_number)
    for row in list(uow.session.scalars(q)):
        if (row.listing_id, row.recall_number) in backed or auto.shadowed(row.authority, row.recall_number):
            continue
        stub = Match(row.listing_id, row.recall_number, row.authority, 0.0, DecisionKind.NONE, "")
        change.counts.add(withdraw_unbacked(uow, stub, "no longer decided (shadow mode ended)", actor))


def shadow_scopes(store: Store) -> list[dict[str, str]]:
    """Stored scopes and those set by ``RECALLGUARD_SHADOW_AUTHORITIES`` (``source``: stored / setting)."""
    with store.transaction() as uow:
        stored = [{**d, "source": "stored"} for d in ShadowRepo(uow.session).details()]
    _, by_setting = configured_policy()
    return stored + [{"authority": a, "recall_number": "", "source": "setting"} for a in sorted(by_setting)]


def shadow_report(store: Store, authority: str | None = None) -> dict[str, Any]:
    """What enforcement would have done in shadow mode: per recall, would-block and would-review
    decisions, the listings concerned, those already restricted by an earlier action, and the model
    versions and thresholds used; with totals.

    Counts active matches decided in shadow mode (``matches.shadow``)."""
    code = authority_for(authority).code if authority else None
    q = select(MatchRow).where(MatchRow.state == "active", MatchRow.shadow.is_(True))
    if code:
        q = q.where(MatchRow.authority == code)
    per: dict[tuple[str, str], dict[str, Any]] = {}
    listings: set[str] = set()
    enforced: set[tuple[str, str, str]] = set()
    with store.transaction() as uow:
        auto = automation_policy(uow)
        rows = list(uow.session.scalars(q.order_by(MatchRow.authority, MatchRow.recall_number)))
        aq = select(ActionRow.listing_id, ActionRow.authority, ActionRow.recall_number).where(
            ActionRow.state.in_([s.value for s in IN_FORCE])
        )
        if code:
            aq = aq.where(ActionRow.authority == code)
        enforced = {(lid, a, n) for lid, a, n in uow.session.execute(aq)}
    for r in rows:
        key = (r.authority, r.recall_number)
        if key not in per:
            per[key] = {"authority": r.authority, "recall_number": r.recall_number,
                        "would": "delist" if auto.delists(r.authority) else "restrict",
                        "would_block": 0, "would_review": 0, "listings": set(), "already_enforced": 0,
                        "model_versions": set(), "thresholds": set()}  # fmt: skip
        e = per[key]
        e["would_block" if r.decision == "block" else "would_review"] += 1
        e["listings"].add(r.listing_id)
        e["already_enforced"] += (r.listing_id, r.authority, r.recall_number) in enforced
        e["model_versions"].add(r.model_version)
        e["thresholds"].add((r.block_threshold, r.review_threshold, r.threshold_basis))
        listings.add(r.listing_id)
    recalls = []
    for e in per.values():
        recalls.append({**e, "listings": len(e["listings"]), "model_versions": sorted(e["model_versions"]),
                        "thresholds": [{"block": b, "review": rv, "basis": basis}
                                       for b, rv, basis in sorted(e["thresholds"], key=str)]})  # fmt: skip
    totals = {
        "would_block": sum(e["would_block"] for e in recalls),
        "would_review": sum(e["would_review"] for e in recalls),
        "listings": len(listings),
        "already_enforced": sum(e["already_enforced"] for e in recalls),
    }
    return {"authority": code, "scopes": shadow_scopes(store), "totals": totals, "recalls": recalls}
