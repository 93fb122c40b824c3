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
