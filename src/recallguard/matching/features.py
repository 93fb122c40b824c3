"""Pair features for (listing, target): what a reviewer looks at, as numbers, plus the evidence
text that explains them.

>>> FEATURES[:3]
('gtin_match', 'gtin_conflict', 'model_match')
"""

from __future__ import annotations

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

from recallguard.matching.normalize import normalize_text, word_token
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
_CONFLICTS = (_IDX["gtin_conflict"], _IDX["model_conflict"], _IDX["brand_conflict"])
#: Listing brands remembered per target for the brand-conflict check (a target meets few brands; the cap
#: keeps a server's memory bounded: at most this many short entries per target).
BRAND_MEMO = 256
MISSPELT_MIN_LEN = 5  # shorter words are too near too many others to call one a misspelling
MISSPELT_MIN_RATIO = 85  # one swapped pair of letters in a seven-letter word (rapidfuzz's Indel ratio)
SWAP_RATIO_LEN = 7  # below: one edit, a swap counting one, read with Damerau-Levenshtein


def add_listwise(group: list[list[float]]) -> None:
    """Fill the gap features of one listing's candidate rows in place: each row against the best
    *competing* row — another candidate that the listing does not contradict (no GTIN, model or brand
    conflict). A gap measures doubt about which recalled product the listing is; a recall whose brand or
    model number the listing contradicts raises no such doubt, however well its product name fits. (Against
    every other row, an index grown to 5,000 recalls of many firms turned 8 % of dev's blocks into
    reviews: other firms' recalls of the same kind of product tied the gaps to nothing.)

    >>> rows = [[0.0] * len(FEATURES) for _ in range(3)]
    >>> for r, v in zip(rows, (0.9, 0.4, 0.9), strict=True): r[_IDX["name_cover"]] = v
    >>> add_listwise(rows); [round(r[_IDX["name_gap"]], 2) for r in rows]
    [0.0, -0.5, 0.0]
    >>> rows[2][_IDX["brand_conflict"]] = 1.0  # the listing names another brand than the third recall's
    >>> add_listwise(rows); [round(r[_IDX["name_gap"]], 2) for r in rows]
    [0.5, -0.5, 0.0]
    """
    n = len(group)
    rivals = [k for k in range(n) if not any(group[k][c] for c in _CONFLICTS)]
    for gap, base in _GAPS:
        gi, bi = _IDX[gap], _IDX[base]
        ranked = sorted(rivals, key=lambda j: -group[j][bi])[:2]  # the best two competitors (stable order)
        for k in range(n):
            own = group[k][bi]
            best = next((group[j][bi] for j in ranked if j != k), None)
            group[k][gi] = own if best is None else round(own - best, 9)  # float noise is no gap
    for r in group:
        r[_IDX["n_candidates"]] = float(n)


def _cover(weights: tuple[tuple[str, float], ...], total: float, hay: frozenset[str]) -> float:
    if not total:
        return 0.0
    return sum([w for t, w in weights if t in hay]) / total


def _prefix_model_match(listing_models: frozenset[str], target_models: frozenset[str]) -> bool:
    """A listing model that extends a recalled one or vice versa ('885S01' vs '885S0102')."""
    for a in listing_models:
        for b in target_models:
            if len(a) >= 4 and len(b) >= 4 and (a.startswith(b) or b.startswith(a)):
                return True
    return False


def _model_conflict(lp: ListingProfile, tp: TargetProfile) -> bool:
    """The listing names model numbers, the recall names some, and none of the listing's appear in it; or
    the model the listing declares in its model field, read whole, is none of the recalled ones (parts of
    codes coincide across a range: '4PHL' in JF4426-4PHL and in the recalled JF1126-4PHL)."""
    if not lp.field_models or not tp.text_models:
        return False
    if lp.field_models.isdisjoint(tp.text_models):
        return True
    d = lp.declared_model
    return (
        bool(d) and bool(tp.models) and d not in tp.text_models
        and not _prefix_model_match(frozenset((d,)), tp.models)
    )  # fmt: skip


def _brand_conflict(lp: ListingProfile, tp: TargetProfile, brand_hit: tuple[str, str, float] | None) -> bool:
    """The listing declares a brand that is none of the target's brand forms and not in the recall text."""
    if not lp.brand_norm or not tp.brand_forms or (brand_hit and brand_hit[1].startswith("brand field")):
        return False
    far = tp.brand_far.get(lp.brand_norm)  # the rest depends on the two brands only: memoised per target
    if far is None:
        if len(tp.brand_far) > BRAND_MEMO:
            tp.brand_far.clear()
        words = [w for w in lp.brand_norm.split() if len(w) >= 2]
        far = (
            not any(w in tp.text_tokens or w in tp.brand_tokens for w in words)
            and max(fuzz.ratio(lp.brand_norm, f) for f in tp.brand_forms) < 70
            and not any(_misspelt_in(w, tp.text_tokens) for w in words)
        )
        tp.brand_far[lp.brand_norm] = far
    return far


