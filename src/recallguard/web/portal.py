"""View models of the regulator portal: per recall of the regulator's authority, the listings found,
restricted, in review and re-listings caught (fingerprint-bank hits), the time-to-action distribution
and the SLA status — computed from the same store rows and SLA rules the API and ``recallguard sla``
use (``EnforcementRepo.sla_cases`` and ``enforcement.sla.evaluate``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from recallguard.domain.models import Action, DecisionKind, Match, Recall
from recallguard.enforcement.sla import SlaState, SlaStatus, evaluate
from recallguard.store import UnitOfWork
from recallguard.store.enforcement_tables import EnforcementRepo
from recallguard.store.review_tables import FINAL, ReviewRepo
from recallguard.web.decisions import IN_FORCE

LIMIT = 100_000


@dataclass
class RecallStats:
    """What a regulator sees for one recall."""

    recall: Recall
    found: int = 0
    restricted: int = 0
    in_review: int = 0
    relistings: int = 0
    sla: Counter[str] = field(default_factory=Counter)
    times: list[timedelta] = field(default_factory=list)
    statuses: list[SlaStatus] = field(default_factory=list)

    @property
    def sla_label(self) -> str:
        """``breached`` if any clock breached, else ``open`` while any runs, else ``met`` (or ``—``)."""
        for state in (SlaState.BREACHED, SlaState.OPEN, SlaState.MET):
            if self.sla.get(state.value):
                return state.value
        return "—"

    @property
    def median_tta(self) -> timedelta | None:
        if not self.times:
            return None
        ordered = sorted(self.times)
        return ordered[len(ordered) // 2]


def _is_relisting(m: Match) -> bool:
    return m.model_version.startswith("bank")


def recall_stats(uow: UnitOfWork, authority: str, now: datetime | None = None) -> list[RecallStats]:
    """Stats for every recall of ``authority``: priority ones first, then the newest."""
    now = now or datetime.now(UTC)
    repo = EnforcementRepo(uow.session)
    recalls = [r for r in uow.recalls.list() if r.authority == authority]
    stats = {r.recall_number: RecallStats(r) for r in recalls}
    matches = repo.query_matches(authority=authority, limit=LIMIT)
    actions = repo.query_actions(authority=authority, limit=LIMIT)
    in_force = {(a.listing_id, a.recall_number) for a in actions if a.state in IN_FORCE}
    decided = ReviewRepo(uow.session).final_decisions()
    for m in matches:
        s = stats.get(m.recall_number)
        if s is None:
            continue
        s.found += 1
        s.relistings += _is_relisting(m)
        key = (m.listing_id, m.recall_number)
        if (
            m.decision == DecisionKind.REVIEW
            and key not in in_force
            and decided.get((m.listing_id, m.authority, m.recall_number)) not in FINAL
        ):
            s.in_review += 1
    for _, number in in_force:
        if number in stats:
            stats[number].restricted += 1
    for case in repo.sla_cases(authority):
        s = stats.get(case.recall_number)
        if s is None:
            continue
        st = evaluate(case, now)
        s.statuses.append(st)
        s.sla[st.state.value] += 1
        if st.time_to_action is not None:
            s.times.append(max(st.time_to_action, timedelta(0)))
    order = sorted(
        stats.values(),
        key=lambda s: (not s.recall.priority, -s.found, -(s.recall.recall_date or now).timestamp()),
    )
    return order


def listings_of_recall(
    uow: UnitOfWork, authority: str, recall_number: str
) -> list[tuple[Match, str, Action | None]]:
    """The recall's matched listings with their title and restriction (if any)."""
    repo = EnforcementRepo(uow.session)
    matches = repo.query_matches(authority=authority, recall_number=recall_number, limit=LIMIT)
    ids = [m.listing_id for m in matches]
    titles = {x.listing_id: x.title for x in uow.listings.get_many(ids)}
    acts: dict[str, Action] = {}
    for a in repo.actions_for_listings(ids):
        if a.authority == authority and a.recall_number == recall_number:
            acts[a.listing_id] = a
    return [(m, titles.get(m.listing_id, ""), acts.get(m.listing_id)) for m in matches]


def fmt_duration(d: timedelta | None) -> str:
    """A short human duration.

    >>> fmt_duration(timedelta(seconds=42)), fmt_duration(timedelta(minutes=90)), fmt_duration(None)
    ('42 s', '1 h 30 min', '—')
    """
    if d is None:
        return "—"
    secs = int(d.total_seconds())
    if secs < 60:
        return f"{secs} s"
    if secs < 3600:
        return f"{secs // 60} min"
    if secs < 86400:
        h, m = divmod(secs // 60, 60)
        return f"{h} h {m} min" if m else f"{h} h"
    return f"{secs // 86400} d {(secs % 86400) // 3600} h"
