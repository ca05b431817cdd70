"""Write the standard workbook: every sheet, label, 栏次 and fixed row.

Used to make the sample workbooks from their transcripts and (with no data) the blank
workbook a clerk starts from, from the same declaration of the format the reader reads. The
layout mirrors the published tables so that the 决算 software's export can be pasted in;
``reader`` finds everything again by its labels.
"""

from __future__ import annotations

import re

from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from . import spec
from .files import atomic_target
from .spec import Format, Sheets

INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")

Source = Mapping[str, Any]


class _Sheet:
    """A worksheet being written row by row."""

    def __init__(self, wb: Workbook, title: str, widths: Sequence[int] = ()):
        self.ws = wb.create_sheet(title)
        self.row = 0
        self.widths(widths)

    def widths(self, widths: Sequence[int]) -> None:
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

    def heading(self, table, unit: str, year: str, width: int) -> None:
        self.put(table.title, bold=True)
        self.merge(1, width)
        self.put(table.name)
        self.put(f"部门名称：{unit}")
        self.put(f"{year}年度", *[""] * (width - 2), "金额单位：元")

    def formula(self, row: int, col: int, formula: str) -> None:
        _set(self.ws, f"{get_column_letter(col)}{row}", formula)


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


def write_workbook(source: Source, path: str, fmt: Format, *, formulas: bool = False) -> None:
    """Write the standard workbook of ``fmt`` for ``source`` (a transcript dict; ``{}`` for a
    blank one).

    With ``formulas`` (the workbook a clerk starts from), every total is an Excel formula so the
    sheets add up while the clerk types, count cells only accept whole numbers, and a 填表说明
    sheet comes first. The tool itself still recomputes every total from the leaves.
    """
    wb = Workbook()
    wb.remove(wb.active)
    unit = source.get("unit", {})
    name, year = unit.get("单位名称", ""), str(unit.get("年度", ""))
    sheets = fmt.sheets

    _unit_sheet(wb, unit, sheets)
    _overview_sheet(wb, source.get("overview", {}), sheets)
    for table in fmt.tables:
        s = _Sheet(wb, table.name)
        _WRITERS[type(table)](s, table, source.get(f"t{table.key}") or {}, name, year, formulas)
    _inputs_sheet(wb, source.get("inputs", {}), sheets)
    for listed in fmt.lists:
        _table_sheet(wb, listed.name, listed.headers, source.get("lists", {}).get(listed.name, []),
                     amounts=listed.amounts)
    if sheets.class_budget_headers:
        _table_sheet(wb, "分类预算", sheets.class_budget_headers, source.get("class_budget", []),
                     amounts=("年初预算", "上年决算"))
    if sheets.summary_headers:
        _table_sheet(wb, "项目综述", sheets.summary_headers + sheets.summary_amount_headers,
                     source.get("project_summaries", []), amounts=sheets.summary_amount_headers)
    _table_sheet(wb, "名词解释", (sheets.terms_header,),
                 [{sheets.terms_header: t} for t in source.get("extra_terms", [])])
    projects = source.get("projects", [])
    for i, project in enumerate((projects or [{}]) if sheets.project_title_suffix else (), start=1):
        _project_sheet(wb, f"自评表{i:02d}", project, unit, year, sheets)
    if formulas:
        _guide(wb, fmt)
        _inputs_validation(wb["情况说明"], sheets)
        for ws in wb.worksheets:
            if ws.title.startswith("自评表"):
                _project_formulas(ws)
    wb.save(path)


def write_new_workbook(source: Source, path: Path, fmt: Format) -> None:
    """The workbook a clerk starts from, written atomically (see ``write_workbook``)."""
    with atomic_target(path, "工作簿") as tmp:
        write_workbook(source, str(tmp), fmt, formulas=True)


def _unit_sheet(wb: Workbook, unit: Source, sheets: Sheets) -> None:
    s = _Sheet(wb, "单位信息", (20, 60))
    s.put("单位信息", bold=True)
    s.put("项目", "内容", bold=True)
    for label in sheets.unit_labels:
        s.put(label, unit.get(label, ""), inputs=(2,))


