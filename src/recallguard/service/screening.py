"""The screener the stateful commands use, and the version of a scan (recall set + model + policy).

A scan version names what a listing was screened against; a listing whose ``screened_version`` is
the current one needs no screening. Changing any active recall, the model or the thresholds makes
a new version, and ``recallguard scan`` brings every listing up to it.

>>> v = scan_version([("CPSC", "26561", "ab")], "rules-1", "policy")
>>> v == scan_version([("CPSC", "26561", "ab")], "rules-1", "policy"), len(v)
(True, 64)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
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


def default_screener(targets: Sequence[Target], rules: bool = True) -> ScreenerLike:
    """The matcher's ``Screener`` over ``targets`` with the default decision policy (and the shipped
    category-ban rules when ``rules``); with the fingerprint bank and the seller policy when a bank is
    open in this process (``service.bank.open_bank``)."""
    from recallguard.matching.screen import Screener

    checks = []
    if rules:
        try:
            from recallguard.matching.build import rule_checks

            checks = rule_checks()
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


def policy_of(screener: ScreenerLike) -> str:
    """A stable text form of the screener's decision policy (part of the scan version)."""
    return repr(getattr(screener, "policy", ""))
