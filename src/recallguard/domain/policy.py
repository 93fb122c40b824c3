"""Decision thresholds: when a match score means block, review or nothing.

Thresholds are set per authority and tighten (lower) for priority recalls, so more of a priority
recall's listings are acted on.

>>> p = DecisionPolicy()
>>> p.decide(0.99, "CPSC").value, p.decide(0.6, "CPSC").value, p.decide(0.05, "CPSC").value
('block', 'review', 'none')
"""

from __future__ import annotations

from dataclasses import dataclass, field

from recallguard.domain.models import DecisionKind, Match

BANK_MODEL = "bank-1"  # the model version of matches the fingerprint bank of removed listings makes
_RANK = {DecisionKind.NONE: 0, DecisionKind.REVIEW: 1, DecisionKind.BLOCK: 2}


@dataclass(frozen=True)
class Thresholds:
    block: float = 0.90
    review: float = 0.30


@dataclass
class DecisionPolicy:
    """Thresholds per authority (``default`` for the rest) and for priority recalls."""

    default: Thresholds = field(default_factory=Thresholds)
    per_authority: dict[str, Thresholds] = field(default_factory=dict)
    priority: Thresholds = field(default_factory=lambda: Thresholds(block=0.85, review=0.20))

    def thresholds(self, authority: str, priority: bool = False) -> Thresholds:
        """The thresholds that apply to a recall of ``authority``."""
        if priority:
            return self.priority
        return self.per_authority.get(authority.upper(), self.default)

    def decide(self, score: float, authority: str, priority: bool = False) -> DecisionKind:
        """Turn a calibrated probability into a decision."""
        t = self.thresholds(authority, priority)
        if score >= t.block:
            return DecisionKind.BLOCK
        if score >= t.review:
            return DecisionKind.REVIEW
        return DecisionKind.NONE


def preference(m: Match) -> tuple[int, bool, float]:
    """Which of several matches of one recall speaks for it (the greatest): the stronger decision, then
    the listing's own words (the recall screener) over its likeness to a removed listing (the bank),
    then the score. The bank decides for the re-listings the screener lets pass; where both block, the
    stored match does not depend on which of two copies of a product was screened first.

    >>> own = Match("L2", "1", "CPSC", 0.975, DecisionKind.BLOCK, "model C0001")
    >>> bank = Match("L2", "1", "CPSC", 0.998, DecisionKind.BLOCK, "re-listing of L1", {}, BANK_MODEL)
    >>> max([bank, own], key=preference) is own
    True
    """
    return _RANK[m.decision], m.model_version != BANK_MODEL, m.score
