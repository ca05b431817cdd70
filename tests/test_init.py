"""``disclose init``: the blank workbook, filled in, builds the same report; ``--from`` carries
last year over."""

from decimal import Decimal

from openpyxl import load_workbook

from conftest import JINCHENG, SHANXI, XINZHOU, docx_lines
from generator.cli import main
from generator.reader import read_workbook

D = Decimal


def _fill(blank, sample, target):
    """Type a sample's figures and texts into a blank workbook, as a clerk would: every value
    cell by cell, leaving the blank's formulas; each 自评表 copied whole (a clerk copies the sheet
    and adds indicator rows)."""
    wb, src = load_workbook(blank), load_workbook(sample)
    for name in [n for n in wb.sheetnames if n.startswith("自评表")]:
        del wb[name]
    for ws in src.worksheets:
        sheet = wb[ws.title] if ws.title in wb.sheetnames else wb.create_sheet(ws.title)
        for merged in list(sheet.merged_cells.ranges):
            sheet.unmerge_cells(str(merged))
        for row in sheet.iter_rows():  # paste over: what the blank had there goes, formulas stay
            for cell in row:
                if not (isinstance(cell.value, str) and cell.value.startswith("=")):
                    cell.value = None
        for row in ws.iter_rows():
            for cell in row:
                existing = sheet[cell.coordinate].value
                if cell.value is not None and not (isinstance(existing, str) and existing.startswith("=")):
                    sheet[cell.coordinate].value = cell.value
                    sheet[cell.coordinate].data_type = cell.data_type  # "=100%" typed as text stays text
    wb.save(target)


def test_init_writes_a_blank_workbook_that_cannot_be_built_untouched(runner, tmp_path):
    path = tmp_path / "新工作簿.xlsx"
    result = runner.invoke(main, ["init", str(path)])
    assert result.exit_code == 0, result.output
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "填表说明"
    assert {f"公开{n:02d}表" for n in range(1, 11)} <= set(wb.sheetnames)
    assert wb["公开01表"]["C34"].value == "=SUM(C8:C15)"  # 本年收入合计 adds up while typing
    assert wb["公开06表"]["C35"].value == "=C7+C21"  # 人员经费合计 = 301 + 303
    assert any(dv.type == "whole" for dv in wb["情况说明"].data_validations.dataValidation)
    built = runner.invoke(main, ["build", str(path), "-o", str(tmp_path / "out")])
    assert built.exit_code == 2
    assert built.output == "错误：单位信息!B3：“单位名称”未填写\n"
    assert not (tmp_path / "out").exists()
    again = runner.invoke(main, ["init", str(path)])
    assert again.exit_code == 2 and "文件已存在" in again.output


def test_a_filled_blank_builds_the_same_report_as_the_sample(runner, tmp_path):
    blank, filled = tmp_path / "blank.xlsx", tmp_path / "filled.xlsx"
    assert runner.invoke(main, ["init", str(blank)]).exit_code == 0
    _fill(blank, JINCHENG, filled)
    ours = runner.invoke(main, ["build", str(filled), "-o", str(tmp_path / "a")])
    assert ours.exit_code == 0, ours.output
    assert "共 0 个错误、" in ours.output
    sample = runner.invoke(main, ["build", str(JINCHENG), "-o", str(tmp_path / "b")])
    assert sample.exit_code == 0
    [a] = (tmp_path / "a").glob("*.docx")
    [b] = (tmp_path / "b").glob("*.docx")
    assert docx_lines(a) == docx_lines(b)


def test_init_from_last_year_carries_the_prior_year_figures(runner, tmp_path):
    path = tmp_path / "2023.xlsx"
    result = runner.invoke(main, ["init", "--from", str(JINCHENG), str(path)])
    assert result.exit_code == 0, result.output
    wb = read_workbook(str(path), SHANXI)
    assert wb.name == "晋城市人力资源和社会保障局" and wb.year == 2023
    assert wb.overview == read_workbook(str(JINCHENG), SHANXI).overview
    expected = {
        "上年收入总计": "62373182.64", "上年支出总计": "62373182.64",
        "上年财政拨款收入总计": "62281177.64", "上年财政拨款支出总计": "62281177.64",
        "上年一般公共预算财政拨款支出": "62281177.64", "上年“三公”经费合计": "20288.20",
        "上年因公出国（境）费": "0", "上年公务用车购置费": "0", "上年公务用车运行维护费": "11585.20",
        "上年公务接待费": "8703.00", "上年机关运行经费": "1050304.34",
    }
    assert {label: wb.inputs[label].value for label in expected} == {k: D(v) for k, v in expected.items()}
    assert [(c.code, c.prior.value) for c in wb.class_budget] == [
        ("208", D("61443664.55")), ("210", D("345419.33")), ("221", D("492093.76"))]
    assert wb.inputs["其他用车主要用途"].value == "机关公务用车"


def test_init_from_names_the_new_workbook_after_the_unit(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["init", "--from", str(XINZHOU)])
    assert result.exit_code == 0
    assert (tmp_path / "忻州市人力资源和社会保障局2023年度决算公开工作簿.xlsx").exists()
