"""Tables of the people-facing side (revision ``p001``): sellers' language preference for notices, and
buyer orders kept for recall notifications within a retention period. (Appeals and their photos are
the review tables of revision ``w001``, ``store.review_tables``.)

- ``seller_preferences``: the language a seller wants its notices in.
- ``buyer_orders``: ``listing_id, order_date, buyer_country, buyer_ref`` from the marketplace's orders
  file; ``row_hash`` makes re-imports idempotent; rows are deleted when their retention ends.

>>> from recallguard.store import Store
>>> store = Store("sqlite://")
>>> with store.transaction() as uow:
...     SellerPrefsRepo(uow.session).language_of("S1"), BuyerRepo(uow.session).count()
(None, 0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Date, Integer, String, delete, func, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from recallguard.store.convert import now
from recallguard.store.tables import TS, Base


class SellerPreferenceRow(Base):
    __tablename__ = "seller_preferences"

    seller_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    language: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(TS)


class BuyerOrderRow(Base):
    __tablename__ = "buyer_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    listing_id: Mapped[str] = mapped_column(String(200), index=True)
    order_date: Mapped[date] = mapped_column(Date, index=True)
    buyer_country: Mapped[str] = mapped_column(String(2))
    buyer_ref: Mapped[str] = mapped_column(String(200))
    row_hash: Mapped[str] = mapped_column(String(64), unique=True)
    imported_at: Mapped[datetime] = mapped_column(TS)


@dataclass(frozen=True)
class BuyerOrder:
    listing_id: str
    order_date: date
    buyer_country: str
    buyer_ref: str


class SellerPrefsRepo:
    """Sellers' language preference for notices."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def language_of(self, seller_id: str) -> str | None:
        r = self.s.get(SellerPreferenceRow, seller_id)
        return r.language if r else None

    def set_language(self, seller_id: str, language: str) -> None:
        r = self.s.get(SellerPreferenceRow, seller_id)
        if r is None:
            self.s.add(SellerPreferenceRow(seller_id=seller_id, language=language, updated_at=now()))
        else:
            r.language, r.updated_at = language, now()


class BuyerRepo:
    """Buyer orders: idempotent insert, the buyers of given listings, retention purge."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def add_many(self, rows: Sequence[tuple[BuyerOrder, str]]) -> int:
        """Insert (order, row hash) pairs not stored yet; returns how many were new."""
        by_hash = {h: o for o, h in rows}
        if not by_hash:
            return 0
        known: set[str] = set()
        hashes = list(by_hash)
        for i in range(0, len(hashes), 500):
            chunk = hashes[i : i + 500]
            known |= set(
                self.s.scalars(select(BuyerOrderRow.row_hash).where(BuyerOrderRow.row_hash.in_(chunk)))
            )
        at = now()
        fresh = [
            {"listing_id": o.listing_id, "order_date": o.order_date, "buyer_country": o.buyer_country,
             "buyer_ref": o.buyer_ref, "row_hash": h, "imported_at": at}
            for h, o in by_hash.items() if h not in known
        ]  # fmt: skip
        if fresh:
            self.s.execute(insert(BuyerOrderRow), fresh)
        return len(fresh)

    def for_listings(
        self, listing_ids: Sequence[str], since: date, countries: Sequence[str] | None
    ) -> list[BuyerOrder]:
        out: list[BuyerOrder] = []
        ids = sorted(set(listing_ids))
        for i in range(0, len(ids), 500):
            q = select(BuyerOrderRow).where(
                BuyerOrderRow.listing_id.in_(ids[i : i + 500]), BuyerOrderRow.order_date >= since
            )
            if countries is not None:
                q = q.where(BuyerOrderRow.buyer_country.in_(list(countries)))
            out += [
                BuyerOrder(r.listing_id, r.order_date, r.buyer_country, r.buyer_ref)
                for r in self.s.scalars(q)
            ]
        return sorted(out, key=lambda o: (o.listing_id, o.order_date, o.buyer_ref))

    def count(self, before: date | None = None) -> int:
        q = select(func.count()).select_from(BuyerOrderRow)
        if before is not None:
            q = q.where(BuyerOrderRow.order_date < before)
        return int(self.s.scalar(q) or 0)

    def delete_before(self, cutoff: date) -> int:
        """Delete every order dated before ``cutoff``; returns how many."""
        res = self.s.execute(delete(BuyerOrderRow).where(BuyerOrderRow.order_date < cutoff))
        return int(res.rowcount or 0)  # type: ignore[attr-defined]


def approval_actors(
    session: Session, action_ids: Sequence[str] | None = None
) -> dict[str, tuple[str, datetime]]:
    """action id → (who approved it, when) for actions a person approved (``action_approvals``).

    Actions approved automatically by a block decision have no row (their approval is their creation).
    """
    from recallguard.store.convert import utc
    from recallguard.store.enforcement_tables import ActionApprovalRow

    q = select(ActionApprovalRow.action_id, ActionApprovalRow.actor, ActionApprovalRow.approved_at)
    if action_ids is not None:
        q = q.where(ActionApprovalRow.action_id.in_(list(action_ids)))
    return {a: (actor, utc(t) or t) for a, actor, t in session.execute(q)}
