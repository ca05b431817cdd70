"""The Shanghai 部门决算 format (generator/formats/shanghai) against the published reports it was
transcribed from (tests/shanghai/: the text of the PDFs, as in /work/shared/reference/putuo/final/).

Each sample workbook (sample_inputs/putuo_*.xlsx, docs/sample-source.md) is built, and every figure
of the published nine tables and 情况说明 is looked for in the built report: all are reproduced
except the published report's own defects, each listed below with what the build prints instead.
"""

import re
import shutil
from collections import Counter
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from docx import Document

from conftest import ROOT, SAMPLES
from generator.cli import main

PUBLISHED = ROOT / "tests" / "shanghai"
SPEC = ("--spec", "shanghai")

# sample workbook → the published report it was transcribed from
SAMPLES_SH = {
    "putuo_caizheng-2024": "putuo-caizhengju-2024-final-GOOD.txt",
    "putuo_shengtai-2025": "putuo-shengtai-huanjingju-2025-final.txt",
    "putuo_wenlv-2025": "putuo-wenhua-lvyouju-2025-final.txt",
}

TABLE_NUMBER = re.compile(r"\d[\d,]*\.\d+")  # table figures have decimals; codes and 序号 do not
TEXT_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?%?")


def _figure(token: str) -> tuple[Decimal, bool]:
    """A printed figure as (value, is a percentage): 6.2 and 6.20 are one figure."""
    return Decimal(token.rstrip("%").replace(",", "")), token.endswith("%")


def _figures(tables: str, narrative: str) -> tuple[Counter, Counter]:
    """The non-zero table figures (a zero prints as 0.00 in some reports, blank in others) and
    every number of 情况说明."""
    in_tables = Counter(f for f in map(_figure, TABLE_NUMBER.findall(tables)) if f[0])
    return in_tables, Counter(map(_figure, TEXT_NUMBER.findall(re.sub(r"\s", "", narrative))))


def _published(name: str) -> tuple[str, str]:
    """The tables part and the 情况说明 part of a published report's text."""
    text = re.sub(r"<<<PAGE \d+>>>\n?", "", (PUBLISHED / name).read_text(encoding="utf-8"))
    body = [m.start() for m in re.finditer("第三部分", text)][1]  # the first is the 目录's
    end = [m.start() for m in re.finditer("第四部分", text)][1]
    first_table = re.search(r"^\s*收入支出决算总表\s*$", text, re.M).start()
    narrative = "\n".join(line for line in text[body:end].splitlines() if not line.strip().isdigit())  # page numbers
    return text[first_table:body], narrative


def _built(docx: Path) -> tuple[str, str]:
    doc = Document(str(docx))
    tables = "\n".join(cell.text for table in doc.tables[1:] for row in table.rows for cell in row.cells)
    paragraphs = [p.text for p in doc.paragraphs]
    start = next(i for i, p in enumerate(paragraphs) if p.startswith("第三部分"))
    end = next(i for i, p in enumerate(paragraphs) if p.startswith("第四部分"))
    return tables, "\n".join(paragraphs[start:end])


def _flat(text: str) -> str:
    return re.sub(r"\s", "", text)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Each sample built once (docx): sample name → the report's path."""
    from click.testing import CliRunner

    out = tmp_path_factory.mktemp("shanghai")
    reports = {}
    for sample in SAMPLES_SH:
        target = out / sample
        result = CliRunner().invoke(main, ["build", str(SAMPLES / f"{sample}.xlsx"), "-o", str(target), *SPEC])
        assert result.exit_code == 0, result.output
        assert "审核共 0 个错误、0 个警告" in result.output
        reports[sample] = next(target.glob("*部门决算.docx"))
    return reports


