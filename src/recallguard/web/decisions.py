"""What the pages change: reviewers' decisions on matches (one or a recall's in bulk), sellers' appeals
and attestations, and reviewers' outcomes of those.

Every decision is stored as a training label (``review_labels``) and an audit event. Actions move only
through the enforcement code that already exists: approving a match is ``Enforcer.approve_match`` (the
restriction is created or reinstated and approved; the gate refuses the listing at once), rejecting
withdraws a proposed action and upholding an appeal reverses the action, both with ``Enforcer.move``
(the state machine's ``transition``).

>>> DECISIONS
('approve', 'reject', 'escalate')
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from recallguard.api.runtime import Enforcer
from recallguard.domain.models import Action, ActionState, Listing, Match
from recallguard.enforcement.auth import Principal
from recallguard.enforcement.permissions import authority_filter, seller_filter
from recallguard.errors import ConflictError, NotFoundError, ValidationFailed
from recallguard.store.enforcement_tables import EnforcementRepo
from recallguard.store.review_tables import CONFIRMED, OPEN, UPHELD, Appeal, ReviewRepo

DECISIONS = ("approve", "reject", "escalate")
IN_FORCE = frozenset({ActionState.APPROVED, ActionState.SENT, ActionState.CONFIRMED, ActionState.FAILED})
MAX_PHOTOS, MAX_PHOTO_BYTES = 4, 5 * 1024 * 1024
PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png", b"RIFF": "image/webp"}


@dataclass
class Photo:
    """An uploaded label photo."""

    filename: str
    data: bytes


def photo_type(data: bytes) -> str | None:
    """The image type of ``data`` by its signature (JPEG, PNG, WebP), or None — the declared content type
    and file name are not trusted.

    >>> photo_type(b"\\x89PNG\\r\\n\\x1a\\n...."), photo_type(b"<svg>")
    ('image/png', None)
    """
    for magic, kind in PHOTO_TYPES.items():
        if data.startswith(magic) and (kind != "image/webp" or data[8:12] == b"WEBP"):
            return kind
    return None


def _snapshot(listing: Listing) -> dict[str, str]:
    """The listing's text as the reviewer saw it (the label's features are recomputed from it)."""
    return {"title": listing.title, "brand": listing.brand, "model": listing.model, "gtin": listing.gtin,
            "description": listing.description[:2000], "category": listing.category}  # fmt: skip


def _active_match(enf: Enforcer, listing_id: str, authority: str, recall_number: str) -> Match:
    with enf.store.transaction() as uow:
        found = [
            m
            for m in uow.matches.active_for_listings([listing_id]).get(listing_id, [])
            if m.authority == authority and m.recall_number == recall_number
        ]
    if not found:
        raise NotFoundError(f"no active match of listing {listing_id} with {authority}:{recall_number}")
    return found[0]


def decide(
    enf: Enforcer,
    principal: Principal,
    listing_id: str,
    authority: str,
    recall_number: str,
    decision: str,
    reason: str = "",
    source: str = "queue",
) -> Action | None:
    """A reviewer's decision on one match; returns the approved action for ``approve``."""
    if decision not in DECISIONS:
        raise ValidationFailed(f"unknown decision {decision!r}", location="form", field="decision")
    authority = authority.upper()
    match = _active_match(enf, listing_id, authority, recall_number)
    actor = principal.actor
    approved: Action | None = None
    if decision == "approve":
        approved = enf.approve_match(
            listing_id, authority, recall_number, actor, reason or "confirmed by a reviewer"
        )
    elif decision == "reject":
        with enf.store.transaction() as uow:
            pending = [a for a in uow.actions.for_match(listing_id, authority, recall_number)
                       if a.state == ActionState.PROPOSED]  # fmt: skip
        for a in pending:
            enf.move(a.action_id, ActionState.WITHDRAWN, actor, reason or "rejected by a reviewer")
    with enf.store.transaction() as uow:
        listing = uow.listings.get(listing_id)
        snapshot = _snapshot(listing) if listing else {}
        label_id = ReviewRepo(uow.session).add_label(
            listing_id, authority, recall_number, decision, actor=actor, source=source, score=match.score,
            model_version=match.model_version, evidence=match.evidence, listing=snapshot, reason=reason,
        )  # fmt: skip
        uow.audit.append(
            f"review.{decision}d" if decision != "escalate" else "review.escalated",
            f"listing:{listing_id}",
            actor,
            reason,
            {"listing_id": listing_id, "recall": f"{authority}:{recall_number}", "authority": authority,
             "decision": decision, "score": match.score, "label_id": label_id, "source": source,
             "action_id": approved.action_id if approved else None},
        )  # fmt: skip
    return approved


def decide_bulk(
    enf: Enforcer,
    principal: Principal,
    authority: str,
    recall_number: str,
    listing_ids: list[str],
    decision: str,
    reason: str = "",
) -> tuple[list[Action], list[str]]:
    """The same decision on several of a recall's matches; returns the approved actions and the
    listings that could not be decided (their match was gone), which are skipped, not fatal."""
    approved: list[Action] = []
    skipped: list[str] = []
    for lid in dict.fromkeys(listing_ids):
        try:
            a = decide(enf, principal, lid, authority, recall_number, decision, reason, source="bulk")
        except NotFoundError:
            skipped.append(lid)
            continue
        if a is not None:
            approved.append(a)
    return approved, skipped


def seller_action(enf: Enforcer, principal: Principal, action_id: str) -> Action:
    """An action on one of the principal's listings (404 for anyone else's)."""
    with enf.store.transaction() as uow:
        found = EnforcementRepo(uow.session).query_actions(
            authority=authority_filter(principal),
            seller_id=seller_filter(principal),
            action_id=action_id,
            limit=1,
        )
    if not found:
        raise NotFoundError(f"no action {action_id}")
    return found[0]


