"""The bureau's server: the clerk's page (:mod:`generator.web`) for each unit behind accounts, and
the bureau's own pages — every unit's status, the list of units, passwords, exports, the journal.

:func:`create_bureau_app` is ``create_app`` of the clerk's page with :class:`BureauAccess` as its
access policy (a unit account reaches its own unit only; any other unit id is 404, as for one that
does not exist), these routes in front, and :class:`~generator.bureau.gate.Gate` around it all.
"""

from __future__ import annotations

import base64
import io
import json
import secrets
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import quote, urlencode

import anyio
import jinja2
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from .. import auditlog
from ..errors import DiscloseError
from ..findings import Finding
from ..catalog import DEFAULT, load_format
from ..web import create_app
from ..web.app import HERE as WEB, when
from ..web.store import DONE, FAILED, INTERRUPTED, QUEUED, RUNNING, Store, Unit
from . import accounts, create_tables, journal, overview
from .gate import COOKIE, LOGIN_COOKIE, Gate, Sessions, clear_cookie, client_of, cookie_name, set_cookie
from .unitlist import UnitEntry, blank_list, read_units

HERE = Path(__file__).resolve().parent
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_LIST = 5 * 2**20  # a list of a few hundred units is a few dozen KB


HASHING_AT_ONCE = 2  # logins and password changes hashing at once (19 MiB each); the rest wait


def connector(store: Store):
    def connect(timeout: float = 30) -> sqlite3.Connection:
        db = sqlite3.connect(store.db, timeout=timeout)
        db.execute("PRAGMA foreign_keys = ON")
        return db
    return connect


class BureauAccess:
    """The access policy of the bureau's server: the bureau reaches every unit, a unit account its
    own unit only."""

    def __init__(self, store: Store):
        self.store = store
        self.connect = connector(store)

    def home(self, request: Request) -> str:
        account = request.scope["account"]
        if account.role == accounts.BUREAU:
            return "/bureau/"
        unit = self.by_code(account.login)
        if unit is None:
            raise HTTPException(404, "本单位还没有在单位名单中，请联系财政局")
        return str(request.url_for("unit_page", unit=unit.id))

    def unit(self, request: Request, unit_id: int) -> Unit:
        account = request.scope.get("account")
        unit = self.store.unit(unit_id)
        if account is None or unit is None or unit.code is None:
            raise HTTPException(404)
        if account.role != accounts.BUREAU and unit.code != account.login:
            raise HTTPException(404)  # the same answer as for a unit that does not exist
        return unit

    def by_code(self, code: str) -> Unit | None:
        with closing(self.connect()) as db:
            row = db.execute("SELECT id, name, code FROM units WHERE code = ?", (code,)).fetchone()
        return Unit(*row) if row else None


def create_bureau_app(data: Path, *, spec: str = DEFAULT, workers: int | None = None, **options):
    """The bureau's server over the data folder ``data`` (see the module's docstring)."""
    app = create_app(data, spec=spec, workers=workers, access=BureauAccess, hosts=("*",), **options)
    store: Store = app.state.store
    connect = connector(store)
    with closing(connect()) as db:
        create_tables(db)
    app.state.connect = connect
    app.state.hashing = anyio.CapacityLimiter(HASHING_AT_ONCE)
    # Audits are Python holding the GIL: more than one at a time is no faster, and each one more
    # slows every page of the server, the bureau's status page among them.
    app.state.audits = anyio.CapacityLimiter(1)
    app.state.format = load_format(spec)
    env = jinja2.Environment(loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(HERE / "templates"),
                                                         jinja2.FileSystemLoader(WEB / "templates")]),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["when"] = when
    app.state.bureau_templates = Jinja2Templates(env=env)
    app.router.routes[0:0] = ROUTES
    app.state.sessions = Sessions()
    app.add_middleware(Gate, connect=connect, sessions=app.state.sessions)
    return app


