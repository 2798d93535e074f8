"""Security headers on every response: CSP without inline script, no framing, HSTS over https.

Added app-wide by :class:`portal.web.plugin.WebPlugin` as a ``before_send`` hook, which Litestar
runs for every response it sends (API, pages, static files, and errors for unknown paths alike).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.types import Message, Scope

#: No inline script or style, nothing from another origin, forms post only to us, no framing.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"

BASE_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
)


def security_headers_hook(*, https_base_url: bool) -> Callable[[Message, Scope], Awaitable[None]]:
    """A ``before_send`` hook adding :data:`BASE_HEADERS`, and HSTS when served over https.

    "Over https" is the configured base URL's scheme, or the request's own (behind a proxy that
    uvicorn trusts for ``X-Forwarded-Proto``).
    """

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = list(message.get("headers", []))
        present = {bytes(name).lower() for name, _ in headers}
        headers.extend(h for h in BASE_HEADERS if h[0] not in present)
        https = https_base_url or scope.get("scheme") == "https"
        if https and b"strict-transport-security" not in present:
            headers.append((b"strict-transport-security", HSTS.encode()))
        message["headers"] = headers

    return add_headers
