"""What every request passes first: the host it names, where a form post comes from, how much
it may send, and the headers every answer carries.

A server on loopback is still reachable from the clerk's own browser by any web site it visits:
a request naming another host (DNS rebinding) or a state-changing request from another origin
(cross-site forgery) is refused before any route sees it.
"""

from __future__ import annotations

import json

LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
HEADERS = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; object-src 'none'; "
                                 b"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # no-referrer would make a form post say "Origin: null"
    (b"x-frame-options", b"DENY"),
]


class TooLarge(Exception):
    """The request body passed the server's limit while it was being read."""


class Guard:
    """ASGI middleware: ``hosts`` the server answers to (host names, without port; ``*`` for
    any), and at most ``max_body`` bytes (plus room for the form around a file) per request."""

    def __init__(self, app, hosts=LOOPBACK, max_body: int = 0, too_large: str = ""):
        self.app = app
        self.hosts = set(hosts)
        self.max_body = max_body + 64 * 1024
        self.too_large = too_large

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if "*" not in self.hosts and name not in self.hosts:
            return await _refuse(send, 400, "请求的主机名不对，已拒绝；请用服务启动时显示的地址访问")
        if scope["method"] not in SAFE_METHODS and not _same_origin(headers, scope, host):
            return await _refuse(send, 403, "请求来自其他网站，已拒绝；请在本工具的页面上操作")
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body:
            return await _refuse(send, 413, self.too_large)
        received = 0

        async def limited():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise TooLarge
            return message

        async def secured(message):
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in HEADERS if k not in present]
            await send(message)

        await self.app(scope, limited, secured)


def _same_origin(headers: dict, scope: dict, host: str) -> bool:
    """A browser names the origin of every cross-site POST; scripts and the test client send none."""
    site = headers.get("sec-fetch-site")
    if site == "cross-site":
        return False
    if site == "same-origin":  # set by the browser alone; a plain form's Origin is "null" under no-referrer
        return True
    origin = headers.get("origin")
    return origin is None or origin == f"{scope.get('scheme', 'http')}://{host}"


async def _refuse(send, status: int, message: str) -> None:
    body = json.dumps({"error": message}, ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), *HEADERS]})
    await send({"type": "http.response.body", "body": body})
