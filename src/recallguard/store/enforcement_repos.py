"""Repositories for what recallguard decides and does: matches, actions, the hash-chained audit log
and scan checkpoints (the last two in ``audit_repos``). Each works inside one unit of work and returns
domain dataclasses.

>>> from recallguard.store import Store
>>> from recallguard.domain.models import Listing, Match, DecisionKind
>>> store = Store("sqlite://")
>>> with store.transaction() as uow:
...     _ = uow.listings.upsert_many([Listing("L1", "Doll stroller BS-100")])
...     uow.matches.upsert(Match("L1", "26561", "CPSC", 0.97, DecisionKind.BLOCK, "model BS-100"))
'created'
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, func, insert, select
from sqlalchemy.orm import Session

from recallguard.domain.models import Action, ActionKind, ActionState, DecisionKind, Match
from recallguard.store.audit_repos import AuditRepo, ChainCheck, CheckpointRepo
from recallguard.store.convert import now, utc
from recallguard.store.tables import ActionRow, MatchRow

ACTIVE, WITHDRAWN = "active", "withdrawn"
_MATCH_INSERT = insert(cast(Table, MatchRow.__table__))
_ACTION_INSERT = insert(cast(Table, ActionRow.__table__))
_MATCHES = cast(Table, MatchRow.__table__)
# Core rows (no ORM objects): the stream worker and every screening of a stored listing read these
_ACTIVE_FOR_LISTINGS = select(_MATCHES).where(
    _MATCHES.c.listing_id.in_(bindparam("ids", expanding=True)), _MATCHES.c.state == ACTIVE
)
#: The columns that record why a match was decided, and what a row holds when they are not given.
MATCH_BASIS_DEFAULTS: dict[str, Any] = {
    "model_version": "", "block_threshold": None, "review_threshold": None, "threshold_basis": "",
    "shadow": False,
}  # fmt: skip
#: The same for an action (no shadow: a shadowed decision makes no action).
ACTION_BASIS_DEFAULTS: dict[str, Any] = {k: v for k, v in MATCH_BASIS_DEFAULTS.items() if k != "shadow"}


def match_basis(columns: Mapping[str, Any]) -> dict[str, Any]:
    """A match's basis as the API and exports show it, from its row's columns (missing ones: defaults).

    >>> match_basis({"model_version": "m1", "shadow": 1})["shadow"], match_basis({})["threshold_basis"]
    (True, '')
    """
    out = {k: columns.get(k, d) for k, d in MATCH_BASIS_DEFAULTS.items()}
    out["shadow"] = bool(out["shadow"])
    return out


def action_basis(columns: Mapping[str, Any]) -> dict[str, Any]:
    """An action's basis as the API and exports show it, from its row's columns (missing ones: defaults)."""
    return {k: columns.get(k, d) for k, d in ACTION_BASIS_DEFAULTS.items()}


def _match(row: MatchRow | Row[Any]) -> Match:
    return Match(
        listing_id=row.listing_id,
        recall_number=row.recall_number,
        authority=row.authority,
        score=row.score,
        decision=DecisionKind(row.decision),
        evidence=row.evidence,
        features=dict(row.features or {}),
        model_version=row.model_version,
    )


#: The columns :func:`_action` reads. Reads of many actions (the gate's build at start and its refresh
#: every two seconds) select these as plain rows: ~6 µs a row against ~34 µs an ORM object (20,000
#: actions on SQLite, 0.12 against 0.7 s), time a server's requests otherwise wait for the GIL.
ACTION_COLUMNS = tuple(
    cast(Table, ActionRow.__table__).c[name]  # table columns: ORM-enabled column reads cost twice as much
    for name in (
        "listing_id",
        "recall_number",
        "authority",
        "kind",
        "countries",
        "state",
        "action_id",
        "reason",
        "created_at",
        "updated_at",
    )
)


def _action(row: ActionRow | Row[Any]) -> Action:
    return Action(
        listing_id=row.listing_id,
        recall_number=row.recall_number,
        authority=row.authority,
        kind=ActionKind(row.kind),
        countries=list(row.countries),
        state=ActionState(row.state),
        action_id=row.action_id,
        reason=row.reason,
        created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
    )


class MatchRepo:
    """Matches, one per (listing, authority, recall number); ``active`` or ``withdrawn``."""

    def __init__(self, session: Session) -> None:
        self.s = session
        #: (listing, authority, recall) → the basis columns ``upsert`` wrote in this unit of work, as
        #: ``service.automation.match_bases`` would read them back (answers built without a read)
        self.written: dict[tuple[str, str, str], dict[str, Any]] = {}

    def _row(self, listing_id: str, authority: str, number: str) -> MatchRow | None:
        q = select(MatchRow).where(
            MatchRow.listing_id == listing_id,
            MatchRow.authority == authority,
            MatchRow.recall_number == number,
        )
        return self.s.scalars(q).one_or_none()

    def upsert(self, m: Match, basis: Mapping[str, Any] | None = None, new: bool = False) -> str:
        """Store a match: ``created``, ``reactivated`` (was withdrawn), ``updated`` (score, decision or
        evidence changed) or ``unchanged``. ``basis``: the thresholds behind the decision, as columns
        (``block_threshold``, ``review_threshold``, ``threshold_basis``, ``shadow``), written with it;
        ``new``: the listing was stored in this transaction, so it has no match yet (nothing is read)."""
        row = None if new else self._row(m.listing_id, m.authority, m.recall_number)
        extra = dict(basis or {})
        ts = now()
        values = {
            "score": float(m.score),
            "decision": m.decision.value,
            "evidence": m.evidence,
            "features": {k: float(v) for k, v in m.features.items()},
            "model_version": m.model_version,
        }
        key = (m.listing_id, m.authority, m.recall_number)
        if row is None:
            self.written[key] = match_basis({**extra, "model_version": m.model_version})
            if new:  # nothing of it can be in the session either: one Core INSERT, no unit of work
                ident = {
                    "listing_id": m.listing_id,
                    "authority": m.authority,
                    "recall_number": m.recall_number,
                }
                stamps = {"state": ACTIVE, "created_at": ts, "updated_at": ts}
                self.s.execute(_MATCH_INSERT, {**ident, **stamps, **values, **extra})
                return "created"
            self.s.add(
                MatchRow(
                    listing_id=m.listing_id,
                    authority=m.authority,
                    recall_number=m.recall_number,
                    state=ACTIVE,
                    created_at=ts,
                    updated_at=ts,
                    **values,
                    **extra,
                )
            )
            return "created"
        for k, v in extra.items():  # the thresholds may move while the score stays: no event for that
            setattr(row, k, v)
        self.written[key] = match_basis({k: getattr(row, k) for k in MATCH_BASIS_DEFAULTS})
        if row.state == WITHDRAWN:
            outcome = "reactivated"
        elif (
            round(row.score, 6) == round(values["score"], 6)
            and row.decision == values["decision"]
            and row.evidence == values["evidence"]
            and row.model_version == values["model_version"]
        ):
            return "unchanged"
        else:
            outcome = "updated"
        for k, v in values.items():
            setattr(row, k, v)
        row.state, row.updated_at = ACTIVE, ts
        return outcome

    def withdraw(self, listing_id: str, authority: str, number: str) -> bool:
        """Mark a match withdrawn (its decision no longer holds); False when none was active."""
        row = self._row(listing_id, authority, number)
        if row is None or row.state != ACTIVE:
            return False
        row.state, row.updated_at = WITHDRAWN, now()
        return True

    def active_for_listings(self, ids: Iterable[str]) -> dict[str, list[Match]]:
        """Active matches of these listings, by listing id."""
        out: dict[str, list[Match]] = {}
        ids = list(ids)
        if not ids:
            return out
        for row in self.s.execute(_ACTIVE_FOR_LISTINGS, {"ids": ids}):
            out.setdefault(row.listing_id, []).append(_match(row))
        return out

    def active_for_recall(self, authority: str, number: str) -> list[Match]:
        """Active matches of one recall, by listing id."""
        q = (
            select(MatchRow)
            .where(
                MatchRow.authority == authority, MatchRow.recall_number == number, MatchRow.state == ACTIVE
            )
            .order_by(MatchRow.listing_id)
        )
        return [_match(r) for r in self.s.scalars(q)]

    def iter_active(self, chunk: int = 5000) -> Iterator[Match]:
        """Every active match, by listing id then recall (what `matches export` writes)."""
        q = (
            select(MatchRow)
            .where(MatchRow.state == ACTIVE)
            .order_by(MatchRow.listing_id, MatchRow.authority, MatchRow.recall_number)
            .execution_options(yield_per=chunk)
        )
        for row in self.s.scalars(q):
            yield _match(row)

    def count(self, state: str | None = ACTIVE, decision: DecisionKind | None = None) -> int:
        """Matches in a state (active by default; None for all), optionally of one decision."""
        q = select(func.count()).select_from(MatchRow)
        if state:
            q = q.where(MatchRow.state == state)
        if decision:
            q = q.where(MatchRow.decision == decision.value)
        return int(self.s.scalar(q) or 0)


class ActionRepo:
    """Actions, one per (listing, authority, recall number, kind)."""

    def __init__(self, session: Session) -> None:
        self.s = session
        #: actions ``add`` stored in this unit of work (their state as ``save_state`` left it), in order,
        #: and the basis columns written with each, as ``service.automation.action_bases`` reads them
        self.added: dict[str, tuple[Action, dict[str, Any]]] = {}

    def _q(self, listing_id: str, authority: str, number: str) -> Any:
        return select(ActionRow).where(
            ActionRow.listing_id == listing_id,
            ActionRow.authority == authority,
            ActionRow.recall_number == number,
        )

    def get(self, listing_id: str, authority: str, number: str, kind: ActionKind) -> Action | None:
        q = self._q(listing_id, authority, number).where(ActionRow.kind == kind.value)
        row = self.s.scalars(q).one_or_none()
        return _action(row) if row else None

    def for_match(self, listing_id: str, authority: str, number: str) -> list[Action]:
        """Every action (any kind, any state) caused by one (listing, recall)."""
        return [_action(r) for r in self.s.scalars(self._q(listing_id, authority, number))]

    def add(self, action: Action, basis: Mapping[str, Any] | None = None) -> Action:
        """Store a new action; assigns its ``action_id``. ``basis``: the model version and thresholds
        that made an automated action, as columns (``model_version``, ``block_threshold``,
        ``review_threshold``, ``threshold_basis``)."""
        ts = now()
        aid = action.action_id or uuid.uuid4().hex
        columns = dict(basis or {})
        created, updated = action.created_at or ts, action.updated_at or ts
        self.s.execute(  # one Core INSERT now (no unit of work to flush later)
            _ACTION_INSERT,
            {
                "action_id": aid,
                "listing_id": action.listing_id,
                "authority": action.authority,
                "recall_number": action.recall_number,
                "kind": action.kind.value,
                "countries": list(action.countries),
                "state": action.state.value,
                "reason": action.reason,
                "created_at": created,
                "updated_at": updated,
                **ACTION_BASIS_DEFAULTS,
                **columns,
            },
        )
        stored = Action(**{**action.__dict__, "action_id": aid})
        as_read = action_basis(columns)
        self.added[aid] = (
            dataclasses.replace(stored, created_at=utc(created), updated_at=utc(updated)),
            as_read,
        )
        return stored

    def save_state(self, action: Action) -> None:
        """Write an action's state, reason and updated_at (after ``enforcement.actions.transition``)."""
        row = self.s.get(ActionRow, action.action_id)
        if row is None:
            raise KeyError(action.action_id)
        row.state, row.reason, row.updated_at = action.state.value, action.reason, action.updated_at or now()
        if (added := self.added.get(action.action_id)) is not None:
            self.added[action.action_id] = (
                dataclasses.replace(
                    added[0], state=action.state, reason=row.reason, updated_at=utc(row.updated_at)
                ),
                added[1],
            )

    def list(self, state: ActionState | None = None, limit: int = 10_000) -> list[Action]:
        q = select(ActionRow).order_by(ActionRow.created_at, ActionRow.action_id).limit(limit)
        if state:
            q = q.where(ActionRow.state == state.value)
        return [_action(r) for r in self.s.scalars(q)]

    def count(self, state: ActionState | None = None) -> int:
        q = select(func.count()).select_from(ActionRow)
        if state:
            q = q.where(ActionRow.state == state.value)
        return int(self.s.scalar(q) or 0)


__all__ = ["ACTIVE", "WITHDRAWN", "ActionRepo", "AuditRepo", "ChainCheck", "CheckpointRepo", "MatchRepo"]
