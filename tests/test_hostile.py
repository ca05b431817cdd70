"""Issue #20: nothing a workbook or an output folder holds crashes the tool, hangs it, prints a
wrong figure silently, or deletes a user's file. Each test runs the CLI as a clerk does and checks
the exit code, the line the clerk reads, and the files present and absent afterwards."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import JINCHENG, ROOT, XINZHOU
from generator.cli import main

PYTHON = sys.executable


def _disclose(*args: str, cwd: Path | None = None, timeout: int = 120, env: dict | None = None):
    """The CLI in a process of its own: a native abort must not take the test run with it."""
    return subprocess.run([PYTHON, "-m", "generator", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, env={**os.environ, **(env or {})})


def _with_sheet_xml(change, member: str = "xl/worksheets/sheet4.xml", source: Path = JINCHENG) -> bytes:
    """The sample .xlsx with one sheet's XML changed (公开02表 by default)."""
    out = io.BytesIO()
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info.filename, change(data) if info.filename == member else data)
    return out.getvalue()


def _far(cell: bytes):
    return lambda xml: xml.replace(b"</sheetData>", b'<row r="3">' + cell + b"</row></sheetData>")


# ---- 1. a far cell, however it is spelled ------------------------------------------------------

FAR_SPELLINGS = {
    "single quotes": b"<c r='XFD1048576' t='n'><v>1</v></c>",
    "blanks around =": b'<c r = "XFD1048576" t = "n"><v>1</v></c>',
    "lower case": b'<c r="xfd1048576"><v>1</v></c>',
    "tab before r": b'<c\tr="XFD1048576"><v>1</v></c>',
    "repeated r": b'<c r="A3" r="XFD1048576"><v>1</v></c>',
    "far row, no r on the cell": b"</row><row r='1048576'><c><v>1</v></c>",
    "inline string": b"<c r='XFD3' t='inlineStr'><is><t>x</t></is></c>",
}


@pytest.mark.parametrize("spelling", FAR_SPELLINGS, ids=list(FAR_SPELLINGS))
def test_a_far_cell_is_refused_whatever_its_spelling(tmp_path, spelling):
    path = tmp_path / "工作簿.xlsx"
    path.write_bytes(_with_sheet_xml(_far(FAR_SPELLINGS[spelling])))
    checked = _disclose("check", str(path), "--format", "json")
    assert checked.returncode == 2, checked.stderr[-500:]
    answer = json.loads(checked.stdout)
    assert answer["exit_code"] == 2
    assert re.search(r"公开02表!\w+：这个单元格超出了决算工作簿的范围|“公开02表”的内容有误（XML 第 \d+ 行），文件可能已损坏", answer["error"])
    built = _disclose("build", str(path), "-o", str(tmp_path / "out"))
    assert built.returncode == 2 and built.stderr.startswith("错误：") and built.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.docx"))


def test_a_far_cell_in_an_ods_spelled_with_other_prefixes_is_refused(tmp_path):
    """The .ods is parsed by namespace: a writer's own prefixes do not hide a repeat count."""
    from test_bad_input import _saved

    def change(xml: bytes) -> bytes:
        return xml.replace(b"</table:table>", b"<table:table-row xmlns:t='urn:oasis:names:tc:opendocument:xmlns:table:1.0' "
                           b"t:number-rows-repeated = '1048000'><t:table-cell office:value-type='float' office:value='1' "
                           b"t:number-columns-repeated='16000'/></table:table-row></table:table>", 1)

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_saved("ods"))) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info, change(data) if info.filename == "content.xml" else data)
    path = tmp_path / "工作簿.ods"
    path.write_bytes(out.getvalue())
    checked = _disclose("check", str(path))
    assert checked.returncode == 2 and "这个单元格超出了决算工作簿的范围" in checked.stderr


# ---- 2. a workbook that kills its worker does not take the batch down --------------------------

def _batch(tmp_path: Path, names: dict[str, Path]) -> Path:
    folder = tmp_path / "各单位"
    folder.mkdir()
    for name, sample in names.items():
        shutil.copy(sample, folder / name)
    return folder


