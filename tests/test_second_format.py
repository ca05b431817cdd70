"""A second format, declared wholly in tests/formats/lite/, builds through the same engine.

It is Shanxi's without 公开10表, with its 决算表 after 情况说明, one more table (公开11表 资产情况表,
资产总计 = the three kinds of asset, two columns) and one more sentence (十一、资产情况说明).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from docx import Document

from conftest import JINCHENG, ROOT
from generator.audit import audit
from generator.cli import main
from generator.catalog import load_format
from generator.reader import read_workbook

LITE = ROOT / "tests" / "formats" / "lite"
sys.path.insert(0, str(LITE))
from workbook import lite_workbook  # noqa: E402


@pytest.fixture
def lite(tmp_path):
    return lite_workbook(tmp_path / "lite.xlsx")


def _build(runner, workbook, out, *extra):
    return runner.invoke(main, ["build", str(workbook), "-o", str(out), "--spec", str(LITE), *extra])


def _report(out: Path) -> Document:
    return Document(str(next(p for p in out.glob("*.docx"))))


def test_the_second_format_builds_its_own_report(runner, lite, tmp_path):
    result = _build(runner, lite, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "已读取公开01表、公开02表" in result.output and "公开11表" in result.output  # not "公开01–11表"
    document = _report(tmp_path / "out")
    parts = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert parts[:4] == ["第一部分 概况", "第二部分 情况说明", "第三部分 2022年部门决算表", "第四部分 名词解释"]
    titles = [p.text for p in document.paragraphs if p.style.name == "表标题"][:10]
    assert titles[-1] == "资产情况表" and "部门决算公开相关信息统计表" not in titles
    text = "\n".join(p.text for p in document.paragraphs)
    sections = [p.text for p in document.paragraphs if p.style.name == "Heading 3"]
    assert "（一）机关运行经费支出情况说明" not in sections and "（一）预算绩效情况说明" in sections
    assert ("2022年末，本部门资产总计4,345,678.90元，其中固定资产2,845,678.40元，占资产总计的65.48%；"
            "与年初相比，资产总计增加145,678.90元，增长3.47%。") in text
    table = next(t for t in document.tables if "资产总计" in t._element.xml)
    assert [c.text for c in table.rows[1].cells] == ["资产总计", "1", "4200000.00", "4345678.90"]
    # What the two formats share prints the same: 一、 of 情况说明 is Shanxi's sentence.
    assert "2022年度收入总计62,373,182.64元、支出总计62,373,182.64元。" in text


def test_its_extra_table_is_recomputed_and_audited_as_declared(runner, tmp_path):
    # 流动资产 年末 typed 100 too high: 资产总计 no longer adds up, and the sentence uses the sum.
    wrong = lite_workbook(tmp_path / "wrong.xlsx", {2: ("1200000.00", "1500100.50")})
    fmt = load_format(LITE)
    result = audit(read_workbook(str(wrong), fmt), fmt)
    found = [f for f in result.errors if f.rule == "11资产合计"]
    assert len(found) == 1
    assert found[0].message.startswith("公开11表 行1资产总计“年末数”：填列 4,345,678.90，按明细重算 4,345,778.90")
    sheet = openpyxl.load_workbook(wrong)["公开11表"]
    stated = next(r for r in sheet.iter_rows() if r[1].value == 1)[3].coordinate
    growth = next(r for r in sheet.iter_rows() if r[1].value == 2)[3].coordinate
    assert found[0].cells[0] == f"公开11表!{stated}" and f"公开11表!{growth}" in found[0].cells
    checked = runner.invoke(main, ["check", str(wrong), "--spec", str(LITE)])
    assert checked.exit_code == 1
    assert "公开11表资产总计不等于各项资产之和" in checked.output  # the rule's clerk name, from lite's folder


def test_its_rules_and_no_others_are_listed_in_the_audit_report(runner, lite, tmp_path):
    assert _build(runner, lite, tmp_path / "out").exit_code == 0
    page = next((tmp_path / "out").glob("*审核报告.html")).read_text("utf-8")
    assert "公开11表资产总计不等于各项资产之和" in page
    assert "公开10表" not in page


def test_init_writes_the_second_formats_workbook(runner, tmp_path):
    blank = tmp_path / "空白.xlsx"
    result = runner.invoke(main, ["init", str(blank), "--spec", str(LITE)])
    assert result.exit_code == 0, result.output
    sheets = openpyxl.load_workbook(blank).sheetnames
    assert "公开11表" in sheets and "公开10表" not in sheets
    sheet = openpyxl.load_workbook(blank)["公开11表"]
    total = next(r for r in sheet.iter_rows() if r[1].value == 1)
    assert total[2].value == f"=SUM(C{total[0].row + 1}:C{total[0].row + 3})"
    book = openpyxl.load_workbook(blank)
    unit = book["基本信息"]  # lite calls its unit sheet so
    for row in unit.iter_rows():
        if row[0].value in ("单位名称", "年度"):
            row[1].value = "某单位" if row[0].value == "单位名称" else 2023
    book.save(blank)
    wb = read_workbook(str(blank), load_format(LITE))  # the reader finds what the writer wrote
    assert set(wb.tables) == {"01", "02", "03", "04", "05", "06", "07", "08", "09", "11"}


def test_the_default_format_is_unchanged_by_the_second(runner, tmp_path):
    """Shanxi's workbook read as lite lacks its 基本信息 sheet: each format reads its own sheets."""
    result = runner.invoke(main, ["check", str(JINCHENG), "--spec", str(LITE)])
    assert result.exit_code == 2
    assert result.output.strip() == "错误：工作簿缺少工作表“基本信息”"
    assert runner.invoke(main, ["check", str(JINCHENG)]).exit_code == 0