# Figures of the published report that the build does not print, because they are wrong: each
# with where it is, and what the build prints in its place.
DEFECTS = {
    "putuo_caizheng-2024": {
        "tables": {},
        "narrative": {
            (Decimal("0.3"), False): "四、财政拨款收入支出总计“0.3万元”“持平”：2961.68万元，减少63.14万元，下降2.09%",
            (Decimal("71.73"), True): "五（二）一般公共服务支出占“71.73%”（2106.66÷2940.05=71.65%）：占71.65%",
            (Decimal("0"), True): ("七（一）因公出国（境）费、公务用车购置及运行维护费“完成预算的0%”，预算为0（零基数无完成率）："
                                   "决算为0.00万元（年初未安排预算）", 2),
        },
    },
    "putuo_shengtai-2025": {
        "tables": {},
        "narrative": {
            (Decimal("0.00"), True): "七（一）因公出国（境）费“完成预算的0.00%”，预算为0：决算为0.00万元（年初未安排预算）",
            (Decimal("2.60"), True): "十一（一）机关运行经费“增长2.60%”（4.68÷180.73=2.59%）：增长2.59%",
        },
    },
    "putuo_wenlv-2025": {
        # 一般公共预算财政拨款支出决算表: the names of the 政府性基金 科目 (20709, 2070904, 212, 21219,
        # 2121999) are listed and the figures slide against the names; the first five rows' figures
        # are printed again after 合计. The build prints each 科目 with its own figures, once.
        "tables": {
            **{(Decimal(v), False): "一般公共预算财政拨款支出决算表 重复印出的前五行" for v in (
                "17127.62", "9753.43", "14758.06", "7383.87", "457.86", "454.06", "3.79", "3070.63", "2362.21",
                "708.42")},
            (Decimal("7374.19"), False): ("一般公共预算财政拨款支出决算表 重复印出的前五行", 2),
            (Decimal("1700.57"), False): ("一般公共预算财政拨款支出决算表 重复印出的前五行", 2),
        },
        "narrative": {
            (Decimal("6.08"), True): "五（二）社会保障和就业支出占“6.08%”（1493.32÷24535.67=6.0863%，截断而非四舍五入）：占6.09%",
            (Decimal("0"), True): "七（一）因公出国（境）费“完成预算的0%”，预算为0：决算为0.00万元（年初未安排预算）",
            (Decimal("28.15"), True): "七（一）公务用车购置及运行维护费“完成预算的28.15%”（2.64÷9.38=28.14%）：28.14%",
            (Decimal("100"), True): "七（一）公务接待费“增长100%”，上年为0（零基数无增长率）：增加0.40万元",
        },
    },
}


def _expected(defects: dict) -> Counter:
    return Counter({figure: (what[1] if isinstance(what, tuple) else 1) for figure, what in defects.items()})


@pytest.mark.parametrize("sample", SAMPLES_SH)
def test_every_published_figure_is_reproduced_but_the_reports_own_defects(built, sample):
    published_tables, published_narrative = _figures(*_published(SAMPLES_SH[sample]))
    built_tables, built_narrative = _figures(*_built(built[sample]))
    assert published_tables - built_tables == _expected(DEFECTS[sample]["tables"])
    assert published_narrative - built_narrative == _expected(DEFECTS[sample]["narrative"])
    # What the share reproduced is (docs/sample-source.md states it): the rest are the defects.
    total = sum(published_tables.values()) + sum(published_narrative.values())
    missed = sum(_expected(DEFECTS[sample]["tables"]).values()) + sum(_expected(DEFECTS[sample]["narrative"]).values())
    assert (total, missed) == {"putuo_caizheng-2024": (329, 4), "putuo_shengtai-2025": (460, 2),
                               "putuo_wenlv-2025": (593, 18)}[sample]


def test_the_tables_extra_figures_are_the_ones_the_published_report_left_out(built):
    """文化和旅游局's 政府性基金 table prints no 本年支出 on its 合计 row; the build does."""
    published, _ = _figures(*_published(SAMPLES_SH["putuo_wenlv-2025"]))
    printed, _ = _figures(*_built(built["putuo_wenlv-2025"]))
    assert printed - published == Counter({(Decimal("2002.80"), False): 2})


