"""Evasion benchmark: share of disguised re-listings caught, false alarms on clean listings, images.

    python -m bench.evasion_bench [--data-dir ../shared/data] [--bg 15000] [--photos 200 --unrelated 2000]

Seeds are the dev split's P1 listings (one per recalled product). The generator (bench/evasion_gen.py)
disguises each seed in twenty-two ways. Three screens are measured per disguise: the recall screener alone
(``recallguard.matching.screen.Screener`` over the dev recalls' targets), the fingerprint bank alone
(the undisguised seeds were actioned and added to it: the re-listing case), and both together (the
bank plugged into the screener as a check — the production wiring). "Caught" means a block or review
match for the seed's recall; "blocked" counts blocks only. Also reported: how often the normalisation
alone recovers the seed's model key and brand from the disguised text, false alarms (any match) on the
clean background listings (truth.csv kind BG), and for images the share of edited copies of 200
synthetic photos found (as the best hit) and the share of unrelated photos that match any of them.
Writes bench/results/evasion.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.evasion_gen import disguise_all
from recallguard.domain.models import BadRecord, Listing, Match
from recallguard.listings.readers import read_listings
from recallguard.matching.bank_entries import ActionEvidence
from recallguard.matching.evasion import BrandIndex, brand_match, model_key, model_keys
from recallguard.matching.fingerprints import FingerprintBank
from recallguard.matching.images import ImageIndex, query_hashes, reference_hashes

RESULTS = ROOT / "bench" / "results"


def caught(matches: list[Match], recall: str) -> tuple[bool, bool]:
    hit = [m for m in matches if m.recall_number == recall]
    return bool(hit), any(m.decision.value == "block" for m in hit)


def screen_all(screen: object, listings: list[Listing]) -> list[list[Match]]:
    many = getattr(screen, "screen_many", None)
    if many is not None:
        return [m for _, m in many(listings)]
    return [screen(x) for x in listings]  # type: ignore[operator]


def text_bench(data_dir: Path, bg_limit: int) -> dict[str, object]:
    from recallguard.matching.build import build_screener
    from recallguard.sources.loader import load_recalls

    dev = data_dir / "bench" / "dev"
    truth = {r["listing_id"]: r for r in csv.DictReader((dev / "truth.csv").open())}
    listings = [x for x in read_listings(dev / "listings.jsonl") if not isinstance(x, BadRecord)]
    seeds = [x for x in listings if truth[x.listing_id]["kind"] == "P1"]
    background = [x for x in listings if truth[x.listing_id]["kind"] == "BG"][:bg_limit]
    recall_of = {x.listing_id: truth[x.listing_id]["recall_number"] for x in seeds}
    recalls = load_recalls(dev / "recalls.json").recalls

    t0 = time.perf_counter()
    bank = FingerprintBank(image_loader=None)
    for s in seeds:
        bank.add(s, ActionEvidence(recall_of[s.listing_id], "CPSC", action_id=f"bench-{s.listing_id}"))
    bank_build_s = time.perf_counter() - t0
    screener = build_screener(recalls)
    combined = build_screener(recalls, checks=[bank])
    brands = BrandIndex([s.brand for s in seeds if s.brand])

    per: dict[str, dict[str, object]] = {}
    for name, pairs in disguise_all(seeds).items():
        disguised = [d for _, d in pairs]
        row: dict[str, object] = {"n": len(pairs)}
        for label, screen in (("screener", screener), ("bank", bank), ("screener+bank", combined)):
            t0 = time.perf_counter()
            results = screen_all(screen, disguised)
            flags = [caught(m, recall_of[s.listing_id]) for (s, _), m in zip(pairs, results, strict=True)]
            row[label] = {
                "caught": round(sum(c for c, _ in flags) / max(1, len(flags)), 4),
                "blocked": round(sum(b for _, b in flags) / max(1, len(flags)), 4),
                "ms_per_listing": round(1000 * (time.perf_counter() - t0) / max(1, len(flags)), 2),
            }
        with_model = [(s, d) for s, d in pairs if s.model and len(model_key(s.model)) >= 3]
        row["model_key_recovered"] = (
            round(
                sum(model_key(s.model) in model_keys(f"{d.model} {d.title}") for s, d in with_model)
                / len(with_model),
                4,
            )
            if with_model
            else None
        )
        with_brand = [(s, d) for s, d in pairs if s.brand]
        row["brand_recovered"] = round(
            sum(
                (brand_match(d.brand or d.title, brands)[0] or "").lower() == s.brand.lower()
                for s, d in with_brand
            )
            / max(1, len(with_brand)),
            4,
        )
        per[name] = row
        print(f"[evasion] {name}: {json.dumps(row)}", flush=True)

    alarms: dict[str, object] = {"n": len(background)}
    for label, screen in (("screener", screener), ("bank", bank), ("screener+bank", combined)):
        t0 = time.perf_counter()
        results = screen_all(screen, background)
        alarms[label] = {
            "any_match": round(sum(bool(m) for m in results) / max(1, len(results)), 5),
            "blocked": round(
                sum(any(x.decision.value == "block" for x in m) for m in results) / len(results), 5
            ),
            "ms_per_listing": round(1000 * (time.perf_counter() - t0) / max(1, len(results)), 2),
        }
        print(f"[evasion] background {label}: {json.dumps(alarms[label])}", flush=True)
    return {
        "seeds": len(seeds),
        "bank_build_s": round(bank_build_s, 2),
        "disguises": per,
        "false_alarms": alarms,
    }


def image_bench(photos: int, unrelated: int) -> dict[str, object]:
    from tests.images.synth import EDITS, crop, product_photo

    edits = dict(EDITS)
    edits["heavy-crop"] = lambda img, r: crop(img, r, 0.15)
    index = ImageIndex()
    t0 = time.perf_counter()
    for seed in range(photos):
        index.add(f"photo-{seed}", reference_hashes(product_photo(seed)))
    index_ms = 1000 * (time.perf_counter() - t0) / photos
    out: dict[str, object] = {"reference_photos": photos, "index_ms_per_photo": round(index_ms, 1)}
    per: dict[str, float] = {}
    for name, edit in edits.items():
        r = random.Random(f"image:{name}")
        ok = 0
        for seed in range(photos):
            hits = index.search(query_hashes(edit(product_photo(seed), r)))
            ok += bool(hits) and hits[0].key == f"photo-{seed}"
        per[name] = round(ok / photos, 4)
        print(f"[evasion] image {name}: {per[name]}", flush=True)
    out["caught"] = per
    t0 = time.perf_counter()
    false = sum(bool(index.search(query_hashes(product_photo(100_000 + i)))) for i in range(unrelated))
    out["unrelated_photos"] = unrelated
    out["false_match_rate"] = round(false / unrelated, 5)
    out["query_ms"] = round(1000 * (time.perf_counter() - t0) / unrelated, 2)
    print(f"[evasion] images unrelated: {false}/{unrelated}", flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--bg", type=int, default=15_000, help="background listings screened for false alarms")
    ap.add_argument("--photos", type=int, default=200)
    ap.add_argument("--unrelated", type=int, default=2000)
    ap.add_argument("--skip-text", action="store_true")
    a = ap.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    result: dict[str, object] = {"command": " ".join(["python -m bench.evasion_bench", *sys.argv[1:]])}
    t0 = time.perf_counter()
    if not a.skip_text:
        result["text"] = text_bench(a.data_dir, a.bg)
    if a.photos > 0:
        result["images"] = image_bench(a.photos, a.unrelated)
    result["seconds"] = round(time.perf_counter() - t0, 1)
    (RESULTS / "evasion.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"[evasion] wrote {RESULTS / 'evasion.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
