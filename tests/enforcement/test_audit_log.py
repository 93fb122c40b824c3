"""Export and verify the audit log: every kind of tampering is caught, named by the first bad event."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from recallguard.enforcement.audit_chain import event_hash
from recallguard.enforcement.audit_log import (
    AuditKey,
    chain_events,
    event_payload,
    export_lines,
    load_public_key,
    parse_lines,
    verify_file,
    verify_records,
)


def _log(n: int = 10) -> list[dict[str, Any]]:
    return chain_events(
        {
            "kind": "action.approved",
            "subject": f"A{i}",
            "actor": "auto",
            "reason": "block",
            "data": {"listing_id": f"L{i}", "authority": "CPSC" if i % 2 else "SAFETYGATE"},
            "at": f"2026-03-02T09:{i:02d}:00+00:00",
        }
        for i in range(1, n + 1)
    )


def _export(key: AuditKey, events: list[dict[str, Any]], every: int = 4) -> list[dict[str, Any]]:
    sigs = [key.sign_head(e["seq"], e["hash"]) for e in events if e["seq"] % every == 0 or e is events[-1]]
    return list(parse_lines(export_lines(events, sigs)))


@pytest.fixture()
def key() -> AuditKey:
    return AuditKey.generate()


def test_intact_export_verifies_from_a_file_with_only_the_public_key(key: AuditKey, tmp_path: Path) -> None:
    recs = _export(key, _log())
    f = tmp_path / "audit.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    pub = tmp_path / "pub.pem"
    pub.write_bytes(key.public_pem())
    rep = verify_file(f, load_public_key(pub))
    assert rep.ok and rep.events == 10 and rep.signatures == 3, rep.message()
    assert all("hash" in r and "prev_hash" in r for r in recs)
    assert recs[3]["signature"]["key_id"] == key.key_id


def test_altered_event_is_named(key: AuditKey) -> None:
    recs = _export(key, _log())
    recs[4]["reason"] = "manual override"
    rep = verify_records(recs, key.public_key)
    assert not rep.ok and rep.first_bad_seq == 5 and "altered" in rep.problem


def test_removed_event_is_caught(key: AuditKey) -> None:
    recs = _export(key, _log())
    del recs[5]
    rep = verify_records(recs, key.public_key)
    assert not rep.ok and rep.first_bad_seq == 7 and "removed" in rep.problem


def test_inserted_event_is_caught(key: AuditKey) -> None:
    recs = _export(key, _log())
    fake = dict(recs[2], subject="A-forged")
    fake["hash"] = event_hash(fake["prev_hash"], event_payload(fake))
    recs.insert(3, fake)
    rep = verify_records(recs, key.public_key)
    assert not rep.ok and rep.first_bad_seq == 3  # the forged copy reuses seq 3: out of order


def test_reordered_events_are_caught(key: AuditKey) -> None:
    recs = _export(key, _log())
    recs[2], recs[3] = recs[3], recs[2]
    rep = verify_records(recs, key.public_key)
    assert not rep.ok and rep.first_bad_seq == 4


def test_removed_first_and_truncated_tail_are_caught(key: AuditKey) -> None:
    recs = _export(key, _log())
    assert verify_records(recs[1:], key.public_key).first_bad_seq == 2
    rep = verify_records(recs[:-1], key.public_key)
    assert not rep.ok and rep.first_bad_seq == 9 and "truncated" in rep.problem


def test_log_recomputed_wholesale_is_caught_by_signatures(key: AuditKey) -> None:
    events = _log()
    sigs = [key.sign_head(e["seq"], e["hash"]) for e in events if e["seq"] % 4 == 0 or e["seq"] == 10]
    payloads = [{k: v for k, v in e.items() if k not in ("seq", "hash", "prev_hash")} for e in events]
    payloads[5]["reason"] = "never happened"
    forged = chain_events(payloads)  # every hash redone: the chain itself is consistent again
    recs = list(parse_lines(export_lines(forged, sigs)))
    for r, s in zip(recs, events, strict=True):  # signatures carried over from the genuine log
        assert r["seq"] == s["seq"]
    rep = verify_records(recs, key.public_key)
    assert not rep.ok and rep.first_bad_seq == 8 and "recomputed" in rep.problem and "5..8" in rep.problem


def test_signatures_by_another_key_are_refused(key: AuditKey) -> None:
    recs = _export(AuditKey.generate(), _log())
    rep = verify_records(recs, key.public_key)
    assert not rep.ok and rep.first_bad_seq == 4 and "key" in rep.problem


def test_regulator_export_redacts_other_authorities_and_still_verifies(key: AuditKey) -> None:
    events = _log()
    sigs = [key.sign_head(e["seq"], e["hash"]) for e in events if e["seq"] % 4 == 0 or e["seq"] == 10]
    recs = list(
        parse_lines(export_lines(events, sigs, visible=lambda r: r["data"].get("authority") == "CPSC"))
    )
    assert [r.get("redacted", False) for r in recs[:4]] == [False, True, False, True]
    assert "data" not in recs[1]
    assert verify_records(recs, key.public_key).ok


def test_key_file_created_in_development_and_required_in_production(tmp_path: Path) -> None:
    p = tmp_path / "keys" / "audit.pem"
    from recallguard.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        AuditKey.load(p, create=False)
    k1 = AuditKey.load(p, create=True)
    assert (p.stat().st_mode & 0o777) == 0o600
    assert AuditKey.load(p).key_id == k1.key_id
