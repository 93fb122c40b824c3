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
...     sorted(repo.scopes())
True
[('CPSC', '')]
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import String, Table, Text, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from recallguard.store.convert import now, utc
from recallguard.store.enforcement_tables import TS
from recallguard.store.tables import Base


class ShadowScopeRow(Base):
    """One authority (``recall_number`` = "") or one recall in shadow mode."""

    __tablename__ = "shadow_scopes"

    authority: Mapped[str] = mapped_column(String(32), primary_key=True)
    recall_number: Mapped[str] = mapped_column(String(200), primary_key=True)
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(TS)


_SCOPE_TABLE = cast(Table, ShadowScopeRow.__table__)
_SCOPES = select(_SCOPE_TABLE.c.authority, _SCOPE_TABLE.c.recall_number)  # built once: read per transaction


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

    def scopes(self) -> set[tuple[str, str]]:
        """Every stored (authority, recall number or "") in shadow mode."""
        return {(a, n) for a, n in self.s.execute(_SCOPES)}

    def details(self) -> list[dict[str, str]]:
        """The stored scopes with who switched them on, when and why."""
        q = select(ShadowScopeRow).order_by(ShadowScopeRow.authority, ShadowScopeRow.recall_number)
        return [
            {"authority": r.authority, "recall_number": r.recall_number, "actor": r.actor, "reason": r.reason,
             "since": (utc(r.created_at) or now()).isoformat()}
            for r in self.s.scalars(q)
        ]  # fmt: skip
