"""`disclose serve` at the HTTP level (Starlette's test client): every action of the clerk's page
and of its JSON API, untrusted uploads, and a restart that loses nothing."""

import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from starlette.testclient import TestClient

from conftest import JINCHENG, SHANXI, XINZHOU, docx_lines, finished, save_as, set_cells, start_serve, upload
from generator.cli import main
from generator.web import create_app
from generator.web.store import RUNNING, Store

REPORT = "晋城市人力资源和社会保障局2022年度单位决算公开.docx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def serve(data: Path, **options) -> TestClient:
    return TestClient(create_app(data, workers=1, **options), base_url="http://127.0.0.1")


@pytest.fixture
def client(tmp_path):
    with serve(tmp_path / "data") as c:
        yield c


def upload_bytes(client, data: bytes, name: str):
    return client.post("/api/units/1/uploads", files={"workbook": (name, io.BytesIO(data))},
                       headers={"Accept": "application/json"})


def build(client, uploaded: dict, **options) -> dict:
    response = client.post(uploaded["builds"], json=options)
    assert response.status_code == 202, response.text
    return finished(client, response.json())


def findings(uploaded: dict) -> list[dict]:
    return [f for section in uploaded["sections"] for f in section["findings"]]


def refuses_then_serves(client, response, status: int, says: str) -> None:
    """One Chinese message, nothing kept, and the server answers the next request."""
    assert response.status_code == status, response.text
    assert says in response.json()["error"]
    assert client.get("/api/units/1/uploads").json() == []
    assert upload(client, XINZHOU).status_code == 201


# ---- the page ---------------------------------------------------------------------------------

def test_home_opens_the_clerks_page_in_chinese(client):
    page = client.get("/")
    assert page.status_code == 200 and page.url.path == "/units/1/"
    assert '<html lang="zh-CN">' in page.text
    assert "把工作簿拖到这里" in page.text and "下载空白的标准工作簿" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert client.get("/static/page.js").status_code == 200


def test_upload_shows_the_audit_at_once_as_check_does(client, runner):
    response = upload(client, JINCHENG)
    assert response.status_code == 201
    uploaded = response.json()
    assert (uploaded["errors"], uploaded["warnings"]) == (0, 2)
    assert (uploaded["unit_name"], uploaded["year"]) == ("晋城市人力资源和社会保障局", 2022)
    checked = json.loads(runner.invoke(main, ["check", str(JINCHENG), "--format", "json"]).output)
    assert findings(uploaded) == [{k: v for k, v in f.items() if k != "cause"} for f in checked["findings"]]
    page = client.get(uploaded["page"]).text
    assert "2 个警告" in page and "没有错误" in page
    assert "自评项目个数或涉及资金与自评表不一致" in page and "情况说明!B54" in page
    assert "生成报告（Word）" in page and "生成草稿" not in page


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_xls_and_ods_uploads_are_audited_alike(client, tmp_path, fmt):
    copy = save_as([JINCHENG], fmt, tmp_path)[0]
    uploaded = upload(client, copy).json()
    assert (uploaded["errors"], uploaded["warnings"], uploaded["filename"]) == (0, 2, f"jincheng-2022.{fmt}")
    assert build(client, uploaded)["files"]["report"]["name"] == REPORT


def test_errors_come_grouped_with_the_changed_cell_first(client, workbook_copy):
    path = workbook_copy()
    set_cells(path, {"公开05表!E13": 1884613})
    uploaded = upload(client, path).json()
    assert uploaded["errors"] == 15
    first = uploaded["sections"][0]
    assert first["cause"] == "公开05表!E13" and first["heading"].startswith("最可能需要修改：公开05表!E13")
    assert first["findings"][0]["cells"][0] == "公开05表!E13"
    page = client.get(uploaded["page"]).text
    assert page.index("最可能需要修改：公开05表!E13") < page.index("情况说明!B54")
    assert "15 个错误" in page and "生成草稿（Word）" in page and "生成报告（Word）" not in page
    assert "其余 12 个问题（改正 公开05表!E13 后应一并消失）" in page  # the first three say enough


