"""The screener the stateful commands use, and the version of a scan (recall set + model + policy).

A scan version names what a listing was screened against; a listing whose ``screened_version`` is
the current one needs no screening. Changing any active recall, the model or the thresholds makes
a new version, and ``recallguard scan`` brings every listing up to it.

>>> v = scan_version([("CPSC", "26561", "ab")], "rules-1", "policy")
>>> v == scan_version([("CPSC", "26561", "ab")], "rules-1", "policy"), len(v)
(True, 64)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

from recallguard.domain.models import Listing, Match, Recall, Target
from recallguard.domain.policy import DecisionPolicy
from recallguard.store.convert import sha256_json


class ScreenerLike(Protocol):
    """What the service needs of ``recallguard.matching.screen.Screener``."""

    model_version: str

    def screen_many(self, listings: Iterable[Listing]) -> Iterator[tuple[Listing, list[Match]]]: ...


#: Builds a screener from targets; ``rules`` says whether category-ban rules take part.
ScreenerFactory = Callable[[Sequence[Target], bool], ScreenerLike]


def default_screener(
    targets: Sequence[Target], rules: bool = True, rule_paths: Sequence[Path] = ()
) -> ScreenerLike:
    """The matcher's ``Screener`` over ``targets`` with the default decision policy (and the shipped
    category-ban rules plus those in ``rule_paths`` when ``rules``); with the fingerprint bank and the
    seller policy when a bank is open in this process (``service.bank.open_bank``)."""
    from recallguard.matching.screen import Screener

    checks = []
    if rules:
        try:
            from recallguard.matching.build import rule_checks

            checks = rule_checks(rule_paths)
        except ImportError:
            checks = []
    from recallguard.service.bank import with_bank  # the process's fingerprint bank, when one is open

    return with_bank(Screener(list(targets), policy=DecisionPolicy(), checks=checks), targets)


def extract(recall: Recall) -> list[Target]:
    """The targets of one recall by its format (``recallguard.sources.targets_by_format``), priority
    carried over from the recall."""
    from recallguard.sources.targets_by_format import targets_for_recall

    return targets_for_recall(recall)


def scan_version(fingerprint: Sequence[tuple[str, str, str]], model_version: str, policy: str) -> str:
    """The version of a scan: hash of the active recalls' content hashes, the model and the policy."""
    return sha256_json({"recalls": [list(x) for x in fingerprint], "model": model_version, "policy": policy})


def screener_factory(rule_paths: Sequence[Path] = ()) -> ScreenerFactory:
    """``default_screener`` with the category-ban rules in ``rule_paths`` added to the shipped ones
    (``recallguard scan --rules PATH``); raises RuleFileError (exit 2) at once for a bad rule file.

    >>> screener_factory()([], True).model_version != ""
    True
    """
    if rule_paths:
        from recallguard.matching.rules import RuleSet

        RuleSet.load(list(rule_paths))  # fail before any work, naming the file and field

    def make(targets: Sequence[Target], rules: bool = True) -> ScreenerLike:
        return default_screener(targets, rules, rule_paths)

    return make


def rules_of(screener: ScreenerLike) -> list[str]:
    """A stable text form of the category-ban rules a screener applies (ids and content, not file paths).

    >>> any(r.startswith("cpsc-magnet-sets ") for r in rules_of(default_screener([], True)))
    True
    """
    out = []
    for check in getattr(screener, "checks", ()):
        rules = getattr(getattr(check, "__self__", None), "rules", None)  # a RuleSet's bound ``screen``
        if isinstance(rules, list):
            out += [f"{r.id} {sha256_json(repr(dataclasses.replace(r, source='')))}" for r in rules]
    return sorted(out)


def policy_of(screener: ScreenerLike) -> str:
    """A stable text form of the screener's decision policy and category-ban rules (part of the scan
    version: a scan with other rules, or changed ones, screens every listing again)."""
    policy = repr(getattr(screener, "policy", ""))
    rules = rules_of(screener)
    return f"{policy} rules={sha256_json(rules)}" if rules else policy
