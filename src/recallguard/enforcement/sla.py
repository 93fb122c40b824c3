"""Service-level deadlines: by when a recall's listings must be restricted, breaches and escalations.

Each authority states its deadline (``Authority.sla_hours``): the CPSC 4 hours from receipt, counted on
the clock; the EU Safety Gate 2 working days (``working_days=True``: 48 h = 2 working days), counted in
the buyer country's working days — weekends and that country's public holidays (the ``holidays``
package) do not count. A priority recall's deadline is tighter (``PRIORITY_FACTOR`` of the normal one).

A listing's clock starts when the recall was received, or when the listing appeared if later (a
re-listing has its own clock); it stops when its restriction is approved (the gate refuses it then).

>>> from datetime import datetime, UTC
>>> received = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
>>> deadline(received, "CPSC").isoformat()
'2026-03-02T13:00:00+00:00'
>>> deadline(received, "SAFETYGATE", country="DE").isoformat()
'2026-03-04T09:00:00+00:00'
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from recallguard.domain.authorities import AUTHORITIES, authority_for

PRIORITY_FACTOR = 0.5
"""A priority recall's deadline is this fraction of the authority's normal one."""

WARNING_FRACTION = 0.75
"""An open case escalates with a warning once this fraction of its time has gone."""


class SlaLevel(enum.StrEnum):
    """Escalation levels, in order."""

    WARNING = "warning"
    BREACH = "breach"


@lru_cache(maxsize=256)
def _holidays(country: str, year: int) -> frozenset[date]:
    import holidays  # ~0.06 s of calendars: imported by the first deadline counted, not by every command

    try:
        return frozenset(holidays.country_holidays(country, years=year).keys())
    except NotImplementedError:  # a country the package does not know: weekends only
        return frozenset()


def is_working_day(day: date, country: str) -> bool:
    """Monday to Friday and not a public holiday in ``country``.

    >>> is_working_day(date(2026, 5, 14), "DE"), is_working_day(date(2026, 5, 14), "US")  # Ascension Day
    (False, True)
    """
    return day.weekday() < 5 and day not in _holidays(country.upper(), day.year)


def add_working_days(start: datetime, days: float, country: str) -> datetime:
    """``start`` plus ``days`` working days of ``country`` (fractions count as 24 h slices).

    A start on a non-working day begins counting at midnight of the next working day.

    >>> add_working_days(datetime(2026, 5, 13, 10, 0, tzinfo=UTC), 2, "DE").date()  # Wed; Thu a holiday
    datetime.date(2026, 5, 18)
    """
    t = start
    if not is_working_day(t.date(), country):
        d = t.date()
        while not is_working_day(d, country):
            d += timedelta(days=1)
        t = datetime(d.year, d.month, d.day, tzinfo=start.tzinfo)
    whole = int(days)
    for _ in range(whole):
        t += timedelta(days=1)
        while not is_working_day(t.date(), country):
            t += timedelta(days=1)
    frac = days - whole
    if frac > 0:
        t += timedelta(days=frac)
        while not is_working_day(t.date(), country):
            t += timedelta(days=1)
    return t


def deadline(
    received: datetime, authority: str, *, priority: bool = False, country: str | None = None
) -> datetime:
    """When restriction is due for a recall of ``authority`` received at ``received``.

    For a working-day authority the count uses ``country``'s holidays (default: the earliest deadline
    over the authority's countries, i.e. the strictest).

    >>> deadline(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), "CPSC", priority=True).hour
    11
    """
    auth = authority_for(authority)
    hours = auth.sla_hours * (PRIORITY_FACTOR if priority else 1.0)
    if not auth.working_days:
        return received + timedelta(hours=hours)
    days = hours / 24.0
    if country:
        return add_working_days(received, days, country)
    return min(add_working_days(received, days, c) for c in sorted(auth.countries))


def shortest_deadline() -> timedelta:
    """No clock's deadline comes sooner after its start than this: the shortest deadline of any authority
    on a priority recall (working days only add time). A clock stopped sooner after it started was met.

    >>> shortest_deadline()  # the CPSC's 4 hours, halved for a priority recall
    datetime.timedelta(seconds=7200)
    """
    return timedelta(hours=min(a.sla_hours for a in AUTHORITIES.values()) * PRIORITY_FACTOR)


class SlaState(enum.StrEnum):
    OPEN = "open"
    MET = "met"
    BREACHED = "breached"


@dataclass(frozen=True)
class SlaCase:
    """One listing's clock for one recall."""

    listing_id: str
    recall_number: str
    authority: str
    started_at: datetime  # max(recall received, listing first seen)
    priority: bool = False
    acted_at: datetime | None = None  # restriction approved
    country: str | None = None


