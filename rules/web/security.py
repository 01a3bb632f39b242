"""Security headers and the request body limit, as one pure ASGI middleware.

Every response carries a Content-Security-Policy without inline scripts (scripts only from this
server; the one inline `<style>` of the printable report is allowed by a per-request nonce),
`nosniff`, `frame-ancestors 'none'`, no referrer, and `no-store` (a child's case must not stay
in a shared cache), and a `Server-Timing` header gives the time spent in the application. A
request body over the limit is refused with 413 before the application
reads it: by its Content-Length, or, for a chunked body, as soon as the bytes read pass the limit.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from rules.web.problems import N_, PROBLEM_JSON, Problem

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def content_security_policy(nonce: str) -> str:
    return ("default-src 'none'; script-src 'self'; "
            f"style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; font-src 'self'; "
            "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


def security_headers(nonce: str, path: str) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", content_security_policy(nonce).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"cross-origin-resource-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    ]
    if not path.startswith("/static/"):
        headers.append((b"cache-control", b"no-store"))
    return headers


class BodyTooLarge(Exception):
    """Raised from `receive` when a streamed body passes the limit."""


class Guard:
    """Adds the security headers to every response and enforces the body limit."""

    def __init__(self, app: ASGIApp, max_body_bytes: int):
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        path = str(scope.get("path", ""))
        extra = security_headers(nonce, path)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {name for name, _ in extra}
                spent = f"app;dur={(time.perf_counter() - began) * 1000:.2f}".encode()
                message["headers"] = [h for h in message.get("headers", [])
                                      if h[0].lower() not in names] + extra + [
                    (b"server-timing", spent)]
            await send(message)

        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await self._too_large(send_with_headers, scope)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge:
            if started:
                raise
            await self._too_large(send_with_headers, scope)

    async def _too_large(self, send: Send, scope: Scope) -> None:
        problem = Problem("body-too-large", N_("the request body is limited to %(limit)d bytes"),
                          params={"limit": self.limit}, limit_bytes=self.limit)
        body = problem.render(_query_lang(scope), str(scope.get("path", "")))
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", PROBLEM_JSON.encode()),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _query_lang(scope: Scope) -> str:
    from urllib.parse import parse_qs

    from rules.i18n import UnknownLanguage, resolve_lang

    query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
    try:
        return resolve_lang((query.get("lang") or ["en"])[0])
    except UnknownLanguage:
        return "en"