def test_a_format_that_is_not_there_is_one_chinese_line(runner, tmp_path):
    result = runner.invoke(main, ["check", str(JINCHENG), "--spec", str(tmp_path / "没有")])
    assert result.exit_code == 2
    assert result.output.startswith("错误：找不到报告格式") and "shanxi" in result.output
    assert "Traceback" not in result.output


def test_nothing_outside_its_folder_names_the_second_format():
    """The engine knows no format by heart: neither lite nor its table appears in the package."""
    package = ROOT / "generator"
    hits = [str(p.relative_to(ROOT)) for p in package.rglob("*.py")
            if re.search(r"\blite\b|公开11表|资产情况", p.read_text("utf-8"))]  # not sqlite
    assert hits == []


def test_no_table_row_number_outside_the_formats_declaration():
    """Rows are named (fig["01"]["收入总计"]), never numbered, outside generator/formats/."""
    pattern = re.compile(r"\b(?:t0\d|t10|fig(?:ures)?\[\"\d\d\"\])\[\d+\]|\.values\[\d{2,}\]|行\d+")
    package = ROOT / "generator"
    hits = [f"{p.relative_to(ROOT)}: {m.group(0)}" for p in package.rglob("*.py")
            if "formats" not in p.parts for m in pattern.finditer(p.read_text("utf-8"))]
    assert hits == []


