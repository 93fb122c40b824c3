"""Fixtures of the API tests: a service on a fresh SQLite store with one CPSC recall, and tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from recallguard.api.app import create_app
from recallguard.api.config import ServiceSettings
from recallguard.api.runtime import Enforcer
from recallguard.domain.models import DecisionKind, Listing, Match, Recall, Target

RECALL = Recall(
    "26561", "CPSC", "BABESIDE Doll and Stroller Toys recalled", product_names=["Doll and Stroller"]
)
TARGET = Target(
    "26561",
    "CPSC",
    brand="BABESIDE",
    product_name="Doll and Stroller Toys",
    product_type="doll stroller toy",
    model_numbers=["BS-100"],
)
MATCHING = {
    "listing_id": "L1",
    "title": "BABESIDE doll stroller toy BS-100",
    "seller_id": "S1",
    "ship_to": ["*"],
}
HARMLESS = {"listing_id": "L2", "title": "Garden hose 20 m", "seller_id": "S2"}
ROLES = {
    "admin": {},
    "reviewer": {},
    "marketplace": {},
    "regulator": {"authority": "CPSC"},
    "seller": {"seller_id": "S1"},
}


class ModelNumberScreener:
    """A deterministic stand-in for the matcher: block when a target's model number is in the title.
    Enforcement tests assert enforcement, not the matcher's scores (the real matcher is exercised by
    the uvicorn test)."""

    model_version = "test-model-number-1"

    def __init__(self, targets: Sequence[Target], rules: bool = True) -> None:
        self.targets = list(targets)

    def screen_batch(self, listings: Sequence[Listing]) -> list[list[Match]]:
        out = []
        for x in listings:
            found = [
                Match(
                    x.listing_id,
                    t.recall_number,
                    t.authority,
                    0.99,
                    DecisionKind.BLOCK,
                    f"model {m} in title",
                )
                for t in self.targets
                for m in t.model_numbers
                if m.lower() in x.title.lower()
            ]
            out.append(found[:1])
        return out

    def screen_many(self, listings: Iterable[Listing]) -> Iterator[tuple[Listing, list[Match]]]:
        items = list(listings)
        yield from zip(items, self.screen_batch(items), strict=True)


def make_app(settings: ServiceSettings) -> FastAPI:
    """An app on ``settings`` with the seeded recall and the deterministic screener."""
    application = create_app(settings)
    application.state.enforcer.screener_factory = ModelNumberScreener
    seed_recall(application.state.enforcer)
    return application


def make_settings(tmp_path: Path, **kw: object) -> ServiceSettings:
    base: dict[str, object] = {
        "database_url": f"sqlite:///{tmp_path / 'rg.db'}",
        "data_dir": str(tmp_path / "data"),
        "token_cache_s": 0.0,
        "env": "development",
    }
    return ServiceSettings(**{**base, **kw})


def seed_recall(enf: Enforcer) -> None:
    with enf.store.transaction() as uow:
        uow.recalls.upsert(RECALL, [TARGET])


@pytest.fixture()
def settings(tmp_path: Path, store_url: str) -> ServiceSettings:
    """Service settings on each backend (SQLite file, and the session's PostgreSQL database)."""
    return make_settings(tmp_path, database_url=store_url)


@pytest.fixture()
def app(settings: ServiceSettings) -> Iterator[FastAPI]:
    application = make_app(settings)
    yield application
    application.state.enforcer.close()


@pytest.fixture()
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture()
def enforcer(app: FastAPI) -> Enforcer:
    return app.state.enforcer  # type: ignore[no-any-return]


@pytest.fixture()
def token(enforcer: Enforcer) -> Callable[..., dict[str, str]]:
    """``token("regulator", authority="SAFETYGATE")`` → Authorization headers of a fresh token."""
    enf = enforcer

    def make(role: str, **scope: str) -> dict[str, str]:
        secret, _ = enf.create_token(role, **(scope or ROLES[role]))
        return {"Authorization": f"Bearer {secret}"}

    return make
