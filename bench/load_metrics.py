r"""Reading the server's Prometheus page for the load bench: per-route latency buckets, the collector's
pauses by generation, gauges, and one minute's share of requests or pauses from two readings.

>>> page = 'recallguard_gc_pause_seconds_bucket{generation="2",le="0.01"} 3.0\n'
>>> page += 'recallguard_gc_pause_seconds_bucket{generation="2",le="+Inf"} 4.0\n'
>>> gc_minute(gc_buckets(page)["2"], {})
{'collections': 4, 'over_10_ms': 1, 'longest_at_most_ms': 'over 500'}
"""

from __future__ import annotations

from typing import Any


def route_buckets(metrics: str, route: str) -> dict[float, float]:
    """Cumulative request counts per latency bucket (seconds) of one route, from the server's own
    Prometheus histogram (its time, without the client's queueing and the scheduler's)."""
    out: dict[float, float] = {}
    for line in metrics.splitlines():
        if line.startswith('recallguard_http_request_seconds_bucket{le="') and f'route="{route}"' in line:
            le = line.split('le="', 1)[1].split('"', 1)[0]
            out[float("inf") if le == "+Inf" else float(le)] = float(line.rsplit(" ", 1)[1])
    return out


def gc_buckets(metrics: str) -> dict[str, dict[float, float]]:
    """Cumulative collector pauses per latency bucket (seconds), by generation, from the server's
    ``recallguard_gc_pause_seconds`` histogram."""
    out: dict[str, dict[float, float]] = {}
    for line in metrics.splitlines():
        if line.startswith("recallguard_gc_pause_seconds_bucket{"):
            gen = line.split('generation="', 1)[1].split('"', 1)[0]
            le = line.split('le="', 1)[1].split('"', 1)[0]
            bound = float("inf") if le == "+Inf" else float(le)
            out.setdefault(gen, {})[bound] = float(line.rsplit(" ", 1)[1])
    return out


def gc_minute(now: dict[float, float], before: dict[float, float]) -> dict[str, Any]:
    """One generation's collections in a minute: how many, how many paused over 10 ms, and the bound
    of the longest one's bucket."""
    delta = {le: now.get(le, 0.0) - before.get(le, 0.0) for le in sorted(now)}
    total = delta.get(float("inf"), 0.0)
    longest = next((le for le, c in delta.items() if c >= total), 0.0) if total else 0.0
    return {
        "collections": int(total),
        "over_10_ms": int(total - delta.get(0.01, 0.0)),
        "longest_at_most_ms": "over 500" if longest == float("inf") else round(longest * 1000, 1),
    }


def gauge(metrics: str, name: str) -> float | None:
    """The value of an unlabelled gauge in a Prometheus text page (None when absent)."""
    for line in metrics.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def server_side(now: dict[float, float], before: dict[float, float]) -> dict[str, Any]:
    """Requests of one minute by the server's histogram: the bucket bounds of p50/p99 and shares."""
    delta = {le: now.get(le, 0.0) - before.get(le, 0.0) for le in sorted(now)}
    total = delta.get(float("inf"), 0.0)
    if not total:
        return {"requests": 0}

    def bound(p: float) -> float | str:
        le = next(le for le, c in delta.items() if c >= p / 100 * total)
        return "over 5000" if le == float("inf") else round(le * 1000, 1)

    share = {
        f"share_within_{round(le * 1000, 1)}_ms": round(c / total, 4) for le, c in delta.items() if le < 6
    }
    return {"requests": int(total), "p50_at_most_ms": bound(50), "p99_at_most_ms": bound(99), **share}


Screening = tuple[int, float, float]  # request number (odd: a recalled product), scheduled time, ms
Window = tuple[str, float, float]  # what the catalogue loop ran ("scan", "listings"), from, to
PLACES = ("scan", "import", "neither")


def _pct(xs: list[float]) -> dict[str, float]:
    from bench.gate_bench import pct

    if not xs:
        return {"requests": 0}
    return {"requests": len(xs), "p50_ms": round(pct(xs, 50), 2), "p99_ms": round(pct(xs, 99), 2)}


def beside(screenings: list[Screening], windows: list[Window]) -> dict[str, Any]:
    """Screening latency by what the catalogue loop ran meanwhile: a screening whose time overlaps a
    scan is ``scan``, else one overlapping an import ``import``, else ``neither``; the same for recalled
    products and clean listings, and the share of the slowest 1 % in each place.

    >>> r = beside([(1, 0.0, 50.0), (2, 10.0, 5.0)], [("scan", -1.0, 1.0)])
    >>> r["scan"]["requests"], r["neither"]["requests"], r["slowest_1pct"]["scan"]
    (1, 1, 1.0)
    """

    def place(due: float, ms: float) -> str:
        hit = {w for w, a, b in windows if a < due + ms / 1000 and b > due}
        return "scan" if "scan" in hit else "import" if hit else "neither"

    placed = [(i % 2 == 1, place(due, ms), ms) for i, due, ms in screenings]
    out: dict[str, Any] = {k: _pct([ms for _, w, ms in placed if w == k]) for k in PLACES}
    out["recalled_product"] = _pct([ms for recalled, _, ms in placed if recalled])
    out["clean"] = _pct([ms for recalled, _, ms in placed if not recalled])
    slow = sorted(placed, key=lambda x: -x[2])[: max(1, len(placed) // 100)]
    if slow:
        share = {k: sum(1 for _, w, _ in slow if w == k) for k in PLACES}
        share["recalled_product"] = sum(1 for r, _, _ in slow if r)
        out["slowest_1pct"] = {k: round(n / len(slow), 3) for k, n in share.items()}
    return out
