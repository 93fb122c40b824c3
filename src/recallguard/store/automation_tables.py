"""Tables of accountable automation: which authorities and recalls are in shadow mode.

A shadow scope is an authority (``recall_number`` empty: every recall of it) or one recall. Decisions
inside a shadow scope are computed and recorded but not enforced (``service.shadow``). The thresholds
behind every decision are columns of ``matches`` and ``actions`` (``store.tables``); the outbox is
``webhook_deliveries`` (``store.enforcement_tables``). All three came with revision ``s001``.

>>> from recallguard.store import Store
>>> store = Store("sqlite://")
>>> with store.transaction() as uow:
...     repo = ShadowRepo(uow.session)
...     repo.set("CPSC", "", on=True, actor="test", reason="trial")
...     repo.with_priority()[0]
True
{('CPSC', '')}
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import String, Table, Text, delete, literal, select, union_all
from sqlalchemy.orm import Mapped, Session, mapped_column

from recallguard.store.convert import now, utc
from recallguard.store.enforcement_tables import TS
from recallguard.store.tables import Base, RecallRow


class ShadowScopeRow(Base):
    """One authority (``recall_number`` = "") or one recall in shadow mode."""

    __tablename__ = "shadow_scopes"

    authority: Mapped[str] = mapped_column(String(32), primary_key=True)
    recall_number: Mapped[str] = mapped_column(String(200), primary_key=True)
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(TS)


_SCOPE_TABLE = cast(Table, ShadowScopeRow.__table__)
_RECALL_TABLE = cast(Table, RecallRow.__table__)
_POLICY_KEYS = union_all(  # built once: read per transaction
    select(literal("shadow"), _SCOPE_TABLE.c.authority, _SCOPE_TABLE.c.recall_number),
    select(literal("priority"), _RECALL_TABLE.c.authority, _RECALL_TABLE.c.recall_number).where(
        _RECALL_TABLE.c.priority.is_(True)
    ),
)


class ShadowRepo:
    """Stored shadow scopes."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def set(self, authority: str, recall_number: str, *, on: bool, actor: str, reason: str = "") -> bool:
        """Switch a scope on or off; True when that changed anything."""
        row = self.s.get(ShadowScopeRow, (authority, recall_number))
        if on and row is None:
            self.s.add(ShadowScopeRow(authority=authority, recall_number=recall_number, actor=actor,
                                      reason=reason, created_at=now()))  # fmt: skip
            return True
        if not on and row is not None:
            self.s.execute(
                delete(ShadowScopeRow).where(
                    ShadowScopeRow.authority == authority, ShadowScopeRow.recall_number == recall_number
                )
            )
            return True
        return False

    def with_priority(self) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
        """The shadow scopes and the (authority, number) of every recall marked priority, in one read:
        what the automation policy of a unit of work needs (publish-time screening reads it in every
        call; a round trip less on PostgreSQL).

        >>> from recallguard.store import Store
        >>> with Store("sqlite://").transaction() as uow:
        ...     repo = ShadowRepo(uow.session)
        ...     _ = repo.set("CPSC", "26561", on=True, actor="test")
        ...     repo.with_priority()
        ({('CPSC', '26561')}, set())
        """
        shadow: set[tuple[str, str]] = set()
        priority: set[tuple[str, str]] = set()
        for kind, authority, number in self.s.execute(_POLICY_KEYS):
            (shadow if kind == "shadow" else priority).add((authority, number))
        return shadow, priority

    def details(self) -> list[dict[str, str]]:
        """The stored scopes with who switched them on, when and why."""
        q = select(ShadowScopeRow).order_by(ShadowScopeRow.authority, ShadowScopeRow.recall_number)
        return [
            {"authority": r.authority, "recall_number": r.recall_number, "actor": r.actor, "reason": r.reason,
             "since": (utc(r.created_at) or now()).isoformat()}
            for r in self.s.scalars(q)
        ]  # fmt: skip
