"""The bureau's list of units (import), its status table, the failing rules, the exports."""

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from generator.bureau import overview
from generator.bureau.overview import UnitRow
from generator.bureau.unitlist import UnitListError, blank_list, read_units
from generator.errors import WorkbookError
from generator.findings import Finding


def _list(tmp_path, rows, title="Sheet1", name="名单.xlsx") -> str:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    book.save(path)
    return str(path)


def test_units_are_read_by_their_labels_in_any_column_order(tmp_path):
    path = _list(tmp_path, [["2023年各单位名单"], [], ["序号", "单位编码", "联系电话", "单位名称", "联系人"],
                            [1, "001001", "0356-1234567", "晋城市人力资源和社会保障局", "张三"],
                            [None, None, None, None, None],
                            [2, 1002, None, "  忻州市人力资源和\n社会保障局 ", "李四"]])
    units = read_units(path)
    assert [(u.code, u.name, u.contact) for u in units] == [
        ("001001", "晋城市人力资源和社会保障局", "张三，0356-1234567"),
        ("1002", "忻州市人力资源和 社会保障局", "李四")]


def test_the_blank_list_reads_back_once_filled(tmp_path):
    path = tmp_path / "blank.xlsx"
    path.write_bytes(blank_list())
    book = load_workbook(path)
    sheet = book.active
    assert [c.value for c in sheet[1]] == ["单位名称", "单位编码", "联系人", "联系电话"]
    sheet.append(["某单位", "000123", "王五", None])
    book.save(path)
    assert [(u.code, u.contact) for u in read_units(str(path))] == [("000123", "王五")]


@pytest.mark.parametrize("rows, message", [
    ([["名称", "代号"], ["某单位", "1"]], "找不到表头"),
    ([["单位名称", "单位编码"], ["某单位", None]], "名单!B2：“某单位”没有单位编码"),
    ([["单位名称", "单位编码"], [None, "001"]], "名单!A2：单位名称为空"),
    ([["单位名称", "单位编码"], ["甲", "001"], ["乙", "001"]], "名单!B3：单位编码“001”与 名单!B2 重复"),
    ([["单位名称", "单位编码"], ["甲", "../etc"]], "名单!B2：单位编码“../etc”只能由字母、数字"),
    ([["单位名称", "单位编码"], ["甲", "<script>"]], "只能由字母、数字"),
    ([["单位名称", "单位编码"]], "表头下面没有单位"),
])
def test_a_bad_list_is_one_chinese_message_naming_each_cell(tmp_path, rows, message):
    with pytest.raises(UnitListError) as refused:
        read_units(_list(tmp_path, rows, title="名单"))
    assert message in refused.value.message


def test_every_problem_is_named_at_once_and_nothing_imported(tmp_path):
    rows = [["单位名称", "单位编码"]] + [[f"单位{i}", None] for i in range(12)]
    with pytest.raises(UnitListError) as refused:
        read_units(_list(tmp_path, rows, title="名单"))
    assert "名单!B2" in refused.value.message and "名单!B11" in refused.value.message
    assert "另有 2 处" in refused.value.message and "未导入任何单位" in refused.value.message


