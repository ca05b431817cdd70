"""The reader finds everything by its labels, whatever the clerk did to the layout."""

from decimal import Decimal

import pytest
from openpyxl import load_workbook

from conftest import JINCHENG, SHANXI, XINZHOU, set_cells
from generator.cli import main
from generator.errors import WorkbookError
from generator.reader import read_workbook
from generator.recompute import recompute

D = Decimal


def _edit(path, fn):
    wb = load_workbook(path)
    fn(wb)
    wb.save(path)


def test_samples_read_completely():
    wb = read_workbook(str(JINCHENG), SHANXI)
    assert wb.name == "晋城市人力资源和社会保障局" and wb.year == 2022
    assert len(wb.overview["duties"]) == 11 and len(wb.overview["organization"]) == 34
    assert [len(t.rows) for t in (wb["02"], wb["03"], wb["05"])] == [22, 22, 22]
    assert wb["06"].totals["人员经费合计"][0].value == D("46638830.63")
    assert len(wb.projects) == 13
    assert wb.projects[6].indicators[-1].score.value == D("6.32")
    assert len(read_workbook(str(XINZHOU), SHANXI).projects) == 3


def test_layout_changes_read_the_same(workbook_copy):
    path = workbook_copy()
    before = recompute(read_workbook(str(path), SHANXI), SHANXI)

    def shuffle(wb):
        for name in ("公开02表", "公开05表", "公开06表", "公开10表", "情况说明", "自评表03"):
            wb[name].insert_rows(1)  # one title row more
        wb["公开05表"].insert_rows(12)  # a blank row inside the table
        ws = wb["公开03表"]
        for row in ws.iter_rows(min_row=8):
            if isinstance(row[0].value, str) and row[0].value.isdigit():
                row[0].value = int(row[0].value)  # codes stored as numbers
            if isinstance(row[1].value, str):
                row[1].value = " " + row[1].value[:2] + "\n" + row[1].value[2:] + " "  # wrapped names
            for cell in row[2:]:
                if isinstance(cell.value, (int, float, Decimal)) and cell.value:
                    cell.value = f"{Decimal(str(cell.value)):,}"  # numbers typed as text
        wb["公开01表"].delete_rows(1)  # one title row fewer

    _edit(path, shuffle)
    wb = read_workbook(str(path), SHANXI)
    after = recompute(wb, SHANXI)
    assert after.findings == []
    assert after.tables == before.tables
    assert [line.values for line in after["03"]] == [line.values for line in before["03"]]
    assert wb["03"].rows[1].name == "人力资源和社会保障管理事务"
    assert len(wb.projects) == 13


def test_a_renamed_table_sheet_is_found_by_its_label(workbook_copy):
    path = workbook_copy()
    _edit(path, lambda wb: setattr(wb["公开07表"], "title", "三公"))
    assert read_workbook(str(path), SHANXI)["07"].groups["决算数"][0].value == D("20288.2")


@pytest.mark.parametrize("ref,value,message", [
    ("公开05表!D12", "约五万", "公开05表!D12：应为金额（数字），实际为“约五万”"),
    ("公开03表!A12", "2O80101", "公开03表!A12：应为科目编码（3、5 或 7 位数字），实际为“2O80101”"),
    ("情况说明!B29", "2.5", "情况说明!B29：应为“出国团组数”的整数个数，实际为“2.5”"),
    ("单位信息!B3", None, "单位信息!B3：“单位名称”未填写"),
])
def test_bad_cells_name_sheet_and_cell(workbook_copy, ref, value, message):
    path = workbook_copy()
    set_cells(path, {ref: value})
    with pytest.raises(WorkbookError) as exc:
        read_workbook(str(path), SHANXI)
    assert exc.value.message == message


def test_duplicate_code_and_missing_parent(workbook_copy):
    path = workbook_copy(XINZHOU)
    wb = read_workbook(str(path), SHANXI)
    first, second = wb["05"].rows[1], wb["05"].rows[2]
    set_cells(path, {second.ref: first.code})
    with pytest.raises(WorkbookError, match=f"科目编码 {first.code} 重复"):
        read_workbook(str(path), SHANXI)
    path = workbook_copy(XINZHOU)
    set_cells(path, {first.ref: "299"})
    with pytest.raises(WorkbookError, match="的上级科目 .* 不在表中"):
        read_workbook(str(path), SHANXI)


def test_missing_sheet(workbook_copy):
    path = workbook_copy()
    _edit(path, lambda wb: wb.remove(wb["公开09表"]))
    with pytest.raises(WorkbookError, match="工作簿缺少工作表“公开09表”"):
        read_workbook(str(path), SHANXI)


def test_blank_project_texts_and_supervisor_read_as_empty(workbook_copy):
    path = workbook_copy(XINZHOU)
    wb = read_workbook(str(path), SHANXI)
    p = wb.projects[0]
    refs = {"自评表01!C4": None}
    set_cells(path, refs)
    ws_rows = {}

    def clear_goals(book):
        ws = book["自评表01"]
        for row in ws.iter_rows():
            for cell in row:
                if cell.value in (p.target, p.achieved):
                    ws_rows[cell.coordinate] = cell.value
                    cell.value = None
        for row in book["公开07表"].iter_rows(min_row=9, max_row=9):
            for cell in row:
                cell.value = None

    _edit(path, clear_goals)
    again = read_workbook(str(path), SHANXI)
    assert again.projects[0].supervisor == "" and again.projects[0].unit == p.unit
    assert again.projects[0].target == "" and again.projects[0].achieved == ""
    assert again.projects[0].indicators == p.indicators
    assert all(v.value is None for v in again["07"].groups["决算数"])


def _delete_line(path, sheet, line_col, line):
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb[sheet]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, line_col).value in (line, str(line)))
    ws.delete_rows(row)
    wb.save(path)


@pytest.mark.parametrize("sheet,line,label", [("公开10表", 6, "参照公务员法管理事业单位"),
                                              ("公开10表", 1, "合计")])
def test_a_deleted_row_reads_blank_with_one_warning_naming_the_sheet_and_the_row(runner, workbook_copy, tmp_path,
                                                                               sheet, line, label):
    """A row the sheet lacks (deleted, or one its format gained after it was made) is read as
    blank, never silently: one warning names it, and --strict stops the build on it."""
    path = workbook_copy()
    _delete_line(path, sheet, 2, line)
    result = runner.invoke(main, ["check", str(path)])
    warned = [row for row in result.output.splitlines() if f"{sheet} 行次 {line}“" in row]
    assert len(warned) == 1 and label in warned[0] and "按空白计算" in warned[0]
    strict = runner.invoke(main, ["build", str(path), "-o", str(tmp_path / "out"), "--strict"])
    assert strict.exit_code == 1 and not list((tmp_path / "out").glob("*.docx"))


def test_a_duplicated_06_code_is_reported_like_other_tables(runner, workbook_copy):
    from openpyxl import load_workbook

    path = workbook_copy()
    wb = load_workbook(path)
    ws = wb["公开06表"]
    cells = [c for row in ws.iter_rows() for c in row if str(c.value) in ("30101", "30102")]
    first = next(c for c in cells if str(c.value) == "30101")
    second = next(c for c in cells if str(c.value) == "30102")
    second.value = first.value
    wb.save(path)
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 2
    assert "科目编码 30101 重复" in result.output and f"公开06表!{first.coordinate}" in result.output
