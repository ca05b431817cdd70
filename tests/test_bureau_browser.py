"""The bureau's day in a real browser (Debian's chromium, headless, driven by playwright) against
`disclose serve --bureau` started as a bureau starts it: the bureau imports three units, each
logs in, uploads and builds; a unit cannot open another's page; the bureau's table, its filter
and sorting, the zip and the Excel export.

Screenshots go to $DISCLOSE_SCREENSHOTS when it is set (docs/images/ for the guide), else to the
test's temporary folder.
"""

import importlib.util
import io
import re
import shutil
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import JINCHENG, XINZHOU, needs_chromium, set_cells

pytestmark = needs_chromium
ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bureau_load", ROOT / "bench" / "bureau_load.py")
load = sys.modules.get("bureau_load") or importlib.util.module_from_spec(_spec)
if "bureau_load" not in sys.modules:
    sys.modules["bureau_load"] = load
    _spec.loader.exec_module(load)

UNITS = [("晋城市人力资源和社会保障局", "140500001"), ("忻州市人力资源和社会保障局", "140900001"),
         ("某某县财政局", "140999999")]


@pytest.fixture
def server(tmp_path):
    server = load.Server(tmp_path / "决算公开数据", jobs=2).start()
    yield server
    server.stop()


def log_in(page, url: str, login: str, password: str) -> None:
    page.goto(url)
    page.fill("#login-name", login)
    page.fill("#password", password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def set_password(page, old: str, new: str) -> None:
    page.fill("input[name=old]", old)
    page.fill("input[name=new]", new)
    page.fill("input[name=again]", new)
    page.get_by_role("button", name="保存新密码").click()
    page.wait_for_load_state()


def test_the_bureaus_day(server, new_page, shots, tmp_path):
    url = server.url + "/"
    bureau = new_page()

    # Not logged in: whatever the address, the login page.
    bureau.goto(server.url + "/bureau/")
    assert bureau.url.startswith(server.url + "/login") and bureau.title() == "登录 · 单位决算公开"
    bureau.screenshot(path=str(shots / "bureau-login.png"))

    # The bureau's first login: the password printed at the start, changed at once.
    log_in(bureau, url, "admin", server.admin_password)
    assert bureau.url.endswith("/password")
    set_password(bureau, server.admin_password, "bureau-secret")
    assert bureau.url.endswith("/bureau/") and "还没有单位" in bureau.inner_text("#overview")

    # Import the list of units: one account each, first-login passwords shown once.
    bureau.click("text=导入单位名单")
    bureau.set_input_files("#units-file", str(load.unit_list(tmp_path / "单位名单.xlsx", UNITS)))
    bureau.get_by_role("button", name="导入并建立账号").click()
    bureau.wait_for_selector("#new-accounts")
    assert "已导入 3 个单位，新建账号 3 个" in bureau.inner_text("#passwords")
    passwords = {}
    for row in bureau.locator("#new-accounts tbody tr").all():
        cells = row.locator("td").all_inner_texts()
        passwords[cells[1]] = cells[2]
    assert sorted(passwords) == sorted(code for _, code in UNITS)
    with bureau.expect_download() as sheet:
        bureau.click("#accounts-xlsx")
    rows = list(load_workbook(io.BytesIO(sheet.value.path().read_bytes())).active.iter_rows(min_row=2, values_only=True))
    assert {r[1]: r[2] for r in rows} == passwords
    bureau.screenshot(path=str(shots / "bureau-passwords.png"))

    # Each unit logs in, sets its password, uploads and (without 错误) builds.
    county = tmp_path / "某某县2022.xlsx"
    shutil.copy(JINCHENG, county)
    set_cells(county, {"单位信息!B3": "某某县财政局", "公开05表!E13": 1884613})
    pages = {}
    for (name, code), workbook in zip(UNITS, (JINCHENG, XINZHOU, county)):
        unit = pages[code] = new_page()
        log_in(unit, url, code, passwords[code])
        assert unit.url.endswith("/password")
        set_password(unit, passwords[code], f"{code}-secret")
        assert re.search(r"/units/\d+/$", unit.url)
        unit.set_input_files("#file", str(workbook))
        unit.wait_for_url(re.compile(r"/uploads/\d+"))
        unit.wait_for_selector("#summary")
        if code != "140999999":
            with unit.expect_navigation(timeout=300_000):
                unit.get_by_role("button", name="生成报告（Word）").click()
            unit.wait_for_selector("#download-report")
    assert "个错误" in pages["140999999"].inner_text("#summary")
    pages["140500001"].evaluate("window.scrollTo(0, 0)")
    pages["140500001"].screenshot(path=str(shots / "bureau-unit-page.png"))

    # A unit cannot open another unit's page, nor reach its data through the API.
    own = pages["140500001"]
    other_url = re.sub(r"/units/\d+/.*", "", pages["140900001"].url) + \
        re.search(r"/units/\d+/", pages["140900001"].url).group(0)
    response = own.goto(other_url)
    assert response.status == 404 and "忻州" not in own.content()
    api = own.evaluate("""async (u) => { const r = await fetch(u, {headers: {Accept: "application/json"}});
                                          return [r.status, await r.text()]; }""",
                       other_url.replace("/units/", "/api/units/").rstrip("/") + "/uploads")
    assert api[0] == 404 and "忻州" not in api[1]
    # A POST without the CSRF token, sent from the unit's own page, is refused.
    own.go_back()
    refused = own.evaluate("""async () => { const r = await fetch(location.pathname.replace('/units/', '/api/units/')
        .replace(/\\/uploads\\/.*/, '/uploads'), {method: 'POST', body: new FormData()}); return r.status; }""")
    assert refused == 403

    # The bureau's table: the three units' statuses, filter, sort, the zip, the Excel export.
    bureau.goto(server.url + "/bureau/")
    table = {r.get_attribute("data-code"): r.locator("td").all_inner_texts()
             for r in bureau.locator("#units tbody tr").all()}
    assert {code: cells[2] for code, cells in table.items()} == {
        "140500001": "已生成报告", "140900001": "已生成报告", "140999999": "有错误"}
    assert table["140500001"][3:5] == ["0", "2"] and table["140500001"][6] == "2022"
    bureau.screenshot(path=str(shots / "bureau-overview.png"), full_page=True)
    bureau.click("a.chip:has-text('有错误')")
    assert bureau.locator("#units tbody tr").count() == 1
    bureau.click("a.chip:has-text('全部')")
    bureau.click("#units th a:has-text('错误')")
    bureau.click("#units th a:has-text('错误')")  # again: most errors first
    assert bureau.locator("#units tbody tr").first.get_attribute("data-code") == "140999999"
    with bureau.expect_download() as archive:
        bureau.click("#zip")
    with zipfile.ZipFile(archive.value.path()) as z:
        assert sorted(n.split("/")[0] for n in z.namelist()) == ["140500001 晋城市人力资源和社会保障局",
                                                                 "140900001 忻州市人力资源和社会保障局"]
    with bureau.expect_download() as export:
        bureau.click("#export")
    rows = list(load_workbook(io.BytesIO(export.value.path().read_bytes())).active.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[3]) for r in rows] == [("140999999", "有错误"), ("140500001", "已生成报告"),
                                            ("140900001", "已生成报告")]

    # The bureau opens a unit's page: what the unit sees.
    bureau.click("#units a:has-text('某某县财政局')")
    assert "个错误" in bureau.inner_text("#summary")
    bureau.go_back()

    # The sixth wrong password within a minute is refused.
    stranger = new_page()
    for attempt in range(5):
        log_in(stranger, url, "140999999", f"guess-{attempt}")
        assert "登录名或密码不正确" in stranger.inner_text("#login-error")
    log_in(stranger, url, "140999999", "140999999-secret")
    assert "秒后再试" in stranger.inner_text("#login-error")
    bureau.goto(server.url + "/bureau/journal")
    assert "登录失败" in bureau.inner_text("#journal")
