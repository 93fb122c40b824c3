"""``recallguard backup --out FILE`` and ``recallguard restore FILE``: the SQLite store copied
consistently while the server writes, restored only over an empty store unless ``--force``, and the
restored audit chain verified (hashes and the signed heads, with this deployment's audit key).

```bash
recallguard backup --out backups/rg-$(date +%F).db
recallguard restore backups/rg-2026-07-01.db --database-url sqlite:///restored.db
```
PostgreSQL: pg_dump/pg_restore (docs/operations.md).
"""

from __future__ import annotations

from pathlib import Path

import typer

from recallguard.settings import help_for, load_settings

DbOpt = typer.Option(None, "--database-url", help=help_for("database_url"), show_default=False)


def register(app: typer.Typer) -> None:
    """Add ``backup`` and ``restore`` to the CLI."""
    app.command("backup")(backup)
    app.command("restore")(restore)


def backup(
    out: Path = typer.Option(..., "--out", help="The backup file to write (a SQLite database)."),
    force: bool = typer.Option(False, "--force", help="Overwrite OUT when it exists."),
    database_url: str | None = DbOpt,
) -> None:
    """Copy the SQLite store to OUT, consistent while the server keeps writing."""
    from recallguard.service.backup import backup_sqlite

    url = load_settings(database_url=database_url).database_url
    rep = backup_sqlite(url, out, force=force)
    typer.echo(f"backup: {rep.path} ({rep.bytes} bytes, {rep.audit_events} audit events)")


def restore(
    file: Path = typer.Argument(..., help="A backup written by `recallguard backup`."),
    force: bool = typer.Option(False, "--force", help="Replace a store that already holds data."),
    database_url: str | None = DbOpt,
) -> None:
    """Restore FILE into the store and verify its audit chain; exit 1 when the chain does not verify.
    Stop the server first: it keeps the old store's state in memory."""
    from recallguard.api.config import load_service_settings
    from recallguard.api.runtime import Enforcer
    from recallguard.service.backup import restore_sqlite

    url = load_settings(database_url=database_url).database_url
    rep = restore_sqlite(file, url, force=force)
    typer.echo(f"restore: {file} -> {rep.path} ({rep.audit_events} audit events)")
    if not rep.chain_ok:
        typer.echo(f"audit chain: TAMPERED at event seq {rep.first_bad_seq}", err=True)
        raise typer.Exit(1)
    enf = Enforcer(load_service_settings(database_url=url))  # the signed heads, with this deployment's key
    try:
        verified = enf.verify_stored()
    finally:
        enf.close()
        enf.store.close()
    typer.echo(f"audit chain: {verified.message()}")
    if not verified.ok:
        raise typer.Exit(1)
