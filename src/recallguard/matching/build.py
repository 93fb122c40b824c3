"""Build a ready screener from recalls: extract targets, load category-ban rules, pick the scorer.

>>> from recallguard.domain.models import Recall
>>> r = Recall("1", "CPSC", "Acme Recalls Kids Helmets", product_names=["Acme Kids Helmets"])
>>> s = build_screener([r],
...                    include_rules=False)
>>> len(s.targets)
1
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from recallguard.domain.models import Recall, RecallStatus, Target
from recallguard.domain.policy import DecisionPolicy
from recallguard.matching.screen import Check, Screener


def targets_for(recalls: Sequence[Recall]) -> list[Target]:
    """Targets of every active recall (priority carried over from the recall)."""
    from recallguard.sources.targets_by_format import targets_for_recall

    out: list[Target] = []
    for r in recalls:
        if r.status is RecallStatus.WITHDRAWN:
            continue
        out.extend(targets_for_recall(r))  # by format: structured fields first, prose to fill gaps
    return out


def rule_checks(rule_paths: Sequence[Path] = (), include_shipped: bool = True) -> list[Check]:
    """Category-ban rules (shipped ones plus any given) as screening checks."""
    try:
        from recallguard.matching.rules import RuleSet
    except ImportError:
        return []
    ruleset = RuleSet.load(list(rule_paths) or None, include_shipped=include_shipped)
    return [ruleset.screen]


def build_screener(
    recalls: Sequence[Recall],
    rule_paths: Sequence[Path] = (),
    policy: DecisionPolicy | None = None,
    checks: Sequence[Check] = (),
    include_rules: bool = True,
) -> Screener:
    """A screener over the recalls' targets, the category-ban rules and any extra checks."""
    all_checks = list(checks)
    if include_rules or rule_paths:
        all_checks = rule_checks(rule_paths, include_shipped=include_rules) + all_checks
    return Screener(targets_for(recalls), policy=policy, checks=all_checks)
