"""What every request of the bureau's server passes first: who is asking, and whether a request
that changes something carries its session's CSRF token. Then, after the answer, the journal.

An ASGI middleware, outside the clerk's page's own :class:`~generator.web.guard.Guard`. A request
without a live session gets the login page (a page) or 401 (the API); a first-login password must
be changed before anything else. The account and the CSRF token are put in the request's scope
(``scope["account"]``, ``scope["csrf"]``) for the access policy and the templates.

The CSRF token comes in the ``X-CSRF-Token`` header (the page's scripts) or as the form field
``csrf``, which the templates put first in every form: of a multipart upload only the first part
is read here, the file streams on untouched.
"""

from __future__ import annotations

import re
import sqlite3
import time
from contextlib import closing
from urllib.parse import parse_qs, quote

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from . import accounts, journal

COOKIE = "disclose"
LOGIN_COOKIE = "disclose_login"  # the login form's CSRF token, before there is a session
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
OPEN_PATHS = ("/login", "/static/")
PASSWORD_PATHS = ("/password", "/logout", "/static/")
_FORM_LIMIT = 64 * 1024  # a form of fields only; uploads are multipart
_FIRST_PART_LIMIT = 16 * 1024
STALE = "页面已过期或请求来源不明，未执行：请刷新页面后重试"

# What the journal records of the clerk's page's routes: (method, path, action).
_JOURNALED = [
    ("POST", re.compile(r"^/api/units/(\d+)/uploads$"), "上传工作簿"),
    ("POST", re.compile(r"^/api/units/(\d+)/uploads/(\d+)/builds$"), "生成报告"),
    ("GET", re.compile(r"^/api/units/(\d+)/builds/(\d+)/(report|pdf|audit)$"), "下载"),
    ("GET", re.compile(r"^/api/units/(\d+)/uploads/(\d+)/workbook$"), "下载工作簿"),
]


def cookie_name(scope, name: str) -> str:
    """Over HTTPS the cookie is ``__Host-`` prefixed: the browser then only takes it from this
    host, over HTTPS, for the whole site."""
    return f"__Host-{name}" if scope.get("scheme") == "https" else name


def set_cookie(response: Response, scope, name: str, value: str) -> None:
    response.set_cookie(cookie_name(scope, name), value, path="/", httponly=True, samesite="strict",
                        secure=scope.get("scheme") == "https")


def clear_cookie(response: Response, scope, name: str) -> None:
    response.delete_cookie(cookie_name(scope, name), path="/", httponly=True, samesite="strict",
                           secure=scope.get("scheme") == "https")


def wants_page(scope) -> bool:
    """A page's address gets a page (the login page, a redirect), unless the request asks for
    JSON as the page's scripts do; the API's addresses get JSON."""
    accept = dict(scope["headers"]).get(b"accept", b"").decode("latin-1")
    return "application/json" not in accept and not scope["path"].startswith("/api/")


class Sessions:
    """Live sessions looked up in the last few seconds, so that a page polling a build every
    second costs no database query for its session. Anything that ends sessions clears it."""

    SECONDS = 10.0

    def __init__(self):
        self._seen: dict[str, tuple[float, accounts.Session]] = {}

    def get(self, token: str) -> accounts.Session | None:
        hit = self._seen.get(token)
        return hit[1] if hit and time.monotonic() - hit[0] < self.SECONDS else None

    def put(self, token: str, session: accounts.Session) -> None:
        if len(self._seen) > 10_000:
            self._seen.clear()
        self._seen[token] = (time.monotonic(), session)

    def clear(self) -> None:
        self._seen.clear()


class Gate:
    """ASGI middleware over the web application; ``connect()`` opens the server's database."""

    def __init__(self, app, connect, sessions: Sessions):
        self.app = app
        self.connect = connect
        self.sessions = sessions

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        token = request.cookies.get(cookie_name(scope, COOKIE))
        # On the event loop, not in a thread: a read (WAL: never waits for a writer) and at most a
        # write a minute that gives up at once when busy, so that no page waits for a free thread.
        session = self._session(token) if token else None
        path = scope["path"]
        if session is None:
            if path.startswith(OPEN_PATHS):
                expected = request.cookies.get(cookie_name(scope, LOGIN_COOKIE), "")
                return await self._checked(scope, receive, send, expected)
            if wants_page(scope):
                target = path + (f"?{scope['query_string'].decode('latin-1')}" if scope["query_string"] else "")
                return await RedirectResponse(f"/login?next={quote(target)}", 303)(scope, receive, send)
            return await JSONResponse({"error": "请先登录"}, 401)(scope, receive, send)
        scope["account"], scope["csrf"] = session.account, session.csrf
        if session.account.must_change and not path.startswith(PASSWORD_PATHS):
            if wants_page(scope):
                return await RedirectResponse("/password", 303)(scope, receive, send)
            return await JSONResponse({"error": "请先在网页上修改初始密码"}, 403)(scope, receive, send)
        await self._checked(scope, receive, send, session.csrf, journaled=True)

    def _session(self, token: str):
        session = self.sessions.get(token)
        if session is None:
            with closing(self.connect(timeout=0.2)) as db:
                session = accounts.session_for(db, token)
            if session is not None:
                self.sessions.put(token, session)
        return session

    async def _checked(self, scope, receive, send, expected: str, journaled: bool = False):
        """Pass the request on when it is safe or carries ``expected``; journal what it did."""
        if scope["method"] not in SAFE_METHODS:
            supplied, receive = await _token(scope, receive)
            if not expected or not accounts.csrf_ok(expected, supplied):
                return await _stale(scope, receive, send)
        status = 0

        async def watched(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, watched)
        if journaled and status < 400:
            await anyio.to_thread.run_sync(self._journal, scope, status)

    def _journal(self, scope, status: int) -> None:
        for method, pattern, action in _JOURNALED:
            match = pattern.match(scope["path"])
            if match and scope["method"] == method:
                with closing(self.connect()) as db:
                    unit, detail = _what(db, action, *match.groups())
                    journal.record(db, scope["account"].login, action, detail, unit=unit,
                                   client=client_of(scope))
                return


