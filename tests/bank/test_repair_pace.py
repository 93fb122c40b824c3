"""The poll thread repairs the bank from the actions table every ``SYNC_EVERY`` polls while a repair is
quick, and less often when it is slow: the repair compares every actioned action with the bank, so at a
million entries it takes seconds, and every ten seconds it would hold a core of the server a third of
the time for a safety net."""

from __future__ import annotations

import time

import pytest

from recallguard.service import bank as bank_module
from recallguard.service.bank import REPAIR_SHARE, BankService, next_repair_at, open_bank
from recallguard.store import Store


@pytest.mark.parametrize("took", [0.0, 0.01, 0.073, 0.5, 3.6, 60.0])
def test_repairs_take_at_most_their_share_and_quick_ones_keep_the_pace(took: float) -> None:
    every = 10.0
    nxt = next_repair_at(1000.0, 1000.0 + took, every)
    assert nxt >= 1000.0 + every  # never more often than every SYNC_EVERY polls
    assert took <= REPAIR_SHARE * (nxt - 1000.0) + 1e-9  # the share of the time between two starts
    if took <= REPAIR_SHARE * every:
        assert nxt == 1000.0 + every


def test_a_slow_repair_puts_the_next_one_off(
    bank_store: Store, open_banks: list[BankService], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bank_module, "SYNC_EVERY", 2)
    syncs: list[float] = []
    svc = open_bank(bank_store, poll_s=0.01)  # repairs due every 20 ms while they are quick
    open_banks.append(svc)
    real_sync = svc.sync

    def slow_sync() -> int:
        syncs.append(time.monotonic())
        time.sleep(0.05)  # as a big bank's repair: the next one is due 5 s later
        return real_sync()

    monkeypatch.setattr(svc, "sync", slow_sync)
    deadline = time.monotonic() + 30
    while not syncs and time.monotonic() < deadline:
        time.sleep(0.01)
    assert syncs, "the poll thread never repaired"
    polls = svc.status()["polls"]
    time.sleep(0.5)  # 25 repair periods of 20 ms
    assert len(syncs) == 1  # the slow repair put the next one 5 s off
    assert svc.status()["polls"] > polls  # while polling goes on
