"""The automation policy reconciliation applies, and the record of what made each decision.

- **Delisting by policy**: an authority named in ``RECALLGUARD_DELIST_AUTHORITIES`` gets DELIST actions
  (scope ``*``: every buyer country) for its block decisions instead of country restrictions.
- **Shadow mode**: an authority named in ``RECALLGUARD_SHADOW_AUTHORITIES`` or a stored shadow scope
  (``recallguard shadow on --authority A [--recall N]``) has its decisions computed and recorded, but
  nothing enforced (``service.shadow``).
- **Accountable automation**: every stored match and every automated action carries the matcher model
  version and the block / review thresholds actually applied (``enforcement.actions.decision_basis``:
  the authority's or the priority thresholds, lowered by seller risk; a category rule's own).

The policy of one unit of work is read once and kept on its session (``automation_policy(uow)``).

>>> from recallguard.store import Store
>>> from recallguard.domain.models import DecisionKind, Match
>>> store = Store("sqlite://")
>>> with store.transaction() as uow:
...     p = automation_policy(uow)
...     p.delists("CPSC"), p.shadowed("CPSC", "26561")
(False, False)
>>> p.basis(Match("L1", "26561", "CPSC", 0.97, DecisionKind.BLOCK, "", {}, "lgbm-1")).block_threshold
0.9
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from recallguard.domain.models import Match
from recallguard.domain.policy import DecisionPolicy, Thresholds
from recallguard.enforcement.actions import DecisionBasis, decision_basis
from recallguard.settings import Settings
from recallguard.store import UnitOfWork
from recallguard.store.automation_tables import ShadowRepo
from recallguard.store.enforcement_repos import (
    ACTION_BASIS_DEFAULTS,
    MATCH_BASIS_DEFAULTS,
    action_basis,
    match_basis,
)
from recallguard.store.tables import ActionRow, MatchRow

_INFO_KEY = "recallguard.automation"
_ENV = ("RECALLGUARD_DELIST_AUTHORITIES", "RECALLGUARD_SHADOW_AUTHORITIES")


def authority_list(text: str) -> frozenset[str]:
    """Authorities named in a comma-separated setting, upper-cased.

    >>> sorted(authority_list(" cpsc, SafetyGate ,"))
    ['CPSC', 'SAFETYGATE']
    """
    return frozenset(a.strip().upper() for a in text.split(",") if a.strip())


@functools.lru_cache(maxsize=8)
def _configured(_env: tuple[str | None, ...]) -> tuple[frozenset[str], frozenset[str]]:
    s = Settings()
    return authority_list(s.delist_authorities), authority_list(s.shadow_authorities)


def configured_policy() -> tuple[frozenset[str], frozenset[str]]:
    """(delisting authorities, shadow authorities) from the settings; re-read when the environment
    changes.

    >>> isinstance(configured_policy()[0], frozenset)
    True
    """
    return _configured(tuple(os.environ.get(k) for k in _ENV))


@functools.cache
def _rule_thresholds() -> dict[str, Thresholds]:
    """Thresholds of the shipped category-ban rules, by rule id (empty without the rules extra)."""
    try:
        from recallguard.matching.rules.engine import shipped_rules
    except ImportError:
        return {}
    return {r.id: r.thresholds for r in shipped_rules()}


@dataclass
class AutomationPolicy:
    """What reconciliation needs to know beyond the matches: delisting and shadow scopes, priority
    recalls and the decision thresholds."""

    delist: frozenset[str] = frozenset()
    shadow_authorities: frozenset[str] = frozenset()
    shadow_scopes: frozenset[tuple[str, str]] = frozenset()
    priority: frozenset[tuple[str, str]] = frozenset()
    policy: DecisionPolicy = field(default_factory=DecisionPolicy)
    rules: dict[str, Thresholds] = field(default_factory=dict)

    def delists(self, authority: str) -> bool:
        """True when policy delists this authority's blocks everywhere.

        >>> AutomationPolicy(delist=frozenset({"HC"})).delists("hc")
        True
        """
        return authority.upper() in self.delist

    def shadowed(self, authority: str, recall_number: str) -> bool:
        """True when decisions of this recall are recorded but not enforced.

        >>> p = AutomationPolicy(shadow_scopes=frozenset({("CPSC", "26561")}))
        >>> p.shadowed("CPSC", "26561"), p.shadowed("CPSC", "1")
        (True, False)
        """
        a = authority.upper()
        return (
            a in self.shadow_authorities
            or (a, "") in self.shadow_scopes
            or (a, recall_number) in self.shadow_scopes
        )

    def basis(self, match: Match) -> DecisionBasis:
        """The model version and thresholds behind ``match``'s decision."""
        rule = self.rules.get(match.recall_number.removeprefix("rule:"))
        priority = (match.authority, match.recall_number) in self.priority
        return decision_basis(match, self.policy, priority=priority, rule_thresholds=rule)


