"""docs/使用说明.md says what the tool really prints and which options it really has.

What the guide quotes — every line of a ```text block (what a command prints) and every message
in backticks in the first column of its table of messages — must be either printed verbatim by
one of the scenarios below (the guide's own examples, run for real on a copy of a sample), or be
mostly the literal wording of one message in generator/ (the rarer messages: full disk, password,
…). Change a message in the code and this test names the guide's line that no longer holds.
"""

from __future__ import annotations

import ast
import contextlib
import os
import re
import shlex
import shutil
from pathlib import Path

import click
import pytest
from docx import Document
from openpyxl import load_workbook

from generator import pdf as libreoffice
from generator import report
from generator.cli import main

from conftest import JINCHENG, ROOT, XINZHOU

GUIDE = ROOT / "docs" / "使用说明.md"
MESSAGE_TABLE = "## 六、常见提示及处理"
ELIDED = "…"  # the guide's mark for a file name or figure that differs from case to case
_CJK = re.compile(r"[\u3400-\u9fff]")


# ---- what the guide quotes ----------------------------------------------------------------

def _text() -> str:
    return GUIDE.read_text(encoding="utf-8")


def _fenced(text: str) -> list[tuple[str, list[str]]]:
    """(info string, lines) of every fenced block."""
    return [(m.group(1).strip(), m.group(2).splitlines())
            for m in re.finditer(r"^```([^\n]*)\n(.*?)^```", text, re.DOTALL | re.MULTILINE)]


def printed_lines() -> list[str]:
    return [line.strip() for info, lines in _fenced(_text()) if info == "text" for line in lines if line.strip()]


def table_messages() -> list[str]:
    section = _text().split(MESSAGE_TABLE, 1)[1].split("\n## ", 1)[0]
    found = []
    for line in section.splitlines():
        if line.startswith("|") and not set(line) <= set("|-: "):
            first = line.strip("|").split("|")[0]
            found += re.findall(r"`([^`]+)`", first)
    return found


def commands() -> list[str]:
    """Every `disclose …` the guide tells the clerk to type, in code blocks and inline code."""
    text = _text()
    lines = [line.strip() for info, block in _fenced(text) if info != "text" for line in block]
    lines += re.findall(r"`([^`\n]+)`", re.sub(r"^```.*?^```", "", text, flags=re.DOTALL | re.MULTILINE))
    return [line.split("#")[0].strip() for line in lines if line.startswith("disclose")]


def bare_options() -> list[str]:
    return re.findall(r"`(--?[A-Za-z][\w-]*)`", _text())


# ---- what the tool prints: the guide's examples, for real -----------------------------------

