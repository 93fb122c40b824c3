"""The fingerprint bank: what was removed, so that re-listings are caught at publish time.

Every actioned listing is added with the evidence of the action that removed it. A new or edited
listing is screened against the bank through five kinds of fingerprint:

- text: character 6-gram shingles of the evasion-folded title and description (homoglyphs, leetspeak,
  spacing, punctuation and case all folded away; foreign product words translated) in a MinHash LSH;
- identifiers: GTINs and model-number keys (letter/digit swaps and split numbers folded);
- images: perceptual hashes in an :class:`~recallguard.matching.images.ImageIndex`;
- brand: the removed listing's brand, matched through homoglyphs, misspellings and sound-alikes;
- seller: the same seller, or a seller sharing a contact, address, payment or device attribute.

Text, identifiers and images find candidates; brand, seller and product type make a candidate more
or less likely. A hit is a :class:`~recallguard.domain.models.Match` for the original recall, whose
evidence names the removed listing, what matched, and the original action's evidence.

>>> bank = FingerprintBank()
>>> removed = Listing("L1", "Joolz Aer2 car seat adapter NL311", brand="Joolz", seller_id="S1")
>>> bank.add(removed, ActionEvidence("26568", "CPSC", reason="model NL311 named in recall 26568"))
>>> hit = bank.screen(Listing("L2", "J00lz Аer2 car-seat adaptor N L 3 1 1", seller_id="S9"))[0]
>>> hit.recall_number, hit.decision.value
('26568', 'block')
"""

from __future__ import annotations

import itertools
import re
import sys
import threading
from collections import Counter
from collections.abc import Callable, Collection
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image

from recallguard.domain.models import Listing, Match
from recallguard.domain.policy import DecisionPolicy
from recallguard.errors import ImageRejected
from recallguard.matching.bands import MinHashRows
from recallguard.matching.bank_entries import (
    ActionEvidence,
    BankEntry,
    _gtins,
    entry_record,
    fingerprint,
    seller_links,
)
from recallguard.matching.bank_weigh import ACCESSORY, Note, Signals, decide_hits
from recallguard.matching.evasion import model_candidates
from recallguard.matching.images import ImageHash, ImageIndex, load_image, query_hashes
from recallguard.matching.shingles import (
    NUM_PERM,
    SHINGLE,
    contained,
    listing_text,
    shingle_values,
    stuffed_around,
    title_text,
    title_words,
)

TITLE_LSH_THRESHOLD = 0.2  # titles: see FingerprintBank._reset
#: A removed title repeated word for word and followed by this many other removed brands is a stuffed
#: re-listing even when the title is too short for the shingle checks; worth a review, never a block alone
STUFFED_BRANDS = 2
STUFFED_HEAD_SCORE = 0.6
#: A code that removed listings of more than this many recalls carry identifies none of them: a standard
#: ("EN 71"), a battery cell ("18650"), a descriptor ("9-DRAWER") written in many sellers' descriptions.
MAX_RECALLS_PER_MODEL = 2
#: Entries carrying one code above which the bank keeps them grouped (see FingerprintBank._reset)
GROUP_AT = 8
#: Removed listings weighed per screening and original recall through text similarity, the most similar
#: first (model number, GTIN and image hits are always weighed): a product one seller listed and had
#: removed thousands of times (copies with SKU suffixes) would otherwise cost every screening thousands
#: of comparisons for one answer per recall.
MAX_TEXT_HITS_PER_RECALL = 32
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _strongest(scores: np.ndarray, recalls: np.ndarray) -> list[int]:
    """Positions scoring above 0, at most ``MAX_TEXT_HITS_PER_RECALL`` per original recall (``recalls``:
    one tag per position), best first: a removed title copied thousands of times gives one answer per
    recall, so only its most similar copies are weighed.

    >>> _strongest(np.array([0.5, 0.9, 0.0, 0.7]), np.array([1, 1, 1, 2]))
    [1, 3, 0]
    """
    pos = np.flatnonzero(scores > 0)
    if len(pos) > MAX_TEXT_HITS_PER_RECALL:  # else every one is kept whatever its recall
        codes = recalls[pos]
        order = np.lexsort((-scores[pos], codes))  # by recall, the most similar first
        grouped = codes[order]
        starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
        rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
        pos = pos[order[rank < MAX_TEXT_HITS_PER_RECALL]]
    return [int(i) for i in pos[np.argsort(-scores[pos], kind="stable")]]


