"""The API fixtures (a service on SQLite and PostgreSQL with one CPSC recall, tokens) for these tests."""

from tests.api.conftest import app, client, enforcer, settings, token

__all__ = ["app", "client", "enforcer", "settings", "token"]