def appeal_deadline(action: Action, appeal_days: int) -> datetime:
    """The last moment a seller may appeal ``action`` (``appeal_days``: the ``appeal_days`` setting, as
    in the seller's notice).

    >>> from recallguard.domain.models import ActionKind
    >>> a = Action("L1", "26561", "CPSC", ActionKind.RESTRICT, ["US"])
    >>> a.created_at = datetime(2026, 1, 1, tzinfo=UTC)
    >>> appeal_deadline(a, 182).date().isoformat()
    '2026-07-02'
    """
    return (action.created_at or datetime.now(UTC)) + timedelta(days=appeal_days)


def file_appeal(
    enf: Enforcer,
    principal: Principal,
    action_id: str,
    kind: str,
    message: str,
    attested: str = "",
    photos: list[Photo] | None = None,
    language: str = "en",
) -> str:
    """A seller appeals an action (or attests that its stock lies outside the recalled ranges, with
    label photos); the listing returns to the review queue. Returns the appeal id."""
    action = seller_action(enf, principal, action_id)
    if kind not in ("appeal", "attestation"):
        raise ValidationFailed(f"unknown appeal kind {kind!r}", location="form", field="kind")
    if not message.strip():
        raise ValidationFailed("explain why you appeal", location="form", field="message")
    if kind == "attestation" and not attested.strip():
        raise ValidationFailed("name the lots, serial numbers or dates of your stock", location="form",
                               field="attested")  # fmt: skip
    if action.state not in IN_FORCE:
        raise ConflictError(f"action {action_id} is {action.state.value}: there is nothing to appeal")
    if datetime.now(UTC) > appeal_deadline(action, enf.settings.appeal_days):
        raise ConflictError(f"the time to appeal action {action_id} has ended")
    checked = []
    for p in photos or []:
        if len(p.data) > MAX_PHOTO_BYTES:
            raise ValidationFailed(f"photo {p.filename} is larger than {MAX_PHOTO_BYTES // 2**20} MB",
                                   location=p.filename, field="photos")  # fmt: skip
        kind_of = photo_type(p.data)
        if kind_of is None:
            why = f"photo {p.filename} is not a JPEG, PNG or WebP image"
            raise ValidationFailed(why, location=p.filename, field="photos")
        checked.append((p, kind_of, hashlib.sha256(p.data).hexdigest()))
    if len(checked) > MAX_PHOTOS:
        raise ValidationFailed(f"at most {MAX_PHOTOS} photos", location="form", field="photos")
    with enf.store.transaction() as uow:
        repo = ReviewRepo(uow.session)
        if repo.appeals(state=OPEN, action_ids=[action_id]):
            raise ConflictError(f"action {action_id} already has an open appeal")
        appeal_id = repo.add_appeal(
            action_id, action.listing_id, principal.seller_id or "", action.authority, action.recall_number,
            kind, message.strip(), {"text": attested.strip()} if attested.strip() else {}, language,
        )  # fmt: skip
        for p, ctype, digest in checked:
            repo.add_photo(appeal_id, p.filename[:300], ctype, p.data, digest)
        uow.audit.append(
            f"{kind}.filed", f"action:{action_id}", principal.actor, message.strip()[:500],
            {"appeal_id": appeal_id, "listing_id": action.listing_id, "authority": action.authority,
             "recall": f"{action.authority}:{action.recall_number}", "photos": [d for _, _, d in checked]},
        )  # fmt: skip
    return appeal_id


def decide_appeal(enf: Enforcer, principal: Principal, appeal_id: str, outcome: str, reason: str) -> Appeal:
    """A reviewer upholds an appeal (the action is reversed: the gate lets the listing through again) or
    confirms the action. Either way a training label and an audit event are stored."""
    if outcome not in ("uphold", "confirm"):
        raise ValidationFailed(f"unknown outcome {outcome!r}", location="form", field="outcome")
    with enf.store.transaction() as uow:
        appeal = ReviewRepo(uow.session).appeal(appeal_id)
    if appeal is None:
        raise NotFoundError(f"no appeal {appeal_id}")
    if appeal.state != OPEN:
        raise ConflictError(f"appeal {appeal_id} was already decided ({appeal.state})")
    why = reason or ("appeal upheld" if outcome == "uphold" else "action confirmed on appeal")
    if outcome == "uphold":
        enf.move(appeal.action_id, ActionState.REVERSED, principal.actor, why, {"appeal_id": appeal_id})
    state = UPHELD if outcome == "uphold" else CONFIRMED
    # an upheld appeal says "not this product"; an upheld attestation says "this product, other lots"
    is_match = (outcome == "confirm") if appeal.kind == "appeal" else (True if outcome == "confirm" else None)
    with enf.store.transaction() as uow:
        repo = ReviewRepo(uow.session)
        decided = repo.decide_appeal(appeal_id, state, principal.actor, why)
        assert decided is not None
        listing = uow.listings.get(appeal.listing_id)
        snapshot = _snapshot(listing) if listing else {}
        repo.add_label(
            appeal.listing_id, appeal.authority, appeal.recall_number, state, actor=principal.actor,
            is_match=is_match, source=appeal.kind, listing=snapshot, reason=why,
        )  # fmt: skip
        uow.audit.append(
            f"{appeal.kind}.{state}", f"action:{appeal.action_id}", principal.actor, why,
            {"appeal_id": appeal_id, "listing_id": appeal.listing_id, "authority": appeal.authority,
             "recall": f"{appeal.authority}:{appeal.recall_number}", "outcome": state},
        )  # fmt: skip
    return decided