def admin_password(data: Path, new: bool = False) -> str | None:
    """Create the bureau's account ``admin`` on the first start, or give it a new password when
    ``new`` (it was forgotten): its first-login password, else None."""
    store = Store(Path(data))
    with closing(connector(store)()) as db:
        create_tables(db)
        made = accounts.ensure_bureau(db)
        if made is None and new:
            made = accounts.reset_password(db, accounts.BUREAU_LOGIN)
            journal.record(db, "", "重置密码", "admin（在服务器上用 --new-admin-password）")
        return made


# ---- helpers --------------------------------------------------------------------------------

def _page(request: Request, name: str, status: int = 200, **context) -> Response:
    context.setdefault("error", "")
    response = request.app.state.bureau_templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _bureau(request: Request) -> accounts.Account:
    account = request.scope["account"]
    if account.role != accounts.BUREAU:
        raise HTTPException(404)
    return account


async def _db(request: Request, fn, *args, limiter=None):
    """``fn(db, *args)`` in a worker thread, with a connection of its own."""
    def run():
        with closing(request.app.state.connect()) as db:
            return fn(db, *args)
    return await anyio.to_thread.run_sync(run, limiter=limiter)


def _record(db, request: Request, action: str, detail: str = "", unit: str = "") -> None:
    account = request.scope.get("account")
    journal.record(db, account.login if account else "", action, detail, unit=unit, client=client_of(request.scope))


def _download(data: bytes, name: str, media_type: str) -> Response:
    return Response(data, media_type=media_type,
                    headers={"Content-Disposition": f"attachment; filename*=utf-8''{quote(name)}"})


# ---- login and password -------------------------------------------------------------------------

async def login_page(request: Request) -> Response:
    if request.scope.get("account"):
        return RedirectResponse("/", 303)
    return _login(request)


def _login(request: Request, error: str = "", status: int = 200, login: str = "") -> Response:
    token = request.cookies.get(cookie_name(request.scope, LOGIN_COOKIE)) or secrets.token_urlsafe(32)
    response = _page(request, "login.html", status, login_csrf=token, error=error, login=login,
                     next=_local(request.query_params.get("next", "/")))
    set_cookie(response, request.scope, LOGIN_COOKIE, token)
    return response