def test_an_installed_format_folder_is_enough(tmp_path):
    """A copy of the folder anywhere is the format: it needs nothing but the package."""
    copy = tmp_path / "别的格式"
    subprocess.run(["cp", "-r", str(LITE), str(copy)], check=True)
    workbook = lite_workbook(tmp_path / "lite.xlsx")
    out = subprocess.run([sys.executable, "-m", "generator", "check", str(workbook), "--spec", str(copy)],
                         capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stdout + out.stderr


def test_a_declaration_with_a_mistake_does_not_load():
    """A maintainer's slip in a format is said on loading it, not at a clerk's build."""
    from dataclasses import replace

    from generator.catalog import check_format
    from generator.spec import LineOf, LineTable, Row, Side, problems

    shanxi = load_format()
    with pytest.raises(ValueError, match="used but not declared.*01合计行"):
        check_format(replace(shanxi, identities=()))  # the tables' sums name rules nobody declared
    with pytest.raises(ValueError, match="sections without figures.*s1"):
        check_format(replace(shanxi, figures={}))
    broken = LineTable("12", "表", (Side("", ("金额",)),),
                       (Row(1, "合计", sum="2..3"), Row(2, "甲"), Row(3, "甲", sources=(LineOf("01", "没有", "r"),))))
    assert problems((*shanxi.tables, broken)) == [
        "公开12表: row name '甲' twice", "公开12表 行3: 公开01表 has no row '没有'"]


def test_its_template_and_its_context_name_the_same_things(lite):
    from generator.context import report_context
    from generator.render import template_tags

    fmt = load_format(LITE)
    wb = read_workbook(str(lite), fmt)
    result = audit(wb, fmt)
    context = report_context(wb, result.figures, result.projects, None, fmt)
    tags = template_tags(fmt.template)
    assert set(tags) == set(context)
    assert tags["narrative"] == set(context["narrative"]) == {s.key for s in fmt.sections}


def test_a_copy_of_the_shanxi_folder_is_a_format_as_it_stands(runner, tmp_path):
    """docs/formats.md's way to a new province: copy the folder, then edit. Unedited, the copy
    builds the same report, byte for byte."""
    import shutil

    copy = tmp_path / "新省份"
    shutil.copytree(ROOT / "generator" / "formats" / "shanxi", copy, ignore=shutil.ignore_patterns("__pycache__"))
    for spec, out in ((str(copy), "copy"), ("shanxi", "shipped")):
        assert runner.invoke(main, ["build", str(JINCHENG), "-o", str(tmp_path / out), "--spec", spec]).exit_code == 0
    built = [next((tmp_path / out).glob("*.docx")).read_bytes() for out in ("copy", "shipped")]
    assert built[0] == built[1]


def test_a_format_folder_that_does_not_load_is_one_chinese_line(runner, tmp_path):
    broken = tmp_path / "坏格式"
    broken.mkdir()
    (broken / "format.py").write_text("from . import 没有的模块\n", encoding="utf-8")
    result = runner.invoke(main, ["check", str(JINCHENG), "--spec", str(broken)])
    assert result.exit_code == 2
    assert result.output.startswith(f"错误：报告格式文件夹 {broken} 无法载入（ImportError") and "format.py" in result.output


def test_a_format_without_a_table_its_parts_read_is_said_plainly(runner, tmp_path):
    """A copy of Shanxi's format with 公开10表 taken out of its tables: its checks say they read
    it (on loading), and a 情况说明 part that reads it says so (one line, exit 2), not a crash."""
    import shutil

    copy = tmp_path / "无10表"
    shutil.copytree(ROOT / "generator" / "formats" / "shanxi", copy, ignore=shutil.ignore_patterns("__pycache__"))
    tables = copy / "tables.py"
    tables.write_text(tables.read_text("utf-8").replace("T08, T09, T10)", "T08, T09)"), "utf-8")
    result = runner.invoke(main, ["check", str(JINCHENG), "--spec", str(copy)])
    assert result.exit_code == 2
    assert "reads table 10, which the format does not declare" in result.output
    assert "10机关运行经费=06公用经费基本" in result.output and "Traceback" not in result.output
    # The checks go, its 情况说明 sections stay (a fresh copy: Python keeps what it once imported).
    second = tmp_path / "无10表的检查"
    shutil.copytree(copy, second)
    rules = second / "rules.py"
    rules.write_text(rules.read_text("utf-8") + "\nCHECKS = tuple(r for r in CHECKS if '10' not in r.reads)\n", "utf-8")
    result = runner.invoke(main, ["build", str(JINCHENG), "-o", str(tmp_path / "out"), "--spec", str(second)])
    assert result.exit_code == 2
    assert result.output.strip().endswith("报告格式用到了表“10”，但格式中没有声明这张表：请在格式的 tables.py 中声明它，"
                                          "或去掉用到它的规则和报告文字部分")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.docx"))


def test_its_other_sheets_and_its_grades_are_its_own(runner, lite, tmp_path):
    """lite's unit sheet is 基本信息, its 分类预算 code column 类级科目编码, and a 自评表 is graded
    优≥95, 良≥85, 合格≥60, else 不合格: the engine reads, grades, audits and writes by them."""
    result = _build(runner, lite, tmp_path / "out")
    assert result.exit_code == 0, result.output
    document = _report(tmp_path / "out")
    text = "\n".join(p.text for p in document.paragraphs)
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    # 自评表07 scores 66.32 (Shanxi's 中) and 自评表11 90.00 (Shanxi's 优): 合格 and 良 here.
    assert "合格" in cells and "中" not in cells
    assert "2个项目自评等级为“良”" in text or "项目自评等级为“合格”" in text
    # A grade typed as Shanxi's is wrong in lite, and said so with lite's scale.
    book = openpyxl.load_workbook(lite)
    total = next(r for r in book["自评表07"].iter_rows() if r[0].value == "总分")
    total[9].value = "中"
    book.save(lite)
    checked = runner.invoke(main, ["check", str(lite), "--spec", str(LITE), "--format", "json"])
    import json
    [graded] = [f for f in json.loads(checked.output)["findings"] if f["rule"] == "附件等级"]
    assert "对应“合格”（优≥95，良≥85，合格≥60）" in graded["message"]
    assert graded["cells"][0] == f"自评表07!{total[9].coordinate}"


def test_its_blank_workbook_is_laid_out_by_its_declaration(runner, tmp_path):
    blank = tmp_path / "空白.xlsx"
    assert runner.invoke(main, ["init", str(blank), "--spec", str(LITE)]).exit_code == 0
    book = openpyxl.load_workbook(blank)
    assert "基本信息" in book.sheetnames and "单位信息" not in book.sheetnames
    assert [c.value for c in book["分类预算"][1]][0] == "类级科目编码"
    total = next(r for r in book["自评表01"].iter_rows() if r[0].value == "总分")
    score = total[8].coordinate
    assert total[9].value == f'=IF({score}>=95,"优",IF({score}>=85,"良",IF({score}>=60,"合格","不合格")))'
    labels = {r[0].value for r in book["情况说明"].iter_rows()}
    assert {"二级项目合格", "二级项目不合格"} <= labels and "二级项目中" not in labels


def test_a_format_without_a_self_assessment_sheet(runner, lite, tmp_path):
    """A copy of lite that declares no 自评表: its workbook has none, its report no 附件, and the
    sheets a workbook of Shanxi's habit still carries are not read as projects."""
    import shutil

    copy = tmp_path / "无自评表"
    shutil.copytree(LITE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    with (copy / "format.py").open("a", encoding="utf-8") as f:
        f.write("\nFORMAT = replace(FORMAT, sheets=replace(SHEETS, projects=None, summaries=None))\n")
    result = runner.invoke(main, ["build", str(lite), "-o", str(tmp_path / "out"), "--spec", str(copy)])
    assert result.exit_code == 0, result.output
    [read] = [line for line in result.output.splitlines() if line.startswith("已读取")]
    assert "自评表" not in read  # lite's borrowed 十(四) checks still count the 自评表: none here
    document = _report(tmp_path / "out")
    assert not [p for p in document.paragraphs if p.text.endswith("项目支出绩效自评表")]  # no 附件
    assert runner.invoke(main, ["check", str(lite), "--spec", str(copy)]).exit_code == 0
    blank = tmp_path / "空白.xlsx"
    assert runner.invoke(main, ["init", str(blank), "--spec", str(copy)]).exit_code == 0
    names = openpyxl.load_workbook(blank).sheetnames
    assert not [n for n in names if n.startswith("自评表")] and "项目综述" not in names


def test_a_sheet_declaration_with_a_mistake_does_not_load():
    from dataclasses import replace

    from generator.catalog import check_format
    from generator.spec import Grade

    shanxi = load_format()
    sheets = shanxi.sheets
    renamed = replace(sheets.class_budget, columns={**sheets.class_budget.columns, "编码": "类编码"})
    with pytest.raises(ValueError, match=r"class_budget columns: roles \[\] missing, \['编码'\] unknown"):
        check_format(replace(shanxi, sheets=replace(sheets, class_budget=renamed)))
    upside_down = replace(sheets.projects, grades=(Grade("差"), Grade("优", 90)))
    with pytest.raises(ValueError, match="projects grades: from the highest floor down"):
        check_format(replace(shanxi, sheets=replace(sheets, projects=upside_down)))
    with pytest.raises(ValueError, match="unit: '年份' is not among its labels"):
        check_format(replace(shanxi, sheets=replace(sheets, unit=replace(sheets.unit, year="年份"))))
