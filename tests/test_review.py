"""build --review: the 审阅稿, the report as printed with each finding a Word comment (批注) on the
printed figure, row or sentence it concerns — read back from the .docx as a reviewer sees it in
Word: the text each comment is anchored on, and what the comment says."""

from __future__ import annotations

import hashlib
import re
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree
from openpyxl import load_workbook
from openxml_audit import OpenXmlValidator

from conftest import JINCHENG, SHANXI, XINZHOU, docx_lines, set_cells
from generator.audit import audit
from generator.cli import main
from generator.money import fmt_count, fmt_table
from generator.reader import read_workbook

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
REPORT = "晋城市人力资源和社会保障局2022年度单位决算公开.docx"
REVIEW = "晋城市人力资源和社会保障局2022年度单位决算公开（审阅稿）.docx"
HEADINGS = ("Heading1", "Heading2", "Heading3", "Heading4", "表标题")


def comments(docx: Path) -> list[dict]:
    """Each comment in the order of the text: ``on`` (the text it is anchored on, cells joined by
    |), ``says`` (its text), its author and date, and ``under`` (the last heading before it)."""
    with zipfile.ZipFile(docx) as archive:
        body = etree.fromstring(archive.read("word/document.xml"))
        names = archive.namelist()
        notes = etree.fromstring(archive.read("word/comments.xml")) if "word/comments.xml" in names else None
    said = {}
    for note in ([] if notes is None else notes.iter(f"{W}comment")):
        lines = ["".join(t.text or "" for t in p.iter(f"{W}t")) for p in note.iter(f"{W}p")]
        said[note.get(f"{W}id")] = {"says": "\n".join(lines), "author": note.get(f"{W}author"),
                                    "date": note.get(f"{W}date")}
    found, open_, heading = {}, set(), ""
    for el in body.iter():
        if el.tag == f"{W}p":
            style = el.find(f"{W}pPr/{W}pStyle")
            if style is not None and style.get(f"{W}val") in HEADINGS:
                heading = "".join(t.text or "" for t in el.iter(f"{W}t"))
        elif el.tag == f"{W}commentRangeStart":
            n = el.get(f"{W}id")
            open_.add(n)
            found[n] = {"on": "", "under": heading, **said[n]}
        elif el.tag == f"{W}commentRangeEnd":
            open_.discard(el.get(f"{W}id"))
        elif el.tag == f"{W}t":
            for n in open_:
                found[n]["on"] += el.text or ""
        elif el.tag == f"{W}tc":
            for n in open_:
                found[n]["on"] += "|" if found[n]["on"] else ""
    assert set(found) == set(said), "a comment without its place, or a place without its comment"
    return list(found.values())


def _build(runner, workbook: Path, out: Path, *extra: str):
    return runner.invoke(main, ["build", str(workbook), "-o", str(out), "--review", *extra])


@pytest.fixture(scope="module")
def three_changed(tmp_path_factory):
    """晋城 with three figures changed: 公开05表's 合计 typed 100 short (a table that does not add
    up), 授予中小企业合同金额 typed 0 (below its 小微企业, which a 情况说明 sentence prints), and a
    自评表 indicator scored below its 分值 with its 偏差原因 left blank."""
    folder = tmp_path_factory.mktemp("three")
    workbook = folder / JINCHENG.name
    shutil.copy(JINCHENG, workbook)
    wb = read_workbook(str(JINCHENG), SHANXI)
    project = next(p for p in wb.projects if any(i.score.amount < i.weight.amount for i in p.indicators))
    indicator = next(i for i in project.indicators if i.score.amount < i.weight.amount)
    total, sme = wb["05"].total[0], wb.inputs["授予中小企业合同金额"]
    set_cells(workbook, {total.ref: 62281077.64, sme.ref: 0, indicator.deviation.ref: None})
    return workbook, {"total": total.ref, "sme": sme.ref, "micro": wb.inputs["授予小微企业合同金额"].ref,
                      "indicator": indicator, "project": project}


