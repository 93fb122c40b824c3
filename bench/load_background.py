"""The load bench's background: the stream worker, its event producer, and the catalogue loop's rounds
(``listings import`` of fresh synthetic listings, then ``recallguard scan``), with their progress counts
(used by ``bench.load_bench``).
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, cast

from bench.gate_bench import RECALLS


def listing_dicts(n: int, seed: int, prefix: str, work: Path) -> list[dict[str, Any]]:
    """``n`` synthetic listings (``recallguard.scale.synth``; 5 % offer recalled products), ids prefixed."""
    import pyarrow.parquet as pq

    from recallguard.scale.recalled import products_from_recalls
    from recallguard.scale.synth import write_catalogue
    from recallguard.sources.loader import load_recalls

    out = work / f"synth-{prefix}-{seed}"
    products = products_from_recalls(load_recalls(RECALLS).recalls)
    write_catalogue(out, n, seed=seed, recalled=products, recalled_share=0.05, chunk_rows=max(1000, n))
    rows = [r for part in sorted(out.glob("part-*.parquet")) for r in pq.read_table(part).to_pylist()]
    shutil.rmtree(out, ignore_errors=True)
    return [
        {**{k: v for k, v in r.items() if v not in (None, "", [])}, "listing_id": f"{prefix}{i:07d}"}
        for i, r in enumerate(rows)
    ]


class Background:
    """The scan loop, the stream producer and the stream worker, with their progress counts."""

    def __init__(
        self,
        env: dict[str, str],
        work: Path,
        redis_url: str,
        stream_rate: float,
        chunk: int,
        round_every: float = 0.0,
    ) -> None:
        self.env, self.work, self.redis_url = env, work, redis_url
        self.stream_rate, self.chunk, self.round_every = stream_rate, chunk, round_every
        self.rounds_late = 0  # rounds that started late: the one before ran past its period
        self.busy_s = 0.0  # seconds an import or a scan of the catalogue loop was running
        self.started = 0.0
        self.stream = f"rgload:{uuid.uuid4().hex[:10]}:listings"
        self.stop = threading.Event()
        self.scanned = 0  # listings screened by finished scans
        self.scans = 0
        self.published = 0
        self.procs: list[subprocess.Popen[bytes]] = []
        self.errors: list[str] = []
        self.runs: list[dict[str, Any]] = []  # each import and scan: what, seconds, exit status
        self.windows: list[tuple[str, float, float]] = []  # each import and scan: what, perf_counter from, to

    def _run(self, *args: str) -> int:
        t0 = time.perf_counter()
        p = subprocess.Popen(
            [sys.executable, "-m", "recallguard", *args],
            cwd=self.work,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.procs.append(p)
        _, err = p.communicate()
        self.procs.remove(p)
        if p.returncode not in (0, 1) and not self.stop.is_set():
            self.errors.append(f"{' '.join(args[:2])} exit {p.returncode}: {err.decode()[-300:]}")
        m = re.search(rb"screened (\d+) listings", err)
        what = " ".join(args[:2])
        self.windows.append((args[0], t0, time.perf_counter()))
        seconds = round(time.perf_counter() - t0, 1)
        done: dict[str, Any] = {"run": what, "seconds": seconds, "exit": p.returncode}
        if p.returncode == 1:  # some records refused (or a usage error): what the command said last
            lines = err.decode(errors="replace").splitlines()
            said = [x for x in lines if x.strip() and "sqlalche.me" not in x]
            done["said"] = [x[:300] for x in said[-4:]]
        self.runs.append(done | ({"screened": int(m.group(1))} if m else {}))
        return int(m.group(1)) if m else 0

    def _round_file(self, k: int) -> Path:
        path = self.work / f"catalogue-{k}.jsonl"
        if not path.exists():
            rows = listing_dicts(self.chunk, seed=100 + k, prefix=f"C{k:03d}", work=self.work)
            path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        return path

    def prepare(self, rounds: int) -> None:
        """Write the first ``rounds`` rounds' listing files now: made during the timed part, in this
        process, they held its GIL ~0.4 s a round and delayed the load generator's own requests."""
        for k in range(rounds):
            self._round_file(k)

    def scan_loop(self) -> None:
        """Rounds of ``listings import`` (``chunk`` new listings) then ``scan``: one every ``round_every``
        seconds (a round that overruns its period starts the next at once, counted late), or back to
        back with ``round_every`` 0."""
        k = 0
        while not self.stop.is_set():
            if self.round_every > 0:
                wait = self.started + k * self.round_every - time.perf_counter()
                if wait > 0:
                    if self.stop.wait(wait):
                        break
                elif k > 0:
                    self.rounds_late += 1
            path = self._round_file(k)
            t0 = time.perf_counter()
            self._run("listings", "import", str(path))
            if not self.stop.is_set():
                self.scanned += self._run("scan")
                self.scans += 1
            self.busy_s += time.perf_counter() - t0
            k += 1

    def produce(self) -> None:
        import redis

        from recallguard.scale.events import encode_event

        r = redis.Redis.from_url(self.redis_url)
        rows = listing_dicts(5000, seed=7, prefix="W", work=self.work)
        t0, i = time.perf_counter(), 0
        while not self.stop.is_set():
            due = t0 + i / self.stream_rate
            if (d := due - time.perf_counter()) > 0:
                time.sleep(d)
            row = dict(rows[i % len(rows)], listing_id=f"W{i:08d}")
            r.xadd(self.stream, cast(Any, encode_event("create", row)))
            self.published += 1
            i += 1
        r.close()

    def handled(self) -> int:
        import redis

        r = redis.Redis.from_url(self.redis_url)
        try:
            groups = r.xinfo_groups(self.stream)
            return int(groups[0].get("entries-read") or 0) - int(groups[0]["pending"]) if groups else 0
        except Exception:
            return 0
        finally:
            r.close()

    def start(self) -> None:
        self.started = time.perf_counter()
        threading.Thread(target=self.scan_loop, daemon=True).start()
        threading.Thread(target=self.produce, daemon=True).start()
        self.worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "recallguard",
                "worker",
                "--stream",
                self.stream,
                "--group",
                "load",
                "--redis-url",
                self.redis_url,
                "--block-ms",
                "200",
            ],
            cwd=self.work,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def close(self) -> None:
        self.stop.set()
        for p in [self.worker, *self.procs]:
            with contextlib.suppress(Exception):
                p.terminate()
                p.wait(timeout=30)
        import redis

        r = redis.Redis.from_url(self.redis_url)
        for k in r.scan_iter(match=self.stream.rsplit(":", 1)[0] + "*"):
            r.delete(k)
        r.close()
