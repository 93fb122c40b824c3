"""Size limits: request bodies (413 in the one error shape, declared or streamed), listing fields,
images (decompression bombs, oversized bytes), and what may be fetched at all (schemes, private
addresses — one shared guard for feeds and photos)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from recallguard.errors import FetchRefused, ImageRejected
from recallguard.listings.readers import read_listings
from recallguard.matching.images import ImageLimits, decode_image, fetch_image_bytes
from recallguard.sources.cpsc_client import DEFAULT_BASE_URL, CpscClient
from recallguard.sources.fetch_guard import FetchPolicy, check_url, is_public_address, pinned_request
from recallguard.sources.safety_gate_client import SafetyGateClient
from tests.api.conftest import make_app, make_settings


@pytest.fixture()
def small_body_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    monkeypatch.setenv("RECALLGUARD_MAX_BODY_BYTES", "4096")
    app = make_app(make_settings(tmp_path))
    secret, _ = app.state.enforcer.create_token("admin")
    with TestClient(app) as c:
        yield c, {"Authorization": f"Bearer {secret}"}
    app.state.enforcer.close()


def _error(r: object) -> dict[str, object]:
    body = r.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and {"code", "message", "details"} <= set(body["error"])
    return body["error"]  # type: ignore[no-any-return]


def test_declared_body_over_the_limit_is_413(small_body_client: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = small_body_client
    big = {"listings": [{"listing_id": f"L{i}", "title": "x" * 500} for i in range(20)]}  # ~10 kB
    r = client.post("/v1/listings:screen", json=big, headers=auth)
    assert r.status_code == 413
    assert _error(r)["code"] == "too_large"
    assert r.headers["x-content-type-options"] == "nosniff"  # the refusal carries the security headers


def test_streamed_body_over_the_limit_is_413(small_body_client: tuple[TestClient, dict[str, str]]) -> None:
    """A chunked body without Content-Length is cut off as soon as it passes the limit."""
    client, auth = small_body_client

    def chunks() -> Iterator[bytes]:
        yield b'{"listings": ['
        for i in range(40):
            yield json.dumps({"listing_id": f"L{i}", "title": "y" * 300}).encode() + b","
        yield b'{"listing_id": "end", "title": "z"}]}'

    r = client.post(
        "/v1/listings:screen", content=chunks(), headers={**auth, "Content-Type": "application/json"}
    )
    assert r.status_code == 413
    assert _error(r)["code"] == "too_large"


def test_body_under_the_limit_still_works(small_body_client: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = small_body_client
    r = client.post("/v1/listings:screen", json={"listings": [{"listing_id": "ok", "title": "Garden hose"}]},
                    headers=auth)  # fmt: skip
    assert r.status_code == 200, r.text


def test_listing_field_limits(tmp_path: Path) -> None:
    """Fields past their limits (listings/schema.py) are named bad records; the rest of the file loads."""
    path = tmp_path / "l.jsonl"
    rows = [
        {"listing_id": "ok", "title": "Kids helmet"},
        {"listing_id": "long-title", "title": "t" * 2001},
        {"listing_id": "long-description", "title": "x", "description": "d" * 20_001},
        {"listing_id": "i" * 201, "title": "x"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    out = list(read_listings(path))
    assert getattr(out[0], "listing_id", None) == "ok"
    fields = [getattr(x, "field", None) for x in out[1:]]
    assert fields == ["title", "description", "listing_id"]


def _png(size: tuple[int, int], mode: str = "1") -> bytes:
    buf = BytesIO()
    Image.new(mode, size).save(buf, "PNG")
    return buf.getvalue()


def test_decompression_bomb_is_refused_before_decoding() -> None:
    bomb = _png((12_000, 12_000))  # 144 megapixels in a few tens of kB
    assert len(bomb) < 100_000
    with pytest.raises(ImageRejected, match="pixel limit"):
        decode_image(bomb, name="bomb.png")


def test_image_over_the_byte_limit_is_refused(tmp_path: Path) -> None:
    data = _png((200, 200), "RGB")
    with pytest.raises(ImageRejected, match="byte"):
        decode_image(data, ImageLimits(max_bytes=len(data) - 1))
    path = tmp_path / "big.png"
    path.write_bytes(data)
    with pytest.raises(ImageRejected, match="limit"):
        fetch_image_bytes(str(path), ImageLimits(max_bytes=100, file_root=tmp_path))


def test_garbage_and_truncated_images_are_refused() -> None:
    data = _png((64, 64), "RGB")
    for blob in (b"", b"GIF89a" + b"\xff" * 20, data[: len(data) // 2], b"\x89PNG\r\n\x1a\n" + b"\x00" * 50):
        with pytest.raises(ImageRejected):
            decode_image(blob, name="bad.png")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),  # multicast
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 form of 169.254.169.254
        ("2002:7f00:1::", False),  # 6to4 form of 127.0.0.1
        ("not an address", False),
    ],
)
def test_which_addresses_are_public(address: str, public: bool) -> None:
    assert is_public_address(address) is public


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://x/1", "ftp://example.com/a", "http://", "javascript:alert(1)"]
)
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(FetchRefused):
        check_url(url, FetchPolicy())


def _resolve_to(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET

    def fake(host: str, port: object, *a: object, **kw: object) -> list[tuple[object, ...]]:
        return [(family, socket.SOCK_STREAM, 6, "", (address, port or 80))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_a_name_resolving_to_a_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _resolve_to(monkeypatch, "169.254.169.254")
    with pytest.raises(FetchRefused, match="private address"):
        pinned_request("http://photos.example.test/a.jpg", FetchPolicy())
    with pytest.raises(ImageRejected, match="private address"):
        fetch_image_bytes("http://photos.example.test/a.jpg")
    # allowed when the deployment says so
    assert pinned_request("http://photos.example.test/a.jpg", FetchPolicy(allow_private=True))[0].endswith(
        "a.jpg"
    )


def test_the_request_goes_to_the_checked_address(monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the connection is made to the address that was checked, Host and TLS name kept."""
    _resolve_to(monkeypatch, "93.184.216.34")
    target, headers, ext = pinned_request("https://img.example.test:8443/p/a.jpg?x=1", FetchPolicy())
    assert target == "https://93.184.216.34:8443/p/a.jpg?x=1"
    assert headers == {"Host": "img.example.test:8443"}
    assert ext == {"sni_hostname": "img.example.test"}


def test_feed_clients_share_the_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(FetchRefused):
        CpscClient("file:///etc/passwd")
    with pytest.raises(FetchRefused):
        SafetyGateClient("ftp://ec.europa.eu")
    # the public default must resolve to public addresses; a configured URL may be internal
    _resolve_to(monkeypatch, "10.0.0.5")
    from datetime import date

    client = CpscClient(DEFAULT_BASE_URL, max_retries=0, sleep=lambda s: None)
    with pytest.raises(FetchRefused, match="private address"):
        client.fetch_window(client.windows(date(2026, 1, 1), date(2026, 1, 2))[0])
    client.close()
    assert CpscClient("http://10.0.0.5/Recall").policy.allow_private  # configured by the operator
    monkeypatch.setenv("RECALLGUARD_FETCH_ALLOW_PRIVATE", "1")
    assert CpscClient(DEFAULT_BASE_URL).policy.allow_private