def test_each_error_is_a_comment_on_the_figure_row_or_sentence_it_concerns(runner, three_changed, tmp_path):
    workbook, cells = three_changed
    result = _build(runner, workbook, tmp_path)
    assert result.exit_code == 1  # errors: no report, but the 审阅稿 and the 审核报告
    assert f"审阅稿（问题已作为批注标在报告中）：{tmp_path / REVIEW}" in result.output
    assert not (tmp_path / REPORT).exists() and (tmp_path / REVIEW).exists()
    table, sentence, row = comments(tmp_path / REVIEW)  # one per finding, in the order of the text

    # The printed 合计 of 公开05表 (recomputed from its 类), in that table.
    assert table["on"] == "62281177.64" and table["under"] == "一般公共预算财政拨款支出决算表"
    assert table["says"].splitlines() == [
        "【错误】合计不等于各类之和",
        "公开05表 合计“小计”：填列 62,281,077.64，按明细重算 62,281,177.64，前者比后者少 100.00",
        f"涉及单元格：{cells['total']}、公开05表!C9、公开05表!C22、公开05表!C28"]

    # The sentence of 十（二） that prints 小微企业's figure, not its whole paragraph.
    assert sentence["on"] == "其中：授予小微企业合同金额67,980.00元，占政府采购支出总额的100.00%。"
    assert sentence["under"] == "（二）政府采购情况说明"
    assert sentence["says"].startswith("【错误】小微企业合同金额超过中小企业\n授予小微企业合同金额超过授予中小企业合同金额")
    assert sentence["says"].endswith(f"涉及单元格：{cells['micro']}、{cells['sme']}")

    # The 自评表 row of the indicator, whose 偏差原因 cell prints nothing.
    indicator = cells["indicator"]
    assert row["under"] == f"{cells['project'].name.value}项目支出绩效自评表"
    assert row["on"].endswith(f"{indicator.level3}|{indicator.initial}|{indicator.adjusted}|{indicator.actual}|"
                              f"{indicator.weight.value:f}|{indicator.score.value:f}|")
    assert row["says"].startswith("【错误】扣分的指标没有写原因\n")
    assert f"请在 {indicator.deviation.ref} 写明扣分的原因和改进措施" in row["says"]

    assert {(c["author"], c["date"]) for c in (table, sentence, row)} == {("审核", "2022-12-31T00:00:00Z")}


def test_the_review_draft_is_the_report_as_printed_marked_审阅稿(runner, three_changed, tmp_path):
    workbook, _ = three_changed
    _build(runner, workbook, tmp_path / "review")
    forced = runner.invoke(main, ["build", str(workbook), "-o", str(tmp_path / "final"), "--force"])
    assert forced.exit_code == 0
    review = docx_lines(tmp_path / "review" / REVIEW)
    draft = docx_lines(tmp_path / "final" / REPORT.replace(".docx", "（草稿）.docx"))
    # The 草稿 lists the findings at its end; the 审阅稿 has them as comments, its text is the report's.
    printed = draft[:draft.index("附：审核发现的问题（草稿）")]
    assert [line for line in review if "审阅稿" not in line] == [line for line in printed if "草稿" not in line]
    assert "审阅稿（不得公开）" in review
    from docx import Document

    header = Document(str(tmp_path / "review" / REVIEW)).sections[1].header.paragraphs[0].text
    assert header == "晋城市人力资源和社会保障局2022年单位决算公开报告（审阅稿）"


def test_the_function_behind_it_says_where_the_review_draft_is(three_changed, tmp_path):
    from generator.errors import AuditFailed
    from generator.report import build

    workbook, _ = three_changed
    with pytest.raises(AuditFailed) as failed:
        build(str(workbook), tmp_path, review=True)
    assert failed.value.review == tmp_path / REVIEW and failed.value.review.exists()
    built = build(str(XINZHOU), tmp_path / "clean", review=True)
    assert built.review.exists() and built.review_comments == 0 and built.report.exists()