def _label_cell(ws, label: str):
    """The cell right of ``label`` (a 情况说明 label)."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == label:
                return ws.cell(cell.row, cell.column + 1)
    raise AssertionError(label)


def _row_of(ws, first: str) -> int:
    return next(r for r in range(1, ws.max_row + 1) if str(ws.cell(r, 1).value) == first)


def _column_of(ws, header: str) -> int:
    return next(c for row in ws.iter_rows(max_row=8) for c in range(1, len(row) + 1)
                if row[c - 1].value == header)


def _changed(source: Path, target: Path, change) -> Path:
    wb = load_workbook(source)
    change(wb)
    wb.save(target)
    return target


def _t05(change):
    def apply(wb):
        ws = wb["公开05表"]
        change(ws, _column_of(ws, "小计"), _column_of(ws, "基本支出"))
    return apply


# Each: file name, what is changed in a copy of the 晋城 sample (as the guide describes it).
CHANGES = {
    "合计填错.xlsx": _t05(lambda ws, total, basic: ws.cell(_row_of(ws, "合计"), total).__setattr__(
        "value", ws.cell(_row_of(ws, "合计"), total).value - 100)),
    "有错.xlsx": _t05(lambda ws, total, basic: ws.cell(_row_of(ws, "2080101"), basic).__setattr__(
        "value", ws.cell(_row_of(ws, "2080101"), basic).value + 100)),
    "不可读.xlsx": _t05(lambda ws, total, basic: ws.cell(_row_of(ws, "2080101"), total).__setattr__("value", "12万")),
    "编码重复.xlsx": _t05(lambda ws, total, basic: ws.cell(_row_of(ws, "2080102"), 1).__setattr__("value", "2080101")),
    "编码带名称.xlsx": _t05(lambda ws, total, basic: ws.cell(_row_of(ws, "2080102"), 1).__setattr__(
        "value", "2080102 一般行政管理事务")),
    "无编码.xlsx": _t05(lambda ws, total, basic: ws.cell(_row_of(ws, "2080102"), 1).__setattr__("value", None)),
    "缺上年数.xlsx": lambda wb: setattr(_label_cell(wb["情况说明"], "上年机关运行经费"), "value", None),
    "团组数.xlsx": lambda wb: setattr(_label_cell(wb["情况说明"], "出国团组数"), "value", 1.5),
    "编码不对.xlsx": lambda wb: setattr(wb["公开06表"].cell(_row_of(wb["公开06表"], "30101"), 1), "value", "30150"),
    "缺表.xlsx": lambda wb: wb.remove(wb["公开06表"]),
    "隐藏.xlsx": lambda wb: setattr(wb["情况说明"], "sheet_state", "hidden"),
    "万元.xlsx": lambda wb: setattr(_label_cell(wb["情况说明"], "上年收入总计"), "value", 11890.65),
    "合并.xlsx": lambda wb: wb["公开02表"].merge_cells("B10:B11"),
    "无整体得分.xlsx": lambda wb: setattr(_label_cell(wb["情况说明"], "整体自评得分"), "value", None),
}


@contextlib.contextmanager
def _inside(folder: Path):
    """Run in ``folder``, as a clerk runs the guide's commands in theirs (click's own
    isolated_filesystem is deprecated from click 8.5)."""
    previous = os.getcwd()
    os.chdir(folder)
    try:
        yield folder
    finally:
        os.chdir(previous)


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> set[str]:
    """Every line the guide's examples print, run as the guide runs them."""
    from click.testing import CliRunner

    work = tmp_path_factory.mktemp("guide")
    runner = CliRunner()
    out: list[str] = []
    monkeypatch = pytest.MonkeyPatch()
    with _inside(work):
        here = Path.cwd()

        def run(*args: str) -> None:
            result = runner.invoke(main, list(args))
            assert result.exception is None or isinstance(result.exception, SystemExit), result.output
            out.extend(result.output.splitlines())

        shutil.copy(JINCHENG, here / "晋城2022.xlsx")
        for name, change in CHANGES.items():
            _changed(JINCHENG, here / name, change)
        (here / "文本.xlsx").write_text("单位名称,年度\n", encoding="utf-8")

        run("init")
        run("check", "决算公开工作簿.xlsx")
        # The command-line slips the guide's table describes.
        run("check", "不在这里.xlsx")
        run("check", ".")
        run("check")
        run("build", "晋城2022.xlsx", "--pfd")
        run("chek", "晋城2022.xlsx")
        run("check", "晋城2022.xlsx", "文本.xlsx")
        run("init", "--from", "晋城2022.xlsx")
        run("init", "--from", "晋城2022.xlsx")
        run("check", "晋城市人力资源和社会保障局2023年度决算公开工作簿.xlsx")
        for name in ("晋城2022.xlsx", *CHANGES, "文本.xlsx"):
            run("check", name)
        run("build", "晋城2022.xlsx", "-o", "报告")
        run("build", "晋城2022.xlsx", "-o", "报告")
        run("build", "合计填错.xlsx", "-o", "报告")
        run("build", "合计填错.xlsx", "-o", "报告", "--force")
        run("build", "晋城2022.xlsx", "-o", "报告", "--strict")
        run("build", "合计填错.xlsx", "-o", "报告", "--review")
        run("build", "晋城2022.xlsx", "-o", "报告", "--review")
        shutil.copy("晋城2022.xlsx", "原样.xlsx")
        _changed(here / "原样.xlsx", here / "晋城2022.xlsx",
                 lambda wb: setattr(_label_cell(wb["情况说明"], "上年收入总计"), "value", 110000000))
        run("build", "晋城2022.xlsx", "-o", "报告")
        shutil.copy("原样.xlsx", "晋城2022.xlsx")
        built = here / "报告" / "晋城市人力资源和社会保障局2022年度单位决算公开.docx"
        document = Document(str(built))
        document.add_paragraph("手工加的一段")
        document.save(str(built))
        run("build", "晋城2022.xlsx", "-o", "报告")
        run("build", "晋城2022.xlsx", "-o", "报告", "--overwrite")
        # --pdf without LibreOffice, and with a stand-in for it: the lines are the tool's own.
        monkeypatch.setattr(libreoffice, "find_soffice", lambda *_: None)
        run("build", "晋城2022.xlsx", "-o", "报告", "--pdf")
        monkeypatch.setattr(libreoffice, "find_soffice", lambda *_: "soffice")
        monkeypatch.setattr(libreoffice, "uno_python", lambda _: None)
        monkeypatch.setattr(report, "_with_page_numbers",
                            lambda office, context, docx, pdf, *_: Path(pdf).write_bytes(b"%PDF-1.7\n"))
        run("build", "晋城2022.xlsx", "-o", "报告", "--pdf")
        monkeypatch.undo()
        run("build", "晋城2022.xlsx", "-o", "报告")
        folder = here / "各单位"
        folder.mkdir()
        shutil.copy(JINCHENG, folder / "晋城.xlsx")
        shutil.copy(XINZHOU, folder / "忻州.xlsx")
        shutil.copy("有错.xlsx", folder / "有错.xlsx")
        shutil.copy("不可读.xlsx", folder / "不可读.xlsx")
        run("build", "各单位", "-o", "批量报告", "-j", "2")
    return {_stable(line.strip()) for line in out}