def _text_scores(j: np.ndarray) -> np.ndarray:
    """Estimated Jaccard of folded shingles → probability of a re-listing (piecewise linear).

    >>> _text_scores(np.array([0.2, 0.6, 1.0])).tolist()
    [0.0, 0.75, 0.98]
    """
    return np.interp(j, [0.3, 0.45, 0.6, 0.75, 0.9], [0.0, 0.45, 0.75, 0.93, 0.98])


@lru_cache(maxsize=4096)
def _model_score(written: str) -> float:
    """How telling a shared model number is: long codes mixing letters and digits say a lot, short or
    all-digit ones (1000, 1200: page counts, resolutions, capacities) say little."""
    if any(c.isspace() for c in written.strip(" ,.;:")):
        return 0.25  # pieces written apart in the removed listing's own text: weak on their own
    core = _NON_ALNUM.sub("", written.lower())
    if core.isdigit():
        return 0.7 if len(core) >= 7 else 0.25 if len(core) >= 5 else 0.15
    return 0.9 if len(core) >= 6 else 0.8 if len(core) == 5 else 0.5


def _model_group(entry: BankEntry, code: str) -> tuple[str, ...]:
    """What a screening weighs of an entry found by ``code`` besides its seller: its original recall, the
    code as it wrote it, its brand, accessory wording and product types (:meth:`FingerprintBank._decide`).

    >>> e = fingerprint(Listing("L1", "Joolz Aer2 adapter NL311", brand="Joolz"), ActionEvidence("1", "CPSC"))
    >>> e.model_keys["N1311"], _model_group(e, "N1311")  # keyed folded (l and 1 alike), as written
    ('NL311', ('CPSC', '1', 'NL311', 'Joolz', ''))
    """
    ev, accessory = entry.evidence, "accessory" if ACCESSORY.search(entry.title) else ""
    return (
        ev.authority,
        ev.recall_number,
        entry.model_keys[code],
        entry.brand,
        accessory,
        *sorted(entry.types),
    )


def _discard(lists: dict[Any, list[str]] | dict[Any, set[str]], name: Any, key: str) -> None:
    """Take ``key`` out of ``lists[name]`` (a list or a set); one left empty goes.

    >>> d = {"A1": ["k1", "k2"]}; _discard(d, "A1", "k1"); _discard(d, "A1", "k2"); d
    {}
    """
    members = lists.get(name)
    if members is not None and key in members:
        members.remove(key)
        if not members:
            del lists[name]


def _boilerplate(groups: dict[tuple[str, ...], list[str]]) -> bool:
    """Whether the groups of entries carrying a code (:meth:`FingerprintBank._groups`) are of more than
    ``MAX_RECALLS_PER_MODEL`` recalls (a group names its original recall second).

    >>> _boilerplate({("CPSC", "1", "X"): ["a"], ("CPSC", "2", "X"): ["b"]})
    False
    """
    return len({group[1] for group in groups}) > MAX_RECALLS_PER_MODEL


