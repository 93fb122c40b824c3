"""Bank entries: what the fingerprint bank keeps of each actioned listing, and how it is written and held.

An entry is the listing's text and title MinHash values (``matching.shingles``), its model-number keys,
GTINs, seller links, product types and photo hashes, with the evidence of the action that removed it.
:func:`entry_record` is its stored form (JSON); :func:`held_values` the form a long-running process
keeps in memory.

>>> e = fingerprint(Listing("L1", "Joolz Aer2 adapter NL311", brand="Joolz"), ActionEvidence("1", "CPSC"))
>>> e.model_keys, e.gtins
({'AER2': 'AER2', 'N1311': 'NL311'}, [])
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from PIL import Image

from recallguard.domain.identifiers import gtin_candidates, normalize_gtin
from recallguard.domain.models import Listing
from recallguard.matching.evasion import model_candidates
from recallguard.matching.evasion_terms import product_types
from recallguard.matching.images import reference_hashes
from recallguard.matching.shingles import listing_text, shingle_values, title_text

# Listing.extra fields that link sellers: the same value on two sellers links them.
LINK_FIELDS = (
    "email", "phone", "contact", "address", "payment", "payment_account", "bank_account", "device",
    "device_id", "store_url",
)  # fmt: skip


def seller_links(listing: Listing) -> dict[str, str]:
    """The seller-link attributes a listing carries in ``extra``, normalised for comparison.

    >>> seller_links(Listing("L", "t", extra={"phone": "+86 138-0000-1111", "email": " A@B.cn "}))
    {'email': 'a@b.cn', 'phone': '8613800001111'}
    """
    out: dict[str, str] = {}
    for name in LINK_FIELDS:
        value = listing.extra.get(name)
        if value in (None, ""):
            continue
        v = str(value).strip().lower()
        out[name] = re.sub(r"\D+", "", v) if name == "phone" else " ".join(v.split())
    return out


#: Reasons longer than this are held compressed by a long-running process (:func:`packed_reason`)
PACK_REASONS_OVER = 96


@dataclass(slots=True)
class ActionEvidence:
    """The action that removed a listing, as it is quoted when the listing comes back. ``reason`` may be
    held packed (:func:`packed_reason`); read it through :attr:`reason_text`."""

    recall_number: str
    authority: str
    action_id: str = ""
    reason: str | bytes = ""
    actioned_at: str = ""  # ISO time

    @property
    def reason_text(self) -> str:
        """The reason as text, whether held as text or packed.

        >>> ActionEvidence("1", "CPSC", reason=packed_reason("block decision: " * 20)).reason_text[:23]
        'block decision: block d'
        """
        r = self.reason
        return r if isinstance(r, str) else zlib.decompress(r).decode()


def packed_reason(text: str) -> str | bytes:
    """``text`` as a bank held in memory keeps it: a long one as zlib-compressed UTF-8 bytes, a short one
    as it is. An action's reason quotes its match's evidence, and a re-listing's quotes the original
    action's in turn (up to the 1,000 characters stored): ~640 characters on average in the load bench,
    ~1.9 KB as a string (two bytes a character once one "→" is in it, plus the UTF-8 copy CPython caches
    when the string is written to the store), ~350 bytes packed. Unpacking costs ~6 µs, only when a
    re-listing is found.

    >>> packed_reason("model NL311")
    'model NL311'
    >>> long = "block decision (score 0.990): brand LiKee (title exact) → block threshold 0.90→0.70; " * 4
    >>> p = packed_reason(long); isinstance(p, bytes), len(p) < len(long) // 2
    (True, True)
    >>> zlib.decompress(p).decode() == long
    True
    """
    return zlib.compress(text.encode()) if len(text) > PACK_REASONS_OVER else text


@dataclass(slots=True)
class BankEntry:
    """One removed listing's fingerprints. Slotted: a bank holds one per removed listing, and a
    million of them would cost ~0.4 GB more as dicts. A bank that holds an entry keeps its MinHash values
    in its own rows and empties the entry's (``FingerprintBank.put``)."""

    listing_id: str
    seller_id: str
    brand: str
    title: str
    evidence: ActionEvidence
    model_keys: dict[str, str] = field(default_factory=dict)
    gtins: Sequence[str] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)
    types: Sequence[str] = field(default_factory=list)
    # MinHash values: lists as fingerprinted; a bank held in memory may keep them as arrays (held_values)
    minhash: Sequence[int] | np.ndarray = field(default_factory=list)
    title_minhash: Sequence[int] | np.ndarray = field(default_factory=list)
    title_shingles: int = 0
    images: Sequence[list[Any]] = field(default_factory=list)  # [view, phash, dhash, vphash, vdhash]


