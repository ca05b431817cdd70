"""``disclose serve``: the clerk's page and its JSON API (docs/api.md), built by :func:`create_app`.

Every page and API route of a unit's data is under ``/units/{unit}/`` or ``/api/units/{unit}/``
and finds the unit through ``app.state.access.unit(request, unit_id)``: the local server's
:class:`LocalAccess` has one implicit unit and no login; a server with accounts hands in its
own access policy, which refuses a unit the request may not see (404, as for a unit that does
not exist). Each route then asks the store for that unit's rows only.

Routes that only read the store are plain functions, which Starlette runs in its thread pool, so
that no SQLite call holds up the event loop. The page works without JavaScript (plain forms that redirect back); with it, uploads and builds
go through the JSON API and the page shows the progress of a build.
"""

from __future__ import annotations

import shutil
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from pathlib import Path, PureWindowsPath

import anyio
import jinja2
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ..changes import described
from ..errors import DiscloseError
from ..files import digest, safe_stem, work_folder
from ..catalog import DEFAULT, load_format
from ..loader import WORKBOOK_SUFFIXES
from .guard import LOOPBACK, Guard, TooLarge
from .store import DONE, FAILED, INTERRUPTED, QUEUED, RUNNING, Build, Store, Unit, Upload
from .work import Workers, audit_file, shown, workers_default

HERE = Path(__file__).resolve().parent
MAX_UPLOAD = 20 * 2**20  # a 决算 workbook is well under 5 MB; the loader's own limits still apply
AUDITS_AT_ONCE = 4  # uploads audited in parallel (threads); the rest wait their turn
STATUS = {QUEUED: "排队中", RUNNING: "正在生成", DONE: "已生成", FAILED: "未能生成", INTERRUPTED: "未完成"}
FILES = {"report": "report", "pdf": "pdf_file", "review": "review_file", "audit": "audit_file"}


class LocalAccess:
    """The clerk's own server on loopback: one unit, created at the first start, and no login."""

    def __init__(self, store: Store):
        units = store.units()
        self.only = units[0] if units else store.add_unit()

    def home(self, request: Request) -> str:
        return str(request.url_for("unit_page", unit=self.only.id))

    def unit(self, request: Request, unit_id: int) -> Unit:
        if unit_id != self.only.id:
            raise HTTPException(404)
        return self.only


