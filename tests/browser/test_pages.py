"""People at work in a real browser: each role signs in and sees only its pages, a reviewer works the
queue with the keyboard, a regulator submits a priority list and downloads reports, a seller appeals and
attests (with a label photo) and the reviewer decides. The store is read afterwards to check that what a
person did was recorded (training labels, audit events, the sale gate)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from tests.browser.conftest import Server

pytestmark = pytest.mark.browser


def _gate(server: Server, page: Any, listing_id: str, country: str = "US") -> bool:
    """Ask the sale gate with the signed-in session (the page's cookie)."""
    return bool(_gate_answer(server, page, listing_id, country)["allowed"])


def _gate_answer(server: Server, page: Any, listing_id: str, country: str = "US") -> dict[str, Any]:
    r = page.request.get(f"{server.base}/v1/gate?listing_id={listing_id}&country={country}")
    assert r.ok, r.text()
    return dict(r.json())


def _status(page: Any, text: str) -> None:
    """Wait until the live region announces ``text``."""
    page.wait_for_function("t => document.getElementById('status').textContent.includes(t)", arg=text)


def _nav(page: Any) -> list[str]:
    return [x.strip() for x in page.locator("header nav a").all_inner_texts()]


def test_each_role_signs_in_and_sees_only_its_pages(person: Any, server: Server) -> None:
    anon = person()
    r = anon.goto("/review")
    assert r.status == 401 and anon.page.get_by_label("User name").is_visible()  # the sign-in form, not JSON

    anon.sign_in("rita", "wrong password")
    assert "Wrong user name or password" in anon.page.inner_text("main")

    expected = {
        "rita": (["Review queue"], ["/portal", "/seller"]),
        "cpsc": (["Regulator portal"], ["/review", "/seller"]),
        "alpha": (["My listings"], ["/review", "/portal"]),
        "admin": (["Review queue", "Regulator portal", "My listings"], []),
        "market": ([], ["/review", "/portal", "/seller"]),
    }
    for user, (nav, forbidden) in expected.items():
        s = person(user)
        assert _nav(s.page) == nav, user
        for path in forbidden:
            resp = s.goto(path)
            assert resp.status == 403, (user, path)
            assert "Not allowed" in s.page.inner_text("h1")
        s.page.get_by_role("button", name="Sign out").click()
        s.page.wait_for_url("**/sign-in")
        assert s.goto("/").status == 401  # the session was revoked

    # a regulator sees only its authority's recalls; a seller only its own listings
    hc = person("hc")
    hc.goto("/portal")
    assert "Health Canada" in hc.page.inner_text("h1") and "26528" not in hc.page.inner_text("main")
    assert hc.goto("/portal/recalls/26528").status == 404
    alpha = person("alpha")
    alpha.goto("/seller")
    body = alpha.page.inner_text("main")
    assert "DEMO-001" in body and "REV-012" not in body  # REV-012 belongs to seller S-HUA
    assert alpha.goto("/seller?seller=S-HUA").status == 200 and "REV-012" not in alpha.page.inner_text("main")


def test_reviewer_works_the_queue_with_the_keyboard(person: Any, server: Server) -> None:
    s = person("rita")
    page = s.page
    s.goto("/review")
    waiting = page.locator("table.queue tbody tr").count()
    assert waiting >= 3, page.inner_text("main")
    labels_before = server.sql("SELECT count(*) FROM review_labels")[0][0]

    page.keyboard.press("j")  # focus the first match
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused and focused.startswith("/review/match")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # focus is visible
    page.keyboard.press("Enter")
    page.wait_for_url("**/review/match?**")
    first = page.url
    listing_1 = re.search(r"listing_id=([^&]+)", first).group(1)  # type: ignore[union-attr]
    assert page.locator("mark").count() > 0  # evidence terms marked
    assert "p = " in page.inner_text(".summary")

    page.keyboard.press("e")  # escalate → the next match replaces the page
    page.wait_for_function(f"!location.href.includes('listing_id={listing_1}&')")
    _status(page, "Escalated")
    second = page.url
    page.keyboard.press("j")  # next, then back with k
    page.wait_for_function("u => location.href !== u", arg=second)
    page.keyboard.press("k")
    page.wait_for_function("u => location.href === u", arg=second)

    listing_2 = re.search(r"listing_id=([^&]+)", page.url).group(1)  # type: ignore[union-attr]
    assert _gate(server, page, listing_2)  # not restricted yet
    page.keyboard.press("a")  # approve → restricted for US buyers at once
    page.wait_for_function(
        f"!location.href.includes('listing_id={listing_2}&') || location.pathname == '/review'"
    )
    _status(page, "Approved")
    assert not _gate(server, page, listing_2)

    if "/review/match" in page.url:
        listing_3 = re.search(r"listing_id=([^&]+)", page.url).group(1)  # type: ignore[union-attr]
        recall_3 = unquote(re.search(r"recall_number=([^&]+)", page.url).group(1))  # type: ignore[union-attr]
        page.keyboard.press("r")  # reject: not a match
        page.wait_for_function(
            f"!location.href.includes('listing_id={listing_3}&') || location.pathname == '/review'"
        )
        _status(page, "Rejected")
        reasons = _gate_answer(server, page, listing_3)["reasons"]  # another recall may still restrict it
        assert recall_3 not in {r["recall_number"] for r in reasons}, reasons

    rows = server.sql("SELECT decision, is_match, actor FROM review_labels ORDER BY id")[labels_before:]
    assert [r[0] for r in rows][:2] == ["escalate", "approve"] and rows[1][1] == 1
    assert all(r[2] == "reviewer:rita" for r in rows)
    kinds = {r[0] for r in server.sql("SELECT kind FROM audit_events WHERE actor = 'reviewer:rita'")}
    assert {"review.escalated", "review.approved", "action.approved"} <= kinds

    # bulk: every remaining match of one recall approved at once
    s.goto("/review")
    group = page.locator("form.group").first
    ids = group.locator("input[name=listing_id]").evaluate_all("els => els.map(e => e.value)")
    group.get_by_role("button", name="Select all").click()
    group.get_by_label("Decision for the selected matches").select_option("approve")
    group.get_by_role("button", name="Apply to selected").click()
    page.wait_for_function("document.getElementById('status').textContent.includes('Approve:')")
    assert f"{len(ids)} match" in page.inner_text("#status")
    for lid in ids:
        assert not _gate(server, page, lid)
    bulk = server.sql("SELECT count(*) FROM review_labels WHERE source = 'bulk' AND decision = 'approve'")
    assert bulk[0][0] >= len(ids)


def test_regulator_submits_a_priority_list_and_downloads_reports(
    person: Any, server: Server, tmp_path: Any
) -> None:
    s = person("cpsc")
    page = s.page
    s.goto("/portal")
    assert page.locator("svg.chart[role=img]").count() >= 3  # charts drawn on the server
    assert "listings found" in page.inner_text(".kpis")
    for number in ("26528", "26530", "26509", "26538", "26453"):
        page.locator(f"#p-{number}").check()
    page.get_by_role("button", name="Save the priority list").click()
    page.wait_for_function("document.getElementById('status').textContent.includes('Priority list saved')")
    assert "5 recalls" in page.inner_text("#status")
    flagged = {r[0] for r in server.sql("SELECT recall_number FROM recalls WHERE priority")}
    assert flagged == {"26528", "26530", "26509", "26538", "26453"}

    # the same as a CSV upload (it replaces the list)
    csv = tmp_path / "priority.csv"
    csv.write_text("recall_number\n26528\n26530\n26509\n26538\n26453\n26454\n")
    s.goto("/portal")
    page.get_by_label("Upload a CSV file").set_input_files(str(csv))
    checked = page.locator("input[name=recall_number]:checked")
    while checked.count():
        checked.first.uncheck()
    page.get_by_role("button", name="Save the priority list").click()
    page.wait_for_load_state()
    assert "6 recalls" in page.inner_text("#status")
    assert "priority" in page.locator("table.stats tbody tr").first.inner_text()

    page.get_by_role("link", name="26528").first.click()
    page.wait_for_url("**/portal/recalls/26528")
    assert "Time to action" in page.inner_text("main") and page.locator("svg.chart").count() == 2

    # reports (the report engineer's routes), when they are there
    probe = page.request.get(f"{server.base}/v1/reports/compliance.html?authority=CPSC")
    if probe.status == 404 and probe.json().get("error", {}).get("message", "").startswith("no route"):
        pytest.skip("report routes not in this build")
    for label, check in (
        ("Compliance report (HTML)", lambda b: b"26528" in b),
        ("Statements of reasons (CSV)", lambda b: b"decision_visibility" in b),
        ("Statements of reasons (JSON)", lambda b: b"UNSAFE_AND_PROHIBITED_PRODUCTS" in b),
        ("Compliance report (PDF)", lambda b: b.startswith(b"%PDF")),
    ):
        s.goto("/portal/recalls/26528")
        with page.expect_download() as info:
            page.get_by_role("link", name=label).click()
        body = Path(info.value.path()).read_bytes()
        assert check(body), (label, body[:300])


def _png() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (320, 200), "white")
    ImageDraw.Draw(img).text((20, 80), "BATCH 202410  MFG 2024-10", fill="black")
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def test_seller_appeals_and_the_reviewer_decides(person: Any, server: Server, tmp_path: Any) -> None:
    seller = person("alpha")
    page = seller.page
    seller.goto("/seller")
    actions = dict(
        server.sql("SELECT listing_id, action_id FROM actions WHERE listing_id IN ('DEMO-001', 'DEMO-005')")
    )
    assert set(actions) == {"DEMO-001", "DEMO-005"}

    # DEMO-001: recall 26528 covers only batch 202503 → attest the stock lies outside, with a label photo
    page.get_by_role("link", name="Read the notice DEMO-001").click()
    assert "batch number 202503" in page.inner_text("main")
    notice_url = page.url

    def attest(photo: Path) -> None:
        page.get_by_label("My stock lies outside the recalled lots").check()
        page.get_by_label("Explain why").fill("Our stock is batch 202410, made in October 2024.")
        page.get_by_label("The lot, batch, serial numbers").fill("batch 202410")
        page.get_by_label("Photos of the product labels").set_input_files(str(photo))
        page.get_by_role("button", name="Send the appeal").click()
        page.wait_for_load_state()

    fake = tmp_path / "label.png"  # named like a photo, but not an image: refused, nothing stored
    fake.write_bytes(b"MZ\x90\x00not an image")
    attest(fake)
    assert "not a JPEG, PNG or WebP" in page.inner_text("[role=alert]")
    assert server.sql("SELECT count(*) FROM appeals")[0][0] == 0
    page.goto(notice_url)
    photo = tmp_path / "label-photo.png"
    photo.write_bytes(_png())
    attest(photo)
    page.wait_for_load_state()
    assert "Appeal sent" in page.inner_text("#status")
    assert "being reviewed" in page.inner_text("main")

    # DEMO-005: a plain appeal, in Chinese
    seller.goto(f"/seller/notices/{actions['DEMO-005']}?lang=zh")
    assert "申诉" in page.inner_text("main")
    page.get_by_label("请说明理由").fill("这是另一款滑板车，型号不同。")
    page.get_by_role("button", name="提交申诉").click()
    page.wait_for_load_state()
    assert "申诉已提交" in page.inner_text("#status")

    # the reviewer finds both in the queue and decides
    rev = person("rita")
    rp = rev.page
    rev.goto("/review")
    appeals = rp.locator("section[aria-labelledby=appeals-h] a")
    assert appeals.count() == 2
    rp.get_by_role("link", name=re.compile("attestation.*DEMO-001")).click()
    assert rp.locator("img[alt^='Label photo']").count() == 1
    rp.wait_for_function("() => document.querySelector(\"img[alt^='Label photo']\").complete")
    shown = rp.evaluate("document.querySelector(\"img[alt^='Label photo']\").naturalWidth")
    assert shown == 320  # the stored photo is served back
    assert not _gate(server, rp, "DEMO-001")
    rp.get_by_label("Reason given to the seller").fill("Label shows batch 202410, outside the recall.")
    rp.get_by_role("button", name=re.compile("Uphold")).click()  # the restriction is reversed
    rp.wait_for_url("**/review")
    assert "restriction lifted" in rp.inner_text("#status")
    assert _gate(server, rp, "DEMO-001")

    rp.get_by_role("link", name=re.compile("appeal.*DEMO-005")).click()
    rp.get_by_role("button", name=re.compile("Confirm the restriction")).click()
    rp.wait_for_url("**/review")
    assert not _gate(server, rp, "DEMO-005")

    states = dict(server.sql("SELECT kind, state FROM appeals WHERE seller_id = 'S-ALPHA'"))
    assert states == {"attestation": "upheld", "appeal": "confirmed"}
    assert server.sql("SELECT state FROM actions WHERE listing_id = 'DEMO-001'")[0][0] == "reversed"
    kinds = {r[0] for r in server.sql("SELECT kind FROM audit_events WHERE kind LIKE 'a%.%'")}
    assert {"attestation.filed", "appeal.filed", "attestation.upheld", "appeal.confirmed"} <= kinds

    # the seller sees the outcome on the notice
    seller.goto(f"/seller/notices/{actions['DEMO-001']}?lang=en")
    assert "upheld" in page.inner_text("main")


