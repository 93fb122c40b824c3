"""``make bench``: run every benchmark module and collect their JSON under bench/results/.

python -m bench.run [--only screen,em] [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHES = [
    "screen_bench",
    "blocking_bench",
    "em_bench",
    "rules_bench",
    "evasion_bench",
    "bank_bench",
    "gate_bench",
    "rescan_bench",
    "scale_bench",
    "load_bench",
    "targets_bench",
    "recall_check_bench",
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", default="")
    ap.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    a = ap.parse_args()
    wanted = [b for b in BENCHES if not a.only or b.removesuffix("_bench") in a.only.split(",")]
    failed = []
    for name in wanted:
        if not (ROOT / "bench" / f"{name}.py").exists():
            print(f"[bench] {name}: not present, skipped")
            continue
        t0 = time.time()
        print(f"[bench] {name} ...", flush=True)
        args = [sys.executable, "-m", f"bench.{name}"]
        if name in (
            "screen_bench",
            "blocking_bench",
            "evasion_bench",
            "rules_bench",
            "scale_bench",
            "targets_bench",
        ):
            args += ["--data-dir", a.data_dir]
        elif name == "em_bench":
            args += ["--data-dir", str(Path(a.data_dir) / "em")]
        rc = subprocess.run(args, cwd=ROOT).returncode
        print(f"[bench] {name}: exit {rc} in {time.time() - t0:.0f}s")
        if rc:
            failed.append(name)
    print(f"[bench] results in {ROOT / 'bench' / 'results'}; failed: {failed or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
