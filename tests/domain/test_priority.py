"""Priority lists: an authority's 5–15 recalls to act on first; unknown numbers are refused."""

from __future__ import annotations

import pytest

from recallguard.domain.models import Recall, Target
from recallguard.domain.policy import DecisionPolicy
from recallguard.domain.priority import apply_priority, mark_priority
from recallguard.errors import ValidationFailed


def _recalls() -> list[Recall]:
    cpsc = [Recall(str(n), "CPSC", f"Recall {n}") for n in range(26001, 26021)]
    return [*cpsc, Recall("SR/1/26", "SAFETYGATE", "EU one", priority=True)]


def test_marks_the_listed_recalls_and_tightens_their_thresholds() -> None:
    result = mark_priority(_recalls(), "CPSC", [" 26001", "26002", "26003", "26004", "26005", "26002"])
    assert result.numbers == ["26001", "26002", "26003", "26004", "26005"] and result.warnings == []
    flagged = [r.recall_number for r in result.recalls if r.priority]
    assert flagged == ["26001", "26002", "26003", "26004", "26005", "SR/1/26"]  # other authorities untouched
    policy = DecisionPolicy()
    first = result.recalls[0]
    assert policy.decide(0.87, first.authority, first.priority).value == "block"
    assert policy.decide(0.87, "CPSC", False).value == "review"


def test_a_new_list_replaces_the_previous_one_and_originals_are_not_mutated() -> None:
    recalls = _recalls()
    first = mark_priority(recalls, "CPSC", ["26001", "26002", "26003", "26004", "26005"]).recalls
    second = mark_priority(first, "CPSC", ["26010", "26011", "26012", "26013", "26014"]).recalls
    assert [r.recall_number for r in second if r.priority and r.authority == "CPSC"] == [
        "26010", "26011", "26012", "26013", "26014",
    ]  # fmt: skip
    assert not any(r.priority for r in recalls if r.authority == "CPSC")


def test_unknown_numbers_are_refused_with_a_clear_error() -> None:
    with pytest.raises(ValidationFailed) as err:
        mark_priority(_recalls(), "CPSC", ["26001", "99999", "SR/1/26"])
    assert err.value.field == "numbers"
    assert "unknown recall numbers: 99999, SR/1/26" in str(err.value)  # another authority's number is unknown


def test_list_size_outside_five_to_fifteen_warns_or_refuses() -> None:
    few = mark_priority(_recalls(), "CPSC", ["26001", "26002"])
    assert few.warnings and "2 recalls; 5–15 are recommended" in few.warnings[0]
    with pytest.raises(ValidationFailed, match="16 recalls"):
        mark_priority(_recalls(), "CPSC", [str(n) for n in range(26001, 26017)], strict_size=True)


def test_priority_reaches_the_targets() -> None:
    result = mark_priority(_recalls(), "CPSC", ["26001", "26002", "26003", "26004", "26005"])
    targets = apply_priority(
        [Target("26001", "CPSC"), Target("26009", "CPSC"), Target("X", "HC")], result.recalls
    )
    assert [t.priority for t in targets] == [True, False, False]