# Sentences of the published reports that are wrong, and what the build prints there instead
# (compared without spaces and line breaks).
WORDING = [
    ("putuo_caizheng-2024", "五（三）1、“决算数小于预算数”: kept right",
     "年初预算为1560.05万元，支出决算为1511.89万元。决算数小于预算数", None),
    ("putuo_caizheng-2024", "四、0.3万元与上年“持平”",
     "财政拨款收入支出总计0.3万元。与2023年度相比，财政拨款收入支出总计持平",
     "财政拨款收入支出总计2961.68万元。与2023年度相比，财政拨款收入支出总计减少63.14万元，下降2.09%"),
    ("putuo_caizheng-2024", "六、人员经费列了无数的“个人农业生产补贴”，漏了有数的奖励金（0.31万元）",
     "其他工资福利支出、退休费、个人农业生产补贴；", "其他工资福利支出、退休费、奖励金；"),
    ("putuo_caizheng-2024", "七（一）零预算的“完成预算的0%”",
     "因公出国（境）费决算为0.00万元，完成预算的0%", "因公出国（境）费决算为0.00万元（年初未安排预算）"),
    ("putuo_shengtai-2025", "七（一）“减少为0.00万元，与2024年持平”（上年为0）",
     "公务接待费支出决算减少为0.00万元，与2024年持平", "公务接待费支出决算与2024年度持平"),
    ("putuo_shengtai-2025", "七（二）3、国内公务接待批次、人次未说明",
     "国内公务接待支出0.00万（含外宾接待支出0.00万元）。其中：接待外宾0批次、0人次",
     "国内公务接待支出0.00万元（含外宾接待支出0.00万元）。公务接待0批次、0人次，其中：接待外宾0批次、0人次"),
    ("putuo_shengtai-2025", "六、人员经费列了为0的“其他对个人和家庭的补助”，漏了其他工资福利支出（81.77万元）",
     "住房公积金、退休费、其他对个人和家庭的补助；", "住房公积金、其他工资福利支出、退休费；"),
    ("putuo_wenlv-2025", "七（一）公务接待费“增长100%”（上年为0）",
     "公务接待费支出决算增加0.40万元，增长100%", "公务接待费支出决算增加0.40万元。"),
    ("putuo_wenlv-2025", "八、模板用语“支出收入”",
     "政府性基金预算财政拨款收入2002.80万元，支出收入2002.80万元",
     "政府性基金预算财政拨款收入2002.80万元，支出2002.80万元"),
    ("putuo_wenlv-2025", "五（二）截断的“6.08%”", "社会保障和就业支出（类）1493.32万元，占6.08%",
     "社会保障和就业支出（类）1493.32万元，占6.09%"),
]


@pytest.mark.parametrize("sample, where, wrong, right", WORDING, ids=[w[1] for w in WORDING])
def test_the_published_reports_wrong_sentences_are_not_repeated(built, sample, where, wrong, right):
    published = _flat(_published(SAMPLES_SH[sample])[1])
    printed = _flat(_built(built[sample])[1])
    assert _flat(wrong) in published
    if right is None:  # a sentence the published report has right: the build says the same
        assert _flat(wrong) in printed
        return
    assert _flat(wrong) not in printed
    assert _flat(right) in printed


def _whole(docx: Path) -> str:
    doc = Document(str(docx))
    return _flat("\n".join([p.text for p in doc.paragraphs]
                           + [c.text for t in doc.tables for r in t.rows for c in r.cells]))


# The copy of the 财政局 2024 report with defects put in on purpose: each, and what the build of
# the same figures prints instead.
SEEDED = [
    ("第二部分 模板用语“XX局”", "第二部分上海市普陀区XX局2024年度部门决算表", "第二部分上海市普陀区财政局2024年度部门决算表"),
    ("第三部分 年度写成2023", "第三部分上海市普陀区财政局2023年度部门决算情况说明",
     "第三部分上海市普陀区财政局2024年度部门决算情况说明"),
    ("一、收入支出总计“0万元”却有增减", "2024年度收入支出总计0万元", "2024年度收入支出总计2995.39万元"),
    ("五（三）1、1511.89小于1560.05却说“大于”",
     "年初预算为1560.05万元，支出决算为1511.89万元。决算数大于预算数", "年初预算为1560.05万元，支出决算为1511.89万元。决算数小于预算数"),
    ("五（三）7、80.38小于80.81却说“大于”",
     "年初预算为80.81万元，支出决算为80.38万元。决算数大于预算数", "年初预算为80.81万元，支出决算为80.38万元。决算数小于预算数"),
    ("五（三）9、60.99小于62.29却说“等于”",
     "年初预算为62.29万元，支出决算为60.99万元。决算数等于预算数", "年初预算为62.29万元，支出决算为60.99万元。决算数小于预算数"),
    ("十一（三）截至2023年", "截至2023年12月31日", "截至2024年12月31日"),
    ("名词解释 “。。”", "国有资本经营预算财政拨款。。", "国有资本经营预算财政拨款。"),
]


