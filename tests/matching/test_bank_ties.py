"""A re-listing that ties between several removed listings of its seller (found by the model number
alone) names the same one in every process: the regulator's evidence does not change between runs.
Python randomises string hashing per process (``PYTHONHASHSEED``), so each run is its own process."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
from recallguard.domain.models import Listing
from recallguard.matching.bank_entries import ActionEvidence
from recallguard.matching.fingerprints import FingerprintBank

bank = FingerprintBank(image_loader=None)
for i, w in enumerate(["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]):
    listing = Listing(f"L{i}", f"{w} {w}x widget ZX4471", seller_id="S9")
    bank.add(listing, ActionEvidence("26001", "CPSC", f"A{i}"))
(m,) = bank.screen(Listing("Q1", "sturdy table lamp ZX4471", seller_id="S9"))
print(m.recall_number, m.score, m.evidence.split(":")[0])
"""


def test_a_tie_among_a_sellers_removed_listings_names_the_same_one_whatever_the_hash_seed() -> None:
    said = set()
    for seed in ("0", "1", "2", "3", "4"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        cmd = [sys.executable, "-c", SCRIPT]
        run = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        said.add(run.stdout.strip())
    assert said == {"26001 0.94 re-listing of removed listing L0 (recall 26001)"}
