"""The bureau's server at the HTTP level: the bureau imports three units, each logs in, uploads and
builds; no unit reaches another's data; logins, sessions and CSRF; the status table, the zip,
the exports and the journal."""

import html
import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from starlette.testclient import TestClient

from conftest import JINCHENG, XINZHOU, docx_lines, finished, set_cells
from generator.bureau.server import create_bureau_app, admin_password

PAGE = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}
UNITS = [("晋城市人力资源和社会保障局", "140500001", "张三，0356-1111111"),
         ("忻州市人力资源和社会保障局", "140900001", "李四"),
         ("某某县财政局<script>", "140999999", "")]
NEW_PASSWORD = {"140500001": "jincheng-secret", "140900001": "xinzhou-secret", "140999999": "county-secret"}


def units_list(path: Path, rows=UNITS) -> Path:
    book = Workbook()
    book.active.append(["单位名称", "单位编码", "联系方式"])
    for row in rows:
        book.active.append(list(row))
    book.save(path)
    return path


def csrf(page) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def login(client, name: str, password: str):
    client.cookies.clear()
    form = client.get("/login", headers=PAGE)
    return client.post("/login", data={"csrf": csrf(form), "login": name, "password": password}, headers=PAGE)


def change_password(client, old: str, new: str):
    form = client.get("/password", headers=PAGE)
    return client.post("/password", data={"csrf": csrf(form), "old": old, "new": new, "again": new}, headers=PAGE)


def token(client) -> str:
    return csrf(client.get("/password", headers=PAGE))


class Bureau:
    """A server with its bureau logged in and its three units imported; ``as_`` switches user."""

    def __init__(self, client, data: Path, tmp: Path):
        self.client, self.data = client, data
        self.jars = {}
        admin = admin_password(data)
        assert login(client, "admin", admin).url.path == "/password"
        assert change_password(client, admin, "bureau-secret").url.path == "/bureau/"
        self.jars["admin"] = dict(client.cookies)
        page = client.get("/bureau/units", headers=PAGE)
        with open(units_list(tmp / "名单.xlsx"), "rb") as fh:
            made = client.post("/bureau/units", files={"units": ("名单.xlsx", fh)}, data={"csrf": csrf(page)},
                               headers=PAGE)
        assert made.status_code == 200, made.text
        self.first = dict(re.findall(r"<td>(\d+)</td><td class=\"password\">([^<]+)</td>", made.text))
        self.imported = made
        for code, password in self.first.items():
            assert login(client, code, password).url.path == "/password"
            assert change_password(client, password, NEW_PASSWORD[code]).url.path.startswith("/units/")
            self.jars[code] = dict(client.cookies)
        self.ids = {row["code"]: row["id"] for row in self.as_("admin").get("/api/bureau/units").json()}

    def as_(self, who: str):
        self.client.cookies.clear()
        for name, value in self.jars[who].items():
            self.client.cookies.set(name, value)
        return self.client

    def upload(self, who: str, path: Path) -> dict:
        client = self.as_(who)
        with open(path, "rb") as fh:
            response = client.post(f"/api/units/{self.ids[who]}/uploads", files={"workbook": (path.name, fh)},
                                   headers={**JSON, "X-CSRF-Token": token(client)})
        assert response.status_code == 201, response.text
        return response.json()

    def build(self, who: str, uploaded: dict, **options) -> dict:
        client = self.as_(who)
        response = client.post(uploaded["builds"], json=options, headers={**JSON, "X-CSRF-Token": token(client)})
        assert response.status_code == 202, response.text
        return finished(client, response.json())