def automation_policy(uow: UnitOfWork, policy: DecisionPolicy | None = None) -> AutomationPolicy:
    """The policy of this unit of work (read once per transaction: settings, shadow scopes, priority
    recalls)."""
    cached = uow.session.info.get(_INFO_KEY)
    if isinstance(cached, AutomationPolicy):
        return cached
    delist, shadow = configured_policy()
    scopes, priority = ShadowRepo(uow.session).with_priority()  # one read
    found = AutomationPolicy(
        delist=delist,
        shadow_authorities=shadow,
        shadow_scopes=frozenset(scopes),
        priority=frozenset(priority),
        policy=policy or DecisionPolicy(),
        rules=_rule_thresholds(),
    )
    uow.session.info[_INFO_KEY] = found
    return found


def forget_policy(uow: UnitOfWork) -> None:
    """Drop this transaction's cached policy (after shadow scopes or priorities changed in it)."""
    uow.session.info.pop(_INFO_KEY, None)


def match_basis_columns(basis: DecisionBasis, shadow: bool) -> dict[str, Any]:
    """The match columns that record ``basis`` (what ``MatchRepo.upsert`` writes with the match).

    >>> match_basis_columns(DecisionBasis("m1", 0.9, 0.3, "CPSC thresholds"), False)["threshold_basis"]
    'CPSC thresholds'
    """
    return {
        "block_threshold": basis.block_threshold,
        "review_threshold": basis.review_threshold,
        "threshold_basis": basis.basis,
        "shadow": shadow,
    }


def action_basis_columns(basis: DecisionBasis) -> dict[str, Any]:
    """The action columns that record ``basis`` (what ``ActionRepo.add`` writes with the action).

    >>> action_basis_columns(DecisionBasis("m1", 0.9, 0.3, "CPSC thresholds"))["model_version"]
    'm1'
    """
    return {
        "model_version": basis.model_version,
        "block_threshold": basis.block_threshold,
        "review_threshold": basis.review_threshold,
        "threshold_basis": basis.basis,
    }


def record_match_basis(uow: UnitOfWork, m: Match, basis: DecisionBasis, shadow: bool) -> None:
    """Store the thresholds behind a stored match's decision and whether it was decided in shadow."""
    uow.session.flush()
    uow.session.execute(
        update(MatchRow)
        .where(
            MatchRow.listing_id == m.listing_id,
            MatchRow.authority == m.authority,
            MatchRow.recall_number == m.recall_number,
        )
        .values(**match_basis_columns(basis, shadow))
        .execution_options(synchronize_session=False)
    )  # fmt: skip


def record_action_basis(uow: UnitOfWork, action_id: str, basis: DecisionBasis) -> None:
    """Store the model version and thresholds that made an automated action."""
    uow.session.flush()
    uow.session.execute(
        update(ActionRow)
        .where(ActionRow.action_id == action_id)
        .values(**action_basis_columns(basis))
        .execution_options(synchronize_session=False)
    )  # fmt: skip


def match_bases(
    uow: UnitOfWork, keys: Iterable[tuple[str, str, str]]
) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(listing, authority, recall) → {model_version, block_threshold, review_threshold, basis, shadow}
    of stored matches (what the API and exports show)."""
    wanted = set(keys)
    if not wanted:
        return {}
    cols = list(MATCH_BASIS_DEFAULTS)
    key_cols = (MatchRow.listing_id, MatchRow.authority, MatchRow.recall_number)
    q = select(*key_cols, *(getattr(MatchRow, c) for c in cols)).where(
        MatchRow.listing_id.in_({k[0] for k in wanted})
    )
    out = {}
    for lid, auth, num, *values in uow.session.execute(q):
        if (lid, auth, num) in wanted:
            out[(lid, auth, num)] = match_basis(dict(zip(cols, values, strict=True)))
    return out


def action_bases(uow: UnitOfWork, action_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """action id → {model_version, block_threshold, review_threshold, threshold_basis} of stored actions."""
    ids = list(set(action_ids))
    if not ids:
        return {}
    cols = list(ACTION_BASIS_DEFAULTS)
    q = select(ActionRow.action_id, *(getattr(ActionRow, c) for c in cols))
    rows = uow.session.execute(q.where(ActionRow.action_id.in_(ids)))
    return {aid: action_basis(dict(zip(cols, values, strict=True))) for aid, *values in rows}
