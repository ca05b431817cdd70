"""Write the standard workbook: every sheet, label, 栏次 and fixed row.

Used to make the sample workbooks from their transcripts and (with no data) the blank
workbook a clerk starts from. The layout mirrors the published tables so that the 决算
software's export can be pasted in; ``reader`` finds everything again by its labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from . import layout
from .files import TEMPLATES, atomic_target

INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")

Source = Mapping[str, Any]


class _Sheet:
    """A worksheet being written row by row."""

    def __init__(self, wb: Workbook, title: str, widths: Sequence[int] = ()):
        self.ws = wb.create_sheet(title)
        self.row = 0
        for i, width in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = width

    def put(self, *values: object, inputs: Sequence[int] = (), bold: bool = False) -> int:
        """Append a row; ``inputs`` are the 1-based columns a clerk fills in."""
        self.row += 1
        for col, value in enumerate(values, start=1):
            if value in (None, ""):
                cell = self.ws.cell(self.row, col)
            else:
                cell = self.ws.cell(self.row, col, value)
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"  # an indicator value such as "=17人", not a formula
            if col in inputs:
                cell.fill = INPUT_FILL
            if bold:
                cell.font = BOLD
            if isinstance(value, str) and len(value) > 20:
                cell.alignment = WRAP
        return self.row

    def merge(self, first_col: int, last_col: int, row: int | None = None) -> None:
        row = row or self.row
        self.ws.merge_cells(start_row=row, start_column=first_col, end_row=row, end_column=last_col)

    def heading(self, key: str, unit: str, year: str, width: int) -> None:
        self.put(layout.TABLE_TITLES[key], bold=True)
        self.merge(1, width)
        self.put(f"公开{key}表")
        self.put(f"部门名称：{unit}")
        self.put(f"{year}年度", *[""] * (width - 2), "金额单位：元")

    def note(self, key: str) -> None:
        self.put(layout.TABLE_NOTES[key])


def _numeric(value: object) -> object:
    if value in (None, ""):
        return None
    text = str(value)
    try:
        Decimal(text)
    except ArithmeticError:
        return text
    # A numeric cell, so Excel sums it; openpyxl stores Decimal exactly as written.
    return Decimal(text)


def write_workbook(source: Source, path: str, *, formulas: bool = False) -> None:
    """Write the standard workbook for ``source`` (a transcript dict; ``{}`` for a blank one).

    With ``formulas`` (the workbook a clerk starts from), every total is an Excel formula so the
    sheets add up while the clerk types, count cells only accept whole numbers, and a 填表说明
    sheet comes first. The tool itself still recomputes every total from the leaves.
    """
    wb = Workbook()
    wb.remove(wb.active)
    unit = source.get("unit", {})
    name, year = unit.get("单位名称", ""), str(unit.get("年度", ""))

    _unit_sheet(wb, unit)
    _overview_sheet(wb, source.get("overview", {}))
    _t01(wb, source.get("t01", {}), name, year)
    for key in ("02", "03"):
        _function_table(wb, key, source.get(f"t{key}", []), name, year)
    _t04(wb, source.get("t04", {}), name, year)
    _function_table(wb, "05", source.get("t05", []), name, year)
    _t06(wb, source.get("t06", {}), name, year)
    _t07(wb, source.get("t07", {}), name, year)
    for key in ("08", "09"):
        _function_table(wb, key, source.get(f"t{key}", []), name, year)
    _t10(wb, source.get("t10", {}), name, year)
    _inputs_sheet(wb, source.get("inputs", {}))
    _table_sheet(wb, "分类预算", layout.CLASS_BUDGET_HEADERS, source.get("class_budget", []),
                 amounts=("年初预算", "上年决算"))
    _table_sheet(wb, "项目综述", layout.SUMMARY_HEADERS + layout.SUMMARY_AMOUNT_HEADERS,
                 source.get("project_summaries", []), amounts=layout.SUMMARY_AMOUNT_HEADERS)
    _table_sheet(wb, "名词解释", (layout.TERMS_HEADER,),
                 [{layout.TERMS_HEADER: t} for t in source.get("extra_terms", [])])
    projects = source.get("projects", [])
    for i, project in enumerate(projects or [{}], start=1):
        _project_sheet(wb, f"自评表{i:02d}", project, unit, year)
    if formulas:
        add_formulas(wb)
    wb.save(path)


def write_new_workbook(source: Source, path: Path) -> None:
    """The workbook a clerk starts from, written atomically (see ``write_workbook``)."""
    with atomic_target(path, "工作簿") as tmp:
        write_workbook(source, str(tmp), formulas=True)


def _unit_sheet(wb: Workbook, unit: Source) -> None:
    s = _Sheet(wb, "单位信息", (20, 60))
    s.put("单位信息", bold=True)
    s.put("项目", "内容", bold=True)
    for label in layout.UNIT_LABELS:
        s.put(label, unit.get(label, ""), inputs=(2,))


def _overview_sheet(wb: Workbook, overview: Source) -> None:
    s = _Sheet(wb, "概况", (20, 100))
    s.put("第一部分 概况（每行一段）", bold=True)
    s.put("栏目", "内容", bold=True)
    for section, key in zip(layout.OVERVIEW_SECTIONS, ("职责", "机构设置")):
        paragraphs = overview.get(key, []) or [""]
        for i, text in enumerate(paragraphs):
            s.put(section if i == 0 else "", text, inputs=(2,))


def _t01(wb: Workbook, data: Source, name: str, year: str) -> None:
    s = _Sheet(wb, "公开01表", (34, 8, 16, 34, 8, 16))
    s.heading("01", name, year, 6)
    s.put("收入", "", "", "支出", bold=True)
    s.put("项目", "行次", "决算数", "项目", "行次", "决算数", bold=True)
    s.put("栏次", "", 1, "栏次", "", 2)
    for i in range(31):
        left, right = i + 1, i + 32
        s.put(layout.T01_LABELS.get(left, ""), left, _numeric(data.get(str(left))),
              layout.T01_LABELS.get(right, ""), right, _numeric(data.get(str(right))), inputs=(3, 6))
    s.note("01")


def _t04(wb: Workbook, data: Source, name: str, year: str) -> None:
    s = _Sheet(wb, "公开04表", (30, 8, 16, 30, 8, 16, 16, 16, 16))
    s.heading("04", name, year, 9)
    s.put("收入", "", "", "支出", bold=True)
    s.put("项目", "行次", "金额", "项目", "行次", *layout.T04_COLUMNS, bold=True)
    s.put("栏次", "", 1, "栏次", "", 2, 3, 4, 5)
    for i in range(32):
        left, right = i + 1, i + 33
        values = list(data.get(str(right), [])) + [""] * 4
        s.put(layout.T04_LABELS.get(left, ""), left, _numeric(data.get(str(left))),
              layout.T04_LABELS.get(right, ""), right, *[_numeric(v) for v in values[:4]],
              inputs=(3, 6, 7, 8, 9))
    s.note("04")


def _function_table(wb: Workbook, key: str, rows: Sequence, name: str, year: str) -> None:
    columns = layout.FUNCTION_COLUMNS[key]
    s = _Sheet(wb, f"公开{key}表", (16, 34, *[16] * len(columns)))
    s.heading(key, name, year, 2 + len(columns))
    s.put("项目", "", *columns, bold=True)
    s.put("功能分类科目编码", "科目名称", bold=True)
    s.put("栏次", "", *range(1, len(columns) + 1))
    inputs = tuple(range(1, 3 + len(columns)))
    if not rows:
        rows = [["", "合计", []]]
    for code, title, values in rows:
        values = list(values) + [""] * len(columns)
        label = (code, title) if code else ("合计", "")
        s.put(*label, *[_numeric(v) for v in values[: len(columns)]], inputs=inputs)
    s.note(key)
    if all(not code for code, _, _ in rows):
        s.put("说明：本表无数据（有数据时在合计行下逐行填列类、款、项）")


def _t06(wb: Workbook, data: Source, name: str, year: str) -> None:
    s = _Sheet(wb, "公开06表", [10, 24, 14, 14] * 4)
    s.heading("06", name, year, 16)
    s.put("人员经费", "", "", "", "公用经费", bold=True)
    s.put(*["科目编码", "科目名称", "金额", "其中：基本支出"] * 4, bold=True)
    for pairs in layout.t06_grid():
        cells: list[object] = []
        inputs: list[int] = []
        for b, pair in enumerate(pairs):
            if pair is None:
                cells += ["", "", "", ""]
                continue
            code, title = pair
            amount, basic = (list(data.get(code, [])) + ["", ""])[:2]
            no_basic = layout.t06_no_basic(code)
            cells += [code, title, _numeric(amount), "——" if no_basic else _numeric(basic)]
            inputs += [b * 4 + 3] + ([] if no_basic else [b * 4 + 4])
        s.put(*cells, inputs=inputs)
    personnel = (list(data.get("人员经费合计", [])) + ["", ""])[:2]
    public = (list(data.get("公用经费合计", [])) + ["", ""])[:2]
    s.put("人员经费合计", "", _numeric(personnel[0]), _numeric(personnel[1]), "公用经费合计",
          *[""] * 9, _numeric(public[0]), _numeric(public[1]), inputs=(3, 4, 15, 16), bold=True)
    s.note("06")


def _t07(wb: Workbook, data: Source, name: str, year: str) -> None:
    s = _Sheet(wb, "公开07表", [14] * 12)
    s.heading("07", name, year, 12)
    s.put("预算数", *[""] * 5, "决算数", bold=True)
    top = ("合计", "因公出国（境）费", "公务用车购置及运行维护费", "", "", "公务接待费")
    s.put(*top, *top, bold=True)
    sub = ("", "", "小计", "公务用车购置费", "公务用车运行维护费", "")
    s.put(*sub, *sub, bold=True)
    s.put(*range(1, 13))
    budget = (list(data.get("预算数", [])) + [""] * 6)[:6]
    actual = (list(data.get("决算数", [])) + [""] * 6)[:6]
    s.put(*[_numeric(v) for v in budget + actual], inputs=tuple(range(1, 13)))
    s.note("07")


def _t10(wb: Workbook, data: Source, name: str, year: str) -> None:
    s = _Sheet(wb, "公开10表", (44, 8, 18))
    s.heading("10", name, year, 3)
    s.put("项目", "行次", "金额/统计数", bold=True)
    sections = {1: "一、政府采购情况", 5: "二、机关运行经费", 7: "三、国有资产占用情况"}
    for line, label in layout.T10_ROWS.items():
        if line in sections:
            s.put(sections[line], bold=True)
        s.put(label, line, _numeric(data.get(str(line))), inputs=(3,))
    s.note("10")


def _inputs_sheet(wb: Workbook, inputs: Source) -> None:
    s = _Sheet(wb, "情况说明", (34, 80))
    s.put("第三部分 情况说明：表中没有的数字和文字（上年数按上年决算填列；原因等文字不必以句号结尾）", bold=True)
    s.put("项目", "内容", bold=True)
    for heading, items in layout.INPUT_SECTIONS:
        s.put(heading, bold=True)
        for label, kind in items:
            value = inputs.get(label, "")
            s.put(label, _numeric(value) if kind != "text" else value, inputs=(2,))


def _table_sheet(wb: Workbook, title: str, headers: Sequence[str], rows: Sequence[Source],
                 amounts: Sequence[str] = ()) -> None:
    s = _Sheet(wb, title, [16 if h in amounts or "编码" in h else 40 for h in headers])
    s.put(*headers, bold=True)
    cols = tuple(range(1, len(headers) + 1))
    for row in rows or [{}]:
        s.put(*[_numeric(row.get(h, "")) if h in amounts else row.get(h, "") for h in headers],
              inputs=cols)


def _project_sheet(wb: Workbook, title: str, p: Source, unit: Source, year: str) -> None:
    s = _Sheet(wb, title, (14, 14, 18, 14, 14, 14, 14, 10, 10, 30))
    s.put(f"{p.get('项目名称', '')}{layout.PROJECT_TITLE_SUFFIX}", bold=True)
    s.merge(1, 10)
    s.put(f"（{year}年度）")
    s.merge(1, 10)
    s.put("项目名称", "", p.get("项目名称", ""), inputs=(3,))
    s.merge(3, 10)
    s.put("主管部门及代码", "", p.get("主管部门及代码", unit.get("主管部门及代码", "")), "", "", "",
          "预算单位", p.get("预算单位", unit.get("预算单位", "")), inputs=(3, 8))
    s.merge(3, 6)
    s.merge(8, 10)
    first = s.put("项目资金预算安排及执行进度（万元）", "", "", "年初预算数", "", "全年预算数",
                  "全年执行数", "资金结（转）余", "执行率", "得分", bold=True)
    s.merge(4, 5)
    s.put("", "", "", "目标申报数", "预算编制数", bold=True)
    keys = ("目标申报数", "预算编制数", "全年预算数", "全年执行数", "资金结余", "执行率", "得分")
    funds = p.get("funds") or [{"来源": "资金总额："}, {"来源": "市县区财政资金"}]
    for fund in funds:
        label = fund.get("来源", "")
        if label == "资金总额":
            label = "资金总额："
        s.put("", label, "", *[_numeric(fund.get(k, "")) for k in keys], inputs=tuple(range(2, 11)))
        s.merge(2, 3)
    s.ws.merge_cells(start_row=first, start_column=1, end_row=s.row, end_column=1)
    s.ws.cell(first, 1).alignment = WRAP
    top = s.put("项目年度绩效目标", "年度目标", "", "", "", "", "实际完成情况", bold=True)
    s.merge(2, 6)
    s.merge(7, 10)
    s.put("", p.get("年度目标", ""), "", "", "", "", p.get("实际完成情况", ""), inputs=(2, 7))
    s.merge(2, 6)
    s.merge(7, 10)
    s.ws.merge_cells(start_row=top, start_column=1, end_row=s.row, end_column=1)
    top = s.put("绩效指标", *layout.INDICATOR_HEADERS, bold=True)
    ind_keys = layout.INDICATOR_HEADERS
    for ind in p.get("indicators") or [{}]:
        values = [ind.get(k, "") for k in ind_keys]
        values[6] = _numeric(values[6])
        values[7] = _numeric(values[7])
        s.put("", *values, inputs=tuple(range(2, 11)))
    s.ws.merge_cells(start_row=top, start_column=1, end_row=s.row, end_column=1)
    s.put("总分", "", "", "", "", "", "", "", _numeric(p.get("总分", "")), p.get("等级", ""),
          inputs=(9, 10), bold=True)
    s.merge(1, 8)
    top = s.row + 1
    analysis = p.get("analysis", {})
    for label in layout.ANALYSIS_LABELS:
        s.put("项目绩效自评结果分析" if s.row + 1 == top else "", label, "", analysis.get(label, ""),
              inputs=(4,))
        s.merge(2, 3)
        s.merge(4, 10)
    s.ws.merge_cells(start_row=top, start_column=1, end_row=s.row, end_column=1)
    for line in layout.PROJECT_NOTES:
        s.put(line)
        s.merge(1, 10)


# ---- the blank workbook's formulas and checks ----

def _col(n: int) -> str:
    return get_column_letter(n)


def _rows_by_line(ws, line_col: int) -> dict[int, int]:
    """{行次 → worksheet row} read back from a 行次 column just written."""
    found = {}
    for row in ws.iter_rows(min_row=1, min_col=line_col, max_col=line_col):
        value = row[0].value
        if isinstance(value, int):
            found[value] = row[0].row
    return found


def _set(ws, ref: str, formula: str) -> None:
    ws[ref] = formula
    ws[ref].fill = PatternFill()  # computed, not typed: not highlighted


def add_formulas(wb: Workbook) -> None:
    """Formulas for every total of a workbook laid out by :func:`write_workbook`."""
    guide = wb.create_sheet("填表说明", 0)
    guide.column_dimensions["A"].width = 110
    text = (TEMPLATES / "workbook-guide.txt").read_text(encoding="utf-8")
    for i, line in enumerate(text.splitlines(), start=1):
        guide.cell(i, 1, line).alignment = Alignment(wrap_text=True)
    _t01_formulas(wb["公开01表"])
    _t04_formulas(wb["公开04表"])
    for key in layout.FUNCTION_COLUMNS:
        ws = wb[f"公开{key}表"]
        for i in range(len(layout.FUNCTION_COLUMNS[key])):
            c = _col(3 + i)
            _set(ws, f"{c}8", f"=SUMPRODUCT(--(LEN($A$9:$A$3000)=3),{c}9:{c}3000)")
    _t06_formulas(wb["公开06表"])
    ws = wb["公开07表"]
    for base in (0, 6):
        a, b, c, d, e, f = (_col(base + i) for i in range(1, 7))
        _set(ws, f"{c}9", f"={d}9+{e}9")
        _set(ws, f"{a}9", f"={b}9+{c}9+{f}9")
    ws = wb["公开10表"]
    rows = _rows_by_line(ws, 2)
    _set(ws, f"C{rows[1]}", f"=SUM(C{rows[2]}:C{rows[4]})")
    _set(ws, f"C{rows[7]}", f"=SUM(C{rows[8]}:C{rows[15]})")
    counts = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0",
                            error="请填写不小于 0 的整数", errorTitle="应为整数", showErrorMessage=True)
    ws.add_data_validation(counts)
    for line in layout.T10_COUNT_ROWS:
        counts.add(f"C{rows[line]}")
    _inputs_validation(wb["情况说明"])
    for ws in wb.worksheets:
        if ws.title.startswith("自评表"):
            _project_formulas(ws)


def _t01_formulas(ws) -> None:
    left, right = _rows_by_line(ws, 2), _rows_by_line(ws, 5)
    _set(ws, f"C{left[27]}", f"=SUM(C{left[1]}:C{left[8]})")
    _set(ws, f"C{left[31]}", f"=SUM(C{left[27]}:C{left[30]})")
    _set(ws, f"F{right[58]}", f"=SUM(F{right[32]}:F{right[57]})")
    _set(ws, f"F{right[62]}", f"=SUM(F{right[58]}:F{right[61]})")


def _t04_formulas(ws) -> None:
    left, right = _rows_by_line(ws, 2), _rows_by_line(ws, 5)
    _set(ws, f"C{left[27]}", f"=SUM(C{left[1]}:C{left[3]})")
    _set(ws, f"C{left[28]}", f"=SUM(C{left[29]}:C{left[31]})")
    _set(ws, f"C{left[32]}", f"=C{left[27]}+C{left[28]}")
    for line in (*range(33, 59), 60):
        r = right[line]
        _set(ws, f"F{r}", f"=SUM(G{r}:I{r})")
    for c in "GHI":
        _set(ws, f"{c}{right[59]}", f"=SUM({c}{right[33]}:{c}{right[58]})")
        _set(ws, f"{c}{right[64]}", f"={c}{right[59]}+{c}{right[60]}")
    _set(ws, f"F{right[59]}", f"=SUM(G{right[59]}:I{right[59]})")
    _set(ws, f"F{right[64]}", f"=F{right[59]}+F{right[60]}")


def _t06_formulas(ws) -> None:
    cells: dict[str, tuple[int, int]] = {}  # code → (row, amount column)
    for row in ws.iter_rows(min_row=7):
        for b in range(4):
            code = row[b * 4].value
            if isinstance(code, str) and code.isdigit():
                cells[code] = (row[0].row, b * 4 + 3)
    classes = [c for c in cells if len(c) == 3]
    for cls in classes:
        r, c = cells[cls]
        kids = [cells[k] for k in cells if len(k) == 5 and k.startswith(cls)]
        for offset in (0, 1):
            if offset and layout.t06_no_basic(cls):
                continue
            _set(ws, f"{_col(c + offset)}{r}", "=" + "+".join(f"{_col(kc + offset)}{kr}" for kr, kc in kids))
    total_row = max(r for r, _ in cells.values()) + 1
    while ws.cell(total_row, 1).value != "人员经费合计":
        total_row += 1
    personnel = [cells[c] for c in layout.T06_PERSONNEL_CLASSES]
    public = [cells[c] for c in classes if c not in layout.T06_PERSONNEL_CLASSES]
    for offset in (0, 1):
        _set(ws, f"{_col(3 + offset)}{total_row}", "=" + "+".join(f"{_col(c + offset)}{r}" for r, c in personnel))
        _set(ws, f"{_col(15 + offset)}{total_row}", "=" + "+".join(
            f"{_col(c + offset)}{r}" for r, c in public if not (offset and layout.t06_no_basic(ws.cell(r, c - 2).value))))


def _inputs_validation(ws) -> None:
    counts = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0",
                            error="请填写不小于 0 的整数", errorTitle="应为整数", showErrorMessage=True)
    ws.add_data_validation(counts)
    for row in ws.iter_rows(min_col=1, max_col=1):
        if layout.INPUT_KINDS.get(row[0].value) == "count":
            counts.add(f"B{row[0].row}")


def _project_formulas(ws) -> None:
    labels = {}
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value not in labels:
                labels[cell.value] = cell.row
    first_fund, goals = labels["目标申报数"] + 1, labels["项目年度绩效目标"]
    for r in range(first_fund, goals):
        _set(ws, f"H{r}", f"=F{r}-G{r}")
        _set(ws, f"I{r}", f"=IF(F{r}=0,0,ROUND(G{r}/F{r}*100,2))")
        _set(ws, f"J{r}", f"=IF(F{r}=0,0,ROUND(10*MIN(G{r}/F{r},1),2))")
    total = labels["总分"]
    _set(ws, f"I{total}", f"=J{first_fund}+SUM(I{labels['一级指标'] + 1}:I{total - 1})")
    _set(ws, f"J{total}", f'=IF(I{total}>=90,"优",IF(I{total}>=80,"良",IF(I{total}>=60,"中","差")))')
