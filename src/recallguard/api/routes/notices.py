"""The seller's side over REST: the notice of each action (in the seller's language), the seller's
language preference, appeals and attestations (with label photos) and reviewers' outcomes.

Appeals go through the one implementation the pages use (``recallguard.web.decisions``): filing puts
the listing back in the review queue; upholding reverses the action through the state machine
(``Enforcer.move``), rejecting confirms it; each is an audit event and a training label.

GET  /v1/notices/{action_id}?lang=zh[&format=text]
PUT  /v1/notices/language            {"language": "zh"}
POST /v1/appeals                     multipart: action_id, reason, [attested], [photos…]
GET  /v1/appeals?state=open
GET  /v1/appeals/{appeal_id}
GET  /v1/appeals/{appeal_id}/photos/{photo_id}
POST /v1/appeals/{appeal_id}/decide  {"outcome": "upheld" | "rejected", "reason": "…"}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field

from recallguard.api.deps import Permit, get_enforcer
from recallguard.enforcement.auth import Principal
from recallguard.enforcement.permissions import seller_filter
from recallguard.errors import NotFoundError, UsageError, ValidationFailed
from recallguard.service.notices import LANGUAGES, normalise_language, notice_for
from recallguard.store.people_tables import SellerPrefsRepo
from recallguard.store.review_tables import Appeal, ReviewRepo

router = APIRouter(prefix="/v1", tags=["sellers"])


class LanguagePreference(BaseModel):
    language: str = Field(min_length=2, max_length=20, description="en or zh (a catalogue must exist).")


class AppealPublic(BaseModel):
    appeal_id: str
    action_id: str
    listing_id: str
    seller_id: str
    authority: str
    recall_number: str
    kind: str
    reason: str
    attested: dict[str, Any]
    state: str
    outcome_reason: str = ""
    decided_by: str = ""
    created_at: datetime | None = None
    decided_at: datetime | None = None
    photos: list[dict[str, Any]] = Field(default_factory=list)

    @classmethod
    def from_domain(cls, a: Appeal) -> AppealPublic:
        return cls(
            appeal_id=a.appeal_id, action_id=a.action_id, listing_id=a.listing_id, seller_id=a.seller_id,
            authority=a.authority, recall_number=a.recall_number, kind=a.kind, reason=a.message,
            attested=a.attested, state=a.state, outcome_reason=a.outcome_reason, decided_by=a.decided_by,
            created_at=a.created_at, decided_at=a.decided_at,
            photos=[{"photo_id": p, "filename": n, "size": s,
                     "url": f"/v1/appeals/{a.appeal_id}/photos/{p}"} for p, n, s in a.photos],
        )  # fmt: skip


class AppealDecision(BaseModel):
    outcome: Literal["upheld", "rejected"] = Field(
        description="upheld: the action is reversed; rejected: the action is confirmed."
    )
    reason: str = Field(default="", max_length=2000)


@router.get("/notices/{action_id}", summary="The seller notice of an action, in the seller's language")
def notice(
    request: Request,
    action_id: str,
    lang: str | None = Query(default=None, max_length=20, description="en, zh (default: the seller's)."),
    format: Literal["json", "text"] = "json",
    principal: Principal = Depends(Permit("notices:read")),
) -> Any:
    """A seller sees only the notices of its own listings (404 for others)."""
    enf = get_enforcer(request)
    n = notice_for(
        enf.store, action_id, seller_id=seller_filter(principal), language=lang,
        appeal_days=enf.settings.appeal_days,
    )  # fmt: skip
    if format == "text":
        return Response(n.text, media_type="text/plain; charset=utf-8")
    return n.as_dict()


@router.put("/notices/language", summary="The language a seller wants its notices in")
def set_language(
    request: Request, body: LanguagePreference, principal: Principal = Depends(Permit("notices:settings"))
) -> dict[str, str]:
    lang = normalise_language(body.language)
    if lang not in LANGUAGES:
        raise ValidationFailed(
            f"no notices in {body.language!r}; available: {', '.join(sorted(LANGUAGES))}",
            location="body.language",
            field="language",
        )
    with get_enforcer(request).store.transaction() as uow:
        SellerPrefsRepo(uow.session).set_language(principal.seller_id or "", lang)
    return {"seller_id": principal.seller_id or "", "language": lang}


@router.post(
    "/appeals", summary="Appeal an action (or attest that the stock lies outside the recall)", status_code=201
)
async def file(
    request: Request,
    action_id: str = Form(max_length=40),
    reason: str = Form(max_length=5000),
    attested: str = Form(
        default="", max_length=2000, description="Lots, serial numbers or dates of the stock."
    ),
    language: str = Form(default="en", max_length=8),
    photos: list[UploadFile] = File(default_factory=list, description="Label photos (JPEG, PNG, WebP)."),
    principal: Principal = Depends(Permit("appeals:create")),
) -> AppealPublic:
    from starlette.concurrency import run_in_threadpool

    from recallguard.web.decisions import MAX_PHOTO_BYTES, MAX_PHOTOS, Photo, file_appeal

    if len(photos) > MAX_PHOTOS:
        raise ValidationFailed(f"at most {MAX_PHOTOS} photos", location="form", field="photos")
    loaded = []
    for up in photos:
        data = await up.read(MAX_PHOTO_BYTES + 1)  # never more than the limit in memory
        loaded.append(Photo((up.filename or "photo")[:300], data))
    enf = get_enforcer(request)
    kind = "attestation" if attested.strip() else "appeal"
    appeal_id = await run_in_threadpool(
        file_appeal,
        enf,
        principal,
        action_id,
        kind,
        reason,
        attested,
        loaded,
        normalise_language(language) or "en",
    )
    return _one(request, appeal_id, principal)


def _one(request: Request, appeal_id: str, principal: Principal) -> AppealPublic:
    with get_enforcer(request).store.transaction() as uow:
        a = ReviewRepo(uow.session).appeal(appeal_id)
    mine = seller_filter(principal)
    if a is None or (mine is not None and a.seller_id != mine):
        raise NotFoundError(f"no appeal {appeal_id}")
    return AppealPublic.from_domain(a)


@router.get("/appeals", summary="Appeals (seller: its own; reviewer: all)", response_model=list[AppealPublic])
def appeals(
    request: Request,
    state: Literal["open", "upheld", "confirmed"] | None = None,
    limit: int = Query(default=100, ge=1, le=1000),
    principal: Principal = Depends(Permit("appeals:read")),
) -> list[AppealPublic]:
    with get_enforcer(request).store.transaction() as uow:
        found = ReviewRepo(uow.session).appeals(state=state, seller_id=seller_filter(principal))
    return [AppealPublic.from_domain(a) for a in found[:limit]]


@router.get("/appeals/{appeal_id}", summary="One appeal", response_model=AppealPublic)
def appeal(
    request: Request, appeal_id: str, principal: Principal = Depends(Permit("appeals:read"))
) -> AppealPublic:
    return _one(request, appeal_id, principal)


@router.get(
    "/appeals/{appeal_id}/photos/{photo_id}",
    summary="A label photo of an attestation",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
def photo(
    request: Request, appeal_id: str, photo_id: str, principal: Principal = Depends(Permit("appeals:read"))
) -> Response:
    with get_enforcer(request).store.transaction() as uow:
        found = ReviewRepo(uow.session).photo(photo_id)
    mine = seller_filter(principal)
    if found is None or found[0] != appeal_id or (mine is not None and found[3] != mine):
        raise NotFoundError(f"no photo {photo_id} of appeal {appeal_id}")
    _, ctype, data, _ = found
    headers = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'"}
    return Response(data, media_type=ctype, headers=headers)


@router.post(
    "/appeals/{appeal_id}/decide", summary="A reviewer's outcome: upheld (reverse) or rejected (confirm)"
)
def decide(
    request: Request,
    appeal_id: str,
    body: AppealDecision,
    principal: Principal = Depends(Permit("review:decide")),
) -> AppealPublic:
    from recallguard.web.decisions import decide_appeal

    outcome = {"upheld": "uphold", "rejected": "confirm"}.get(body.outcome)
    if outcome is None:  # pragma: no cover - the body model allows only the two
        raise UsageError(f"unknown outcome {body.outcome!r}")
    decide_appeal(get_enforcer(request), principal, appeal_id, outcome, body.reason)  # the gate follows
    return _one(request, appeal_id, principal)
