"""What the API (and the enforcement CLI) run against: the store, the sale gate kept in step with it,
the audit signing key, the marketplace connector and the screener, behind one ``Enforcer``.

>>> from recallguard.api.config import ServiceSettings
>>> enf = Enforcer(ServiceSettings(database_url="sqlite://", data_dir="/tmp/rg-doc-rt"))
>>> enf.gate.check("L1", "US").allowed
True
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from recallguard.api.config import ServiceSettings
from recallguard.domain.models import Action, ActionState, AuditEvent
from recallguard.enforcement.audit_log import (
    AuditKey,
    HeadSignature,
    VerifyReport,
    export_lines,
    parse_lines,
    signing_due,
    verify_records,
)
from recallguard.enforcement.auth import Principal, Role, TokenRecord, check_token, hash_token, issue_token
from recallguard.enforcement.connector import Delivery, RetryPolicy, WebhookConnector
from recallguard.enforcement.gate import SaleGate
from recallguard.enforcement.permissions import authority_filter
from recallguard.enforcement.state_machine import transition
from recallguard.errors import NotFoundError
from recallguard.service.bank_record import action_changed as bank_action_changed
from recallguard.service.lifts import confirm_lift, end_action
from recallguard.service.outbox import ENDED, OutboxWorker, enqueue
from recallguard.store import Store, UnitOfWork
from recallguard.store.catalog_repos import RECALLS_CHANGED
from recallguard.store.enforcement_tables import EnforcementRepo

S = ActionState


@dataclass
class ScreenerCache:
    fingerprint: Any = None
    screener: Any = None
    version: str = ""
    checked_at: float = 0.0
    revision: int | None = None  # the recall set's revision read before ``fingerprint``


class Enforcer:
    """Long-lived enforcement state of one process (the API server or one CLI command)."""

    def __init__(
        self,
        settings: ServiceSettings,
        store: Store | None = None,
        screener_factory: Callable[..., Any] | None = None,
    ) -> None:
        settings.check_production()
        self.screener_factory = screener_factory  # None: the matcher's default screener
        self.settings = settings
        self.store = store or Store(settings.database_url, echo=settings.sql_echo)
        self.key = AuditKey.load(settings.audit_key_path(), create=not settings.production)
        self.gate = SaleGate()
        self._gate_at = datetime.now(UTC)
        self._gate_lock = threading.Lock()
        self._tokens: dict[str, tuple[float, TokenRecord | None]] = {}
        self._screener = ScreenerCache()
        self._screener_lock = threading.Lock()
        #: the server: its refresh loop checks the recall set (:meth:`refresh_screener`), requests do not
        self.screener_in_background = False
        self._recalls_changed = False  # a transaction of this process changed a recall since the check
        self.store.on_commit(RECALLS_CHANGED, self._recall_committed)
        self.settle_heap_after_build = False  # the server: freeze each new screener out of the GC's walks
        self.connector: WebhookConnector | None = None
        if settings.webhook_url:
            policy = RetryPolicy(
                max_attempts=settings.webhook_max_attempts, timeout_s=settings.webhook_timeout_s
            )
            self.connector = WebhookConnector(settings.resolved_webhook_secret(), policy)
        self.rebuild_gate()

    def close(self) -> None:
        if self.connector is not None:
            self.connector.close()
        self.store.close()

    # --- the gate -----------------------------------------------------------------------------
    def rebuild_gate(self) -> None:
        """Build the gate from every stored action."""
        started = datetime.now(UTC)
        with self.store.transaction() as uow:
            self.gate = SaleGate.build(EnforcementRepo(uow.session).all_actions())
        self._gate_at = started

    def refresh_gate(self) -> int:
        """Apply actions changed since the last refresh (by this or any other process); returns how many."""
        with self._gate_lock:
            since = self._gate_at - timedelta(seconds=1)  # overlap: commits that raced the last refresh
            started = datetime.now(UTC)
            with self.store.transaction() as uow:
                changed = EnforcementRepo(uow.session).actions_changed_since(since)
            for a in changed:
                self.gate.apply(a)
            self._gate_at = started
            return len(changed)

    # --- authentication -----------------------------------------------------------------------
    def token_record(self, secret: str) -> TokenRecord | None:
        """The stored record of a secret, cached for ``token_cache_s`` seconds."""
        h = hash_token(secret)
        hit = self._tokens.get(h)
        now = time.monotonic()
        if hit is not None and now - hit[0] < self.settings.token_cache_s:
            return hit[1]
        with self.store.transaction() as uow:
            rec = EnforcementRepo(uow.session).token_by_hash(h)
        if len(self._tokens) > 10_000:
            self._tokens.clear()
        self._tokens[h] = (now, rec)
        return rec

    def token_cached(self, secret: str) -> bool:
        """True when a check of ``secret`` would be answered from the cache (no store read)."""
        hit = self._tokens.get(hash_token(secret))
        return hit is not None and time.monotonic() - hit[0] < self.settings.token_cache_s

    def authenticate(self, secret: str) -> Principal:
        """The principal of a live token or session; AuthenticationRequired (401) otherwise."""
        return check_token(self.token_record(secret))

    def forget_tokens(self) -> None:
        self._tokens.clear()

    def create_token(
        self,
        role: Role | str,
        *,
        authority: str | None = None,
        seller_id: str | None = None,
        label: str = "",
        ttl_days: float | None = None,
        actor: str = "cli",
        user: str | None = None,
        kind: str = "token",
    ) -> tuple[str, TokenRecord]:
        """Issue and store a token (or session); the secret is returned once."""
        ttl = timedelta(days=ttl_days) if ttl_days else None
        secret, rec = issue_token(
            role, authority=authority, seller_id=seller_id, label=label, ttl=ttl, user=user, kind=kind
        )
        with self.store.transaction() as uow:
            EnforcementRepo(uow.session).add_token(rec)
            uow.audit.append(
                f"{kind}.created",
                f"{kind}:{rec.token_id}",
                actor,
                label,
                {"role": rec.role.value, "authority": rec.authority, "seller_id": rec.seller_id},
            )
        return secret, rec

    def revoke_token(self, token_id: str, actor: str) -> TokenRecord:
        with self.store.transaction() as uow:
            rec = EnforcementRepo(uow.session).revoke_token(token_id)
            if rec is None:
                raise NotFoundError(f"no token {token_id}")
            uow.audit.append(
                f"{rec.kind}.revoked", f"{rec.kind}:{token_id}", actor, "", {"role": rec.role.value}
            )
        self.forget_tokens()
        return rec

    # --- actions ------------------------------------------------------------------------------
    def move(
        self,
        action_id: str,
        target: ActionState,
        actor: str,
        reason: str = "",
        data: dict[str, Any] | None = None,
        authority: str | None = None,
    ) -> Action:
        """One state change of a stored action, audited; the gate follows at once."""
        with self.store.transaction() as uow:
            repo = EnforcementRepo(uow.session)
            action = repo.action(action_id)
            if action is None or (authority and action.authority != authority):
                raise NotFoundError(f"no action {action_id}")
            new = self._apply(uow, repo, action, target, actor, reason, data)
        self.gate.apply(new)
        return new

    def _apply(
        self,
        uow: UnitOfWork,
        repo: EnforcementRepo,
        action: Action,
        target: ActionState,
        actor: str,
        reason: str,
        data: dict[str, Any] | None,
    ) -> Action:
        new, ev = transition(action, target, actor=actor, reason=reason or action.reason, data=data)
        if target in ENDED:  # reversed / withdrawn: out of the bank; the marketplace gets a lift if it had it
            end_action(uow, action, new, reason or action.reason)
        else:
            uow.actions.save_state(new)
            bank_action_changed(uow, new)  # approved by a person: the listing joins the bank now
        _append(uow, ev)
        if target == S.APPROVED:
            repo.record_approval(action.action_id, actor, new.updated_at)
            enqueue(uow, new)  # the outbox row commits with the approval
        return new

    def approve_match(
        self, listing_id: str, authority: str, recall_number: str, actor: str, reason: str
    ) -> Action:
        """A reviewer turns a review match into an approved restriction (created, or reinstated)."""
        from recallguard.domain.models import ActionKind
        from recallguard.enforcement.state_machine import propose

        with self.store.transaction() as uow:
            repo = EnforcementRepo(uow.session)
            found = [
                m
                for m in uow.matches.active_for_listings([listing_id]).get(listing_id, [])
                if m.authority == authority and m.recall_number == recall_number
            ]
            if not found:
                raise NotFoundError(
                    f"no active match of listing {listing_id} with {authority}:{recall_number}"
                )
            action = uow.actions.get(listing_id, authority, recall_number, ActionKind.RESTRICT)
            if action is None:
                proposed = propose(found[0])
                assert proposed is not None
                action = uow.actions.add(proposed)
                data = {
                    "listing_id": listing_id,
                    "recall": f"{authority}:{recall_number}",
                    "kind": action.kind.value,
                    "countries": action.countries,
                    "state": "proposed",
                }
                uow.audit.append("action.created", f"action:{action.action_id}", actor, action.reason, data)
            new = self._apply(uow, repo, action, S.APPROVED, actor, reason or "approved by a reviewer", None)
        self.gate.apply(new)
        return new

    def confirm(
        self, action_id: str, actor: str, ok: bool, reason: str, reference: str
    ) -> tuple[Action, bool]:
        """A marketplace callback: confirmed (``ok``) or failed. A repeated callback changes nothing and
        answers the current state (``changed`` False)."""
        target = S.CONFIRMED if ok else S.FAILED
        with self.store.transaction() as uow:
            repo = EnforcementRepo(uow.session)
            action = repo.action(action_id)
            if action is None:
                raise NotFoundError(f"no action {action_id}")
            if action.state in ENDED:  # the callback is about the lift of a reversed/withdrawn action
                changed = confirm_lift(uow, action, actor, ok=ok, reason=reason, reference=reference)
                return action, changed
            if action.state == target:
                return action, False
            data = {"reference": reference} if reference else None
            if action.state in (S.APPROVED, S.FAILED):  # the callback overtook our own "sent" record
                action = self._apply(uow, repo, action, S.SENT, actor, "reported by the marketplace", data)
            new = self._apply(uow, repo, action, target, actor, reason, data)
        self.gate.apply(new)
        return new, True

    def outbox(self) -> OutboxWorker | None:
        """A delivery worker of the outbox on this process's connector (None without a webhook)."""
        if self.connector is None or not self.settings.webhook_url:
            return None
        return OutboxWorker(
            self.store,
            self.connector,
            self.settings.webhook_url,
            lease_s=self.settings.delivery_lease_s,
            on_action=self.gate.apply,
        )

    def dispatch(self, actions: list[Action], actor: str = "connector") -> list[Delivery]:
        """Deliver these actions' outbox rows now (blocking, with retries): approved → sent, and
        sent → failed when the delivery dead-letters; a failed action is queued again with the same
        idempotency key. Meant for a background task after answering; the rows are already committed,
        so a crash here only delays them (the delivery loop resumes them)."""
        worker = self.outbox()
        if worker is None:
            return []
        worker.actor = actor
        ids = []
        with self.store.transaction() as uow:
            repo = EnforcementRepo(uow.session)
            for a in actions:
                current = repo.action(a.action_id)
                if current is None or current.state not in (S.APPROVED, S.FAILED):
                    continue
                enqueue(uow, current, resend=current.state == S.FAILED)
                ids.append(current.action_id)
        return worker.drain(ids) if ids else []

    def send_queued(self, action_ids: list[str]) -> list[Delivery]:
        """Send what the outbox holds for these actions now (a lift queued by a reversal), in order;
        blocking, for a background task after answering (the delivery loop would send it later)."""
        worker = self.outbox()
        return worker.drain(action_ids) if worker is not None and action_ids else []

    def dispatch_ids(self, action_ids: list[str]) -> list[Delivery]:
        """:meth:`dispatch` for stored actions by id (their current state)."""
        with self.store.transaction() as uow:
            repo = EnforcementRepo(uow.session)
            actions = [a for a in (repo.action(i) for i in action_ids) if a is not None]
        return self.dispatch(actions)

    # --- audit --------------------------------------------------------------------------------
    def sign_if_due(self, force: bool = False) -> HeadSignature | None:
        """Sign the chain head when ``audit_sign_every`` events passed since the last signature (or now,
        with ``force``, e.g. at export)."""
        with self.store.transaction() as uow:
            repo = EnforcementRepo(uow.session)
            head = repo.audit_head()
            if head is None:
                return None
            seq, h = head
            last = repo.last_signed_seq()
            if seq <= last or not (force or signing_due(seq, last, self.settings.audit_sign_every)):
                return None
            sig = self.key.sign_head(seq, h)
            repo.add_signature(sig)
            return sig

    def export(self, principal: Principal | None = None, chunk: int = 5000) -> Iterator[str]:
        """The audit log as JSON lines, the head signed first; a regulator sees its authority's events,
        the rest redacted."""
        self.sign_if_due(force=True)
        with self.store.transaction() as uow:
            sigs = EnforcementRepo(uow.session).signatures()
        auth = authority_filter(principal) if principal else None
        visible = (lambda rec: _concerns(rec, auth)) if auth else None
        after = 0
        while True:
            with self.store.transaction() as uow:
                batch = uow.audit.list(after, chunk)
            if not batch:
                return
            yield from export_lines([_event_json(e) for e in batch], sigs, visible)
            after = batch[-1].seq or after

    def verify_stored(self) -> VerifyReport:
        """Verify the stored log and its signatures with this process's key (no export needed)."""
        rep = verify_records(
            parse_lines(self._export_stored()), self.key.public_key, require_signed_head=False
        )
        with self.store.transaction() as uow:
            last_signed = EnforcementRepo(uow.session).last_signed_seq()
            head = EnforcementRepo(uow.session).audit_head()
        last_seq = head[0] if head else 0
        if rep.ok and last_signed > last_seq:
            return VerifyReport(
                False,
                rep.events,
                rep.signatures,
                last_seq + 1,
                f"missing: a signed head refers to event seq {last_signed} (the log was truncated)",
            )
        return rep

    def _export_stored(self, chunk: int = 5000) -> Iterator[str]:
        with self.store.transaction() as uow:
            sigs = EnforcementRepo(uow.session).signatures()
        after = 0
        while True:
            with self.store.transaction() as uow:
                batch = uow.audit.list(after, chunk)
            if not batch:
                return
            yield from export_lines([_event_json(e) for e in batch], sigs)
            after = batch[-1].seq or after

    # --- screening ----------------------------------------------------------------------------
    def _recall_committed(self) -> None:
        self._recalls_changed = True

    def screener(self, max_age_s: float = 1.0) -> tuple[Any, str]:
        """The screener over the active recalls and its scan version, rebuilt when the recalls change:
        checked at most every ``max_age_s`` seconds, or (``screener_in_background``, the server) only by
        :meth:`refresh_screener`, so a request never reads the recall set or waits for a rebuild that
        another process's import caused. A recall changed by this process is checked at once."""
        c = self._screener
        fresh = self.screener_in_background or time.monotonic() - c.checked_at < max_age_s
        if c.screener is not None and fresh and not self._recalls_changed:
            return c.screener, c.version
        return self.refresh_screener()

    def refresh_screener(self, build: bool = True) -> tuple[Any, str]:
        """Check the active recall set now and rebuild the screener when it changed (``build=False``:
        only when one was built before); the old one keeps answering meanwhile."""
        from recallguard.scale.bulk_gc import settle_heap
        from recallguard.service.screening import default_screener, policy_of, scan_version

        with self._screener_lock:
            c = self._screener
            if c.screener is None and not build:
                return c.screener, c.version
            changed, self._recalls_changed = self._recalls_changed, False  # a commit after the read marks it
            try:
                with self.store.transaction() as uow:
                    revision = uow.recalls.revision()  # before the fingerprint it vouches for
                    if revision == c.revision and c.screener is not None:
                        targets = None  # the same recall set: one row read, not every recall's hash
                    else:
                        fp = uow.recalls.active_fingerprint()
                        stale = fp != c.fingerprint or c.screener is None
                        targets = uow.recalls.active_targets() if stale else None
                        if not stale:
                            c.revision = revision  # a rebuild records it once it has succeeded
                if targets is not None:
                    scr = (self.screener_factory or default_screener)(targets, True)
                    version = scan_version(fp, scr.model_version, policy_of(scr))
                    c = self._screener = ScreenerCache(fp, scr, version, revision=revision)  # swapped whole
                    if self.settle_heap_after_build:
                        settle_heap()
            except BaseException:
                self._recalls_changed |= changed  # not checked after all: the next call tries again
                raise
            c.checked_at = time.monotonic()
            return c.screener, c.version


def _append(uow: UnitOfWork, ev: AuditEvent) -> None:
    uow.audit.append(ev.kind, ev.subject, ev.actor, ev.reason, ev.data)


def _event_json(e: AuditEvent) -> dict[str, Any]:
    return {
        "kind": e.kind,
        "subject": e.subject,
        "actor": e.actor,
        "reason": e.reason,
        "data": e.data,
        "at": e.at.isoformat() if e.at else "",
        "seq": e.seq,
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }


def _concerns(rec: dict[str, Any], authority: str) -> bool:
    """Whether an audit event concerns ``authority`` (shown to its regulator)."""
    data = rec.get("data") or {}
    prefix = authority + ":"
    return (
        str(data.get("authority", "")).upper() == authority
        or str(data.get("recall", "")).upper().startswith(prefix)
        or str(rec.get("subject", "")).upper().startswith(prefix)
    )
