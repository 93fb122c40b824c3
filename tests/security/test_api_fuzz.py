"""Every API route fuzzed with schemathesis against the app's own OpenAPI document, in-process (ASGI),
as an admin on a real SQLite store: no 500, every error in the one documented shape.

Bounded: a few examples per operation (the whole run takes about a minute on the CI machine); raise
``RG_FUZZ_EXAMPLES`` for a longer local run.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings

from recallguard.api.runtime import Enforcer
from tests.api.conftest import make_app, make_settings

EXAMPLES = int(os.environ.get("RG_FUZZ_EXAMPLES", "50"))
STATUSES: dict[int, int] = {}  # answers by status code, printed at the end (the report's counts)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    application = make_app(make_settings(tmp))
    enf: Enforcer = application.state.enforcer
    # something to find: the seeded recall blocks L1 (an action), L2 is harmless
    from tests.api.conftest import HARMLESS, MATCHING

    secret, _ = enf.create_token("admin")
    from fastapi.testclient import TestClient

    with TestClient(application) as c:
        r = c.post("/v1/listings:screen", json={"listings": [MATCHING, HARMLESS]},
                   headers={"Authorization": f"Bearer {secret}"})  # fmt: skip
        assert r.status_code == 200, r.text
        application.state.seeded_action = r.json()["results"][0]["actions"][0]["action_id"]
    yield application
    enf.close()


def _admin(app: FastAPI) -> dict[str, str]:
    """A fresh admin token per case: a fuzzed logout or token revocation must not starve the rest."""
    secret, _ = app.state.enforcer.create_token("admin")
    return {"Authorization": f"Bearer {secret}"}


def check_error_shape(response: Any, case: Any) -> None:
    """Every non-2xx answer is ``{"error": {"code", "message", "details"}}`` (docs/api.md)."""
    if response.status_code < 400:
        return
    body = response.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert isinstance(err.get("code"), str) and err["code"], body
    assert isinstance(err.get("message"), str), body
    assert isinstance(err.get("details"), dict), body


def _strategy(op: Any, app: FastAPI) -> Any:
    """Valid and invalid requests (schemathesis' positive and negative modes), and valid ones aimed
    at the real action (the seeded block) where the path names an action."""
    from hypothesis import strategies as st
    from schemathesis import GenerationMode

    options = [op.as_strategy(GenerationMode.POSITIVE)]
    with contextlib.suppress(Exception):  # an operation without parameters or body has no invalid form
        options.append(op.as_strategy(GenerationMode.NEGATIVE))
    if "{action_id}" in op.path:
        options.append(op.as_strategy(path_parameters={"action_id": app.state.seeded_action}))
    return st.one_of(options)


def _fuzz(op: Any, app: FastAPI) -> int:
    """Run ``EXAMPLES`` generated requests of one operation; the number sent."""
    from hypothesis import given
    from schemathesis.checks import not_a_server_error

    label = f"{op.method.upper()} {op.path}"
    sent = [0]

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(case=_strategy(op, app))
    def run(case: Any) -> None:
        sent[0] += 1
        response = case.call(headers=_admin(app))
        STATUSES[response.status_code] = STATUSES.get(response.status_code, 0) + 1
        detail = f"{label} ({case.formatted_path}) -> {response.status_code}: {response.text[:300]}"
        assert response.status_code < 500, detail
        case.validate_response(response, checks=[not_a_server_error])
        check_error_shape(response, case)

    run()
    return sent[0]


def test_every_route(fuzz_app: FastAPI) -> None:
    """Each operation of the OpenAPI document: ``EXAMPLES`` generated requests (valid and invalid
    parameters and bodies); failures of all operations are reported together."""
    api = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    failures: list[str] = []
    sent: dict[str, int] = {}
    for result in api.get_all_operations():
        op = result.ok()
        label = f"{op.method.upper()} {op.path}"
        try:
            sent[label] = _fuzz(op, fuzz_app)
        except Exception as e:  # collect every operation's failure, then fail once
            failures.append(f"{label}: {type(e).__name__}: {str(e)[:800]}")
    codes = dict(sorted(STATUSES.items()))
    print(f"schemathesis: {len(sent)} operations ok, {sum(sent.values())} requests, answers {codes}")
    assert len(sent) + len(failures) >= 20  # every route of docs/api.md is in the document
    assert not failures, "\n\n".join(failures)
