"""One guard for every outbound fetch (CPSC and Safety Gate feeds, recall and listing photos): only
allowed schemes, and never a private, loopback, link-local, multicast or reserved address unless the
deployment allows private addresses (``RECALLGUARD_FETCH_ALLOW_PRIVATE=1``, e.g. a feed mirror on the
internal network).

It lives in ``sources`` — the lowest layer that fetches anything — so the feed clients and
``matching.images`` (which may import ``sources``) share it. :func:`resolve_checked` resolves the host
once and checks every address; :func:`pinned_request` then connects to exactly the checked address
(Host header and TLS server name kept), so a DNS answer that changes between check and connect
(rebinding) cannot redirect the request inside the network. IPv6 forms that embed an IPv4 address
(mapped ``::ffff:a.b.c.d``, NAT64, 6to4, Teredo) are judged by the embedded address.

>>> is_public_address("8.8.8.8"), is_public_address("169.254.169.254"), is_public_address("::ffff:127.0.0.1")
(True, False, False)
>>> check_url("file:///etc/passwd", FetchPolicy())
Traceback (most recent call last):
...
recallguard.errors.FetchRefused: scheme 'file' is not allowed for file:///etc/passwd (allowed: http, https)
"""

from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from recallguard.errors import FetchRefused

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class FetchPolicy:
    """Which URLs may be fetched: ``schemes``, and whether private addresses are allowed."""

    schemes: frozenset[str] = field(default_factory=lambda: frozenset({"http", "https"}))
    allow_private: bool = False

    @classmethod
    def from_env(cls) -> FetchPolicy:
        """``RECALLGUARD_FETCH_ALLOW_PRIVATE`` (1/true/yes/on) allows private addresses."""
        flag = os.environ.get("RECALLGUARD_FETCH_ALLOW_PRIVATE", "").strip().lower()
        return cls(allow_private=flag in ("1", "true", "yes", "on"))


def _embedded_v4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr in _NAT64:
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    if addr.sixtofour is not None:
        return addr.sixtofour
    if addr.teredo is not None:
        return addr.teredo[1]
    return None


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address (what an outbound fetch may reach by default)."""
    try:
        addr = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address):
        inner = _embedded_v4(addr)
        if inner is not None:
            return is_public_address(str(inner))
    return addr.is_global and not addr.is_multicast and not addr.is_reserved


def check_url(url: str, policy: FetchPolicy) -> tuple[str, str, int]:
    """(scheme, host, port) of an allowed URL; FetchRefused naming the URL otherwise (no lookup)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise FetchRefused(f"not a URL: {url[:200]!r} ({e})") from None
    scheme = parts.scheme.lower()
    if scheme not in policy.schemes:
        allowed = ", ".join(sorted(policy.schemes))
        raise FetchRefused(f"scheme {scheme!r} is not allowed for {url[:200]} (allowed: {allowed})")
    host = parts.hostname or ""
    if not host:
        raise FetchRefused(f"no host in {url[:200]}")
    return scheme, host, port or (443 if scheme == "https" else 80)


def resolve_checked(url: str, policy: FetchPolicy) -> list[str]:
    """The addresses ``url``'s host resolves to, every one of them allowed; FetchRefused otherwise.
    With ``allow_private``, or when the name does not resolve, an empty list: connect as usual (a name
    that does not resolve here does not resolve for the HTTP client either)."""
    _, host, port = check_url(url, policy)
    if policy.allow_private:
        return []
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []  # the HTTP client's own lookup fails the same way (and its retries apply)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        if not is_public_address(address):
            raise FetchRefused(
                f"{url[:200]}: host {host!r} is a private address ({address}: private, loopback or "
                "link-local; RECALLGUARD_FETCH_ALLOW_PRIVATE=1 allows it)"
            )
    return addresses


def pinned_request(url: str, policy: FetchPolicy) -> tuple[str, dict[str, str], dict[str, str]]:
    """(url to request, headers, httpx extensions) that reach exactly a checked address of ``url``'s
    host: the IP in the URL, the original ``Host`` header, and the TLS server name for certificate
    checks. With ``allow_private``: the URL unchanged."""
    addresses = resolve_checked(url, policy)
    if not addresses:
        return url, {}, {}
    parts = urlsplit(url)
    ip = addresses[0]
    netloc_ip = f"[{ip}]" if ":" in ip else ip
    if parts.port:
        netloc_ip += f":{parts.port}"
    host_header = parts.netloc.rsplit("@", 1)[-1]
    target = urlunsplit((parts.scheme, netloc_ip, parts.path, parts.query, ""))
    extensions = {"sni_hostname": parts.hostname or ""} if parts.scheme.lower() == "https" else {}
    return target, {"Host": host_header}, extensions