@pytest.mark.parametrize("where, wrong, right", SEEDED, ids=[s[0] for s in SEEDED])
def test_the_seeded_defects_are_not_in_the_build(built, where, wrong, right):
    seeded = _flat((PUBLISHED / "putuo-caizhengju-2024-final-SEEDED-DEFECTS.txt").read_text(encoding="utf-8"))
    printed = _whole(built["putuo_caizheng-2024"])
    assert _flat(wrong) in seeded
    assert _flat(wrong) not in printed
    assert _flat(right) in printed
    assert "。。" not in printed and "XX" not in printed


def test_the_seeded_copy_lacks_the_expenditure_table_the_build_has(built):
    seeded = (PUBLISHED / "putuo-caizhengju-2024-final-SEEDED-DEFECTS.txt").read_text(encoding="utf-8")
    titles = [p.text for p in Document(str(built["putuo_caizheng-2024"])).paragraphs if p.style.name == "表标题"]
    assert not re.search(r"^\s*支出决算表\s*$", seeded, re.M)
    assert titles == ["收入支出决算总表", "收入决算表", "支出决算表", "财政拨款收入支出决算总表", "一般公共预算财政拨款支出决算表",
                      "一般公共预算财政拨款基本支出决算表", "财政拨款“三公”经费支出决算表",
                      "政府性基金预算财政拨款收入支出决算表", "国有资本经营预算财政拨款收入支出决算表"]


def test_the_report_has_the_published_parts_in_order(built):
    doc = Document(str(built["putuo_shengtai-2025"]))
    headings = [p.text for p in doc.paragraphs if p.style.name in ("Heading 1", "Heading 2")]
    assert headings[:3] == ["第一部分 上海市普陀区生态环境局概况", "一、主要职能", "二、部门决算单位构成"]
    assert headings[3] == "第二部分 上海市普陀区生态环境局2025年度部门决算表"
    third = headings.index("第三部分 上海市普陀区生态环境局2025年度部门决算情况说明")
    assert [h.split("、")[0] for h in headings[third + 1:third + 12]] == [
        "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一"]
    assert headings[third + 12] == "第四部分 名词解释"
    units = doc.tables[0]
    assert [[c.text for c in row.cells] for row in units.rows] == [
        ["序号", "单位名称", "备注"], ["1", "上海市普陀区生态环境局（本级）", ""], ["2", "上海市普陀区生态环境局执法大队", ""],
        ["3", "上海市普陀区环境监测站", ""]]
    info = [p.text for p in doc.paragraphs if p.style.name == "表信息"]
    assert info == ["单位：万元"] * 9


def _changed(tmp_path: Path, sheet: str, code: str, column: int, delta: str) -> Path:
    """A copy of the 财政局 sample with one figure of a function table changed by ``delta``."""
    target = tmp_path / "改过.xlsx"
    shutil.copy(SAMPLES / "putuo_caizheng-2024.xlsx", target)
    wb = openpyxl.load_workbook(target)
    row = next(r for r in wb[sheet].iter_rows() if r[0].value == code)
    row[column].value = Decimal(str(row[column].value)) + Decimal(delta)
    wb.save(target)
    return target


def test_a_figure_off_by_one_wan_is_named_as_the_cell_to_fix(runner, tmp_path):
    workbook = _changed(tmp_path, "收入决算表", "2010601", 3, "1.00")  # 行政运行 财政拨款收入 1511.89 → 1512.89
    result = runner.invoke(main, ["check", str(workbook), *SPEC])
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert first.startswith("[最可能需要修改：收入决算表!D11（") and "多填了 1.00" in first
    assert "错误" in result.output


