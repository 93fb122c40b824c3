"""Images in the stateful path, kept off the hot path: which URLs may be fetched, a bounded worker
that fetches and hashes them, and an in-memory cache of listing-photo hashes that screening reads.

- **What may be fetched** (:class:`ImageSettings`): ``http(s)`` only when ``fetch_http`` is on
  (``RECALLGUARD_IMAGE_FETCH_HTTP=1``; off by default, and in tests); files (``file://`` or a path)
  only inside ``file_root`` (``RECALLGUARD_IMAGE_ROOT``); the byte, pixel and time limits and the
  private-address refusal of :mod:`recallguard.matching.images` apply to every fetch.
- **When**: removed listings' photos when their action is approved, recall photos once, listing
  photos when a listing is screened and its photos are not hashed yet — always by
  :class:`ImageWorker` (a few threads, a bounded queue; a full queue drops work, never waits).
  Screening itself only reads :class:`QueryHashCache`.

>>> s = ImageSettings()
>>> s.allowed("https://img.example.com/a.jpg"), s.allowed("file:///tmp/a.png")
(False, False)
>>> ImageSettings(fetch_http=True, file_root=Path("/tmp")).allowed("file:///tmp/a.png")
True
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from PIL import Image

from recallguard.errors import ImageRejected
from recallguard.matching.images import ImageHash, ImageLimits, load_image

HashRows = list[list[Any]]  # [[view, phash, dhash, vphash, vdhash], …] as stored


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class ImageSettings:
    """Which image URLs the deployment fetches, and how much work may wait."""

    fetch_http: bool = False
    file_root: Path | None = None
    workers: int = 2
    queue: int = 1000
    cache: int = 100_000  # listing-photo hashes kept in memory
    limits: ImageLimits = field(default_factory=ImageLimits)

    @classmethod
    def from_env(cls) -> ImageSettings:
        """``RECALLGUARD_IMAGE_FETCH_HTTP`` (1/true) and ``RECALLGUARD_IMAGE_ROOT`` (a folder)."""
        root = os.environ.get("RECALLGUARD_IMAGE_ROOT", "").strip()
        return cls(fetch_http=_flag("RECALLGUARD_IMAGE_FETCH_HTTP"), file_root=Path(root) if root else None)

    def allowed(self, url: str) -> bool:
        """True when this deployment may fetch ``url`` at all (limits still apply to the fetch)."""
        scheme = urlparse(url).scheme.lower()
        if scheme in ("http", "https"):
            return self.fetch_http
        if scheme in ("", "file") and self.file_root is not None:
            path = Path(unquote(urlparse(url).path) if scheme == "file" else url).resolve()
            return path.is_relative_to(self.file_root.resolve())
        return False

    def load(self, url: str) -> Image.Image:
        """Fetch and decode one image; raises ImageRejected when not allowed or over a limit."""
        if not self.allowed(url):
            raise ImageRejected(
                f"image {url!r} not fetched: http(s) needs RECALLGUARD_IMAGE_FETCH_HTTP, files need "
                "RECALLGUARD_IMAGE_ROOT to contain them"
            )
        return load_image(url, dataclasses.replace(self.limits, file_root=self.file_root))


def to_rows(hashes: Iterable[ImageHash]) -> HashRows:
    """Hashes as stored (JSON lists)."""
    return [[h.view, h.phash, h.dhash, h.vphash, h.vdhash] for h in hashes]


def from_rows(rows: HashRows) -> list[ImageHash]:
    """Stored hashes back as :class:`ImageHash` values."""
    return [ImageHash(str(v), *(int(x) for x in rest)) for v, *rest in rows]


def hash_urls(
    urls: Iterable[str], settings: ImageSettings, hasher: Callable[[Image.Image], list[ImageHash]]
) -> tuple[dict[str, list[ImageHash]], dict[str, str]]:
    """Hashes of every URL that could be fetched, and the error of every one that could not."""
    done: dict[str, list[ImageHash]] = {}
    errors: dict[str, str] = {}
    for url in urls:
        try:
            done[url] = hasher(settings.load(url))
        except ImageRejected as e:
            errors[url] = str(e)
    return done, errors


class QueryHashCache:
    """Listing-photo hashes by URL (LRU); an empty list means the photo could not be read."""

    def __init__(self, size: int = 100_000) -> None:
        self.size = size
        self._items: OrderedDict[str, list[ImageHash]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, url: str) -> list[ImageHash] | None:
        with self._lock:
            found = self._items.get(url)
            if found is not None:
                self._items.move_to_end(url)
            return found

    def put(self, url: str, hashes: list[ImageHash]) -> None:
        with self._lock:
            self._items[url] = hashes
            self._items.move_to_end(url)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class ImageWorker:
    """A few threads and a bounded queue; :meth:`submit` never blocks (False when full or queued).

    >>> w = ImageWorker(workers=1, queue=1)
    >>> w.submit("a", lambda: None); w.drain(); w.close()
    True
    """

    def __init__(self, workers: int = 2, queue: int = 1000) -> None:
        self.queue = queue
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rg-images")
        self._pending: dict[str, Future[None]] = {}
        self._lock = threading.Lock()
        self.dropped = 0
        self.failed = 0

    def submit(self, key: str, job: Callable[[], object]) -> bool:
        """Run ``job`` in the background unless a job of ``key`` is waiting or the queue is full."""
        with self._lock:
            if key in self._pending:
                return False
            if len(self._pending) >= self.queue:
                self.dropped += 1
                return False
            fut = self._pool.submit(self._run, key, job)
            self._pending[key] = fut
            return True

    def _run(self, key: str, job: Callable[[], object]) -> None:
        try:
            job()
        except Exception:  # a failing job must not kill the worker; the next poll retries
            self.failed += 1
        finally:
            with self._lock:
                self._pending.pop(key, None)

    def drain(self, timeout: float = 60.0) -> None:
        """Wait for the jobs queued so far (tests, CLI)."""
        with self._lock:
            futures = list(self._pending.values())
        wait(futures, timeout=timeout)

    def __len__(self) -> int:
        return len(self._pending)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
