import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document


ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_inputs"
SEEDS = ROOT / "tests" / "seeds"
JINCHENG = SAMPLES / "jincheng-2022.xlsx"
XINZHOU = SAMPLES / "xinzhou-2022.xlsx"
# Builds cache compiled templates under $XDG_CACHE_HOME (else ~/.cache/disclose, see
# generator.render): the tests' go to a directory of this session, set at import so that every
# process a test starts inherits it, and removed at the end. ~/.cache is never written.
CACHE = Path(tempfile.mkdtemp(prefix="disclose-test-cache-"))
os.environ["XDG_CACHE_HOME"] = str(CACHE)
atexit.register(shutil.rmtree, CACHE, ignore_errors=True)

from generator.catalog import load_format  # noqa: E402 - after the cache is set for every process

SHANXI = load_format("shanxi")  # the engine is handed its format: the tests hand it Shanxi's
PARTS = ("第一部分", "第二部分", "第三部分", "第四部分", "第五部分")
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def workbook_copy(tmp_path):
    """A private copy of a sample workbook that a test may change."""

    def copy(sample: Path = JINCHENG) -> Path:
        target = tmp_path / sample.name
        shutil.copy(sample, target)
        return target

    return copy


def docx_lines(path: Path) -> list[str]:
    """The document's text in reading order: each paragraph, each table row (cells joined by |)."""
    doc = Document(str(path))
    lines = []
    for block in doc.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append("".join(t.text or "" for t in block.iter() if t.tag.endswith("}t")))
        elif tag == "tbl":
            for tr in block.iter():
                if tr.tag.endswith("}tr"):
                    cells = ["".join(t.text or "" for t in tc.iter() if t.tag.endswith("}t"))
                             for tc in tr if tc.tag.endswith("}tc")]
                    lines.append("|".join(cells))
    return lines


def split_parts(text: str, headings=PARTS) -> dict[str, str]:
    """Text between consecutive headings (first occurrence after the previous one)."""
    parts, pos = {}, 0
    starts = []
    for h in headings:
        i = text.index(h, pos)
        starts.append((h, i))
        pos = i + len(h)
    for (h, i), nxt in zip(starts, [s for _, s in starts[1:]] + [len(text)]):
        parts[h] = text[i:nxt]
    return parts


def numbers(text: str) -> set[Decimal]:
    return {Decimal(m.replace(",", "")) for m in NUMBER.findall(text) if m.replace(",", "").strip(".")}


class Merged(str):
    """A change that merges a range (e.g. "B10:B11") over the cell, as Excel does: only the
    range's first cell keeps its content."""


def set_cells(path: Path, changes: dict[str, object]) -> None:
    """Write values into sheet!cell references of a workbook copy (or merge: :class:`Merged`)."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    for ref, value in changes.items():
        sheet, cell = ref.split("!")
        if isinstance(value, Merged):
            wb[sheet].merge_cells(value)
        else:
            wb[sheet][cell].value = value
    wb.save(path)


def save_as(workbooks: list[Path], fmt: str, outdir: Path) -> list[Path]:
    """Copies of ``workbooks`` saved by LibreOffice Calc as ``fmt`` (xls, ods, xlsx): what a clerk
    gets from WPS, the 决算 software or a re-save. One LibreOffice run for all, leaving nothing
    behind (see :func:`generator.pdf.convert_files`). Skips the test where LibreOffice is absent."""
    from generator.pdf import convert_files, find_soffice

    soffice = find_soffice()
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    outdir.mkdir(parents=True, exist_ok=True)
    convert_files(soffice, workbooks, fmt, outdir)
    made = [outdir / f"{w.stem}.{fmt}" for w in workbooks]
    missing = [p.name for p in made if not p.exists()]
    assert not missing, f"LibreOffice did not write {missing}"
    return made


# ---- pages in a real browser: Debian's chromium, headless, driven by playwright ----------------

CHROMIUM = "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium (never a browser playwright downloads), one for a test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """Opens a page in a fresh browser context (its own cookies: one person each) as a clerk's
    screen shows it, in Chinese; any dialog (alert()) is recorded and fails the test: it would
    be a workbook's script running. Options override the context's (java_script_enabled=False)."""
    contexts, dialogs = [], []

    def new(**options):
        context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN",
                                         "accept_downloads": True, **options})
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        return page

    yield new
    for context in contexts:
        context.close()
    assert dialogs == []


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """Where screenshots go: $DISCLOSE_SCREENSHOTS when set (docs/images/ for the guide)."""
    folder = Path(os.environ.get("DISCLOSE_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# ---- `disclose serve`, over HTTP ------------------------------------------------------------------

def start_serve(args: list[str], log: Path, env: dict | None = None, **popen) -> tuple[subprocess.Popen, str]:
    """``disclose serve --no-browser ARGS`` started as a clerk starts it, its output in ``log``:
    the process, and the address it printed once it listens."""
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "generator", "serve", "--no-browser", *args],
                                   stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}, **popen)
    deadline = time.monotonic() + 60
    while not (found := re.search(r"http://127\.0\.0\.1:\d+/", log.read_text("utf-8"))):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"disclose serve did not start:\n{log.read_text('utf-8')}")
        time.sleep(0.1)
    return process, found.group(0)


def upload(client, path: Path, name: str | None = None, unit: int = 1):
    """POST the workbook at ``path`` to the unit's uploads, as the page's script does."""
    with open(path, "rb") as fh:
        return client.post(f"/api/units/{unit}/uploads", files={"workbook": (name or path.name, fh)},
                           headers={"Accept": "application/json"})


def finished(client, build: dict, between: Callable[[], object] = lambda: None) -> dict:
    """``build`` (as the server answered for it) once the server has finished it: its state asked
    for every 0.2 s, as the page follows a build (``between`` is called each time), for 5 minutes."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        state = client.get(build["url"], headers={"Accept": "application/json"}).json()
        if state["status"] not in ("queued", "running"):
            return state
        between()
        time.sleep(0.2)
    raise AssertionError(f"build {build['id']} did not finish")