@pytest.fixture(scope="module")
def bureau(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bureau")
    data = tmp / "data"
    with TestClient(create_bureau_app(data, workers=2), base_url="http://bureau.example") as client:
        yield Bureau(client, data, tmp)


@pytest.fixture(scope="module")
def scenario(bureau, tmp_path_factory):
    """晋城 builds with its PDF, 忻州 builds the .docx, the county uploads a workbook with 错误."""
    wrong = tmp_path_factory.mktemp("wrong") / "county.xlsx"
    shutil.copy(JINCHENG, wrong)
    set_cells(wrong, {"单位信息!B3": "某某县财政局", "公开05表!E13": 1884613})
    uploads = {"140500001": bureau.upload("140500001", JINCHENG), "140900001": bureau.upload("140900001", XINZHOU),
               "140999999": bureau.upload("140999999", wrong)}
    builds = {"140500001": bureau.build("140500001", uploads["140500001"], pdf=True),
              "140900001": bureau.build("140900001", uploads["140900001"])}
    return uploads, builds


def test_import_shows_each_first_login_password_once_with_a_workbook_of_them(bureau):
    assert sorted(bureau.first) == ["140500001", "140900001", "140999999"]
    assert all(len(p) == 10 for p in bureau.first.values())
    assert "某某县财政局&lt;script&gt;" in bureau.imported.text and "<script>" not in bureau.imported.text
    link = re.search(r'href="data:[^;]+;base64,([^"]+)" download="各单位登录账号.xlsx"', bureau.imported.text)
    import base64
    sheet = load_workbook(io.BytesIO(base64.b64decode(link.group(1)))).active
    rows = {r[1]: r[2] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows == bureau.first
    assert not any(p.encode() in (bureau.data / "disclose.sqlite3").read_bytes() for p in bureau.first.values())
    page = bureau.as_("admin").get("/bureau/units", headers=PAGE).text
    assert "140500001" in page and bureau.first["140500001"] not in page  # never shown again


def test_importing_again_keeps_passwords_and_a_bad_list_names_its_cells(bureau, tmp_path):
    client = bureau.as_("admin")
    with open(units_list(tmp_path / "again.xlsx", UNITS[:1]), "rb") as fh:
        again = client.post("/bureau/units", files={"units": ("again.xlsx", fh)}, data={"csrf": token(client)},
                            headers=PAGE)
    assert "新建账号 0 个" in again.text and "1 个单位原已有账号（密码未变）" in again.text
    with open(units_list(tmp_path / "bad.xlsx", [("甲", "001"), ("乙", "001")]), "rb") as fh:
        bad = client.post("/bureau/units", files={"units": ("bad.xlsx", fh)}, data={"csrf": token(client)},
                          headers=PAGE)
    assert bad.status_code == 400 and "Sheet!B3：单位编码“001”与 Sheet!B2 重复" in html.unescape(bad.text)
    assert login(client, "140500001", NEW_PASSWORD["140500001"]).url.path.startswith("/units/")


def test_an_unauthenticated_request_gets_the_login_page(bureau):
    client = bureau.client
    client.cookies.clear()
    for path in ("/", "/bureau/", f"/units/{bureau.ids['140500001']}/", "/bureau/reports.zip"):
        for headers in (PAGE, {}):  # a browser, or a client that says nothing of what it wants
            page = client.get(path, headers=headers)
            assert page.url.path == "/login" and 'name="password"' in page.text, path
    for path in (f"/api/units/{bureau.ids['140500001']}", "/api/bureau/units",
                 f"/api/units/{bureau.ids['140500001']}/builds/1/report"):
        response = client.get(path, headers=JSON)
        assert response.status_code == 401 and response.json() == {"error": "请先登录"}, path
    assert client.post(f"/api/units/{bureau.ids['140500001']}/uploads", headers=JSON).status_code == 401


def test_a_post_without_the_csrf_token_is_refused(bureau, scenario):
    uploads, _ = scenario
    client = bureau.as_("140500001")
    url = uploads["140500001"]["builds"]
    before = len(client.get(f"/api/units/{bureau.ids['140500001']}/builds", headers=JSON).json())
    for headers in (JSON, {**JSON, "X-CSRF-Token": "forged"}):
        refused = client.post(url, json={}, headers=headers)
        assert refused.status_code == 403 and "页面已过期" in refused.json()["error"]
    with open(JINCHENG, "rb") as fh:
        refused = client.post(f"/api/units/{bureau.ids['140500001']}/uploads", files={"workbook": ("a.xlsx", fh)},
                              data={"csrf": "forged"}, headers=JSON)
    assert refused.status_code == 403
    assert client.post("/logout", headers=PAGE).status_code == 403  # logging out too: a forged page can't
    # the other user's token does not do either
    other = token(bureau.as_("140900001"))
    client = bureau.as_("140500001")
    assert client.post(url, json={}, headers={**JSON, "X-CSRF-Token": other}).status_code == 403
    assert len(client.get(f"/api/units/{bureau.ids['140500001']}/builds", headers=JSON).json()) == before
    # the login form too carries its own token
    client.cookies.clear()
    client.get("/login", headers=PAGE)
    assert client.post("/login", data={"login": "140500001", "password": NEW_PASSWORD["140500001"]},
                       headers=PAGE).status_code == 403


def test_the_sixth_wrong_password_within_a_minute_is_refused(tmp_path):
    import sqlite3

    data = tmp_path / "data"
    admin = admin_password(data)
    with TestClient(create_bureau_app(data, workers=1), base_url="http://bureau.example") as client:
        for attempt in range(5):
            wrong = login(client, "admin", f"wrong-{attempt}")
            assert wrong.status_code == 401 and "登录名或密码不正确" in wrong.text
        sixth = login(client, "admin", admin)
        assert sixth.status_code == 429 and "秒后再试" in sixth.text
        assert not any(name.endswith("disclose") for name in client.cookies)
    with sqlite3.connect(data / "disclose.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM journal WHERE action = '登录失败'").fetchone() == (6,)


def test_each_unit_gets_its_own_report(bureau, scenario):
    uploads, builds = scenario
    assert builds["140500001"]["status"] == "done" and set(builds["140500001"]["files"]) == {"report", "pdf", "audit"}
    assert builds["140900001"]["status"] == "done" and "pdf" not in builds["140900001"]["files"]
    for code, city in (("140500001", "晋城市"), ("140900001", "忻州市")):
        client = bureau.as_(code)
        docx = client.get(builds[code]["files"]["report"]["url"])
        assert docx.status_code == 200
        path = bureau.data.parent / f"{code}.docx"
        path.write_bytes(docx.content)
        assert [line for line in docx_lines(path) if line][0] == f"{city}人力资源和社会保障局"
    assert uploads["140999999"]["errors"] > 0
    refused = bureau.as_("140999999").post(uploads["140999999"]["builds"], json={},
                                          headers={**JSON, "X-CSRF-Token": token(bureau.client)})
    assert refused.status_code == 409


def test_a_unit_reaches_nothing_of_another_unit(bureau, scenario):
    uploads, builds = scenario
    other = bureau.ids["140900001"]
    upload_id, build_id = uploads["140900001"]["id"], builds["140900001"]["id"]
    client = bureau.as_("140500001")
    token_a = token(client)
    urls = [f"/units/{other}/", f"/units/{other}/uploads/{upload_id}", f"/api/units/{other}",
            f"/api/units/{other}/uploads", f"/api/units/{other}/uploads/{upload_id}",
            f"/api/units/{other}/uploads/{upload_id}/workbook", f"/api/units/{other}/uploads/{upload_id}/next-year",
            f"/api/units/{other}/builds", f"/api/units/{other}/builds/{build_id}",
            f"/api/units/{other}/builds/{build_id}/report", f"/api/units/{other}/builds/{build_id}/audit",
            # its own unit's path with the other unit's upload and build ids
            f"/api/units/{bureau.ids['140500001']}/uploads/{upload_id}",
            f"/api/units/{bureau.ids['140500001']}/builds/{build_id}/report",
            "/bureau/", "/bureau/units", "/bureau/reports.zip", "/bureau/status.xlsx", "/api/bureau/units",
            "/bureau/journal"]
    nowhere = client.get("/api/units/99999", headers=JSON)
    for url in urls:
        for headers in (JSON, PAGE):
            response = client.get(url, headers=headers)
            assert response.status_code == 404, url
            assert "忻州" not in response.text and "140900001" not in response.text, url
        assert client.get(url, headers=JSON).json() == nowhere.json(), url
    posts = [f"/api/units/{other}/uploads", f"/api/units/{other}/uploads/{upload_id}/builds",
             "/bureau/units", "/bureau/units/140900001/password"]
    for url in posts:
        assert client.post(url, headers={**JSON, "X-CSRF-Token": token_a}).status_code == 404, url
    assert len(bureau.as_("140900001").get(f"/api/units/{other}/builds", headers=JSON).json()) == 1


def test_the_bureau_table_shows_each_units_status_and_sorts_and_filters(bureau, scenario):
    client = bureau.as_("admin")
    rows = {r["code"]: r for r in client.get("/api/bureau/units").json()}
    assert {code: (r["status"], r["errors"] if r["errors"] is None else r["errors"] > 0, r["warnings"], r["year"])
            for code, r in rows.items()} == {
        "140500001": ("已生成 PDF", False, 2, 2022), "140900001": ("已生成报告", False, 2, 2022),
        "140999999": ("有错误", True, rows["140999999"]["warnings"], 2022)}
    page = client.get("/bureau/", headers=PAGE).text
    assert "已生成 PDF 1" in page and "有错误 1" in page and "未上传 0" in page
    assert "某某县财政局&lt;script&gt;" in page
    assert [r["code"] for r in client.get("/api/bureau/units?sort=status&desc=1").json()] == [
        "140500001", "140900001", "140999999"]
    assert [r["code"] for r in client.get("/api/bureau/units?status=有错误").json()] == ["140999999"]
    assert [r["code"] for r in client.get("/api/bureau/units?q=忻州").json()] == ["140900001"]
    assert "合计" in client.get("/bureau/", headers=PAGE).text.split('id="failing"')[1]  # the county's sums
    opened = client.get(f"/units/{bureau.ids['140900001']}/", headers=PAGE)
    assert opened.status_code == 200 and "忻州市人力资源和社会保障局" in opened.text


def test_the_zip_holds_exactly_the_finished_reports(bureau, scenario):
    _, builds = scenario
    response = bureau.as_("admin").get("/bureau/reports.zip")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = sorted(archive.namelist())
        jc = builds["140500001"]["files"]
        assert names == sorted([f"140500001 晋城市人力资源和社会保障局/{jc['report']['name']}",
                                f"140500001 晋城市人力资源和社会保障局/{jc['pdf']['name']}",
                                f"140900001 忻州市人力资源和社会保障局/{builds['140900001']['files']['report']['name']}"])
        own = bureau.as_("140500001").get(jc["report"]["url"]).content
        assert archive.read(names[0] if names[0].endswith(".docx") else names[1]) == own
    assert not list((bureau.data / "tmp").glob("*/*.zip"))  # the zip is not left behind


def test_the_status_table_exports_as_a_workbook(bureau, scenario):
    response = bureau.as_("admin").get("/bureau/status.xlsx?sort=code")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [r for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:4] == ("单位编码", "单位名称", "联系方式", "状态")
    assert [(r[0], r[3]) for r in rows[1:]] == [("140500001", "已生成 PDF"), ("140900001", "已生成报告"),
                                                ("140999999", "有错误")]
    assert rows[1][2] == "张三，0356-1111111"


def test_the_journal_says_who_uploaded_built_and_downloaded_what(bureau, scenario):
    text = html.unescape(bureau.as_("admin").get("/bureau/journal", headers=PAGE).text)
    for line in ("导入单位名单", "上传工作簿", "jincheng-2022.xlsx", "生成报告", "（含 PDF）", "下载全部报告"):
        assert line in text, line
    assert re.search(r"140500001</td><td><a [^>]+>140500001</a></td><td>下载</td><td>生成 #\d+：晋城", text)


def test_the_bureau_resets_a_password_and_the_old_one_stops_working(bureau, scenario):
    client = bureau.as_("admin")
    page = client.post("/bureau/units/140999999/password", data={"csrf": token(client)}, headers=PAGE)
    new = re.search(r'<td class="password">([^<]+)</td>', page.text).group(1)
    assert bureau.as_("140999999").get("/api/bureau/units", headers=JSON).status_code == 401  # session ended
    assert login(client, "140999999", NEW_PASSWORD["140999999"]).status_code in (401, 429)
    assert bureau.client.cookies.get("disclose") is None


def test_cookies_are_http_only_and_same_site_strict(bureau):
    client = bureau.client
    client.cookies.clear()
    form = client.get("/login", headers=PAGE)
    response = client.post("/login", data={"csrf": csrf(form), "login": "140900001",
                                           "password": NEW_PASSWORD["140900001"]},
                           headers=PAGE, follow_redirects=False)
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("disclose="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Max-Age" not in cookie and "expires" not in cookie  # gone when the browser closes


def test_over_https_the_session_cookie_is_secure_and_host_bound(tmp_path):
    data = tmp_path / "data"
    admin = admin_password(data)
    with TestClient(create_bureau_app(data, workers=1), base_url="https://bureau.example") as client:
        response = login(client, "admin", admin)
        assert response.url.path == "/password"
        cookies = response.history[0].headers.get_list("set-cookie")
        session = next(c for c in cookies if c.startswith("__Host-disclose="))
        assert "Secure" in session and "HttpOnly" in session


def test_logout_ends_the_session(bureau):
    client = bureau.client
    assert login(client, "140900001", NEW_PASSWORD["140900001"]).url.path.startswith("/units/")
    kept = dict(client.cookies)
    assert client.post("/logout", data={"csrf": token(client)}, headers=PAGE).url.path == "/login"
    for name, value in kept.items():
        client.cookies.set(name, value)
    assert client.get("/api/bureau/units", headers=JSON).status_code == 401


def test_listening_beyond_loopback_needs_accounts(runner, tmp_path):
    from generator.cli import main

    refused = runner.invoke(main, ["serve", "--host", "0.0.0.0", "--no-browser", "--data", str(tmp_path / "d")])
    assert refused.exit_code == 2 and "必须同时开启账号（--bureau）" in refused.output
    assert not (tmp_path / "d").exists()
    key = tmp_path / "key.pem"
    key.write_text("x")
    half = runner.invoke(main, ["serve", "--bureau", "--keyfile", str(key), "--data", str(tmp_path / "d")])
    assert half.exit_code == 2 and "--certfile 和 --keyfile 要一起给出" in half.output