def test_a_rounding_difference_of_one_fen_is_no_error(runner, tmp_path):
    # 行政运行 本年收入合计 1511.90 = 1511.89 + 0.01; typed 1511.91 it is still a rounding of the
    # 元 figures, and is printed as typed.
    workbook = _changed(tmp_path, "收入决算表", "2010601", 2, "0.01")
    result = runner.invoke(main, ["check", str(workbook), *SPEC])
    assert result.exit_code == 0, result.output
    assert "共 0 个错误" in result.output
    out = tmp_path / "out"
    assert runner.invoke(main, ["build", str(workbook), "-o", str(out), *SPEC]).exit_code == 0
    rows = [[c.text for c in r.cells] for t in Document(str(next(out.glob("*部门决算.docx")))).tables for r in t.rows]
    assert ["2010601", "行政运行", "1,511.91", "1,511.89", "", "", "", "", "0.01"] in rows


def test_two_fen_on_one_figure_is_an_error(runner, tmp_path):
    workbook = _changed(tmp_path, "收入决算表", "2010601", 2, "0.02")
    result = runner.invoke(main, ["check", str(workbook), *SPEC])
    assert result.exit_code == 1
    assert "收入决算表!C11" in result.output and "多 0.02" in result.output


def test_init_writes_the_shanghai_workbook_and_it_reads_back(runner, tmp_path):
    target = tmp_path / "新.xlsx"
    result = runner.invoke(main, ["init", str(target), *SPEC])
    assert result.exit_code == 0, result.output
    titles = openpyxl.load_workbook(target).sheetnames
    assert "收入支出决算总表" in titles and "一般公共预算财政拨款基本支出决算表" in titles
    assert "年初预算" in titles and "单位构成" in titles
    assert not any(t.startswith("自评表") or t in ("分类预算", "项目综述") for t in titles)
    check = runner.invoke(main, ["check", str(target), *SPEC])
    assert "Traceback" not in check.output and check.exit_code in (1, 2)


def test_the_engine_names_no_shanghai_table_row_or_sentence():
    """Nothing under generator/ outside generator/formats/ holds a string of the Shanghai format:
    its table names, row labels, column and list headers, 情况说明 labels."""
    from generator.catalog import load_format

    fmt = load_format("shanghai")
    shanxi = load_format("shanxi")
    known = {t.name for t in shanxi.tables} | {t.title for t in shanxi.tables}
    words = set()
    for table in fmt.tables:
        words |= {table.name, table.title}
        words |= {row.label for row in getattr(table, "rows", ())}
        words |= set(getattr(table, "columns", ()))
    words |= set(fmt.sheets.inputs.kinds)
    words |= {h for listed in fmt.lists for h in listed.columns.values()} | {listed.sheet for listed in fmt.lists}
    words |= {"上海", "部门决算", "万元"}
    # Labels Shanxi's format shares (收入总计, 基本支出, 单位名称, 年初预算 …) and the function tables'
    # headers were in the engine before Shanghai came (#25 takes the Shanxi ones out).
    sheets = shanxi.sheets
    shared = {row.label for t in shanxi.tables for row in getattr(t, "rows", ())} | {
        c for t in shanxi.tables for c in getattr(t, "columns", ())} | known | {
        *sheets.unit.labels, *sheets.class_budget.columns.values(), *sheets.summaries.columns.values(),
        *sheets.inputs.kinds, "科目名称", "功能分类科目编码"}
    words = {w for w in words - shared if len(w) > 2 and not re.fullmatch(r"[一二三四五六七八九十]+、.*", w)}
    hits = [f"{p.relative_to(ROOT)}: {w}" for p in (ROOT / "generator").rglob("*.py") if "formats" not in p.parts
            for w in words if w in p.read_text("utf-8")]
    assert hits == []


