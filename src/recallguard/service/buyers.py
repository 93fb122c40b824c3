"""Buyer notification: the marketplace's orders (``listing_id, order_date, buyer_country, buyer_ref``)
are imported, and for a recall the buyers of its actioned listings in the last N months — only buyers
in the authority's countries — are listed for the marketplace to notify. Buyer data is personal data:
it is kept for ``RECALLGUARD_BUYER_RETENTION_DAYS`` after the order date and then deleted
(:func:`purge_expired`, run by ``recallguard buyers purge`` and the server's timer), with an audit event.
Audit events carry counts, never buyer references; quarantined bad rows keep their line and field but
not the buyer reference.

>>> text = "listing_id,order_date,buyer_country,buyer_ref\\nL1,2026-03-01,us,B1\\nL2,x,US,B2\\n"
>>> orders, bad = read_orders(text)
>>> [o.buyer_country for o, _ in orders], str(bad[0])
(['US'], "orders.csv: line 3: field 'order_date': not a date (YYYY-MM-DD): 'x'")
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta

from recallguard.domain.authorities import authority_for
from recallguard.domain.models import ActionKind, BadRecord
from recallguard.enforcement.state_machine import IN_FORCE
from recallguard.errors import InputError, NotFoundError, UsageError
from recallguard.service.reports import MANY
from recallguard.store import Store, UnitOfWork
from recallguard.store.convert import sha256_json
from recallguard.store.enforcement_tables import EnforcementRepo
from recallguard.store.people_tables import BuyerOrder, BuyerRepo

COLUMNS = ("listing_id", "order_date", "buyer_country", "buyer_ref")
QUARANTINE_KIND = "buyer_order"
_COUNTRY = re.compile(r"[A-Z]{2}")


@dataclass
class ImportResult:
    loaded: int = 0
    duplicates: int = 0
    expired: int = 0
    bad: list[BadRecord] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"buyers import: {self.loaded} orders loaded, {self.duplicates} already stored, "
            f"{self.expired} past retention skipped, {len(self.bad)} bad rows quarantined"
        )


@dataclass(frozen=True)
class BuyerLine:
    """One buyer to notify about one recall."""

    authority: str
    recall_number: str
    listing_id: str
    order_date: str
    buyer_country: str
    buyer_ref: str


def _order_date(value: str) -> date:
    v = value.strip()
    try:
        return date.fromisoformat(v[:10]) if len(v) >= 10 else date.fromisoformat(v)
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {value!r}") from None


def read_orders(
    text: str, source: str = "orders.csv"
) -> tuple[list[tuple[BuyerOrder, str]], list[BadRecord]]:
    """Parse an orders CSV: (order, row hash) pairs and the bad rows (line and field named). A file
    without the four columns raises InputError (nothing is loaded)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(f"{source}: missing column(s) {', '.join(missing)} (need {', '.join(COLUMNS)})")
    reader.fieldnames = header
    good: list[tuple[BuyerOrder, str]] = []
    bad: list[BadRecord] = []
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    for n, row in enumerate(reader, start=2):
        vals = {c: (row.get(c) or "").strip() for c in COLUMNS}
        redacted = json.dumps({**vals, "buyer_ref": "<redacted>" if vals["buyer_ref"] else ""})
        problem: tuple[str, str] | None = None
        if not vals["listing_id"] or len(vals["listing_id"]) > 200:
            problem = ("listing_id", "missing or longer than 200 characters")
        elif not vals["buyer_ref"] or len(vals["buyer_ref"]) > 200:
            problem = ("buyer_ref", "missing or longer than 200 characters")
        elif not _COUNTRY.fullmatch(vals["buyer_country"].upper()):
            problem = ("buyer_country", f"not an ISO 3166 two-letter country code: {vals['buyer_country']!r}")
        else:
            try:
                when = _order_date(vals["order_date"])
                if when > tomorrow:
                    problem = ("order_date", f"in the future: {vals['order_date']!r}")
            except ValueError as e:
                problem = ("order_date", str(e))
        if problem:
            bad.append(BadRecord(source, f"line {n}", problem[0], problem[1], redacted))
            continue
        order = BuyerOrder(vals["listing_id"], when, vals["buyer_country"].upper(), vals["buyer_ref"])
        good.append(
            (order, sha256_json([order.listing_id, when.isoformat(), order.buyer_country, order.buyer_ref]))
        )
    return good, bad


