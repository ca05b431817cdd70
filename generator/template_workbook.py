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
from .spec import Format, InputSheet, ListSheet, OverviewSheet, ProjectSheets, UnitSheet

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
    sheets = fmt.sheets
    unit = source.get("unit", {})
    name, year = unit.get(sheets.unit.name, ""), str(unit.get(sheets.unit.year, ""))

    _unit_sheet(wb, unit, sheets.unit)
    _overview_sheet(wb, source.get("overview", {}), sheets.overview)
    for table in fmt.tables:
        s = _Sheet(wb, table.name)
        _WRITERS[type(table)](s, table, source.get(f"t{table.key}") or {}, name, year, formulas)
    _inputs_sheet(wb, source.get("inputs", {}), sheets.inputs)
    for declared, rows in ((sheets.class_budget, source.get("class_budget", [])),
                           (sheets.summaries, source.get("project_summaries", []))):
        if declared is not None:
            _table_sheet(wb, declared, rows)
    for declared in fmt.lists:
        _table_sheet(wb, declared, source.get("lists", {}).get(declared.sheet, []))
    if sheets.terms is not None:
        _table_sheet(wb, sheets.terms, [{sheets.terms.columns["term"]: t} for t in source.get("extra_terms", [])])
    projects = []
    if sheets.projects is not None:
        for i, project in enumerate(source.get("projects", []) or [{}], start=1):
            projects.append(_project_sheet(wb, f"{sheets.projects.called}{i:02d}", project, unit, year,
                                           sheets.projects))
    if formulas:
        _guide(wb, fmt)
        _inputs_validation(wb[sheets.inputs.sheet], sheets.inputs)
        for ws in projects:
            _project_formulas(ws, sheets.projects)
    wb.save(path)


def write_new_workbook(source: Source, path: Path, fmt: Format) -> None:
    """The workbook a clerk starts from, written atomically (see ``write_workbook``)."""
    with atomic_target(path, "工作簿") as tmp:
        write_workbook(source, str(tmp), fmt, formulas=True)


def _unit_sheet(wb: Workbook, unit: Source, declared: UnitSheet) -> None:
    s = _Sheet(wb, declared.sheet, (20, 60))
    s.put(declared.sheet, bold=True)
    s.put(*declared.header, bold=True)
    for label in declared.labels:
        s.put(label, unit.get(label, ""), inputs=(2,))


def _overview_sheet(wb: Workbook, overview: Source, declared: OverviewSheet) -> None:
    s = _Sheet(wb, declared.sheet, (20, 100))
    s.put(declared.title, bold=True)
    s.put(*declared.header, bold=True)
    for key, section in declared.sections:
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
        for left, right in table.pairs():
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


_BODY_ROWS = 5000  # the rows under 合计 that its formula adds: more than any function table has


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
        # 合计 = the 类 rows below it (codes of 3 digits), however many the clerk adds. The rows
        # are reached from the 合计 row's own label cell, not by a range that starts below it: rows
        # inserted right under 合计 (as the guide says: above the 注 row) would push such a
        # range's start down past them in Excel, WPS and LibreOffice alike.
        for i in range(len(columns)):
            s.formula(total_row, 3 + i, f"=SUMPRODUCT(--(LEN(OFFSET($A{total_row},1,0,{_BODY_ROWS},1))=3),"
                                        f"OFFSET($A{total_row},1,{2 + i},{_BODY_ROWS},1))")


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


def _inputs_sheet(wb: Workbook, inputs: Source, declared: InputSheet) -> None:
    s = _Sheet(wb, declared.sheet, (34, 80))
    s.put(declared.title, bold=True)
    s.put(*declared.header, bold=True)
    for heading, items in declared.inputs:
        s.put(heading, bold=True)
        for label, kind in items:
            value = inputs.get(label, "")
            s.put(label, _numeric(value) if kind != "text" else value, inputs=(2,))


def _table_sheet(wb: Workbook, declared: ListSheet, rows: Sequence[Source]) -> None:
    """A listed sheet; ``rows`` give each value by its column's header."""
    headers = tuple(declared.columns.values())
    amounts = declared.headers(declared.amounts)
    s = _Sheet(wb, declared.sheet, [16 if role in declared.amounts or role == "code" else 40 for role in declared.columns])
    s.put(*headers, bold=True)
    cols = tuple(range(1, len(headers) + 1))
    for row in rows or [{}]:
        s.put(*[_numeric(row.get(h, "")) if h in amounts else row.get(h, "") for h in headers],
              inputs=cols)


