"""Matches and actions as the API shows them, with the model version and thresholds behind each
decision (and whether it was decided in shadow mode), read in the caller's transaction.

>>> from recallguard.store import Store
>>> with Store("sqlite://").transaction() as uow:
...     public_matches(uow, []), public_actions(uow, [])
([], [])
"""

from __future__ import annotations

from collections.abc import Sequence

from recallguard.api.schemas import ActionPublic, MatchPublic
from recallguard.domain.models import Action, Match
from recallguard.service.automation import action_bases, match_bases
from recallguard.store import UnitOfWork


def public_matches(uow: UnitOfWork, matches: Sequence[Match]) -> list[MatchPublic]:
    """``MatchPublic`` of each match with its stored decision basis."""
    bases = match_bases(uow, [(m.listing_id, m.authority, m.recall_number) for m in matches])
    return [
        MatchPublic.from_domain(m, bases.get((m.listing_id, m.authority, m.recall_number))) for m in matches
    ]


def public_actions(uow: UnitOfWork, actions: Sequence[Action]) -> list[ActionPublic]:
    """``ActionPublic`` of each action with the model version and thresholds that made it."""
    bases = action_bases(uow, [a.action_id for a in actions])
    return [ActionPublic.from_domain(a, bases.get(a.action_id)) for a in actions]
