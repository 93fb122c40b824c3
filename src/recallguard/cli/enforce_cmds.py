"""Enforcement commands: ``serve``, ``token create|list|revoke``, ``user create``, ``audit export|verify|
public-key``, ``sla check``.

recallguard serve --host 127.0.0.1 --port 8000
recallguard token create --role marketplace          # the token alone on the last line
recallguard audit export --out audit.jsonl
recallguard audit verify --file audit.jsonl --public-key audit_pub.pem   # no database needed
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console

from recallguard.errors import UsageError
from recallguard.settings import help_for

err = Console(stderr=True)
DbOpt = typer.Option(None, "--database-url", help=help_for("database_url"), show_default=False)

token_app = typer.Typer(help="API tokens for machines and people.", no_args_is_help=True)
user_app = typer.Typer(help="Users who log in to the pages.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
sla_app = typer.Typer(help="Service-level deadlines.", no_args_is_help=True)


def _enforcer(database_url: str | None):  # type: ignore[no-untyped-def]
    from recallguard.api.config import load_service_settings
    from recallguard.api.runtime import Enforcer

    return Enforcer(load_service_settings(database_url=database_url))


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(1, "--workers", min=1, help="Server processes."),
    database_url: str | None = DbOpt,
) -> None:
    """Run the REST API (OpenAPI at /docs and /openapi.json) with uvicorn."""
    import os

    import uvicorn

    from recallguard.scale.bulk_gc import tune_malloc

    tune_malloc()  # before uvicorn starts threads (and worker processes, which inherit it)
    if database_url:
        os.environ["RECALLGUARD_DATABASE_URL"] = database_url
    os.environ.setdefault("RECALLGUARD_WARM_SCREENER", "1")  # a server screens soon after it starts
    from recallguard.api.config import load_service_settings

    cfg = load_service_settings()
    cfg.check_production()
    err.print(
        f"recallguard serve: {'production' if cfg.production else 'development'} mode on http://{host}:{port}"
    )
    uvicorn.run(
        "recallguard.api.app:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


@token_app.command("create")
def token_create(
    role: str = typer.Option(..., "--role", help="admin, reviewer, marketplace, regulator or seller."),
    authority: str | None = typer.Option(None, "--authority", help="The regulator's authority (CPSC, ...)."),
    seller: str | None = typer.Option(None, "--seller", help="The seller id of a seller token."),
    label: str = typer.Option("", "--label", help="What the token is for."),
    ttl_days: float | None = typer.Option(None, "--ttl-days", min=0.001, help="Expiry (default 365 days)."),
    database_url: str | None = DbOpt,
) -> None:
    """Create an API token; prints its details, then the token alone on the last line."""
    from recallguard.enforcement.auth import Role

    try:
        r = Role(role.lower())
    except ValueError:
        raise UsageError(f"unknown role {role!r}: use one of {', '.join(x.value for x in Role)}") from None
    enf = _enforcer(database_url)
    try:
        secret, rec = enf.create_token(
            r, authority=authority, seller_id=seller, label=label, ttl_days=ttl_days
        )
    finally:
        enf.close()
    scope = (
        f" authority={rec.authority}"
        if rec.authority
        else f" seller={rec.seller_id}"
        if rec.seller_id
        else ""
    )
    exp = rec.expires_at.isoformat() if rec.expires_at else "never"
    typer.echo(f"token {rec.token_id} role={rec.role.value}{scope} expires={exp}")
    typer.echo(secret)


@token_app.command("list")
def token_list(database_url: str | None = DbOpt) -> None:
    """Tokens and sessions (never their secrets)."""
    from recallguard.store.enforcement_tables import EnforcementRepo

    enf = _enforcer(database_url)
    with enf.store.transaction() as uow:
        for t in EnforcementRepo(uow.session).tokens():
            state = "revoked" if t.revoked_at else "live"
            scope = t.authority or t.seller_id or "-"
            typer.echo(f"{t.token_id}\t{t.kind}\t{t.role.value}\t{scope}\t{state}\t{t.label}")
    enf.close()


@token_app.command("revoke")
def token_revoke(token_id: str = typer.Argument(...), database_url: str | None = DbOpt) -> None:
    """Revoke a token or session (servers stop accepting it within RECALLGUARD_TOKEN_CACHE_S)."""
    enf = _enforcer(database_url)
    try:
        enf.revoke_token(token_id, "cli")
    finally:
        enf.close()
    typer.echo(f"revoked {token_id}")


@user_app.command("create")
def user_create(
    username: str = typer.Option(..., "--username"),
    role: str = typer.Option(..., "--role"),
    authority: str | None = typer.Option(None, "--authority"),
    seller: str | None = typer.Option(None, "--seller"),
    password: str | None = typer.Option(None, "--password", help="Default: read from stdin (one line)."),
    database_url: str | None = DbOpt,
) -> None:
    """Create a user who logs in with a password (argon2-hashed)."""
    from recallguard.enforcement.auth import Role, hash_password, validate_scope
    from recallguard.errors import ConflictError
    from recallguard.store.enforcement_tables import EnforcementRepo

    r = Role(role.lower())
    validate_scope(r, authority, seller)
    pw = password if password is not None else sys.stdin.readline().rstrip("\n")
    h = hash_password(pw)
    enf = _enforcer(database_url)
    try:
        with enf.store.transaction() as uow:
            repo = EnforcementRepo(uow.session)
            if repo.user(username) is not None:
                raise ConflictError(f"user {username} exists")
            repo.add_user(username, h, r, authority.upper() if authority else None, seller)
            uow.audit.append(
                "user.created", f"user:{username}", "cli", "", {"role": r.value, "authority": authority}
            )
    finally:
        enf.close()
    typer.echo(f"user {username} role={r.value}")


@audit_app.command("export")
def audit_export(
    out: Path = typer.Option(..., "--out", help="JSON-lines file to write."),
    public_key: Path | None = typer.Option(
        None, "--public-key", help="Also write the public key (PEM) here."
    ),
    database_url: str | None = DbOpt,
) -> None:
    """Write the audit log as JSON lines (each event with hash, prev_hash, any signature; head signed)."""
    enf = _enforcer(database_url)
    n = 0
    try:
        tmp = out.with_name(out.name + ".part")
        with tmp.open("w", encoding="utf-8") as f:
            for line in enf.export():
                f.write(line + "\n")
                n += 1
        tmp.replace(out)
        if public_key is not None:
            public_key.write_bytes(enf.key.public_pem())
    finally:
        enf.close()
    err.print(f"audit export: {n} events to {out} (key {enf.key.key_id})")


@audit_app.command("verify")
def audit_verify(
    file: Path | None = typer.Option(None, "--file", help="An exported file (no database needed)."),
    public_key: Path | None = typer.Option(
        None, "--public-key", help="PEM public key (default: this setup's)."
    ),
    database_url: str | None = DbOpt,
) -> None:
    """Exit 0 when the log is intact; 1 naming the first bad event otherwise."""
    from recallguard.enforcement.audit_log import AuditKey, load_public_key, verify_file

    if file is not None:
        if public_key is not None:
            key = load_public_key(public_key)
        else:
            from recallguard.api.config import load_service_settings

            cfg = load_service_settings()
            key = AuditKey.load(cfg.audit_key_path(), create=False).public_key
        rep = verify_file(file, key)
    else:
        enf = _enforcer(database_url)
        try:
            rep = enf.verify_stored()
        finally:
            enf.close()
    typer.echo(rep.message())
    if not rep.ok:
        raise typer.Exit(1)


@audit_app.command("public-key")
def audit_public_key(out: Path | None = typer.Option(None, "--out")) -> None:
    """Print (or write) the public key regulators verify signatures with."""
    from recallguard.api.config import load_service_settings
    from recallguard.enforcement.audit_log import AuditKey

    cfg = load_service_settings()
    pem = AuditKey.load(cfg.audit_key_path(), create=not cfg.production).public_pem()
    if out:
        out.write_bytes(pem)
    else:
        typer.echo(pem.decode().rstrip())


@sla_app.command("check")
def sla_check(
    notify: bool = typer.Option(
        True, "--notify/--no-notify", help="Deliver new escalations (SMTP, webhook)."
    ),
    database_url: str | None = DbOpt,
) -> None:
    """Evaluate every SLA clock; record and deliver new warnings and breaches. Exit 1 when any is breached."""
    from recallguard.api.sla_timer import check_sla
    from recallguard.enforcement.sla import SlaState

    enf = _enforcer(database_url)
    try:
        run = check_sla(enf, notify=notify)
    finally:
        enf.close()
    typer.echo(run.summary())
    for name, p in run.problems.items():
        err.print(f"[red]delivery via {name} failed:[/red] {p}")
    if run.count(SlaState.BREACHED):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Attach ``serve``, ``token``, ``user``, ``audit`` and ``sla``."""
    app.command("serve")(serve)
    app.add_typer(token_app, name="token")
    app.add_typer(user_app, name="user")
    app.add_typer(audit_app, name="audit")
    app.add_typer(sla_app, name="sla")
