"""Candidate generation: which targets a listing could be, found with a few hash lookups.

Blockers, each named in a candidate's provenance so recall can be measured per blocker:
``gtin`` (identifier index), ``model`` (canonical model numbers), ``brand`` (exact and fuzzy brand
forms in the brand field or the title), ``text`` (an inverted index over the targets' name, type
and brand tokens, weighted by IDF, top-k).

>>> from recallguard.domain.models import Listing, Target
>>> fork = Target("1", "CPSC", brand="Cervelo", product_name="Wolf SL Carbon Fiber Bicycle Forks")
>>> idx = TargetIndex([fork,
...                    Target("2", "CPSC", brand="Joolz", product_name="Aer2 Car Seat Adapters")])
>>> from recallguard.matching.profiles import listing_profile
>>> sorted(idx.candidates(listing_profile(Listing("L", "cerevlo fiber bicycle fork"))))
[0]
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from functools import cached_property

import numpy as np
import numpy.typing as npt

from recallguard.domain.models import Listing, Target
from recallguard.matching import evasion
from recallguard.matching.brands import BrandIndex
from recallguard.matching.evasion_terms import word_synonyms
from recallguard.matching.fallback_blockers import EmbeddingNeighbours, ShingleLSH
from recallguard.matching.glued import GlueSplitter
from recallguard.matching.leet import LeetDecoder
from recallguard.matching.normalize import DESCRIPTORS, NOISE, misspelt_noise
from recallguard.matching.profiles import GENERIC_HEADS, ListingProfile, TargetProfile, target_profile

_SPACED_OUT = re.compile(r"(?:\b[A-Za-z0-9]\b[ .\-]){2,}\b[A-Za-z0-9]\b")
#: a code cut in two: two short parts side by side, a space between, each with a digit ("WD1 764", "80 0R",
#: "W8O 301"); a code written with a hyphen or dots is one token already ("WD1-764")
_CUT_IN_TWO = re.compile(r"\b(?=[A-Za-z]*[0-9])[A-Za-z0-9]{1,6} (?=[A-Za-z]*[0-9])[A-Za-z0-9]{1,6}\b")
TEXT_TOP_K = 8
MIN_TEXT_COVER = 0.25  # a text candidate must share this share of the target's key-token IDF mass
MAX_POSTING_SHARE = 0.2  # tokens carried by more than this share of targets do not nominate candidates
FUZZY_TITLE_WORDS = 4
DENSE_TEXT_SCORING = 300  # postings to add up for one listing above which numpy adds them (faster above)
#: A code written in more recalls than this nominates none of them: it is no product's identifier but
#: boilerplate (the CPSC's ZIP code 20207 is in 23 dev recalls) or a number many products share; in an
#: index of 100,000 recalls such codes made 9 of 17 candidates per listing. A pair found otherwise still
#: counts the code as a model match.
MAX_MODEL_POSTING = 20
COMPANY_HEAD = 0.8  # a brand field that is a company name's first word: as strong as a name's lead word


#: two or three short parts with a digit each, a space between (read at every word start: overlapping)
_CUT_PART = r"(?=[A-Za-z]*[0-9])([A-Za-z0-9]{1,6})"
_CUT_PARTS = re.compile(rf"\b(?={_CUT_PART} {_CUT_PART}\b(?: {_CUT_PART}\b)?)")


def spaced_out(title: str) -> bool:
    """Whether ``title`` writes three or more single letters or digits apart ("K Y 0 5 5"), as a model
    number spaced out to dodge a lookup is written: the matcher and the listing keys then read the
    title's model candidates (``evasion.model_candidates``).

    >>> spaced_out("Gudook helmet K Y 0 5 5"), spaced_out("Gudook helmet KY055 size M")
    (True, False)
    """
    return _SPACED_OUT.search(title) is not None


def may_cut_code(title: str) -> bool:
    """Whether :func:`cut_codes` may find a code in ``title``: a pair of short parts with a digit each,
    or letters that folding may turn into one (a title that is not ASCII). A cheap test first: the
    matcher and the listing keys ask it before the full reading.

    >>> may_cut_code("Step stool WD1 764"), may_cut_code("Step stool 12 inch"), may_cut_code("Ѕtool")
    (True, False, True)
    """
    return _CUT_IN_TWO.search(title) is not None or not title.isascii()


def cut_codes(title: str) -> dict[str, str]:
    """Codes a title may write cut into two or three short parts with a digit each: the joined code
    (upper case, as ``canonical_model``) → the parts as written, space-separated (lookalike letters
    folded). What a code is, the recalls' codes decide (``TargetIndex._joined_models``).

    >>> cut_codes("Step stool WD1 764, 12 inch")
    {'WD1764': 'WD1 764'}
    """
    if not title.isascii():  # lookalike letters and invisible characters off first
        title = evasion.skeleton(title)
    out: dict[str, str] = {}
    for a, b, c in _CUT_PARTS.findall(title):
        out.setdefault(f"{a}{b}".upper(), f"{a} {b}")
        if c:
            out.setdefault(f"{a}{b}{c}".upper(), f"{a} {b} {c}")
    return out


def _plain_words(profiles: Sequence[TargetProfile]) -> set[str]:
    """Words of the recalls' texts that are not their own recall's brand: plain words ("head" of "head
    tube") even where another recall's brand is spelt so."""
    return {w for p in profiles for w in p.text_tokens if w not in p.brand_tokens}


class TargetIndex:
    """In-memory indexes over one set of targets (rebuilt whole and swapped in when recalls change)."""

    def __init__(self, targets: Sequence[Target]) -> None:
        self.profiles: list[TargetProfile] = [target_profile(t) for t in targets]
        self.by_gtin: dict[str, set[int]] = defaultdict(set)
        self.by_model: dict[str, set[int]] = defaultdict(set)
        self.by_model_key: dict[str, set[int]] = defaultdict(set)  # letter/digit swaps folded
        self.brands = BrandIndex(sounds=True)
        self.postings: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(self.profiles):
            for g in p.gtins:
                self.by_gtin[g].add(i)
            for m in p.models | {
                c for c in p.text_models if len(c) >= 4
            }:  # codes anywhere in the recall text
                if len(m) >= 3:
                    self.by_model[m].add(i)
                    self.by_model_key[evasion.model_key(m)].add(i)
            for tok in p.key_tokens:
                self.postings[tok].append(i)
        for codes in (self.by_model, self.by_model_key):
            for code in [c for c, ids in codes.items() if len(ids) > MAX_MODEL_POSTING]:
                del codes[code]
        word_df: dict[str, int] = defaultdict(int)
        for p in self.profiles:
            for tok in {w for f in p.brand_forms for w in f.split()} | set(p.name_tokens) | p.type_tokens:
                word_df[tok] += 1
        # the first word of a company's name ("Fox" of Fox Factory, "Bombardier" of Bombardier Recreational
        # Products) is how sellers write its brand: it counts in the brand field, shared or not
        self.field_heads = BrandIndex()
        for i, p in enumerate(self.profiles):
            for form, strength in p.brand_forms.items():
                head = form.split()[0]
                if strength >= 0.9 and " " in form and head not in p.brand_forms and _is_head(head):
                    self.field_heads.add(head, i)
        for i, p in enumerate(self.profiles):
            # a partial form (a word of a company name, a product-name lead word) must be distinctive:
            # "bicycle" from "Santa Cruz Bicycles" or "factory" from "Factory Direct" would nominate all
            for form, strength in list(p.brand_forms.items()):
                if strength < 0.9 and (form in NOISE or word_df.get(form, 0) > 2):
                    del p.brand_forms[form]
            for form in p.brand_forms:
                self.brands.add(form, i)
        n = max(1, len(self.profiles))
        self.unknown_idf = math.log(len(self.profiles) + 1.5)
        self.idf: dict[str, float] = {
            t: math.log((n + 1) / (len(ids) + 0.5)) for t, ids in self.postings.items()
        }
        self._max_df = max(3, int(n * MAX_POSTING_SHARE))
        self.key_mass = [sum(self.idf[t] for t in p.key_tokens) or 1.0 for p in self.profiles]
        for p in self.profiles:
            p.name_weights = tuple((t, self.token_idf(t)) for t in p.name_tokens)
            p.name_mass = sum(w for _, w in p.name_weights)
            p.type_weights = tuple((t, self.token_idf(t)) for t in sorted(p.type_tokens))  # one sum order
            p.type_mass = sum(w for _, w in p.type_weights)
        self.vocab = BrandIndex()  # rare target words, for misspelt title words
        for tok, ids in self.postings.items():
            if len(ids) <= self._max_df and tok.isalpha():
                self.vocab.add(tok, 0)
        self._posting_arrays: dict[str, npt.NDArray[np.int64]] | None = None  # for _text_top_k (lazy)
        self._mass: npt.NDArray[np.float64] = np.zeros(0)
        self._fixes: dict[str, tuple[str, ...]] = {}  # title word → its corrections (memo)
        #: a title word → its synonyms that recalls use ("pram" → stroller)
        self._synonyms = {
            w: used
            for w, same in word_synonyms().items()
            if (used := tuple(x for x in same if x in self.postings))
        }
        self._content: dict[str, tuple[str, float] | tuple[()]] = {}  # title word → (word, IDF) (memo)
        self._brand_heads = frozenset(f.split()[0] for f in self.brands.exact if " " in f)
        pairs = [f.split() for f in self.brands.exact if len(f.split()) == 2]
        # first and second words of the two-word brand forms (misspelt pairs are looked up whole)
        self._two_word = (frozenset(p[0] for p in pairs), frozenset(p[1] for p in pairs))
        self.max_brand_words = max((len(f.split()) for p in self.profiles for f in p.brand_forms), default=1)
        #: leetspeak words decoded into the words these recalls use (brands, names, texts)
        self.leet = LeetDecoder(
            self.postings.keys()
            | {w for p in self.profiles for f in p.brand_forms for w in f.split()}
            | {w for p in self.profiles for w in p.text_tokens}
            | {m.lower() for m in self.by_model}
        )
        #: a recalled brand glued to the words after it ("RazorScooter"), written apart; a brand that is
        #: also a plain word of other recalls ("Head", "Swing") only where a digit or the case marks its
        #: end ("HeadSki", "Head2020"), never in a lower-case word: "headphones"
        own_brands = {f for p in self.profiles for f, s in p.brand_forms.items() if s >= 0.9}
        plain = _plain_words(self.profiles)
        self.glue = GlueSplitter(
            own_brands - plain,
            self.postings.keys() | {w for p in self.profiles for w in p.text_tokens},
            plain_brands=own_brands & plain,
            codes=self.by_model.keys(),
        )

    def read(self, listing: Listing) -> Listing:
        """The listing as the screener reads it: leetspeak words decoded, then a brand spelt out letter by
        letter written whole, camel-case words and a recalled brand glued to other words written apart
        (:class:`~recallguard.matching.glued.GlueSplitter`); the same object when there was nothing to undo.

        >>> from recallguard.domain.models import Target
        >>> index = TargetIndex([Target("1", "CPSC", brand="Razor", product_name="Razor Electric Scooters")])
        >>> index.read(Listing("L1", "RazorElectric 5c00t3r")).title
        'Razor Electric scooter'
        """
        return self.glue.listing(self.leet.listing(listing))

    def __len__(self) -> int:
        return len(self.profiles)

    def token_idf(self, tok: str) -> float:
        """IDF of a token among the targets (rare tokens weigh more; unknown tokens weigh most)."""
        return self.idf.get(tok, self.unknown_idf)

    def brand_hits(self, lp: ListingProfile) -> dict[int, tuple[str, str, float]]:
        """Targets whose brand appears in the listing's brand field or title: id → (form, how, sim).

        >>> from recallguard.domain.models import Listing, Target
        >>> from recallguard.matching.profiles import listing_profile
        >>> index = TargetIndex([Target("1", "CPSC", brand="Black Diamond", product_name="Index Ascenders")])
        >>> index.brand_hits(listing_profile(Listing("L1", "Blakc Diamond Index Ascenders")))
        {0: ('black diamond', 'title misspelt', 0.85)}
        """
        hits: dict[int, tuple[str, str, float]] = {}

        def note(form: str, how: str, sim: float) -> None:
            for tid in self.brands.targets(form):
                s = sim * self.profiles[tid].brand_forms.get(form, 0.7)
                old = hits.get(tid)
                if old is None or (s, old[0]) > (old[2], form):  # ties: the same form whatever the order
                    hits[tid] = (form, how, s)

        if lp.brand_norm:
            for form, how, sim in self.brands.lookup(lp.brand_norm) or self.brands.sounds_like(lp.brand_norm):
                note(form, "brand field " + how, sim)
            for form, how, sim in self.field_heads.lookup(lp.brand_norm):
                for tid in self.field_heads.targets(form):
                    s = sim * COMPANY_HEAD
                    if tid not in hits or s > hits[tid][2]:
                        hits[tid] = (form, f"brand field {how}, the company's first word", s)
        words = lp.title_norm.split()
        exact = self.brands.exact
        for w in exact.keys() & words:  # a note per form: the same whichever occurrence or order
            note(w, "title exact", 1.0)
        if not self._brand_heads.isdisjoint(words):
            longest = min(self.max_brand_words, 4)
            for i, w in enumerate(words):
                if w in self._brand_heads:  # a multi-word brand can start here
                    for n in range(2, min(longest, len(words) - i) + 1):
                        gram = " ".join(words[i : i + n])
                        if gram in exact:
                            note(gram, "title exact", 1.0)
        # a two-word brand with one word misspelt ("Blakc Diamond"): the pair looked up whole, when one word
        # is the brand's own and the other is not
        heads, tails = self._two_word
        for a, b in itertools.pairwise(words[: FUZZY_TITLE_WORDS + 1]):
            if (b in tails) != (a in heads) and len(a) + len(b) >= 8 and a.isalpha() and b.isalpha():
                for form, how, sim in self.brands.lookup(f"{a} {b}"):
                    if " " in form:
                        note(form, "title " + how, sim)
        fuzzy_words = [w for w in words if w not in NOISE and w.isalpha()][:FUZZY_TITLE_WORDS]
        for w in fuzzy_words:
            if w in self.brands.exact:
                continue
            for form, how, sim in self.brands.lookup(w):
                note(form, "title " + how, sim)
        return hits

    def correct_tokens(self, lp: ListingProfile) -> None:
        """Map misspelt title words ('bromtpon') to rare target words ('brompton'); sets ``fixed_tokens``,
        ``title_set`` (the title's words and their corrections) and ``content_idf`` (the words worth
        comparing with a recall's text — three letters or more, no digits — with their IDF: a misspelt
        word is compared as its corrections, not also as written, where it would count as a word of the
        title that no recall explains: "Livehoom dressers" read as the recalled "Livehom dressers").

        >>> from recallguard.domain.models import Listing, Target
        >>> from recallguard.matching.profiles import listing_profile
        >>> index = TargetIndex([Target("1", "CPSC", brand="Livehom", product_name="Livehom Dressers")])
        >>> lp = listing_profile(Listing("L1", "Livehoom dressers"))
        >>> index.correct_tokens(lp)
        >>> sorted(lp.fixed_tokens), sorted(w for w, _ in lp.content_idf)
        (['livehom'], ['dresser', 'livehom'])
        """
        # per title word, memoised: its corrections, and (word, IDF) if it is worth comparing (() if not)
        fixes = list(map(self._fixes.get, lp.title_tokens))
        if None in fixes:
            fixes = [self._fix(t) if f is None else f for t, f in zip(lp.title_tokens, fixes, strict=True)]
        lp.fixed_tokens = frozenset(w for f in fixes if f for w in f)
        lp.title_set = content = frozenset(lp.title_tokens) | lp.fixed_tokens
        lp.content_alts, lp.corrections = (), {}
        if lp.fixed_tokens:
            lp.corrections = {t: f for t, f in zip(lp.title_tokens, fixes, strict=True) if f}
            content = content - lp.corrections.keys()
            if any(f and len(f) > 1 for f in fixes):
                content = self._alternatives(lp, fixes, content)
        lp.synonyms = frozenset()
        if not self._synonyms.keys().isdisjoint(lp.title_tokens):
            content = self._read_synonyms(lp, content)
        pairs = list(map(self._content.get, content))
        if None in pairs:
            pairs = [self._content_weight(t) if p is None else p for t, p in zip(content, pairs, strict=True)]
        if lp.foreign:  # a word no recall uses is a word of the listing's language, not evidence against
            idf = self.idf
            pairs = [p for p in pairs if p and p[0] in idf]
        # one order, so one floating-point sum, in every process (set order follows Python's hash seed)
        kept = sorted(p for p in pairs if p)
        lp.descriptors = ()  # "kids", "gift": they count only for a recall that uses them
        if not DESCRIPTORS.isdisjoint(lp.title_tokens):
            own = lp.brand_norm.split()  # a brand field "Big" makes "Big" a brand, not a size
            lp.descriptors = tuple(p for p in kept if p[0] in DESCRIPTORS and p[0] not in own)
            kept = [p for p in kept if p not in lp.descriptors]
        lp.content_idf = tuple(kept)

    def _alternatives(
        self, lp: ListingProfile, fixes: Sequence[tuple[str, ...] | None], content: frozenset[str]
    ) -> frozenset[str]:
        """A misspelt word read two ways ("electrc": electric or Electra) is one word of the title, compared
        as whichever reading a recall uses (``content_alts``), not as two words of which one is always
        unexplained. Returns the content words left to compare one by one."""
        literal = frozenset(lp.title_tokens)
        single = {w for f in fixes if f and len(f) == 1 for w in f}
        groups = []
        for f in dict.fromkeys(f for f in fixes if f and len(f) > 1):
            if literal.isdisjoint(f):  # a reading the title also writes is compared as that word
                weights = tuple(sorted(p for p in map(self._content_weight, f) if p))
                if weights:
                    groups.append(weights)
                    content = content - {w for w in f if w not in single}
        lp.content_alts = tuple(groups)
        return content

    def _read_synonyms(self, lp: ListingProfile, content: frozenset[str]) -> frozenset[str]:
        """A title word whose synonym a recall uses ("pram": stroller) is read as either: the synonym joins
        ``synonyms`` (the features' title words), ``name_ratio`` may read it (``corrections``), and the word
        is one word of the title compared as whichever a recall uses (``content_alts``). A title that writes
        both words, or a misspelt word, is left as it is. Returns the content words left to compare one by
        one.

        >>> from recallguard.domain.models import Listing, Target
        >>> from recallguard.matching.profiles import listing_profile
        >>> index = TargetIndex([Target("1", "CPSC", brand="Acme", product_name="Acme Strollers")])
        >>> lp = listing_profile(Listing("L1", "Acme pram"))
        >>> index.correct_tokens(lp)
        >>> sorted(lp.title_set), lp.synonyms, [w for w, _ in lp.content_alts[0]], lp.corrections
        (['acme', 'pram'], frozenset({'stroller'}), ['pram', 'stroller'], {'pram': ('pram', 'stroller')})
        """
        literal = frozenset(lp.title_tokens)
        corrections, groups = dict(lp.corrections), list(lp.content_alts)
        found: set[str] = set()
        for t in dict.fromkeys(lp.title_tokens):  # title order: one sum order in every process
            same = self._synonyms.get(t)
            if not same or t in corrections or not literal.isdisjoint(same):
                continue
            found.update(same)
            corrections[t] = (t, *same)
            if t in content:
                weights = tuple(sorted(p for p in map(self._content_weight, (t, *same)) if p))
                if weights:
                    groups.append(weights)
                    content = content - {t}
        lp.synonyms = frozenset(found)  # compared with each candidate, not looked up: the brand and the
        # model find the candidates, and a type word looking up every recall of its synonym would crowd them
        lp.corrections, lp.content_alts = corrections, tuple(groups)
        return content

    def _fix(self, tok: str) -> tuple[str, ...]:
        """The rare target words a misspelt title word may be (none for a known or short word, nor for a
        descriptor: "count" of "12 Count" is no misspelt "scout")."""
        if len(self._fixes) > 500_000:
            self._fixes.clear()
        bare = tok.replace("'", "")  # an apostrophe moved or added ("golfe'rs") is a misspelling too
        if tok in self.postings or len(bare) < 5 or not bare.isalpha() or tok in NOISE or tok in DESCRIPTORS:
            got: tuple[str, ...] = ()
        elif bare in self.postings:
            got = (bare,)
        else:
            got = tuple(form for form, _how, _sim in self.vocab.lookup(bare)[:2])
        self._fixes[tok] = got
        return got

    def _content_weight(self, tok: str) -> tuple[str, float] | tuple[()]:
        """(word, IDF) for a title word worth comparing with a recall's text, else () (memoised). A word no
        recall uses that is a misspelt marketing word ("Ugraded", "Facory Price") is not worth it: it says
        nothing about the product, as the word spelt right says nothing, and it would count against every
        recall as a word of the title that none of them explains."""
        if len(self._content) > 500_000:
            self._content.clear()
        worth = len(tok) > 2 and tok.isalpha() and (tok in self.idf or not misspelt_noise(tok))
        pair = (tok, self.idf.get(tok, self.unknown_idf)) if worth else ()
        self._content[tok] = pair
        return pair

    @cached_property
    def lsh(self) -> ShingleLSH:
        """The MinHash LSH fallback blocker (built on first use)."""
        return ShingleLSH(self.profiles)

    @cached_property
    def neighbours(self) -> EmbeddingNeighbours:
        """The embedding nearest-neighbour fallback blocker (built on first use; empty without the model)."""
        return EmbeddingNeighbours(self.profiles)

    def candidates(self, lp: ListingProfile, exhaustive: bool = False) -> dict[int, set[str]]:
        """Candidate targets for a listing, each with the blockers that nominated it.

        The fuzzy fallback blockers (``lsh``, ``embedding``) run when the exact ones found nothing but
        the title shares some words with the targets, or always with ``exhaustive`` (for measuring).
        """
        return self.candidates_many([lp], exhaustive)[0]

    def candidates_many(
        self, lps: Sequence[ListingProfile], exhaustive: bool = False
    ) -> list[dict[int, set[str]]]:
        """``candidates`` for each of many listings: the exact blockers listing by listing, then the fuzzy
        ones once for all the listings that need them (a batch of signatures, one matrix product)."""
        outs: list[dict[int, set[str]]] = []
        fallback: list[int] = []
        for k, lp in enumerate(lps):
            out, shares_words = self._exact_candidates(lp)
            outs.append(out)
            if exhaustive or (not out and (shares_words or lp.fixed_tokens)):
                fallback.append(k)
        if fallback:
            fuzzy = self.lsh.query_many([lps[k] for k in fallback])
            for k, found in zip(fallback, fuzzy, strict=True):
                for i in found:
                    outs[k].setdefault(i, set()).add("lsh")
            rest = [k for k, found in zip(fallback, fuzzy, strict=True) if exhaustive or not found]
            if rest:
                for k, found in zip(rest, self.neighbours.query_many([lps[k] for k in rest]), strict=True):
                    for i in found:
                        outs[k].setdefault(i, set()).add("embedding")
        return outs

    def _exact_candidates(self, lp: ListingProfile) -> tuple[dict[int, set[str]], bool]:
        """The hash-lookup blockers' candidates, and whether the title shares any word with the targets."""
        self.correct_tokens(lp)
        out: dict[int, set[str]] = defaultdict(set)
        for g in lp.gtins:
            for i in self.by_gtin.get(g, ()):
                out[i].add("gtin")
        for m in lp.all_models:
            for i in self.by_model.get(m, ()):
                out[i].add("model")
        if not out and lp.field_models:  # letter/digit swaps: "KY-O55", "KYO55"
            for m in lp.field_models:
                for i in self.by_model_key.get(evasion.model_key(m), ()):
                    out[i].add("model")
                    lp.model_key_hits[i] = m
        if not out and may_cut_code(lp.listing.title):
            self._joined_models(lp, out)
        if not out and spaced_out(lp.listing.title):  # model numbers spaced out: "K Y 0 5 5"
            for key, written in evasion.model_candidates(f"{lp.listing.title} {lp.listing.model}").items():
                for i in self.by_model_key.get(key, ()):
                    out[i].add("model")
                    lp.model_key_hits[i] = written
        lp.brand_hits = self.brand_hits(lp)
        for i in lp.brand_hits:
            out[i].add("brand")
        postings, max_df = self.postings, self._max_df
        words = [t for t in lp.title_set | lp.desc_tokens if 0 < len(postings.get(t, ())) <= max_df]
        if sum(len(postings[t]) for t in words) > DENSE_TEXT_SCORING:
            for i in self._text_top_k(words):
                out[i].add("text")
            return dict(out), bool(words)
        scores: dict[int, float] = defaultdict(float)
        for tok in words:
            w = self.idf[tok]
            for i in postings[tok]:
                scores[i] += w
        if scores:
            mass = self.key_mass
            good = [(i, sc) for i, sc in scores.items() if sc >= MIN_TEXT_COVER * mass[i]]
            for i, _ in sorted(good, key=lambda kv: (-kv[1], kv[0]))[:TEXT_TOP_K]:
                out[i].add("text")
        return dict(out), bool(scores)

    def _joined_models(self, lp: ListingProfile, out: dict[int, set[str]]) -> None:
        """A recalled model number the title writes in two or three parts ("WD1 764" for WD1764): the
        joined code, when it is exactly a recalled one, becomes one of the listing's written model
        numbers (and nominates its recalls); when it is one with letters and digits swapped ("W8O 301"
        for WB0301), it nominates them as a code read through the swaps, as "K Y 0 5 5" does; so do
        plain numbers side by side that join into a recalled number ("24 496" may be 24496, "10 100" is
        likely a speed). Only recalled codes are joined.

        >>> idx = TargetIndex([Target("1", "CPSC", brand="Woodure", product_name="Step Stools",
        ...                           model_numbers=["WD1764"])])
        >>> from recallguard.domain.models import Listing
        >>> from recallguard.matching.profiles import listing_profile
        >>> lp = listing_profile(Listing("L", "Woodure Toddler Step Stools WD1 764"))
        >>> sorted(idx.candidates(lp)[0]), sorted(lp.field_models & {"WD1764"})
        (['brand', 'model', 'text'], ['WD1764'])
        """
        joined: set[str] = set()
        for code, written in cut_codes(lp.listing.title).items():
            if code in self.by_model and not code.isdigit():
                joined.add(code)
            else:  # a swapped code, or plain numbers side by side: "24 496" may be 24496, "10 100" is not
                for i in self.by_model_key.get(evasion.fold_swaps(code), ()):
                    out[i].add("model")
                    lp.model_key_hits[i] = written
        if joined:
            lp.field_models = lp.field_models | joined
            lp.all_models = lp.all_models | joined
            for code in joined:
                for i in self.by_model[code]:
                    out[i].add("model")

    def _text_top_k(self, words: list[str]) -> list[int]:
        """The text blocker's answer for long postings, in numpy: the same sums in the same order as the
        loop over a dict (``bincount`` adds each target's weights word by word, as the loop does), so the
        same targets whichever way. In an index of 100,000 recalls the loop was half a listing's time."""
        if self._posting_arrays is None:
            self._posting_arrays = {
                t: np.asarray(ids, dtype=np.int64)
                for t, ids in self.postings.items()
                if len(ids) <= self._max_df
            }
            self._mass = np.asarray(self.key_mass, dtype=np.float64)
        arrays = [self._posting_arrays[t] for t in words]
        ids = np.concatenate(arrays)
        weights = np.repeat(
            np.asarray([self.idf[t] for t in words], dtype=np.float64), [len(a) for a in arrays]
        )
        targets, where = np.unique(ids, return_inverse=True)
        sums = np.bincount(where, weights=weights)
        good = sums >= MIN_TEXT_COVER * self._mass[targets]
        targets, sums = targets[good], sums[good]
        return targets[np.lexsort((targets, -sums))[:TEXT_TOP_K]].tolist()


def _is_head(word: str) -> bool:
    """Whether a company name's first word can stand for its brand: three letters or more, not a word
    every company uses ("international", "the").

    >>> _is_head("fox"), _is_head("the"), _is_head("e")
    (True, False, False)
    """
    return len(word) >= 3 and word.isalpha() and word not in NOISE and word not in GENERIC_HEADS
