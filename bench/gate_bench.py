"""Sale-gate and publish-time screening benchmark against a real server on loopback.

    python -m bench.gate_bench [--restricted 20000] [--seconds 5] [--clients 16] [--recalls FILE]

Starts ``recallguard serve`` (uvicorn, one worker) on 127.0.0.1 over a fresh SQLite store holding the
shipped 80 CPSC recalls and ``--restricted`` listings with an approved restriction, then measures

- gate latency one request at a time (one keep-alive connection; p50 / p99 / max),
- gate requests/s with ``--clients`` concurrent keep-alive connections (a minimal asyncio HTTP/1.1
  client, so the client is not the bottleneck on a 2-core machine),
- publish-time screening latency for one listing per ``POST /v1/listings:screen`` (store, screen with
  the real matcher, decide, act, audit; p50 / p99): every other listing names a recalled product as a
  seller writes it (brand, product name, model number), the others are clean; one seller per listing.

Goals (issue 5): gate p99 <= 5 ms, >= 2,000 req/s with 16 clients; screening p99 <= 20 ms.
Writes bench/results/gate.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench.machine import machine_info, python_loop_s

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
RECALLS = ROOT / "data" / "cpsc" / "cpsc-recalls-api-80.json"


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def seed(db_url: str, data_dir: Path, recalls: Path, restricted: int) -> tuple[str, list[str]]:
    """Recalls imported, ``restricted`` listings with approved restrictions; returns a marketplace token
    and product titles of the recalls (to screen)."""
    os.environ["RECALLGUARD_DATA_DIR"] = str(data_dir)
    from recallguard.api.config import ServiceSettings
    from recallguard.api.runtime import Enforcer
    from recallguard.domain.models import Action, ActionKind, ActionState, Listing
    from recallguard.service.importers import import_recalls

    enf = Enforcer(ServiceSettings(database_url=db_url, data_dir=str(data_dir)))
    import_recalls(enf.store, recalls)
    with enf.store.transaction() as uow:
        recs = uow.recalls.list()
        # what a seller would list: brand, product name and model number (not the press release's title)
        titles = [
            f"{t.brand} {t.product_name} {' '.join(t.model_numbers[:1])}".strip()[:300]
            for t in uow.recalls.active_targets()
        ]
        step = 5000
        for start in range(0, restricted, step):
            ids = [f"R{i:07d}" for i in range(start, min(restricted, start + step))]
            uow.listings.upsert_many([Listing(i, f"restricted listing {i}", seller_id="S1") for i in ids])
            for i in ids:
                uow.actions.add(
                    Action(
                        i, recs[0].recall_number, "CPSC", ActionKind.RESTRICT, ["US"], ActionState.APPROVED
                    )
                )
    token, _ = enf.create_token("marketplace", label="bench")
    enf.close()
    return token, titles


def server_side_gate(metrics: str) -> dict[str, float]:
    """Share of gate requests the server answered within each histogram bucket (its own time, without
    the client's and the scheduler's), from the Prometheus histogram."""
    buckets: dict[str, float] = {}
    for line in metrics.splitlines():
        if line.startswith('recallguard_http_request_seconds_bucket{le="') and 'route="/v1/gate"' in line:
            le = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[le] = float(line.rsplit(" ", 1)[1])
    total = buckets.get("+Inf", 0.0) or 1.0
    return {
        f"share_within_{le}s": round(v / total, 4)
        for le, v in buckets.items()
        if le in ("0.0005", "0.001", "0.005")
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(db_url: str, data_dir: Path, cwd: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``recallguard serve`` on a free loopback port over ``db_url``; yields its base URL and process once
    /healthz answers, and stops it (killed when requests are still stuck in it) when the block ends."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECALLGUARD_")}
    env |= {"RECALLGUARD_DATABASE_URL": db_url, "RECALLGUARD_DATA_DIR": str(data_dir)}
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "recallguard", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=cwd,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            time.sleep(0.2)
        yield base, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)


async def _raw_client(
    host: str, port: int, paths: list[str], token: str, stop: float, counts: list[int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    i = 0
    try:
        while time.perf_counter() < stop:
            path = paths[i % len(paths)]
            i += 1
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
            )
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            counts[0 if status == 200 else 1] += 1
    finally:
        writer.close()


async def throughput(
    port: int, token: str, paths: list[str], clients: int, seconds: float
) -> dict[str, float]:
    counts = [0, 0]
    t0 = time.perf_counter()
    stop = t0 + seconds
    await asyncio.gather(
        *(_raw_client("127.0.0.1", port, paths[k::clients], token, stop, counts) for k in range(clients))
    )
    elapsed = time.perf_counter() - t0
    return {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": counts[0] + counts[1],
        "non_200": counts[1],
        "requests_per_s": round((counts[0] + counts[1]) / elapsed, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--restricted", type=int, default=20_000)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--sequential", type=int, default=3000)
    ap.add_argument("--screens", type=int, default=300)
    ap.add_argument("--recalls", type=Path, default=RECALLS)
    a = ap.parse_args()
    load_before = round(os.getloadavg()[0], 2)  # other work on the machine skews tails: reported
    speed = python_loop_s()
    work = Path(tempfile.mkdtemp(prefix="rg-gate-bench-"))
    db_url = f"sqlite:///{work / 'rg.db'}"
    t0 = time.perf_counter()
    token, titles = seed(db_url, work / "data", a.recalls, a.restricted)
    seed_s = time.perf_counter() - t0
    rng = random.Random(1)
    with serving(db_url, work / "data", work) as (base, _):
        ids = [
            f"R{rng.randrange(a.restricted):07d}" if rng.random() < 0.5 else f"U{i}"
            for i in range(a.sequential)
        ]
        paths = [f"/v1/gate?listing_id={i}&country={rng.choice(['US', 'DE', 'CA'])}" for i in ids]
        h = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=h, timeout=10) as c:
            for p in paths[:200]:  # warm-up
                c.get(p)
            lat = []
            for p in paths:
                s = time.perf_counter()
                r = c.get(p)
                lat.append((time.perf_counter() - s) * 1000)
                assert r.status_code == 200, r.text
            in_server = server_side_gate(c.get("/metrics").text)
            refused = c.get("/v1/gate?listing_id=R0000000&country=US").json()["allowed"] is False
            scr: list[float] = []
            split: dict[str, list[float]] = {"clean": [], "matching": []}  # clean: nearly every listing
            for k in range(a.screens + 20):
                title = titles[k % len(titles)] if k % 2 else f"Unrelated gadget number {k} with a long title"
                body = {
                    "listings": [
                        {"listing_id": f"P{k:06d}", "title": title, "seller_id": f"S{k}", "ship_to": ["US"]}
                    ]
                }
                s = time.perf_counter()
                r = c.post("/v1/listings:screen", json=body, timeout=10 if k >= 20 else 300)
                if k >= 20:  # the first calls build the screener
                    scr.append((time.perf_counter() - s) * 1000)
                    split["matching" if k % 2 else "clean"].append(scr[-1])
                assert r.status_code == 200, r.text
        tp = asyncio.run(throughput(int(base.rsplit(":", 1)[1]), token, paths, a.clients, a.seconds))
    gate = {
        "server_side": in_server,
        "requests": len(lat),
        "p50_ms": round(pct(lat, 50), 3),
        "p99_ms": round(pct(lat, 99), 3),
        "max_ms": round(max(lat), 3),
        "restricted_listings": a.restricted,
        "restricted_refused": refused,
    }
    screening = {
        "requests": len(scr),
        "p50_ms": round(pct(scr, 50), 2),
        "p99_ms": round(pct(scr, 99), 2),
        "max_ms": round(max(scr), 2),
        "half_matching_recalled_products": True,
        **{
            f"{name}_only": {
                "requests": len(xs),
                "p50_ms": round(pct(xs, 50), 2),
                "p99_ms": round(pct(xs, 99), 2),
            }
            for name, xs in split.items()
        },
    }
    out = {
        "bench": "gate",
        "machine": machine_info(python_loop_s=speed, load_average_1m_before=load_before),
        "server": "recallguard serve (uvicorn, 1 worker) on 127.0.0.1, SQLite store",
        "seed_seconds": round(seed_s, 1),
        "gate_sequential": gate,
        "gate_concurrent": tp,
        "screening_one_listing": screening,
        "goals": {"gate_p99_ms": 5, "gate_requests_per_s_16_clients": 2000, "screening_p99_ms": 20},
        "met": {
            "gate_p99": gate["p99_ms"] <= 5,
            "gate_throughput": tp["requests_per_s"] >= 2000,
            "screening_p99": screening["p99_ms"] <= 20,
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "gate.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
