"""``recallguard shadow on|off|list|report``: shadow mode per authority or recall, and the evidence to
switch automation on.

    recallguard shadow on --authority CPSC --reason "trial before go-live"
    recallguard shadow on --authority SAFETYGATE --recall A12/00123/26
    recallguard shadow report --authority CPSC --json      # would-block / would-review, listings, per recall
    recallguard shadow off --authority CPSC                # enforce the recorded decisions now
    recallguard shadow off --authority CPSC --enforce rescan && recallguard scan   # … or by a rescan
"""

from __future__ import annotations

import dataclasses
import json

import typer
from rich.console import Console

from recallguard.settings import help_for, load_settings

shadow_app = typer.Typer(
    help="Shadow mode: decisions recorded, nothing enforced; report what would have been done.",
    no_args_is_help=True,
)
err = Console(stderr=True)
out = Console()
DbOpt = typer.Option(None, "--database-url", help=help_for("database_url"), show_default=False)
AuthOpt = typer.Option(..., "--authority", help="Authority code (CPSC, SAFETYGATE, HEALTHCANADA…).")
RecallOpt = typer.Option(None, "--recall", help="One recall number of the authority (default: all).")


def _store(database_url: str | None):  # type: ignore[no-untyped-def]
    from recallguard.store import Store

    settings = load_settings(database_url=database_url)
    return Store(settings.database_url, echo=settings.sql_echo), settings


def _switch(on: bool, authority: str, recall: str | None, reason: str, enforce: str, db: str | None) -> None:
    from recallguard.service.shadow import set_shadow

    store, settings = _store(db)
    try:
        ch = set_shadow(store, authority, recall, on=on, actor=settings.actor, reason=reason, enforce=enforce)
    finally:
        store.close()
    scope = ch.authority + (f" recall {ch.recall_number}" if ch.recall_number else " (every recall)")
    if not ch.changed:
        err.print(f"shadow mode was already {'on' if on else 'off'} for {scope}")
    else:
        err.print(f"shadow mode {'on' if on else 'off'} for {scope}")
    if not on and enforce == "direct":
        c = ch.counts
        err.print(
            f"enforced {ch.decisions} recorded decisions: {c.actions_created} actions created, "
            f"{c.actions_reinstated} reinstated, {c.actions_withdrawn} withdrawn"
        )
    elif not on and enforce == "rescan":
        err.print(f"{ch.listings_marked} listings marked for screening: run `recallguard scan` to enforce")
    print(json.dumps(dataclasses.asdict(ch), default=str))


@shadow_app.command("on")
def shadow_on(
    authority: str = AuthOpt,
    recall: str | None = RecallOpt,
    reason: str = typer.Option("", "--reason", help="Why (kept in the audit log)."),
    database_url: str | None = DbOpt,
) -> None:
    """Record decisions of this authority (or recall) without enforcing them."""
    _switch(True, authority, recall, reason, "none", database_url)


@shadow_app.command("off")
def shadow_off(
    authority: str = AuthOpt,
    recall: str | None = RecallOpt,
    reason: str = typer.Option("", "--reason", help="Why (kept in the audit log)."),
    enforce: str = typer.Option(
        "direct",
        "--enforce",
        help="direct: act on the recorded decisions now; rescan: at the next scan; none.",
    ),
    database_url: str | None = DbOpt,
) -> None:
    """Enforce again; the decisions recorded in shadow mode are enforced (directly or by a rescan)."""
    _switch(False, authority, recall, reason, enforce, database_url)


@shadow_app.command("list")
def shadow_list(database_url: str | None = DbOpt) -> None:
    """Scopes in shadow mode (stored, and set by RECALLGUARD_SHADOW_AUTHORITIES), as JSON lines."""
    from recallguard.service.shadow import shadow_scopes

    store, _ = _store(database_url)
    try:
        for scope in shadow_scopes(store):
            print(json.dumps(scope))
    finally:
        store.close()


@shadow_app.command("report")
def shadow_report_cmd(
    authority: str | None = typer.Option(None, "--authority", help="Only this authority."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    database_url: str | None = DbOpt,
) -> None:
    """What enforcement would have done: would-block / would-review decisions and listings, per recall."""
    from recallguard.service.shadow import shadow_report

    store, _ = _store(database_url)
    try:
        rep = shadow_report(store, authority)
    finally:
        store.close()
    if as_json:
        print(json.dumps(rep, default=str))
        return
    t = rep["totals"]
    out.print(
        f"shadow mode would have blocked {t['would_block']} and sent {t['would_review']} to review, "
        f"{t['listings']} listings ({t['already_enforced']} already restricted by earlier actions)"
    )
    for r in rep["recalls"]:
        th = "; ".join(f"block {x['block']} review {x['review']} ({x['basis']})" for x in r["thresholds"])
        models = ", ".join(r["model_versions"])
        out.print(
            f"  {r['authority']} {r['recall_number']}: would {r['would']} {r['would_block']}, "
            f"review {r['would_review']}, {r['listings']} listings; model {models}; {th}"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(shadow_app, name="shadow")
