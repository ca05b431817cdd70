"""The clerk's yearly round in a real browser: Debian's chromium, headless, driven by playwright
against `disclose serve` started as a clerk starts it.

Screenshots go to $DISCLOSE_SCREENSHOTS when it is set (docs/images/ for the guide), else to the
test's temporary folder.
"""

import base64
import re
import shutil
from pathlib import Path

import pytest

from conftest import JINCHENG, needs_chromium, set_cells, start_serve

pytestmark = needs_chromium
REPORT = "晋城市人力资源和社会保障局2022年度单位决算公开.docx"
CHANGED_LINE = "公开05表 2080104 综合业务管理“项目支出”：1884513 → 1884613"


@pytest.fixture
def server(tmp_path):
    """`disclose serve` as the clerk runs it (without opening a browser of its own): its URL."""
    process, url = start_serve(["--data", str(tmp_path / "决算公开数据")], tmp_path / "serve.log")
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=60)


@pytest.fixture
def page(new_page):
    return new_page()


def drop(page, path: Path, name: str) -> None:
    """Drag a file from the desktop onto the page's drop box."""
    page.evaluate("""([data, name]) => {
        const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], name));
        const box = document.getElementById("drop");
        box.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true, cancelable: true}));
        box.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
    }""", [base64.b64encode(path.read_bytes()).decode("ascii"), name])


def choose(page, path: Path, name: str | None = None) -> None:
    """Pick a file in the file chooser."""
    if name is None:
        page.set_input_files("#file", str(path))
    else:
        page.set_input_files("#file", {"name": name, "mimeType": "application/octet-stream",
                                       "buffer": path.read_bytes()})


def build_and_wait(page, label: str) -> None:
    """Click a build button; the page follows the build and reloads when it is done."""
    with page.expect_navigation(timeout=300_000):
        page.get_by_role("button", name=label).click()
    page.wait_for_selector("#result")


