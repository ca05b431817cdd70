"""PDF through LibreOffice headless, and what the tool reads back from the PDF.

The template names the fonts of Chinese government publications (仿宋_GB2312, 方正小标宋简体 …),
which few machines have; each conversion runs with a private LibreOffice profile whose
replacement table maps them to CJK fonts that are installed, so no glyph goes missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

from .errors import OutputError
from .files import write_atomically

# Template font → installed fonts to try, best first (Linux families, then Windows ones).
FONT_CANDIDATES = {
    "仿宋_GB2312": ("FangSong", "仿宋", "Noto Serif CJK SC", "Source Han Serif SC", "AR PL UMing CN"),
    "楷体_GB2312": ("KaiTi", "楷体", "AR PL UKai CN", "Noto Serif CJK SC", "Source Han Serif SC"),
    "方正小标宋简体": ("SimSun", "宋体", "Noto Serif CJK SC", "Source Han Serif SC", "AR PL UMing CN"),
    "宋体": ("SimSun", "Noto Serif CJK SC", "Source Han Serif SC", "AR PL UMing CN"),
    "黑体": ("SimHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei"),
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


def convert(soffice: str, docx: Path, target: Path) -> Path:
    """Convert ``docx`` to the PDF ``target`` (written atomically)."""
    with tempfile.TemporaryDirectory(prefix="disclose-lo-") as work:
        work_dir = Path(work)
        _profile(work_dir / "profile", font_substitutions())
        source = work_dir / "report.docx"
        shutil.copyfile(docx, source)
        command = [soffice, f"-env:UserInstallation={(work_dir / 'profile').as_uri()}", "--headless",
                   "--norestore", "--convert-to", "pdf", "--outdir", str(work_dir), str(source)]
        try:
            subprocess.run(command, capture_output=True, timeout=300, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            raise OutputError(f"{docx}：LibreOffice 转换 PDF 失败：{exc}") from None
        produced = work_dir / "report.pdf"
        if not produced.exists():
            raise OutputError(f"{docx}：LibreOffice 没有生成 PDF（请检查 LibreOffice 能否正常启动，或在 Word/WPS 中另存为 PDF）")
        write_atomically(target, produced.read_bytes(), "PDF")
    return target


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
