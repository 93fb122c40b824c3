"""Tables and a repository for enforcement's own state: users, API tokens and sessions, webhook
deliveries (with the dead-letter list), signed audit heads, action approval times and delivered SLA
escalations.

The tables share the store's ``Base`` (one metadata, one Alembic history: revision ``e001``). The
repository works inside a store unit of work and returns domain or enforcement dataclasses.

>>> from recallguard.store import Store
>>> store = Store("sqlite://")
>>> with store.transaction() as uow:
...     EnforcementRepo(uow.session).count_users()
0
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from recallguard.domain.models import Action, Match
from recallguard.enforcement.audit_log import HeadSignature
from recallguard.enforcement.auth import Role, TokenRecord
from recallguard.enforcement.connector import Delivery
from recallguard.enforcement.sla import SlaCase
from recallguard.store.convert import now, utc
from recallguard.store.enforcement_repos import ACTION_COLUMNS, _action
from recallguard.store.tables import ActionRow, Base

TS = DateTime(timezone=True)


class UserRow(Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(200), primary_key=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(32))
    authority: Mapped[str | None] = mapped_column(String(32), nullable=True)
    seller_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(TS)


class TokenRow(Base):
    """API tokens (kind ``token``) and page sessions (kind ``session``): only the SHA-256 is kept."""

    __tablename__ = "api_tokens"

    token_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="token")
    role: Mapped[str] = mapped_column(String(32))
    authority: Mapped[str | None] = mapped_column(String(32), nullable=True)
    seller_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    username: Mapped[str | None] = mapped_column(String(200), nullable=True)
    label: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(TS)
    expires_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)


class DeliveryRow(Base):
    """Outbound webhooks; ``status = dead`` rows are the dead-letter list."""

    __tablename__ = "webhook_deliveries"

    delivery_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), index=True)
    url: Mapped[str] = mapped_column(Text)
    event: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), index=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(TS)
    updated_at: Mapped[datetime] = mapped_column(TS)
    delivered_at: Mapped[datetime | None] = mapped_column(TS, nullable=True)
    # the outbox (revision s001): which action, when due, and which worker holds it until when
    action_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(TS, nullable=True, index=True)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(TS, nullable=True)


class AuditSignatureRow(Base):
    """An Ed25519 signature over the audit chain head at ``seq``."""

    __tablename__ = "audit_signatures"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    head_hash: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(32))
    signed_at: Mapped[str] = mapped_column(String(40))
    signature: Mapped[str] = mapped_column(Text)


class SlaEscalationRow(Base):
    """An SLA escalation already delivered (one per case and level)."""

    __tablename__ = "sla_escalations"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    listing_id: Mapped[str] = mapped_column(String(200), index=True)
    authority: Mapped[str] = mapped_column(String(32))
    recall_number: Mapped[str] = mapped_column(String(200))
    deadline: Mapped[datetime] = mapped_column(TS)
    created_at: Mapped[datetime] = mapped_column(TS)
    problems: Mapped[str] = mapped_column(Text, default="")


class ActionApprovalRow(Base):
    """When (and by whom) an action was approved: the end of its listing's SLA clock."""

    __tablename__ = "action_approvals"

    action_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    approved_at: Mapped[datetime] = mapped_column(TS)
    actor: Mapped[str] = mapped_column(String(200))


def _token(r: TokenRow) -> TokenRecord:
    return TokenRecord(
        r.token_id,
        r.token_hash,
        Role(r.role),
        r.authority,
        r.seller_id,
        r.username,
        r.kind,
        utc(r.created_at),
        utc(r.expires_at),
        utc(r.revoked_at),
        r.label,
    )


