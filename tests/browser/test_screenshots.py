"""Screenshots of every page on a desktop (1280 px) and a phone (390 px), for people to look at
(``RECALLGUARD_SCREENSHOTS=docs/screenshots pytest -m browser``). Each page is also checked not to
scroll sideways on the phone: nothing wider than the screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Server

pytestmark = pytest.mark.browser

SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


def _file_appeal(person: Any, server: Server) -> str:
    """Seller S-HUA appeals the restriction of REV-012 (so the appeal page has something to show)."""
    rows = server.sql("SELECT action_id FROM actions WHERE listing_id = 'REV-012'")
    assert rows, "REV-012 should be restricted by the scan"
    action_id = str(rows[0][0])
    s = person("hua")
    s.goto(f"/seller/notices/{action_id}?lang=zh")
    if s.page.get_by_label("请说明理由").count():
        s.page.get_by_label("请说明理由").fill("我们的牙胶不是 LiKee 品牌，是自有设计。")
        s.page.get_by_role("button", name="提交申诉").click()
        s.page.wait_for_load_state()
    return action_id


def test_screenshots_of_every_page(person: Any, server: Server, shots: Path) -> None:
    action_id = _file_appeal(person, server)
    appeal = server.sql("SELECT appeal_id FROM appeals WHERE action_id = ?", action_id)[0][0]
    first_review = server.sql(
        "SELECT listing_id, authority, recall_number FROM matches "
        "WHERE decision = 'review' AND state = 'active' ORDER BY listing_id LIMIT 1"
    )[0]
    alpha_action = server.sql("SELECT action_id FROM actions WHERE listing_id = 'DEMO-005'")[0][0]
    pages = [
        ("sign-in", None, "/sign-in"),
        ("home-reviewer", "rita", "/"),
        ("review-queue", "rita", "/review"),
        ("review-match", "rita",
         f"/review/match?listing_id={first_review[0]}&authority={first_review[1]}&recall_number={first_review[2]}"),
        ("review-appeal", "rita", f"/review/appeals/{appeal}"),
        ("portal", "cpsc", "/portal"),
        ("portal-recall", "cpsc", "/portal/recalls/26528"),
        ("seller", "alpha", "/seller"),
        ("notice-en", "alpha", f"/seller/notices/{alpha_action}?lang=en"),
        ("notice-zh", "hua", f"/seller/notices/{action_id}?lang=zh"),
        ("forbidden", "alpha", "/review"),
    ]  # fmt: skip
    taken = []
    for size, (w, h) in SIZES.items():
        sessions: dict[str | None, Any] = {}
        for name, user, path in pages:
            if user not in sessions:
                sessions[user] = person(user, width=w, height=h)
            s = sessions[user]
            s.goto(path)
            s.page.wait_for_load_state("networkidle")
            overflow = s.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{name} scrolls sideways by {overflow}px at {w}px"
            out = shots / f"{name}-{size}.png"
            s.page.screenshot(path=str(out), full_page=True)
            taken.append(out)
    assert all(p.stat().st_size > 5000 for p in taken)
