"""Repeat offenders: a seller's risk from past actions, inherited across linked seller accounts.

Each action against a seller's listing adds weight that halves every ``half_life_days``; a seller's
own risk is ``1 - exp(-weight / scale)``. Sellers that share a contact, address, payment or device
attribute are linked (union-find over attribute values), and a seller inherits ``inherit`` times the
risk of the riskiest seller it is linked to — a banned seller opening a new account keeps its
history. Thresholds tighten with risk, and every use says why.

>>> book = OffenderBook()
>>> book.record_action("S1", "26568", at=datetime(2026, 6, 1), links={"phone": "+86 138 0000 1111"})
>>> book.link("S2", {"phone": "86-138-0000-1111"})
>>> delta, why = book.threshold_adjustment("S2", now=datetime(2026, 6, 2))
>>> round(delta, 3), why
(-0.053, 'seller S2 risk 0.26: inherited from S1 (linked by phone); S1 has 1 action (recall 26568)')
"""

from __future__ import annotations

import itertools
import math
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from recallguard.domain.policy import Thresholds

#: Recall numbers an explanation names at most (a seller with hundreds of actions: "and N more").
HISTORY_RECALLS = 10


def _norm(name: str, value: str) -> str:
    v = " ".join(str(value).strip().lower().split())
    if name == "phone":
        v = re.sub(r"\D+", "", v)
    return v


@dataclass
class _Past:
    recall_number: str
    at: datetime
    weight: float


@dataclass
class _Ledger:
    """One seller's past actions and their weight decayed to the latest one's time, so that a seller
    with thousands of actions costs a screening as much as one with a single action."""

    past: list[_Past] = field(default_factory=list)
    recalls: dict[str, None] = field(default_factory=dict)  # recall numbers, first seen first
    latest: datetime | None = None
    weight_at_latest: float = 0.0


@dataclass
class SellerRisk:
    """A seller's risk and the reasons for it."""

    seller_id: str
    score: float
    own: float
    inherited: float
    source: str = ""  # the linked seller the inherited risk comes from
    path: list[tuple[str, str, str]] = field(default_factory=list)  # (from, to, shared attribute)
    explanation: str = ""