def _stable(line: str) -> str:
    """A backup's name carries the time of the build."""
    return re.sub(r"手工修改备份-\d{8}-\d{6}", "手工修改备份-…", line)


# ---- the code's own wording -----------------------------------------------------------------

_STAR = None  # a placeholder of the code, or an elision of the guide: any text


def _tokens(parts) -> tuple:
    """Literal strings and placeholders as one token per character, _STAR for a placeholder."""
    return tuple(ch for part in parts for ch in (part if isinstance(part, str) else [_STAR]))


def _templates() -> list[tuple[tuple, int]]:
    """Every string and f-string of generator/ as tokens, with the number of CJK characters it
    spells out itself."""
    found = []
    for path in sorted((ROOT / "generator").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                parts = [v.value if isinstance(v, ast.Constant) else _STAR for v in node.values]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                parts = [node.value]
            else:
                continue
            literal = "".join(p for p in parts if p)
            if _CJK.search(literal):
                found.append((_tokens(parts), len(_CJK.findall(literal))))
    return found


TEMPLATES = _templates()


def _meet(a: tuple, b: tuple) -> bool:
    """Some text fits both patterns (each a token sequence where _STAR is any text)."""
    # fits[i][j]: a[i:] and b[j:] can spell the same text; filled from the ends backwards.
    fits = [[False] * (len(b) + 1) for _ in range(len(a) + 1)]
    fits[len(a)][len(b)] = True
    for i in range(len(a), -1, -1):
        for j in range(len(b), -1, -1):
            if i == len(a) and j == len(b):
                continue
            if i < len(a) and a[i] is _STAR:
                fits[i][j] = fits[i + 1][j] or (j < len(b) and fits[i][j + 1])
            elif j < len(b) and b[j] is _STAR:
                fits[i][j] = fits[i][j + 1] or (i < len(a) and fits[i + 1][j])
            else:
                fits[i][j] = i < len(a) and j < len(b) and a[i] == b[j] and fits[i + 1][j + 1]
    return fits[0][0]


def _in_code(message: str) -> bool:
    """The message fits one message of generator/ that spells out most of its Chinese itself."""
    wanted = len(_CJK.findall(message.replace(ELIDED, "")))
    pieces = message.split(ELIDED)
    quoted = _tokens([p for piece in pieces for p in (piece, _STAR)][:-1])
    return any(own >= 0.6 * wanted and _meet(quoted, tokens) for tokens, own in TEMPLATES)


def _holds(message: str, printed: set[str]) -> bool:
    message = message.strip()
    bare = message.removeprefix("错误：")
    if ELIDED not in message:
        return message in printed or any(line.endswith(bare) for line in printed) or _in_code(bare)
    pattern = re.compile(".*?".join(map(re.escape, bare.split(ELIDED))))
    return any(pattern.fullmatch(line.removeprefix("错误：")) for line in printed) or _in_code(bare)


def test_the_guide_quotes_output_and_messages():
    assert len(printed_lines()) >= 20 and len(table_messages()) >= 20  # the markup is still found


def test_every_printed_line_the_guide_quotes_is_printed(printed):
    wrong = [line for line in printed_lines() if not _holds(line, printed)]
    assert not wrong, "docs/使用说明.md quotes output the tool does not print:\n" + "\n".join(wrong)


def test_every_message_in_the_table_is_the_tool_s(printed):
    wrong = [m for m in table_messages() if not _holds(m, printed)]
    assert not wrong, "docs/使用说明.md's message table quotes messages the tool does not have:\n" + "\n".join(wrong)


def test_a_changed_message_is_caught(printed):
    line = next(m for m in table_messages() if "应为金额（数字）" in m)
    assert _holds(line, printed)
    assert not _holds(line.replace("应为金额（数字）", "应为数字金额"), printed)


# ---- options --------------------------------------------------------------------------------

def _options(command: click.Command) -> set[str]:
    ctx = click.Context(command)
    return {opt for param in command.get_params(ctx) if isinstance(param, click.Option)
            for opt in (*param.opts, *param.secondary_opts)}


def test_every_command_the_guide_gives_exists():
    assert len(commands()) >= 10
    for line in commands():
        words = shlex.split(line.replace("\\", "/"))[1:]
        options = set(_options(main))
        while words and words[0].startswith("-"):
            assert words.pop(0) in options, line
        if not words:
            continue
        assert words[0] in main.commands, line
        options |= _options(main.commands[words[0]])
        for word in words[1:]:
            if word.startswith("-"):
                assert word.split("=")[0] in options, f"{line}: {word}"


def test_every_option_the_guide_names_exists():
    every = _options(main).union(*(_options(c) for c in main.commands.values()))
    named = bare_options()
    assert {"--pdf", "--overwrite", "--force", "-j", "--from"} <= set(named)
    assert not set(named) - every


def test_the_font_table_names_every_font_the_pdf_may_use():
    text = _text()
    missing = [name for font, candidates in libreoffice.FONT_CANDIDATES.items() for name in (font, *candidates)
               if name not in text]
    assert not missing
