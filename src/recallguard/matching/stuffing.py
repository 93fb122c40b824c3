"""Keyword stuffing: titles that name many brands so the listing turns up in every search.

A seller re-listing a removed product appends other brands' names ("... Helmets NordicTrack Hot
Overstock.com Rollerblade Top") to drown the words that identify it: every appended brand is another
candidate, and the recalled product's share of the title falls. A reviewer reads such a title in parts,
one brand at a time; so does the screener. When a title names at least ``MIN_BRANDS`` distinct known
brands (exact mentions of recalled brands), :func:`title_parts` cuts it before each mention: every part
is one brand's stretch of the title, led by the words before the first brand (where accessory cues such
as "fits" or "compatible with" are written); those words alone and the title up to each later brand are
parts too (a recalled brand the index does not know, a brand word inside the product's own name). Each
part is then screened as the listing's title, and a target keeps its best score over the whole title and
the parts. Titles with fewer brands are left alone
(no extra cost on the hot path).

>>> for part in title_parts("Ninebot Kids Bicycle Helmets Hill Best NordicTrack Hot Overstock.com 2025",
...                         ["ninebot", "hill", "nordictrack", "overstock com"]):
...     print(part)
Ninebot Kids Bicycle Helmets
Hill Best
NordicTrack Hot
Overstock.com 2025
Ninebot Kids Bicycle Helmets Hill Best
>>> title_parts("Fits Graco and Chicco car seats", ["graco", "chicco"])
[]
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from recallguard.matching.normalize import normalize_text

MIN_BRANDS = 3  # distinct brands named in one title before it is read in parts
MAX_PARTS = 12  # a title naming more brands than this is read in its first parts only


def title_parts(title: str, brand_forms: Iterable[str], min_brands: int = MIN_BRANDS) -> list[str]:
    """The parts of a stuffed ``title`` (original spelling), one per brand mention, each led by the
    words before the first mention; ``[]`` when the title names fewer than ``min_brands`` distinct
    ``brand_forms`` (normalised, as in the brand index)."""
    forms = {f for f in brand_forms if f}
    if len(forms) < min_brands:
        return []
    words = title.split()
    norm = [normalize_text(w).split() for w in words]
    flat: list[str] = []
    owner: list[int] = []  # original word index of each normalised word
    for i, parts in enumerate(norm):
        flat.extend(parts)
        owner.extend([i] * len(parts))
    longest = max(len(f.split()) for f in forms)
    starts: list[int] = []  # original word index where a brand mention starts
    seen: set[str] = set()
    k = 0
    while k < len(flat):
        for n in range(min(longest, len(flat) - k), 0, -1):
            gram = " ".join(flat[k : k + n])
            if gram in forms:
                if gram not in seen and (not starts or owner[k] != starts[-1]):
                    starts.append(owner[k])
                    seen.add(gram)
                k += n
                break
        else:
            k += 1
    if len(seen) < min_brands:
        return []
    head = words[: starts[0]]
    bounds = [*starts, len(words)]
    out = [" ".join(head)] if head else []
    for a, b in itertools.pairwise(bounds):  # each brand's stretch, led by the head
        out.append(" ".join(head + words[a:b]))
    out.extend(" ".join(words[:b]) for b in starts[1:-1])  # the title up to a later brand
    return list(dict.fromkeys(p for p in out if p))[:MAX_PARTS]