def _overview_sheet(wb: Workbook, overview: Source, sheets: Sheets) -> None:
    s = _Sheet(wb, "概况", (20, 100))
    s.put("第一部分 概况（每行一段）", bold=True)
    s.put("栏目", "内容", bold=True)
    for section, key in zip(sheets.overview_sections, ("职责", "机构设置")):
        paragraphs = overview.get(key, []) or [""]
        for i, text in enumerate(paragraphs):
            s.put(section if i == 0 else "", text, inputs=(2,))


def _sum(cells: list[str]) -> str:
    """=SUM(C9:C16) over a run of three or more cells of one column or one row, =C9+C12 otherwise."""
    split = [re.fullmatch(r"([A-Z]+)(\d+)", c).groups() for c in cells]
    cols = [column_index_from_string(c) for c, _ in split]
    rows = [int(r) for _, r in split]
    run = (len({c for c, _ in split}) == 1 and rows == list(range(rows[0], rows[0] + len(rows)))) or \
          (len(set(rows)) == 1 and cols == list(range(cols[0], cols[0] + len(cols))))
    if len(cells) > 2 and run:
        return f"=SUM({cells[0]}:{cells[-1]})"
    return "=" + "+".join(cells)


def _line_table(s: _Sheet, table: spec.LineTable, data: Source, name: str, year: str, formulas: bool) -> None:
    """Two sides in 项目 | 行次 | figures blocks side by side under a 栏次 row, or one side under a
    项目 | 行次 | figures header, with each part heading above its rows."""
    widths = [len(side.columns) for side in table.sides]
    two = len(widths) == 2
    total_width = sum(2 + w for w in widths)
    if two:
        s.widths([w for width in widths for w in (32, 8, *[16] * width)])
    else:
        s.widths((44, 8, *[18] * widths[0]))
    s.heading(table, name, year, total_width)
    if two:
        s.put(table.sides[0].heading, *[""] * (1 + widths[0]), table.sides[1].heading, bold=True)
        s.put(*[h for side in table.sides for h in ("项目", "行次", *side.columns)], bold=True)
        numbers = iter(range(1, sum(widths) + 1))
        s.put(*[h for w in widths for h in ("栏次", "", *[next(numbers) for _ in range(w)])])
    else:
        s.put("项目", "行次", *([table.value_header] if table.value_header else table.sides[0].columns), bold=True)
    first_col = [0, 2 + widths[0]] if two else [0]  # where each side's 项目 column starts (0-based)
    at: dict[int, int] = {}  # 行次 → worksheet row

    def values(row: spec.Row, width: int) -> list:
        typed = data.get(str(row.line))
        cells = [typed] if width == 1 else list(typed or [])
        return [_numeric(v) for v in (cells + [""] * width)[:width]]

    if two:
        for left, right in zip(table.side_rows(0), table.side_rows(1)):
            cells, inputs = [], []
            for side, row in enumerate((left, right)):
                width = widths[side]
                cells += [row.label, row.line, *values(row, width)]
                inputs += [first_col[side] + 3 + c for c in range(width)]
            r = s.put(*cells, inputs=inputs)
            at[left.line] = at[right.line] = r
    else:
        for row in table.rows:
            if row.blank:
                continue
            if row.part:
                s.put(row.part, bold=True)
            at[row.line] = s.put(row.label, row.line, *values(row, widths[0]), inputs=tuple(range(3, 3 + widths[0])))
    s.put(table.note)
    if formulas:
        _line_formulas(s, table, at, first_col, widths)


