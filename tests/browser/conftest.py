"""Browser tests of the pages: a real ``recallguard serve`` (uvicorn) on 127.0.0.1 over a temporary SQLite
store seeded by the real import and scan path (the CPSC sample, the demo listings and a few listings
that go to review), users of every role, and Debian's Chromium driven by Playwright.

Skipped, loudly, when Chromium or the ``playwright`` package is missing. Never runs ``playwright
install``: the browser is /usr/bin/chromium (``apt-get install chromium``). Requests leaving 127.0.0.1
(recall photos on cpsc.gov) are aborted: the tests run offline.

Screenshots go to ``$RECALLGUARD_SCREENSHOTS`` (e.g. ``docs/screenshots``) when set, else a temp folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.serving import serving

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("RECALLGUARD_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
PASSWORD = "correct-horse-42"
USERS = {
    "admin": ("admin", None, None),
    "rita": ("reviewer", None, None),
    "cpsc": ("regulator", "CPSC", None),
    "hc": ("regulator", "HC", None),
    "alpha": ("seller", None, "S-ALPHA"),
    "hua": ("seller", None, "S-HUA"),
    "market": ("marketplace", None, None),
}

pytestmark = pytest.mark.browser


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright; never `playwright install`)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _missing()
    if reason is None:
        return
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=f"!!! BROWSER TESTS SKIPPED: {reason}"))


def _seed(url: str) -> None:
    """The real import and scan path, then users (argon2 hashes) as ``recallguard user create`` makes them."""
    from recallguard.enforcement.auth import Role, hash_password
    from recallguard.service.importers import import_listings, import_recalls
    from recallguard.service.scan import scan
    from recallguard.store import Store
    from recallguard.store.enforcement_tables import EnforcementRepo

    store = Store(url)
    try:
        import_recalls(store, ROOT / "data/cpsc/cpsc-recalls-api-80.json", actor="test")
        import_listings(store, ROOT / "data/demo/listings.jsonl", actor="test")
        import_listings(store, Path(__file__).with_name("data") / "review_listings.jsonl", actor="test")
        scan(store, actor="test")
        pw = hash_password(PASSWORD)
        with store.transaction() as uow:
            repo = EnforcementRepo(uow.session)
            for name, (role, authority, seller) in USERS.items():
                repo.add_user(name, pw, Role(role), authority, seller)
    finally:
        store.close()


@dataclass
class Server:
    base: str
    database_url: str
    db_path: Path

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the store directly (what the pages wrote)."""
        import sqlite3

        with sqlite3.connect(self.db_path) as conn:
            return list(conn.execute(query, params))


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if _missing():
        pytest.skip(f"!!! BROWSER TESTS SKIPPED: {_missing()}")
    tmp = tmp_path_factory.mktemp("pages")
    db = tmp / "rg.db"
    url = f"sqlite:///{db}"
    _seed(url)
    env = {**os.environ, "RECALLGUARD_DATABASE_URL": url, "RECALLGUARD_DATA_DIR": str(tmp / "data"),
           "RECALLGUARD_SLA_CHECK_S": "0", "RECALLGUARD_TOKEN_CACHE_S": "0",
           "RECALLGUARD_GATE_REFRESH_S": "0.5"}  # fmt: skip
    with serving(env, tmp) as base:
        yield Server(base, url, db)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if _missing():
        pytest.skip(f"!!! BROWSER TESTS SKIPPED: {_missing()}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go."""
    out = os.environ.get("RECALLGUARD_SCREENSHOTS")
    path = Path(out) if out else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


class Session:
    """One person in one browser context: signs in, opens pages."""

    def __init__(self, browser: Any, server: Server, width: int = 1280, height: int = 900) -> None:
        self.server = server
        self.context = browser.new_context(  # bypass_csp: lets the test's wait_for_function evaluate
            viewport={"width": width, "height": height}, accept_downloads=True, bypass_csp=True
        )
        self.context.route(
            "**/*",
            lambda route: route.continue_() if route.request.url.startswith(server.base) else route.abort(),
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)

    def goto(self, path: str) -> Any:
        return self.page.goto(self.server.base + path)

    def sign_in(self, user: str, password: str = PASSWORD) -> None:
        self.goto("/sign-in")
        self.page.get_by_label("User name").fill(user)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state()

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def person(browser: Any, server: Server) -> Iterator[Any]:
    """A factory of signed-in sessions, closed after the test."""
    opened: list[Session] = []

    def make(user: str | None = None, width: int = 1280, height: int = 900) -> Session:
        s = Session(browser, server, width, height)
        opened.append(s)
        if user:
            s.sign_in(user)
        return s

    yield make
    for s in opened:
        s.close()
