"""Priority lists: an authority names the recalls it wants acted on first (5–15 is the usual size).

Marking is pure: it returns new ``Recall`` objects (and their targets) with ``priority`` set, which the
decision policy turns into tighter thresholds and the SLA clock into a shorter deadline. A new list for
an authority replaces its previous one; other authorities' recalls are untouched.

>>> from recallguard.domain.models import Recall
>>> recalls = [Recall(str(n), "CPSC", f"Recall {n}") for n in range(26001, 26008)]
>>> marked = mark_priority(recalls, "cpsc", ["26001", "26003", "26004", "26005", "26006"])
>>> [r.recall_number for r in marked.recalls if r.priority], marked.warnings
(['26001', '26003', '26004', '26005', '26006'], [])
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

from recallguard.domain.models import Recall, Target
from recallguard.errors import ValidationFailed

RECOMMENDED_MIN = 5
RECOMMENDED_MAX = 15


@dataclass
class PriorityResult:
    """The recalls with ``priority`` set for the authority's list, and any advice about its size."""

    authority: str
    numbers: list[str]
    recalls: list[Recall]
    warnings: list[str] = field(default_factory=list)


def mark_priority(
    recalls: Sequence[Recall], authority: str, numbers: Sequence[str], *, strict_size: bool = False
) -> PriorityResult:
    """Mark ``numbers`` (recall numbers of ``authority``) as priority; unmark the authority's others.

    Unknown numbers are refused (``ValidationFailed`` naming them); a list outside 5–15 recalls gives a
    warning, or an error with ``strict_size``. Duplicates and surrounding spaces are ignored.

    >>> from recallguard.domain.models import Recall
    >>> mark_priority([Recall("1", "HC", "x")], "HC", ["1", "9"])
    Traceback (most recent call last):
    ...
    recallguard.errors.ValidationFailed: priority list for HC: unknown recall numbers: 9
    """
    code = authority.strip().upper()
    wanted = list(dict.fromkeys(n.strip() for n in numbers if n and n.strip()))
    known = {r.recall_number for r in recalls if r.authority.upper() == code}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise ValidationFailed(
            f"priority list for {code}: unknown recall numbers: {', '.join(unknown)}",
            location=f"priority list {code}",
            field="numbers",
        )
    warnings = []
    if not RECOMMENDED_MIN <= len(wanted) <= RECOMMENDED_MAX:
        advice = (
            f"priority list for {code} has {len(wanted)} recalls; {RECOMMENDED_MIN}–{RECOMMENDED_MAX} are "
            "recommended so that the priority ones stay few enough to act on first"
        )
        if strict_size:
            raise ValidationFailed(advice, location=f"priority list {code}", field="numbers")
        warnings.append(advice)
    chosen = set(wanted)
    out = [
        dataclasses.replace(r, priority=r.recall_number in chosen) if r.authority.upper() == code else r
        for r in recalls
    ]
    return PriorityResult(code, wanted, out, warnings)


def apply_priority(targets: Sequence[Target], recalls: Sequence[Recall]) -> list[Target]:
    """Targets with ``priority`` copied from their recall (matched by authority and number).

    >>> from recallguard.domain.models import Recall, Target
    >>> [t.priority for t in apply_priority([Target("1", "HC")], [Recall("1", "HC", "x", priority=True)])]
    [True]
    """
    flags = {(r.authority.upper(), r.recall_number): r.priority for r in recalls}
    return [
        dataclasses.replace(t, priority=flags.get((t.authority.upper(), t.recall_number), t.priority))
        for t in targets
    ]