def _local(target: str) -> str:
    """Only a path of this site is followed after logging in (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


async def login(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=5)
    login_name, password = str(form.get("login", "")).strip(), str(form.get("password", ""))
    client = client_of(request.scope)

    def check(db):
        try:
            account = accounts.authenticate(db, login_name, password, client)
        except accounts.LoginRefused as exc:
            journal.record(db, login_name[:40], "登录失败", exc.message, client=client)
            return exc
        journal.record(db, account.login, "登录", client=client)
        return account, accounts.start_session(db, account)

    outcome = await _db(request, check, limiter=request.app.state.hashing)
    if isinstance(outcome, accounts.LoginRefused):
        return _login(request, outcome.message, outcome.status, login_name)
    account, token = outcome
    target = "/password" if account.must_change else _local(str(form.get("next", "/")))
    response = RedirectResponse(target, 303)
    set_cookie(response, request.scope, COOKIE, token)
    clear_cookie(response, request.scope, LOGIN_COOKIE)
    return response


async def logout(request: Request) -> Response:
    token = request.cookies.get(cookie_name(request.scope, COOKIE), "")

    def end(db):
        accounts.end_session(db, token)
        _record(db, request, "退出")

    await _db(request, end)
    request.app.state.sessions.clear()
    response = RedirectResponse("/login", 303)
    clear_cookie(response, request.scope, COOKIE)
    return response


async def password_page(request: Request) -> Response:
    return _page(request, "password.html", account=request.scope["account"])


async def change_password(request: Request) -> Response:
    form = await request.form(max_files=0, max_fields=5)
    account = request.scope["account"]
    old, new, again = (str(form.get(k, "")) for k in ("old", "new", "again"))
    if new != again:
        return _page(request, "password.html", 400, account=account, error="两次输入的新密码不一致")
    token = request.cookies.get(cookie_name(request.scope, COOKIE))

    def change(db):
        try:
            accounts.change_password(db, account, old, new, keep=token)
        except accounts.PasswordRejected as exc:
            return exc.message
        _record(db, request, "修改密码", unit=account.unit or "")
        return None

    problem = await _db(request, change, limiter=request.app.state.hashing)
    request.app.state.sessions.clear()  # the account's other sessions ended
    if problem:
        return _page(request, "password.html", 400, account=account, error=problem)
    return RedirectResponse("/", 303)


# ---- the bureau's overview -------------------------------------------------------------------

def unit_rows(db: sqlite3.Connection, root: Path) -> list[tuple[int, overview.UnitRow]]:
    """(unit id, row) of every unit of the list, with the status of its latest upload. A few
    queries for all units together: the page stays quick with hundreds of them."""
    queue = [b for (b,) in db.execute("SELECT id FROM builds WHERE status = ? ORDER BY id", (QUEUED,))]
    pending = {unit: (status, build) for unit, status, build in db.execute(
        "SELECT unit_id, status, id FROM builds WHERE status IN (?, ?) ORDER BY id", (QUEUED, RUNNING))}
    # the last build of each unit's latest upload, when it did not finish
    stopped = {unit: status for unit, status in db.execute(
        "SELECT b.unit_id, b.status FROM builds b WHERE b.id = (SELECT max(id) FROM builds WHERE unit_id = b.unit_id)"
        " AND b.upload_id = (SELECT max(id) FROM uploads WHERE unit_id = b.unit_id) AND b.status IN (?, ?)",
        (FAILED, INTERRUPTED))}
    rows = db.execute(
        "SELECT u.id, u.code, u.name, coalesce(a.contact, ''), up.id, up.uploaded, up.year, up.errors, up.warnings,"
        " up.findings, b.folder, b.report, b.pdf_file FROM units u"
        " LEFT JOIN account a ON a.login = u.code AND a.role = 'unit'"
        " LEFT JOIN uploads up ON up.id = (SELECT max(id) FROM uploads WHERE unit_id = u.id)"
        " LEFT JOIN builds b ON b.id = (SELECT max(id) FROM builds WHERE upload_id = up.id AND status = ? AND draft = 0)"
        " WHERE u.code IS NOT NULL", (DONE,))
    result = []
    for (unit_id, code, name, contact, upload, uploaded, year, errors, warnings, findings,
         folder, report, pdf) in rows:
        progress = ""
        if unit_id in pending:
            status, build = pending[unit_id]
            progress = "正在生成" if status == RUNNING else f"排队第 {queue.index(build) + 1} 位"
        elif unit_id in stopped:
            progress = "上次生成未完成" if stopped[unit_id] == INTERRUPTED else "上次生成失败"
        found = tuple(Finding(f["severity"], f["rule"], f["message"], tuple(f["cells"]))
                      for section in json.loads(findings or "[]") for f in section["findings"])
        files = tuple(root / folder / f for f in (report, pdf) if folder and f)
        result.append((unit_id, overview.UnitRow(
            code, name, contact, overview.status(upload is not None, errors or 0, warnings or 0, bool(report), bool(pdf)),
            errors, warnings, when(uploaded), year, progress, files, found)))
    return result


def _some(names: list[str], shown: int = 5) -> str:
    """The first few names, and how many in all when there are more."""
    text = "、".join(names[:shown])
    return f"{text} 等 {len(names)} 个单位" if len(names) > shown else text


def _filters(request: Request) -> dict:
    params = request.query_params
    return {"sort": params.get("sort", "code"), "descending": params.get("desc") == "1",
            "only": params.get("status", ""), "text": params.get("q", "")}


async def bureau_page(request: Request) -> Response:
    _bureau(request)
    every = await _db(request, unit_rows, request.app.state.store.root)
    filters = _filters(request)
    ids = {row.code: unit_id for unit_id, row in every}
    rows = overview.table((row for _, row in every), **filters)
    fmt = request.app.state.format
    names = {row.code: row.name for _, row in every}
    failing = [(f, auditlog.title(f.rule, fmt), _some([names[code] for code in f.units]))
               for f in overview.most_failed(row for _, row in every)]
    query = {k: v for k, v in request.query_params.items() if k in ("status", "q")}

    def sort_link(column: str) -> str:
        desc = "1" if filters["sort"] == column and not filters["descending"] else "0"
        return "?" + urlencode({**query, "sort": column, "desc": desc})

    return _page(request, "bureau.html", rows=rows, ids=ids, counts=overview.counts(row for _, row in every),
                 total=len(every), failing=failing, filters=filters, statuses=overview.STATUSES,
                 columns=overview.COLUMNS, sort_link=sort_link, export="?" + urlencode(request.query_params),
                 finished=sum(1 for _, row in every if row.reports), queued=request.app.state.workers)


async def bureau_api(request: Request) -> Response:
    """The status table as JSON, with the same query parameters as the page."""
    _bureau(request)
    every = await _db(request, unit_rows, request.app.state.store.root)
    rows = overview.table((row for _, row in every), **_filters(request))
    ids = {row.code: unit_id for unit_id, row in every}
    return JSONResponse([{"id": ids[r.code], "code": r.code, "name": r.name, "contact": r.contact,
                          "status": r.status, "errors": r.errors, "warnings": r.warnings, "uploaded": r.uploaded,
                          "year": r.year, "progress": r.progress, "page": f"/units/{ids[r.code]}/"} for r in rows])


async def status_xlsx(request: Request) -> Response:
    _bureau(request)
    every = await _db(request, unit_rows, request.app.state.store.root)
    rows = overview.table((row for _, row in every), **_filters(request))
    await _db(request, _record, request, "导出进度表", f"{len(rows)} 个单位")
    return _download(overview.status_workbook(rows), "各单位决算公开进度.xlsx", XLSX)


async def reports_zip(request: Request) -> Response:
    """Every unit's finished report (.docx and .pdf of its latest upload's latest final build)."""
    _bureau(request)
    every = await _db(request, unit_rows, request.app.state.store.root)
    finished = [row for _, row in every if row.reports]
    if not finished:
        raise HTTPException(404, "还没有单位生成正式报告")
    work = request.app.state.store.scratch()
    target = work / "全部报告.zip"
    count = await anyio.to_thread.run_sync(overview.write_reports_zip, finished, target)
    await _db(request, _record, request, "下载全部报告", f"{len(finished)} 个单位、{count} 个文件")
    return FileResponse(target, filename="各单位决算公开报告.zip", media_type="application/zip",
                        background=BackgroundTask(shutil.rmtree, work, ignore_errors=True))


async def journal_page(request: Request) -> Response:
    _bureau(request)
    unit = request.query_params.get("unit")
    entries = await _db(request, lambda db: journal.recent(db, 500, unit))
    return _page(request, "journal.html", entries=entries, unit=unit or "")


# ---- the list of units and passwords ----------------------------------------------------------

async def units_page(request: Request) -> Response:
    _bureau(request)
    units = await _db(request, accounts.units)
    return _page(request, "units.html", units=units)


async def blank_units(request: Request) -> Response:
    _bureau(request)
    return _download(blank_list(), "单位名单.xlsx", XLSX)


def register(db: sqlite3.Connection, entries: list[UnitEntry]) -> list[tuple[UnitEntry, str | None]]:
    """Each listed unit in the units table and with an account; its first-login password (None
    for a unit listed before, whose password is kept)."""
    made = []
    for entry in entries:
        with db:
            if db.execute("SELECT 1 FROM units WHERE code = ?", (entry.code,)).fetchone():
                db.execute("UPDATE units SET name = ? WHERE code = ?", (entry.name, entry.code))
            else:
                db.execute("INSERT INTO units (name, code, created) VALUES (?, ?, datetime('now'))",
                           (entry.name, entry.code))
        made.append((entry, accounts.add_unit(db, entry.code, entry.name, entry.contact)))
    return made


async def import_units(request: Request) -> Response:
    """Import the list of units (multipart field ``units``): the accounts made, with their
    first-login passwords, are shown once."""
    _bureau(request)
    form = await request.form(max_files=1, max_fields=3, max_part_size=MAX_LIST)
    try:
        file = form.get("units")
        if not isinstance(file, UploadFile) or not file.filename:
            return await _units_error(request, "请选择单位名单（Excel 工作簿）")
        work = request.app.state.store.scratch()
        try:
            path = work / "units.xlsx"
            path.write_bytes(await file.read(MAX_LIST + 1))
            if path.stat().st_size > MAX_LIST:
                return await _units_error(request, "单位名单超过 5 MB，不像单位名单，未导入")
            try:
                entries = await anyio.to_thread.run_sync(read_units, str(path))
            except DiscloseError as exc:
                return await _units_error(request, exc.message.replace(str(path), file.filename))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    finally:
        await form.close()

    def run(db):
        made = register(db, entries)
        fresh = sum(1 for _, p in made if p)
        _record(db, request, "导入单位名单", f"{len(made)} 个单位，新建账号 {fresh} 个")
        return made

    made = await _db(request, run, limiter=request.app.state.hashing)
    fresh = [(entry, password) for entry, password in made if password]
    return _passwords(request, fresh, f"已导入 {len(made)} 个单位，新建账号 {len(fresh)} 个"
                      + (f"，{len(made) - len(fresh)} 个单位原已有账号（密码未变）" if len(made) > len(fresh) else ""))


async def _units_error(request: Request, message: str) -> Response:
    units = await _db(request, accounts.units)
    return _page(request, "units.html", 400, units=units, error=message)


def _passwords(request: Request, made: list[tuple[UnitEntry, str]], heading: str) -> Response:
    """The first-login passwords, shown this once (only their hashes are kept), with a workbook
    of them to print or hand out."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "登录账号"
    sheet.append(["单位名称", "单位编码（登录名）", "初始密码", "联系方式"])
    for entry, password in made:
        sheet.append([entry.name, entry.code, password, entry.contact])
    buffer = io.BytesIO()
    book.save(buffer)
    link = f"data:{XLSX};base64,{base64.b64encode(buffer.getvalue()).decode()}"
    return _page(request, "passwords.html", made=made, heading=heading, workbook=link)


