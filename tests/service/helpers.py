"""Helpers for the service tests: the sample files and a look at what the store holds."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select

from recallguard.domain.models import Target
from recallguard.domain.policy import DecisionPolicy
from recallguard.service.screening import ScreenerLike
from recallguard.store import Store
from recallguard.store.tables import ActionRow, MatchRow

DATA = Path(__file__).with_name("data")
RECALLS = DATA / "cpsc-3.json"
LISTINGS = DATA / "listings.jsonl"


def rule_screener(targets: Sequence[Target], rules: bool = True) -> ScreenerLike:
    """The real Screener with the transparent rule scorer: the decisions these tests assert do not
    move when the learned model is retrained (the CLI tests run the default, learned one)."""
    from recallguard.matching.build import rule_checks
    from recallguard.matching.scorer import RuleScorer
    from recallguard.matching.screen import Screener

    return Screener(list(targets), DecisionPolicy(), rule_checks() if rules else [], scorer=RuleScorer())


def write_recalls(path: Path, edit: dict[str, dict[str, Any]] | None = None) -> Path:
    """The sample recall file, with some records' keys replaced (an amended recall)."""
    records = json.loads(RECALLS.read_text())
    for r in records:
        r.update((edit or {}).get(r["RecallNumber"], {}))
    path.write_text(json.dumps(records))
    return path


def write_listings(path: Path, changes: dict[str, dict[str, Any]] | None = None, extra: str = "") -> Path:
    """The sample listing file with some listings' fields changed and extra raw lines appended."""
    rows = [json.loads(line) for line in LISTINGS.read_text().splitlines()]
    for row in rows:
        row.update((changes or {}).get(row["listing_id"], {}))
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + extra)
    return path


def snapshot(store: Store) -> dict[str, Any]:
    """Every count and the active matches and actions: equal snapshots, nothing changed."""
    with store.transaction() as uow:
        matches = uow.session.execute(
            select(MatchRow.listing_id, MatchRow.recall_number, MatchRow.decision, MatchRow.state)
        ).all()
        actions = uow.session.execute(
            select(ActionRow.listing_id, ActionRow.recall_number, ActionRow.state)
        ).all()
        return {
            **store.counts(),
            "audit": uow.audit.count(),
            "matches_all": sorted(tuple(m) for m in matches),
            "actions_all": sorted(tuple(a) for a in actions),
        }


def decisions(store: Store) -> dict[tuple[str, str], str]:
    """Active matches as {(listing_id, recall_number): decision}."""
    with store.transaction() as uow:
        return {(m.listing_id, m.recall_number): m.decision.value for m in uow.matches.iter_active()}


def live_actions(store: Store) -> dict[tuple[str, str], str]:
    """Actions not withdrawn, as {(listing_id, recall_number): state}."""
    with store.transaction() as uow:
        return {
            (a.listing_id, a.recall_number): a.state.value
            for a in uow.actions.list()
            if a.state.value != "withdrawn"
        }
