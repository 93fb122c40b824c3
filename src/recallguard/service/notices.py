"""Seller notices: for each action, what was done, why, which recall (number, title, hazard, URL), what
to do (the recall's remedy) and until when the seller may appeal — in the seller's language.

Messages come from a catalogue per language (``service/messages/<lang>.yaml``; English and Chinese
ship). The language is, in order: the one asked for (``?lang=``), the seller's stored preference, the
listing's ``language`` field, English. A language without a catalogue falls back to English. The
regulator's own texts (recall title, hazard, remedy) are quoted as published.

>>> sorted(LANGUAGES)
['en', 'zh']
>>> pick_language(None, None, "zh-CN"), pick_language("fr", None, "zh")
('zh', 'en')
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from recallguard.domain.authorities import authority_for
from recallguard.domain.models import Action, ActionKind, ActionState, Listing, Recall
from recallguard.enforcement.state_machine import IN_FORCE, WORLDWIDE
from recallguard.errors import NotFoundError
from recallguard.service.reports import MANY
from recallguard.store import Store
from recallguard.store.enforcement_tables import EnforcementRepo
from recallguard.store.people_tables import SellerPrefsRepo, approval_actors

MESSAGES = Path(__file__).with_name("messages")
LANGUAGES = frozenset(p.stem for p in MESSAGES.glob("*.yaml"))
DEFAULT_LANGUAGE = "en"


@cache
def catalogue(language: str) -> dict[str, Any]:
    """The message catalogue of ``language`` (English when there is none)."""
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE
    data: dict[str, Any] = yaml.safe_load((MESSAGES / f"{lang}.yaml").read_text(encoding="utf-8"))
    return data


def normalise_language(value: str | None) -> str | None:
    """``"zh-CN"`` / ``"zh_Hans"`` / ``"ZH"`` → ``"zh"``; empty → None.

    >>> normalise_language("zh_Hans"), normalise_language(""), normalise_language("EN-us")
    ('zh', None, 'en')
    """
    if not value or not value.strip():
        return None
    return value.strip().replace("_", "-").split("-")[0].lower()


def pick_language(asked: str | None, preference: str | None, listing_language: str | None) -> str:
    """The first of asked / preference / listing language that has a catalogue, else English."""
    first = next(
        (x for x in map(normalise_language, (asked, preference, listing_language)) if x), DEFAULT_LANGUAGE
    )
    return first if first in LANGUAGES else DEFAULT_LANGUAGE


@dataclass
class Notice:
    """A seller notice: structured fields plus the rendered ``subject`` and ``text``."""

    action_id: str
    listing_id: str
    seller_id: str
    language: str
    state: str
    subject: str
    what: str
    why: str
    recall: dict[str, str]
    what_to_do: list[str]
    appeal_deadline: str
    appeal_open: bool
    appeal: str
    text: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Safe(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


# what the marketplace's own risk scoring added to a match's evidence: for reviewers, not for the seller
_SELLER_RISK = re.compile(
    r";?\s*seller \S+ risk [\d.]+:.*?review [\d.]+→[\d.]+(?: \(decision \w+→\w+\))?", re.S
)
_SELLER_LINK = re.compile(r";?\s*(?:same seller \S+|seller linked to \S+ by [^;]*)")


def seller_facing(evidence: str) -> str:
    """Match evidence as a seller may read it: what ties the listing to the recall, without the seller
    risk notes (past actions, accounts linked to it, tightened thresholds) written for reviewers.

    >>> seller_facing("model NL311 in title/model; seller S1 risk 0.50: own history: S1 has 1 action "
    ...               "(recall 1); inherited from S9 (linked by phone); S9 has 2 actions (recall 1) → "
    ...               "block threshold 0.90→0.80, review 0.30→0.20 (decision review→block)")
    'model NL311 in title/model'
    >>> seller_facing("re-listing of removed listing L1 (recall 1): title 0.91 similar; "
    ...               "seller linked to S9 by phone; brand Acme")
    're-listing of removed listing L1 (recall 1): title 0.91 similar; brand Acme'
    """
    return _SELLER_LINK.sub("", _SELLER_RISK.sub("", evidence)).strip("; ")


def _fmt(template: str, values: dict[str, Any]) -> str:
    return template.format_map(_Safe(values))


def _stamp(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def compose(
    action: Action,
    listing: Listing | None,
    recall: Recall | None,
    evidence: str,
    *,
    language: str,
    applied: datetime | None,
    appeal_days: int,
    now: datetime,
) -> Notice:
    """The notice of one action in ``language`` (pure: no store access)."""
    m = catalogue(language)
    auth = authority_for(action.authority)
    countries = "*" if WORLDWIDE in action.countries else ", ".join(action.countries)
    if action.state in (ActionState.REVERSED, ActionState.WITHDRAWN):
        situation = "lifted"
    elif action.state not in IN_FORCE:
        situation = "proposed"
    else:
        situation = "delist" if action.kind == ActionKind.DELIST else "restrict"
    deadline = (action.created_at or applied or now) + timedelta(days=appeal_days)  # as the appeal form
    open_ = situation in ("restrict", "delist") and now <= deadline
    none = m["not_given"]
    values = {
        "listing_id": action.listing_id,
        "title": listing.title if listing else action.listing_id,
        "countries": countries,
        "applied": _stamp(applied or action.created_at),
        "ended": _stamp(action.updated_at),
        "authority_name": auth.name,
        "recall_number": action.recall_number,
        "recall_title": (recall.title if recall else "") or none,
        "evidence": (seller_facing(evidence or action.reason or "") or none).rstrip("."),
        "remedy": (recall.remedy if recall else "") or none,
        "deadline": _stamp(deadline),
        "action_id": action.action_id,
    }
    why_key = "why_rule" if action.recall_number.startswith("rule:") else "why"
    recall_info = {
        "number": action.recall_number,
        "title": values["recall_title"],
        "hazard": (recall.hazard if recall else "") or none,
        "url": recall.url if recall else "",
        "remedy": values["remedy"],
    }
    todo = [_fmt(m["todo"], values), _fmt(m["remedy"], values)]
    appeal = _fmt(m["appeal"] if open_ else m["appeal_closed"], values)
    subject = _fmt(m["subject"][situation], values)
    what = _fmt(m["what"][situation], values)
    why = _fmt(m[why_key], values)
    lines = [subject, "", what, "", why, "", m["recall_heading"]]
    lines += [
        f"- {m['recall_number']}: {recall_info['number']}",
        f"- {m['recall_title']}: {recall_info['title']}",
    ]
    lines += [f"- {m['hazard']}: {recall_info['hazard']}"]
    if recall_info["url"]:
        lines.append(f"- {m['url']}: {recall_info['url']}")
    if m.get("original_text_note"):
        lines.append(m["original_text_note"])
    lines += ["", m["todo_heading"], *(f"- {t}" for t in todo), "", m["appeal_heading"], appeal]
    return Notice(
        action.action_id, action.listing_id, listing.seller_id if listing else "", language if language in
        LANGUAGES else DEFAULT_LANGUAGE, action.state.value, subject, what, why, recall_info, todo,
        deadline.isoformat(), open_, appeal, "\n".join(lines),
    )  # fmt: skip


def notice_for(
    store: Store,
    action_id: str,
    *,
    seller_id: str | None = None,
    language: str | None = None,
    appeal_days: int = 182,
    now: datetime | None = None,
) -> Notice:
    """The notice of a stored action; ``seller_id`` limits it to that seller's listings (404 otherwise)."""
    from datetime import UTC

    at = now or datetime.now(UTC)
    with store.transaction() as uow:
        enf = EnforcementRepo(uow.session)
        found = enf.query_actions(action_id=action_id, seller_id=seller_id, limit=1)
        if not found:
            raise NotFoundError(f"no action {action_id}")
        action = found[0]
        listing = uow.listings.get(action.listing_id)
        recall = uow.recalls.get(action.authority, action.recall_number)
        matches = enf.query_matches(listing_id=action.listing_id, authority=action.authority, limit=MANY)
        evidence = next((m.evidence for m in matches if m.recall_number == action.recall_number), "")
        approved = approval_actors(uow.session, [action.action_id]).get(action.action_id)
        pref = SellerPrefsRepo(uow.session).language_of(listing.seller_id) if listing else None
    lang = pick_language(language, pref, listing.language if listing else None)
    applied = approved[1] if approved else action.created_at
    return compose(
        action, listing, recall, evidence, language=lang, applied=applied, appeal_days=appeal_days, now=at
    )
