"""A screening's answer is the same in every process: ties among recalls (a misspelt title word one letter
from several recalled names, brand forms one edit apart, recalls whose words a listing shares equally) are
broken on a stable key, never in set or dict order, which follows Python's per-process hash seed. A
regulator re-running a screening, or the Spark engine's workers against the local engine, must get the
same rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCRIPT = r"""
import json
from recallguard.domain.models import Listing, Target
from recallguard.matching.screen import Screener

# four recalled toasters whose names are one letter apart: "bakor" misspells each of them alike
names = ["bakar", "baker", "bakir", "bakur", "bakyr"]
targets = [
    Target(f"2600{i}", "CPSC", brand=n.title(), product_name=f"{n.title()} Toaster Ovens",
           product_type="toaster oven", text=f"This recall involves {n.title()} toaster ovens.")
    for i, n in enumerate(names)
]
# and three recalled helmets sharing every word but the brand
targets += [
    Target(f"2610{i}", "CPSC", brand=b, product_name=f"{b} Kids Bike Helmets", product_type="bike helmet",
           text="This recall involves children's bicycle helmets in red, blue and pink.")
    for i, b in enumerate(["Zelto", "Zelta", "Zeltu"])
]
screener = Screener(targets)
listings = [
    Listing("L1", "Bakor toaster oven silver"),
    Listing("L2", "bakor toaster ovens", brand="Bakor"),
    Listing("L3", "Zeltx kids bike helmet red"),
    Listing("L4", "kids bike helmet pink children's bicycle helmets", brand="Zelt"),
    Listing("L5", "Zlteo Kids Bike Helmets"),
]
out = [[(m.recall_number, m.decision.value, m.score, m.evidence) for m in screener.screen(x)]
       for x in listings]
print(json.dumps(out))
"""


def _screen(seed: str) -> str:
    env = os.environ | {"PYTHONHASHSEED": seed, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-c", SCRIPT]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_same_matches_under_every_hash_seed() -> None:
    answers = {seed: _screen(seed) for seed in ("0", "1", "2", "3", "4")}
    first = answers["0"]
    assert any(json.loads(first)), "the tie-prone listings must match something, or the test shows nothing"
    for seed, got in answers.items():
        assert got == first, f"PYTHONHASHSEED={seed} screened differently"