def retention_cutoff(retention_days: int, now: datetime | None = None) -> date:
    """Orders dated before this day are past retention.

    >>> retention_cutoff(30, datetime(2026, 3, 31, tzinfo=UTC))
    datetime.date(2026, 3, 1)
    """
    return (now or datetime.now(UTC)).date() - timedelta(days=retention_days)


def import_orders(
    store: Store, text: str, *, source: str, actor: str, retention_days: int, now: datetime | None = None
) -> ImportResult:
    """Load the good rows (idempotent: a row already stored is skipped), skip rows already past
    retention, quarantine the bad ones; one audit event with the counts."""
    good, bad = read_orders(text, source)
    cutoff = retention_cutoff(retention_days, now)
    fresh = [(o, h) for o, h in good if o.order_date >= cutoff]
    res = ImportResult(expired=len(good) - len(fresh), bad=bad)
    with store.transaction() as uow:
        res.loaded = BuyerRepo(uow.session).add_many(fresh)
        res.duplicates = len({h for _, h in fresh}) - res.loaded
        uow.quarantine.add_many(QUARANTINE_KIND, bad)
        uow.audit.append(
            "buyers.imported", f"orders:{source}", actor, "",
            {"loaded": res.loaded, "duplicates": res.duplicates, "expired": res.expired,
             "quarantined": len(bad), "retention_days": retention_days},
        )  # fmt: skip
    return res


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (clamped to the month's end).

    >>> months_before(date(2026, 8, 31), 6)
    datetime.date(2026, 2, 28)
    """
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    m += 1
    for d in range(day.day, 27, -1):
        try:
            return date(y, m, d)
        except ValueError:
            continue
    return date(y, m, min(day.day, 28))


def buyers_of_recall(
    store: Store,
    recall_number: str,
    *,
    authority: str | None = None,
    months: int = 6,
    actor: str,
    now: datetime | None = None,
) -> list[BuyerLine]:
    """Buyers in the authority's countries who ordered, in the last ``months`` months, a listing with a
    restriction or delisting in force for the recall. Reading the list is an audit event."""
    if months < 1:
        raise UsageError("months must be at least 1")
    at = now or datetime.now(UTC)
    since = months_before(at.date(), months)
    with store.transaction() as uow:
        enf = EnforcementRepo(uow.session)
        code = authority_for(authority).code if authority else _authority_of(uow, recall_number)
        listing_ids = {
            a.listing_id
            for a in enf.query_actions(authority=code, limit=MANY)
            if a.recall_number == recall_number
            and a.state in IN_FORCE
            and a.kind in (ActionKind.RESTRICT, ActionKind.DELIST)
        }
        countries = sorted(authority_for(code).countries)
        orders = BuyerRepo(uow.session).for_listings(sorted(listing_ids), since, countries)
        uow.audit.append(
            "buyers.listed", f"recall:{code}:{recall_number}", actor, "",
            {"authority": code, "recall": f"{code}:{recall_number}", "months": months,
             "since": since.isoformat(), "listings": len(listing_ids), "buyers": len(orders)},
        )  # fmt: skip
    return [
        BuyerLine(code, recall_number, o.listing_id, o.order_date.isoformat(), o.buyer_country, o.buyer_ref)
        for o in orders
    ]


def _authority_of(uow: UnitOfWork, recall_number: str) -> str:
    found = sorted({r.authority for r in uow.recalls.list() if r.recall_number == recall_number})
    if not found:
        raise NotFoundError(f"no recall {recall_number}")
    if len(found) > 1:
        raise UsageError(f"recall {recall_number} exists for {', '.join(found)}: name the authority")
    return found[0]


def purge_expired(store: Store, *, retention_days: int, actor: str, now: datetime | None = None) -> int:
    """Delete every order past retention; an audit event records how many (when any were)."""
    cutoff = retention_cutoff(retention_days, now)
    with store.transaction() as uow:
        deleted = BuyerRepo(uow.session).delete_before(cutoff)
        if deleted:
            uow.audit.append(
                "buyers.purged", "orders", actor, f"retention of {retention_days} days ended",
                {"deleted": deleted, "cutoff": cutoff.isoformat(), "retention_days": retention_days},
            )  # fmt: skip
    return deleted


def lines_csv(lines: Sequence[BuyerLine]) -> str:
    """The buyers list as CSV (``authority, recall_number, listing_id, order_date, buyer_country,
    buyer_ref``)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(BuyerLine.__dataclass_fields__), lineterminator="\n")
    w.writeheader()
    for line in lines:
        w.writerow(asdict(line))
    return buf.getvalue()