def create_app(data: Path, *, spec: str = DEFAULT, workers: int | None = None, max_upload: int = MAX_UPLOAD,
               access=LocalAccess, hosts=LOOPBACK) -> Starlette:
    """The web application over the data folder ``data``. ``workers`` builds run at once (the
    rest queue); ``access`` makes the policy that decides which unit a request may reach, from
    the store; ``hosts`` are the host names the server answers to (DNS rebinding)."""
    load_format(spec)  # a wrong format is said at start, not at the first upload
    store = Store(Path(data))
    pool = Workers(store, workers or workers_default(), spec)

    @asynccontextmanager
    async def lifespan(app):
        shutil.rmtree(store.root / "tmp", ignore_errors=True)  # uploads a stopped server was receiving
        await pool.start()
        try:
            yield
        finally:
            await pool.stop()

    routes = [
        Route("/", home),
        Route("/units/{unit:int}/", unit_page, name="unit_page"),
        Route("/units/{unit:int}/uploads/{upload:int}", upload_page, name="upload_page"),
        Route("/api/workbooks/blank", blank_workbook, name="blank_workbook"),
        Route("/api/units/{unit:int}", unit_api, name="unit_api"),
        Route("/api/units/{unit:int}/uploads", uploads_api, name="uploads", methods=["GET"]),
        Route("/api/units/{unit:int}/uploads", upload_create, name="upload_create", methods=["POST"]),
        Route("/api/units/{unit:int}/uploads/{upload:int}", upload_api, name="upload_api"),
        Route("/api/units/{unit:int}/uploads/{upload:int}/workbook", upload_file, name="upload_file"),
        Route("/api/units/{unit:int}/uploads/{upload:int}/next-year", next_year, name="next_year"),
        Route("/api/units/{unit:int}/uploads/{upload:int}/builds", build_create, name="build_create",
              methods=["POST"]),
        Route("/api/units/{unit:int}/builds", builds_api, name="builds"),
        Route("/api/units/{unit:int}/builds/{build:int}", build_api, name="build_api"),
        Route("/api/units/{unit:int}/builds/{build:int}/{kind:str}", build_file, name="build_file"),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: http_error,
                                                                          Exception: server_error})
    app.add_middleware(Guard, hosts=hosts, max_body=max_upload, too_large=too_large(max_upload // 2**20))
    app.state.store = store
    app.state.workers = pool
    app.state.spec = spec
    app.state.access = access(store)
    app.state.max_upload = max_upload
    app.state.audits = anyio.CapacityLimiter(AUDITS_AT_ONCE)
    from ..pdf import find_soffice
    app.state.soffice = find_soffice() is not None
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["when"] = when
    app.state.templates = Jinja2Templates(env=env)
    return app


# ---- helpers --------------------------------------------------------------------------------

def when(stamp: str | None) -> str:
    """A stored UTC time as the clerk's local time."""
    if not stamp:
        return ""
    return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def wants_json(request: Request) -> bool:
    """The page's scripts and API clients ask for JSON; a plain form post gets a page back."""
    accept = request.headers.get("accept", "")
    return "application/json" in accept or "text/html" not in accept


def _unit(request: Request) -> Unit:
    return request.app.state.access.unit(request, request.path_params["unit"])


def _upload(request: Request, unit: Unit) -> Upload:
    upload = request.app.state.store.upload(unit, request.path_params["upload"])
    if upload is None:
        raise HTTPException(404)
    return upload


def _build(request: Request, unit: Unit) -> Build:
    build = request.app.state.store.build(unit, request.path_params["build"])
    if build is None:
        raise HTTPException(404)
    return build


def refused(request: Request, status: int, message: str) -> Response:
    """One Chinese message: JSON for the API, the page (with the message on top) for a form post."""
    if wants_json(request) or "unit" not in request.path_params:
        return JSONResponse({"error": message}, status_code=status)
    return render(request, _unit(request), None, error=message, status=status)


def display_name(filename: str) -> str:
    """The name of an uploaded file as the clerk's computer had it: the last part of whatever path
    the browser sent, without control characters, at most 200 characters. Only ever shown (escaped)."""
    name = PureWindowsPath(filename.replace("/", "\\")).name
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:200] or "工作簿"


def stored_name(name: str) -> str:
    """The file name the upload is kept under: safe on every file system, with its suffix when it
    is a workbook's (the loader tells formats apart by content, not by name)."""
    path = Path(name)
    suffix = path.suffix.lower() if path.suffix.lower() in WORKBOOK_SUFFIXES else ""
    return safe_stem(path.stem if suffix else name) + suffix


# ---- JSON -----------------------------------------------------------------------------------

def upload_json(request: Request, unit: Unit, upload: Upload, *, findings: bool = False) -> dict:
    data = {
        "id": upload.id, "filename": upload.filename, "size": upload.size, "sha256": upload.sha256,
        "uploaded": upload.uploaded, "unit_name": upload.unit_name, "year": upload.year,
        "errors": upload.errors, "warnings": upload.warnings,
        "url": str(request.url_for("upload_api", unit=unit.id, upload=upload.id)),
        "page": str(request.url_for("upload_page", unit=unit.id, upload=upload.id)),
        "workbook": str(request.url_for("upload_file", unit=unit.id, upload=upload.id)),
        "next_year": str(request.url_for("next_year", unit=unit.id, upload=upload.id)),
        "builds": str(request.url_for("build_create", unit=unit.id, upload=upload.id)),
    }
    if findings:
        data["sections"] = upload.sections
    return data


def build_json(request: Request, unit: Unit, build: Build) -> dict:
    store = request.app.state.store
    files = {}
    if build.status == DONE:
        files = {kind: {"name": getattr(build, column),
                        "url": str(request.url_for("build_file", unit=unit.id, build=build.id, kind=kind))}
                 for kind, column in FILES.items() if getattr(build, column)}
    elapsed = None
    if build.status == RUNNING and build.started:
        elapsed = (datetime.now(timezone.utc) - datetime.fromisoformat(build.started)).total_seconds()
    changed = build.changed
    return {
        "id": build.id, "upload": build.upload_id, "pdf": bool(build.pdf), "draft": bool(build.draft),
        "review": bool(build.review),
        "status": build.status, "status_text": STATUS[build.status],
        "created": build.created, "started": build.started, "finished": build.finished,
        "place_in_queue": store.place_in_queue(build), "elapsed": elapsed,
        "typical_seconds": store.typical_seconds(bool(build.pdf)),
        "files": files, "note": build.note, "message": build.message,
        "changes": None if changed is None else {"figures": changed[0], "sentences": changed[1]},
        "url": str(request.url_for("build_api", unit=unit.id, build=build.id)),
        "page": str(request.url_for("upload_page", unit=unit.id, upload=build.upload_id)),
    }


# ---- pages ----------------------------------------------------------------------------------

async def home(request: Request) -> Response:
    return RedirectResponse(request.app.state.access.home(request), status_code=303)


def render(request: Request, unit: Unit, upload: Upload | None, *, error: str = "", status: int = 200) -> Response:
    store = request.app.state.store
    upload = upload or store.latest_upload(unit)
    uploads = store.uploads(unit)
    builds = store.builds(unit)
    current = [b for b in builds if upload and b.upload_id == upload.id]
    latest = current[0] if current else None
    pending = next((b for b in current if b.status in (QUEUED, RUNNING)), None)
    changed = latest.changed if latest and latest.status == DONE else None
    context = {
        "unit": unit, "upload": upload, "uploads": uploads, "builds": builds, "build": latest,
        "pending": pending and build_json(request, unit, pending), "status": STATUS,
        "changes": None if changed is None else described(*changed),
        "names": {u.id: f"{u.filename}（{when(u.uploaded)} 上传）" for u in uploads},
        "unit_label": upload.unit_name if upload else (unit.name or "本单位"),
        "soffice": request.app.state.soffice, "max_mb": request.app.state.max_upload // 2**20,
        "error": error, "data_folder": str(store.root), "files": FILES,
    }
    response = request.app.state.templates.TemplateResponse(request, "page.html", context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def unit_page(request: Request) -> Response:
    return render(request, _unit(request), None)


def upload_page(request: Request) -> Response:
    unit = _unit(request)
    return render(request, unit, _upload(request, unit))


# ---- API ------------------------------------------------------------------------------------

def unit_api(request: Request) -> Response:
    unit = _unit(request)
    latest = request.app.state.store.latest_upload(unit)
    return JSONResponse({
        "id": unit.id, "name": unit.name, "code": unit.code, "pdf_available": request.app.state.soffice,
        "max_upload": request.app.state.max_upload,
        "latest_upload": latest and upload_json(request, unit, latest),
        "uploads": str(request.url_for("uploads", unit=unit.id)),
        "builds": str(request.url_for("builds", unit=unit.id)),
        "blank_workbook": str(request.url_for("blank_workbook")),
    })


def uploads_api(request: Request) -> Response:
    unit = _unit(request)
    return JSONResponse([upload_json(request, unit, u) for u in request.app.state.store.uploads(unit)])


def upload_api(request: Request) -> Response:
    unit = _unit(request)
    return JSONResponse(upload_json(request, unit, _upload(request, unit), findings=True))


async def upload_create(request: Request) -> Response:
    """Receive a workbook (multipart field ``workbook``), audit it as ``disclose check`` does and
    keep it with its findings. A file that cannot be read is refused with the loader's message
    and not kept."""
    unit = _unit(request)
    store: Store = request.app.state.store
    limit_mb = request.app.state.max_upload // 2**20
    try:
        form = await request.form(max_files=1, max_fields=4)
    except TooLarge:
        return refused(request, 413, too_large(limit_mb))
    except MultiPartException:
        return refused(request, 400, "上传的内容不完整或格式不对，请重新选择工作簿上传")
    try:
        file = form.get("workbook")
        if not isinstance(file, UploadFile) or not file.filename:
            return refused(request, 400, "请选择要上传的工作簿（.xlsx、.xlsm、.xls、.ods）")
        name = display_name(file.filename)
        work = store.scratch()
        try:
            path = work / stored_name(name)
            size = await anyio.to_thread.run_sync(_save, file, path)
            if size == 0:
                return refused(request, 400, f"{name}：文件是空的，请重新选择工作簿")
            try:
                async with request.app.state.audits:
                    audited = await anyio.to_thread.run_sync(audit_file, path, request.app.state.spec)
            except DiscloseError as exc:
                return refused(request, 400, shown(exc.message, path, name))
            sha = await anyio.to_thread.run_sync(digest, path)
            upload = await anyio.to_thread.run_sync(
                lambda: store.add_upload(unit, name, path, path.name, size, sha, audited.unit_name, audited.year,
                                         audited.errors, audited.warnings, audited.sections))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    finally:
        await form.close()
    if wants_json(request):
        return JSONResponse(upload_json(request, unit, upload, findings=True), status_code=201)
    return RedirectResponse(str(request.url_for("upload_page", unit=unit.id, upload=upload.id)), status_code=303)


def too_large(limit_mb: int) -> str:
    return (f"文件超过 {limit_mb} MB，不像决算工作簿，未接收。请确认选择的是本单位的决算工作簿"
            "（.xlsx、.xlsm、.xls、.ods）")


def _save(file: UploadFile, path: Path) -> int:
    file.file.seek(0)
    with open(path, "wb") as out:
        shutil.copyfileobj(file.file, out, 1 << 20)
    return path.stat().st_size


def upload_file(request: Request) -> Response:
    unit = _unit(request)
    upload = _upload(request, unit)
    return FileResponse(request.app.state.store.path(upload.stored), filename=upload.filename,
                        media_type="application/octet-stream")


async def next_year(request: Request) -> Response:
    """Next year's workbook from this upload (``disclose init --from``)."""
    unit = _unit(request)
    upload = _upload(request, unit)
    path = request.app.state.store.path(upload.stored)

    def make() -> tuple[bytes, str]:
        from ..carryover import next_year as source_of
        return _new_workbook(*source_of(str(path), load_format(request.app.state.spec)),
                             request.app.state.spec)

    try:
        data, name = await anyio.to_thread.run_sync(make)
    except DiscloseError as exc:
        return refused(request, 400, shown(exc.message, path, upload.filename))
    return _download(data, name, XLSX)


async def blank_workbook(request: Request) -> Response:
    """The blank standard workbook (``disclose init``)."""
    from ..carryover import BLANK_NAME

    data, name = await anyio.to_thread.run_sync(_new_workbook, {}, BLANK_NAME, request.app.state.spec)
    return _download(data, name, XLSX)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _new_workbook(source: dict, name: str, spec: str) -> tuple[bytes, str]:
    from ..template_workbook import write_new_workbook

    with work_folder() as folder:
        path = folder / "workbook.xlsx"
        write_new_workbook(source, path, load_format(spec))
        return path.read_bytes(), name


def _download(data: bytes, name: str, media_type: str) -> Response:
    from urllib.parse import quote

    return Response(data, media_type=media_type, headers={
        "Content-Disposition": f"attachment; filename*=utf-8''{quote(name)}"})


async def _options(request: Request) -> dict:
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            options = await request.json()
        except ValueError:
            raise HTTPException(400, "请求的内容不是有效的 JSON") from None
        if not isinstance(options, dict):
            raise HTTPException(400, "请求的内容应为 JSON 对象，例如 {\"pdf\": true}")
        return options
    form = await request.form(max_files=0, max_fields=4)
    return {key: form.get(key) not in (None, "", "0", "false") for key in ("pdf", "draft", "review")}


async def build_create(request: Request) -> Response:
    """Queue a build of this upload: ``{"pdf": bool, "draft": bool, "review": bool}``. A workbook
    with 错误 is built only as a 草稿, and only when ``draft`` asks for it; ``review`` asks for the
    审阅稿 instead (every finding a Word comment), whatever the audit found."""
    unit = _unit(request)
    upload = _upload(request, unit)
    options = await _options(request)
    pdf, draft, review = bool(options.get("pdf")), bool(options.get("draft")), bool(options.get("review"))
    if review:
        pdf = draft = False
    elif upload.errors and not draft:
        return refused(request, 409, f"这份工作簿有 {upload.errors} 个错误，不能生成正式报告：请改正后重新上传；"
                                     "只想先看看效果时，可以生成草稿")
    if pdf and not request.app.state.soffice:
        return refused(request, 409, "本机未安装 LibreOffice，不能生成 PDF：请安装 LibreOffice 后重新启动，"
                                     "或在 Word/WPS 中把报告“另存为 PDF”")
    build = await anyio.to_thread.run_sync(request.app.state.store.add_build, unit, upload, pdf,
                                           bool(upload.errors) and not review, review)
    request.app.state.workers.submit(build)
    if wants_json(request):
        return JSONResponse(build_json(request, unit, build), status_code=202)
    return RedirectResponse(str(request.url_for("upload_page", unit=unit.id, upload=upload.id)), status_code=303)


def builds_api(request: Request) -> Response:
    unit = _unit(request)
    return JSONResponse([build_json(request, unit, b) for b in request.app.state.store.builds(unit)])


def build_api(request: Request) -> Response:
    unit = _unit(request)
    return JSONResponse(build_json(request, unit, _build(request, unit)))


def build_file(request: Request) -> Response:
    """A file of a finished build: ``report`` (.docx), ``pdf``, ``review`` (the 审阅稿) or ``audit``
    (the 审核报告, shown in the browser)."""
    unit = _unit(request)
    build = _build(request, unit)
    column = FILES.get(request.path_params["kind"])
    name = column and build.status == DONE and getattr(build, column)
    if not name:
        raise HTTPException(404)
    path = request.app.state.store.path(build.folder) / name
    if column == "audit_file":  # our own escaped page: shown, with nothing allowed to run
        return FileResponse(path, media_type="text/html; charset=utf-8", filename=name,
                            content_disposition_type="inline",
                            headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})
    return FileResponse(path, filename=name, media_type="application/octet-stream")


# ---- errors ---------------------------------------------------------------------------------

MESSAGES = {404: "没有找到这一项（可能已被删除，或链接有误）", 405: "不支持这种请求方式"}


async def http_error(request: Request, exc: HTTPException) -> Response:
    message = exc.detail if exc.detail and exc.detail != _reason(exc.status_code) else \
        MESSAGES.get(exc.status_code, f"请求未能完成（{exc.status_code}）")
    if wants_json(request):
        return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)
    return request.app.state.templates.TemplateResponse(request, "error.html", {"error": message},
                                                        status_code=exc.status_code, headers=exc.headers)


def _reason(status: int) -> str:
    from http import HTTPStatus
    return HTTPStatus(status).phrase


async def server_error(request: Request, exc: Exception) -> Response:
    message = "服务器内部错误，本次操作未完成；请重试，仍不行请联系技术支持"
    if wants_json(request):
        return JSONResponse({"error": message}, status_code=500)
    return request.app.state.templates.TemplateResponse(request, "error.html", {"error": message}, status_code=500)
