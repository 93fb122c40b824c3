"""The server's delivery loop: the outbox worker running beside the API.

Every ``RECALLGUARD_DELIVERY_POLL_S`` seconds (at once while there is work) it claims due outbox rows
— new approvals from any process (CLI scans, stream workers, other servers), retries whose backoff
ran out, and rows a crashed worker held when its lease expired — and sends them
(``service.outbox.OutboxWorker``). Without a configured webhook it does nothing.

>>> import asyncio, concurrent.futures
>>> from recallguard.api.config import ServiceSettings
>>> from recallguard.api.runtime import Enforcer
>>> enf = Enforcer(ServiceSettings(database_url="sqlite://", data_dir="/tmp/rg-doc-dl"))
>>> pool = concurrent.futures.ThreadPoolExecutor(1)  # its own thread: callers may hold a running loop
>>> pool.submit(asyncio.run, delivery_loop(enf)).result()  # no webhook: returns at once
0
"""

from __future__ import annotations

import asyncio
import logging

from starlette.concurrency import run_in_threadpool

from recallguard.api.runtime import Enforcer

log = logging.getLogger("recallguard.api")


async def delivery_loop(enf: Enforcer) -> int:
    """Run until cancelled; returns the number of attempts made (0 at once without a webhook)."""
    worker = enf.outbox()
    if worker is None:
        return 0
    n = 0
    while True:
        try:
            worker.on_action = enf.gate.apply  # the gate object is replaced by rebuilds
            claimed = await run_in_threadpool(worker.run_once)
            n += len(claimed)
        except Exception:  # the rows stay pending; the next round retries them
            log.exception("delivery round failed")
            claimed = []
        if not claimed:
            await asyncio.sleep(enf.settings.delivery_poll_s)