def _dies_on(name: str, real):
    def dying(path, *args, **kwargs):
        if Path(path).name == name:
            os.abort()  # what a native abort in the reader looks like to the batch
        return real(path, *args, **kwargs)

    return dying


@pytest.mark.skipif(sys.platform != "linux", reason="the abort is injected into forked workers")
@pytest.mark.parametrize("stage", ["reading the name", "building"])
def test_a_workbook_that_kills_its_worker_fails_alone(runner, tmp_path, monkeypatch, stage):
    import generator.batch as batch
    import generator.report as report

    if stage == "building":
        monkeypatch.setattr(report, "read_workbook", _dies_on("b.xlsx", report.read_workbook))
    else:
        monkeypatch.setattr(batch, "read_unit", _dies_on("b.xlsx", batch.read_unit))
    folder = _batch(tmp_path, {"a.xlsx": JINCHENG, "b.xlsx": XINZHOU, "c.xlsx": XINZHOU, "d.xlsx": XINZHOU})
    out = tmp_path / "out"
    result = runner.invoke(main, ["build", str(folder), "-o", str(out), "-j", "2"])
    assert result.exit_code == 2, result.output
    rows = result.output.splitlines()
    dead = next(line for line in rows if "b.xlsx" in line)
    assert "程序异常退出" in dead and "其他工作簿不受影响" in dead
    assert "BrokenProcessPool" not in result.output
    assert len(list(out.glob("*.docx"))) == 3
    assert rows[-1] == "共 4 个工作簿：3 个已生成，1 个失败。"


# ---- 3. only what the tool made is ever removed ----------------------------------------------

def test_a_build_never_removes_a_users_folders_or_files_named_like_the_tools(tmp_path):
    """The user's own disclose-0.1.0/ source folder and .disclose-notes.txt, hours old, stay."""
    system_tmp = tmp_path / "tmp"
    out = tmp_path / "out"
    out.mkdir()
    mine = [system_tmp / "disclose-0.1.0" / "setup.py", system_tmp / "disclose-reports" / "2022.docx",
            out / ".disclose-notes.txt", out / ".disclose-0123456789abcdef-01234567.docx"]
    old = time.time() - 24 * 3600
    for path in mine:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("mine")
        os.utime(path, (old, old))
        os.utime(path.parent, (old, old))
    built = _disclose("build", str(XINZHOU), "-o", str(out), env={"TMPDIR": str(system_tmp)})
    assert built.returncode == 0, built.stderr
    assert all(path.read_text() == "mine" for path in mine)


# ---- helpers for the items below ---------------------------------------------------------------

def _edited(tmp_path: Path, change, sample: Path = JINCHENG, name: str = "工作簿.xlsx") -> Path:
    """A copy of a sample changed with openpyxl."""
    from openpyxl import load_workbook

    path = tmp_path / name
    wb = load_workbook(sample)
    change(wb)
    wb.save(path)
    return path


def _member_of(path: Path, title: str) -> str:
    """The archive member holding sheet ``title`` (openpyxl numbers them in workbook order)."""
    from openpyxl import load_workbook

    return f"xl/worksheets/sheet{load_workbook(path, read_only=True).sheetnames.index(title) + 1}.xml"


def _raw_cell(path: Path, title: str, ref: str, cell: bytes) -> None:
    """Replace cell ``ref`` of sheet ``title`` by raw XML (what openpyxl cannot write)."""
    member = _member_of(path, title)
    pattern = re.compile(rb'<c r="' + ref.encode() + rb'"(?:[^>]*/>|[^>]*>.*?</c>)', re.DOTALL)

    def change(xml: bytes) -> bytes:
        assert pattern.search(xml), ref
        return pattern.sub(lambda m: cell, xml, count=1)

    path.write_bytes(_with_sheet_xml(change, member, path))


def _ref_of(sample: Path, label: str) -> str:
    """The 情况说明 cell of an input, by its label (sheet!cell)."""
    from generator.catalog import load_format
    from generator.reader import read_workbook

    return read_workbook(str(sample), load_format("shanxi")).inputs[label].ref