def _project_sheet(wb: Workbook, title: str, p: Source, unit: Source, year: str, declared: ProjectSheets):
    """A 自评表 in the layout the reader finds again by its labels; ``p`` gives each value by its label."""
    head, funds, indicators = declared.head, declared.fund_columns, declared.indicator_columns
    s = _Sheet(wb, title, (14, 14, 18, 14, 14, 14, 14, 10, 10, 30))
    s.put(f"{p.get(head['name'], '')}{declared.title_suffix}", bold=True)
    s.merge(1, 10)
    s.put(f"（{year}年度）")
    s.merge(1, 10)
    s.put(head["name"], "", p.get(head["name"], ""), inputs=(3,))
    s.merge(3, 10)
    # The unit's own 主管部门 and 预算单位 where its sheet has them under the same labels.
    s.put(head["supervisor"], "", p.get(head["supervisor"], unit.get(head["supervisor"], "")), "", "", "",
          head["unit"], p.get(head["unit"], unit.get(head["unit"], "")), inputs=(3, 8))
    s.merge(3, 6)
    s.merge(8, 10)
    first = s.put(declared.funds, "", "", declared.initial, "", *(funds[k] for k in ("budget", "spent", "balance", "rate", "score")),
                  bold=True)
    s.merge(4, 5)
    s.put("", "", "", funds["declared"], funds["planned"], bold=True)
    for fund in p.get("funds") or [{"来源": source} for source in declared.fund_rows]:
        label = fund.get("来源", "")
        if label == declared.total_fund:
            label += "："
        s.put("", label, "", *[_numeric(fund.get(column, "")) for column in funds.values()], inputs=tuple(range(2, 11)))
        s.merge(2, 3)
    s.ws.merge_cells(start_row=first, start_column=1, end_row=s.row, end_column=1)
    s.ws.cell(first, 1).alignment = WRAP
    top = s.put(declared.goals, declared.goal, "", "", "", "", declared.achieved, bold=True)
    s.merge(2, 6)
    s.merge(7, 10)
    s.put("", p.get(declared.goal, ""), "", "", "", "", p.get(declared.achieved, ""), inputs=(2, 7))
    s.merge(2, 6)
    s.merge(7, 10)
    s.ws.merge_cells(start_row=top, start_column=1, end_row=s.row, end_column=1)
    top = s.put(declared.indicators, *indicators.values(), bold=True)
    figures = (indicators["weight"], indicators["score"])
    for ind in p.get("indicators") or [{}]:
        s.put("", *[_numeric(ind.get(label, "")) if label in figures else ind.get(label, "") for label in indicators.values()],
              inputs=tuple(range(2, 11)))
    s.ws.merge_cells(start_row=top, start_column=1, end_row=s.row, end_column=1)
    s.put(declared.total, "", "", "", "", "", "", "", _numeric(p.get(declared.total, "")), p.get("等级", ""),
          inputs=(9, 10), bold=True)
    s.merge(1, 8)
    top = s.row + 1
    analysis = p.get("analysis", {})
    for label in declared.analysis_labels:
        s.put(declared.analysis if s.row + 1 == top else "", label, "", analysis.get(label, ""),
              inputs=(4,))
        s.merge(2, 3)
        s.merge(4, 10)
    s.ws.merge_cells(start_row=top, start_column=1, end_row=s.row, end_column=1)
    for line in declared.notes:
        s.put(line)
        s.merge(1, 10)
    return s.ws


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


def _inputs_validation(ws, declared: InputSheet) -> None:
    counts = _whole_numbers(ws)
    for row in ws.iter_rows(min_col=1, max_col=1):
        if declared.kinds.get(row[0].value) == "count":
            counts.add(f"B{row[0].row}")


def _project_formulas(ws, declared: ProjectSheets) -> None:
    labels = {}
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value not in labels:
                labels[cell.value] = cell.row
    first_fund, goals = labels[declared.fund_columns["declared"]] + 1, labels[declared.goals]
    for r in range(first_fund, goals):
        _set(ws, f"H{r}", f"=F{r}-G{r}")
        _set(ws, f"I{r}", f"=IF(F{r}=0,0,ROUND(G{r}/F{r}*100,2))")
        _set(ws, f"J{r}", f"=IF(F{r}=0,0,ROUND({declared.rate_weight}*MIN(G{r}/F{r},1),2))")
    total = labels[declared.total]
    _set(ws, f"I{total}", f"=J{first_fund}+SUM(I{labels[declared.indicator_columns['level1']] + 1}:I{total - 1})")
    _set(ws, f"J{total}", _grade_formula(f"I{total}", declared))


def _grade_formula(cell: str, declared: ProjectSheets) -> str:
    """=IF(I20>=90,"优",IF(I20>=80,"良",…)): the grade of the 总分 in ``cell``, as the tool grades it."""
    formula = ""
    for grade in reversed(declared.grades):
        formula = f'"{grade.name}"' if grade.floor is None else f'IF({cell}>={grade.floor},"{grade.name}",{formula})'
    return "=" + formula
