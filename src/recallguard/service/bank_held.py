"""What a process keeps of each active bank entry: the entry's fingerprints and the few fields of its
stored record that the bank service needs, in one slotted object.

A stored entry arrives as a :class:`~recallguard.store.bank_repos.BankRecord` whose fingerprint is
decoded JSON: a dict of ~15 keys (each key string allocated again for every row), an evidence dict, the
MinHash values as Python ints. :func:`held` turns it into a :class:`HeldEntry` holding a slotted
:class:`~recallguard.matching.bank_entries.BankEntry` and lets the dict go; the strings both carry
(listing, seller, recall, authority) are held once. The bank service gives the same ``BankEntry`` to its
:class:`~recallguard.matching.fingerprints.FingerprintBank`, which keeps the MinHash values in its own
rows. A long action reason is held packed (:func:`~recallguard.matching.bank_entries.packed_reason`). With
the bank's own indexes, a process holds ~3.9 KB per removed listing (``python -m bench.bank_bench --sizes
30000``, reasons as the decide path words them; at 10,000 entries 4.6 KB, part of it the bounded caches).

>>> from datetime import UTC, datetime
>>> from recallguard.domain.models import Listing
>>> from recallguard.matching.bank_entries import ActionEvidence, entry_record, fingerprint
>>> fp = entry_record(fingerprint(Listing("L1", "Joolz Aer2 adapter NL311", seller_id="S1"),
...                               ActionEvidence("26568", "CPSC", "A1", "model NL311")))
>>> rec = BankRecord(7, "A1", "L1", "CPSC", "26568", "S1", {}, fp, [], "none", "active")
>>> h = held(rec)
>>> h.entry_id, h.listing_id, h.recall_number, h.entry.evidence.reason, h.entry.minhash.dtype.name
(7, 'L1', '26568', 'model NL311', 'uint32')
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from recallguard.matching.bank_entries import (
    ActionEvidence,
    BankEntry,
    held_values,
    packed_reason,
)
from recallguard.store.bank_repos import BankRecord


@dataclass(slots=True)
class HeldEntry:
    """One active bank entry as a process holds it (see the module docstring)."""

    entry_id: int
    action_id: str
    links: dict[str, str]  # the seller-link attributes of the removed listing
    actioned_at: datetime | None
    images: Sequence[list[Any]]  # photo hash rows (``matching.images``), matched by the service's own index
    entry: BankEntry  # images left out

    @property
    def listing_id(self) -> str:
        return self.entry.listing_id

    @property
    def seller_id(self) -> str:
        return self.entry.seller_id

    @property
    def authority(self) -> str:
        return self.entry.evidence.authority

    @property
    def recall_number(self) -> str:
        return self.entry.evidence.recall_number


#: the product types of entries that name one or two, each combination held once (bounded: the
#: vocabulary of ``matching.evasion_terms`` has ~80 types); longer ones (keyword stuffing) keep their own
_TYPE_SETS: dict[tuple[str, ...], tuple[str, ...]] = {}


def held(rec: BankRecord) -> HeldEntry:
    """``rec`` as a process holds it (see the module docstring); ``rec`` itself is not changed.

    >>> rec = BankRecord(1, "A1", "L1", "CPSC", "26568", "S1", {"phone": "1"}, {}, [], "none", "active")
    >>> h = held(rec)  # an entry stored before a field existed gets the field's default
    >>> h.listing_id, h.seller_id, h.links, h.entry.title, len(h.entry.minhash)
    ('L1', 'S1', {'phone': '1'}, '', 0)

    Two entries of one product removed twice hold its title and the evidence of its actions once:

    >>> import json
    >>> fp = json.dumps({"title": "Gudook helmet KY055", "evidence": {"reason": "block: model KY055"},
    ...                  "types": ["bicycle", "helmet"]})
    >>> a, b = (held(BankRecord(i, "A", f"L{i}", "CPSC", "1", "S", {}, json.loads(fp), [], "none", "active"))
    ...         for i in (1, 2))
    >>> a.entry.title is b.entry.title, a.entry.evidence.reason is b.entry.evidence.reason
    (True, True)
    >>> a.entry.types is b.entry.types, a.images is b.images  # and its product types; no photos: ()
    (True, True)
    >>> why = {"title": "t", "evidence": {"reason": "block decision (score 0.99) → threshold 0.70; " * 9}}
    >>> e = held(BankRecord(3, "A", "L3", "CPSC", "1", "S", {}, why, [], "none", "active")).entry.evidence
    >>> isinstance(e.reason, bytes), len(e.reason) < 200, e.reason_text == why["evidence"]["reason"]
    (True, True, True)
    """
    fp = dict(rec.fingerprint)
    images = fp.pop("images", None) or ()  # most entries have no photos: the one empty tuple
    ev = dict(fp.pop("evidence", None) or {})
    # the record's columns name the entry (the fingerprint repeats them); recall and authority interned
    ev["recall_number"], ev["authority"] = sys.intern(rec.recall_number), sys.intern(rec.authority)
    fp["listing_id"], fp["seller_id"] = rec.listing_id, rec.seller_id
    # strings that repeat across entries (a product removed many times: its title, brand, model codes and
    # the evidence of its actions) held once; sys.intern lets go of a string when its last entry goes
    fp["brand"], fp["title"] = sys.intern(fp.get("brand", "")), sys.intern(fp.get("title", ""))
    fp["model_keys"] = {sys.intern(k): sys.intern(v) for k, v in (fp.get("model_keys") or {}).items()}
    reason = packed_reason(ev.get("reason", ""))  # a long one packed: the largest part of an entry as text
    ev["reason"] = sys.intern(reason) if isinstance(reason, str) else reason
    # product types are a small vocabulary, and so are their combinations: one tuple for each
    types = tuple(sys.intern(t) for t in fp.get("types", ()))
    fp["types"] = _TYPE_SETS.setdefault(types, types) if len(types) <= 2 else types
    fp["gtins"] = tuple(fp.get("gtins", ()))
    if ev.get("action_id") == rec.action_id:
        ev["action_id"] = rec.action_id  # held once
    entry = BankEntry(**held_values(fp), evidence=ActionEvidence(**ev))
    links = entry.links if entry.links == rec.links else rec.links
    return HeldEntry(rec.entry_id, rec.action_id, links, rec.actioned_at, images, entry)