def test_a_clean_workbook_gives_a_review_draft_without_comments_beside_its_report(runner, tmp_path):
    result = _build(runner, XINZHOU, tmp_path)
    assert result.exit_code == 0, result.output
    review = next(tmp_path.glob("*（审阅稿）.docx"))
    assert f"审阅稿：{review}（0 条批注）" in result.output
    assert comments(review) == []
    with zipfile.ZipFile(review) as archive:
        assert "word/comments.xml" not in archive.namelist()
    # The report itself is written as ever, unmarked; without --review no 审阅稿 at all.
    report = tmp_path / "忻州市人力资源和社会保障局2022年度单位决算公开.docx"
    assert not any("审阅稿" in line for line in docx_lines(report))
    assert runner.invoke(main, ["build", str(JINCHENG), "-o", str(tmp_path / "plain")]).exit_code == 0
    assert not list((tmp_path / "plain").glob("*审阅稿*"))


def test_warnings_are_comments_under_strict(runner, tmp_path):
    """The 审阅稿 carries what blocks the report: 错误, and 警告 too under --strict."""
    result = _build(runner, JINCHENG, tmp_path, "--strict")
    assert result.exit_code == 1
    found = comments(tmp_path / REVIEW)
    warnings = [f for f in audit(read_workbook(str(JINCHENG), SHANXI), SHANXI).warnings]
    assert len(found) == len(warnings) == 2
    assert all(c["says"].startswith("【警告】") and c["under"].startswith("（") for c in found)
    assert "二级项目1个" in found[0]["on"] and "二级项目绩效自评个数13个，涉及资金45,802,600.00元" in found[1]["on"]


def test_a_finding_printed_nowhere_is_a_comment_on_the_nearest_heading(runner, workbook_copy, tmp_path):
    path = workbook_copy(JINCHENG)
    title = next(c for c in read_workbook(str(path), SHANXI).year_cells if c.ref.startswith("公开03表"))
    set_cells(path, {title.ref: "2021年度"})
    _build(runner, path, tmp_path)
    [found] = comments(tmp_path / REVIEW)
    assert found["on"] == "支出决算表"  # 公开03表's title: its 年度 cell is not printed
    assert found["says"].startswith(f"【错误】年度与单位信息不一致\n{title.ref} 写的是“2021年度”")


def test_a_sentence_is_found_by_the_figure_it_prints(runner, workbook_copy, tmp_path):
    """A 情况说明 input no table prints: the comment is on the sentence built from it."""
    path = workbook_copy(JINCHENG)
    wb = read_workbook(str(path), SHANXI)
    set_cells(path, {wb.inputs["项目自评一般公共预算项目支出"].ref: 1, wb.class_budget[0].initial.ref: -1})
    _build(runner, path, tmp_path)
    by_rule = {c["says"].splitlines()[0]: c for c in comments(tmp_path / REVIEW)}
    split = by_rule["【错误】涉及资金不等于各类预算资金之和"]
    assert split["under"] == "（1）预算绩效管理工作开展情况"
    assert "共涉及资金45,802,600.00元" in split["on"] and split["on"].endswith("。")
    negative = by_rule["【错误】金额为负数"]
    assert negative["under"] == "（三）财政拨款支出决算具体情况"
    assert negative["on"].startswith("晋城市人力资源和社会保障局2022年度财政拨款支出年初预算")


_WB = read_workbook(str(JINCHENG), SHANXI)


def _is_count(table, ref: str) -> bool:
    """A count row (车辆数) prints whole numbers: ``7``, not ``7.00``."""
    lines = getattr(_WB.tables[table.key], "cells", {})
    return any(row.count and any(c.ref == ref for c in lines.get(row.line, ())) for row in getattr(table, "rows", ()))
