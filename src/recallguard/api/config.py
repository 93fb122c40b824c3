"""The service's settings: the store's ``Settings`` plus what enforcement needs (mode, keys, secrets,
the marketplace webhook, SMTP), read from the same ``RECALLGUARD_*`` environment.

Development mode (the default, no environment configured): secrets are generated on first use and
kept under ``RECALLGUARD_DATA_DIR`` (mode 0600). Production mode (``RECALLGUARD_ENV=production``)
refuses to start with a missing, generated or default secret.

>>> s = ServiceSettings(database_url="sqlite://", data_dir="/tmp/rg-doc")
>>> s.production, s.audit_key_path().name
(False, 'audit_ed25519.pem')
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from pydantic import Field

from recallguard.errors import ConfigurationError
from recallguard.settings import Settings

DEFAULT_SECRETS = frozenset({"", "changeme", "change-me", "secret", "dev", "development", "test"})


class ServiceSettings(Settings):
    """Settings of ``recallguard serve`` and the enforcement commands."""

    env: str = Field(default="development", description="development (default) or production.")
    data_dir: str = Field(
        default=".recallguard", description="Where development mode keeps generated secrets."
    )
    audit_key_file: str | None = Field(
        default=None,
        description="Ed25519 private key (PEM) signing the audit chain head. Generated in development.",
    )
    audit_sign_every: int = Field(default=100, ge=1, description="Sign the audit chain head every N events.")
    webhook_url: str | None = Field(
        default=None, description="Marketplace endpoint that receives approved actions."
    )
    webhook_secret: str | None = Field(
        default=None, description="HMAC-SHA256 secret of outbound webhooks. Generated in development."
    )
    webhook_max_attempts: int = Field(
        default=6, ge=1, le=50, description="Delivery attempts before dead-letter."
    )
    webhook_timeout_s: float = Field(default=5.0, gt=0, description="Timeout of one webhook attempt.")
    delivery_lease_s: float = Field(
        default=60.0,
        gt=0,
        description="How long a delivery worker holds a claimed webhook delivery; a crashed worker's claims "
        "are retried after it.",
    )
    delivery_poll_s: float = Field(
        default=1.0, gt=0, description="How often the delivery worker (server loop, `deliver`) polls."
    )
    token_cache_s: float = Field(default=5.0, ge=0, description="How long an API token check is cached.")
    gate_refresh_s: float = Field(
        default=2.0,
        gt=0,
        description="How often the gate picks up other processes' actions, and the server's screener "
        "their recall changes (rebuilt in the background: requests keep the old one meanwhile).",
    )
    warm_screener: bool = Field(
        default=False,
        description="Build the screener at start-up, in the background (`recallguard serve` turns it on), so "
        "the first publish-time screening does not wait seconds for it.",
    )
    sla_check_s: float = Field(
        default=60.0, ge=0, description="How often the server checks SLA clocks (0: never)."
    )
    smtp_host: str | None = Field(default=None, description="SMTP server for SLA e-mails.")
    smtp_port: int = Field(default=25, description="SMTP port.")
    smtp_sender: str = Field(default="recallguard@localhost", description="From address of SLA e-mails.")
    notify_emails: str = Field(default="", description="Comma-separated recipients of SLA escalations.")
    notify_webhook_url: str | None = Field(default=None, description="Endpoint receiving SLA escalations.")

    @property
    def production(self) -> bool:
        return self.env.strip().lower() == "production"

    def audit_key_path(self) -> Path:
        return Path(self.audit_key_file) if self.audit_key_file else Path(self.data_dir) / "audit_ed25519.pem"

    def email_recipients(self) -> list[str]:
        return [a.strip() for a in self.notify_emails.split(",") if a.strip()]

    def resolved_webhook_secret(self) -> str:
        """The webhook secret; in development a generated one kept in ``data_dir``."""
        if self.webhook_secret:
            return self.webhook_secret
        if self.production:
            raise ConfigurationError("production mode needs RECALLGUARD_WEBHOOK_SECRET")
        return _dev_secret(Path(self.data_dir) / "webhook_secret")

    def check_production(self) -> None:
        """Refuse production mode with default or generated secrets (ConfigurationError naming them)."""
        if not self.production:
            return
        problems = []
        if not self.audit_key_file:
            problems.append("RECALLGUARD_AUDIT_KEY_FILE is not set (development would generate a key)")
        elif not Path(self.audit_key_file).exists():
            problems.append(f"RECALLGUARD_AUDIT_KEY_FILE {self.audit_key_file} does not exist")
        if self.webhook_url and (self.webhook_secret or "").strip().lower() in DEFAULT_SECRETS:
            problems.append("RECALLGUARD_WEBHOOK_SECRET is missing or a default value")
        if self.webhook_secret and len(self.webhook_secret) < 16:
            problems.append("RECALLGUARD_WEBHOOK_SECRET is shorter than 16 characters")
        if problems:
            raise ConfigurationError("production mode refuses to start: " + "; ".join(problems))


def _dev_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value)
    return value


def load_service_settings(**overrides: Any) -> ServiceSettings:
    """Service settings from the environment with explicit (non-None) values taking precedence.

    >>> load_service_settings(env="production").production
    True
    """
    return ServiceSettings(**{k: v for k, v in overrides.items() if v is not None})
