"""What the crash harness compares: the store's durable state, normalised, and its duplicate checks.

``snapshot(url)`` reads the tables with plain SQL (the same on SQLite and PostgreSQL) into a JSON-able
dict; two stores that did the same work give equal snapshots whatever crashed on the way, except
for what delivery changes (``action states``, ``deliveries``), which ``comparable`` leaves out.

>>> from recallguard.store import Store
>>> url = "sqlite://"
>>> s = Store(url)
>>> snap = snapshot_engine(s.engine)
>>> snap["counts"]["listings"], duplicates(s.engine)
(0, {})
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Engine, create_engine, text

#: Natural keys that must be unique (the tables' unique constraints, checked again by counting).
UNIQUE_KEYS = {
    "recalls": "authority, recall_number",
    "listings": "listing_id",
    "matches": "listing_id, authority, recall_number",
    "actions": "listing_id, authority, recall_number, kind",
    "quarantine": "record_hash",
    "bank_entries": "action_id",
    "action_approvals": "action_id",
    "audit_events": "hash",
    "listing_keys": "kind, key, listing_id",
}
OUTBOX = "webhook_deliveries"
COUNTED = (
    "recalls",
    "targets",
    "listings",
    "quarantine",
    "matches",
    "actions",
    "bank_entries",
    "action_approvals",
    "listing_keys",
)


def _rows(conn: Any, sql: str) -> list[Any]:
    return list(conn.execute(text(sql)))


def duplicates(engine: Engine) -> dict[str, int]:
    """Natural keys that occur more than once, per table (empty: nothing duplicated)."""
    out: dict[str, int] = {}
    with engine.connect() as conn:
        for table, cols in UNIQUE_KEYS.items():
            n = _rows(
                conn,
                f"SELECT COUNT(*) FROM (SELECT {cols} FROM {table} GROUP BY {cols} HAVING COUNT(*) > 1) d",
            )[0][0]
            if n:
                out[table] = int(n)
        # at most one delivery of an action waiting at a time (the outbox reuses a pending row)
        pending = (
            "SELECT COUNT(*) FROM (SELECT action_id FROM webhook_deliveries WHERE status = 'pending' "
            "GROUP BY action_id HAVING COUNT(*) > 1) d"
        )
        n = _rows(conn, pending)[0][0]
        if n:
            out["webhook_deliveries(pending per action)"] = int(n)
    return out


def snapshot_engine(engine: Engine) -> dict[str, Any]:
    """The durable state of the store behind ``engine`` (see the module docstring)."""
    with engine.connect() as conn:
        counts = {t: int(_rows(conn, f"SELECT COUNT(*) FROM {t}")[0][0]) for t in COUNTED}
        matches = {
            f"{r[0]}|{r[1]}|{r[2]}": [r[3], r[4], round(float(r[5]), 4)]
            for r in _rows(
                conn, "SELECT listing_id, authority, recall_number, decision, state, score FROM matches"
            )
        }
        actions = {
            f"{r[0]}|{r[1]}|{r[2]}|{r[3]}": r[4]
            for r in _rows(conn, "SELECT listing_id, authority, recall_number, kind, state FROM actions")
        }
        action_ids = {
            f"{r[0]}|{r[1]}|{r[2]}|{r[3]}": r[4]
            for r in _rows(conn, "SELECT listing_id, authority, recall_number, kind, action_id FROM actions")
        }
        recalls = sorted(
            f"{r[0]}:{r[1]}:v{r[2]}"
            for r in _rows(conn, "SELECT authority, recall_number, version FROM recalls")
        )
        listings = sorted(r[0] for r in _rows(conn, "SELECT listing_id FROM listings"))
        versions = Counter(str(r[0]) for r in _rows(conn, "SELECT screened_version FROM listings"))
        scans = Counter(str(r[0]) for r in _rows(conn, "SELECT status FROM scan_checkpoints"))
        completed = _rows(conn, "SELECT COUNT(*) FROM audit_events WHERE kind = 'scan.completed'")[0][0]
        deliveries = [
            {"action_id": r[0], "key": r[1], "status": r[2], "attempts": int(r[3]), "event": r[4]}
            for r in _rows(conn, f"SELECT action_id, idempotency_key, status, attempts, event FROM {OUTBOX}")
        ]
    return {
        "counts": counts,
        "recalls": recalls,
        "listings": listings,
        "screened_versions": dict(versions),
        "matches": matches,
        "actions": actions,
        "action_ids": action_ids,
        "deliveries": deliveries,
        "scans": {"checkpoints": dict(scans), "completed_events": int(completed)},
    }


def snapshot(url: str) -> dict[str, Any]:
    """``snapshot_engine`` on a database URL (the store's URL forms)."""
    from recallguard.store.engine import normalise_url

    engine = create_engine(normalise_url(url))
    try:
        return snapshot_engine(engine)
    finally:
        engine.dispose()


def comparable(snap: dict[str, Any]) -> dict[str, Any]:
    """The part of a snapshot that the crashes and the delivery worker must leave as a clean run has it:
    counts, recalls, listings, matches, and which actions exist (their states move with delivery)."""
    return {
        "counts": snap["counts"],
        "recalls": snap["recalls"],
        "listings": snap["listings"],
        "matches": snap["matches"],
        "actions": sorted(snap["actions"]),
    }
