"""``recallguard bank status|rebuild``: the fingerprint bank of removed listings in the store.

``status`` shows what is stored (active and removed entries, photo hashing progress, sellers with
actions, the last change number). ``rebuild`` repairs the bank from the actions table (entries for
actions approved outside the decide path, removals for actions reversed on appeal), loads every
entry into a fresh in-memory bank as a running service would, and — with ``--images`` — hashes the
photos still pending and the recall photos this deployment may fetch (``RECALLGUARD_IMAGE_ROOT``,
``RECALLGUARD_IMAGE_FETCH_HTTP``).

    recallguard bank status --json
    recallguard bank rebuild --images
"""

from __future__ import annotations

import dataclasses
import json
import time

import typer
from rich.console import Console

from recallguard.settings import help_for, load_settings

bank_app = typer.Typer(help="The fingerprint bank of removed listings.", no_args_is_help=True)
err = Console(stderr=True)
out = Console()
DbOpt = typer.Option(None, "--database-url", help=help_for("database_url"), show_default=False)


@bank_app.command("status")
def status(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    database_url: str | None = DbOpt,
) -> None:
    """Stored entries (active, removed), photo hashing, sellers with actions, last change number."""
    from recallguard.store import Store
    from recallguard.store.bank_repos import BankRepo

    settings = load_settings(database_url=database_url)
    with Store(settings.database_url) as store, store.transaction() as uow:
        counts = dataclasses.asdict(BankRepo(uow.session).counts())
    if as_json:
        print(json.dumps(counts, sort_keys=True))
        return
    for k in ("active", "removed", "sellers", "last_seq"):
        out.print(f"{k:<16} {counts[k]:>10,}")
    for state, n in sorted(counts["images"].items()):
        out.print(f"{'images ' + state:<16} {n:>10,}")


@bank_app.command("rebuild")
def rebuild(
    images: bool = typer.Option(False, "--images/--no-images", help="Also hash pending and recall photos."),
    database_url: str | None = DbOpt,
) -> None:
    """Repair the bank from the actions, load it as a service would, and report."""
    from recallguard.service.bank import BankService
    from recallguard.store import Store

    settings = load_settings(database_url=database_url)
    with Store(settings.database_url) as store:
        svc = BankService(store, background=False)
        try:
            t0 = time.perf_counter()
            report = svc.rebuild()
            report["seconds"] = round(time.perf_counter() - t0, 3)
            if images:
                done = 0
                while n := svc.process_images():
                    done += n
                report["entry_images_hashed"] = done
                report["recall_images_hashed"] = svc.hash_recall_images()
            report.update(svc.status())
        finally:
            svc.stop()
    err.print(
        f"bank: {report['entries']} entries loaded in {report['seconds']}s (last change {report['seq']}); "
        f"repaired {report['repaired_added']} added, {report['repaired_removed']} removed"
    )
    print(json.dumps(report, sort_keys=True))


def register(app: typer.Typer) -> None:
    """Attach ``recallguard bank`` to the root CLI."""
    app.add_typer(bank_app, name="bank")
