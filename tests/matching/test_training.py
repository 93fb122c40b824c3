"""The screening model's rebuild script gives the same model from the same recalls, whatever Python's
hash seed (which orders sets): an auditor who reruns it gets the model that decided."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECALLS = ROOT / "data" / "cpsc" / "cpsc-recalls-api-80.json"

TRAIN = """
import sys
from pathlib import Path
from recallguard.matching.build import targets_for
from recallguard.matching.training.train import train
from recallguard.sources.loader import load_recalls
targets = targets_for(load_recalls(sys.argv[1]).recalls[:40])
train(targets, Path(sys.argv[2]), per_kind=1, folds=2)
"""


def _train(out: Path, hash_seed: str) -> str:
    env = os.environ | {"PYTHONHASHSEED": hash_seed, "OMP_NUM_THREADS": "2"}
    subprocess.run([sys.executable, "-c", TRAIN, str(RECALLS), str(out)], check=True, env=env, timeout=300)
    return (out / "screening.lgb.txt").read_text()


def test_the_rebuild_script_gives_the_same_model_whatever_the_hash_seed(tmp_path: Path) -> None:
    first = _train(tmp_path / "a", "1")
    second = _train(tmp_path / "b", "2")
    assert first.startswith("tree") and first == second