async def reset_password(request: Request) -> Response:
    _bureau(request)
    code = request.path_params["code"]

    def reset(db):
        account = accounts.get(db, code)
        if account is None or account.role != accounts.UNIT:
            return None
        password = accounts.reset_password(db, code)
        _record(db, request, "重置密码", unit=code)
        return UnitEntry(account.name, account.login, account.contact), password

    made = await _db(request, reset, limiter=request.app.state.hashing)
    request.app.state.sessions.clear()  # the unit's sessions ended
    if made is None:
        raise HTTPException(404)
    return _passwords(request, [made], f"已为“{made[0].name}”重置密码")


ROUTES = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/password", password_page, methods=["GET"]),
    Route("/password", change_password, methods=["POST"]),
    Route("/bureau/", bureau_page, name="bureau_page"),
    Route("/bureau/units", units_page, methods=["GET"], name="units_page"),
    Route("/bureau/units", import_units, methods=["POST"], name="import_units"),
    Route("/bureau/units/blank.xlsx", blank_units, name="blank_units"),
    Route("/bureau/units/{code:str}/password", reset_password, methods=["POST"], name="reset_password"),
    Route("/bureau/status.xlsx", status_xlsx, name="status_xlsx"),
    Route("/bureau/reports.zip", reports_zip, name="reports_zip"),
    Route("/bureau/journal", journal_page, name="journal_page"),
    Route("/api/bureau/units", bureau_api, name="bureau_api"),
]
