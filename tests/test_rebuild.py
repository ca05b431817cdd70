"""Rebuilds: identical bytes, "what changed", and many workbooks at once."""

import shutil
import time

import pytest

from conftest import JINCHENG, SHANXI, XINZHOU, set_cells
from generator.cli import main
from generator.pdf import find_soffice
from generator.reader import read_workbook

XZ_REPORT = "忻州市人力资源和社会保障局2022年度单位决算公开.docx"


def test_two_builds_are_byte_identical(runner, tmp_path):
    for out in ("a", "b"):
        assert runner.invoke(main, ["build", str(XINZHOU), "-o", str(tmp_path / out)]).exit_code == 0
    assert (tmp_path / "a" / XZ_REPORT).read_bytes() == (tmp_path / "b" / XZ_REPORT).read_bytes()


def test_a_corrected_figure_is_listed_with_the_sentences_it_changed(runner, workbook_copy, tmp_path):
    path = workbook_copy(XINZHOU)
    first = runner.invoke(main, ["build", str(path), "-o", str(tmp_path)])
    assert first.exit_code == 0 and "与上次生成相比" not in first.output
    same = runner.invoke(main, ["build", str(path), "-o", str(tmp_path)])
    assert "与上次生成相比：数字和文字都没有变化。" in same.output

    wb = read_workbook(str(path), SHANXI)
    set_cells(path, {wb["10"].cells[2][0].ref: 66683.00, wb["10"].cells[1][0].ref: 2141853.36})  # 货物 +100, and its 合计
    again = runner.invoke(main, ["build", str(path), "-o", str(tmp_path)])
    assert again.exit_code == 0, again.output
    lines = again.output.splitlines()
    assert "与上次生成相比，2 个数字有变化：" in lines
    assert "  公开10表 行1 合计“金额/统计数”：2141753.36 → 2141853.36" in lines
    assert "  公开10表 行2 货物“金额/统计数”：66583 → 66683" in lines
    assert "因此改变的报告文字（1 段）：" in lines
    changed = next(line for line in lines if line.startswith("  十（二）："))
    assert "政府采购支出总额2,141,853.36元" in changed and "政府采购货物支出66,683.00元" in changed
    assert "占政府采购支出总额的30.16%" in changed  # 645,953.36 / 2,141,853.36 still rounds to 30.16


def test_a_batch_builds_every_good_workbook_and_reports_the_broken_one(runner, tmp_path):
    sources = tmp_path / "in"
    sources.mkdir()
    for i in range(19):
        shutil.copy(JINCHENG if i % 2 else XINZHOU, sources / f"unit{i:02d}.xlsx")
    (sources / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    out = tmp_path / "out"
    result = runner.invoke(main, ["build", str(sources), "-o", str(out), "-j", "2"])
    assert result.exit_code == 2, result.output
    reports = sorted(p.name for p in out.glob("*.docx"))
    assert len(reports) == 19
    # Ten copies of one unit would all be called the same: each gets its workbook's stem.
    assert "忻州市人力资源和社会保障局2022年度单位决算公开-unit00.docx" in reports
    assert "晋城市人力资源和社会保障局2022年度单位决算公开-unit01.docx" in reports
    table = result.output.splitlines()
    broken = next(line for line in table if "broken.xlsx" in line)
    assert "无法读取" in broken and "不是 Excel 工作簿" in broken
    # The samples carry two 十(四) count warnings of their published reports: built, not failed.
    assert sum(1 for line in table if "unit" in line and line.split()[1] in ("OK", "警告")) == 19
    assert table[-1] == "共 20 个工作簿：19 个已生成，1 个失败。"


def test_a_batch_without_collisions_keeps_the_plain_names(runner, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(main, ["build", str(JINCHENG), str(XINZHOU), "-o", str(out), "-j", "2"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.docx")) == [
        "忻州市人力资源和社会保障局2022年度单位决算公开.docx", "晋城市人力资源和社会保障局2022年度单位决算公开.docx"]


@pytest.mark.skipif(find_soffice() is None, reason="LibreOffice is not installed: no PDF to compare")
def test_two_pdf_builds_are_byte_identical_and_dated_by_the_report_year(runner, tmp_path):
    from pypdf import PdfReader

    for out in ("a", "b"):
        result = runner.invoke(main, ["build", str(XINZHOU), "-o", str(tmp_path / out), "--pdf"])
        assert result.exit_code == 0, result.output
        time.sleep(1.1)  # a clock-stamped PDF would now differ
    pdf = XZ_REPORT.replace(".docx", ".pdf")
    first, second = (tmp_path / "a" / pdf).read_bytes(), (tmp_path / "b" / pdf).read_bytes()
    assert first == second
    reader = PdfReader(str(tmp_path / "a" / pdf), strict=True)
    assert reader.metadata["/CreationDate"].startswith("D:20221231")
    assert len(reader.pages) > 20 and "忻州市人力资源和社会保障局" in reader.pages[0].extract_text()
