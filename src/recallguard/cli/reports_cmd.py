"""Report and buyer commands: ``report compliance|statements``, ``buyers import|list|purge``.

recallguard report compliance --authority CPSC --out report.pdf        # .pdf or .html by the suffix
recallguard report statements --format csv --authority SAFETYGATE --since 2026-01-01 --out sor.csv
recallguard buyers import orders.csv        # 0: all loaded, 1: bad rows quarantined, 2: unreadable
recallguard buyers list --recall 26561 --months 6 --out buyers.csv
recallguard buyers purge                    # delete buyer data past RECALLGUARD_BUYER_RETENTION_DAYS
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from recallguard.errors import InputError, UsageError
from recallguard.settings import help_for

err = Console(stderr=True)
DbOpt = typer.Option(None, "--database-url", help=help_for("database_url"), show_default=False)

report_app = typer.Typer(
    help="Reports for regulators: compliance report, DSA statements.", no_args_is_help=True
)
buyers_app = typer.Typer(
    help="Buyers of recalled products, for the marketplace to notify.", no_args_is_help=True
)


def _enforcer(database_url: str | None) -> Any:
    from recallguard.api.config import load_service_settings
    from recallguard.api.runtime import Enforcer

    return Enforcer(load_service_settings(database_url=database_url))


def _write(out: Path | None, data: str | bytes) -> None:
    if out is None:
        if isinstance(data, bytes):
            raise UsageError("a PDF needs --out FILE")
        typer.echo(data, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        out.write_bytes(data)
    else:
        out.write_text(data, encoding="utf-8")


@report_app.command("compliance")
def compliance(
    authority: str = typer.Option(..., "--authority", help="CPSC, SAFETYGATE or HC."),
    out: Path = typer.Option(..., "--out", help="report.pdf or report.html (format by the suffix)."),
    recall: str | None = typer.Option(None, "--recall", help="Only this recall number."),
    database_url: str | None = DbOpt,
) -> None:
    """The compliance report of an authority: recalls, listings found / restricted / in review /
    re-listings, time to action, SLA status and the audit-log verification."""
    from recallguard.service.reports import AuditCheck, compliance_report, render_html

    suffix = out.suffix.lower()
    if suffix not in (".pdf", ".html", ".htm"):
        raise UsageError(f"--out {out}: use a .pdf or .html file name")
    enf = _enforcer(database_url)
    try:
        enf.sign_if_due(force=True)  # the head is signed first (as at export), so every event is covered
        rep = enf.verify_stored()
        check = AuditCheck(rep.ok, rep.events, rep.signatures, rep.message(), enf.key.key_id)
        report = compliance_report(enf.store, authority, verification=check, recall=recall)
    finally:
        enf.close()
    if suffix == ".pdf":
        from recallguard.service.report_pdf import render_pdf

        _write(out, render_pdf(report))
    else:
        _write(out, render_html(report))
    t = report.totals
    err.print(
        f"{out}: {len(report.recalls)} recalls, {t.found} listings found, {t.restricted} restricted, "
        f"SLA {t.sla_met} met / {t.sla_breached} breached / {t.sla_open} open; audit log: {check.message}"
    )


@report_app.command("statements")
def statements_cmd(
    fmt: str = typer.Option("json", "--format", help="json or csv."),
    out: Path | None = typer.Option(None, "--out", help="Output file (default: standard output)."),
    authority: str | None = typer.Option(None, "--authority", help="Only this authority's actions."),
    since: str | None = typer.Option(None, "--since", help="Applied on or after this date (YYYY-MM-DD)."),
    database_url: str | None = DbOpt,
) -> None:
    """DSA statements of reasons, one per action, with the EU Transparency Database fields."""
    from recallguard.service.statements import parse_since, statements, to_csv, to_json

    if fmt not in ("json", "csv"):
        raise UsageError(f"--format {fmt}: use json or csv")
    enf = _enforcer(database_url)
    try:
        items = statements(enf.store, authority, parse_since(since))
    finally:
        enf.close()
    _write(out, to_json(items) if fmt == "json" else to_csv(items))
    err.print(f"{len(items)} statements of reasons")


@buyers_app.command("import")
def buyers_import(
    file: Path = typer.Argument(..., help="CSV: listing_id, order_date, buyer_country, buyer_ref."),
    database_url: str | None = DbOpt,
) -> None:
    """Import orders; bad rows are named (line, field) and quarantined, the rest load (exit 1 if any)."""
    from recallguard.service.buyers import import_orders

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{file}: cannot read ({e})") from None
    enf = _enforcer(database_url)
    try:
        s = enf.settings
        res = import_orders(
            enf.store, text, source=file.name, actor=s.actor, retention_days=s.buyer_retention_days
        )
    finally:
        enf.close()
    for b in res.bad:
        err.print(f"[yellow]bad row[/yellow] {b}")
    err.print(res.summary())
    if res.bad:
        raise typer.Exit(1)


@buyers_app.command("list")
def buyers_list(
    recall: str = typer.Option(..., "--recall", help="The recall number."),
    authority: str | None = typer.Option(None, "--authority", help="Needed when two authorities share it."),
    months: int = typer.Option(6, "--months", min=1, max=120, help="Orders of the last N months."),
    out: Path | None = typer.Option(None, "--out", help="CSV file (default: standard output)."),
    database_url: str | None = DbOpt,
) -> None:
    """Buyers in the authority's countries who ordered a listing actioned for the recall."""
    from recallguard.service.buyers import buyers_of_recall, lines_csv

    enf = _enforcer(database_url)
    try:
        lines = buyers_of_recall(
            enf.store, recall, authority=authority, months=months, actor=enf.settings.actor
        )
    finally:
        enf.close()
    _write(out, lines_csv(lines))
    err.print(f"{len(lines)} buyers to notify for recall {recall} (last {months} months)")


@buyers_app.command("purge")
def buyers_purge(database_url: str | None = DbOpt) -> None:
    """Delete buyer orders past the retention period (an audit event records how many)."""
    from recallguard.service.buyers import purge_expired

    enf = _enforcer(database_url)
    try:
        s = enf.settings
        n = purge_expired(enf.store, retention_days=s.buyer_retention_days, actor=s.actor)
    finally:
        enf.close()
    err.print(f"{n} buyer orders older than {enf.settings.buyer_retention_days} days deleted")


def register(app: typer.Typer) -> None:
    """Attach ``report`` and ``buyers``."""
    app.add_typer(report_app, name="report")
    app.add_typer(buyers_app, name="buyers")
