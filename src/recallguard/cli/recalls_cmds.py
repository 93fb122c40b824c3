"""More ``recallguard recalls`` commands on the shared store: ``withdraw``, ``priority``, ``list`` and
``groups`` (one product recalled by several authorities). All take ``--database-url``.

Exit codes: 0 done, 1 a priority list was refused (unknown recall numbers, a bad file row), 2 usage
errors (no such recall, no reason, unreadable file).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from recallguard.cli.store_cmds import DbOpt, _open, err, recalls_app


def recalls_withdraw(
    authority: str = typer.Argument(..., help="Authority code, e.g. CPSC, SAFETYGATE, HC."),
    number: str = typer.Argument(..., help="The authority's recall number."),
    reason: str = typer.Option(..., "--reason", help="Why (goes into the audit log)."),
    database_url: str | None = DbOpt,
) -> None:
    """Withdraw a recall: lift exactly the restrictions it caused, keep those other recalls need."""
    from recallguard.service.withdraw import withdraw_recall

    store, settings = _open(database_url)
    with store:
        r = withdraw_recall(store, authority, number, reason, actor=settings.actor)
    if not r.withdrawn_now:
        err.print(f"{r.recall} was already withdrawn: nothing changed")
        return
    err.print(
        f"{r.recall} withdrawn: {r.matches_withdrawn} matches and {r.actions_withdrawn} actions withdrawn "
        f"on {len(r.listings)} listings"
    )
    if r.still_restricted:
        err.print(f"{len(r.still_restricted)} of them stay restricted by other recalls or rules:")
        for lid, keys in list(r.still_restricted.items())[:20]:
            err.print(f"  {lid}: {', '.join(keys)}")
    if r.counts.actions_created:
        err.print(f"{r.counts.actions_created} restrictions other recalls need were added")


def recalls_priority(
    numbers: list[str] = typer.Argument(None, help="Recall numbers of the authority's priority list."),
    authority: str | None = typer.Option(None, "--authority", help="Authority code, e.g. CPSC."),
    file: Path | None = typer.Option(
        None, "--file", help="CSV with recall_number (and authority, unless --authority) columns."
    ),
    strict: bool = typer.Option(False, "--strict", help="Refuse a list outside 5-15 recalls."),
    database_url: str | None = DbOpt,
) -> None:
    """Set an authority's priority list (replaces its previous one): tighter thresholds and SLAs."""
    from recallguard.errors import UsageError
    from recallguard.service.priority import read_priority_file, set_priority

    lists: dict[str, list[str]] = {}
    if file is not None:
        lists = read_priority_file(file, authority)
    if numbers:
        if not authority:
            raise UsageError("recall numbers need --authority (e.g. --authority CPSC 26528 26530)")
        lists.setdefault(authority.strip().upper(), []).extend(numbers)
    if not lists:
        raise UsageError("give recall numbers with --authority, or --file CSV")
    store, settings = _open(database_url)
    with store:
        for code, nums in lists.items():
            r = set_priority(store, code, nums, actor=settings.actor, strict_size=strict)
            for w in r.warnings:
                err.print(f"[yellow]warning:[/yellow] {w}")
            err.print(
                f"{code}: {len(r.numbers)} priority recalls ({len(r.marked)} newly marked, "
                f"{len(r.unmarked)} unmarked); {r.rescreened} stored listings screened again; matches: "
                f"{r.counts.created} new, {r.counts.updated} changed, {r.counts.withdrawn} withdrawn; "
                f"actions: {r.counts.actions_created} new, {r.counts.actions_withdrawn} withdrawn"
            )


def recalls_list(
    priority: bool = typer.Option(False, "--priority", help="Only recalls marked priority."),
    authority: str | None = typer.Option(None, "--authority", help="Only this authority's recalls."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array."),
    database_url: str | None = DbOpt,
) -> None:
    """The stored recalls: authority, number, status, priority, date and title."""
    store, _ = _open(database_url, bank="never")
    with store, store.transaction() as uow:
        recalls = [
            r
            for r in uow.recalls.list()
            if (not priority or r.priority) and (not authority or r.authority == authority.upper())
        ]
    rows = [
        {
            "authority": r.authority,
            "recall_number": r.recall_number,
            "status": r.status.value,
            "priority": r.priority,
            "date": r.recall_date.date().isoformat() if r.recall_date else "",
            "title": r.title,
        }
        for r in recalls
    ]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        flag = "P" if row["priority"] else " "
        print(
            f"{flag} {row['authority']:<11} {row['recall_number']:<16} {row['status']:<9} {row['date']:<10} "
            f"{str(row['title'])[:80]}"
        )
    err.print(f"{len(rows)} recalls" + (" (priority)" if priority else ""))


def recalls_groups(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array of product groups."),
    show_all: bool = typer.Option(False, "--all", help="Also products recalled by one authority only."),
    database_url: str | None = DbOpt,
) -> None:
    """Products recalled by several authorities, each shown once with its recalls and why they link."""
    from recallguard.service.groups import product_groups

    store, _ = _open(database_url, bank="never")
    with store:
        groups = product_groups(store, several_only=not show_all)
    if as_json:
        print(json.dumps(groups, ensure_ascii=False))
        return
    for g in groups:
        print(f"{g['product']}  [{', '.join(g['authorities'])}]")
        for r in g["recalls"]:
            flag = "P" if r["priority"] else " "
            print(f"  {flag} {r['recall']:<28} {r['status']:<9} {r['date']:<10} {r['title'][:70]}")
        reasons = sorted({f"{lk['reason']} {lk['detail']}".strip() for lk in g["links"]})
        if reasons:
            print(f"    linked by: {'; '.join(reasons)[:200]}")
    err.print(f"{len(groups)} products" + ("" if show_all else " recalled by several authorities"))


def register(app: typer.Typer) -> None:
    """Attach the commands to the ``recalls`` group (created by ``store_cmds``)."""
    recalls_app.command("withdraw")(recalls_withdraw)
    recalls_app.command("priority")(recalls_priority)
    recalls_app.command("list")(recalls_list)
    recalls_app.command("groups")(recalls_groups)
