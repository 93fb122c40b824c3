"""Deadlines per authority and priority, working days with holidays, breaches and escalations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from recallguard.enforcement.sla import SlaCase, SlaLevel, SlaState, deadline, escalations, evaluate


def test_cpsc_is_four_hours_from_receipt_priority_tighter() -> None:
    t = datetime(2026, 3, 7, 22, 0, tzinfo=UTC)  # a Saturday night: CPSC counts clock hours
    assert deadline(t, "CPSC") == t + timedelta(hours=4)
    assert deadline(t, "CPSC", priority=True) == t + timedelta(hours=2)


def test_safety_gate_working_days_skip_a_public_holiday() -> None:
    wed = datetime(2026, 5, 13, 10, 0, tzinfo=UTC)  # Thursday 14 May 2026 is Ascension Day in DE and FR
    assert deadline(wed, "SAFETYGATE", country="DE") == datetime(2026, 5, 18, 10, 0, tzinfo=UTC)
    # Poland does not close on Ascension Day: Friday 15 May.
    assert deadline(wed, "SAFETYGATE", country="PL") == datetime(2026, 5, 15, 10, 0, tzinfo=UTC)
    # Without a country, the strictest (earliest) deadline over the authority's countries applies.
    assert deadline(wed, "SAFETYGATE") == datetime(2026, 5, 15, 10, 0, tzinfo=UTC)
    assert deadline(wed, "SAFETYGATE", country="DE", priority=True) == datetime(
        2026, 5, 15, 10, 0, tzinfo=UTC
    )


def test_weekend_receipt_starts_counting_on_monday() -> None:
    sat = datetime(2026, 3, 7, 15, 0, tzinfo=UTC)
    assert deadline(sat, "SAFETYGATE", country="DE") == datetime(2026, 3, 11, 0, 0, tzinfo=UTC)


def test_breach_time_to_action_and_escalations_once_each() -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    late = SlaCase("L1", "26561", "CPSC", start, acted_at=start + timedelta(hours=5))
    on_time = SlaCase("L2", "26561", "CPSC", start, acted_at=start + timedelta(minutes=30))
    open_case = SlaCase("L3", "26561", "CPSC", start)
    now = start + timedelta(hours=3, minutes=30)
    assert evaluate(late, now).state == SlaState.BREACHED
    assert evaluate(late, now).time_to_action == timedelta(hours=5)
    assert evaluate(on_time, now).state == SlaState.MET
    assert evaluate(open_case, now).state == SlaState.OPEN
    first = escalations([late, on_time, open_case], now)
    assert {(e.case.listing_id, e.level) for e in first} == {
        ("L1", SlaLevel.BREACH),
        ("L3", SlaLevel.WARNING),
    }
    again = escalations([late, on_time, open_case], now, already=[e.key for e in first])
    assert again == []
    later = escalations([open_case], start + timedelta(hours=4, minutes=1), already=[e.key for e in first])
    assert [(e.case.listing_id, e.level) for e in later] == [("L3", SlaLevel.BREACH)]
