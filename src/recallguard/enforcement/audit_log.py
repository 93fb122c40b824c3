"""The tamper-evident audit log: signing the chain head, export to JSON lines, verification anywhere.

Each audit event is hash-chained to the previous one (:mod:`recallguard.enforcement.audit_chain`), so an
altered, removed, inserted or reordered event breaks the chain. A log *recomputed wholesale* (every hash
redone after an edit) would still chain, so the chain head is signed with Ed25519 at intervals and at
every export; a regulator holding the public key detects the recomputation because the signed heads no
longer match. Verification needs no database: :func:`verify_records` takes the exported lines.

Export line (one JSON object per event, in sequence order)::

    {"seq": 7, "kind": "action.approved", "subject": "…", "actor": "…", "reason": "…", "data": {…},
     "at": "2026-…", "prev_hash": "…", "hash": "…",
     "signature": {"key_id": "…", "signed_at": "…", "signature": "<base64>"}}   # when signed there

A regulator's export may carry ``"redacted": true`` lines (events of other authorities): only
``seq``, ``prev_hash``, ``hash`` and any signature are kept; they still chain and are covered by
signatures, their content is not shown.

>>> key = AuditKey.generate()
>>> evs = chain_events([{"kind": "k", "subject": "s", "actor": "a", "reason": "", "data": {},
...                       "at": "2026-01-01T00:00:00+00:00"}])
>>> sig = key.sign_head(evs[-1]["seq"], evs[-1]["hash"], "2026-01-01T00:00:01+00:00")
>>> lines = list(export_lines(evs, [sig]))
>>> verify_records(parse_lines(lines), key.public_key).ok
True
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from recallguard.domain.models import AuditEvent
from recallguard.enforcement.audit_chain import GENESIS, event_hash
from recallguard.errors import ConfigurationError, InputError

PAYLOAD_FIELDS = ("kind", "subject", "actor", "reason", "data", "at", "seq")
SIGN_EVERY = 100
"""Sign the head at least every this many events (and at every export)."""


def event_payload(ev: AuditEvent | Mapping[str, Any]) -> dict[str, Any]:
    """The fields an event's hash covers (``at`` as ISO-8601 text).

    >>> event_payload({"kind": "k", "subject": "s", "actor": "a", "reason": "", "data": {}, "at": None,
    ...                "seq": 1, "hash": "x"})["seq"]
    1
    """
    src = ev if isinstance(ev, Mapping) else ev.__dict__
    out = {k: src.get(k) for k in PAYLOAD_FIELDS}
    at = out["at"]
    out["at"] = at.isoformat() if isinstance(at, datetime) else at
    out["data"] = out["data"] or {}
    out["reason"] = out["reason"] or ""
    return out


def chain_events(
    payloads: Iterable[Mapping[str, Any]], start_seq: int = 1, prev: str = GENESIS
) -> list[dict[str, Any]]:
    """Number and hash-chain plain event dicts (a helper for tests, demos and in-memory logs).

    >>> [e["seq"] for e in chain_events([{"kind": "a"}, {"kind": "b"}])]
    [1, 2]
    """
    out: list[dict[str, Any]] = []
    for i, p in enumerate(payloads):
        ev = event_payload({**p, "seq": start_seq + i})
        ev["prev_hash"] = prev
        ev["hash"] = prev = event_hash(prev, event_payload(ev))
        out.append(ev)
    return out


def head_message(seq: int, head_hash: str, signed_at: str) -> bytes:
    """The bytes signed for a chain head."""
    return f"recallguard-audit-head-v1\n{seq}\n{head_hash}\n{signed_at}".encode()


@dataclass(frozen=True)
class HeadSignature:
    """An Ed25519 signature over the chain head at ``seq``."""

    seq: int
    head_hash: str
    key_id: str
    signed_at: str
    signature: str  # base64

    def as_dict(self) -> dict[str, str]:
        return {"key_id": self.key_id, "signed_at": self.signed_at, "signature": self.signature}


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """A short fingerprint of a public key (first 16 hex of SHA-256 of its raw bytes)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class AuditKey:
    """The marketplace's signing key (private); its public half is given to regulators."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id_of(self.public_key)

    @classmethod
    def generate(cls) -> AuditKey:
        """A fresh key (development, tests)."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load(cls, path: Path | str, *, create: bool = False) -> AuditKey:
        """Load a PEM private key; with ``create`` (development mode) generate it (mode 0600) if missing.

        Raises ConfigurationError when the file is missing and may not be created, or is not an Ed25519
        key.
        """
        p = Path(path)
        if not p.exists():
            if not create:
                raise ConfigurationError(f"audit signing key {p} does not exist")
            key = cls.generate()
            p.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(key.private_pem())
            return key
        loaded = serialization.load_pem_private_key(p.read_bytes(), password=None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise ConfigurationError(f"{p} is not an Ed25519 private key")
        return cls(loaded)

    def private_pem(self) -> bytes:
        return self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def public_pem(self) -> bytes:
        """The public key to hand to regulators (PEM, SubjectPublicKeyInfo)."""
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign_head(self, seq: int, head_hash: str, signed_at: str | None = None) -> HeadSignature:
        """Sign the chain head (the hash of event ``seq``)."""
        signed_at = signed_at or datetime.now(UTC).isoformat()
        sig = self._key.sign(head_message(seq, head_hash, signed_at))
        return HeadSignature(seq, head_hash, self.key_id, signed_at, base64.b64encode(sig).decode())


def load_public_key(path: Path | str) -> Ed25519PublicKey:
    """A regulator's copy of the public key (PEM)."""
    key = serialization.load_pem_public_key(Path(path).read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"{path} is not an Ed25519 public key")
    return key


def signing_due(head_seq: int, last_signed_seq: int, every: int = SIGN_EVERY) -> bool:
    """True when the head should be signed now.

    >>> signing_due(250, 100), signing_due(150, 100)
    (True, False)
    """
    return head_seq > last_signed_seq and head_seq - last_signed_seq >= every


def export_lines(
    events: Iterable[Mapping[str, Any] | AuditEvent],
    signatures: Iterable[HeadSignature],
    visible: Callable[[dict[str, Any]], bool] | None = None,
) -> Iterator[str]:
    """JSON lines for ``events`` (in sequence order), each with hash, prev_hash and any signature.

    Events for which ``visible`` answers False are written redacted (seq, hashes, signature only).
    """
    by_seq = {s.seq: s for s in signatures}
    for ev in events:
        rec = event_payload(ev)
        src = ev if isinstance(ev, Mapping) else ev.__dict__
        rec["prev_hash"], rec["hash"] = src.get("prev_hash") or "", src.get("hash") or ""
        if visible is not None and not visible(rec):
            rec = {"seq": rec["seq"], "redacted": True, "prev_hash": rec["prev_hash"], "hash": rec["hash"]}
        sig = by_seq.get(rec["seq"])
        if sig is not None:
            rec["signature"] = sig.as_dict()
        yield json.dumps(rec, sort_keys=True, ensure_ascii=False, default=str)


def parse_lines(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Parse exported JSON lines; a line that is not a JSON object raises InputError naming it."""
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"line {n}: not JSON ({e.msg})") from None
        if not isinstance(rec, dict):
            raise InputError(f"line {n}: not a JSON object")
        yield rec


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of a verification; ``first_bad_seq`` names the first bad event when not ok."""

    ok: bool
    events: int
    signatures: int
    first_bad_seq: int | None = None
    problem: str = ""
    unsigned_tail: int = 0

    def message(self) -> str:
        if self.ok:
            tail = f"; {self.unsigned_tail} events after the last signed head" if self.unsigned_tail else ""
            return f"intact: {self.events} events, {self.signatures} signed heads verified{tail}"
        return f"TAMPERED: event seq {self.first_bad_seq}: {self.problem}"


def verify_records(
    records: Iterable[Mapping[str, Any]],
    public_key: Ed25519PublicKey | None,
    *,
    require_signed_head: bool = True,
) -> VerifyReport:
    """Check an audit log given as export records, in order.

    Catches: an altered event (content ≠ hash), a removed / inserted / reordered event (prev_hash or
    sequence breaks), a log recomputed wholesale (a signed head no longer verifies), a truncated log (the
    last event is not a signed head, with ``require_signed_head``), a forged signature (wrong key).
    """
    prev, last_seq, n, nsig, last_signed = GENESIS, 0, 0, 0, 0
    kid = key_id_of(public_key) if public_key is not None else None

    def bad(seq: int | None, problem: str) -> VerifyReport:
        return VerifyReport(False, n, nsig, seq, problem)

    for rec in records:
        seq = rec.get("seq")
        if not isinstance(seq, int):
            return bad(last_seq + 1, "record without an integer seq")
        n += 1
        if seq <= last_seq:
            return bad(seq, f"out of order: follows event seq {last_seq} (reordered or inserted)")
        if rec.get("prev_hash", "") != prev:
            where = f"event seq {last_seq}" if last_seq else "the start of the log"
            return bad(
                seq, f"previous hash does not match {where} (an event was removed, inserted or reordered)"
            )
        if not rec.get("redacted") and event_hash(prev, event_payload(rec)) != rec.get("hash"):
            return bad(seq, "content does not match its hash (altered)")
        prev, last_seq = str(rec.get("hash", "")), seq
        sig = rec.get("signature")
        if sig and public_key is not None:
            if sig.get("key_id") != kid:
                return bad(seq, f"signed with key {sig.get('key_id')}, not the expected key {kid}")
            try:
                public_key.verify(
                    base64.b64decode(sig["signature"]), head_message(seq, prev, sig["signed_at"])
                )
            except (InvalidSignature, KeyError, ValueError):
                span = f"events {last_signed + 1}..{seq}"
                return bad(seq, f"signed head does not verify: {span} were altered and the log recomputed")
            nsig, last_signed = nsig + 1, seq
    if require_signed_head and n and last_signed != last_seq:
        return bad(
            last_seq, "the last event is not a signed head (the log was truncated or signatures removed)"
        )
    return VerifyReport(True, n, nsig, None, "", last_seq - last_signed)


def verify_file(path: Path | str, public_key: Ed25519PublicKey | None) -> VerifyReport:
    """Verify an exported JSON-lines file without any database."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    with p.open(encoding="utf-8") as f:
        return verify_records(parse_lines(f), public_key)
