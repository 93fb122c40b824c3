"""Perceptual hashes catch edited copies of a photo and leave unrelated photos alone; fetching is
bounded by size, pixels, time and scheme."""

from __future__ import annotations

import contextlib
import http.server
import random
import threading
import time
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from recallguard.errors import ImageRejected
from recallguard.matching.images import (
    ImageIndex,
    ImageLimits,
    decode_image,
    fetch_image_bytes,
    load_image,
    query_hashes,
    reference_hashes,
)
from tests.images.synth import EDITS, product_photo

REFERENCES = 20


@pytest.fixture(scope="module")
def index() -> ImageIndex:
    idx = ImageIndex()
    for seed in range(REFERENCES):
        idx.add(f"recall-{seed}", reference_hashes(product_photo(seed)))
    return idx


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_edited_copies_of_a_recall_photo_are_caught(index: ImageIndex, edit: str) -> None:
    r = random.Random(edit)
    for seed in range(REFERENCES):
        hits = index.search(query_hashes(EDITS[edit](product_photo(seed), r)))
        assert hits and hits[0].key == f"recall-{seed}", f"{edit} copy of photo {seed} missed"


def test_unrelated_photos_match_nothing(index: ImageIndex) -> None:
    false = [seed for seed in range(1000, 1060) if index.search(query_hashes(product_photo(seed)))]
    assert false == []


def test_transparent_png_is_hashed_on_white(tmp_path: Path) -> None:
    img = product_photo(3).convert("RGBA")
    img.putalpha(255)
    path = tmp_path / "p.png"
    img.save(path)
    idx = ImageIndex()
    idx.add("r", reference_hashes(product_photo(3)))
    assert idx.search(query_hashes(load_image(path.as_uri())))[0].key == "r"


def test_files_are_read_from_paths_and_file_urls_and_confined_to_a_root(tmp_path: Path) -> None:
    path = tmp_path / "a.jpg"
    product_photo(1).save(path, "JPEG")
    assert load_image(str(path)).size == (480, 360)
    assert load_image(path.as_uri()).size == (480, 360)
    with pytest.raises(ImageRejected, match="outside"):
        fetch_image_bytes(str(path), ImageLimits(file_root=tmp_path / "elsewhere"))
    with pytest.raises(ImageRejected, match="over the"):
        fetch_image_bytes(str(path), ImageLimits(max_bytes=100))
    with pytest.raises(ImageRejected, match="cannot read"):
        fetch_image_bytes(str(tmp_path / "missing.png"))


def test_decompression_bombs_and_garbage_are_refused() -> None:
    buf = BytesIO()
    Image.new("1", (12000, 12000)).save(buf, "PNG")
    assert len(buf.getvalue()) < 100_000  # small file, 144 megapixels
    with pytest.raises(ImageRejected, match="pixel limit"):
        decode_image(buf.getvalue())
    with pytest.raises(ImageRejected, match="cannot decode"):
        decode_image(b"not an image at all")


class _Handler(http.server.BaseHTTPRequestHandler):
    photo = b""

    def do_GET(self) -> None:
        if self.path == "/slow.jpg":
            time.sleep(2)
        if self.path == "/missing.jpg":
            self.send_error(404)
            return
        body = self.photo * (50 if "huge" in self.path else 1)
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        if "chunked" not in self.path:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client stopped at its limit
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    buf = BytesIO()
    product_photo(5).save(buf, "JPEG")
    _Handler.photo = buf.getvalue()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def test_http_images_are_fetched_within_limits(server: str) -> None:
    local = ImageLimits(allow_private=True, timeout_s=0.5, max_bytes=len(_Handler.photo) * 10)
    assert load_image(f"{server}/photo.jpg", local).size == (480, 360)
    with pytest.raises(ImageRejected, match="declares"):
        fetch_image_bytes(f"{server}/huge.jpg", local)
    with pytest.raises(ImageRejected, match="-byte limit"):
        fetch_image_bytes(f"{server}/chunked-huge.jpg", local)  # no Content-Length: counted while read
    with pytest.raises(ImageRejected, match="ReadTimeout"):
        fetch_image_bytes(f"{server}/slow.jpg", local)
    with pytest.raises(ImageRejected, match="HTTP 404"):
        fetch_image_bytes(f"{server}/missing.jpg", local)


def test_private_addresses_and_other_schemes_are_refused(server: str) -> None:
    with pytest.raises(ImageRejected, match="private address"):
        fetch_image_bytes(f"{server}/photo.jpg")  # default limits: no loopback
    with pytest.raises(ImageRejected, match="unsupported"):
        fetch_image_bytes("gopher://example.com/x.png")