def client_of(scope) -> str:
    return (scope.get("client") or ("", 0))[0]


def _what(db: sqlite3.Connection, action: str, unit_id: str, item: str | None = None, kind: str | None = None):
    """The unit's code and what the journal says of the action: the file it concerned."""
    (code,) = db.execute("SELECT coalesce(code, '') FROM units WHERE id = ?", (int(unit_id),)).fetchone() or ("",)
    if action == "上传工作簿":
        row = db.execute("SELECT id, filename FROM uploads WHERE unit_id = ? ORDER BY id DESC LIMIT 1",
                         (int(unit_id),)).fetchone()
        return code, f"上传 #{row[0]}：{row[1]}" if row else ""
    if action == "生成报告":
        row = db.execute("SELECT b.id, b.pdf, b.draft, u.filename FROM builds b JOIN uploads u ON u.id = b.upload_id "
                         "WHERE b.unit_id = ? ORDER BY b.id DESC LIMIT 1", (int(unit_id),)).fetchone()
        return code, (f"生成 #{row[0]}{'（含 PDF）' if row[1] else ''}{'（草稿）' if row[2] else ''}，"
                      f"工作簿：{row[3]}") if row else ""
    if action == "下载":
        column = {"report": "report", "pdf": "pdf_file", "audit": "audit_file"}[kind]
        row = db.execute(f"SELECT {column} FROM builds WHERE unit_id = ? AND id = ?", (int(unit_id), int(item))).fetchone()
        return code, f"生成 #{item}：{row[0]}" if row else ""
    row = db.execute("SELECT filename FROM uploads WHERE unit_id = ? AND id = ?", (int(unit_id), int(item))).fetchone()
    return code, f"上传 #{item}：{row[0]}" if row else ""


async def _stale(scope, receive, send):
    if wants_page(scope):
        response = Response(f"<!DOCTYPE html><html lang='zh-CN'><meta charset='utf-8'><p>{STALE}</p>"
                            "<p><a href='/'>回到首页</a></p></html>", 403, media_type="text/html")
    else:
        response = JSONResponse({"error": STALE}, 403)
    await response(scope, receive, send)


async def _token(scope, receive):
    """The CSRF token a request carries, and a ``receive`` that hands the app the whole body,
    including what was read here."""
    headers = dict(scope["headers"])
    if b"x-csrf-token" in headers:
        return headers[b"x-csrf-token"].decode("latin-1"), receive
    kind = headers.get(b"content-type", b"").decode("latin-1")
    if kind.startswith("application/x-www-form-urlencoded"):
        messages, body = await _read(receive, _FORM_LIMIT, lambda b: False)
        return parse_qs(body.decode("utf-8", "replace")).get("csrf", [None])[0], _replay(messages, receive)
    match = re.search(r'boundary="?([^";]+)"?', kind)
    if kind.startswith("multipart/form-data") and match:
        boundary = b"--" + match.group(1).encode("latin-1")
        messages, body = await _read(receive, _FIRST_PART_LIMIT, lambda b: b.count(boundary) >= 2)
        return _first_part(body, boundary), _replay(messages, receive)
    return None, receive


async def _read(receive, limit: int, enough):
    """Messages of the body until ``enough(body)`` or its end, or ``limit`` bytes."""
    messages, body = [], b""
    while len(body) <= limit:
        message = await receive()
        messages.append(message)
        body += message.get("body", b"")
        if message["type"] != "http.request" or not message.get("more_body") or enough(body):
            break
    return messages, body


def _replay(messages: list, receive):
    async def replayed():
        return messages.pop(0) if messages else await receive()
    return replayed


def _first_part(body: bytes, boundary: bytes) -> str | None:
    """The value of the multipart body's first part when that part is the field ``csrf``."""
    parts = body.split(boundary)
    if len(parts) < 3:
        return None
    head, _, value = parts[1].partition(b"\r\n\r\n")
    if not re.search(rb'\bname="csrf"', head):
        return None
    return value.removesuffix(b"\r\n").decode("latin-1")