def _set(ref: str, value, number_format: str | None = None):
    def change(wb):
        sheet, cell = ref.split("!")
        wb[sheet][cell].value = value
        if number_format:
            wb[sheet][cell].number_format = number_format

    return change


def _one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    assert result.output.startswith("错误：") and result.output.count("\n") == 1, result.output
    return result.output


# ---- 4. a sheet the report does not read is not walked ----------------------------------------

def _with_extra_sheet(source: Path, title: str, sheet_xml: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b"</sheets>", f'<sheet name="{title}" sheetId="999" r:id="rIdBig" '
                                    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"/>'
                                    "</sheets>".encode())
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdBig" Type="http://schemas.openxmlformats.org/'
                                    b'officeDocument/2006/relationships/worksheet" Target="worksheets/big.xml"/></Relationships>')
            elif info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/worksheets/big.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
            dst.writestr(info.filename, data)
        dst.writestr("xl/worksheets/big.xml", sheet_xml)
    return out.getvalue()


def test_a_big_helper_sheet_is_not_walked(runner, tmp_path):
    """A 10 MB ledger sheet the report never reads — with a far cell in it that would be refused
    if it were read — leaves the build as it is without it."""
    import random

    rnd = random.Random(20)
    rows = "".join(f'<row r="{r}">' + "".join(f'<c r="{c}{r}"><v>{rnd.randint(0, 10**9) / 100}</v></c>' for c in "ABCDEFGHIJ")
                   + "</row>" for r in range(1, 30_001))
    sheet = ('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f"<sheetData>{rows}<row r='1048576'><c r='XFD1048576'><v>1</v></c></row></sheetData></worksheet>").encode()
    assert len(sheet) > 8 * 2**20
    path = tmp_path / "工作簿.xlsx"
    path.write_bytes(_with_extra_sheet(JINCHENG, "明细账", sheet))
    result = runner.invoke(main, ["build", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "out").glob("*.docx"))) == 1


