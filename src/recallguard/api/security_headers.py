"""Security headers on every answer (a pure ASGI layer, cheap enough for the gate's hot path).

- ``Content-Security-Policy``: the pages load only their own script and style (``/static/app.js``,
  ``/static/app.css``: no inline script anywhere), images from the service and from https (listing and
  recall photos are the marketplace's and the regulator's URLs), forms post only to the service, no
  plugins, no ``<base>``, never framed. The compliance report (one self-contained HTML file with an
  inline ``<style>``) may use inline styles; FastAPI's ``/docs`` and ``/redoc`` load their UI from a
  CDN with an inline bootstrap script and get a policy that allows exactly that.
- ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``, ``Referrer-Policy: no-referrer``,
  ``Cross-Origin-Opener-Policy: same-origin``, ``Permissions-Policy`` (no camera, microphone, geolocation).
- ``Strict-Transport-Security`` in production mode only (development runs on plain http://127.0.0.1).

A header the route already set is kept.

>>> policy_for("/review")[:20], "unsafe-inline" in policy_for("/docs")
("default-src 'self'; ", True)
"""

from __future__ import annotations

from recallguard.api.limits import ASGIApp, Message, Receive, Scope, Send

CSP_PAGES = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
CSP_REPORTS = CSP_PAGES.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
CSP_DOCS = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https:; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
HSTS = b"max-age=31536000; includeSubDomains"
_DOCS = ("/docs", "/redoc")


def policy_for(path: str) -> str:
    """The Content-Security-Policy of a path."""
    if path.startswith(_DOCS):
        return CSP_DOCS
    if path.startswith("/v1/reports/"):
        return CSP_REPORTS
    return CSP_PAGES


class SecurityHeaders:
    """Adds the headers above to every HTTP answer; HSTS when ``production``."""

    def __init__(self, app: ASGIApp, production: bool) -> None:
        self.app = app
        base = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]
        if production:
            base.append((b"strict-transport-security", HSTS))
        self.base = base
        self._csp = {p: policy_for(p).encode() for p in ("/", "/docs", "/v1/reports/")}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        csp = self._csp[
            "/docs" if path.startswith(_DOCS) else "/v1/reports/" if path.startswith("/v1/reports/") else "/"
        ]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in self.base if k not in present]
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", csp))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
