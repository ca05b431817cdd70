"""PDF through LibreOffice headless, and what the tool reads back from the PDF.

The template names the fonts of Chinese government publications (仿宋_GB2312, 方正小标宋简体 …),
which few machines have; each conversion runs with a private LibreOffice profile whose
replacement table maps them to CJK fonts that are installed, so no glyph goes missing.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlparse
from xml.sax.saxutils import escape

from .errors import OutputError
from .files import STALE_SECONDS, WORK_PREFIX, os_problem, work_folder, write_atomically

# Template font → installed fonts to try, best first (Windows names, then Linux families). Each
# face keeps its own look (黑体 a sans, 楷体 a brush face), and only Simplified Chinese faces are
# named, so that no fallback draws Japanese or Traditional forms.
FONT_CANDIDATES = {
    "方正小标宋简体": ("SimSun", "Noto Serif CJK SC", "Source Han Serif SC", "AR PL SungtiL GB"),
    "宋体": ("SimSun", "Noto Serif CJK SC", "Source Han Serif SC", "AR PL SungtiL GB"),
    "黑体": ("SimHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei"),
    "楷体_GB2312": ("KaiTi", "楷体", "AR PL KaitiM GB", "AR PL UKai CN"),
    # No free 仿宋 is packaged; a Song face of the same build is closest in weight and width.
    "仿宋_GB2312": ("FangSong", "仿宋", "Noto Serif CJK SC", "Source Han Serif SC",
                  "AR PL SungtiL GB"),
    # Figures are set in Times New Roman; Liberation Serif has the same widths.
    "Times New Roman": ("Liberation Serif", "Tinos", "DejaVu Serif"),
}
_WINDOWS_SOFFICE = (r"C:\Program Files\LibreOffice\program\soffice.exe",
                    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe")
_FOOTER = re.compile(r"-\s*(\d+)\s*-")


def find_soffice() -> str | None:
    """LibreOffice's ``soffice``, or None when it is not installed."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return next((p for p in _WINDOWS_SOFFICE if os.path.exists(p)), None)


def _installed_families() -> set[str]:
    try:
        out = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    return {name.strip() for line in out.splitlines() for name in line.split(",")}


def font_substitutions(installed: set[str] | None = None) -> dict[str, str]:
    """Template font → the installed font LibreOffice should use instead."""
    installed = _installed_families() if installed is None else installed
    chosen = {}
    for font, candidates in FONT_CANDIDATES.items():
        if font in installed:
            continue
        pick = next((c for c in candidates if c in installed), None)
        if pick is None and not installed:  # no fontconfig (Windows): its own font names
            pick = candidates[0]
        if pick:
            chosen[font] = pick
    return chosen


def _profile(directory: Path, substitutions: dict[str, str]) -> None:
    pairs = "".join(
        f'<item oor:path="/org.openoffice.Office.Common/Font/Substitution/FontPairs">'
        f'<node oor:name="_{i}" oor:op="replace">'
        f'<prop oor:name="Always" oor:op="fuse"><value>true</value></prop>'
        f'<prop oor:name="OnScreenOnly" oor:op="fuse"><value>false</value></prop>'
        f'<prop oor:name="ReplaceFont" oor:op="fuse"><value>{escape(src)}</value></prop>'
        f'<prop oor:name="SubstituteFont" oor:op="fuse"><value>{escape(dst)}</value></prop>'
        f"</node></item>"
        for i, (src, dst) in enumerate(substitutions.items()))
    user = directory / "user"
    user.mkdir(parents=True)
    (user / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<item oor:path="/org.openoffice.Office.Common/Font/Substitution">'
        '<prop oor:name="Replacement" oor:op="fuse"><value>true</value></prop></item>'
        f"{pairs}</oor:items>\n", encoding="utf-8")


TIMEOUT = 300  # seconds one conversion may take before LibreOffice is stopped
_MARKER = "-env:UserInstallation="
_DATE = re.compile(rb"/(?:CreationDate|ModDate)\s*\(D:(\d{14})")
_IDENTITY = re.compile(rb"/ID\s*\[\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*\]|/DocChecksum\s*/([0-9A-Fa-f]+)")