class EnforcementRepo:
    """Users, tokens, deliveries, signatures, escalations, and action reads for the gate."""

    def __init__(self, session: Session) -> None:
        self.s = session

    # users
    def add_user(
        self, username: str, password_hash: str, role: Role, authority: str | None, seller_id: str | None
    ) -> None:
        self.s.add(
            UserRow(
                username=username,
                password_hash=password_hash,
                role=role.value,
                authority=authority,
                seller_id=seller_id,
                disabled=False,
                created_at=now(),
            )
        )

    def user(self, username: str) -> UserRow | None:
        return self.s.get(UserRow, username)

    def count_users(self) -> int:
        return int(self.s.scalar(select(func.count()).select_from(UserRow)) or 0)

    # tokens and sessions
    def add_token(self, rec: TokenRecord) -> None:
        self.s.add(
            TokenRow(
                token_id=rec.token_id,
                token_hash=rec.token_hash,
                kind=rec.kind,
                role=rec.role.value,
                authority=rec.authority,
                seller_id=rec.seller_id,
                username=rec.user,
                label=rec.label,
                created_at=rec.created_at or now(),
                expires_at=rec.expires_at,
                revoked_at=rec.revoked_at,
            )
        )

    def token_by_hash(self, token_hash: str) -> TokenRecord | None:
        r = self.s.scalars(select(TokenRow).where(TokenRow.token_hash == token_hash)).one_or_none()
        return _token(r) if r else None

    def tokens(self, kind: str | None = None) -> list[TokenRecord]:
        q = select(TokenRow).order_by(TokenRow.created_at)
        if kind:
            q = q.where(TokenRow.kind == kind)
        return [_token(r) for r in self.s.scalars(q)]

    def revoke_token(self, token_id: str, at: datetime | None = None) -> TokenRecord | None:
        r = self.s.get(TokenRow, token_id)
        if r is None:
            return None
        if r.revoked_at is None:
            r.revoked_at = at or now()
        return _token(r)

    # webhook deliveries
    def save_delivery(self, d: Delivery) -> None:
        r = self.s.get(DeliveryRow, d.delivery_id)
        if r is None:
            r = DeliveryRow(delivery_id=d.delivery_id, created_at=d.created_at)
            self.s.add(r)
        r.idempotency_key, r.url, r.event, r.payload = d.idempotency_key, d.url, d.event, d.payload
        r.attempts, r.status, r.last_error, r.delivered_at = (
            d.attempts,
            d.status,
            d.last_error,
            d.delivered_at,
        )
        r.updated_at = now()

    def deliveries(self, status: str | None = None, limit: int = 1000) -> list[Delivery]:
        q = select(DeliveryRow).order_by(DeliveryRow.created_at).limit(limit)
        if status:
            q = q.where(DeliveryRow.status == status)
        return [
            Delivery(
                r.url,
                r.event,
                dict(r.payload),
                r.idempotency_key,
                r.delivery_id,
                r.attempts,
                r.status,
                r.last_error,
                utc(r.created_at) or now(),
                utc(r.delivered_at),
            )
            for r in self.s.scalars(q)
        ]

    # audit signatures
    def add_signature(self, sig: HeadSignature) -> None:
        self.s.add(
            AuditSignatureRow(
                seq=sig.seq,
                head_hash=sig.head_hash,
                key_id=sig.key_id,
                signed_at=sig.signed_at,
                signature=sig.signature,
            )
        )

    def signatures(self) -> list[HeadSignature]:
        q = select(AuditSignatureRow).order_by(AuditSignatureRow.seq)
        return [
            HeadSignature(r.seq, r.head_hash, r.key_id, r.signed_at, r.signature) for r in self.s.scalars(q)
        ]

    def audit_head(self) -> tuple[int, str] | None:
        """(seq, hash) of the newest audit event, or None for an empty log."""
        from recallguard.store.tables import AuditEventRow

        q = select(AuditEventRow.seq, AuditEventRow.hash).order_by(AuditEventRow.seq.desc()).limit(1)
        row = self.s.execute(q).first()
        return (int(row[0]), str(row[1])) if row else None

    def last_signed_seq(self) -> int:
        return int(self.s.scalar(select(func.max(AuditSignatureRow.seq))) or 0)

    # SLA escalations
    def escalation_keys(self) -> set[str]:
        return set(self.s.scalars(select(SlaEscalationRow.key)))

    def add_escalation(
        self,
        key: str,
        level: str,
        listing_id: str,
        authority: str,
        recall_number: str,
        deadline: datetime,
        problems: str = "",
    ) -> None:
        self.s.add(
            SlaEscalationRow(
                key=key,
                level=level,
                listing_id=listing_id,
                authority=authority,
                recall_number=recall_number,
                deadline=deadline,
                created_at=now(),
                problems=problems,
            )
        )

    # approvals (SLA clock stops)
    def record_approval(self, action_id: str, actor: str, at: datetime | None = None) -> None:
        if self.s.get(ActionApprovalRow, action_id) is None:
            self.s.add(ActionApprovalRow(action_id=action_id, approved_at=at or now(), actor=actor))

    def approvals(self) -> dict[str, datetime]:
        q = select(ActionApprovalRow.action_id, ActionApprovalRow.approved_at)
        return {a: utc(t) or t for a, t in self.s.execute(q)}

    # SLA cases
    def sla_cases(
        self,
        authority: str | None = None,
        acted_since: datetime | None = None,
        started_before: datetime | None = None,
    ) -> list[SlaCase]:
        """One clock per active block/review match of a stored recall: started at max(recall received,
        listing first seen), stopped at its restriction's approval. ``acted_since``: leave out the clocks
        stopped before it (the server's timer has decided those already: they cannot escalate again), so
        a check reads the open clocks and the recently stopped ones, not the store's whole history.
        ``started_before`` (with ``acted_since``): of the clocks stopped since, only those started before
        it — the server's timer passes now minus ``enforcement.sla.shortest_deadline()``: a clock started
        later and stopped already was met, and re-reading every clock stopped in the timer's overlap each
        minute (thousands in the load bench) made the check's time and memory grow with the traffic.

        Only the actions of those matches are read (a join on the matches' unique key), as plain
        columns: the server runs this every minute, and reading every action ever taken as ORM objects
        cost ~200 ms of the server's time per 5,000 actions, growing with the store."""
        from recallguard.store.tables import ListingRow, MatchRow, RecallRow

        m = MatchRow
        live = (m.state == "active") & m.decision.in_(("block", "review"))
        recall_on = (RecallRow.authority == m.authority) & (RecallRow.recall_number == m.recall_number)
        listing_on = ListingRow.listing_id == m.listing_id
        q = (
            select(m.listing_id, m.authority, m.recall_number, RecallRow.created_at, RecallRow.priority,
                   ListingRow.created_at)
            .join(RecallRow, recall_on)
            .join(ListingRow, listing_on)
            .where(live)
        )  # fmt: skip
        done = ("approved", "sent", "confirmed", "failed", "reversed")
        aq = (
            select(ActionRow.listing_id, ActionRow.authority, ActionRow.recall_number, ActionRow.created_at,
                   ActionApprovalRow.approved_at)
            .join(m, (m.listing_id == ActionRow.listing_id) & (m.authority == ActionRow.authority)
                  & (m.recall_number == ActionRow.recall_number))
            .outerjoin(ActionApprovalRow, ActionApprovalRow.action_id == ActionRow.action_id)
            .where(live, ActionRow.kind.in_(("restrict", "delist")), ActionRow.state.in_(done))
        )  # fmt: skip
        if authority:
            q, aq = q.where(m.authority == authority), aq.where(m.authority == authority)
        if acted_since is not None:
            a, stopped = ActionRow, func.coalesce(ActionApprovalRow.approved_at, ActionRow.created_at)
            stops = (  # the actions that stop a match's clock
                select(a.action_id)
                .outerjoin(ActionApprovalRow, ActionApprovalRow.action_id == a.action_id)
                .where(a.listing_id == m.listing_id, a.authority == m.authority)
                .where(a.recall_number == m.recall_number, a.kind.in_(("restrict", "delist")))
                .where(a.state.in_(done))
            )
            q, aq = q.where(~stops.where(stopped < acted_since).exists()), aq.where(stopped >= acted_since)
            if started_before is not None:
                started_early = (RecallRow.created_at <= started_before) & (
                    ListingRow.created_at <= started_before
                )
                q = q.where(started_early | ~stops.exists())  # open, or stopped and possibly late
                aq = aq.join(RecallRow, recall_on).join(ListingRow, listing_on).where(started_early)
        acted: dict[tuple[str, str, str], datetime] = {}
        for lid, auth, num, created, approved in self.s.execute(aq):
            t = utc(approved) or utc(created) or now()
            k = (lid, auth, num)
            acted[k] = min(t, acted.get(k, t))
        out = []
        for lid, auth, num, received, priority, seen in self.s.execute(q):
            start = max(utc(received) or now(), utc(seen) or now())
            out.append(SlaCase(lid, num, auth, start, bool(priority), acted.get((lid, auth, num))))
        return out

    # actions, read for the gate and the API
    def action(self, action_id: str) -> Action | None:
        r = self.s.get(ActionRow, action_id)
        return _action(r) if r else None

    def all_actions(self) -> list[Action]:
        return [_action(r) for r in self.s.execute(select(*ACTION_COLUMNS))]

    def actions_changed_since(self, since: datetime) -> list[Action]:
        q = select(*ACTION_COLUMNS).where(ActionRow.updated_at >= since).order_by(ActionRow.updated_at)
        return [_action(r) for r in self.s.execute(q)]

    def actions_for_listings(self, ids: Iterable[str]) -> list[Action]:
        q = select(ActionRow).where(ActionRow.listing_id.in_(list(ids))).order_by(ActionRow.created_at)
        return [_action(r) for r in self.s.scalars(q)]

    def query_matches(
        self,
        *,
        authority: str | None = None,
        seller_id: str | None = None,
        recall_number: str | None = None,
        listing_id: str | None = None,
        decision: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Match]:
        """Active matches, filtered; ``seller_id`` restricts to that seller's listings."""
        from recallguard.store.enforcement_repos import _match
        from recallguard.store.tables import ListingRow, MatchRow

        q = select(MatchRow).where(MatchRow.state == "active").order_by(MatchRow.listing_id, MatchRow.id)
        if authority:
            q = q.where(MatchRow.authority == authority)
        if recall_number:
            q = q.where(MatchRow.recall_number == recall_number)
        if listing_id:
            q = q.where(MatchRow.listing_id == listing_id)
        if decision:
            q = q.where(MatchRow.decision == decision)
        if seller_id is not None:
            q = q.join(ListingRow, ListingRow.listing_id == MatchRow.listing_id).where(
                ListingRow.seller_id == seller_id
            )
        return [_match(r) for r in self.s.scalars(q.limit(limit).offset(offset))]

    def query_actions(
        self,
        *,
        authority: str | None = None,
        seller_id: str | None = None,
        state: str | None = None,
        listing_id: str | None = None,
        action_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Action]:
        from recallguard.store.tables import ListingRow

        q = select(ActionRow).order_by(ActionRow.created_at, ActionRow.action_id)
        if authority:
            q = q.where(ActionRow.authority == authority)
        if state:
            q = q.where(ActionRow.state == state)
        if listing_id:
            q = q.where(ActionRow.listing_id == listing_id)
        if action_id:
            q = q.where(ActionRow.action_id == action_id)
        if seller_id is not None:
            q = q.join(ListingRow, ListingRow.listing_id == ActionRow.listing_id).where(
                ListingRow.seller_id == seller_id
            )
        return [_action(r) for r in self.s.scalars(q.limit(limit).offset(offset))]
