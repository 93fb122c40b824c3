"""Repeat offenders: risk from past actions, inherited through shared attributes, always explained."""

from __future__ import annotations

from datetime import datetime, timedelta

from recallguard.domain.policy import Thresholds
from recallguard.enforcement.offenders import OffenderBook

NOW = datetime(2026, 6, 30)


def test_clean_seller_keeps_the_thresholds_and_is_told_why() -> None:
    book = OffenderBook()
    delta, why = book.threshold_adjustment("S-clean", now=NOW)
    assert delta == 0 and why == "seller S-clean risk 0.00: no past actions"
    assert book.adjusted(Thresholds(0.9, 0.3), "S-clean", now=NOW)[0] == Thresholds(0.9, 0.3)


def test_more_and_newer_actions_mean_more_risk() -> None:
    book = OffenderBook()
    for i in range(3):
        book.record_action("S-bad", f"R{i}", at=NOW - timedelta(days=1))
    book.record_action("S-old", "R9", at=NOW - timedelta(days=720))
    book.record_action("S-once", "R8", at=NOW - timedelta(days=1))
    bad, once, old = (book.risk(s, NOW).score for s in ("S-bad", "S-once", "S-old"))
    assert bad > once > old > 0
    assert "S-bad has 3 actions (recall R0, R1, R2)" in book.risk("S-bad", NOW).explanation


def test_new_account_sharing_payment_or_device_inherits_risk_with_the_path() -> None:
    book = OffenderBook()
    for i in range(4):
        book.record_action("S-banned", f"R{i}", at=NOW, links={"payment_account": "IBAN-1"})
    book.link("S-new", {"device_id": "dev-42"})
    book.link("S-mid", {"payment_account": "iban-1 ", "device_id": "DEV-42"})
    risk = book.risk("S-new", NOW)
    assert risk.source == "S-banned" and risk.inherited > 0.5
    assert (
        "inherited from S-banned (linked by device_id; via S-mid–S-banned by payment_account)"
        in risk.explanation
    )
    t, why = book.adjusted(Thresholds(0.9, 0.3), "S-new", now=NOW)
    assert t.block < 0.9 and t.review < 0.3 and "thresholds lowered by" in why


def test_unlinked_sellers_inherit_nothing() -> None:
    book = OffenderBook()
    book.record_action("S-banned", "R1", at=NOW, links={"email": "a@x.cn"})
    book.link("S-other", {"email": "b@x.cn"})
    assert book.risk("S-other", NOW).score == 0


def test_risk_is_the_same_whatever_order_the_actions_arrive_in() -> None:
    """Actions replayed out of time order (a bank rebuilt, a backlog) weigh what they weigh in order."""
    ages = [400, 3, 90, 0, 250, 30, 3]
    in_order, shuffled = OffenderBook(), OffenderBook()
    for i, d in enumerate(sorted(ages, reverse=True)):
        in_order.record_action("S", f"R{i}", at=NOW - timedelta(days=d))
    for i, d in enumerate(ages):
        shuffled.record_action("S", f"R{i}", at=NOW - timedelta(days=d))
    for when in (NOW, NOW + timedelta(days=200), NOW - timedelta(days=60)):
        assert abs(in_order.risk("S", when).own - shuffled.risk("S", when).own) < 1e-9
    # asked about a moment before some actions, those count at full weight (an action is not undone)
    assert shuffled.risk("S", NOW - timedelta(days=60)).own > shuffled.risk("S", NOW).own


def test_a_seller_with_hundreds_of_actions_is_explained_in_one_readable_line() -> None:
    book = OffenderBook()
    for i in range(300):
        book.record_action("S-bulk", f"R{i:03d}", at=NOW)
    why = book.risk("S-bulk", NOW).explanation
    assert "S-bulk has 300 actions (recall R000, R001" in why and "R009 and 290 more)" in why
    assert len(why) < 300


def test_groups_merge_when_a_seller_shares_attributes_with_two_groups() -> None:
    book = OffenderBook()
    book.link("A1", {"email": "a@x.cn"})
    book.link("A2", {"email": "a@x.cn"})
    book.link("B1", {"phone": "+86 1"})
    book.link("B2", {"phone": "86-1"})
    assert book.linked("A1") == ["A2"] and book.linked("B2") == ["B1"]
    for _ in range(500):  # a seller listing again and again links once
        book.link("M", {"email": "A@X.CN", "phone": "861"})
    assert book.linked("A1") == ["A2", "B1", "B2", "M"]
    book.record_action("B2", "R1", at=NOW)
    risk = book.risk("A1", NOW)
    assert risk.source == "B2" and len(risk.path) <= 3
