"""A server screens against a recall another process imported once its background refresh has rebuilt
the screener, without a request ever reading the recall set or waiting for that rebuild; a recall this
process changes is screened against from the next request on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from recallguard.domain.models import Recall, Target
from recallguard.store import Store
from tests.api.conftest import make_app, make_settings
from tests.sql_reads import reads_of

NIGHT_LIGHT = {
    "listing_id": "N1",
    "title": "Lumo kids night light LK-77Q",
    "seller_id": "S7",
    "ship_to": ["US"],
}


def _recall(number: str, model: str) -> tuple[Recall, list[Target]]:
    return Recall(number, "CPSC", f"Lumo night light {model} recalled"), [
        Target(number, "CPSC", brand="Lumo", model_numbers=[model])
    ]


class Server:
    """A served app (lifespan run) whose background loops never come round during a test: the tests
    call ``refresh_screener`` themselves."""

    def __init__(self, tmp_path: Path) -> None:
        self.app = make_app(make_settings(tmp_path, warm_screener=False, gate_refresh_s=3600.0))
        self.enf = self.app.state.enforcer
        secret, _ = self.enf.create_token("marketplace")
        self.headers = {"Authorization": f"Bearer {secret}"}

    def blocked(self, client: TestClient, listing: dict[str, object]) -> list[str]:
        """The recalls publish-time screening decides on for ``listing``."""
        r = client.post("/v1/listings:screen", json={"listings": [listing]}, headers=self.headers)
        assert r.status_code == 200, r.text
        return [d["recall_number"] for d in r.json()["results"][0]["decisions"]]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    s = Server(tmp_path)
    try:
        yield s
    finally:
        s.enf.close()


def test_another_process_import_reaches_requests_through_the_background_refresh(server: Server) -> None:
    enf = server.enf
    with TestClient(server.app) as client:
        assert server.blocked(client, NIGHT_LIGHT) == []  # builds the screener
        with Store(enf.store.url) as other_process, other_process.transaction() as uow:
            uow.recalls.upsert(*_recall("27002", "LK-77Q"))
        enf._screener.checked_at = -1e9  # as if the last check were long ago
        with reads_of(enf.store, "recalls") as reads:
            assert server.blocked(client, {**NIGHT_LIGHT, "listing_id": "N2"}) == []  # the old one
        assert reads == []  # no request read the recall set
        enf.refresh_screener(build=False)  # what the server's screener loop does every few seconds
        assert server.blocked(client, {**NIGHT_LIGHT, "listing_id": "N3"}) == ["27002"]


def test_a_recall_changed_by_this_process_is_screened_against_at_once(server: Server) -> None:
    with TestClient(server.app) as client:
        assert server.blocked(client, NIGHT_LIGHT) == []
        with server.enf.store.transaction() as uow:  # e.g. the portal marking a recall, in this process
            uow.recalls.upsert(*_recall("27003", "LK-77Q"))
        assert server.blocked(client, {**NIGHT_LIGHT, "listing_id": "N2"}) == ["27003"]


def test_a_failed_rebuild_is_tried_again_by_the_next_call(server: Server) -> None:
    enf = server.enf
    first, _ = enf.screener()
    with enf.store.transaction() as uow:
        uow.recalls.upsert(*_recall("27004", "LK-77Q"))
    working = enf.screener_factory

    def broken(*_args: object) -> object:
        raise MemoryError("no room for the new index")

    enf.screener_factory = broken
    with pytest.raises(MemoryError):
        enf.screener()
    enf.screener_factory = working
    again, _ = enf.screener()
    assert again is not first and any(t.recall_number == "27004" for t in again.targets)


def test_an_unchanged_recall_set_is_checked_by_one_row_and_a_change_still_found(server: Server) -> None:
    """At 100,000 recalls reading every content hash took ~0.4 s, every two seconds, in every server."""
    enf = server.enf
    first, _ = enf.screener()
    with reads_of(enf.store, "recalls") as reads, reads_of(enf.store, "recall_set_revision") as rev:
        assert enf.refresh_screener(build=False)[0] is first
    assert reads == [] and len(rev) == 1
    with Store(enf.store.url) as other_process, other_process.transaction() as uow:
        uow.recalls.upsert(*_recall("27005", "LK-77Q"))
    rebuilt, _ = enf.refresh_screener(build=False)
    assert rebuilt is not first and any(t.recall_number == "27005" for t in rebuilt.targets)
