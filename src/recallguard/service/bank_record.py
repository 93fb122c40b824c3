"""Recording actioned listings in the fingerprint bank, in the transaction that changes the action.

:func:`action_changed` is called wherever an action's state is written (``service.decide`` calls it
for every action it creates, reinstates or withdraws): an action that becomes approved (or is sent,
confirmed, failed) adds its listing's fingerprint to ``bank_entries``; one that is withdrawn or
reversed removes it. Both are logged in ``bank_changes`` (numbered), in the same transaction, so
the bank never disagrees with the actions. Image URLs are *not* fetched here: the entry is marked
``pending`` and a bounded worker hashes the photos after the commit. Processes holding a bank in
memory hear about the commit at once (same process) or within a poll (others).

:func:`sync_with_actions` repairs the bank for actions changed by code that does not call the
hook (the API's reviewer approvals and appeals), at startup, on ``recallguard bank rebuild`` and in
the poll loop.

>>> from recallguard.domain.models import Listing
>>> from recallguard.matching.bank_entries import ActionEvidence
>>> removed = Listing("L1", "Joolz Aer2 adapter NL311", seller_id="S1")
>>> e = fingerprint_entry(removed, ActionEvidence("26568", "CPSC"))
>>> e["listing_id"], e["evidence"]["recall_number"], len(e["minhash"])
('L1', '26568', 64)
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from recallguard.domain.models import Action, ActionKind, ActionState, Listing
from recallguard.matching.bank_entries import ActionEvidence, entry_record, fingerprint, seller_links
from recallguard.store import UnitOfWork
from recallguard.store.bank_repos import ACTIONED_STATES, BankRecord, BankRepo
from recallguard.store.convert import listing_hash, utc
from recallguard.store.tables import ActionRow

_RECENT = 64
_recent: dict[str, dict[str, Any]] = {}  # content hash → fingerprint (without listing id and evidence)
_recent_lock = threading.Lock()
#: One change a transaction wrote to the bank: (``bank_changes.seq``, op, the entry as written).
WrittenChange = tuple[int, str, BankRecord]
#: Called after a transaction that changed the bank commits (in-process banks), with the engine and
#: the changes it wrote.
CommitListener = Callable[[Engine, list[WrittenChange]], None]
_commit_listeners: list[CommitListener] = []


def fingerprint_entry(listing: Listing, evidence: ActionEvidence) -> dict[str, Any]:
    """One bank entry for ``listing`` as ``FingerprintBank.snapshot()`` writes it (no images: those
    are hashed later, off the hot path). A listing restricted for several recalls at once is
    fingerprinted once (the last few fingerprints are kept by content hash)."""
    h = listing_hash(listing)
    with _recent_lock:
        cached = _recent.get(h)
    if cached is None:
        cached = entry_record(fingerprint(listing, evidence))
        with _recent_lock:
            _recent[h] = cached
            while len(_recent) > _RECENT:
                del _recent[next(iter(_recent))]
    raw = dict(cached)
    raw["listing_id"] = listing.listing_id
    raw["evidence"] = dataclasses.asdict(evidence)
    return raw


def on_bank_commit(listener: CommitListener) -> None:
    """Register a callback run after any transaction that changed the bank commits."""
    if listener not in _commit_listeners:
        _commit_listeners.append(listener)


def _after_commit(session: Session) -> None:
    if not session.info.pop("bank_changed", False):
        return
    written: list[WrittenChange] = session.info.pop("bank_written", [])
    engine = session.get_bind()
    for listener in list(_commit_listeners):
        listener(engine, written)  # type: ignore[arg-type]


def _mark_changed(uow: UnitOfWork, repo: BankRepo, op: str, rec: BankRecord) -> None:
    """Note the change ``repo`` just logged (``repo.last_change``, ``op``, the entry as written), so
    that this process applies it from memory after the commit."""
    info = uow.session.info
    info["bank_changed"] = True
    info.setdefault("bank_written", []).append((repo.last_change, op, rec))


# Heard after every session's commit (a dict lookup when the bank did not change): registering a
# listener on each session that changes the bank cost ~50 µs of SQLAlchemy's event machinery per
# publish-time block.
event.listen(Session, "after_commit", _after_commit)


def record_action(uow: UnitOfWork, action: Action, new: bool = False) -> BankRecord | None:
    """Add the actioned listing's fingerprint (same transaction); None when the listing is unknown.
    ``new``: the action was created in this transaction, so it has no entry yet (one read saved)."""
    listing = uow.listings.get(action.listing_id)
    if listing is None:
        return None
    at = action.updated_at or action.created_at or datetime.now(UTC)
    evidence = ActionEvidence(
        action.recall_number, action.authority, action.action_id, action.reason[:1000], at.isoformat()
    )
    repo = BankRepo(uow.session)
    rec = repo.record(
        action.action_id, listing.listing_id, action.authority, action.recall_number, listing.seller_id,
        seller_links(listing), fingerprint_entry(listing, evidence), list(listing.image_urls), at, new=new,
    )  # fmt: skip
    _mark_changed(uow, repo, "add", rec)
    return rec


def action_changed(uow: UnitOfWork, action: Action, new: bool = False) -> None:
    """Bring the bank in line with one action's new state (call after writing the state; ``new``:
    the action was added in this transaction, so no entry of it can exist yet).

    Approved, sent, confirmed or failed: the listing is in the bank. Withdrawn or reversed: it is
    not. Proposed: nothing yet.
    """
    if action.state.value in ACTIONED_STATES:
        if new:
            record_action(uow, action, new=True)
        elif (rec := BankRepo(uow.session).get(action.action_id)) is None or rec.state != "active":
            record_action(uow, action)
    elif action.state in (ActionState.WITHDRAWN, ActionState.REVERSED):
        why = f"action {action.state.value}: {action.reason}"[:500]
        repo = BankRepo(uow.session)
        if (rec := repo.remove(action.action_id, why)) is not None:
            _mark_changed(uow, repo, "remove", rec)


def sync_with_actions(uow: UnitOfWork, limit: int = 10_000) -> tuple[int, int]:
    """Add entries for actioned actions that have none, remove entries whose action is no longer
    actioned; returns (added, removed)."""
    repo = BankRepo(uow.session)
    added = removed = 0
    for action_id in repo.actions_without_entry(limit):
        row = uow.session.get(ActionRow, action_id)
        if row is not None:
            action = Action(
                row.listing_id, row.recall_number, row.authority, ActionKind(row.kind), list(row.countries),
                ActionState(row.state), row.action_id, row.reason, utc(row.created_at), utc(row.updated_at),
            )  # fmt: skip
            added += record_action(uow, action) is not None
    for action_id, state in repo.entries_without_action(limit):
        if (rec := repo.remove(action_id, f"action {state}")) is not None:
            removed += 1
            _mark_changed(uow, repo, "remove", rec)
    return added, removed