def _line_formulas(s: _Sheet, table: spec.LineTable, at: dict[int, int], first_col, widths) -> None:
    counts = None
    for row in table.rows:
        if row.blank:
            continue
        start = first_col[row.side] + 3  # 1-based column of the row's first figure
        side = table.sides[row.side]
        if row.sum:
            for c in range(widths[row.side]):
                col = get_column_letter(start + c)
                s.formula(at[row.line], start + c, _sum([f"{col}{at[p]}" for p in row.parts if p in at]))
        elif side.total is not None:
            target = start + side.columns.index(side.total.target)
            parts = [get_column_letter(start + side.columns.index(c)) for c in side.total.plus]
            s.formula(at[row.line], target, _sum([f"{col}{at[row.line]}" for col in parts]))
        if row.count:
            if counts is None:
                counts = _whole_numbers(s.ws)
            for c in range(widths[row.side]):
                counts.add(f"{get_column_letter(start + c)}{at[row.line]}")


def _whole_numbers(ws) -> DataValidation:
    counts = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0",
                            error="请填写不小于 0 的整数", errorTitle="应为整数", showErrorMessage=True)
    ws.add_data_validation(counts)
    return counts


def _function_table(s: _Sheet, table: spec.FunctionTable, rows: Sequence, name: str, year: str,
                    formulas: bool) -> None:
    columns = table.columns
    s.widths((16, 34, *[16] * len(columns)))
    s.heading(table, name, year, 2 + len(columns))
    s.put("项目", "", *columns, bold=True)
    s.put("功能分类科目编码", "科目名称", bold=True)
    s.put("栏次", "", *range(1, len(columns) + 1))
    inputs = tuple(range(1, 3 + len(columns)))
    if not rows:
        rows = [["", "合计", []]]
    total_row = None
    for code, title, values in rows:
        values = list(values) + [""] * len(columns)
        label = (code, title) if code else ("合计", "")
        r = s.put(*label, *[_numeric(v) for v in values[: len(columns)]], inputs=inputs)
        total_row = total_row or (r if not code else None)
    s.put(table.note)
    if all(not code for code, _, _ in rows):
        s.put("说明：本表无数据（有数据时在合计行下逐行填列类、款、项）")
    if formulas and total_row:
        # 合计 = the 类 rows below it (codes of 3 digits), however many the clerk adds.
        for i in range(len(columns)):
            c = get_column_letter(3 + i)
            s.formula(total_row, 3 + i, f"=SUMPRODUCT(--(LEN($A${total_row + 1}:$A$3000)=3),"
                                        f"{c}{total_row + 1}:{c}3000)")


def _economic_table(s: _Sheet, table: spec.EconomicTable, data: Source, name: str, year: str,
                    formulas: bool) -> None:
    blocks = len(table.blocks)
    w = len(table.headers)  # a block's columns: 科目编码, 科目名称, 金额 (and 其中：基本支出)
    s.widths([10, 24, 14, 14][:w] * blocks)
    s.heading(table, name, year, w * blocks)
    s.put(*table.headings, bold=True)
    s.put(*table.headers * blocks, bold=True)
    at: dict[str, tuple[int, int]] = {}  # code → (row, its 金额 column)
    for pairs in table.grid():
        cells: list[object] = []
        inputs: list[int] = []
        for b, pair in enumerate(pairs):
            if pair is None:
                cells += [""] * w
                continue
            code, title = pair
            amount, basic = (list(data.get(code, [])) + ["", ""])[:2]
            no_basic = not table.has_basic(code)
            cells += [code, title, _numeric(amount), "——" if no_basic else _numeric(basic)][:w]
            inputs += [b * w + 3] + ([] if no_basic else [b * w + 4])
            at[code] = (s.row + 1, b * w + 3)
        s.put(*cells, inputs=inputs)
    # The two closing rows: the first under the first block, the other's figures under the last.
    first, last = table.totals
    a, b = ((list(data.get(t.label, [])) + ["", ""])[:2] for t in table.totals)
    last_col = w * (blocks - 1) + 3
    cells = [first.label, "", *map(_numeric, a[:w - 2]), last.label, *[""] * (last_col - w - 2),
             *map(_numeric, b[:w - 2])]
    total_row = s.put(*cells, inputs=(3, 4, last_col, last_col + 1) if w == 4 else (3, last_col), bold=True)
    s.put(table.note)
    if not formulas:
        return
    for cls in table.classes:
        r, c = at[cls]
        kids = [at[k] for k in at if len(k) == 5 and k.startswith(cls)]
        for offset in (0, 1):
            if offset and not table.has_basic(cls):
                continue
            s.formula(r, c + offset, "=" + "+".join(f"{get_column_letter(kc + offset)}{kr}" for kr, kc in kids))
    for closing, col in ((first, 3), (last, last_col)):
        codes = table.total_classes(closing)
        for offset in range(w - 2):
            cells = [f"{get_column_letter(at[c][1] + offset)}{at[c][0]}" for c in codes
                     if not (offset and not table.has_basic(c))]
            s.formula(total_row, col + offset, "=" + "+".join(cells))