def _accessory_conflict(lp: ListingProfile, tp: TargetProfile) -> bool:
    """An accessory listing against a recall of the product itself — or of another accessory: a case
    for a pool ladder is not the ladder's recalled replacement parts. (Only for a listing with a cue.)"""
    if not tp.is_accessory:
        return True
    return bool(lp.accessory_words) and lp.accessory_words.isdisjoint(tp.text_tokens)


def _misspelt_in(word: str, text_tokens: frozenset[str]) -> bool:
    """A brand-field word of five letters or more that is a misspelling of a word of the recall's text
    (a swapped, dropped or doubled letter: "Bombarider" for the recalling Bombardier, "Balck" for Black
    Diamond: one edit, a swap counting as one, with the first letter kept).

    >>> words = frozenset({"bombardier", "snowmobile", "black"})
    >>> _misspelt_in("bombarider", words), _misspelt_in("bombastic", words), _misspelt_in("bomb", words)
    (True, False, False)
    >>> _misspelt_in("balck", words), _misspelt_in("slack", words)
    (True, False)
    """
    word = word.replace("'", "")
    if len(word) < MISSPELT_MIN_LEN or not word.isalpha():
        return False
    near = process.extractOne(word, text_tokens, scorer=fuzz.ratio, score_cutoff=MISSPELT_MIN_RATIO)
    if near is not None or len(word) >= SWAP_RATIO_LEN:
        return near is not None  # from seven letters on, one swap keeps the ratio above the bar
    close = process.extract(word, text_tokens, scorer=DamerauLevenshtein.distance, score_cutoff=1, limit=None)
    return any(t[:1] == word[:1] for t, _, _ in close)


def _name_ratio(lp: ListingProfile, tp: TargetProfile) -> float:
    """Token-set similarity of the title and the product name; a misspelt title word is also read as its
    correction, and a word as its synonym (the reading this recall uses, else the first): "Scooers" costs
    the title nothing that "Scooters" did not, nor "pram" what "stroller" did not."""
    if not tp.name_norm:
        return 0.0
    ratio = fuzz.token_set_ratio(lp.title_norm, tp.name_norm)
    if lp.corrections and ratio < 100:
        text, fixes, name = tp.text_tokens, lp.corrections, tp.name_tokens
        words = []
        for w in lp.title_norm.split():
            f = fixes.get(word_token(w))
            if f:  # the reading the product name uses, else one the recall's text uses, else the first
                x = next((x for x in f if x in name), None) or next((x for x in f if x in text), f[0])
                if x in lp.synonyms:  # another word: singular or plural as the product name writes it
                    w = x + "s" if f" {x}s " in f" {tp.name_norm} " else x
                else:
                    w = x + "s" if w.endswith("s") and not x.endswith("s") else x  # plural as written
            words.append(w)
        ratio = max(ratio, fuzz.token_set_ratio(" ".join(words), tp.name_norm))
    return ratio / 100.0


def pair_features(
    lp: ListingProfile,
    tp: TargetProfile,
    brand_hit: tuple[str, str, float] | None,
    blockers: set[str],
    key_hit: bool = False,
) -> list[float]:
    """Feature vector (in ``FEATURES`` order) for one candidate pair; no strings built (hot path)."""
    gtin_match = not lp.gtins.isdisjoint(tp.gtins)
    field_hit = not lp.field_models.isdisjoint(tp.models)
    desc_hit = not field_hit and not lp.all_models.isdisjoint(tp.models)
    model_match = (
        field_hit or key_hit or (bool(lp.field_models) and _prefix_model_match(lp.field_models, tp.models))
    )
    title_set = lp.title_set if not lp.synonyms else lp.title_set | lp.synonyms
    name_cover = _cover(tp.name_weights, tp.name_mass, title_set)
    type_cover = _cover(tp.type_weights, tp.type_mass, title_set) if tp.type_weights else name_cover
    title_cover = 0.0
    if lp.content_idf or lp.content_alts or lp.descriptors:
        brand, text = tp.brand_tokens, tp.text_tokens
        tot = got = 0.0
        for t, w in lp.content_idf:
            if t not in brand:
                tot += w
                if t in text:
                    got += w
        for t, w in lp.descriptors:  # "kids", "gift": a word this recall uses counts, no other does
            if t in text and t not in brand:
                tot += w
                got += w
        for readings in lp.content_alts:  # one word: the reading this recall uses, else the lightest
            if all(t not in brand for t, _ in readings):
                w = next((w for t, w in readings if t in text), 0.0)
                tot += w or min(x for _, x in readings)
                got += w
        title_cover = got / tot if tot else 0.0
    n_desc = len(lp.desc_tokens)
    desc_present = n_desc >= 4
    return [
        float(gtin_match),
        float(bool(lp.gtins) and bool(tp.gtins) and not gtin_match),
        float(model_match),
        float(desc_hit),
        float(_model_conflict(lp, tp) and not model_match and not desc_hit),
        float(bool(lp.field_models)),
        float(bool(tp.models)),
        brand_hit[2] if brand_hit else 0.0,
        1.0 if brand_hit and brand_hit[1].startswith("title") else 0.0,
        float(_brand_conflict(lp, tp, brand_hit)),
        name_cover,
        type_cover,
        title_cover,
        _name_ratio(lp, tp),
        len(lp.desc_tokens & tp.text_tokens) / n_desc if desc_present else 0.0,
        float(desc_present),
        float(bool(lp.accessory) and _accessory_conflict(lp, tp)),
        float(len(blockers)),
        0.0,  # gaps and candidate count: filled per listing by add_listwise
        0.0,
        0.0,
        0.0,
        0.0,
    ]


