"""The review queue (reviewers): matches waiting for a decision and open appeals; one match with the
listing and the recall side by side; approve / reject / escalate, one at a time or in bulk for a recall;
appeal and attestation outcomes; label photos."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from recallguard.api.deps import get_enforcer
from recallguard.domain.models import Action
from recallguard.enforcement.auth import Principal
from recallguard.enforcement.permissions import authority_filter
from recallguard.errors import NotFoundError
from recallguard.store.review_tables import ReviewRepo
from recallguard.web import decisions, views
from recallguard.web.highlight import mark
from recallguard.web.render import redirect, render
from recallguard.web.security import PagePermit

router = APIRouter(include_in_schema=False)


def _dispatch(request: Request, tasks: BackgroundTasks, actions: list[Action]) -> None:
    enf = get_enforcer(request)
    if actions and enf.connector is not None:
        tasks.add_task(enf.dispatch, actions)


@router.get("/review", response_class=HTMLResponse)
def queue_page(
    request: Request, recall: str = "", principal: Principal = Depends(PagePermit("review:read"))
) -> Response:
    authority, _, number = recall.partition(" ")
    wanted = (authority, number) if authority and number else None
    with get_enforcer(request).store.transaction() as uow:
        everything = views.queue(uow, principal)
        appeals = views.open_appeals(uow, principal)
    items = [it for it in everything if wanted is None or it.key[1:] == wanted]
    groups: list[dict[str, Any]] = []
    by_recall: dict[tuple[str, str], dict[str, Any]] = {}
    for it in items:
        k = (it.match.authority, it.match.recall_number)
        if k not in by_recall:
            by_recall[k] = {"authority": k[0], "recall_number": k[1], "title": it.recall_title,
                            "priority": it.priority, "items": [], "idx": len(groups) + 1}  # fmt: skip
            groups.append(by_recall[k])
        by_recall[k]["items"].append(it)
    options = sorted(
        {(f"{it.match.authority} {it.match.recall_number}", it.recall_title) for it in everything}
    )
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return render(
        request,
        "review_queue.html",
        {"items": items, "groups": groups, "appeals": appeals, "recall_options": options,
         "recall_filter": recall, "back": back},
        principal=principal,
    )  # fmt: skip


@router.get("/review/match", response_class=HTMLResponse)
def match_page(
    request: Request,
    listing_id: str,
    authority: str,
    recall_number: str,
    principal: Principal = Depends(PagePermit("review:read")),
) -> Response:
    with get_enforcer(request).store.transaction() as uow:
        d = views.match_detail(uow, principal, listing_id, authority.upper(), recall_number)
    if d is None:
        raise NotFoundError(f"no active match of listing {listing_id} with {authority}:{recall_number}")
    return render(
        request, "review_item.html", {"d": d, "mark": lambda text: mark(text, d.terms)}, principal=principal
    )


@router.post("/review/decide")
def decide_page(
    request: Request,
    tasks: BackgroundTasks,
    listing_id: str = Form(..., max_length=200),
    authority: str = Form(..., max_length=32),
    recall_number: str = Form(..., max_length=200),
    decision: str = Form(..., pattern="^(approve|reject|escalate)$"),
    reason: str = Form("", max_length=2000),
    principal: Principal = Depends(PagePermit("review:decide")),
) -> RedirectResponse:
    enf = get_enforcer(request)
    with enf.store.transaction() as uow:  # the next item, computed before this one leaves the queue
        d = views.match_detail(uow, principal, listing_id, authority.upper(), recall_number)
    approved = decisions.decide(enf, principal, listing_id, authority, recall_number, decision, reason)
    _dispatch(request, tasks, [approved] if approved else [])
    done = {"approve": "Approved — restricted", "reject": "Rejected", "escalate": "Escalated"}[decision]
    msg = f"{done}: {listing_id} ({authority.upper()} {recall_number})."
    nxt = d.next_item if d else None
    if nxt is not None and nxt.key != (listing_id, authority.upper(), recall_number):
        return redirect(views.item_href(*nxt.key), msg + " Next match.")
    return redirect("/review", msg + " The queue is done." if d and d.total <= 1 else msg)


@router.post("/review/bulk")
def bulk_page(
    request: Request,
    tasks: BackgroundTasks,
    authority: str = Form(..., max_length=32),
    recall_number: str = Form(..., max_length=200),
    decision: str = Form(..., pattern="^(approve|reject|escalate)$"),
    listing_id: list[str] = Form(default=[]),
    back: str = Form("/review", max_length=500),
    principal: Principal = Depends(PagePermit("review:decide")),
) -> RedirectResponse:
    target = back if back.startswith("/review") else "/review"
    if not listing_id:
        return redirect(target, "Select at least one match first.")
    mine = authority_filter(principal)
    if mine and authority.upper() != mine:
        raise NotFoundError(f"no recall {authority}:{recall_number}")
    approved, skipped = decisions.decide_bulk(
        get_enforcer(request), principal, authority, recall_number, listing_id, decision
    )
    _dispatch(request, tasks, approved)
    n = len(listing_id) - len(skipped)
    msg = (
        f"{decision.capitalize()}: {n} match{'es' if n != 1 else ''} of {authority.upper()} {recall_number}."
    )
    if skipped:
        msg += f" Skipped (no longer active): {', '.join(skipped)}."
    return redirect(target, msg)


@router.get("/review/appeals/{appeal_id}", response_class=HTMLResponse)
def appeal_page(
    request: Request, appeal_id: str, principal: Principal = Depends(PagePermit("review:read"))
) -> Response:
    mine = authority_filter(principal)
    with get_enforcer(request).store.transaction() as uow:
        a = ReviewRepo(uow.session).appeal(appeal_id)
        if a is None or (mine and a.authority != mine):
            raise NotFoundError(f"no appeal {appeal_id}")
        listing = uow.listings.get(a.listing_id)
        recall = uow.recalls.get(a.authority, a.recall_number)
        targets = uow.recalls.targets_of(a.authority, a.recall_number) if recall else []
        matches = uow.matches.active_for_listings([a.listing_id]).get(a.listing_id, [])
        action = next((x for x in uow.actions.for_match(a.listing_id, a.authority, a.recall_number)
                       if x.action_id == a.action_id), None)  # fmt: skip
    match = next(
        (m for m in matches if m.authority == a.authority and m.recall_number == a.recall_number), None
    )
    ranges = [r.text or r.prefix or f"{r.start}–{r.end}" for t in targets for r in t.ranges]
    return render(
        request,
        "review_appeal.html",
        {"a": a, "listing": listing, "recall": recall, "ranges": ranges, "match": match, "action": action,
         "match_href": views.item_href(a.listing_id, a.authority, a.recall_number)},
        principal=principal,
    )  # fmt: skip


@router.post("/review/appeals/{appeal_id}")
def appeal_decide_page(
    request: Request,
    appeal_id: str,
    outcome: str = Form(..., pattern="^(uphold|confirm)$"),
    reason: str = Form("", max_length=2000),
    principal: Principal = Depends(PagePermit("review:decide")),
) -> RedirectResponse:
    enf = get_enforcer(request)
    mine = authority_filter(principal)
    with enf.store.transaction() as uow:
        a = ReviewRepo(uow.session).appeal(appeal_id)
    if a is None or (mine and a.authority != mine):
        raise NotFoundError(f"no appeal {appeal_id}")
    decided = decisions.decide_appeal(enf, principal, appeal_id, outcome, reason)
    what = "upheld — restriction lifted" if decided.state == "upheld" else "decided — restriction confirmed"
    return redirect("/review", f"{a.kind.capitalize()} of {a.listing_id} {what}.")


@router.get("/review/photos/{photo_id}")
def photo(
    request: Request, photo_id: str, principal: Principal = Depends(PagePermit("review:read"))
) -> Response:
    with get_enforcer(request).store.transaction() as uow:
        found = ReviewRepo(uow.session).photo(photo_id)
    if found is None:
        raise NotFoundError(f"no photo {photo_id}")
    _, ctype, data, _ = found
    return Response(
        data,
        media_type=ctype,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600",
                 "Content-Security-Policy": "default-src 'none'"},
    )  # fmt: skip
