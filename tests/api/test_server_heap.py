"""A running server keeps its long-lived state out of the garbage collector's walks: the screener it
builds after starting is frozen once built (a full collection over it paused every request ~80 ms),
and a screener replaced when the recalls change is collected, not kept frozen."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from recallguard.domain.models import Recall, Target
from tests.api.conftest import MATCHING, make_app, make_settings


def _collected_heap_holds(obj: object) -> bool:
    return any(o is obj for o in gc.get_objects())  # gc.get_objects() leaves the frozen ones out


def _screen_matching(client: TestClient, enf: Any) -> dict[str, Any]:
    """Screen the listing of a recalled product as the marketplace; the answer's body."""
    secret, _ = enf.create_token("marketplace")
    headers = {"Authorization": f"Bearer {secret}"}
    response = client.post("/v1/listings:screen", json={"listings": [MATCHING]}, headers=headers)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_the_servers_screener_is_frozen_once_built_and_a_replaced_one_is_freed(tmp_path: Path) -> None:
    app = make_app(make_settings(tmp_path, warm_screener=False))
    enf = app.state.enforcer
    try:
        with TestClient(app) as client:
            _screen_matching(client, enf)
            first, _ = enf.screener()
            assert not _collected_heap_holds(first)
            first_ref = weakref.ref(first)
            del first
            with enf.store.transaction() as uow:  # the recalls change: the next screening builds anew
                uow.recalls.upsert(
                    Recall("27002", "CPSC", "Lumo night light recalled"),
                    [Target("27002", "CPSC", brand="Lumo", model_numbers=["LK-77Q"])],
                )
            enf._screener.checked_at = -1e9  # do not wait for the second between checks
            _screen_matching(client, enf)
            second, _ = enf.screener()
            assert not _collected_heap_holds(second)
            assert first_ref() is None
    finally:
        gc.unfreeze()
        enf.close()


def test_what_the_server_keeps_after_starting_is_frozen_as_it_accumulates(tmp_path: Path) -> None:
    """A listing blocked after start-up joins the fingerprint bank; the heap keeper freezes the new
    entry, so the collector's full walks do not grow with the bank."""
    from recallguard.service.bank import current_bank

    app = make_app(make_settings(tmp_path, warm_screener=False))
    enf = app.state.enforcer
    try:
        with TestClient(app) as client:
            body = _screen_matching(client, enf)
            assert body["results"][0]["allowed_everywhere"] is False
            bank = current_bank()
            assert bank is not None
            (entry,) = bank.bank._entries.values()
            assert _collected_heap_holds(entry)  # new since start-up: walked by every full collection
            keeper = app.state.heap_keeper
            keeper.frozen_at = -1e9  # due now
            assert keeper.tick() == "froze"
            assert not _collected_heap_holds(entry)
            assert len(bank.bank) == 1  # frozen, not lost
    finally:
        gc.unfreeze()
        enf.close()