class OffenderBook:
    """Past actions per seller and the links between sellers. Thread-safe."""

    def __init__(
        self,
        half_life_days: float = 180.0,
        scale: float = 2.5,
        inherit: float = 0.8,
        max_tighten: float = 0.2,
    ) -> None:
        self.half_life_days = half_life_days
        self.scale = scale
        self.inherit = inherit
        self.max_tighten = max_tighten
        self._ledgers: dict[str, _Ledger] = {}
        self._parent: dict[str, str] = {}
        self._owner: dict[tuple[str, str], str] = {}  # (attribute, value) → first seller seen with it
        # seller → {(other seller, attribute)} (a dict: insertion order, each link once however often seen)
        self._edges: dict[str, dict[tuple[str, str], None]] = {}
        # group root → the sellers of its group, for groups of two or more (most sellers link to no one)
        self._members: dict[str, set[str]] = {}
        self._lock = threading.RLock()

    def _find(self, s: str) -> str:
        if s not in self._parent:
            self._parent[s] = s
        root = s
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[s] != root:
            self._parent[s], s = root, self._parent[s]
        return root

    def link(self, seller_id: str, attributes: dict[str, str]) -> None:
        """Record a seller's link attributes; sellers sharing a value are joined.

        >>> b = OffenderBook(); b.link("A", {"email": "x@y.cn"}); b.link("B", {"email": "X@Y.CN "})
        >>> b.linked("A")
        ['B']
        """
        with self._lock:
            self._find(seller_id)
            for name, value in attributes.items():
                if value in (None, ""):
                    continue
                key = (name, _norm(name, value))
                owner = self._owner.setdefault(key, seller_id)
                if owner != seller_id:
                    self._edges.setdefault(seller_id, {})[(owner, name)] = None
                    self._edges.setdefault(owner, {})[(seller_id, name)] = None
                    a, b = self._find(seller_id), self._find(owner)
                    if a != b:
                        self._parent[a] = b
                        self._members[b] = self._members.get(b, {b}) | self._members.pop(a, {a})

    def linked(self, seller_id: str) -> list[str]:
        """The other sellers in ``seller_id``'s linked group."""
        with self._lock:
            root = self._find(seller_id)
            return sorted(self._members.get(root, {root}) - {seller_id})

    def record_action(
        self,
        seller_id: str,
        recall_number: str,
        at: datetime | None = None,
        weight: float = 1.0,
        links: dict[str, str] | None = None,
    ) -> None:
        """One action against one of the seller's listings (block, delist or confirmed restriction)."""
        at = at or datetime.now()
        with self._lock:
            led = self._ledgers.setdefault(seller_id, _Ledger())
            led.past.append(_Past(recall_number, at, weight))
            led.recalls.setdefault(recall_number)
            if led.latest is None or at >= led.latest:
                before = self._decay(led.weight_at_latest, led.latest, at) if led.latest else 0.0
                led.latest, led.weight_at_latest = at, before + weight
            else:
                led.weight_at_latest += self._decay(weight, at, led.latest)
            self.link(seller_id, links or {})

    def _decay(self, weight: float, since: datetime, now: datetime) -> float:
        """``weight`` as it stands ``now`` after halving every ``half_life_days`` since ``since``."""
        age = max(0.0, (now - since).total_seconds() / 86400.0)
        return weight * 0.5 ** (age / self.half_life_days)

    def _own(self, seller_id: str, now: datetime) -> float:
        led = self._ledgers.get(seller_id)
        if led is None or led.latest is None:
            return 0.0
        if now >= led.latest:
            total = self._decay(led.weight_at_latest, led.latest, now)
        else:  # asked about a moment before some of the actions: those count at full weight
            total = sum(self._decay(p.weight, p.at, now) for p in led.past)
        return 1.0 - math.exp(-total / self.scale)

    def _path(self, start: str, goal: str) -> list[tuple[str, str, str]]:
        prev: dict[str, tuple[str, str]] = {}
        queue, seen = deque([start]), {start}
        while queue:
            s = queue.popleft()
            if s == goal:
                break
            for other, attr in self._edges.get(s, {}):
                if other not in seen:
                    seen.add(other)
                    prev[other] = (s, attr)
                    queue.append(other)
        path, s = [], goal
        while s in prev:
            before, attr = prev[s]
            path.append((before, s, attr))
            s = before
        return list(reversed(path))

    def _history(self, seller_id: str) -> str:
        led = self._ledgers.get(seller_id) or _Ledger()
        shown = list(itertools.islice(led.recalls, HISTORY_RECALLS))
        more = len(led.recalls) - len(shown)
        n, recalls = len(led.past), ", ".join(shown) + (f" and {more} more" if more > 0 else "")
        return f"{seller_id} has {n} action{'s' if n != 1 else ''} (recall {recalls})"

    def risk(self, seller_id: str, now: datetime | None = None) -> SellerRisk:
        """The seller's risk, own or inherited, with its explanation."""
        now = now or datetime.now()
        with self._lock:
            own = self._own(seller_id, now)
            inherited, source = 0.0, ""
            for other in self.linked(seller_id) if seller_id in self._parent else []:
                r = self.inherit * self._own(other, now)
                if r > inherited:
                    inherited, source = r, other
            path = self._path(seller_id, source) if source else []
            score = max(own, inherited)
            parts = []
            if own > 0:
                parts.append(f"own history: {self._history(seller_id)}")
            if source and inherited > own:
                via = "; ".join(f"{a}–{b} by {attr}" for a, b, attr in path[1:])
                first = path[0][2] if path else "shared attributes"
                parts.append(
                    f"inherited from {source} (linked by {first}{'; via ' + via if via else ''}); "
                    f"{self._history(source)}"
                )
            why = f"seller {seller_id} risk {score:.2f}: " + (
                "; ".join(parts) if parts else "no past actions"
            )
            return SellerRisk(seller_id, score, own, inherited, source, path, why)

    def threshold_adjustment(self, seller_id: str, now: datetime | None = None) -> tuple[float, str]:
        """How much to lower the block and review thresholds for this seller, and why (0 when clean)."""
        r = self.risk(seller_id, now)
        return -round(self.max_tighten * r.score, 4), r.explanation

    def adjusted(
        self, thresholds: Thresholds, seller_id: str, now: datetime | None = None
    ) -> tuple[Thresholds, str]:
        """Thresholds tightened for the seller (never below half their value), with the explanation.

        >>> b = OffenderBook(); b.record_action("S1", "26568", at=datetime(2026, 6, 1))
        >>> t, why = b.adjusted(Thresholds(0.9, 0.3), "S1", now=datetime(2026, 6, 1))
        >>> round(t.block, 3), round(t.review, 3)
        (0.834, 0.234)
        """
        delta, why = self.threshold_adjustment(seller_id, now)
        block = max(thresholds.block / 2, thresholds.block + delta)
        review = max(thresholds.review / 2, thresholds.review + delta)
        if delta == 0:
            return thresholds, why
        return Thresholds(block=block, review=review), f"{why}; thresholds lowered by {-delta:.2f}"
