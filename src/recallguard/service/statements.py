"""DSA statements of reasons: one per action, with the fields of the EU Transparency Database API
(``POST /api/v1/statements``, schema v2 — the ``statements`` payload of the multiple endpoint), as
JSON or CSV.

- ``decision_visibility``: a restriction for the authority's countries disables access there
  (``DECISION_VISIBILITY_CONTENT_DISABLED``, geo-restricted: see ``territorial_scope``); a delisting
  removes the listing (``DECISION_VISIBILITY_CONTENT_REMOVED``).
- ``decision_ground``: ``DECISION_GROUND_ILLEGAL_CONTENT`` with the legal ground of the authority
  (``illegal_content_legal_ground``) and an explanation naming the recall and hazard.
- ``category``: ``STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS`` (keyword ``KEYWORD_UNSAFE_PRODUCTS``).
- ``source_type``: ``SOURCE_TRUSTED_FLAGGER`` for a regulator's recall (``source_identity`` names it);
  ``SOURCE_VOLUNTARY`` for the platform's own detection (a re-listing caught by the fingerprint bank,
  a category-ban rule).
- ``automated_detection``: ``Yes`` (the matcher found the listing). ``automated_decision``:
  ``AUTOMATED_DECISION_FULLY`` when a block decision was approved automatically,
  ``AUTOMATED_DECISION_PARTIALLY`` when a reviewer approved it or confirmed it on appeal.
- ``puid``: ``<listing id>_<action id prefix>`` (letters, digits, ``-``, ``_`` only; unique per action).

Only EU/EEA country codes are accepted by the Transparency Database: statements of other authorities
(CPSC → ``["US"]``) are "DSA-style" records for the regulator, not submissions.

>>> STATEMENT_FIELDS[:3]
('puid', 'decision_visibility', 'decision_ground')
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from recallguard.domain.authorities import EU_EEA, authority_for
from recallguard.domain.models import Action, ActionKind, ActionState, Listing, Recall
from recallguard.enforcement.state_machine import IN_FORCE, WORLDWIDE
from recallguard.errors import ValidationFailed
from recallguard.service.notices import seller_facing
from recallguard.service.reports import MANY, RELISTING_MARK
from recallguard.store import Store
from recallguard.store.enforcement_tables import EnforcementRepo
from recallguard.store.people_tables import approval_actors
from recallguard.store.review_tables import CONFIRMED, ReviewRepo

CATEGORY = "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS"
KEYWORD = "KEYWORD_UNSAFE_PRODUCTS"
LEGAL_GROUNDS: dict[str, str] = {
    "CPSC": "Consumer Product Safety Act, 15 U.S.C. 2068(a)(2)(B): sale of a product subject to a recall "
    "(corrective action) announced with the U.S. CPSC is prohibited",
    "SAFETYGATE": "Regulation (EU) 2023/988 (General Product Safety Regulation), Articles 9, 22 and 35: "
    "dangerous product subject to a recall or withdrawal notified through the EU Safety Gate",
    "HC": "Canada Consumer Product Safety Act (S.C. 2010, c. 21): consumer product subject to a recall",
}
STATEMENT_FIELDS: tuple[str, ...] = (
    "puid", "decision_visibility", "decision_ground", "illegal_content_legal_ground",
    "illegal_content_explanation", "decision_ground_reference_url", "category", "category_specification",
    "content_type", "territorial_scope", "content_language", "content_date", "application_date",
    "end_date_visibility_restriction", "decision_facts", "source_type", "source_identity",
    "automated_detection", "automated_decision", "account_type",
)  # fmt: skip
STATEMENT_STATES = IN_FORCE | {ActionState.REVERSED, ActionState.WITHDRAWN}
_PUID_BAD = re.compile(r"[^A-Za-z0-9_-]+")


def puid_of(action: Action) -> str:
    """The platform's unique id of an action's statement.

    >>> puid_of(Action("L 1/x", "1", "CPSC", ActionKind.RESTRICT, ["US"], action_id="3f2a9c0d11aa22bb"))
    'L-1-x_3f2a9c0d11aa'
    """
    return f"{_PUID_BAD.sub('-', action.listing_id).strip('-')}_{action.action_id[:12]}"[:500]


def _day(value: datetime | date | None) -> str | None:
    return value.strftime("%Y-%m-%d") if value is not None else None


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def statement_of(
    action: Action,
    listing: Listing | None,
    recall: Recall | None,
    evidence: str,
    approved: tuple[str, datetime] | None,
    reviewed_on_appeal: bool = False,
) -> dict[str, Any]:
    """The statement of reasons of one action (TDB fields, in :data:`STATEMENT_FIELDS` order)."""
    auth = authority_for(action.authority)
    own_detection = RELISTING_MARK in evidence or action.recall_number.startswith("rule:")
    countries = sorted(EU_EEA) if WORLDWIDE in action.countries else sorted(action.countries)
    title = recall.title if recall else action.recall_number
    hazard = f" Hazard: {recall.hazard}" if recall and recall.hazard else ""
    what = "recall" if not action.recall_number.startswith("rule:") else "category ban"
    explanation = (
        f"The listed product matches {auth.name} {what} {action.recall_number} ({title}).{hazard} "
        f"Offering it to buyers in {', '.join(countries)} is not allowed."
    )
    facts = (
        f"{auth.code} {what} {action.recall_number}: {title}. "
        f"Matching evidence: {seller_facing(evidence) or action.reason}"  # public: no seller-risk notes
    )
    applied = approved[1] if approved else action.created_at
    ended = action.updated_at if action.state in (ActionState.REVERSED, ActionState.WITHDRAWN) else None
    language = (listing.language if listing else "").strip().upper()
    out: dict[str, Any] = {
        "puid": puid_of(action),
        "decision_visibility": [
            "DECISION_VISIBILITY_CONTENT_REMOVED"
            if action.kind == ActionKind.DELIST
            else "DECISION_VISIBILITY_CONTENT_DISABLED"
        ],
        "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
        "illegal_content_legal_ground": _clip(LEGAL_GROUNDS.get(auth.code, f"{auth.name} recall"), 500),
        "illegal_content_explanation": _clip(explanation, 2000),
        "decision_ground_reference_url": (recall.url if recall and recall.url else None),
        "category": CATEGORY,
        "category_specification": [KEYWORD],
        "content_type": ["CONTENT_TYPE_PRODUCT"],
        "territorial_scope": countries,
        "content_language": language if re.fullmatch(r"[A-Z]{2}", language) else None,
        "content_date": _day((listing.created_at if listing else None) or action.created_at),
        "application_date": _day(applied),
        "end_date_visibility_restriction": _day(ended),
        "decision_facts": _clip(facts, 5000),
        "source_type": "SOURCE_VOLUNTARY" if own_detection else "SOURCE_TRUSTED_FLAGGER",
        "source_identity": None if own_detection else auth.name,
        "automated_detection": "Yes",
        "automated_decision": (
            "AUTOMATED_DECISION_PARTIALLY" if approved or reviewed_on_appeal else "AUTOMATED_DECISION_FULLY"
        ),
        "account_type": "ACCOUNT_TYPE_BUSINESS",
    }
    return out


def statements(store: Store, authority: str | None = None, since: date | None = None) -> list[dict[str, Any]]:
    """Statements of every restriction or delisting that was applied (in force, reversed, or withdrawn
    after a recorded approval), of ``authority`` (every one when None), applied on or after ``since``."""
    code = authority_for(authority).code if authority else None
    with store.transaction() as uow:
        enf = EnforcementRepo(uow.session)
        approvals = approval_actors(uow.session)
        actions = [
            a
            for a in enf.query_actions(authority=code, limit=MANY)
            if a.kind in (ActionKind.RESTRICT, ActionKind.DELIST)
            and a.state in STATEMENT_STATES
            and (a.state != ActionState.WITHDRAWN or a.action_id in approvals)
        ]
        listings = {x.listing_id: x for x in uow.listings.get_many({a.listing_id for a in actions})}
        evidence = {
            (m.listing_id, m.authority, m.recall_number): m.evidence
            for m in enf.query_matches(authority=code, limit=MANY)
        }
        confirmed = {
            a.action_id
            for a in ReviewRepo(uow.session).appeals(
                state=CONFIRMED, action_ids=[a.action_id for a in actions]
            )
        }
        recalls: dict[tuple[str, str], Recall | None] = {}
        out = []
        for a in actions:
            key = (a.authority, a.recall_number)
            if key not in recalls:
                recalls[key] = uow.recalls.get(*key)
            st = statement_of(
                a,
                listings.get(a.listing_id),
                recalls[key],
                evidence.get((a.listing_id, a.authority, a.recall_number), ""),
                approvals.get(a.action_id),
                a.action_id in confirmed,
            )
            if since is None or (st["application_date"] or "") >= since.isoformat():
                out.append(st)
    return out


def to_json(items: Iterable[dict[str, Any]]) -> str:
    """``{"statements": [...]}``, the body of the Transparency Database's multiple endpoint (≤ 100 per
    call: split before submitting)."""
    return json.dumps({"statements": list(items)}, ensure_ascii=False, indent=1)


def to_csv(items: Iterable[dict[str, Any]]) -> str:
    """One row per statement, the columns of :data:`STATEMENT_FIELDS`; lists as JSON arrays.

    >>> to_csv([{"puid": "L1_a", "territorial_scope": ["DE", "FR"]}]).splitlines()[1].strip(",")
    'L1_a,,,,,,,,,"[""DE"", ""FR""]"'
    """
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(STATEMENT_FIELDS), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for st in items:
        w.writerow(
            {
                k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else ("" if v is None else v)
                for k, v in st.items()
            }
        )
    return buf.getvalue()


def parse_since(value: str | None) -> date | None:
    """``YYYY-MM-DD`` (or an ISO timestamp) → date; None stays None.

    >>> parse_since("2026-03-01")
    datetime.date(2026, 3, 1)
    """
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise ValidationFailed(
            f"since: not a date: {value!r} (use YYYY-MM-DD)", location="since", field="since"
        ) from None