def _gtins(listing: Listing) -> list[str]:
    found = [g for g in [normalize_gtin(listing.gtin)] if g]
    return list(dict.fromkeys(found + gtin_candidates(f"{listing.title} {listing.description}")))


def fingerprint(listing: Listing, evidence: ActionEvidence, images: Sequence[Image.Image] = ()) -> BankEntry:
    """The bank entry of one actioned listing (decoded ``images`` are hashed; nothing is fetched).

    >>> e = fingerprint(Listing("L1", "Joolz Aer2 adapter NL311"), ActionEvidence("26568", "CPSC"))
    >>> e.listing_id, len(e.minhash), e.title_shingles > 0
    ('L1', 64, True)
    """
    ref_hashes = [h for img in images for h in reference_hashes(img)]
    text = listing_text(listing)
    title_values, title_n = shingle_values(title_text(listing))
    return BankEntry(
        listing_id=listing.listing_id,
        seller_id=listing.seller_id,
        brand=listing.brand,
        title=listing.title,
        evidence=evidence,
        model_keys={k: w for k, w in model_candidates(f"{listing.model} {text}").items() if len(k) >= 4},
        gtins=_gtins(listing),
        links=seller_links(listing),
        types=product_types(text),
        minhash=shingle_values(text)[0].tolist(),
        title_minhash=title_values.tolist(),
        title_shingles=title_n,
        images=[[h.view, h.phash, h.dhash, h.vphash, h.vdhash] for h in ref_hashes],
    )


def entry_record(entry: BankEntry) -> dict[str, Any]:
    """``entry`` as plain JSON-serialisable values, as :meth:`FingerprintBank.snapshot` writes it (the
    same as ``dataclasses.asdict``, without its deep copy of every MinHash value).

    >>> from dataclasses import asdict
    >>> e = fingerprint(Listing("L1", "Joolz Aer2 adapter NL311"), ActionEvidence("26568", "CPSC"))
    >>> entry_record(e) == asdict(e)
    True
    """
    raw = {f.name: getattr(entry, f.name) for f in fields(entry)}
    raw["evidence"] = {f.name: getattr(entry.evidence, f.name) for f in fields(entry.evidence)}
    raw["evidence"]["reason"] = entry.evidence.reason_text
    for name in ("model_keys", "links"):
        raw[name] = dict(raw[name])
    for name in ("gtins", "types"):
        raw[name] = list(raw[name])
    for name in ("minhash", "title_minhash"):  # Python ints, whether held as a list or an array
        raw[name] = np.asarray(raw[name], dtype=np.uint64).tolist()
    raw["images"] = [list(x) for x in entry.images]
    return raw


def held_values(raw: dict[str, Any]) -> dict[str, Any]:
    """A stored entry (as :func:`entry_record` writes it), its MinHash values turned into 32-bit arrays in
    place, the way a long-running process holds them: 128 values cost 0.7 KB instead of 5 KB of Python
    ints (MinHash values are 32-bit: the ``affine32`` scheme). Returns ``raw``.

    >>> e = entry_record(fingerprint(Listing("L1", "Joolz Aer2 adapter NL311"), ActionEvidence("1", "CPSC")))
    >>> h = held_values(dict(e))
    >>> back = entry_record(BankEntry(**{**h, "evidence": ActionEvidence("1", "CPSC")}))
    >>> h["minhash"].dtype.name, back == e
    ('uint32', True)
    """
    for name in ("minhash", "title_minhash"):
        if name in raw:
            raw[name] = np.asarray(raw[name], dtype=np.uint32)
    return raw
