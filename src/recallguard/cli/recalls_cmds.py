"""More ``recallguard recalls`` commands on the shared store: ``withdraw``, ``priority``, ``list`` and
``groups`` (one product recalled by several authorities). All take ``--database-url``.

Exit codes: 0 done, 1 a priority list was refused (unknown recall numbers, a bad file row), 2 usage
errors (no such recall, no reason, unreadable file).
"""

from __future__ import annotations

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


def register(app: typer.Typer) -> None:
    """Attach the commands to the ``recalls`` group (created by ``store_cmds``)."""
    recalls_app.command("withdraw")(recalls_withdraw)