def _grouped_row(s: _Sheet, table: spec.RowTable, data: Source, name: str, year: str, formulas: bool) -> None:
    n = len(table.columns)
    width = n * len(table.groups)
    s.widths([14] * width)
    s.heading(table, name, year, width)
    s.put(*[h for group in table.groups for h in (group, *[""] * (n - 1))], bold=True)
    for header in table.header:
        s.put(*header * len(table.groups), bold=True)
    s.put(*range(1, width + 1))
    values = [v for group in table.groups for v in (list(data.get(group, [])) + [""] * n)[:n]]
    r = s.put(*[_numeric(v) for v in values], inputs=tuple(range(1, width + 1)))
    s.put(table.note)
    if formulas:
        for g in range(len(table.groups)):
            def cell(column: str) -> str:
                return f"{get_column_letter(g * n + table.column(column) + 1)}{r}"
            for identity in table.identities:
                formula = "=" + "+".join(map(cell, identity.plus)) + "".join("-" + cell(m) for m in identity.minus)
                s.formula(r, g * n + table.column(identity.target) + 1, formula)


_WRITERS = {spec.LineTable: _line_table, spec.FunctionTable: _function_table, spec.EconomicTable: _economic_table,
            spec.RowTable: _grouped_row}


def _inputs_sheet(wb: Workbook, inputs: Source, sheets: Sheets) -> None:
    s = _Sheet(wb, "情况说明", (34, 80))
    s.put("第三部分 情况说明：表中没有的数字和文字（上年数按上年决算填列；原因等文字不必以句号结尾）", bold=True)
    s.put("项目", "内容", bold=True)
    for heading, items in sheets.inputs:
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


def _project_sheet(wb: Workbook, title: str, p: Source, unit: Source, year: str, sheets: Sheets) -> None:
    s = _Sheet(wb, title, (14, 14, 18, 14, 14, 14, 14, 10, 10, 30))
    s.put(f"{p.get('项目名称', '')}{sheets.project_title_suffix}", bold=True)
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
    top = s.put("绩效指标", *sheets.indicator_headers, bold=True)
    ind_keys = sheets.indicator_headers
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
    for label in sheets.analysis_labels:
        s.put("项目绩效自评结果分析" if s.row + 1 == top else "", label, "", analysis.get(label, ""),
              inputs=(4,))
        s.merge(2, 3)
        s.merge(4, 10)
    s.ws.merge_cells(start_row=top, start_column=1, end_row=s.row, end_column=1)
    for line in sheets.project_notes:
        s.put(line)
        s.merge(1, 10)


# ---- the blank workbook's guide, checks and the 自评表's formulas ----

def _guide(wb: Workbook, fmt: Format) -> None:
    guide = wb.create_sheet("填表说明", 0)
    guide.column_dimensions["A"].width = 110
    text = (fmt.templates / "workbook-guide.txt").read_text(encoding="utf-8")
    for i, line in enumerate(text.splitlines(), start=1):
        guide.cell(i, 1, line).alignment = Alignment(wrap_text=True)


def _set(ws, ref: str, formula: str) -> None:
    ws[ref] = formula
    ws[ref].fill = PatternFill()  # computed, not typed: not highlighted


def _inputs_validation(ws, sheets: Sheets) -> None:
    counts = _whole_numbers(ws)
    for row in ws.iter_rows(min_col=1, max_col=1):
        if sheets.input_kinds.get(row[0].value) == "count":
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