def test_a_file_that_is_no_workbook_is_refused(tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(WorkbookError):
        read_units(str(path))


@pytest.mark.parametrize("args, expected", [
    ((False, 0, 0, False, False), "未上传"),
    ((True, 3, 2, False, False), "有错误"),
    ((True, 3, 2, True, True), "有错误"),  # a report of an earlier upload no longer counts
    ((True, 0, 2, False, False), "仅有警告"),
    ((True, 0, 0, False, False), "审核通过"),
    ((True, 0, 2, True, False), "已生成报告"),
    ((True, 0, 0, True, True), "已生成 PDF"),
])
def test_status_of_a_unit(args, expected):
    assert overview.status(*args) == expected


def _finding(rule, severity="错误"):
    return Finding(severity, rule, "…", ("公开01表!B6",))


ROWS = [
    UnitRow("003", "丙单位", "", "有错误", 2, 1, "2026-09-20 10:00:00", 2022,
            findings=(_finding("合计=Σ类"), _finding("合计=Σ类"), _finding("收支平衡", "警告"))),
    UnitRow("001", "甲单位", "", "已生成 PDF", 0, 0, "2026-09-21 09:00:00", 2022),
    UnitRow("002", "乙单位", "", "未上传"),
    UnitRow("004", "丁单位", "", "仅有警告", 0, 1, "2026-09-19 08:00:00", 2022,
            findings=(_finding("收支平衡", "警告"),)),
    UnitRow("005", "戊单位", "", "有错误", 1, 0, "2026-09-22 08:00:00", 2022, findings=(_finding("合计=Σ类"),)),
]


def test_the_table_sorts_by_any_column_and_filters_by_status_and_text():
    assert [r.code for r in overview.table(ROWS)] == ["001", "002", "003", "004", "005"]
    assert [r.code for r in overview.table(ROWS, "status")] == ["002", "003", "005", "004", "001"]
    assert [r.code for r in overview.table(ROWS, "errors", descending=True)] == ["003", "005", "001", "004", "002"]
    assert [r.code for r in overview.table(ROWS, "uploaded", descending=True)][:2] == ["005", "001"]
    assert [r.code for r in overview.table(ROWS, "no-such-column")] == ["001", "002", "003", "004", "005"]
    assert [r.code for r in overview.table(ROWS, only="有错误")] == ["003", "005"]
    assert [r.code for r in overview.table(ROWS, text="乙")] == ["002"]
    assert [r.code for r in overview.table(ROWS, text=" 00 ", only="未上传")] == ["002"]


def test_counts_by_status():
    assert overview.counts(ROWS) == {"未上传": 1, "有错误": 2, "仅有警告": 1, "审核通过": 0, "已生成报告": 0,
                                     "已生成 PDF": 1}


def test_most_failed_rules_count_each_unit_once():
    failing = overview.most_failed(ROWS)
    assert [(f.rule, f.severity, f.units) for f in failing] == [
        ("合计=Σ类", "错误", ("003", "005")), ("收支平衡", "警告", ("003", "004"))]
    assert overview.most_failed(ROWS, limit=1)[0].rule == "合计=Σ类"


def test_the_status_workbook_has_one_row_per_unit():
    sheet = load_workbook(io.BytesIO(overview.status_workbook(overview.table(ROWS)))).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["单位编码", "单位名称", "联系方式", "状态", "错误", "警告", "最近上传", "报告年度"]
    assert values[1] == ["001", "甲单位", None, "已生成 PDF", 0, 0, "2026-09-21 09:00:00", 2022]
    assert values[2] == ["002", "乙单位", None, "未上传", None, None, None, None]
    assert len(values) == 6


def test_the_zip_holds_exactly_the_reports_given_in_a_folder_per_unit(tmp_path):
    docx, pdf = tmp_path / "甲单位2022年度单位决算公开.docx", tmp_path / "甲单位2022年度单位决算公开.pdf"
    docx.write_bytes(b"docx bytes")
    pdf.write_bytes(b"pdf bytes")
    rows = [UnitRow("001", "甲/单位", "", "已生成 PDF", reports=(docx, pdf)), UnitRow("002", "乙", "", "未上传")]
    target = tmp_path / "out" / "全部报告.zip"
    assert overview.write_reports_zip(rows, target) == 2
    with zipfile.ZipFile(target) as archive:
        assert sorted(archive.namelist()) == ["001 甲单位/甲单位2022年度单位决算公开.docx",
                                              "001 甲单位/甲单位2022年度单位决算公开.pdf"]
        assert archive.read("001 甲单位/甲单位2022年度单位决算公开.pdf") == b"pdf bytes"
    assert [p.name for p in target.parent.iterdir()] == ["全部报告.zip"]
