"""The crash harness's inputs: a synthetic catalogue, a listing stream and recall files in chunks.

Listings come from the project's synthesiser (``recallguard.scale.synth``) seeded with the real CPSC
sample in ``data/cpsc`` (about 5 % of them offer a recalled product, written the way sellers write
them), so kills land while real matches and actions are being written. Two bad lines go to the
catalogue so quarantine is exercised too.

>>> import tempfile
>>> ins = build_inputs(tempfile.mkdtemp(), catalogue=40, stream=10, chunks=2)
>>> len(ins.recall_chunks), ins.catalogue_ids[0], ins.stream_ids[0]
(2, 'SYN0000000000', 'STR0000000000')
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CPSC_SAMPLE = REPO / "data" / "cpsc" / "cpsc-recalls-api-80.json"
BAD_LINES = ('{"listing_id": "BAD-1", "title": ""}', '{"listing_id": "BAD-2", "title": "x", "price": "n/a"}')


@dataclass
class CrashInputs:
    """Paths and ids of one generated input set."""

    root: Path
    catalogue: Path  # JSONL, imported by ``recallguard listings import``
    stream: Path  # JSONL of listings published as create events
    recall_chunks: list[Path] = field(default_factory=list)
    catalogue_ids: list[str] = field(default_factory=list)
    stream_ids: list[str] = field(default_factory=list)

    def stream_listings(self) -> list[dict[str, Any]]:
        """The stream's listings as the producer sends them."""
        return [json.loads(line) for line in self.stream.read_text().splitlines()]


def _synth_rows(out: Path, n: int, seed: int, prefix: str) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    from recallguard.scale.recalled import products_from_recalls
    from recallguard.scale.synth import write_catalogue
    from recallguard.sources.loader import load_recalls

    products = products_from_recalls(load_recalls(CPSC_SAMPLE).recalls)
    write_catalogue(out, n, seed=seed, recalled=products, recalled_share=0.05, chunk_rows=1000)
    rows: list[dict[str, Any]] = []
    for part in sorted(out.glob("part-*.parquet")):
        rows += pq.read_table(part).to_pylist()
    for r in rows:
        r["listing_id"] = prefix + r["listing_id"][3:]
    return [{k: v for k, v in r.items() if v not in (None, "", [])} for r in rows]


def build_inputs(
    root: str | Path, *, catalogue: int = 2000, stream: int = 400, chunks: int = 4
) -> CrashInputs:
    """Write the catalogue, the stream and ``chunks`` recall files (the CPSC sample split) under
    ``root``; the same arguments give the same files."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    cat_rows = _synth_rows(root / "synth-catalogue", catalogue, seed=11, prefix="SYN")
    str_rows = _synth_rows(root / "synth-stream", stream, seed=12, prefix="STR")
    ins = CrashInputs(root, root / "catalogue.jsonl", root / "stream.jsonl")
    lines = [json.dumps(r, ensure_ascii=False) for r in cat_rows]
    lines[len(lines) // 3 : len(lines) // 3] = BAD_LINES  # bad records in the middle of the file
    ins.catalogue.write_text("\n".join(lines) + "\n")
    ins.stream.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in str_rows) + "\n")
    ins.catalogue_ids = [r["listing_id"] for r in cat_rows]
    ins.stream_ids = [r["listing_id"] for r in str_rows]
    recalls = json.loads(CPSC_SAMPLE.read_text())
    size = -(-len(recalls) // chunks)
    for i in range(chunks):
        p = root / f"recalls-{i}.json"
        p.write_text(json.dumps(recalls[i * size : (i + 1) * size]))
        ins.recall_chunks.append(p)
    return ins