def test_a_plain_form_upload_without_javascript_redirects_to_its_findings(client):
    with open(JINCHENG, "rb") as fh:
        response = client.post("/api/units/1/uploads", files={"workbook": ("晋城.xlsx", fh)},
                               headers={"Accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].endswith("/units/1/uploads/1")


def test_without_javascript_a_bad_file_comes_back_on_the_page(client):
    response = client.post("/api/units/1/uploads", files={"workbook": ("报表.xlsx", io.BytesIO(b"not a workbook"))},
                           headers={"Accept": "text/html"})
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")
    assert "报表.xlsx：这是文本文件（例如 CSV），不是 Excel 工作簿" in response.text and "把工作簿拖到这里" in response.text


# ---- building ---------------------------------------------------------------------------------

def test_without_javascript_a_build_form_redirects_back(client):
    uploaded = upload(client, JINCHENG).json()
    response = client.post(uploaded["builds"], data={"pdf": "0"}, headers={"Accept": "text/html"},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == uploaded["page"]
    done = finished(client, client.get("/api/units/1/builds").json()[0])
    assert done["status"] == "done" and not done["pdf"]


def test_build_gives_the_same_bytes_as_the_command_line(client, runner, tmp_path):
    uploaded = upload(client, JINCHENG).json()
    done = build(client, uploaded)
    assert done["status"] == "done" and not done["draft"] and done["changes"] is None
    assert done["files"]["report"]["name"] == REPORT
    web = client.get(done["files"]["report"]["url"])
    assert web.status_code == 200
    assert "attachment" in web.headers["content-disposition"]
    assert runner.invoke(main, ["build", str(JINCHENG), "-o", str(tmp_path / "cli")]).exit_code == 0
    assert web.content == (tmp_path / "cli" / REPORT).read_bytes()
    audit = client.get(done["files"]["audit"]["url"])
    assert "审核报告" in audit.text and audit.headers["content-security-policy"].startswith("default-src 'none'")
    page = client.get(uploaded["page"]).text
    assert f"下载 {REPORT}" in page and "第一次生成" in page


def test_with_errors_only_a_draft_on_request(client, workbook_copy):
    path = workbook_copy()
    set_cells(path, {"公开05表!E13": 1884613})
    uploaded = upload(client, path).json()
    refused = client.post(uploaded["builds"], json={})
    assert refused.status_code == 409 and "15 个错误" in refused.json()["error"]
    done = build(client, uploaded, draft=True)
    assert done["draft"] and done["files"]["report"]["name"].endswith("（草稿）.docx")
    lines = docx_lines_of(client, done)
    assert any("公开05表!E13" in line for line in lines)


def docx_lines_of(client, done: dict) -> list[str]:
    target = Path(client.app.state.store.root) / "check.docx"
    target.write_bytes(client.get(done["files"]["report"]["url"]).content)
    return docx_lines(target)


def test_a_corrected_upload_lists_what_changed_since_the_last_build(client, workbook_copy):
    build(client, upload(client, JINCHENG).json())
    path = workbook_copy()
    set_cells(path, {"公开05表!E13": 1884613})
    changed = upload(client, path).json()
    done = build(client, changed, draft=True)
    figures, sentences = done["changes"]["figures"], done["changes"]["sentences"]
    assert "公开05表 2080104 综合业务管理“项目支出”：1884513 → 1884613" in figures
    assert any(s.startswith("五（二）：社会保障和就业支出(类)61,443,764.55元") for s in sentences)
    page = client.get(changed["page"]).text
    assert f"与上次生成相比，{len(figures)} 个数字有变化：" in page
    assert "公开05表 2080104 综合业务管理“项目支出”：1884513 → 1884613" in page
    assert f"因此改变的报告文字（{len(sentences)} 段）：" in page
    again = build(client, changed, draft=True)
    assert again["changes"] == {"figures": [], "sentences": []}
    assert "与上次生成相比：数字和文字都没有变化。" in client.get(changed["page"]).text
    other = build(client, upload(client, XINZHOU).json())
    assert other["changes"] is None  # another unit's report: its own first build


def test_review_draft_carries_every_finding_as_a_comment_as_the_cli_writes_it(client, runner, workbook_copy,
                                                                            tmp_path):
    path = workbook_copy()
    set_cells(path, {"公开05表!E13": 1884613})
    uploaded = upload(client, path).json()
    done = build(client, uploaded, review=True)
    assert done["status"] == "done" and done["review"] and set(done["files"]) == {"review", "audit"}
    name = done["files"]["review"]["name"]
    assert name == "晋城市人力资源和社会保障局2022年度单位决算公开（审阅稿）.docx"
    web = client.get(done["files"]["review"]["url"]).content
    result = runner.invoke(main, ["build", str(path), "-o", str(tmp_path / "cli"), "--review", "--strict"])
    assert result.exit_code == 1
    assert web == (tmp_path / "cli" / name).read_bytes()
    with zipfile.ZipFile(io.BytesIO(web)) as docx:
        comments = docx.read("word/comments.xml").decode("utf-8")
    assert comments.count("<w:comment ") == 17  # 15 错误 and 2 警告
    page = client.get(uploaded["page"]).text
    assert "审阅稿已生成" in page and f"下载 {name}" in page and "与上次生成相比" not in page
    clean = build(client, upload(client, JINCHENG).json())
    assert clean["changes"] is None  # a 审阅稿 is no build of the report to compare with


def test_pdf_is_refused_without_libreoffice(client):
    client.app.state.soffice = False
    uploaded = upload(client, JINCHENG).json()
    response = client.post(uploaded["builds"], json={"pdf": True})
    assert response.status_code == 409 and "LibreOffice" in response.json()["error"]
    assert "生成报告和 PDF" not in client.get(uploaded["page"]).text


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_pdf_build_is_the_command_lines_with_progress(client, runner, tmp_path):
    uploaded = upload(client, XINZHOU).json()
    response = client.post(uploaded["builds"], json={"pdf": True})
    queued = response.json()
    assert queued["status"] == "queued" and queued["place_in_queue"] == 1 and queued["pdf"]
    done = finished(client, queued)
    assert done["status"] == "done", done
    pdf = client.get(done["files"]["pdf"]["url"])
    assert pdf.content.startswith(b"%PDF")
    assert runner.invoke(main, ["build", str(XINZHOU), "-o", str(tmp_path), "--pdf"]).exit_code == 0
    assert pdf.content == next(tmp_path.glob("*.pdf")).read_bytes()
    assert client.get(done["url"]).json()["typical_seconds"] > 0


def test_builds_queue_in_order_and_show_their_place(client):
    uploaded = upload(client, JINCHENG).json()
    queued = [client.post(uploaded["builds"], json={}).json() for _ in range(3)]
    assert all(q["status"] == "queued" and 1 <= q["place_in_queue"] <= i + 1 for i, q in enumerate(queued))
    done = [finished(client, q) for q in queued]
    assert all(d["status"] == "done" for d in done)
    assert sorted(done, key=lambda d: d["started"]) == done
    assert [d["id"] for d in client.get("/api/units/1/builds").json()] == [3, 2, 1]


def test_place_in_queue_counts_the_builds_waiting_before(tmp_path):
    store = Store(tmp_path)
    unit = store.add_unit()
    upload_row = store.add_upload(unit, "a.xlsx", _file(tmp_path), "a.xlsx", 1, "0", "单位", 2022, 0, 0, [])
    builds = [store.add_build(unit, upload_row, pdf=False, draft=False) for _ in range(3)]
    assert [store.place_in_queue(b) for b in builds] == [1, 2, 3]
    store.start(builds[0].id)
    assert [store.place_in_queue(store.build(unit, b.id)) for b in builds] == [0, 1, 2]


def test_a_data_folder_of_the_first_version_is_upgraded_in_place(tmp_path):
    import re
    import sqlite3

    from generator.web import store as schema

    first = re.sub(r"(changes TEXT),[^\n]*\n\s*review INTEGER[^\n]*\n\s*review_file TEXT", r"\1", schema.SCHEMA)
    assert "review" not in first
    db = sqlite3.connect(tmp_path / "disclose.sqlite3", isolation_level=None)  # as version 1 made it
    db.executescript(first)
    db.execute("INSERT INTO units (name, created) VALUES ('', 'then')")
    db.execute("INSERT INTO uploads VALUES (1, 1, 'a.xlsx', 'a', 1, '0', 'then', '单位', 2022, 0, 0, '[]')")
    db.execute("INSERT INTO builds (unit_id, upload_id, pdf, draft, status, created) VALUES (1, 1, 0, 0, 'done', 'then')")
    db.execute("PRAGMA user_version=1")
    db.close()
    store = Store(tmp_path)
    unit = store.units()[0]
    assert store.build(unit, 1).review == 0
    assert store.add_build(unit, store.upload(unit, 1), pdf=False, draft=False, review=True).review == 1


def _file(folder: Path) -> Path:
    path = folder / "upload.bin"
    path.write_bytes(b"x")
    return path


# ---- workbooks to start from ---------------------------------------------------------------

def test_blank_workbook_is_what_init_writes(client):
    response = client.get("/api/workbooks/blank")
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    assert "filename*=utf-8''" in response.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert {"单位信息", "公开01表", "公开10表", "情况说明", "填表说明"} <= set(wb.sheetnames)


def test_next_years_workbook_from_an_upload(client, tmp_path):
    uploaded = upload(client, JINCHENG).json()
    response = client.get(uploaded["next_year"])
    assert response.status_code == 200
    assert "2023" in response.headers["content-disposition"]
    path = tmp_path / "next.xlsx"
    path.write_bytes(response.content)
    from generator.reader import read_workbook
    wb = read_workbook(str(path), SHANXI)
    assert (wb.name, wb.year) == ("晋城市人力资源和社会保障局", 2023)


# ---- history and restarts ----------------------------------------------------------------

def test_history_survives_a_restart_and_stays_downloadable(tmp_path):
    data = tmp_path / "data"
    with serve(data) as first:
        uploaded = upload(first, JINCHENG).json()
        done = build(first, uploaded)
        report = first.get(done["files"]["report"]["url"]).content
    with serve(data) as second:
        assert [u["id"] for u in second.get("/api/units/1/uploads").json()] == [uploaded["id"]]
        assert second.get(done["files"]["report"]["url"]).content == report
        assert second.get(uploaded["workbook"]).content == JINCHENG.read_bytes()
        page = second.get("/").text
        assert "jincheng-2022.xlsx" in page and f"由这份 2022 年度工作簿生成 2023 年度工作簿" in page


def test_a_build_cut_off_by_a_stop_is_shown_as_not_done(tmp_path):
    data = tmp_path / "data"
    with serve(data) as first:
        uploaded = upload(first, JINCHENG).json()
    store = Store(data)
    unit = store.units()[0]
    cut = store.add_build(unit, store.upload(unit, uploaded["id"]), pdf=False, draft=False)
    store.start(cut.id)
    half = store.folder(unit, "builds", cut.id)
    half.mkdir(parents=True)
    (half / ".disclose-half.docx").write_bytes(b"PK")
    waiting = store.add_build(unit, store.upload(unit, uploaded["id"]), pdf=False, draft=False)
    with serve(data) as second:
        state = second.get(f"/api/units/1/builds/{cut.id}").json()
        assert state["status"] == "interrupted" and "请重新生成" in state["message"] and state["files"] == {}
        assert not half.exists()
        assert finished(second, second.get(f"/api/units/1/builds/{waiting.id}").json())["status"] == "done"


# ---- untrusted uploads and requests --------------------------------------------------------

def test_unreadable_upload_is_one_chinese_line_naming_the_file(client):
    response = upload_bytes(client, "这不是 Excel 文件".encode(), "报表.xlsx")
    refuses_then_serves(client, response, 400, "报表.xlsx：这是文本文件（例如 CSV），不是 Excel 工作簿")
    assert str(client.app.state.store.root) not in response.json()["error"]


def test_zip_bomb_is_refused(client):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<x/>")
        z.writestr("xl/bomb.bin", b"\x00" * (64 * 2**20))
    assert len(bomb.getvalue()) < 2**20
    refuses_then_serves(client, upload_bytes(client, bomb.getvalue(), "bomb.xlsx"), 400, "为安全起见拒绝读取")


def test_a_50_mb_file_is_refused_before_it_is_read(client):
    response = upload_bytes(client, b"\x00" * (50 * 2**20), "大文件.xlsx")
    refuses_then_serves(client, response, 413, "文件超过 20 MB")
    assert not any((client.app.state.store.root / "tmp").iterdir())


@pytest.mark.parametrize("sent, shown", [
    ("<img src=x onerror=alert(1)> & 决算.xlsx", "<img src=x onerror=alert(1)> & 决算.xlsx"),
    ("../../../../tmp/evil.xlsx", "evil.xlsx"),
    ("..\\..\\Windows\\win.ini", "win.ini"),
    ("CON.xlsx", "CON.xlsx"),
])
def test_hostile_file_name_is_shown_literally_and_kept_inside(client, sent, shown):
    uploaded = upload(client, JINCHENG, name=sent).json()
    assert uploaded["filename"] == shown
    page = client.get(uploaded["page"]).text
    assert "<img src=x" not in page
    if "<img" in shown:
        assert "&lt;img src=x onerror=alert(1)&gt; &amp; 决算.xlsx" in page
    root = client.app.state.store.root
    stored = [p for p in root.rglob("*") if p.is_file() and p.name != "disclose.sqlite3" and "sqlite" not in p.name]
    assert len(stored) == 1 and stored[0].parent.parent == root / "units" / "1" / "uploads"
    assert not Path("/tmp/evil.xlsx").exists()
    download = client.get(uploaded["workbook"])
    assert download.content == JINCHENG.read_bytes()


def test_script_in_cells_is_shown_as_text(client, workbook_copy):
    path = workbook_copy()
    nasty = "<script>alert('单位')</script>"
    set_cells(path, {"单位信息!B3": nasty, "公开05表!D12": "<img src=x onerror=alert(1)>"})
    response = upload(client, path)
    assert response.status_code == 400
    assert "<img src=x onerror=alert(1)>" in response.json()["error"]
    set_cells(path, {"公开05表!D12": None})
    uploaded = upload(client, path).json()
    assert uploaded["unit_name"] == nasty
    page = client.get(uploaded["page"]).text
    assert "&lt;script&gt;alert(&#39;单位&#39;)&lt;/script&gt;" in page and "<script>alert" not in page


def test_an_empty_or_missing_file_is_asked_for(client):
    assert "请选择要上传的工作簿" in client.post("/api/units/1/uploads", data={}).json()["error"]
    assert "文件是空的" in upload_bytes(client, b"", "空.xlsx").json()["error"]


def test_another_units_data_and_unknown_ids_are_not_found(client):
    uploaded = upload(client, JINCHENG).json()
    done = build(client, uploaded)
    for url in ("/api/units/2", "/api/units/2/uploads", "/units/2/", f"/api/units/2/builds/{done['id']}",
                "/api/units/1/uploads/99", "/api/units/1/builds/99", f"/api/units/1/builds/{done['id']}/secret",
                "/units/1/uploads/99"):
        response = client.get(url, headers={"Accept": "application/json"})
        assert response.status_code == 404, url
        assert response.json()["error"].startswith("没有找到")
    assert "没有找到" in client.get("/units/1/uploads/99", headers={"Accept": "text/html"}).text


def test_cross_site_posts_and_foreign_host_names_are_refused(client):
    with open(JINCHENG, "rb") as fh:
        response = client.post("/api/units/1/uploads", files={"workbook": ("a.xlsx", fh)},
                               headers={"Origin": "http://evil.example"})
    assert response.status_code == 403 and "其他网站" in response.json()["error"]
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/api/units/1/uploads").json() == []


# ---- disclose serve ---------------------------------------------------------------------------

def test_serve_on_a_port_in_use_is_one_chinese_line(runner, tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(main, ["serve", "--no-browser", "--port", str(port), "--data", str(tmp_path / "d")])
    assert result.exit_code == 2
    assert result.output == f"错误：端口 {port} 已被其他程序占用：请换一个端口（--port），或不指定 --port 让本工具自动选择\n"


def test_serve_with_a_file_for_its_data_folder_is_one_chinese_line(runner, tmp_path):
    (tmp_path / "文件").write_text("x")
    result = runner.invoke(main, ["serve", "--no-browser", "--data", str(tmp_path / "文件")])
    assert result.exit_code == 2
    assert result.output.startswith(f"错误：{tmp_path / '文件'}：无法使用这个数据文件夹")


def test_a_second_serve_on_the_same_data_folder_points_to_the_first(runner, tmp_path):
    """Started twice (a second double-click), the tool says where the running page is, and the
    first server's queue is left alone."""
    data = tmp_path / "data"
    first, url = start_serve(["--data", str(data)], tmp_path / "serve.log")
    try:
        result = runner.invoke(main, ["serve", "--no-browser", "--data", str(data)])
        assert result.exit_code == 0
        assert result.output == f"本工具的网页已在运行（这个数据文件夹正由它使用）：{url}\n"
        assert first.poll() is None
    finally:
        first.terminate()
        first.wait(timeout=60)
