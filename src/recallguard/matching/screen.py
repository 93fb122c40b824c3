"""The screener: listings in, matches worth acting on out.

One ``Screener`` holds the target indexes (built once, swapped whole when recalls change), a pair
scorer and the decision policy. Extra checks (category-ban rules, the fingerprint bank of removed
listings) plug in as callables ``(Listing) -> list[Match]`` and answer in the same call.

>>> from recallguard.domain.models import Listing, Target
>>> s = Screener([Target("26561", "CPSC", brand="BABESIDE", product_name="Doll and Stroller Toys",
...                      product_type="doll stroller toy", model_numbers=["BS-100"])])
>>> l1 = Listing("L1", "BABESIDE doll stroller toy BS-100")
>>> [(m.recall_number, m.decision.value) for m in s.screen(l1)]
[('26561', 'block')]
>>> s.screen(Listing("L2", "Garden hose 20 m"))
[]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from itertools import islice

import numpy as np

from recallguard.domain.models import DecisionKind, Listing, Match, Target
from recallguard.domain.policy import DecisionPolicy, preference
from recallguard.matching.features import FEATURES, add_listwise, explain, pair_features
from recallguard.matching.index import TargetIndex
from recallguard.matching.profiles import ListingProfile, TargetProfile, listing_profile
from recallguard.matching.scorer import PairScorer, RuleScorer
from recallguard.matching.stuffing import MIN_BRANDS, title_parts

Check = Callable[[Listing], list[Match]]
#: Per listing and authority the best recall is kept, and another only when it scores within this margin:
#: one restriction per authority already keeps the listing from that authority's buyers, and a clearly
#: weaker second recall is usually a sibling product or an older notice of the same one.
SECOND_MATCH_MARGIN = 0.03
#: Scores closer than this are a tie. Only the best recall per listing and authority is blocked by words
#: alone (recalls tied with it too: nothing tells them apart); a runner-up goes to review. The best one's
#: block already keeps the listing from that authority's buyers, and a runner-up is most often a sibling
#: notice of another model of the brand. A recall whose GTIN or model number the listing carries is
#: blocked whatever its rank: the identifier settles it, and each such recall's report must show the
#: listing blocked.
TIE = 1e-6
MAX_MATCHES_PER_AUTHORITY = 3  # ties beyond this (one product recalled many times) add no protection


class Screener:
    """Screens listings against targets (and any extra checks)."""

    def __init__(
        self,
        targets: Sequence[Target],
        policy: DecisionPolicy | None = None,
        checks: Sequence[Check] = (),
        scorer: PairScorer | None = None,
    ) -> None:
        self.targets = list(targets)
        self.index = TargetIndex(self.targets)
        self.policy = policy or DecisionPolicy()
        self.checks = list(checks)
        self.scorer: PairScorer = scorer or default_scorer()
        self.model_version = self.scorer.version
        self._cols = [FEATURES.index(f) for f in self.scorer.feature_names]
        self._authority = [p.target.authority for p in self.index.profiles]

    def screen(self, listing: Listing) -> list[Match]:
        """Matches (block or review) for one listing, best first."""
        return self.screen_batch([listing])[0]

    def screen_many(
        self, listings: Iterable[Listing], batch_size: int = 512
    ) -> Iterator[tuple[Listing, list[Match]]]:
        """Screen a stream of listings in batches; yields every listing with its matches."""
        it = iter(listings)
        while batch := list(islice(it, batch_size)):
            yield from zip(batch, self.screen_batch(batch), strict=True)

    def candidate_pairs(
        self, listings: Sequence[Listing]
    ) -> tuple[list[list[float]], list[tuple[int, int, ListingProfile]]]:
        """Feature rows and (listing index, target index, listing profile) per candidate pair of a batch."""
        rows: list[list[float]] = []
        meta: list[tuple[int, int, ListingProfile]] = []
        profiles = [listing_profile(listing) for listing in listings]
        for li, (listing, lp, cands) in enumerate(
            zip(listings, profiles, self.index.candidates_many(profiles), strict=True)
        ):
            if not cands:
                continue
            self._add_group(li, lp, cands, rows, meta)
            forms = {h[0] for h in lp.brand_hits.values() if h[1] == "title exact"}
            if len(forms) >= MIN_BRANDS:  # keyword stuffing: each brand's part of the title read alone
                for part in title_parts(listing.title, forms):
                    vlp = listing_profile(replace(listing, title=part))
                    vc = self.index.candidates(vlp)
                    if vc:
                        self._add_group(li, vlp, vc, rows, meta)
        return rows, meta

    def _add_group(
        self,
        li: int,
        lp: ListingProfile,
        cands: dict[int, set[str]],
        rows: list[list[float]],
        meta: list[tuple[int, int, ListingProfile]],
    ) -> None:
        group = []
        for ti, blockers in cands.items():
            group.append(
                pair_features(lp, self.index.profiles[ti], lp.brand_hits.get(ti), blockers,
                              ti in lp.model_key_hits)
            )  # fmt: skip
            meta.append((li, ti, lp))
        add_listwise(group)
        rows.extend(group)

    def screen_batch(self, listings: Sequence[Listing]) -> list[list[Match]]:
        """Matches for each listing of a batch (features for the whole batch scored at once). Leetspeak
        words are decoded first (:class:`~recallguard.matching.leet.LeetDecoder`) and recalled brands glued
        to other words written apart (:class:`~recallguard.matching.glued.GlueSplitter`); the extra checks
        see each listing as it was written."""
        written = listings
        listings = [self.index.read(x) for x in listings]
        rows, meta = self.candidate_pairs(listings)
        out: list[list[Match]] = [[] for _ in listings]
        if rows:
            x = np.asarray(rows, dtype=np.float64)[:, self._cols]
            probs: list[float] = self.scorer.predict(x).tolist()
            authority = self._authority
            best: dict[tuple[int, str], float] = {}
            top: dict[tuple[int, int], int] = {}  # (listing, target) → its best row (stuffed titles: parts)
            profiles = self.index.profiles
            for k, ((li, ti, lp), p) in enumerate(zip(meta, probs, strict=True)):
                part = lp.listing
                has_evidence = has_product_evidence(rows[k])
                mid_title = part is not listings[li] and not listings[li].title.startswith(part.title)
                if mid_title and not has_evidence:
                    continue  # a brand named mid-title with nothing of its product is the stuffing itself
                if not has_evidence:
                    t = profiles[ti].target
                    if self.policy.decide(p, t.authority, t.priority) is not DecisionKind.BLOCK:
                        continue  # worth nothing (see below): it must not outrank a reading with evidence
                key = (li, authority[ti])
                best[key] = max(best.get(key, 0.0), p)
                if (li, ti) not in top or p > probs[top[(li, ti)]] + TIE:  # ties: the whole title
                    top[(li, ti)] = k
            for k in sorted(top.values()):
                (li, ti, lp), score = meta[k], probs[k]
                t = self.index.profiles[ti].target
                if score < best[(li, t.authority)] - SECOND_MATCH_MARGIN:
                    continue
                decision = self.policy.decide(score, t.authority, t.priority)
                code = ""
                if decision is DecisionKind.NONE:
                    code = named_model(rows[k], lp, self.index.profiles[ti])
                    if not code:
                        continue
                    decision = DecisionKind.REVIEW  # the recalled code and product, the brand left off
                feats = dict(zip(FEATURES, rows[k], strict=True))
                identified = bool(feats["gtin_match"] or feats["model_match"])
                runner_up = score < best[(li, t.authority)] - TIE and not identified
                evidence = explain(lp, self.index.profiles[ti], rows[k], lp.brand_hits.get(ti),
                                   lp.model_key_hits.get(ti, ""))  # fmt: skip
                if code:
                    evidence += f"; the recalled model {code} and product without its brand: review"
                if lp.listing is not listings[li]:
                    evidence += f"; keyword stuffing: read on the title's part {lp.listing.title[:80]!r}"
                if not has_product_evidence(rows[k]):
                    if decision is not DecisionKind.BLOCK:
                        continue  # a brand sells many products: its name alone is not worth a review
                    decision = DecisionKind.REVIEW  # never block on the brand alone
                    evidence += "; nothing but the brand ties it to the recalled product: review"
                elif runner_up and decision is DecisionKind.BLOCK:
                    decision = DecisionKind.REVIEW  # the best recall's block already keeps it from buyers
                    evidence += "; another recall of this authority fits it better: review"
                out[li].append(
                    Match(listings[li].listing_id, t.recall_number, t.authority, round(score, 4), decision,
                          evidence, feats, self.model_version)
                )  # fmt: skip
        for li, listing in enumerate(written):
            if len(out[li]) > 1:
                out[li] = _one_per_recall(out[li])
            if len(out[li]) > MAX_MATCHES_PER_AUTHORITY:
                out[li] = _cap_per_authority(out[li])
            for check in self.checks:
                out[li].extend(check(listing))
            out[li].sort(key=lambda m: (-m.score, m.recall_number))  # ties in one order in every process
        return out


_MODEL_FLOOR_COLS = tuple(
    FEATURES.index(f)
    for f in ("model_match", "type_cover", "name_cover", "brand_conflict", "gtin_conflict", "model_conflict",
              "accessory")
)  # fmt: skip
MIN_NAMED_CODE = 5  # a code this long, of letters and digits, names one product; "1200", "800R" do not


def named_model(row: Sequence[float], lp: ListingProfile, tp: TargetProfile) -> str:
    """The recalled model number a listing writes in its title or model field, where the listing also
    names the recalled product's type or name, declares no other brand and is no accessory: the model
    number and the product are the recalled ones whatever the brand the seller left off (sellers of
    unbranded copies write the maker's code). '' otherwise. The model may score such a listing low
    (a brand is most of what ties a short title to a recall); the screener then sends it to review.

    >>> from recallguard.domain.models import Listing, Target
    >>> from recallguard.matching.profiles import listing_profile, target_profile
    >>> tp = target_profile(Target("1", "CPSC", brand="Gudook", product_name="Gudook Adult Bike Helmets",
    ...                            product_type="bike helmet", model_numbers=["KY-055"]))
    >>> row = [0.0] * len(FEATURES)
    >>> for f, v in (("model_match", 1.0), ("type_cover", 1.0)):
    ...     row[FEATURES.index(f)] = v
    >>> named_model(row, listing_profile(Listing("L", "adult bike helmet KY-055")), tp)
    'KY055'
    """
    match, type_cover, name_cover, brand_conflict, gtin_conflict, model_conflict, accessory = (
        row[i] for i in _MODEL_FLOOR_COLS
    )
    if not match or max(type_cover, name_cover) < 0.5 or brand_conflict or gtin_conflict or model_conflict:
        return ""
    if accessory:
        return ""
    codes = sorted(c for c in lp.field_models & tp.models
                   if len(c) >= MIN_NAMED_CODE and not c.isdigit() and not c.isalpha())  # fmt: skip
    return codes[0] if codes else ""


_EVIDENCE_COLS = tuple(FEATURES.index(f) for f in ("gtin_match", "model_match", "type_cover", "name_cover",
                                                    "desc_overlap"))  # fmt: skip


def has_product_evidence(row: Sequence[float]) -> bool:
    """Whether anything beyond the brand ties a listing to the recalled product: an identifier, the
    product type or name in the title, or the recall's own description (``row``: a feature row in
    ``FEATURES`` order).

    >>> row = [0.0] * len(FEATURES)
    >>> row[FEATURES.index("name_cover")] = 0.2
    >>> has_product_evidence(row), has_product_evidence(row[:10] + [0.6] + row[11:])
    (False, True)
    """
    g, m, t, n, d = (row[c] for c in _EVIDENCE_COLS)
    return bool(g or m or t >= 0.5 or n >= 0.5 or d >= 0.5)


def _one_per_recall(matches: list[Match]) -> list[Match]:
    """One match per recall: the one ``policy.preference`` puts first, as the service stores it (a recall
    of three products makes three targets, and a listing may fit two of them).

    >>> from recallguard.domain.models import DecisionKind as D
    >>> ms = [Match("L", "26001", "CPSC", 0.95, D.BLOCK, ""), Match("L", "26001", "CPSC", 0.99, D.REVIEW, "")]
    >>> ms.append(Match("L", "26002", "CPSC", 0.5, D.REVIEW, "chair"))
    >>> [(m.recall_number, m.score) for m in _one_per_recall(ms)]
    [('26001', 0.95), ('26002', 0.5)]
    >>> tied = [Match("L", "26003", "CPSC", 0.9, D.BLOCK, e) for e in ("brand Winston", "brand Seeday")]
    >>> [m.evidence for m in _one_per_recall(tied)] == [m.evidence for m in _one_per_recall(tied[::-1])]
    True
    """
    best: dict[tuple[str, str], Match] = {}
    for m in matches:
        key = (m.authority, m.recall_number)
        old = best.get(key)
        # ties (two products of one notice, equally sure): the same one in every process, whatever order
        # the candidates came in
        if old is None or (preference(m), old.evidence) > (preference(old), m.evidence):
            best[key] = m
    return list(best.values())


def _cap_per_authority(matches: list[Match]) -> list[Match]:
    """The best ``MAX_MATCHES_PER_AUTHORITY`` matches of each authority, and every recall tied with the
    authority's best: nothing tells tied notices apart, and each one's report must show the listing."""
    kept: list[Match] = []
    seen: dict[str, int] = {}
    best: dict[str, float] = {}
    for m in sorted(matches, key=lambda m: (-m.score, m.recall_number)):
        top = best.setdefault(m.authority, m.score)
        if seen.get(m.authority, 0) < MAX_MATCHES_PER_AUTHORITY or m.score >= top - TIE:
            kept.append(m)
            seen[m.authority] = seen.get(m.authority, 0) + 1
    return kept


def default_scorer() -> PairScorer:
    """The shipped trained model when present, else the transparent rule scorer."""
    try:
        from recallguard.matching.learned import load_default

        model = load_default()
        if model is not None:
            return model
    except ImportError:
        pass
    return RuleScorer()
