"""Pair features for (listing, target): what a reviewer looks at, as numbers, plus the evidence
text that explains them.

>>> FEATURES[:3]
('gtin_match', 'gtin_conflict', 'model_match')
"""

from __future__ import annotations

from rapidfuzz import fuzz

from recallguard.matching.index import TargetIndex
from recallguard.matching.profiles import ListingProfile, TargetProfile

#: +1: more of it never lowers the probability; -1: never raises it; 0: free (LightGBM monotone constraints).
MONOTONE: dict[str, int] = {
    "gtin_match": 1, "gtin_conflict": -1, "model_match": 1, "model_match_desc": 1, "model_conflict": -1,
    "brand_sim": 1, "brand_in_title": 1, "brand_conflict": -1, "name_cover": 1, "type_cover": 1,
    "title_cover": 1, "name_ratio": 1, "desc_overlap": 1, "accessory": -1,
    "name_gap": 1, "desc_gap": 1, "text_gap": 1, "brand_gap": 1,
}  # fmt: skip

FEATURES: tuple[str, ...] = (
    "gtin_match",
    "gtin_conflict",
    "model_match",
    "model_match_desc",
    "model_conflict",
    "listing_has_model",
    "target_has_model",
    "brand_sim",
    "brand_in_title",
    "brand_conflict",
    "name_cover",
    "type_cover",
    "title_cover",
    "name_ratio",
    "desc_overlap",
    "desc_present",
    "accessory",
    "n_blockers",
    "name_gap",
    "desc_gap",
    "text_gap",
    "brand_gap",
    "n_candidates",
)

#: listwise features: how far this candidate is ahead of the listing's best *other* candidate
_GAPS = (("name_gap", "name_cover"), ("desc_gap", "desc_overlap"), ("text_gap", "title_cover"),
         ("brand_gap", "brand_sim"))  # fmt: skip
_IDX = {f: i for i, f in enumerate(FEATURES)}


def add_listwise(group: list[list[float]]) -> None:
    """Fill the gap features of one listing's candidate rows in place (each row vs the best other row).

    >>> rows = [[0.0] * len(FEATURES) for _ in range(2)]
    >>> rows[0][_IDX["name_cover"]], rows[1][_IDX["name_cover"]] = 0.9, 0.4
    >>> add_listwise(rows); [round(r[_IDX["name_gap"]], 2) for r in rows]
    [0.5, -0.5]
    """
    n = len(group)
    for gap, base in _GAPS:
        gi, bi = _IDX[gap], _IDX[base]
        vals = [r[bi] for r in group]
        if n == 1:
            group[0][gi] = vals[0]
            continue
        order = sorted(range(n), key=lambda k: -vals[k])
        top, second = vals[order[0]], vals[order[1]]
        for k in range(n):
            group[k][gi] = vals[k] - (second if k == order[0] else top)
    for r in group:
        r[_IDX["n_candidates"]] = float(n)


def _weighted_cover(needles: tuple[str, ...] | frozenset[str], hay: set[str], index: TargetIndex) -> float:
    total = 0.0
    got = 0.0
    for t in needles:
        w = index.token_idf(t)
        total += w
        if t in hay:
            got += w
    return got / total if total else 0.0


def _prefix_model_match(listing_models: frozenset[str], target_models: frozenset[str]) -> bool:
    """A listing model that extends a recalled one or vice versa ('885S01' vs '885S0102')."""
    for a in listing_models:
        for b in target_models:
            if len(a) >= 4 and len(b) >= 4 and (a.startswith(b) or b.startswith(a)):
                return True
    return False


def pair_features(
    lp: ListingProfile,
    tp: TargetProfile,
    index: TargetIndex,
    brand_hit: tuple[str, str, float] | None,
    blockers: set[str],
) -> tuple[list[float], list[str]]:
    """Feature vector (in ``FEATURES`` order) and evidence phrases for one candidate pair."""
    ev: list[str] = []
    gtin_match = bool(lp.gtins & tp.gtins)
    if gtin_match:
        ev.append(f"GTIN {next(iter(lp.gtins & tp.gtins)).lstrip('0')} matches")
    gtin_conflict = bool(lp.gtins) and bool(tp.gtins) and not gtin_match
    field_hit = lp.field_models & tp.models
    desc_hit = (lp.all_models & tp.models) - field_hit
    model_match = bool(field_hit) or _prefix_model_match(lp.field_models, tp.models)
    if field_hit:
        ev.append(f"model {', '.join(sorted(field_hit))} in title/model")
    elif model_match:
        ev.append("model number extends a recalled one")
    if desc_hit:
        ev.append(f"model {', '.join(sorted(desc_hit))} in description")
    model_conflict = bool(lp.field_models) and bool(tp.models) and not model_match and not desc_hit
    if model_conflict:
        ev.append(f"model conflict: listing {', '.join(sorted(lp.field_models))[:40]} not recalled")
    brand_sim = brand_hit[2] if brand_hit else 0.0
    brand_in_title = 1.0 if brand_hit and brand_hit[1].startswith("title") else 0.0
    if brand_hit:
        ev.append(f"brand {tp.target.brand} ({brand_hit[1]})")
    brand_conflict = 0.0
    if lp.brand_norm and tp.brand_forms and not (brand_hit and brand_hit[1].startswith("brand field")):
        words = [w for w in lp.brand_norm.split() if len(w) >= 2]
        in_text = any(w in tp.text_tokens or w in tp.brand_tokens for w in words)
        if not in_text and max(fuzz.ratio(lp.brand_norm, f) for f in tp.brand_forms) < 70:
            brand_conflict = 1.0
            ev.append(f"brand conflict: listing brand {lp.listing.brand!r}")
    title_set = lp.title_set
    name_cover = _weighted_cover(tp.name_tokens, title_set, index)
    type_cover = _weighted_cover(tp.type_tokens, title_set, index) if tp.type_tokens else name_cover
    content = [t for t in title_set if t not in tp.brand_tokens and t.isalpha() and len(t) > 2]
    title_cover = _weighted_cover(tuple(content), set(tp.text_tokens), index) if content else 0.0
    if name_cover >= 0.5:
        ev.append(f"product name {tp.target.product_name!r} {name_cover:.0%} in title")
    name_ratio = fuzz.token_set_ratio(lp.title_norm, tp.name_norm) / 100.0 if tp.name_norm else 0.0
    desc_present = len(lp.desc_tokens) >= 4
    desc_overlap = len(lp.desc_tokens & tp.text_tokens) / len(lp.desc_tokens) if desc_present else 0.0
    if desc_overlap >= 0.6:
        ev.append(f"description {desc_overlap:.0%} from the recall text")
    accessory = 1.0 if lp.accessory and not tp.is_accessory else 0.0
    if accessory:
        ev.append(f"accessory cue {lp.accessory!r}")
    vec = [
        float(gtin_match),
        float(gtin_conflict),
        float(model_match),
        float(bool(desc_hit)),
        float(model_conflict),
        float(bool(lp.field_models)),
        float(bool(tp.models)),
        brand_sim,
        brand_in_title,
        brand_conflict,
        name_cover,
        type_cover,
        title_cover,
        name_ratio,
        desc_overlap,
        float(desc_present),
        accessory,
        float(len(blockers)),
        0.0,  # gaps and candidate count: filled per listing by add_listwise
        0.0,
        0.0,
        0.0,
        0.0,
    ]
    return vec, ev