def explain(
    lp: ListingProfile,
    tp: TargetProfile,
    vec: list[float],
    brand_hit: tuple[str, str, float] | None,
    written: str = "",
) -> str:
    """The evidence a reviewer reads for one scored pair, from its features.

    e.g. "model KY055 in title/model; brand Gudook (brand field exact); product name 'Gudook Adult Bike
    Helmets' 100% in title"
    """
    f = dict(zip(FEATURES, vec, strict=True))
    ev: list[str] = []
    if f["gtin_match"]:
        ev.append(f"GTIN {sorted(lp.gtins & tp.gtins)[0].lstrip('0')} matches")
    if f["gtin_conflict"]:
        ev.append("GTIN differs from the recalled ones")
    hit = lp.field_models & tp.models
    if hit:
        ev.append(f"model {', '.join(sorted(hit))} in title/model")
    elif f["model_match"] and written:
        ev.append(f"model {written!r} read as a recalled model number")
    elif f["model_match"]:
        ev.append("model number extends a recalled one")
    if f["model_match_desc"]:
        ev.append(f"model {', '.join(sorted(lp.all_models & tp.models))} in description")
    if f["model_conflict"]:
        ev.append(f"model conflict: listing {', '.join(sorted(lp.field_models))[:40]} not recalled")
    if brand_hit:
        ev.append(f"brand {brand_shown(tp, brand_hit[0])} ({brand_hit[1]})")
    if f["brand_conflict"]:
        ev.append(f"brand conflict: listing brand {lp.listing.brand!r}")
    if f["name_cover"] >= 0.5:
        ev.append(f"product name {tp.target.product_name!r} {f['name_cover']:.0%} in title")
    if f["desc_overlap"] >= 0.6:
        ev.append(f"description {f['desc_overlap']:.0%} from the recall text")
    if f["accessory"]:
        ev.append(f"accessory cue {lp.accessory!r}")
    if fixed := lp.fixed_tokens & (tp.key_tokens | tp.text_tokens):  # only the words of this recall
        ev.append(f"misspelt words read as {', '.join(sorted(fixed))}")
    if same := lp.synonyms & tp.text_tokens:
        ev.append(f"title words read as their synonyms {', '.join(sorted(same))}")
    return "; ".join(ev) or "text similarity"


def brand_shown(tp: TargetProfile, form: str) -> str:
    """The recall's brand as a reviewer reads it, with the name the listing matched when that was
    another name than the brand's (a company, another brand of the recall: "Tailwind as 'Burley
    Design'": the listing says Burley, the recalled product line is Tailwind).

    >>> from recallguard.domain.models import Target
    >>> from recallguard.matching.profiles import target_profile
    >>> tp = target_profile(Target("1", "CPSC", brand="Tailwind", brand_aliases=["Burley Design"]))
    >>> brand_shown(tp, "tailwind"), brand_shown(tp, "burley design"), brand_shown(tp, "burley")
    ('Tailwind', "Tailwind as 'Burley Design'", "Tailwind as 'burley'")
    >>> brand_shown(target_profile(Target("2", "CPSC", brand="West Marine")), "west")
    'West Marine'
    """
    t = tp.target
    if not t.brand or not set(form.split()).isdisjoint(tp.brand_norm.split()):
        return t.brand or form  # the brand or a part of it ("West Marine" matched as "west")
    written = next((a for a in t.brand_aliases if normalize_text(a) == form), form)
    return f"{t.brand} as {written!r}"