@dataclass(frozen=True)
class SlaStatus:
    case: SlaCase
    deadline: datetime
    state: SlaState
    time_to_action: timedelta | None
    remaining: timedelta


@dataclass(frozen=True)
class Escalation:
    """An event to deliver to people: a case nearing or past its deadline."""

    level: SlaLevel
    case: SlaCase
    deadline: datetime
    at: datetime

    @property
    def key(self) -> str:
        """Identity for de-duplication: one escalation per case and level."""
        return f"{self.case.authority}:{self.case.recall_number}:{self.case.listing_id}:{self.level.value}"

    def summary(self) -> str:
        """A one-line human message.

        >>> c = SlaCase("L1", "1", "CPSC", datetime(2026, 1, 1, tzinfo=UTC))
        >>> Escalation(SlaLevel.BREACH, c, datetime(2026, 1, 1, 4, tzinfo=UTC), c.started_at).summary()
        'SLA breach: listing L1 for CPSC recall 1, due 2026-01-01T04:00:00+00:00'
        """
        return (
            f"SLA {self.level.value}: listing {self.case.listing_id} for {self.case.authority} recall "
            f"{self.case.recall_number}, due {self.deadline.isoformat()}"
        )


def evaluate(case: SlaCase, now: datetime) -> SlaStatus:
    """The case's deadline, whether it is open, met or breached, and its time to action.

    >>> c = SlaCase("L1", "1", "CPSC", datetime(2026, 1, 1, tzinfo=UTC),
    ...             acted_at=datetime(2026, 1, 1, 1, tzinfo=UTC))
    >>> s = evaluate(c, datetime(2026, 1, 2, tzinfo=UTC)); s.state.value, s.time_to_action
    ('met', datetime.timedelta(seconds=3600))
    """
    due = deadline(case.started_at, case.authority, priority=case.priority, country=case.country)
    if case.acted_at is not None:
        tta = case.acted_at - case.started_at
        state = SlaState.MET if case.acted_at <= due else SlaState.BREACHED
        return SlaStatus(case, due, state, tta, due - case.acted_at)
    state = SlaState.BREACHED if now > due else SlaState.OPEN
    return SlaStatus(case, due, state, None, due - now)


def escalations(cases: Iterable[SlaCase], now: datetime, already: Iterable[str] = ()) -> list[Escalation]:
    """New escalations due at ``now`` (keys in ``already`` were delivered before and are skipped).

    An open case escalates with a warning past ``WARNING_FRACTION`` of its time and with a breach past
    its deadline; a case acted on late escalates once as a breach.

    >>> c = SlaCase("L1", "1", "CPSC", datetime(2026, 1, 1, tzinfo=UTC))
    >>> [e.level.value for e in escalations([c], datetime(2026, 1, 1, 5, tzinfo=UTC))]
    ['breach']
    """
    done = set(already)
    out: list[Escalation] = []
    for case in cases:
        st = evaluate(case, now)
        level: SlaLevel | None = None
        if st.state == SlaState.BREACHED:
            level = SlaLevel.BREACH
        elif st.state == SlaState.OPEN:
            total = (st.deadline - case.started_at).total_seconds()
            used = (now - case.started_at).total_seconds()
            if total > 0 and used >= WARNING_FRACTION * total:
                level = SlaLevel.WARNING
        if level is None:
            continue
        esc = Escalation(level, case, st.deadline, now)
        if esc.key not in done:
            done.add(esc.key)
            out.append(esc)
    return out


def utcnow() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)