class FingerprintBank:
    """Fingerprints of every actioned listing; ``bank(listing)`` is a Screener check.

    Adds are visible to the next screen (a lock guards the indexes). ``snapshot()`` gives a
    JSON-serialisable checkpoint; ``restore()`` builds a bank from one and ``load()`` swaps a
    rebuilt state in whole.
    """

    def __init__(
        self,
        policy: DecisionPolicy | None = None,
        image_loader: Callable[[str], Image.Image] | None = load_image,
        lsh_threshold: float = 0.3,
    ) -> None:
        self.policy = policy or DecisionPolicy()
        self.image_loader = image_loader
        self.lsh_threshold = lsh_threshold
        self.image_failures = 0
        self._lock = threading.RLock()
        self._reset()

    def _reset(self) -> None:
        self._entries: dict[str, BankEntry] = {}
        # each entry's text and title MinHash values, tagged with its original recall: a screening compares
        # its own with every candidate's in one gather (matching.bands)
        self._lsh = MinHashRows(self.lsh_threshold, NUM_PERM, dtype=np.uint32)
        # titles are looked up lower: a removed title buried in keyword stuffing shares few of the stuffed
        # title's shingles (Jaccard ~0.2) though all of its own are there (containment, checked below)
        self._title_lsh = MinHashRows(TITLE_LSH_THRESHOLD, NUM_PERM, dtype=np.uint32)
        self._codes: dict[str, int] = {}  # original recall number → its tag in the value rows
        # code → the entries carrying it. Most codes have one entry: a list (64 bytes). A code carried by
        # more than GROUP_AT moves to _grouped, in groups that a listing scores alike unless it shares their
        # seller (see _model_hits): a product removed thousands of times is a few groups, not thousands
        self._models: dict[str, list[str]] = {}
        self._grouped: dict[str, dict[tuple[str, ...], list[str]]] = {}
        # by seller, seller link and GTIN: lists too (a key is indexed once: put removes it first)
        self._by_seller: dict[str, list[str]] = {}
        self._by_link: dict[tuple[str, str], list[str]] = {}
        self._gtins: dict[str, list[str]] = {}
        self._images = ImageIndex()
        # keyword stuffing over a short removed title (brand and a word or two: too few shingles for the
        # containment check): removed titles by their first two words, and the removed one-word brands
        # first two words → removed titles (a title's words are read again from its entry when needed)
        self._heads: dict[tuple[str, str], set[str]] = {}
        self._brands: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self._entries)

    def __call__(self, listing: Listing) -> list[Match]:
        return self.screen(listing)

    def _load_images(self, listing: Listing, images: list[Image.Image] | None) -> list[Image.Image]:
        if images is not None or self.image_loader is None:
            return images or []
        out = []
        for url in listing.image_urls:
            try:
                out.append(self.image_loader(url))
            except ImageRejected:
                self.image_failures += 1
        return out

    def add(
        self, listing: Listing, evidence: ActionEvidence, images: list[Image.Image] | None = None
    ) -> None:
        """Fingerprint one actioned listing (images: decoded already, else fetched from its URLs); it replaces
        an entry of the same listing and recall."""
        self.put(fingerprint(listing, evidence, self._load_images(listing, images)))

    def put(self, entry: BankEntry) -> None:
        """Hold ``entry``, replacing the one of the same listing and recall. Its MinHash values move into
        the bank's rows (the entry's own are emptied: a bank of a million entries would hold them twice);
        :meth:`remove`, or a replacing ``put``, gives them back to the entry it lets go.

        >>> bank = FingerprintBank()
        >>> e = fingerprint(Listing("L1", "Joolz Aer2 adapter NL311"), ActionEvidence("26568", "CPSC"))
        >>> bank.put(e); len(e.minhash), len(bank)
        (0, 1)
        >>> bank.remove("L1", "26568"), len(e.minhash)
        (True, 64)
        """
        with self._lock:
            self.remove(entry.listing_id, entry.evidence.recall_number)
            self._insert(entry)

    def _insert(self, entry: BankEntry) -> None:
        key = f"{entry.listing_id}|{entry.evidence.recall_number}"
        values = np.array(entry.minhash, dtype=np.uint64)
        title_values = np.array(entry.title_minhash, dtype=np.uint64)
        with self._lock:
            tag = self._index(key, entry)
            self._lsh.put(key, values, tag)
            self._title_lsh.put(key, title_values, tag, entry.title_shingles)
            entry.minhash = entry.title_minhash = ()

    def _index(self, key: str, entry: BankEntry) -> int:
        """Every index but the MinHash rows (the caller puts those); the entry's recall tag."""
        self._entries[key] = entry
        tag = self._codes.setdefault(entry.evidence.recall_number, len(self._codes))
        if len(head := title_words(entry.title)) >= 2:  # the words held once for every title they begin
            self._heads.setdefault((sys.intern(head[0]), sys.intern(head[1])), set()).add(key)
        if len(brand := title_words(entry.brand)) == 1:
            self._brands[brand[0]] += 1
        for k in entry.model_keys:
            if (grouped := self._grouped.get(k)) is not None:
                grouped.setdefault(_model_group(entry, k), []).append(key)
            elif len(members := self._models.setdefault(k, [])) < GROUP_AT:
                members.append(key)
            else:
                del self._models[k]
                self._grouped[k] = self._groups(k, [*members, key])
        for g in entry.gtins:
            self._gtins.setdefault(g, []).append(key)
        if entry.seller_id:
            self._by_seller.setdefault(entry.seller_id, []).append(key)
        for pair in entry.links.items():
            self._by_link.setdefault(pair, []).append(key)
        if entry.images:
            self._images.add(key, [ImageHash(str(v), *map(int, rest)) for v, *rest in entry.images])
        return tag

    def add_entry(self, raw: dict[str, Any]) -> None:
        """Insert one entry as :meth:`snapshot` writes it (precomputed: nothing is fetched or hashed);
        an entry of the same listing and recall is replaced."""
        raw = dict(raw)
        raw["evidence"] = ActionEvidence(**raw["evidence"])
        self.put(BankEntry(**raw))

    def remove(self, listing_id: str, recall_number: str) -> bool:
        """Forget one removed listing (its action was reversed or withdrawn); False when absent."""
        key = f"{listing_id}|{recall_number}"
        with self._lock:
            entry = self._entries.pop(key, None)
            if entry is None:
                return False
            entry.minhash, entry.title_minhash = self._lsh.values_of(key), self._title_lsh.values_of(key)
            self._lsh.drop(key)
            self._title_lsh.drop(key)
            if len(head := title_words(entry.title)) >= 2:
                _discard(self._heads, (head[0], head[1]), key)
            if len(brand := title_words(entry.brand)) == 1:
                self._brands[brand[0]] -= 1
                if self._brands[brand[0]] <= 0:
                    del self._brands[brand[0]]
            for k in entry.model_keys:
                if (grouped := self._grouped.get(k)) is None:
                    _discard(self._models, k, key)
                else:
                    _discard(grouped, _model_group(entry, k), key)
                    if not grouped:
                        del self._grouped[k]
            for g in entry.gtins:
                _discard(self._gtins, g, key)
            _discard(self._by_seller, entry.seller_id, key)
            for pair in entry.links.items():
                _discard(self._by_link, pair, key)
            if entry.images:  # the image index has no delete: rebuilt from the remaining entries
                self._images = ImageIndex()
                for k, e in self._entries.items():
                    if e.images:
                        self._images.add(k, [ImageHash(str(v), *map(int, rest)) for v, *rest in e.images])
            return True

    def screen(self, listing: Listing, images: list[Image.Image] | None = None) -> list[Match]:
        """Matches of ``listing`` against every removed listing: one per original recall, best first."""
        text = listing_text(listing)
        values, _ = shingle_values(text)
        title_values, title_n = shingle_values(title_text(listing))
        models = model_candidates(f"{listing.model} {text}")
        gtins = _gtins(listing)
        with self._lock:
            if not self._entries:
                return []
            signals: Signals = {}

            def signal(key: str, kind: str, score: float, note: Note) -> None:
                if self._entries[key].listing_id == listing.listing_id:
                    return  # a listing is no re-listing of itself (a removed one screened again)
                kinds = signals.setdefault(key, {})
                if kind not in kinds or kinds[kind][0] < score:
                    kinds[kind] = (score, note)

            if len(at := self._lsh.query(values)):
                j = self._lsh.jaccards(at, values)
                scores = _text_scores(j)
                for i in _strongest(scores, self._lsh.tags(at)):
                    note = ("text {:.2f} similar after unmasking", float(j[i]))
                    signal(self._lsh.key(at[i]), "text", float(scores[i]), note)
            if len(at := self._title_lsh.query(title_values)):
                j = self._title_lsh.jaccards(at, title_values)
                similar = _text_scores(j)
                c = contained(j, self._title_lsh.sizes(at), title_n)
                stuffed = np.where(c >= 0.8, 0.9 * _text_scores(c), 0.0)
                for i in _strongest(np.maximum(similar, stuffed), self._title_lsh.tags(at)):
                    key = self._title_lsh.key(at[i])
                    if similar[i] > 0:
                        signal(
                            key,
                            "text",
                            float(similar[i]),
                            ("title {:.2f} similar after unmasking", float(j[i])),
                        )
                    if stuffed[i] > 0:
                        note = ("removed title {:.2f} contained in this one (stuffed title)", float(c[i]))
                        signal(key, "text", float(stuffed[i]), note)
            words = title_words(listing.title)
            # a title naming 2+ removed brands: removed titles found by two consecutive words of it
            heads = self._heads if len(self._brands.keys() & set(words)) >= STUFFED_BRANDS else {}
            for key in {k for pair in itertools.pairwise(words) for k in heads.get(pair, ())}:
                head = title_words(self._entries[key].title)
                if (n := stuffed_around(words, head, self._brands)) >= STUFFED_BRANDS:
                    why = f"removed title word for word among {n} other removed brands (stuffed title)"
                    signal(key, "text", STUFFED_HEAD_SCORE, why)
            for g in gtins:
                for key in self._gtins.get(g, ()):
                    signal(key, "gtin", 0.97, f"GTIN {g}")
            if len(self._images) and (imgs := self._load_images(listing, images)):
                for img in imgs:
                    for hit in self._images.search(query_hashes(img)):
                        s = 0.92 if hit.distance <= 16 else 0.8
                        bits = f"{hit.phash_distance}/{hit.dhash_distance} bits"
                        what = f"image ({hit.family} hashes {bits}, {hit.query_view} vs {hit.view})"
                        signal(hit.key, "image", s, what)
            sellers = self._sellers_of(listing) if models else set()
            for k, written in models.items():
                groups = self._groups(k)
                if _boilerplate(groups):
                    continue  # not an identifier (see MAX_RECALLS_PER_MODEL)
                for key in self._model_hits(k, groups, listing, signals.keys() | sellers):
                    orig = self._entries[key].model_keys[k]
                    how = "" if written == orig else f" written {written!r}"
                    score = min(_model_score(orig), _model_score(written.replace(" ", "")))
                    signal(key, "model", score, f"model number {orig!r}{how}")
            entries = {key: self._entries[key] for key in signals}
        return decide_hits(listing, text, signals, entries, self.policy)

    def _sellers_of(self, listing: Listing) -> set[str]:
        """The entries of the listing's seller and of sellers linked to it (found once per screening)."""
        found = set(self._by_seller.get(listing.seller_id, ())) if listing.seller_id else set()
        for pair in seller_links(listing).items():
            found.update(self._by_link.get(pair, ()))
        return found

    def _groups(self, code: str, keys: list[str] | None = None) -> dict[tuple[str, ...], list[str]]:
        """The entries carrying ``code`` (or ``keys``, all carrying it) by group (:func:`_model_group`)."""
        if keys is None and (grouped := self._grouped.get(code)) is not None:
            return grouped
        out: dict[tuple[str, ...], list[str]] = {}
        for key in self._models.get(code, []) if keys is None else keys:
            out.setdefault(_model_group(self._entries[key], code), []).append(key)
        return out

    def _model_hits(
        self, code: str, groups: dict[tuple[str, ...], list[str]], listing: Listing, special: Collection[str]
    ) -> list[str]:
        """The entries carrying ``code`` (``groups``: :meth:`_groups`) that a screening must weigh: every
        ``special`` entry (the listing
        has other evidence for it, or shares its seller or a seller link), and one of the rest in each
        group (same original recall, code as written, brand, product types and accessory wording). The
        rest would score exactly alike (only the model number found them; nothing about their sellers
        applies), so one stands for them all and the answer is the same as weighing each.

        The special entries carrying ``code`` come in key order (a seller's thousands of removed listings
        are not read for a code carried by a few; their order no longer depends on a set's).
        """
        members = self._models.get(code)
        if members is not None and len(members) < len(special):
            out = sorted(key for key in members if key in special)
        else:
            out = sorted(key for key in special if code in self._entries[key].model_keys)
        for members in groups.values():
            for key in members:
                if key not in special and self._entries[key].listing_id != listing.listing_id:
                    out.append(key)
                    break
        return out

    def snapshot(self) -> dict[str, Any]:
        """A JSON-serialisable checkpoint of every entry."""
        with self._lock:
            entries = []
            for key, e in self._entries.items():
                raw = entry_record(e)  # the values are the bank's (see put)
                raw["minhash"] = self._lsh.values_of(key).tolist()
                raw["title_minhash"] = self._title_lsh.values_of(key).tolist()
                entries.append(raw)
        return {"version": 1, "num_perm": NUM_PERM, "shingle": SHINGLE, "entries": entries}

    def load(self, snapshot: dict[str, Any]) -> None:
        """Replace the whole bank with a checkpoint: built aside, then swapped in at once."""
        if snapshot.get("version") != 1 or snapshot.get("num_perm") != NUM_PERM:
            raise ValueError("fingerprint snapshot has another version or MinHash size")
        loaded = []
        for raw in snapshot["entries"]:
            raw = dict(raw)
            raw["evidence"] = ActionEvidence(**raw["evidence"])
            loaded.append(BankEntry(**raw))
        self.load_entries(loaded)

    def load_entries(self, loaded: Collection[BankEntry]) -> None:
        """Replace the whole bank with these entries (an entry of a listing and recall listed twice: the
        last one stands): built aside, then swapped in at once. The bank takes their MinHash values as
        :meth:`put` does."""
        fresh = FingerprintBank(self.policy, self.image_loader, self.lsh_threshold)
        entries = {f"{e.listing_id}|{e.evidence.recall_number}": e for e in loaded}
        keys = list(entries)
        tags = np.array([fresh._index(k, e) for k, e in entries.items()], dtype=np.int64)
        if keys:  # the MinHash rows of all entries in one pass each
            e = list(entries.values())
            fresh._lsh.put_many(keys, np.array([x.minhash for x in e], dtype=np.uint64), tags)
            sizes = np.array([x.title_shingles for x in e], dtype=np.int64)
            fresh._title_lsh.put_many(
                keys, np.array([x.title_minhash for x in e], dtype=np.uint64), tags, sizes
            )
            for x in e:
                x.minhash = x.title_minhash = ()
        indexes = {k: v for k, v in vars(fresh).items() if k.startswith("_") and k != "_lock"}  # _reset's
        with self._lock:
            vars(self).update(indexes)

    @classmethod
    def restore(cls, snapshot: dict[str, Any], policy: DecisionPolicy | None = None) -> FingerprintBank:
        """A bank rebuilt from a :meth:`snapshot`."""
        bank = cls(policy)
        bank.load(snapshot)
        return bank
