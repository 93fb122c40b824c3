"""The clean run the crashed runs are compared with: the same inputs and steps, in one process, no kills.

    python -m tests.crash.reference INPUTS_DIR DATABASE_URL OUT.json [--import-batch N]
                                    [--scan-batch N] [--worker-batch N]

Steps, in the harness's order: ``listings import`` of the catalogue, ``recalls import`` of each
chunk, ``scan``, then the stream's create events through the stream worker's store sink
(``ServiceSink``) in batches; writes ``snapshot(DATABASE_URL)`` as JSON.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def run_reference(inputs: Path, url: str, *, import_batch: int, scan_batch: int, worker_batch: int) -> dict:
    """Run the clean pipeline on ``url`` (an empty store) and return its snapshot."""
    from recallguard.scale.events import encode_event, parse_event
    from recallguard.scale.service_sink import ServiceSink
    from recallguard.service.bank import open_bank
    from recallguard.service.importers import import_listings, import_recalls
    from recallguard.service.scan import scan
    from recallguard.service.screening import screener_factory
    from recallguard.store import Store
    from tests.crash.snapshot import snapshot

    store = Store(url)
    open_bank(store, background=False)
    import_listings(store, inputs / "catalogue.jsonl", batch_size=import_batch)
    for chunk in sorted(inputs.glob("recalls-*.json")):
        import_recalls(store, chunk)
    scan(store, batch_size=scan_batch, factory=screener_factory())
    sink = ServiceSink(store, actor="worker")
    events = [json.loads(line) for line in (inputs / "stream.jsonl").read_text().splitlines()]
    for i in range(0, len(events), worker_batch):
        batch = [parse_event(encode_event("create", e)) for e in events[i : i + worker_batch]]
        sink.handle_batch([(ev.op, ev.listing, str(n)) for n, ev in enumerate(batch)])  # type: ignore[misc]
    store.close()
    return snapshot(url)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("inputs", type=Path)
    ap.add_argument("url")
    ap.add_argument("out", type=Path)
    ap.add_argument("--import-batch", type=int, default=100)
    ap.add_argument("--scan-batch", type=int, default=100)
    ap.add_argument("--worker-batch", type=int, default=50)
    a = ap.parse_args()
    snap = run_reference(
        a.inputs, a.url, import_batch=a.import_batch, scan_batch=a.scan_batch, worker_batch=a.worker_batch
    )
    a.out.write_text(json.dumps(snap))


if __name__ == "__main__":
    main()
