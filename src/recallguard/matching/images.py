"""Image fingerprints: fetch within limits, perceptual hashes, and a Hamming-distance index.

Reference images (recall photos, removed listings' photos) are hashed once, together with fourteen
cropped views (centre, corner- and side-anchored crops of 8–20 %), so a listing photo that was
cropped, resized, re-encoded, watermarked or recoloured still lands near one of them. A listing photo
is hashed as it is and mirrored, so mirrored copies match too.

Each view carries two hash families, each a pHash (DCT, 64 bits) and a dHash (gradient, 64 bits):
one on luminance (what a greyscale copy keeps) and one on the HSV value channel (max of R, G, B, which
a hue rotation or a channel swap keeps). A hit needs both hashes of one family to be close.

The index (:class:`ImageIndex`) scans packed hashes with numpy; its docstring says why that beats
a BK-tree or multi-index hashing at the distances cropping needs.

>>> from PIL import Image, ImageDraw
>>> img = Image.new("RGB", (200, 200), "white")
>>> ImageDraw.Draw(img).ellipse((40, 40, 160, 160), fill="red")
>>> index = ImageIndex()
>>> index.add("recall:26568", reference_hashes(img))
>>> [hit.key for hit in index.search(query_hashes(img.resize((120, 120))))]
['recall:26568']
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from urllib.parse import unquote, urlparse

import imagehash
import numpy as np
from PIL import Image, ImageOps

from recallguard.errors import FetchRefused, ImageRejected
from recallguard.sources.fetch_guard import FetchPolicy, pinned_request

# Views of a reference image: (name, left, top, right, bottom) as fractions of width and height.
_VIEWS = (
    ("full", 0.0, 0.0, 1.0, 1.0),
    ("centre90", 0.05, 0.05, 0.95, 0.95),
    ("centre80", 0.10, 0.10, 0.90, 0.90),
    ("top-left85", 0.0, 0.0, 0.85, 0.85),
    ("top-right85", 0.15, 0.0, 1.0, 0.85),
    ("bottom-left85", 0.0, 0.15, 0.85, 1.0),
    ("bottom-right85", 0.15, 0.15, 1.0, 1.0),
    ("top-left92", 0.0, 0.0, 0.92, 0.92),
    ("top-right92", 0.08, 0.0, 1.0, 0.92),
    ("bottom-left92", 0.0, 0.08, 0.92, 1.0),
    ("bottom-right92", 0.08, 0.08, 1.0, 1.0),
    ("no-left15", 0.15, 0.0, 1.0, 1.0),
    ("no-right15", 0.0, 0.0, 0.85, 1.0),
    ("no-top15", 0.0, 0.15, 1.0, 1.0),
    ("no-bottom15", 0.0, 0.0, 1.0, 0.85),
)


@dataclass(frozen=True)
class ImageLimits:
    """What a fetch may cost. ``file_root`` confines file paths; private addresses are refused over
    http(s) unless ``allow_private`` (a marketplace must not let sellers probe its own network)."""

    max_bytes: int = 8 * 1024 * 1024
    max_pixels: int = 40_000_000
    timeout_s: float = 10.0
    file_root: Path | None = None
    allow_private: bool = False


@dataclass(frozen=True)
class ImageHash:
    """One view of one image: pHash and dHash of luminance and of the HSV value channel (64 bits each)."""

    view: str
    phash: int
    dhash: int
    vphash: int
    vdhash: int


def _as_int(h: imagehash.ImageHash) -> int:
    return int(str(h), 16)


def _hash_view(img: Image.Image, view: str) -> ImageHash:
    value = img.convert("HSV").getchannel("V")
    return ImageHash(
        view,
        _as_int(imagehash.phash(img)),
        _as_int(imagehash.dhash(img)),
        _as_int(imagehash.phash(value)),
        _as_int(imagehash.dhash(value)),
    )


def _prepare(img: Image.Image) -> Image.Image:
    """RGB on white (transparent pixels would otherwise hash as black), small enough to hash fast."""
    if img.mode in ("RGBA", "LA", "P"):
        img = img.convert("RGBA")
        back = Image.new("RGBA", img.size, "white")
        img = Image.alpha_composite(back, img)
    img = img.convert("RGB")
    if max(img.size) > 256:
        img = img.copy()
        img.thumbnail((256, 256))
    return img


def reference_hashes(img: Image.Image) -> list[ImageHash]:
    """Hashes of a reference image and of its cropped views (hashed once, when indexed).

    >>> len(reference_hashes(Image.new("RGB", (64, 64), "white")))
    15
    """
    img = _prepare(img)
    w, h = img.size
    out = []
    for name, left, top, right, bottom in _VIEWS:
        view = (
            img
            if name == "full"
            else img.crop((int(left * w), int(top * h), int(right * w), int(bottom * h)))
        )
        out.append(_hash_view(view, name))
    return out


def query_hashes(img: Image.Image) -> list[ImageHash]:
    """Hashes of a listing image as it is and mirrored left to right.

    >>> [h.view for h in query_hashes(Image.new("RGB", (64, 64), "white"))]
    ['as-is', 'mirrored']
    """
    img = _prepare(img)
    return [_hash_view(img, "as-is"), _hash_view(ImageOps.mirror(img), "mirrored")]


def fetch_image_bytes(url: str, limits: ImageLimits | None = None) -> bytes:
    """The bytes of an image named by a file path, a file:// URL or an http(s) URL, within limits.

    >>> fetch_image_bytes("ftp://example.com/a.png")
    Traceback (most recent call last):
    ...
    recallguard.errors.ImageRejected: unsupported image URL scheme 'ftp' in 'ftp://example.com/a.png'
    """
    import httpx

    limits = limits or ImageLimits()
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme in ("", "file") or (len(scheme) == 1 and url[1:3] in (":\\", ":/")):
        path = Path(unquote(parsed.path) if scheme == "file" else url).resolve()
        if limits.file_root is not None and not path.is_relative_to(limits.file_root.resolve()):
            raise ImageRejected(f"image path {path} is outside {limits.file_root}")
        try:
            size = path.stat().st_size
            if size > limits.max_bytes:
                raise ImageRejected(f"image {url!r} is {size} bytes, over the {limits.max_bytes} limit")
            return path.read_bytes()
        except OSError as e:
            raise ImageRejected(f"cannot read image {url!r}: {e}") from e
    if scheme not in ("http", "https"):
        raise ImageRejected(f"unsupported image URL scheme {scheme!r} in {url!r}")
    try:  # the shared guard: no private, loopback or link-local address; connect to the checked one
        target, headers, extensions = pinned_request(url, FetchPolicy(allow_private=limits.allow_private))
    except FetchRefused as e:
        raise ImageRejected(f"image {url!r} not fetched: {e}") from None
    chunks: list[bytes] = []
    total = 0
    try:
        with (
            httpx.Client(timeout=limits.timeout_s, follow_redirects=False) as client,
            client.stream("GET", target, headers=headers, extensions=extensions) as resp,
        ):
            if resp.status_code != 200:
                raise ImageRejected(f"image {url!r} answered HTTP {resp.status_code}")
            declared = int(resp.headers.get("content-length") or 0)
            if declared > limits.max_bytes:
                raise ImageRejected(f"image {url!r} declares {declared} bytes, over the limit")
            for chunk in resp.iter_bytes():
                total += len(chunk)
                if total > limits.max_bytes:
                    raise ImageRejected(f"image {url!r} is over the {limits.max_bytes}-byte limit")
                chunks.append(chunk)
    except httpx.HTTPError as e:
        raise ImageRejected(f"cannot fetch image {url!r}: {type(e).__name__}: {e}") from e
    return b"".join(chunks)


def decode_image(data: bytes, limits: ImageLimits | None = None, name: str = "image") -> Image.Image:
    """Decode image bytes, refusing decompression bombs before any pixel is decoded.

    >>> buf = BytesIO(); Image.new("1", (10000, 10000)).save(buf, "PNG")   # 30 kB of PNG
    >>> decode_image(buf.getvalue(), name="bomb.png")
    Traceback (most recent call last):
    ...
    recallguard.errors.ImageRejected: bomb.png: 10000x10000 pixels is over the 40000000-pixel limit
    """
    limits = limits or ImageLimits()
    if len(data) > limits.max_bytes:
        raise ImageRejected(f"{name}: {len(data)} bytes is over the {limits.max_bytes}-byte limit")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit applies
            img = Image.open(BytesIO(data))
        w, h = img.size
        if w * h > limits.max_pixels:
            raise ImageRejected(f"{name}: {w}x{h} pixels is over the {limits.max_pixels}-pixel limit")
        if img.format == "JPEG":
            img.draft("RGB", (1024, 1024))  # decode at a reduced scale: cheaper, same hash
        img.load()
    except ImageRejected:
        raise
    except Image.DecompressionBombError as e:
        raise ImageRejected(f"{name}: refused as a decompression bomb: {e}") from e
    except (OSError, ValueError, SyntaxError) as e:
        raise ImageRejected(f"{name}: cannot decode image: {e}") from e
    return img


def load_image(url: str, limits: ImageLimits | None = None) -> Image.Image:
    """Fetch and decode one image (see :func:`fetch_image_bytes` and :func:`decode_image`)."""
    return decode_image(fetch_image_bytes(url, limits), limits, name=url)


@dataclass(frozen=True)
class ImageHit:
    """A reference image close to a query image: which one, which views and hash family met, how close."""

    key: str
    view: str
    query_view: str
    family: str  # "luminance" or "value"
    phash_distance: int
    dhash_distance: int

    @property
    def distance(self) -> int:
        return self.phash_distance + self.dhash_distance


class ImageIndex:
    """Reference image hashes with lookup by Hamming distance.

    The lookup is a vectorised scan (numpy XOR and popcount over packed 64-bit hashes): at the
    distances that survive cropping (12 of 64 bits) a BK-tree or multi-index hashing prunes little
    (pigeonhole leaves 2 bits per 11-bit chunk, about a fifth of the index), while the scan costs
    about 10 ns per indexed view. A hit needs one hash family close (pHash ≤ ``max_phash`` and
    dHash ≤ ``max_dhash``) and either that family strongly close (pHash + dHash ≤ ``strong``) or
    the other family close too (each family's sum ≤ ``both``).

    Thread-safe: :meth:`add` takes a lock; a search sees every add that returned before it.
    """

    def __init__(self, max_phash: int = 12, max_dhash: int = 18, strong: int = 20, both: int = 28) -> None:
        self.max_phash, self.max_dhash, self.strong, self.both = max_phash, max_dhash, strong, both
        self._keys: list[str] = []
        self._views: list[str] = []
        self._hashes = np.zeros((0, 4), dtype=np.uint64)
        self._size = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(set(self._keys))

    def add(self, key: str, hashes: list[ImageHash]) -> None:
        """Index the hashes of one reference image under ``key`` (e.g. a recall or listing id)."""
        rows = np.array([[h.phash, h.dhash, h.vphash, h.vdhash] for h in hashes], dtype=np.uint64)
        with self._lock:
            need = self._size + len(rows)
            if need > len(self._hashes):
                grown = np.zeros((max(need, 2 * len(self._hashes), 64), 4), dtype=np.uint64)
                grown[: self._size] = self._hashes[: self._size]
                self._hashes = grown
            self._hashes[self._size : need] = rows
            self._keys.extend(key for _ in hashes)
            self._views.extend(h.view for h in hashes)
            self._size = need  # published last: a concurrent search sees whole rows only

    def entries(self) -> Iterator[tuple[str, ImageHash]]:
        """Every (key, hash) indexed, in insertion order (for snapshots)."""
        rows = self._hashes[: self._size].tolist()
        for key, view, row in zip(self._keys, self._views, rows, strict=False):
            yield key, ImageHash(view, *(int(v) for v in row))

    def search(self, hashes: list[ImageHash]) -> list[ImageHit]:
        """The closest view of every reference image that meets the rule, best first."""
        size = self._size
        table = self._hashes[:size]
        best: dict[str, ImageHit] = {}
        for q in hashes:
            query = np.array([q.phash, q.dhash, q.vphash, q.vdhash], dtype=np.uint64)
            dist = np.bitwise_count(table ^ query).astype(np.int32)
            lum_close = (dist[:, 0] <= self.max_phash) & (dist[:, 1] <= self.max_dhash)
            val_close = (dist[:, 2] <= self.max_phash) & (dist[:, 3] <= self.max_dhash)
            lum_sum, val_sum = dist[:, 0] + dist[:, 1], dist[:, 2] + dist[:, 3]
            both = lum_close & val_close & (lum_sum <= self.both) & (val_sum <= self.both)
            ok = (lum_close & (lum_sum <= self.strong)) | (val_close & (val_sum <= self.strong)) | both
            for slot in np.flatnonzero(ok).tolist():
                d = dist[slot].tolist()
                lum = d[0] + d[1] <= d[2] + d[3]
                hit = ImageHit(
                    self._keys[slot],
                    self._views[slot],
                    q.view,
                    "luminance" if lum else "value",
                    d[0] if lum else d[2],
                    d[1] if lum else d[3],
                )
                old = best.get(hit.key)
                if old is None or hit.distance < old.distance:
                    best[hit.key] = hit
        return sorted(best.values(), key=lambda h: (h.distance, h.key))
