"""The fingerprint bank in the stateful path: cost of writing an entry (in the action's
transaction), rebuilding the in-memory bank from the store, the memory the rebuilt bank holds per entry
(tracemalloc), a screening check, applying one change by polling, and the poll thread's repair from
the actions table (and how far apart that puts repairs) — by bank size, on a SQLite file.

python -m bench.bank_bench [--sizes 1000,10000]   → bench/results/bank.json

Entries are synthetic listings (brand, four product words, a model number), each actioned with a
reason worded as the decide path words it (~200-300 characters); queries are 300 clean listings and up
to 300 homoglyph copies of banked titles.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from recallguard.domain.models import DecisionKind, Listing, Match
from recallguard.enforcement.actions import action_for
from recallguard.matching.bank_entries import ActionEvidence
from recallguard.service.bank import SYNC_EVERY, BankService, next_repair_at
from recallguard.service.bank_record import fingerprint_entry
from recallguard.store import Store, UnitOfWork
from recallguard.store.bank_repos import BankRepo

RESULTS = Path(__file__).with_name("results") / "bank.json"
WORDS = "stroller adapter car seat helmet scooter lamp charger cable kettle toy doll magnet crib gate".split()
BRANDS = "BabyGo Lumo Razor Joolz Graco Chicco Evenflo Nuna Cybex Maxi Britax Kolcraft".split()


def _listing(i: int, r: random.Random) -> Listing:
    b = r.choice(BRANDS)
    model = f"{r.choice('ABCDEFGHJK')}{r.choice('XYZQ')}-{r.randrange(1000, 99999)}"
    title = f"{b} {' '.join(r.sample(WORDS, 4))} {model}"
    return Listing(
        f"L{i}", title, f"{title}: {' '.join(r.sample(WORDS, 6))}", brand=b, seller_id=f"S{i % 5000}"
    )


def _evidence(x: Listing, i: int) -> str:
    """A block match's evidence as the screener writes it (model, brand, product name; a seller risk
    clause on a third of them): the action's reason quotes it, and the bank entry quotes the reason."""
    model = x.title.rsplit(" ", 1)[-1]
    why = (
        f"model {model} in title/model; brand {x.brand} (title exact); product name '{x.title}' 100% in title"
    )
    if i % 3 == 0:
        s = x.seller_id
        why += f"; seller {s} risk 0.60: own history: {s} has 3 actions → block threshold 0.90→0.80"
    return why


def _record(uow: UnitOfWork, x: Listing) -> None:
    """What the decide hook writes for an approved action (the action row included), its reason as the
    decide path words it (``enforcement.actions.action_for``)."""
    aid = f"A{x.listing_id}"
    i = int(x.listing_id[1:])
    action = action_for(Match(x.listing_id, "1", "CPSC", 0.97, DecisionKind.BLOCK, _evidence(x, i)))
    assert action is not None
    action.action_id = aid
    uow.actions.add(action)
    fp = fingerprint_entry(x, ActionEvidence("1", "CPSC", aid, action.reason))
    BankRepo(uow.session).record(aid, x.listing_id, "CPSC", "1", x.seller_id, {}, fp, [], datetime.now(UTC))


def _held_bytes(store: Store) -> int:
    """Python memory a freshly rebuilt bank service holds (tracemalloc: what it allocated and kept)."""
    gc.collect()
    tracemalloc.start()
    try:
        svc = BankService(store, poll_s=None, background=False)
        svc.rebuild()
        gc.collect()
        return tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()


def measure(n: int) -> dict[str, Any]:
    r = random.Random(n)
    with tempfile.TemporaryDirectory() as d, Store(f"sqlite:///{Path(d) / 'bank.db'}") as store:
        items = [_listing(i, r) for i in range(n)]
        with store.transaction() as uow:
            uow.listings.upsert_many(items)
        t0 = time.perf_counter()
        with store.transaction() as uow:
            for x in items:
                _record(uow, x)
        write = time.perf_counter() - t0
        # measured first, while no other bank is alive: a second bank's interned strings (titles, short
        # reasons) would be the first one's, and would not count
        held = _held_bytes(store)
        gc.collect()
        svc = BankService(store, poll_s=None, background=False)
        t0 = time.perf_counter()
        svc.rebuild()
        rebuild = time.perf_counter() - t0
        copies = [
            Listing(f"Q{i}", items[i].title.replace("a", "а"), seller_id="SX")
            for i in range(0, n, max(1, n // 300))
        ]
        lat, caught = [], 0
        for q in [_listing(n + i, r) for i in range(300)] + copies:
            t0 = time.perf_counter()
            found = svc.check(q)
            lat.append(time.perf_counter() - t0)
            caught += bool(found) and q.listing_id.startswith("Q")
        lat.sort()
        with store.transaction() as uow:
            extra = _listing(n + 10_000, r)
            uow.listings.upsert_many([extra])
            _record(uow, extra)
        t0 = time.perf_counter()
        svc.poll()
        poll = time.perf_counter() - t0
        t0 = time.perf_counter()
        svc.sync()  # what the poll thread's repair does when nothing needs repairing
        repair = time.perf_counter() - t0
        svc.stop()
    return {
        "entries": n,
        "write_entry_ms": round(1000 * write / n, 3),
        "rebuild_s": round(rebuild, 3),
        "memory_per_entry_bytes": round(held / n),
        "check_p50_ms": round(1000 * lat[len(lat) // 2], 3),
        "check_p99_ms": round(1000 * lat[int(len(lat) * 0.99)], 3),
        "homoglyph_copies_caught": round(caught / len(copies), 3),
        "poll_one_change_ms": round(1000 * poll, 2),
        "repair_ms": round(1000 * repair, 2),
        "repairs_every_s_at_1s_polls": round(next_repair_at(0.0, repair, SYNC_EVERY * 1.0), 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--data-dir", default="", help="unused (the bench makes its own listings)")
    a = ap.parse_args()
    rows = [measure(int(s)) for s in a.sizes.split(",")]
    for row in rows:
        print(row)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"bank": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