def convert(soffice: str, docx: Path, target: Path, dated: datetime | None = None) -> Path:
    """Convert ``docx`` to the PDF ``target`` (written atomically); with ``dated``, the PDF
    carries that date and is byte-for-byte the same for the same ``docx``."""
    with work_folder("lo-") as work_dir:
        _profile(work_dir / "profile", font_substitutions())
        source = work_dir / "report.docx"
        shutil.copyfile(docx, source)
        command = [soffice, f"{_MARKER}{(work_dir / 'profile').as_uri()}", "--headless",
                   "--norestore", "--convert-to", "pdf", "--outdir", str(work_dir), str(source)]
        try:
            _run(command)
        except subprocess.TimeoutExpired:
            raise OutputError(f"{docx}：LibreOffice 转换 PDF 超过 {TIMEOUT} 秒仍未完成，已停止；"
                              "请检查 LibreOffice 能否正常启动，或在 Word/WPS 中另存为 PDF") from None
        except OSError as exc:
            raise OutputError(f"{docx}：LibreOffice 无法启动：{os_problem(exc)}") from None
        produced = work_dir / "report.pdf"
        if not produced.exists():
            raise OutputError(f"{docx}：LibreOffice 没有生成 PDF（请检查 LibreOffice 能否正常启动，或在 Word/WPS 中另存为 PDF）")
        data = produced.read_bytes()
        write_atomically(target, data if dated is None else stable_pdf(data, dated), "PDF")
    return target


def _run(command: list[str]) -> None:
    """LibreOffice in a process group of its own (``soffice`` starts ``soffice.bin`` and helpers),
    stopped as a whole when the conversion ends, times out, fails or is interrupted (Ctrl+C)."""
    if os.name == "nt":
        options = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    else:
        options = {"start_new_session": True}
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, **options)
    try:
        process.wait(timeout=TIMEOUT)
    finally:
        _stop_group(process.pid)
        process.wait()


def _stop_group(pid: int) -> None:
    if os.name == "nt":
        subprocess.run(["taskkill", "/F", "/T", "/PID", str(pid)], capture_output=True, check=False)
        return
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group has already ended


def stop_orphans() -> None:
    """Stop the LibreOffice processes a killed run left behind: those whose private profile is
    one of our work folders that is gone or stale (a live conversion never is). Linux only: other
    systems have no /proc to find them by."""
    proc = Path("/proc")
    if not proc.is_dir() or not hasattr(os, "getuid"):
        return
    cutoff = time.time() - STALE_SECONDS
    prefix = f"{_MARKER}{Path(tempfile.gettempdir()).as_uri()}/{WORK_PREFIX}lo-"
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != os.getuid():
                continue
            arguments = (entry / "cmdline").read_bytes().decode("utf-8", "replace").split("\0")
        except OSError:
            continue
        profile = next((a[len(_MARKER):] for a in arguments if a.startswith(prefix)), None)
        if profile is None:
            continue
        folder = Path(unquote(urlparse(profile).path)).parent
        try:
            if folder.stat().st_mtime > cutoff:
                continue
        except OSError:
            pass  # its folder is gone: the run that made it is over
        try:
            os.kill(int(entry.name), signal.SIGKILL)
        except OSError:
            continue


def stable_pdf(data: bytes, dated: datetime) -> bytes:
    """The PDF with its dates set to ``dated`` and its file identifier (and LibreOffice's
    /DocChecksum) derived from its content instead of the clock. Replacements keep every byte
    offset, so the cross-reference table stays valid."""
    stamp = dated.strftime("%Y%m%d%H%M%S").encode()
    data = _DATE.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + stamp, data)
    digest = hashlib.md5(_IDENTITY.sub(b"", data), usedforsecurity=False).hexdigest().upper().encode()

    def fixed(m: re.Match) -> bytes:
        text = m.group(0)
        for group in (1, 2, 3):
            if m.group(group):
                start, end = m.start(group) - m.start(0), m.end(group) - m.start(0)
                text = text[:start] + (digest * 2)[: end - start] + text[end:]
        return text

    return _IDENTITY.sub(fixed, data)


def page_texts(pdf: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(str(pdf)).pages]


def printed_number(text: str) -> int | None:
    """The ``- N -`` page number printed in a page's footer."""
    found = _FOOTER.findall(text)
    return int(found[-1]) if found else None


def _letters(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


def heading_pages(headings: list[str], pages: list[str]) -> list[int | None]:
    """The printed page number of each heading, found in order on the numbered pages."""
    # Letters and digits only: PDF text extraction varies on spaces, quotes and brackets.
    squeezed = [_letters(text) for text in pages]
    numbers = [printed_number(text) for text in pages]
    result: list[int | None] = []
    index = next((i for i, n in enumerate(numbers) if n is not None), len(pages))
    for heading in headings:
        want = _letters(heading)
        found = next((i for i in range(index, len(pages)) if want in squeezed[i]), None)
        if found is None:
            result.append(None)
            continue
        index = found
        result.append(numbers[found])
    return result
