"""The seller's side: its own listings with their actions, a notice per action in the seller's language
(what, why, which recall, what to do, the deadline to appeal), and the appeal form — an appeal, or an
attestation with label photos when the recall covers only some lots, serials or dates. An admin looks
at a seller with ``?seller=``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from recallguard.api.deps import get_enforcer
from recallguard.enforcement.auth import Principal
from recallguard.enforcement.permissions import seller_filter
from recallguard.errors import ConflictError, NotFoundError, ValidationFailed
from recallguard.service.notices import notice_for
from recallguard.store.enforcement_tables import EnforcementRepo
from recallguard.store.review_tables import ReviewRepo
from recallguard.web import decisions
from recallguard.web.i18n import LANGUAGES, pick_language, t
from recallguard.web.render import redirect, render
from recallguard.web.security import PagePermit

router = APIRouter(include_in_schema=False)


def _seller(principal: Principal, requested: str | None) -> str:
    mine = seller_filter(principal)
    if mine:
        return mine
    if not requested:
        raise NotFoundError("name a seller: /seller?seller=SELLER_ID")
    return requested


@router.get("/seller", response_class=HTMLResponse)
def seller_page(
    request: Request,
    seller: str | None = None,
    lang: str | None = None,
    principal: Principal = Depends(PagePermit("notices:read")),
) -> Response:
    seller_id = _seller(principal, seller)
    with get_enforcer(request).store.transaction() as uow:
        review = ReviewRepo(uow.session)
        listings = uow.listings.get_many(review.seller_listing_ids(seller_id))
        actions = EnforcementRepo(uow.session).query_actions(seller_id=seller_id, limit=1000)
        appeals = {a.action_id: a for a in review.appeals(seller_id=seller_id)}
    language = pick_language(request.headers.get("accept-language"), lang,
                             next((x.language for x in listings if x.language), ""))  # fmt: skip
    by_listing: dict[str, list[Any]] = {}
    for a in actions:
        by_listing.setdefault(a.listing_id, []).append(a)
    rows = [(x, by_listing.get(x.listing_id, [])) for x in listings]
    rows.sort(key=lambda r: (not r[1], r[0].listing_id))
    return render(
        request,
        "seller.html",
        {"seller_id": seller_id, "rows": rows, "appeals": appeals, "t": lambda k, **v: t(language, k, **v),
         "languages": LANGUAGES, "admin_seller": None if seller_filter(principal) else seller_id},
        principal=principal,
        lang=language,
    )  # fmt: skip


def _notice_context(
    request: Request, principal: Principal, action_id: str, lang: str | None
) -> dict[str, Any]:
    """The notice page: the notice of ``service.notices`` (the same text as ``GET /v1/notices/{id}``) in
    the seller's language, the recall's lot/serial/date ranges and the appeals so far."""
    enf = get_enforcer(request)
    action = decisions.seller_action(enf, principal, action_id)
    with enf.store.transaction() as uow:
        listing = uow.listings.get(action.listing_id)
        targets = uow.recalls.targets_of(action.authority, action.recall_number)
        appeals = ReviewRepo(uow.session).appeals(action_ids=[action_id])
    notice = notice_for(enf.store, action_id, seller_id=seller_filter(principal), language=lang)
    language = notice.language
    ranges = [r.text or r.prefix or f"{r.start}–{r.end}" for tg in targets for r in tg.ranges]
    return {
        "action": action, "ranges": ranges, "appeals": appeals, "notice": notice,
        "latest": appeals[-1] if appeals else None,
        "open_appeal": any(a.state == "open" for a in appeals),
        "can_appeal": action.state in decisions.IN_FORCE and not any(a.state == "open" for a in appeals),
        "language": language, "languages": LANGUAGES, "t": lambda k, **v: t(language, k, **v),
        "max_photos": decisions.MAX_PHOTOS, "max_mb": decisions.MAX_PHOTO_BYTES // 2**20,
        "admin_seller": None if seller_filter(principal) else (listing.seller_id if listing else None),
        "may_appeal": principal.seller_id is not None and principal.role.value == "seller",
    }  # fmt: skip


@router.get("/seller/notices/{action_id}", response_class=HTMLResponse)
def notice_page(
    request: Request,
    action_id: str,
    lang: str | None = None,
    principal: Principal = Depends(PagePermit("notices:read")),
) -> Response:
    ctx = _notice_context(request, principal, action_id, lang)
    ctx["error"] = None
    return render(request, "notice.html", ctx, principal=principal, lang=ctx["language"])


@router.post("/seller/notices/{action_id}/appeal")
async def appeal(
    request: Request,
    action_id: str,
    kind: str = Form(..., pattern="^(appeal|attestation)$"),
    message: str = Form(..., max_length=5000),
    attested: str = Form("", max_length=2000),
    lang: str = Form("en", max_length=8),
    photos: list[UploadFile] = File(default=[]),
    principal: Principal = Depends(PagePermit("appeals:create")),
) -> Response:
    from starlette.concurrency import run_in_threadpool

    uploads = []
    for f in photos:
        if not f.filename:
            continue
        data = await f.read(decisions.MAX_PHOTO_BYTES + 1)
        uploads.append(decisions.Photo(f.filename, data))
    language = lang if lang in LANGUAGES else "en"
    try:
        await run_in_threadpool(
            decisions.file_appeal, get_enforcer(request), principal, action_id, kind, message, attested,
            uploads, language,
        )  # fmt: skip
    except (ValidationFailed, ConflictError) as e:
        ctx = _notice_context(request, principal, action_id, language)
        ctx.update(error=str(e), form={"kind": kind, "message": message, "attested": attested})
        return render(request, "notice.html", ctx, principal=principal, lang=language, status=422)
    return redirect(f"/seller/notices/{action_id}?lang={language}", t(language, "appeal.sent"))