def test_the_clerks_round(server, page, shots, tmp_path, runner):
    from generator.cli import main

    page.goto(server)
    assert page.title() == "本单位 · 单位决算公开"
    page.screenshot(path=str(shots / "web-start.png"))

    # Upload the 晋城 sample by dragging it onto the page: the audit is there at once.
    drop(page, JINCHENG, "晋城市人社局2022.xlsx")
    page.wait_for_url(re.compile(r"/units/1/uploads/1#audit$"))
    assert page.inner_text("#summary").startswith("没有错误")
    assert "2 个警告" in page.inner_text("#summary")
    assert page.locator("table.findings tr.warning").count() == 2
    assert page.locator("table.findings tr.error").count() == 0
    page.screenshot(path=str(shots / "web-audit.png"))

    # Build and download the .docx: the very bytes `disclose build` writes.
    build_and_wait(page, "生成报告（Word）")
    assert "第一次生成" in page.inner_text("#changes")
    with page.expect_download() as download:
        page.click("#download-report")
    assert download.value.suggested_filename == REPORT
    saved = tmp_path / "web.docx"
    download.value.save_as(saved)
    assert runner.invoke(main, ["build", str(JINCHENG), "-o", str(tmp_path / "cli")]).exit_code == 0
    assert saved.read_bytes() == (tmp_path / "cli" / REPORT).read_bytes()
    page.locator("#build").screenshot(path=str(shots / "web-built.png"))

    # A copy with one figure changed: that cell is named first, before any other finding.
    changed = tmp_path / "晋城市人社局2022（改）.xlsx"
    shutil.copy(JINCHENG, changed)
    set_cells(changed, {"公开05表!E13": 1884613})
    choose(page, changed)
    page.wait_for_url(re.compile(r"/units/1/uploads/2#audit$"))
    assert "15 个错误" in page.inner_text("#summary")
    first = page.locator(".group h3").first.inner_text()
    assert first.startswith("最可能需要修改：公开05表!E13")
    assert page.locator(".group").first.locator("td.cells").first.inner_text().startswith("公开05表!E13")
    page.screenshot(path=str(shots / "web-errors.png"))

    # With 错误 only a 草稿, on request; after it, what changed since the last build.
    assert page.get_by_role("button", name="生成报告（Word）").count() == 0
    build_and_wait(page, "生成草稿（Word）")
    assert "草稿已生成" in page.inner_text("#result")
    assert CHANGED_LINE in page.inner_text("#changes")
    page.locator("#build").screenshot(path=str(shots / "web-changes.png"))

    # For the reviewer: the 审阅稿, every finding a comment in the margin.
    build_and_wait(page, "生成审阅稿（问题作为批注）")
    assert "审阅稿已生成" in page.inner_text("#result")
    with page.expect_download() as review:
        page.click("#download-review")
    assert review.value.suggested_filename.endswith("（审阅稿）.docx")
    review.value.save_as(tmp_path / "review.docx")
    import zipfile
    with zipfile.ZipFile(tmp_path / "review.docx") as docx:
        assert docx.read("word/comments.xml").count(b"<w:comment ") == 17

    # The history keeps both uploads and the three builds, each downloadable again.
    assert page.locator("#uploads tbody tr").count() == 2
    assert page.locator("#builds tbody tr").count() == 3
    with page.expect_download() as again:
        page.locator("#builds tbody tr").last.get_by_role("link", name="Word").click()
    again.value.save_as(tmp_path / "again.docx")
    assert (tmp_path / "again.docx").read_bytes() == saved.read_bytes()


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_pdf_with_progress(server, page, shots, tmp_path):
    page.goto(server)
    choose(page, JINCHENG)
    page.wait_for_url(re.compile(r"/uploads/\d+#audit$"))
    page.get_by_role("button", name="生成报告和 PDF").click()
    from playwright.sync_api import expect

    expect(page.locator("#progress-text")).to_have_text(re.compile(r"正在生成报告和 PDF，已用 \d+ 秒"))
    page.locator("#build").screenshot(path=str(shots / "web-progress.png"))
    page.wait_for_selector("#download-pdf", timeout=300_000)
    with page.expect_download() as download:
        page.click("#download-pdf")
    download.value.save_as(tmp_path / "report.pdf")
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("name, make, says", [
    ("zip bomb", "bomb", "为安全起见拒绝读取"),
    ("50 MB", "huge", "文件超过 20 MB"),
    ("not a workbook", "text", "不是 Excel 工作簿"),
])
def test_bad_files_are_one_chinese_message(server, page, tmp_path, name, make, says):
    path = tmp_path / f"{name}.xlsx"
    if make == "bomb":
        import zipfile
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("xl/workbook.xml", "<x/>")
            z.writestr("xl/bomb.bin", b"\x00" * (64 * 2**20))
    elif make == "huge":
        with open(path, "wb") as fh:
            fh.truncate(50 * 2**20)
    else:
        path.write_text("这不是 Excel 文件", encoding="utf-8")
    page.goto(server)
    before = page.url
    choose(page, path)
    error = page.locator("#upload-error")
    error.wait_for(state="visible")
    assert says in error.inner_text() and error.inner_text().count("\n") == 0
    assert page.url == before
    page.reload()  # the server answers the next request
    assert page.locator("#drop").is_visible()


def test_hostile_names_and_script_in_cells_are_shown_as_text(server, page, tmp_path, shots):
    nasty = "<script>alert('单位')</script><img src=x onerror=alert(1)>"
    path = tmp_path / "nasty.xlsx"
    shutil.copy(JINCHENG, path)
    set_cells(path, {"单位信息!B3": nasty})
    page.goto(server)
    choose(page, path, name="<img src=x onerror=alert(2)>.xlsx")
    page.wait_for_url(re.compile(r"/uploads/\d+#audit$"))
    assert page.inner_text(".unit") == nasty
    assert "<img src=x onerror=alert(2)>.xlsx" in page.inner_text("#audit .file")
    assert page.locator("main img").count() == 0 and page.locator("main script").count() == 0


def test_the_page_works_without_javascript(server, new_page, tmp_path):
    """Plain forms: upload, then build, each answered by the page itself."""
    page = new_page(java_script_enabled=False)
    page.goto(server)
    page.set_input_files("#file", str(JINCHENG))
    with page.expect_navigation():
        page.get_by_role("button", name="上传并审核").click()
    assert "2 个警告" in page.inner_text("#summary")
    with page.expect_navigation():
        page.get_by_role("button", name="生成报告（Word）").click()
    for _ in range(600):  # no script to follow the build: the clerk reloads
        if page.locator("#download-report").count():
            break
        page.wait_for_timeout(200)
        page.reload()
    with page.expect_download() as download:
        page.click("#download-report")
    assert download.value.suggested_filename == REPORT