def test_too_many_cells_in_the_sheets_read_is_one_line(runner, tmp_path):
    from generator.loader import MAX_CELLS

    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>1</v></c><c r="CV{r}"><v>2</v></c></row>' for r in range(1, 20_001))
    sheet = ('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f"<sheetData>{rows}</sheetData></worksheet>").encode()
    path = tmp_path / "工作簿.xlsx"
    path.write_bytes(_with_sheet_xml(lambda xml: sheet, _member_of(JINCHENG, "名词解释")))
    assert MAX_CELLS < 2 * 20_000 * 100  # two such sheets would be over
    path.write_bytes(_with_sheet_xml(lambda xml: sheet, _member_of(JINCHENG, "项目综述"), path))
    line = _one_error_line(runner.invoke(main, ["check", str(path)]))
    assert f"各工作表合计超过 {MAX_CELLS // 10_000} 万个单元格" in line


# ---- 5. Excel error values are not blanks ------------------------------------------------------

@pytest.mark.parametrize("cell", [b'<c r="D12" t="e"><v>#DIV/0!</v></c>',
                                  b"<c r='D12' t='e'><f>C12/0</f><v>#DIV/0!</v></c>"], ids=["typed", "formula"])
def test_an_error_value_in_a_table_names_its_cell(runner, tmp_path, cell):
    path = tmp_path / "工作簿.xlsx"
    shutil.copy(JINCHENG, path)
    _raw_cell(path, "公开05表", "D12", cell)
    line = _one_error_line(runner.invoke(main, ["build", str(path), "-o", str(tmp_path / "out")]))
    assert "公开05表!D12：这一格是 Excel 的错误值 #DIV/0!" in line
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.docx"))


@pytest.mark.parametrize("error", ["#N/A", "#REF!", "#VALUE!"])
def test_an_error_value_in_a_count_is_not_read_as_zero(runner, tmp_path, error):
    ref = _ref_of(JINCHENG, "国内接待批次")
    path = _edited(tmp_path, _set(ref, error))  # openpyxl writes an error code as an error value
    line = _one_error_line(runner.invoke(main, ["check", str(path)]))
    assert f"{ref}：这一格是 Excel 的错误值 {error}" in line


def test_a_blank_count_is_a_warning_not_a_silent_zero(runner, tmp_path):
    ref = _ref_of(JINCHENG, "国内接待批次")
    path = _edited(tmp_path, _set(ref, None))
    result = runner.invoke(main, ["check", str(path)])
    assert "警告 个数未填写：“国内接待批次”未填写" in result.output and ref in result.output


# ---- 6. characters XML cannot carry ------------------------------------------------------------

def test_control_characters_in_any_text_pass_check_build_and_init_alike(runner, tmp_path, monkeypatch):
    """Word's manual line break (a vertical tab) in 单位名称, ESC and a form feed in 概况: Excel
    stores them as _x000B_; check, build and init all take them, and what they write is valid."""
    from docx import Document
    from openpyxl import load_workbook

    def mark(wb):
        wb["单位信息"]["B3"].value = "晋城市人力资源VTAB和社会保障局"
        for row in wb["概况"].iter_rows():
            for c in row:
                if isinstance(c.value, str) and len(c.value) > 20:
                    c.value = "ESCAPE" + c.value + "FORMFEED"
                    return

    path = _edited(tmp_path, mark)
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/sharedStrings.xml":
                data = data.replace(b"VTAB", b"_x000B_").replace(b"ESCAPE", b"_x001B_[2J").replace(b"FORMFEED", b"_x000C_")
            dst.writestr(info, data)
    path.write_bytes(out.getvalue())
    checked = runner.invoke(main, ["check", str(path)])
    assert checked.exit_code == 0, checked.output
    built = runner.invoke(main, ["build", str(path), "-o", str(tmp_path / "out")])
    assert built.exit_code == 0, built.output
    [report] = (tmp_path / "out").glob("*.docx")
    text = "\n".join(p.text for p in Document(str(report)).paragraphs)
    assert "晋城市人力资源" in text and "\x0b" not in text and "\x1b" not in text and "\x0c" not in text
    monkeypatch.chdir(tmp_path)
    made = runner.invoke(main, ["init", "--from", str(path), "下年.xlsx"])
    assert made.exit_code == 0, made.output
    assert "晋城市人力资源" in load_workbook(tmp_path / "下年.xlsx")["单位信息"]["B3"].value


# ---- 7. a damaged record of the previous build ------------------------------------------------

@pytest.mark.parametrize("record", ['{"version": 1, "figures": [1, 2], "narrative": {}}',
                                    '{"version": 1, "figures": {"a": 1}, "narrative": {"x": "y"}, "pdf": 3}',
                                    "[" * 100_000, "not json"], ids=["list", "types", "deep", "text"])
def test_a_damaged_record_is_set_aside_with_one_line(runner, tmp_path, record):
    out = tmp_path / "out"
    assert runner.invoke(main, ["build", str(XINZHOU), "-o", str(out)]).exit_code == 0
    [kept] = out.glob(".*.figures.json")
    kept.write_text(record, encoding="utf-8")
    again = runner.invoke(main, ["build", str(XINZHOU), "-o", str(out)])
    assert again.exit_code == 0, again.output
    assert f"上次生成的数字记录 {kept} 已损坏" in again.output
    assert isinstance(json.loads(kept.read_text(encoding="utf-8"))["figures"], dict)  # replaced by a good one


# ---- 8. report names alike but for letter case --------------------------------------------------

def test_batch_report_names_differing_only_in_case_stay_apart(runner, tmp_path):
    folder = tmp_path / "各单位"
    folder.mkdir()
    for name in ("ABC人社局", "abc人社局", "Abc人社局"):
        _edited(folder, _set("单位信息!B3", name), XINZHOU, f"{name}.xlsx")
    out = tmp_path / "out"
    result = runner.invoke(main, ["build", str(folder), "-o", str(out), "-j", "2"])
    assert result.exit_code == 0, result.output
    names = [p.name for p in out.glob("*.docx")]
    assert len(names) == 3 and len({n.casefold() for n in names}) == 3


# ---- 9. 年度 ----------------------------------------------------------------------------------

@pytest.mark.parametrize("year", [0, -1, 20222, 99999, 2022.5, 1e300, "２０２２年"])
def test_a_year_out_of_range_or_not_whole_is_one_line(runner, tmp_path, year):
    path = _edited(tmp_path, _set("单位信息!B4", year))
    line = _one_error_line(runner.invoke(main, ["build", str(path), "--force", "-o", str(tmp_path / "out")]))
    assert "单位信息!B4：应为年度（1990–2100 之间的四位整数，如 2022）" in line


# ---- 10. bounded figures, shares within 100% -------------------------------------------------------

@pytest.mark.parametrize("value", [b"1E+300", b"1E+27", b"inf", b"-INF", b"NaN"])
def test_a_huge_percentage_is_unreadable_not_a_crash(runner, tmp_path, value):
    ref = _ref_of(JINCHENG, "项目自评占项目支出总额比例")
    path = _edited(tmp_path, _set(ref, 0.123456, "0.00%"))
    path.write_bytes(_with_sheet_xml(lambda xml: xml.replace(b"<v>0.123456</v>", b"<v>" + value + b"</v>"),
                                     _member_of(path, "情况说明"), path))
    line = _one_error_line(runner.invoke(main, ["build", str(path), "-o", str(tmp_path / "out")]))
    assert f"{ref}：应为金额（数字）" in line


def test_a_tiny_budget_makes_no_rate_overflow(runner, tmp_path):
    def tiny(wb):
        ws = wb["自评表01"]
        cell = next(c for row in ws.iter_rows() for c in row if c.value == "目标申报数")
        ws.cell(cell.row + 1, cell.column + 1).value = 1e-300

    path = _edited(tmp_path, tiny)
    result = runner.invoke(main, ["build", str(path), "--force", "-o", str(tmp_path / "out")])
    assert result.exit_code in (0, 1) and "程序内部出错" not in result.output, result.output


def test_a_share_above_100_percent_is_an_error(runner, tmp_path):
    ref = _ref_of(JINCHENG, "项目自评占项目支出总额比例")
    path = _edited(tmp_path, _set(ref, 1.5, "0.00%"))
    result = runner.invoke(main, ["build", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "错误 比例超过 100%：“项目自评占项目支出总额比例”填 150%，超过 100%" in result.output
    assert not list((tmp_path / "out").glob("*.docx"))


# ---- 11. output-folder entries that are not regular files ---------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
@pytest.mark.parametrize("which", ["report", "pdf", "record", "audit"])
def test_a_fifo_or_device_under_an_outputs_name_is_refused_by_name(tmp_path, which):
    from generator.catalog import load_format
    from generator.reader import read_unit
    from generator.report import report_name

    out = tmp_path / "out"
    out.mkdir()
    stem = report_name(*read_unit(str(XINZHOU), load_format("shanxi")), load_format("shanxi"))[:-5]
    entry = {"report": out / f"{stem}.docx", "pdf": out / f"{stem}.pdf", "record": out / f".{stem}.figures.json",
             "audit": out / f"{stem}审核报告.html"}[which]
    if which == "pdf":
        entry.symlink_to("/dev/zero")
    else:
        os.mkfifo(entry)
    built = _disclose("build", str(XINZHOU), "-o", str(out), timeout=120)
    assert built.returncode == 2, built.stderr
    assert built.stderr.startswith(f"错误：{entry}：不是普通文件") and built.stderr.count("\n") == 1
    assert not list(out.glob("*.docx")) or which == "report"


def test_an_oversized_record_is_set_aside(runner, tmp_path):
    out = tmp_path / "out"
    assert runner.invoke(main, ["build", str(XINZHOU), "-o", str(out)]).exit_code == 0
    [record] = out.glob(".*.figures.json")
    with open(record, "r+b") as fh:
        fh.truncate(200 * 2**20)  # sparse: nothing is written
    again = runner.invoke(main, ["build", str(XINZHOU), "-o", str(out)])
    assert again.exit_code == 0, again.output
    assert f"上次生成的数字记录 {record} 超过 32 MB" in again.output
    assert record.stat().st_size < 2**20


# ---- 12. Ctrl+C in a batch --------------------------------------------------------------------------

_SLOW_BATCH = """
import sys, time
import generator.batch as batch
real = batch.build
def slow(workbook, *args, **kwargs):
    if "slow" in workbook:
        time.sleep(240)
    return real(workbook, *args, **kwargs)
batch.build = slow
from generator.cli import main
main(sys.argv[1:])
"""


@pytest.mark.skipif(sys.platform != "linux", reason="Ctrl+C is sent to the process group")
def test_ctrl_c_stops_a_batch_at_once_and_says_what_was_written(tmp_path):
    folder = _batch(tmp_path, {"a-fast.xlsx": JINCHENG, "b-slow.xlsx": XINZHOU, "c-slow.xlsx": XINZHOU,
                               "d-slow.xlsx": XINZHOU})
    out = tmp_path / "out"
    # One worker per workbook: the fast one never waits behind the slow ones, whatever order they start in.
    process = subprocess.Popen([PYTHON, "-c", _SLOW_BATCH, "build", str(folder), "-o", str(out), "-j", "4"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.time() + 300
    while not list(out.glob("晋城*.docx")) and time.time() < deadline:
        time.sleep(0.2)
    assert list(out.glob("晋城*.docx")), "the fast workbook was never built"
    time.sleep(1)
    pressed = time.time()
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate(timeout=200)
    assert time.time() - pressed < 120, stdout  # not the four minutes the slow builds would take
    assert process.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "错误：已中断（Ctrl+C）：上表中已生成的报告是完整的，其余工作簿没有生成报告"
    rows = stdout.splitlines()
    assert next(r for r in rows if "a-fast.xlsx" in r).endswith("晋城市人力资源和社会保障局2022年度单位决算公开.docx")
    slow = [next(r for r in rows if name in r) for name in ("b-slow", "c-slow", "d-slow")]
    assert not any(r.endswith(".docx") for r in slow) and any("已中断" in r for r in slow), stdout
    assert [p.name for p in out.glob("*.docx")] == ["晋城市人力资源和社会保障局2022年度单位决算公开.docx"]
    assert not list(out.glob(".disclose-*"))
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # no worker left behind


# ---- 13. nothing from a workbook acts on the terminal ----------------------------------------------

def test_escape_sequences_in_a_cell_are_shown_escaped(runner, tmp_path):
    path = tmp_path / "工作簿.xlsx"
    shutil.copy(JINCHENG, path)
    _raw_cell(path, "公开05表", "D12",
              b'<c r="D12" t="inlineStr"><is><t>_x001B_]0;pwned_x0007__x001B_[2J12\xe4\xb8\x87</t></is></c>')
    line = _one_error_line(runner.invoke(main, ["build", str(path), "-o", str(tmp_path / "out")]))
    assert "\x1b" not in line and "\x07" not in line
    assert "公开05表!D12：应为金额（数字），实际为“\\x1b]0;pwned\\x07\\x1b[2J12万”" in line


def test_a_value_with_newlines_cannot_forge_lines(runner, tmp_path):
    path = _edited(tmp_path, _set("公开05表!D12", "12\n错误：一切正常\r\n"))
    line = _one_error_line(runner.invoke(main, ["build", str(path), "-o", str(tmp_path / "out")]))
    assert "实际为“12\\n错误：一切正常”" in line


# ---- 14. copies and duplicates ---------------------------------------------------------------------

@pytest.mark.parametrize("sheet", ["公开01表", "自评表01"])
def test_a_copied_sheet_is_ambiguous(runner, tmp_path, sheet):
    def copy(wb):
        wb.copy_worksheet(wb[sheet]).title = f"{sheet} (2)"

    line = _one_error_line(runner.invoke(main, ["build", str(_edited(tmp_path, copy)), "-o", str(tmp_path / "out")]))
    assert f"工作表“{sheet} (2)”像是“{sheet}”的副本" in line


@pytest.mark.parametrize("hidden", [True, False], ids=["hidden", "visible"])
def test_a_repeated_line_number_is_refused(runner, tmp_path, hidden):
    def repeat(wb):
        ws = wb["公开01表"]
        first = next(c for row in ws.iter_rows() for c in row if c.value == 1 and c.column == 2)
        ws.insert_rows(first.row)
        for c in ws[first.row + 1]:
            if type(c).__name__ != "MergedCell":
                ws.cell(first.row, c.column).value = c.value
        ws.cell(first.row, 3).value = 123456789
        ws.row_dimensions[first.row].hidden = hidden

    line = _one_error_line(runner.invoke(main, ["check", str(_edited(tmp_path, repeat))]))
    assert re.search(r"公开01表!B\d+：行次 \d+ 重复（已见于 公开01表!B\d+；隐藏的行也算）", line)


def test_an_uncalculated_formula_in_the_class_budget_is_not_blank(runner, tmp_path):
    path = _edited(tmp_path, _set("分类预算!C2", "=1+1"))
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 1
    assert "分类预算!C2 是公式，但文件里没有保存它的计算结果" in result.output


# ---- 15. messages carry no Python and no English ----------------------------------------------------

def test_an_empty_cell_is_quoted_as_empty(runner, tmp_path):
    def blank_code(wb):
        wb["分类预算"]["A2"].value = None

    line = _one_error_line(runner.invoke(main, ["check", str(_edited(tmp_path, blank_code))]))
    assert "分类预算!A2：应为三位数字的类编码（如 208），实际为“空”" in line and "None" not in line


def test_missing_column_numbers_are_listed_in_chinese(runner, tmp_path):
    def drop(wb):
        ws = wb["公开03表"]
        row = next(c.row for r in ws.iter_rows() for c in r if c.value == "栏次")
        for c in ws[row]:
            if c.value in (2, 3, 4):
                c.value = None

    line = _one_error_line(runner.invoke(main, ["check", str(_edited(tmp_path, drop))]))
    assert "缺少 2、3、4" in line and "[" not in line


@pytest.mark.parametrize("cell", [b'<c r="D12" t="n"><v>abc</v></c>', b'<c r="D12" t="s"><v>999999</v></c>',
                                  b'<c r="D12" t="d"><v>not a date</v></c>', b'<c r="D12" t="b"><v>7</v></c>'])
def test_a_corrupt_value_is_told_in_chinese(tmp_path, cell):
    path = tmp_path / "工作簿.xlsx"
    shutil.copy(JINCHENG, path)
    _raw_cell(path, "公开05表", "D12", cell)
    checked = _disclose("check", str(path))
    assert checked.returncode in (1, 2) and "程序内部出错" not in checked.stderr
    message = re.sub(r"“[^”]*”|Excel|WPS|\.xlsx?|\.ods", "", checked.stderr.replace(str(path), ""))
    assert not re.search(r"[A-Za-z]{3,}", message), checked.stderr


def test_jobs_are_capped_at_the_workbooks_and_the_platform(runner, tmp_path, monkeypatch):
    import generator.batch as batch

    asked = []
    real = batch.ProcessPoolExecutor

    class Counting(real):
        def __init__(self, max_workers=None, **kwargs):
            asked.append(max_workers)
            super().__init__(max_workers=max_workers, **kwargs)

    monkeypatch.setattr(batch, "ProcessPoolExecutor", Counting)
    folder = _batch(tmp_path, {"a.xlsx": JINCHENG, "b.xlsx": XINZHOU})
    result = runner.invoke(main, ["build", str(folder), "-o", str(tmp_path / "out"), "-j", "512"])
    assert result.exit_code == 0, result.output
    assert asked and max(asked) == 2
    assert batch.MAX_JOBS <= 61


# ---- fuzz: other spellings of the same XML, every kind of value ----------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_CELL_VALUES = [(None, b"<v>1</v>"), ("e", b"<v>#DIV/0!</v>"), ("e", b"<f>1/0</f><v>#REF!</v>"), ("n", b"<v>abc</v>"),
                ("s", b"<v>99999</v>"), ("s", b"<v>-1</v>"), ("b", b"<v>2</v>"), ("inlineStr", b"<is><t>x</t></is>"),
                (None, b"<f>1/0</f>"), ("str", b"<f>A1</f><v></v>"), (None, b"<v>1e308</v>"), (None, b"<v>nan</v>"),
                ("d", b"<v>2022-13-45</v>"), (None, b""), (None, b"<v></v>"), ("inlineStr", b"<is><t>_x001B_[2J</t></is>"),
                ("n", b"<v>1E-300</v>"), (None, b"<v>-0</v>")]
_SPELLING = st.fixed_dictionaries({
    "ref": st.sampled_from(["D12", "d12", "XFD1048576", "xfd1048576", "A30000", "CW1", "CV20000", "D1", "AAAA1", "D0",
                            "12", "D", "$D$12", "D12 ", "&#68;12", None]),
    "quote": st.sampled_from(['"', "'"]),
    "equals": st.sampled_from(["=", " = ", "=\t", "\n=\n"]),
    "prefix": st.sampled_from(["", "x:"]),
    "value": st.sampled_from(range(len(_CELL_VALUES))),
    "row": st.sampled_from(['<row r="3">', "<row r='1048576'>", "<row>", '<row r = "20001">', '<row r="3" r="4">']),
    "extra": st.sampled_from(["", ' s="0"', " s='99999'", ' t="e"', ' r="A1"']),
})


def _fuzzed_cell(spelling: dict) -> bytes:
    kind, body = _CELL_VALUES[spelling["value"]]
    q, eq, prefix = spelling["quote"], spelling["equals"], spelling["prefix"]
    attrs = "" if spelling["ref"] is None else f" r{eq}{q}{spelling['ref']}{q}"
    if kind:
        attrs += f" t{eq}{q}{kind}{q}"
    if prefix:
        body = re.sub(rb"<(/?)(\w)", rb"<\1x:\2", body)
    cell = f"<{prefix}c{attrs}{spelling['extra']}>".encode() + body + f"</{prefix}c>".encode()
    return spelling["row"].encode() + cell + b"</row>"


def _limited():  # pragma: no cover - runs in the child process
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))


@pytest.mark.skipif(sys.platform != "linux", reason="memory is bounded with RLIMIT_AS")
@settings(max_examples=int(os.environ.get("DISCLOSE_FUZZ", "25")), deadline=None,
          derandomize="DISCLOSE_FUZZ" not in os.environ, suppress_health_check=list(HealthCheck))
@given(spelling=_SPELLING)
def test_fuzzed_xml_spellings_end_in_one_of_three_exit_codes_in_bounded_time_and_memory(tmp_path_factory, spelling):
    work = tmp_path_factory.mktemp("fuzz")
    path = work / "工作簿.xlsx"
    path.write_bytes(_with_sheet_xml(lambda xml: xml.replace(b"</sheetData>", _fuzzed_cell(spelling) + b"</sheetData>")))
    started = time.time()
    checked = subprocess.run([PYTHON, "-m", "generator", "check", str(path), "--format", "json"], capture_output=True,
                             text=True, timeout=120, preexec_fn=_limited)
    assert time.time() - started < 60, spelling
    assert checked.returncode in (0, 1, 2), (spelling, checked.returncode, checked.stderr[-800:])
    assert "程序内部出错" not in checked.stdout + checked.stderr, (spelling, checked.stdout)
    assert "Traceback" not in checked.stderr, (spelling, checked.stderr[-800:])
    json.loads(checked.stdout)  # check --format json always answers in JSON


def test_huge_shared_strings_are_refused_before_they_are_parsed(runner, tmp_path):
    """The reader holds every shared string in memory: 70 MB of them is not a 决算 workbook."""
    import random

    from generator.loader import MAX_PART_XML

    rnd = random.Random(7)
    words = "".join(f"<si><t>{rnd.getrandbits(64):x}</t></si>" for _ in range(MAX_PART_XML // 30 + 1000))
    path = tmp_path / "工作簿.xlsx"
    shutil.copy(JINCHENG, path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/'
                         f'spreadsheetml/2006/main">{words}</sst>')
    line = _one_error_line(runner.invoke(main, ["check", str(path)]))
    assert f"xl/sharedStrings.xml 超过 {MAX_PART_XML // 2**20} MB" in line
