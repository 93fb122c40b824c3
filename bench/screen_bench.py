"""Screening benchmark: accuracy on the dev split and listings/second on one core.

    python -m bench.screen_bench [--data-dir ../shared/data] [--scale 11]

Runs ``recallguard screen`` on ``bench/dev`` (score with ../shared/bench/score_screen.py), then on
the dev listings replicated ``--scale`` times (about 200,000) pinned to one core with taskset.
Writes bench/results/screen.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.machine import machine_info

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
WORK = ROOT / "bench" / "work"


def run_screen(recalls: Path, listings: Path, out: Path, one_core: bool) -> float:
    cmd = [sys.executable, "-m", "recallguard", "screen", "--recalls", str(recalls),
           "--listings", str(listings),
           "--out", str(out)]  # fmt: skip
    if one_core and shutil.which("taskset"):
        cmd = ["taskset", "-c", "0", *cmd]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=os.environ | {"OMP_NUM_THREADS": "1"})
    return time.perf_counter() - t0


def count_lines(p: Path) -> int:
    with p.open("rb") as f:
        return sum(1 for _ in f)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--scale", type=int, default=11)
    a = ap.parse_args()
    dev = a.data_dir / "bench" / "dev"
    scorer = a.data_dir.parent / "bench" / "score_screen.py"
    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = WORK / "dev-matches.csv"
    secs = run_screen(dev / "recalls.json", dev / "listings.jsonl", out, one_core=True)
    scored = json.loads(
        subprocess.run([sys.executable, str(scorer), str(dev / "truth.csv"), str(out), "--json"],
                       check=True, capture_output=True, text=True).stdout
    )  # fmt: skip
    n_dev = count_lines(dev / "listings.jsonl")
    result: dict[str, object] = {
        "machine": machine_info(),
        "dev": scored | {"listings": n_dev, "seconds_incl_startup": round(secs, 2)},
    }
    if a.scale > 0:
        big = WORK / f"dev-x{a.scale}.jsonl"
        if not big.exists():
            subprocess.run([sys.executable, str(a.data_dir.parent / "bench" / "replicate.py"),
                            str(dev / "listings.jsonl"), str(a.scale), str(big)], check=True)  # fmt: skip
        n = count_lines(big)
        secs = run_screen(dev / "recalls.json", big, WORK / "big-matches.csv", one_core=True)
        result["throughput_one_core"] = {"listings": n, "seconds": round(secs, 2),
                                         "listings_per_second": round(n / secs)}  # fmt: skip
    (RESULTS / "screen.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
