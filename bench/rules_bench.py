"""Category-ban rules and the non-CPSC recall parsers, measured.

    python -m bench.rules_bench [--data-dir ../shared/data] [--out bench/results/rules.json]

Rules: precision and recall of every shipped rule on its hand-labelled set (tests/data/rules/<id>.jsonl),
counting a listing as flagged when the rule answers block or review (and, separately, block only), with
the misses and false alarms listed; other rules firing on a set are counted as cross-rule alarms. Speed:
microseconds per listing for clean and for candidate listings; with the shared data present, the
rule hits on the 18k real (non-recalled) offers of the screening benchmark. Parsers: every sample record
parses, and a fuzzed corpus of malformed records gives clean errors (BadRecord), never an exception.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import time
from pathlib import Path
from typing import Any

from recallguard.domain.models import DecisionKind, Listing
from recallguard.matching.rules import RuleSet
from recallguard.sources.generic_csv import parse_generic_csv
from recallguard.sources.health_canada import parse_health_canada
from recallguard.sources.safety_gate import parse_safety_gate

ROOT = Path(__file__).resolve().parents[1]
SETS = ROOT / "tests" / "data" / "rules"
LISTING_FIELDS = ("listing_id", "title", "description", "brand", "model", "category", "language")


def _listing(row: dict[str, Any]) -> Listing:
    return Listing(**{k: str(row.get(k) or "") for k in LISTING_FIELDS})


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def bench_rules(ruleset: RuleSet) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for rule, path in [(r, p) for r in ruleset.rules for p in sorted(SETS.glob(f"{r.id}*.jsonl"))]:
        # <id>.jsonl is the rule's labelled set; <id>.<name>.jsonl are later sets written after a rule change
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        tp = fp = fn = btp = bfp = cross = 0
        misses, alarms = [], []
        for row in rows:
            matches = ruleset.screen(_listing(row))
            mine = [m for m in matches if m.recall_number == rule.recall_number]
            cross += any(m.recall_number != rule.recall_number for m in matches)
            hit, label = bool(mine), int(row["label"]) == 1
            blocked = bool(mine) and mine[0].decision is DecisionKind.BLOCK
            tp, fp, fn = tp + (hit and label), fp + (hit and not label), fn + (label and not hit)
            btp, bfp = btp + (blocked and label), bfp + (blocked and not label)
            if label and not hit:
                misses.append(f"{row['listing_id']}: {row['title'][:80]}")
            if hit and not label:
                alarms.append(
                    f"{row['listing_id']}: {row['title'][:80]} [{mine[0].decision.value} {mine[0].score}]"
                )
        positives = sum(int(r["label"]) == 1 for r in rows)
        out[path.name.removesuffix(".jsonl")] = {
            "listings": len(rows),
            "positives": positives,
            "precision": _ratio(tp, tp + fp),
            "recall": _ratio(tp, tp + fn),
            "block_precision": _ratio(btp, btp + bfp),
            "block_recall": _ratio(btp, positives),
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "cross_rule_alarms": cross,
            "misses": misses,
            "false_alarms": alarms,
        }
    return out


def bench_speed(ruleset: RuleSet, listings: list[Listing], repeat: int = 3) -> dict[str, Any]:
    clean = [x for x in listings if not ruleset.candidates(_text(x))]
    cands = [x for x in listings if ruleset.candidates(_text(x))]

    def per_listing(items: list[Listing]) -> float | None:
        if not items:
            return None
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            for x in items:
                ruleset.screen(x)
            best = min(best, time.perf_counter() - t0)
        return round(best / len(items) * 1e6, 2)

    return {
        "listings": len(listings),
        "clean_listings": len(clean),
        "us_per_clean_listing": per_listing(clean),
        "us_per_candidate_listing": per_listing(cands),
    }


def _text(x: Listing) -> str:
    from recallguard.matching.rules import fold

    return fold(" \n ".join((x.title, x.description, x.category, x.brand, x.model)))


def bench_real_offers(ruleset: RuleSet, data_dir: Path) -> dict[str, Any] | None:
    path = data_dir / "bench" / "dev" / "listings.jsonl"
    if not path.exists():
        return None
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    listings = [_listing(r) for r in rows]
    hits: dict[str, list[str]] = {}
    for x in listings:
        for m in ruleset.screen(x):
            hits.setdefault(m.recall_number, []).append(
                f"{x.listing_id} [{m.decision.value}]: {x.title[:70]}"
            )
    return {
        "source": str(path),
        "note": "real offers and listings of recalled CPSC products; read the examples to judge hits",
        "hits_per_rule": {k: len(v) for k, v in hits.items()},
        "examples": {k: v[:15] for k, v in hits.items()},
        "speed": bench_speed(ruleset, listings, repeat=1),
    }


def _mutate(value: Any, rng: random.Random) -> Any:
    junk = [None, 7, -1.5, True, "", "x" * 300, [], {}, [1, "a"], {"k": None}, "2026-99-99", "\x00\ufffd"]
    if isinstance(value, dict) and value and rng.random() < 0.7:
        key = rng.choice(list(value))
        value = dict(value)
        value[key] = _mutate(value[key], rng) if rng.random() < 0.5 else rng.choice(junk)
        if rng.random() < 0.1:
            value.pop(key)
        return value
    if isinstance(value, list) and value and rng.random() < 0.7:
        i = rng.randrange(len(value))
        return [*value[:i], _mutate(value[i], rng), *value[i + 1 :]]
    return rng.choice(junk)


def bench_parsers(n: int = 2000, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    sg = json.loads((ROOT / "tests/data/safety-gate/safety-gate-notification-sample.json").read_text())
    hc = json.loads((ROOT / "tests/data/health-canada/hc-recalls-sample.json").read_text())
    csv_text = (ROOT / "tests/data/generic-csv/recalls-sample.csv").read_text()
    out: dict[str, Any] = {}
    for name, parse, sample in (
        ("safety-gate", parse_safety_gate, sg),
        ("health-canada", parse_health_canada, hc),
    ):
        batch = parse(sample, name)
        crashes = bad = good = 0
        for _ in range(n):
            rec = _mutate(copy.deepcopy(rng.choice(sample)), rng)
            for _ in range(rng.randrange(3)):
                rec = _mutate(rec, rng)
            try:
                b = parse([rec], "fuzz")
                bad += len(b.bad)
                good += len(b.recalls)
            except Exception:
                crashes += 1
        out[name] = {
            "sample_records": len(sample), "sample_parsed": len(batch.recalls), "sample_bad": len(batch.bad),
            "fuzzed": n, "fuzz_parsed": good, "fuzz_bad_records": bad, "fuzz_crashes": crashes,
        }  # fmt: skip
    crashes = bad = 0
    lines = csv_text.splitlines()
    for _ in range(n):
        body = [list(line) for line in lines[1:]]
        for row in body:
            for _ in range(rng.randrange(4)):
                if row:
                    row[rng.randrange(len(row))] = rng.choice([",", '"', "\n", "x", "", "9", ";"])
        try:
            bad += len(parse_generic_csv(lines[0] + "\n" + "\n".join("".join(r) for r in body), "fuzz").bad)
        except Exception:
            crashes += 1
    sample = parse_generic_csv(csv_text)
    out["generic-csv"] = {"sample_rows": len(lines) - 1, "sample_parsed": len(sample.recalls),
                          "sample_bad_by_design": len(sample.bad), "fuzzed": n, "fuzz_bad_records": bad,
                          "fuzz_crashes": crashes}  # fmt: skip
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "rules.json"))
    a = ap.parse_args()
    ruleset = RuleSet.load()
    rules = bench_rules(ruleset)
    set_listings = [_listing(json.loads(line)) for p in sorted(SETS.glob("*.jsonl")) for line in p.open()]
    result = {
        "rules": rules,
        "speed_on_labelled_sets": bench_speed(ruleset, set_listings),
        "real_offers": bench_real_offers(ruleset, Path(a.data_dir)),
        "parsers": bench_parsers(),
    }
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for rid, r in rules.items():
        print(f"{rid:32s} n={r['listings']:3d} precision={r['precision']} recall={r['recall']} "
              f"block_precision={r['block_precision']} block_recall={r['block_recall']} "
              f"cross={r['cross_rule_alarms']}")  # fmt: skip
    print("speed:", result["speed_on_labelled_sets"])
    if result["real_offers"]:
        print("real offers:", result["real_offers"]["hits_per_rule"], result["real_offers"]["speed"])
    print("parsers:", {k: v.get("fuzz_crashes") for k, v in result["parsers"].items()}, "crashes")
    print(f"written {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