def test_its_template_and_its_context_name_the_same_things():
    from generator.audit import audit
    from generator.catalog import load_format
    from generator.context import report_context
    from generator.reader import read_workbook
    from generator.render import template_tags

    fmt = load_format("shanghai")
    wb = read_workbook(str(SAMPLES / "putuo_wenlv-2025.xlsx"), fmt)
    result = audit(wb, fmt)
    context = report_context(wb, result.figures, result.projects, None, fmt)
    tags = template_tags(fmt.template)
    assert set(tags) == set(context) - {"projects", "project_notes"}  # no 自评表: nothing of theirs printed
    assert context["projects"] == [] and tags["lists"] == {"单位构成"}
    assert tags["narrative"] == set(context["narrative"]) == {s.key for s in fmt.sections}


@pytest.mark.skipif(__import__("generator.pdf", fromlist=["find_soffice"]).find_soffice() is None,
                    reason="LibreOffice is not installed: no PDF to check")
def test_the_pdf_has_the_published_pages(runner, tmp_path):
    """The published page structure: cover, 目录, 概况, then each table on its own page — 01, 05
    and 06 upright, the wide 02, 03, 04, 07, 08, 09 across — 情况说明 and 名词解释; valid .docx."""
    from openxml_audit import OpenXmlValidator
    from pypdf import PdfReader

    result = runner.invoke(main, ["build", str(SAMPLES / "putuo_shengtai-2025.xlsx"), "-o", str(tmp_path), "--pdf", *SPEC])
    assert result.exit_code == 0, result.output
    [docx] = tmp_path.glob("*.docx")
    assert OpenXmlValidator().validate(str(docx)).is_valid
    reader = PdfReader(str(next(tmp_path.glob("*.pdf"))))
    pages = [_flat(p.extract_text()) for p in reader.pages]
    titles = ["收入支出决算总表", "收入决算表", "支出决算表", "财政拨款收入支出决算总表", "一般公共预算财政拨款支出决算表",
              "一般公共预算财政拨款基本支出决算表", "财政拨款“三公”经费支出决算表", "政府性基金预算财政拨款收入支出决算表",
              "国有资本经营预算财政拨款收入支出决算表"]
    first = [next(i for i, text in enumerate(pages) if i > 2 and f"{title}单位：万元" in text) for title in titles]
    assert first == sorted(set(first))  # each on a page of its own, in order
    across = [reader.pages[i].mediabox.width > reader.pages[i].mediabox.height for i in first]
    assert across == [False, True, True, True, False, False, True, True, True]
    assert any(text.startswith("上海市普陀区生态环境局2025年度部门决算") for text in pages[3:])  # the running head
    assert "第四部分名词解释" in pages[-2] + pages[-1]


def test_next_years_workbook_carries_the_units_and_last_years_figures(runner, tmp_path):
    target = tmp_path / "2026.xlsx"
    result = runner.invoke(main, ["init", str(target), "--from", str(SAMPLES / "putuo_shengtai-2025.xlsx"), *SPEC])
    assert result.exit_code == 0, result.output
    from generator.catalog import load_format
    from generator.reader import read_workbook

    wb = read_workbook(str(target), load_format("shanghai"))
    assert wb.year == 2026
    assert [row["name"].value for row in wb.lists["单位构成"]] == [
        "上海市普陀区生态环境局（本级）", "上海市普陀区生态环境局执法大队", "上海市普陀区环境监测站"]
    assert wb.lists["年初预算"] == []  # a new year's budget
    assert {label: wb.figure(label).value for label in ("上年收入支出总计", "上年“三公”经费合计", "上年机关运行经费支出")} == {
        "上年收入支出总计": Decimal("4733.14"), "上年“三公”经费合计": Decimal("16.95"), "上年机关运行经费支出": Decimal("185.41")}


def test_running_costs_above_the_public_expenses_are_questioned(runner, tmp_path):
    target = tmp_path / "机关运行经费.xlsx"
    shutil.copy(SAMPLES / "putuo_caizheng-2024.xlsx", target)
    wb = openpyxl.load_workbook(target)
    row = next(r for r in wb["情况说明"].iter_rows() if r[0].value == "机关运行经费支出")
    row[1].value = Decimal("190.00")  # 公用经费合计 is 184.65
    wb.save(target)
    result = runner.invoke(main, ["check", str(target), *SPEC])
    assert result.exit_code == 0
    assert "警告 机关运行经费超过公用经费（请核实）" in result.output and "情况说明!B" in result.output
