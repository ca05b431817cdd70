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
    assert re.search(r"公开02表!\w+：这个单元格超出了决算工作簿的范围|工作簿可能已损坏|XML 有误", answer["error"])
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
