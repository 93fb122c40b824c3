"""recallguard's settings: ONE list, read from ``RECALLGUARD_*`` environment variables (or a ``.env``
file), that also drives the CLI options' help and the configuration table in the docs.

>>> s = Settings(database_url="sqlite:///x.db")
>>> s.database_url
'sqlite:///x.db'
>>> env_name("database_url")
'RECALLGUARD_DATABASE_URL'
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "RECALLGUARD_"
CPSC_API_URL = "https://www.saferproducts.gov/RestWebServices/Recall"


class Settings(BaseSettings):
    """Every setting recallguard reads. Add new ones here; the CLI and docs/store.md follow."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///recallguard.db",
        description="Store URL: sqlite:///path/to.db (default) or postgresql+psycopg://user@host:port/db.",
    )
    cpsc_base_url: str = Field(
        default=CPSC_API_URL, description="CPSC Recalls REST API used by `recalls sync`."
    )
    scan_batch_size: int = Field(
        default=500, ge=1, le=100_000, description="Listings screened and committed per scan batch."
    )
    import_batch_size: int = Field(
        default=250,
        ge=1,
        le=100_000,
        description="Listings read and keyed per batch by `listings import`; each batch is written 10 "
        "listings a transaction on SQLite (short holds of its one writer lock, which publish-time "
        "screening waits for), 50 on PostgreSQL.",
    )
    bulk_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="CPU niceness (at least) at which `scan` and `listings import` run, so that an API "
        "server on the same machine answers publish-time screening and the gate first (0: unchanged).",
    )
    stream_nice: int = Field(
        default=5,
        ge=0,
        le=19,
        description="CPU niceness (at least) at which `recallguard worker` runs: its events wait in the "
        "stream (lag measured, producers held back) while an API server on the same machine answers the "
        "gate and publish-time screening first, and bulk commands still yield to it (0: unchanged).",
    )
    actor: str = Field(default="cli", description="Who is named in the audit log for CLI-initiated changes.")
    sql_echo: bool = Field(default=False, description="Log every SQL statement (debugging).")
    delist_authorities: str = Field(
        default="",
        description="Comma-separated authorities whose block decisions delist everywhere (scope *) "
        "instead of restricting their buyer countries.",
    )
    shadow_authorities: str = Field(
        default="",
        description="Comma-separated authorities in shadow mode: decisions recorded, nothing enforced "
        "(also `recallguard shadow on`).",
    )
    appeal_days: int = Field(
        default=182, ge=1, le=3650, description="Days a seller may appeal an action (DSA art. 20: 6 months)."
    )
    buyer_retention_days: int = Field(
        default=365, ge=1, description="Buyer order data is deleted this many days after the order date."
    )
    buyer_purge_s: float = Field(
        default=3600.0, ge=0, description="How often the server purges expired buyer data (0: never)."
    )


def env_name(name: str) -> str:
    """The environment variable of a setting.

    >>> env_name("scan_batch_size")
    'RECALLGUARD_SCAN_BATCH_SIZE'
    """
    return ENV_PREFIX + name.upper()


def help_for(name: str) -> str:
    """CLI help text for an option backed by a setting (description plus its env variable).

    >>> help_for("database_url").endswith("[env: RECALLGUARD_DATABASE_URL]")
    True
    """
    info = Settings.model_fields[name]
    return f"{info.description} [env: {env_name(name)}]"


def settings_table() -> list[dict[str, Any]]:
    """One row per setting (env, default, description) — the configuration table in the docs.

    >>> settings_table()[0]["env"]
    'RECALLGUARD_DATABASE_URL'
    """
    return [
        {"name": name, "env": env_name(name), "default": info.default, "description": info.description}
        for name, info in Settings.model_fields.items()
    ]


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with explicit (non-None) CLI values taking precedence.

    >>> load_settings(database_url="sqlite:///y.db").database_url
    'sqlite:///y.db'
    """
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