def test_every_input_has_a_label_and_focus_is_visible(person: Any, server: Server) -> None:
    pages = {
        None: ["/sign-in"],
        "rita": ["/review"],
        "cpsc": ["/portal", "/portal/recalls/26530"],
        "hua": ["/seller"],
    }
    unlabeled_js = """() => [...document.querySelectorAll('input, select, textarea')]
        .filter(e => e.type !== 'hidden')
        .filter(e => !(e.labels && e.labels.length))
        .filter(e => !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
        .map(e => e.outerHTML)"""
    for user, paths in pages.items():
        s = person(user)
        for path in paths:
            s.goto(path)
            assert s.page.evaluate(unlabeled_js) == [], path
            assert s.page.locator("html[lang]").count() == 1
            s.page.keyboard.press("Tab")  # the first stop is the skip link, visible when focused
            first = s.page.evaluate("document.activeElement.textContent")
            assert "Skip to main content" in first, path
            box = s.page.locator(".skip-link").bounding_box()
            assert box and box["y"] >= 0
            for _ in range(4):
                s.page.keyboard.press("Tab")
                style = s.page.evaluate(
                    "(() => { const c = getComputedStyle(document.activeElement);"
                    " return [c.outlineStyle, c.outlineWidth]; })()"
                )
                assert style[0] != "none" and style[1] != "0px", (path, style)
    # the status region announces htmx-style updates
    s = person("rita")
    s.goto("/review")
    assert s.page.locator("#status[aria-live=polite]").count() == 1


def test_pages_without_a_browser_refuse_forged_forms(server: Server) -> None:
    """A cross-site form post (no CSRF token) is refused even with a valid session cookie."""
    with httpx.Client(base_url=server.base) as c:
        page = c.get("/sign-in").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        r = c.post("/sign-in", data={"username": "rita", "password": "correct-horse-42", "csrf_token": token})
        assert r.status_code == 303
        form = {"listing_id": "DEMO-003", "authority": "CPSC", "recall_number": "rule:cpsc-magnet-sets",
                "decision": "approve"}  # fmt: skip
        forged = c.post("/review/decide", data=form)
        assert forged.status_code == 400 and "reload" in forged.text
