"""The sale gate: "may listing L be sold to a buyer in country C?" answered from precomputed state.

State is a dict ``listing_id → tuple of GateEntry`` (country scope, recall, authority, action id), so an
answer is one dict lookup plus a scan of the few entries of that listing. The gate is built from the
store's actions and updated the moment an action changes state: a restriction refuses the listing
from approval on (before the marketplace confirms it); reversal or withdrawal lifts it.

A category-ban action carries ``rule:<rule id>`` as its recall number; its reason names the ``rule_id``.

>>> from recallguard.domain.models import Action, ActionKind, ActionState
>>> g = SaleGate()
>>> g.apply(Action("L1", "26561", "CPSC", ActionKind.RESTRICT, ["US"], ActionState.APPROVED, "A1"))
>>> g.check("L1", "US").allowed, g.check("L1", "DE").allowed, g.check("L2", "US").allowed
(False, True, True)
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from recallguard.domain.models import Action
from recallguard.enforcement.state_machine import WORLDWIDE, in_force

RULE_PREFIX = "rule:"


@dataclass(frozen=True, slots=True)
class GateEntry:
    """One restriction in force on a listing."""

    countries: frozenset[str]  # {"*"} means every country
    recall_number: str
    authority: str
    action_id: str

    def covers(self, country: str) -> bool:
        """True when this restriction applies to a buyer in ``country`` (upper-case ISO code)."""
        return WORLDWIDE in self.countries or country in self.countries

    def reason(self) -> dict[str, str]:
        """The JSON reason given to the marketplace (a category-ban hit names its ``rule_id``)."""
        out = {"recall_number": self.recall_number, "authority": self.authority, "action_id": self.action_id}
        if self.recall_number.startswith(RULE_PREFIX):
            out["rule_id"] = self.recall_number[len(RULE_PREFIX) :]
        return out


@dataclass(frozen=True, slots=True)
class GateAnswer:
    """The gate's answer for one (listing, country)."""

    listing_id: str
    country: str
    allowed: bool
    reasons: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON body of ``GET /v1/gate``.

        >>> GateAnswer("L1", "US", True).as_dict()
        {'listing_id': 'L1', 'country': 'US', 'allowed': True, 'reasons': []}
        """
        return {
            "listing_id": self.listing_id,
            "country": self.country,
            "allowed": self.allowed,
            "reasons": self.reasons,
        }


class SaleGate:
    """Precomputed restrictions per listing; reads are lock-free, writes replace one dict value."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[GateEntry, ...]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @classmethod
    def build(cls, actions: Iterable[Action]) -> SaleGate:
        """A gate holding every action in force among ``actions``.

        >>> SaleGate.build([]).check("L1", "US").allowed
        True
        """
        gate = cls()
        staged: dict[str, dict[str, GateEntry]] = {}
        for a in actions:
            if in_force(a):
                staged.setdefault(a.listing_id, {})[a.action_id] = _entry(a)
        gate._entries = {k: tuple(v.values()) for k, v in staged.items()}
        return gate

    def apply(self, action: Action) -> None:
        """Bring the gate in line with ``action``'s current state (add, keep or lift its restriction).

        >>> from recallguard.domain.models import Action, ActionKind, ActionState
        >>> g = SaleGate()
        >>> a = Action("L1", "1", "CPSC", ActionKind.DELIST, ["*"], ActionState.APPROVED, "A1")
        >>> g.apply(a); g.check("L1", "FR").allowed
        False
        >>> a.state = ActionState.REVERSED; g.apply(a); g.check("L1", "FR").allowed
        True
        """
        with self._lock:
            current = self._entries.get(action.listing_id, ())
            kept = tuple(e for e in current if e.action_id != action.action_id)
            if in_force(action):
                kept = (*kept, _entry(action))
            if kept:
                self._entries[action.listing_id] = kept
            else:
                self._entries.pop(action.listing_id, None)

    def check(self, listing_id: str, country: str) -> GateAnswer:
        """Answer the gate question; ``allowed`` is False when any restriction in force covers ``country``.

        >>> SaleGate().check("L9", "us").country
        'US'
        """
        cc = country.upper()
        entries = self._entries.get(listing_id)
        if not entries:
            return GateAnswer(listing_id, cc, True, [])
        reasons = [e.reason() for e in entries if e.covers(cc)]
        return GateAnswer(listing_id, cc, not reasons, reasons)

    def restrictions(self, listing_id: str) -> tuple[GateEntry, ...]:
        """Every restriction in force on a listing (all countries)."""
        return self._entries.get(listing_id, ())


_SCOPES: dict[frozenset[str], frozenset[str]] = {}  # each distinct country scope held once


def _entry(a: Action) -> GateEntry:
    """The gate's entry of one action. A gate holds one per restricted listing, so what many share is held
    once: the country scope (a set of one costs 216 bytes), the recall number and the authority.

    >>> from recallguard.domain.models import ActionKind, ActionState
    >>> def restrict(i: int) -> Action:
    ...     return Action(f"L{i}", "1", "CPSC", ActionKind.RESTRICT, ["us"], ActionState.APPROVED, f"A{i}")
    >>> x, y = _entry(restrict(1)), _entry(restrict(2))
    >>> x.countries, x.countries is y.countries
    (frozenset({'US'}), True)
    """
    scope = frozenset(c.upper() for c in a.countries)
    scope = _SCOPES.setdefault(scope, scope) if len(_SCOPES) < 4096 else scope
    return GateEntry(scope, sys.intern(a.recall_number), sys.intern(a.authority), a.action_id)