_TOTALS = sorted(audit(_WB, SHANXI).figures.total_refs)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(ref="公开10表!C15", off=Decimal(100))  # a count row: printed as 7, not 7.00
@given(ref=st.sampled_from(_TOTALS), off=st.sampled_from([Decimal(100), Decimal("0.01"), Decimal(12345)]))
def test_a_total_typed_wrong_is_a_comment_on_its_printed_figure_in_its_table(runner, tmp_path_factory, ref, off):
    """Any stated total of any table, typed wrong: its finding's comment sits on the printed
    (recomputed) figure, under that table's title; where that figure prints nothing (0), on its
    row up to that blank cell."""
    folder = tmp_path_factory.mktemp("total")
    path = folder / JINCHENG.name
    shutil.copy(JINCHENG, path)
    sheet, cell = ref.split("!")
    typed = Decimal(str(load_workbook(JINCHENG, data_only=True)[sheet][cell].value or 0))
    set_cells(path, {ref: float(typed + off)})  # openpyxl writes the cell
    result = audit(read_workbook(str(path), SHANXI), SHANXI)
    _build(runner, path, folder / "out")
    found = comments(folder / "out" / REVIEW)
    assert len(found) == len(result.errors)
    [finding] = [f for f in result.errors if f.cells[0] == ref]
    [comment] = [c for c in found if finding.message in c["says"]]
    table = next(t for t in SHANXI.tables if t.name == sheet)
    assert comment["under"] == table.title
    # The recomputed figure: 按明细重算 …, or the other table's (公开02表 合计“上级补助收入”为 …).
    recomputed = Decimal(re.search(r"(?:按明细重算|为) ([\d,.-]+)，前者比后者", finding.message).group(1).replace(",", ""))
    printed = fmt_count(recomputed) if _is_count(table, ref) else fmt_table(recomputed)
    if printed:
        assert comment["on"] == printed
    else:
        assert comment["on"].endswith("|") and len(comment["on"]) > 1


def test_two_builds_give_the_same_bytes_and_a_rebuild_replaces_it(runner, three_changed, tmp_path):
    workbook, _ = three_changed
    _build(runner, workbook, tmp_path / "a")
    _build(runner, workbook, tmp_path / "b")
    first, second = ((tmp_path / d / REVIEW).read_bytes() for d in "ab")
    assert hashlib.sha256(first).digest() == hashlib.sha256(second).digest()
    assert _build(runner, workbook, tmp_path / "a").exit_code == 1  # not taken for a hand-edited file
    assert (tmp_path / "a" / REVIEW).read_bytes() == first


def test_a_review_draft_with_the_reviewers_replies_is_not_overwritten(runner, three_changed, tmp_path):
    from docx import Document

    workbook, _ = three_changed
    _build(runner, workbook, tmp_path)
    document = Document(str(tmp_path / REVIEW))
    document.add_comment(document.paragraphs[7].runs, text="已核对", author="财政局")
    document.save(str(tmp_path / REVIEW))
    refused = _build(runner, workbook, tmp_path)
    assert refused.exit_code == 2
    assert "这份审阅稿在生成后被手工修改过，为免丢失修改，未覆盖" in refused.output
    assert _build(runner, workbook, tmp_path, "--overwrite").exit_code == 1
    [backup] = tmp_path.glob("*审阅稿*手工修改备份*.docx")
    assert any(c["says"] == "已核对" for c in comments(backup))


def test_the_review_draft_is_valid_wordprocessingml(runner, three_changed, tmp_path):
    workbook, _ = three_changed
    _build(runner, workbook, tmp_path)
    result = OpenXmlValidator().validate(str(tmp_path / REVIEW))
    assert result.is_valid, [str(e) for e in result.errors[:5]]


def test_libreoffice_converts_it_and_its_pdf_leaves_the_comments_out(runner, three_changed, tmp_path):
    from pypdf import PdfReader

    from generator import pdf as libreoffice

    soffice = libreoffice.find_soffice()
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    workbook, _ = three_changed
    _build(runner, workbook, tmp_path)
    pdf = libreoffice.convert(soffice, tmp_path / REVIEW, tmp_path / "审阅稿.pdf")
    pages = PdfReader(str(pdf)).pages
    text = "".join(page.extract_text() or "" for page in pages)
    assert "审阅稿" in text and "62281177.64" in text
    assert "扣分的指标没有写原因" not in text
    assert not any(page.get("/Annots") for page in pages)
