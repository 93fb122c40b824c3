"""Shadow mode and delisting by policy on the real store (SQLite and PostgreSQL): decisions recorded with
the model version and thresholds that made them, nothing enforced in shadow, the report a platform
needs to switch automation on, and switching it on (directly or by a rescan)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from recallguard.domain.models import ActionKind, ActionState, DecisionKind, Listing, Match
from recallguard.enforcement.gate import SaleGate
from recallguard.service.decide import reconcile
from recallguard.service.importers import import_listings, import_recalls
from recallguard.service.outbox import pending_count
from recallguard.service.scan import scan
from recallguard.service.shadow import set_shadow, shadow_report
from recallguard.store import Store
from recallguard.store.enforcement_tables import EnforcementRepo
from recallguard.store.tables import MatchRow
from tests.service.helpers import LISTINGS, RECALLS, decisions, rule_screener


def _gate(store: Store) -> SaleGate:
    with store.transaction() as uow:
        return SaleGate.build(EnforcementRepo(uow.session).all_actions())


def _load(store: Store) -> None:
    assert import_recalls(store, RECALLS, factory=rule_screener).exit_code == 0
    assert import_listings(store, LISTINGS, factory=rule_screener).exit_code == 0
    scan(store, batch_size=7, factory=rule_screener)


def _blocks(store: Store) -> set[tuple[str, str]]:
    return {k for k, v in decisions(store).items() if v == "block"}


def test_shadow_mode_records_decisions_and_enforces_nothing(store: Store) -> None:
    set_shadow(store, "CPSC", on=True, actor="admin", reason="trial before go-live")
    _load(store)
    blocks = _blocks(store)
    assert ("L-001", "26528") in blocks  # the matcher decided as usual …
    assert store.counts()["actions"] == 0 and pending_count(store) == 0  # … nothing approved or sent
    assert _gate(store).check("L-001", "US").allowed  # the gate is unchanged
    with store.transaction() as uow:
        rows = list(uow.session.scalars(select(MatchRow).where(MatchRow.state == "active")))
        events = [e for e in uow.audit.list(0, 10_000) if e.kind == "decision.shadow"]
    assert rows and all(r.shadow for r in rows)
    assert all(r.model_version and r.block_threshold == 0.9 and r.review_threshold == 0.3 for r in rows)
    assert {e.data["would"] for e in events} >= {"restrict"} and all("shadow" in e.reason for e in events)
    assert all(e.data["model_version"] and e.data["block_threshold"] for e in events)

    rep = shadow_report(store, "CPSC")
    assert rep["totals"]["would_block"] == len(blocks)
    assert rep["totals"]["listings"] == len({lid for lid, _ in decisions(store)})
    per = {r["recall_number"]: r for r in rep["recalls"]}
    assert per["26528"]["would"] == "restrict" and per["26528"]["would_block"] >= 1
    assert per["26528"]["thresholds"][0]["block"] == 0.9 and per["26528"]["model_versions"] == ["rules-1"]


def test_switching_shadow_off_enforces_the_recorded_decisions_directly(store: Store) -> None:
    set_shadow(store, "CPSC", on=True, actor="admin")
    _load(store)
    blocks = _blocks(store)
    change = set_shadow(store, "CPSC", on=False, actor="admin", reason="evidence reviewed")
    assert change.counts.actions_created == len(blocks)
    with store.transaction() as uow:
        actions = uow.actions.list()
    assert {(a.listing_id, a.recall_number) for a in actions} == blocks
    assert all(a.state == ActionState.APPROVED and a.countries == ["US"] for a in actions)
    assert pending_count(store) == len(blocks)  # queued for the marketplace with the approvals
    assert not _gate(store).check("L-001", "US").allowed
    assert shadow_report(store)["totals"]["would_block"] == 0
    assert scan(store, factory=rule_screener).screened == 0  # nothing left to do: no duplicate work


def test_switching_shadow_off_by_a_rescan(store: Store) -> None:
    set_shadow(store, "CPSC", on=True, actor="admin")
    _load(store)
    blocks = _blocks(store)
    change = set_shadow(store, "CPSC", on=False, actor="admin", enforce="rescan")
    assert change.listings_marked >= len({lid for lid, _ in blocks}) and store.counts()["actions"] == 0
    scan(store, factory=rule_screener)
    with store.transaction() as uow:
        live = {(a.listing_id, a.recall_number) for a in uow.actions.list(ActionState.APPROVED)}
    assert live == blocks and not _gate(store).check("L-001", "US").allowed


def test_shadow_for_one_recall_leaves_the_others_enforced(store: Store) -> None:
    set_shadow(store, "CPSC", "26528", on=True, actor="admin")
    _load(store)
    with store.transaction() as uow:
        acted = {a.recall_number for a in uow.actions.list()}
    assert "26528" not in acted and acted  # the other recalls' blocks were enforced
    assert _gate(store).check("L-001", "US").allowed  # L-001 matched 26528: shadowed
    assert not _gate(store).check("L-002", "US").allowed
    assert {r["recall_number"] for r in shadow_report(store)["recalls"]} == {"26528"}


def test_shadow_keeps_earlier_enforcement_untouched(store: Store) -> None:
    _load(store)  # enforced
    set_shadow(store, "CPSC", on=True, actor="admin")
    with store.transaction() as uow:  # the listing no longer matches, in shadow: its restriction stays
        old = uow.matches.active_for_listings(["L-001"])["L-001"]
        reconcile(uow, "L-001", [], old, "test")
        kinds = [e.data.get("would") for e in uow.audit.list(0, 10_000) if e.kind == "decision.shadow"]
    assert "withdraw" in kinds and not _gate(store).check("L-001", "US").allowed
    set_shadow(store, "CPSC", on=False, actor="admin")  # enforcing again withdraws what no longer holds
    assert _gate(store).check("L-001", "US").allowed


def test_shadow_by_setting(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECALLGUARD_SHADOW_AUTHORITIES", "cpsc")
    _load(store)
    assert store.counts()["actions"] == 0 and shadow_report(store)["totals"]["would_block"] >= 3
    assert {"authority": "CPSC", "recall_number": "", "source": "setting"} in shadow_report(store)["scopes"]


def test_delist_by_policy_refuses_every_country(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECALLGUARD_DELIST_AUTHORITIES", "CPSC")
    _load(store)
    with store.transaction() as uow:
        actions = uow.actions.list()
    assert actions and all(a.kind == ActionKind.DELIST and a.countries == ["*"] for a in actions)
    gate = _gate(store)
    for country in ("US", "DE", "CN", "BR"):
        assert not gate.check("L-001", country).allowed
    monkeypatch.delenv("RECALLGUARD_DELIST_AUTHORITIES")  # policy back to restricting: re-screened
    with store.transaction() as uow:
        m = uow.matches.active_for_listings(["L-001"])["L-001"]
        counts = reconcile(uow, "L-001", m, m, "test")
        kinds = {(a.kind, a.state) for a in uow.actions.for_match("L-001", "CPSC", m[0].recall_number)}
    assert counts.actions_created == 1 and counts.actions_withdrawn == 1
    assert kinds == {(ActionKind.DELIST, ActionState.WITHDRAWN), (ActionKind.RESTRICT, ActionState.APPROVED)}
    gate = _gate(store)
    assert not gate.check("L-001", "US").allowed and gate.check("L-001", "DE").allowed


def test_actions_record_the_model_and_the_adjusted_thresholds(store: Store) -> None:
    with store.transaction() as uow:
        uow.listings.upsert_many([Listing("L1", "x"), Listing("L2", "y")])
        feats = {"seller_risk": 0.08}
        risky = Match("L1", "26561", "CPSC", 0.84, DecisionKind.BLOCK, "seller history", feats, "lgbm-abc")
        rule = Match(
            "L2", "rule:cpsc-magnet-sets", "CPSC", 0.95, DecisionKind.BLOCK, "magnets", {}, "rules-1"
        )
        reconcile(uow, "L1", [risky], [], "test")
        reconcile(uow, "L2", [rule], [], "test")
    from recallguard.service.automation import action_bases

    with store.transaction() as uow:
        acts = {a.listing_id: a.action_id for a in uow.actions.list()}
        bases = action_bases(uow, acts.values())
    b1, b2 = bases[acts["L1"]], bases[acts["L2"]]
    assert (
        b1["model_version"] == "lgbm-abc" and b1["block_threshold"] == 0.82 and b1["review_threshold"] == 0.22
    )
    assert "seller risk" in b1["threshold_basis"]
    assert b2["model_version"] == "rules-1" and b2["block_threshold"] is not None
    assert b2["threshold_basis"].startswith("rule cpsc-magnet-sets")


def test_shadow_cli_on_report_off(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from recallguard.cli.main import _register, app

    _register()
    url = f"sqlite:///{tmp_path / 'rg.db'}"
    runner = CliRunner()
    r = runner.invoke(app, ["shadow", "on", "--authority", "CPSC", "--database-url", url])
    assert r.exit_code == 0, r.output
    store = Store(url)
    _load(store)
    blocks = _blocks(store)
    r = runner.invoke(app, ["shadow", "report", "--authority", "CPSC", "--json", "--database-url", url])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout.strip().splitlines()[-1])
    assert rep["totals"]["would_block"] == len(blocks) and rep["recalls"]
    r = runner.invoke(app, ["shadow", "off", "--authority", "CPSC", "--database-url", url])
    assert r.exit_code == 0, r.output
    assert store.counts()["actions"] == len(blocks)
    r = runner.invoke(app, ["shadow", "on", "--authority", "NOPE", "--database-url", url])
    assert r.exit_code != 0
    store.close()
