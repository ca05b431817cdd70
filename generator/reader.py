"""Read a standard workbook into the model, finding everything by its labels.

Nothing here depends on fixed coordinates: tables are located by their header labels
(科目编码, 栏次, 行次 …), so an extra blank row, a title row more or less, codes stored
as numbers and names wrapped with spaces or newlines all read the same.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from decimal import ROUND_HALF_UP, Decimal

from .errors import CellError, WorkbookError
from .text import cell_text
from .loader import Sheet, column_letter, load
from .model import (
    MISSING,
    ClassBudget,
    EconomicRows,
    FunctionRow,
    FunctionRows,
    FundRow,
    GroupedRow,
    Indicator,
    Lines,
    Project,
    ProjectSummary,
    Stated,
    Text,
    Workbook,
)
from .money import chinese_number, parse_decimal
from . import spec
from .spec import Format, Sheets

_SPACE = re.compile(r"\s+")
_CODE = re.compile(r"^\d{3}(\d{2}){0,2}$")


# The same labels and codes recur on every 自评表 of a workbook (1 and 1.0 stay apart: typed).
@lru_cache(maxsize=1 << 16, typed=True)
def norm(value: object) -> str:
    """Cell text for matching labels: NFKC, no whitespace, Chinese brackets unified."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return _SPACE.sub("", text).replace("(", "（").replace(")", "）").replace(":", "：")


clean_text = cell_text  # every free text of the workbook is taken through it

class Grid:
    """One worksheet's values, addressed 1-based, with sheet!cell references."""

    def __init__(self, title: str, rows: list[tuple]):
        self.title = title
        self.rows = rows
        self.height = len(rows)
        self.width = max((len(r) for r in rows), default=0)
        self._texts: dict[tuple[int, int], str] = {}
        self._cells: list[tuple[int, int, str]] | None = None
        self.uncached: set[str] = set()  # coordinates of formulas without a saved result
        # Cells that cannot be read, collected (all the workbook's sheets share one list) so a
        # clerk learns of all of them at once, not one per run.
        self.unreadable: list[CellError] = []
        self.percent: dict[str, int] = {}  # numbers shown as a percentage: coordinate → decimals

    def get(self, row: int, col: int) -> object:
        if 1 <= row <= self.height and 1 <= col <= len(self.rows[row - 1]):
            return self.rows[row - 1][col - 1]
        return None

    def ref(self, row: int, col: int) -> str:
        return f"{self.title}!{column_letter(col)}{row}"

    def text(self, row: int, col: int) -> str:
        key = (row, col)
        if key not in self._texts:
            self._texts[key] = norm(self.get(row, col))
        return self._texts[key]

    def cells(self) -> Iterator[tuple[int, int, str]]:
        """Every non-empty cell with its normalised text (computed once: labels are looked up
        many times)."""
        if self._cells is None:
            self._cells = [(r, c, self.text(r, c)) for r, values in enumerate(self.rows, start=1)
                           for c, value in enumerate(values, start=1) if value is not None and value != ""]
        return iter(self._cells)

    def find(self, label: str, after_row: int = 0) -> tuple[int, int] | None:
        """First cell whose normalised text equals ``label``."""
        want = norm(label)
        for r, c, text in self.cells():
            if r > after_row and text == want:
                return r, c
        return None

    def need(self, label: str, after_row: int = 0) -> tuple[int, int]:
        found = self.find(label, after_row)
        if found is None:
            raise WorkbookError(f"{self.title}：找不到标签“{label}”，请按标准格式保留表头")
        return found

    def amount(self, row: int, col: int, percent: bool = False) -> Stated:
        """The figure of a cell; where ``percent`` it is a percentage, read as Excel shows it
        (1 in a 0% cell is 100). A money cell formatted as a percentage shows something else
        than it holds, so it is unreadable."""
        raw = self.get(row, col)
        at = f"{column_letter(col)}{row}"
        if raw is None and at in self.uncached:
            return Stated(None, self.ref(row, col), formula=True)
        if at in self.percent:
            if percent:
                return Stated(Decimal(repr(raw)) * 100, self.ref(row, col))
            self.unreadable.append(CellError(self.ref(row, col), "金额（数字；这一格设成了百分比格式，请改为数值格式）",
                                             self.shown(row, col)))
            return Stated(None, self.ref(row, col))
        return self.stated((raw, self.ref(row, col)))

    def shown(self, row: int, col: int) -> str:
        """A cell's text as Excel shows it: a percentage with its % (1 in a 0% cell is 100%)."""
        at = f"{column_letter(col)}{row}"
        if at in self.percent:
            places = Decimal(1).scaleb(-self.percent[at])
            return f"{Decimal(repr(self.get(row, col))).scaleb(2).quantize(places, rounding=ROUND_HALF_UP)}%"
        return clean_text(self.get(row, col))

    def stated(self, cell: tuple[object, str]) -> Stated:
        """A figure as typed; an unreadable one is recorded and reads as empty."""
        value, ref = cell
        try:
            return Stated(parse_decimal(value), ref)
        except ValueError:
            self.unreadable.append(CellError(ref, "金额（数字）", value))
            return Stated(None, ref)

    def right_of(self, row: int, col: int, stop=frozenset()) -> tuple[int, int]:
        """The first non-empty cell right of (row, col), or the adjacent one when there is none
        before the next label in ``stop`` (an empty value followed by another label)."""
        for c in range(col + 1, self.width + 1):
            if self.get(row, c) not in (None, ""):
                return (row, col + 1) if self.text(row, c) in stop else (row, c)
        return row, col + 1


def read_workbook(path: str, fmt: Format) -> Workbook:
    """Read ``path`` into a :class:`Workbook` of the format ``fmt``; raises :class:`WorkbookError`
    with sheet!cell."""
    grids = _load(path, fmt)
    unreadable: list[CellError] = []
    for grid in grids.values():
        grid.unreadable = unreadable
    sheets = fmt.sheets
    unit = _unit(_sheet(grids, "单位信息"), sheets)
    duties, organization = _overview(_sheet(grids, "概况"), sheets)
    table_grids = {table.key: _sheet(grids, table.name) for table in fmt.tables}
    project_grids = [g for g in grids.values() if _is_project(g, sheets)]
    wb = Workbook(
        path=path,
        unit=unit,
        duties=duties,
        organization=organization,
        tables={table.key: _READERS[type(table)](table_grids[table.key], table) for table in fmt.tables},
        inputs=_inputs(_sheet(grids, "情况说明"), sheets),
        class_budget=_class_budget(grids.get(norm("分类预算")), sheets),
        summaries=_summaries(grids.get(norm("项目综述")), sheets),
        extra_terms=_terms(grids.get(norm("名词解释")), sheets),
        projects=[p for p in (_project(g, sheets) for g in project_grids) if p is not None],
        year_cells=[*_year_cells(list(table_grids.values()), 6, _TABLE_YEAR),
                    *_year_cells(project_grids, 3, _PROJECT_YEAR)],
        lists={sheet.name: _list(_sheet(grids, sheet.name), sheet) for sheet in fmt.lists},
    )
    if unreadable:
        raise _all_unreadable(unreadable)
    return wb


_SHOWN_UNREADABLE = 20  # more is a wrong workbook, not typos; the first ones say which


def _all_unreadable(cells: list[CellError]) -> WorkbookError:
    if len(cells) == 1:
        return cells[0]
    lines = [f"有 {len(cells)} 个单元格无法读取，请逐一改正后再试："]
    lines += [f"  {cell.message}" for cell in cells[:_SHOWN_UNREADABLE]]
    if len(cells) > _SHOWN_UNREADABLE:
        lines.append(f"  ……另有 {len(cells) - _SHOWN_UNREADABLE} 个未列出")
    return WorkbookError("\n".join(lines))


# The 年度 a sheet states above its table: anywhere in a 公开表's heading ("2022年度"), and as the
# whole cell in a 自评表's (its title may name another year: "2021年全市“两项表彰”奖励资金").
_TABLE_YEAR = re.compile(r"\d{4}年度")
_PROJECT_YEAR = re.compile(r"^（?\d{4}年度?）?$")


def _year_cells(grids: list[Grid], rows: int, pattern: re.Pattern) -> list[Text]:
    return [Text(text, grid.ref(r, c)) for grid in grids for r, c, text in grid.cells()
            if r <= rows and pattern.search(text)]


def read_unit(path: str, fmt: Format) -> tuple[str, int]:
    """Only the 单位名称 and 年度 of a workbook: what a batch needs to name its reports."""
    grids = _grids(load(path, want=lambda title: norm(title) == norm("单位信息")), fmt)
    unit = _unit(_sheet(grids, "单位信息"), fmt.sheets)
    return unit["单位名称"].value, int(unit["年度"].value)


def _unit(grid: Grid, sheets: Sheets) -> dict[str, Text]:
    unit = _label_values(grid, sheets.unit_labels)
    for label in ("单位名称", "年度"):
        value = unit.get(label)
        if value is None or not value.value:
            ref = value.ref if value else "单位信息"
            raise WorkbookError(f"{ref}：“{label}”未填写")
    year = unit["年度"]
    try:
        unit["年度"] = Text(str(int(parse_decimal(year.value) or 0)), year.ref)
    except (ValueError, ArithmeticError):
        raise CellError(year.ref, "年度（如 2022）", year.value) from None
    return unit


# Sheets every format reads by name, besides its tables: a hidden sheet under one of these names
# is the clerk's data hidden, not a helper sheet.
_COMMON_SHEETS = ("单位信息", "概况", "情况说明", "分类预算", "项目综述", "名词解释")


def _load(path: str, fmt: Format) -> dict[str, Grid]:
    """The sheets the format reads by name, and any other that is small enough to be a 自评表, a
    renamed table or a hidden copy of data (a big helper sheet is not walked)."""
    named = {norm(n) for n in (*_COMMON_SHEETS, *(table.name for table in fmt.tables))}
    return _grids(load(path, want=lambda title: True if norm(title) in named else None), fmt)


def _grids(sheets: list[Sheet], fmt: Format) -> dict[str, Grid]:
    """The visible sheets that were read, by normalised title.

    Two sheets whose titles normalise alike would be one sheet to the reader, so that is an
    error naming both. A hidden sheet is never the clerk's data unseen: one that looks like
    report data (a sheet the report reads, or a 自评表) is an error saying so; any other hidden
    sheet (a helper or lookup sheet) is left out."""
    named = {norm(n) for n in (*_COMMON_SHEETS, *(table.name for table in fmt.tables))}
    seen: dict[str, str] = {}
    for sheet in sheets:
        key = norm(sheet.title)
        if key in seen:
            raise WorkbookError(f"工作表“{seen[key]}”与“{sheet.title}”的名称只差空格或全角/半角，"
                                "无法分辨哪张是要用的；请删除或改名其中一张（隐藏的工作表也算）")
        seen[key] = sheet.title
    grids: dict[str, Grid] = {}
    for sheet in sheets:
        if sheet.rows is None:
            continue
        grid = Grid(sheet.title, sheet.rows)
        grid.uncached = sheet.uncached
        grid.percent = sheet.percent
        if not sheet.hidden:
            grids[norm(sheet.title)] = grid
        elif norm(sheet.title) in named or _is_project(grid, fmt.sheets) or any(
                text in named for r, _, text in grid.cells() if r <= 6):
            how = ("深度隐藏（Excel 中看不到，需在 VBA 编辑器里把 Visible 改为 -1）" if sheet.hidden == "veryhidden"
                   else "隐藏（右键任一工作表标签→取消隐藏）")
            raise WorkbookError(f"工作表“{sheet.title}”被{how}：隐藏的表不作为报告数据读取。"
                                "要用它的数据请先取消隐藏，不用请删除该表，然后保存再试")
    return grids


def _sheet(grids: dict[str, Grid], name: str) -> Grid:
    grid = grids.get(norm(name))
    if grid is None:
        # A renamed sheet still carries its 公开NN表 label near the top.
        for candidate in grids.values():
            if any(text == norm(name) for r, _, text in candidate.cells() if r <= 6):
                return candidate
        raise WorkbookError(f"工作簿缺少工作表“{name}”")
    return grid


def _label_values(grid: Grid, labels) -> dict[str, Text]:
    found: dict[str, Text] = {}
    wanted = {norm(label): label for label in labels}
    for r, c, text in grid.cells():
        label = wanted.get(text)
        if label and label not in found:
            vr, vc = r, c + 1
            found[label] = Text(clean_text(grid.get(vr, vc)), grid.ref(vr, vc))
    return found


def _overview(grid: Grid, sheets: Sheets) -> tuple[list[str], list[str]]:
    head_r, head_c = grid.need("栏目")
    _, text_c = grid.need("内容", head_r - 1)
    sections: dict[str, list[str]] = {s: [] for s in sheets.overview_sections}
    current = None
    for r in range(head_r + 1, grid.height + 1):
        label = grid.text(r, head_c)
        for section in sheets.overview_sections:
            if label and label == norm(section):
                current = section
        text = clean_text(grid.get(r, text_c))
        if text and current:
            sections[current].append(text)
    return sections[sheets.overview_sections[0]], sections[sheets.overview_sections[1]]


def _int(value: object) -> int | None:
    try:
        number = parse_decimal(value)
    except ValueError:
        return None
    if number is None or not number.is_finite() or number != number.to_integral_value():
        return None
    return int(number)


def _column_row(grid: Grid) -> tuple[int, dict[int, int]]:
    """The 栏次 row and its column numbers: {栏次 → worksheet column}."""
    for r in range(1, grid.height + 1):
        numbers = {}
        for c in range(1, grid.width + 1):
            n = _int(grid.get(r, c))
            if n is not None and 1 <= n <= 20:
                numbers[n] = c
        labelled = any(grid.text(r, c) == "栏次" for c in range(1, grid.width + 1))
        consecutive = len(numbers) >= 3 and sorted(numbers) == list(range(1, len(numbers) + 1))
        if numbers and (labelled or consecutive):
            return r, numbers
    raise WorkbookError(f"{grid.title}：找不到“栏次”行（表头下标 1、2、3… 的一行）")


def _end_row(grid: Grid, start: int) -> int:
    """The last row of a table body: the row before its 注：/说明： line."""
    for r in range(start, grid.height + 1):
        first = next((grid.text(r, c) for c in range(1, grid.width + 1) if grid.text(r, c)), "")
        if first.startswith("注：") or first.startswith("说明："):
            return r - 1
    return grid.height


def _require_lines(grid: Grid, found: dict, labels: dict[int, str]) -> None:
    """Every labelled 行次 of the standard table is there: a deleted row would otherwise be read
    as 0 and its totals and sentences silently change."""
    missing = [n for n, label in labels.items() if label and n not in found]
    if missing:
        rows = "、".join(f"行次 {n}（{labels[n]}）" for n in missing[:5]) + ("等" if len(missing) > 5 else "")
        raise WorkbookError(f"{grid.title}：缺少{rows}所在的行，请按标准格式恢复这一行（没有数时金额留空）")


def _line_table(grid: Grid, table: spec.LineTable) -> Lines:
    """行次 → stated figures. Two sides (收入 | 支出) stand side by side, each with a 行次 column,
    their value columns numbered on in one 栏次 row; one side has its figures right of 行次."""
    widths = [len(side.columns) for side in table.sides]
    if len(widths) == 1:
        line_r, line_c = grid.need("行次")
        first, line_cols = line_r + 1, [line_c]
        value_cols = [[line_c + 1 + i for i in range(widths[0])]]
    else:
        first, columns = _column_row(grid)
        line_cols = [c for r, c, text in grid.cells() if text == "行次" and r < first]
        if len(line_cols) < len(widths) or not all(n in columns for n in range(1, sum(widths) + 1)):
            raise WorkbookError(f"{grid.title}：表头应有两个“行次”列和栏次 1–{sum(widths)}")
        numbers = iter(range(1, sum(widths) + 1))
        value_cols = [[columns[next(numbers)] for _ in range(width)] for width in widths]
        first += 1
    cells: dict[int, tuple[Stated, ...]] = {}
    for r in range(first, _end_row(grid, first) + 1):
        for line_col, cols in zip(line_cols, value_cols):
            line = _int(grid.get(r, line_col))
            if line is not None:
                cells[line] = tuple(grid.amount(r, c) for c in cols)
    _require_lines(grid, cells, {row.line: row.label for row in table.rows})
    return Lines(table, cells)


def _code(grid: Grid, row: int, col: int) -> str:
    raw = grid.get(row, col)
    if isinstance(raw, (int, Decimal)) or (raw is not None and not isinstance(raw, str)):
        number = _int(raw)
        raw = "" if number is None else str(number)
    code = norm(raw)
    if code and not _CODE.match(code):
        raise CellError(grid.ref(row, col), "科目编码（3、5 或 7 位数字）", grid.get(row, col))
    return code


def _function_table(grid: Grid, table: spec.FunctionTable) -> FunctionRows:
    width = len(table.columns)
    col_row, columns = _column_row(grid)
    missing = [n for n in range(1, width + 1) if n not in columns]
    if missing:
        raise WorkbookError(f"{grid.title}!{col_row}行：栏次应为 1–{width}，缺少 {missing}")
    code_col = next((c for r, c, text in grid.cells() if r < col_row and "科目编码" in text), None)
    if code_col is None:
        raise WorkbookError(f"{grid.title}：找不到“科目编码”列")
    name_col = next((c for r, c, text in grid.cells() if r < col_row and text == "科目名称"),
                    code_col + 1)
    rows: list[FunctionRow] = []
    total = None
    seen: dict[str, str] = {}
    for r in range(col_row + 1, _end_row(grid, col_row + 1) + 1):
        name = clean_text(grid.get(r, name_col))
        is_total = "合计" in (grid.text(r, code_col), norm(name))
        code = "" if is_total else _code(grid, r, code_col)
        values = tuple(grid.amount(r, columns[n]) for n in range(1, width + 1))
        if is_total:
            total = values
        elif code:
            if code in seen:
                raise WorkbookError(f"{grid.ref(r, code_col)}：科目编码 {code} 重复（已见于 {seen[code]}）")
            seen[code] = grid.ref(r, code_col)
            rows.append(FunctionRow(code, _SPACE.sub("", name), values, grid.ref(r, code_col)))
        elif any(v.value for v in values):
            raise WorkbookError(f"{grid.ref(r, code_col)}：这一行有金额但没有科目编码")
    for row in rows:
        parent = spec.function_parent(row.code)
        if parent and parent not in seen:
            raise WorkbookError(f"{row.ref}：科目 {row.code} 的上级科目 {parent} 不在表中")
    return FunctionRows(table.key, tuple(rows), total)


def _economic_table(grid: Grid, table: spec.EconomicTable) -> EconomicRows:
    blocks_n = len(table.blocks)
    header = None
    for r in range(1, grid.height + 1):
        code_cols = [c for c in range(1, grid.width + 1) if grid.text(r, c) == "科目编码"]
        if len(code_cols) == blocks_n:
            header = r, code_cols
            break
    if header is None:
        raise WorkbookError(f"{grid.title}：找不到{chinese_number(blocks_n)}组“{' / '.join(table.headers)}”表头")
    head_r, code_cols = header
    blocks = []
    for code_col in code_cols:
        amount_col = next((c for c in range(code_col, grid.width + 1) if grid.text(head_r, c) == norm(table.amount_header)),
                          None)
        basic_col = next((c for c in range(amount_col or code_col, grid.width + 1)
                          if table.basic_header and "基本支出" in grid.text(head_r, c)), None)
        if amount_col is None or (table.basic_header and basic_col is None):
            raise WorkbookError(f"{grid.title}!{head_r}行：表头应为“{' / '.join(table.headers)}”")
        blocks.append((code_col, amount_col, basic_col))
    # The closing rows sit under the first and the last block (人员经费合计 | 公用经费合计).
    total_blocks = dict(zip((t.label for t in table.totals), (blocks[0], blocks[-1])))
    rows: dict[str, tuple[Stated, Stated]] = {}
    totals: dict[str, tuple[Stated, Stated]] = {}
    seen: dict[str, str] = {}
    for r in range(head_r + 1, _end_row(grid, head_r + 1) + 1):
        for label, (_, amount_col, basic_col) in total_blocks.items():
            if any(grid.text(r, c) == label for c in range(1, grid.width + 1)):
                totals[label] = (grid.amount(r, amount_col), _basic(grid, r, basic_col))
        if totals:
            continue
        for code_col, amount_col, basic_col in blocks:
            code = _code(grid, r, code_col)
            if not code:
                continue
            if code not in table.names:
                raise CellError(grid.ref(r, code_col), f"{table.name}的经济分类科目编码", code)
            if code in seen:
                raise WorkbookError(f"{grid.ref(r, code_col)}：科目编码 {code} 重复（已见于 {seen[code]}）")
            seen[code] = grid.ref(r, code_col)
            rows[code] = (grid.amount(r, amount_col), _basic(grid, r, basic_col))
    for label in total_blocks:
        if label not in totals:
            raise WorkbookError(f"{grid.title}：找不到“{label}”行")
    return EconomicRows(rows, totals)


def _basic(grid: Grid, row: int, col: int | None) -> Stated:
    """The 其中：基本支出 figure; none in a table without that column."""
    return MISSING if col is None else grid.amount(row, col)


def _grouped_row(grid: Grid, table: spec.RowTable) -> GroupedRow:
    width = len(table.groups) * len(table.columns)
    col_row, columns = _column_row(grid)
    if not all(n in columns for n in range(1, width + 1)):
        raise WorkbookError(f"{grid.title}!{col_row}行：栏次应为 1–{width}")
    data_row = next((r for r in range(col_row + 1, _end_row(grid, col_row + 1) + 1)
                     if any(grid.get(r, columns[n]) not in (None, "") for n in range(1, width + 1))), None)
    if data_row is None:  # nothing typed yet: every figure is empty
        values = tuple(Stated(None, grid.ref(col_row + 1, columns[n])) for n in range(1, width + 1))
    else:
        values = tuple(grid.amount(data_row, columns[n]) for n in range(1, width + 1))
    n = len(table.columns)
    return GroupedRow({group: values[i * n:(i + 1) * n] for i, group in enumerate(table.groups)})


_READERS = {spec.LineTable: _line_table, spec.FunctionTable: _function_table,
            spec.EconomicTable: _economic_table, spec.RowTable: _grouped_row}


def _inputs(grid: Grid, sheets: Sheets) -> dict[str, Stated | Text]:
    found: dict[str, Stated | Text] = {}
    kinds = sheets.input_kinds
    wanted = {norm(label): label for label in kinds}
    for r, c, text in grid.cells():
        label = wanted.get(text)
        if not label or label in found:
            continue
        kind = kinds[label]
        if kind == "text":
            found[label] = Text(clean_text(grid.get(r, c + 1)), grid.ref(r, c + 1))
            continue
        value = grid.amount(r, c + 1, percent=label in sheets.percent_inputs)
        if kind == "count" and value.value is not None and value.value != value.value.to_integral_value():
            grid.unreadable.append(CellError(value.ref, f"“{label}”的整数个数", grid.get(r, c + 1)))
        found[label] = value
    return found


def _header_table(grid: Grid | None, headers, optional=()) -> list[dict[str, tuple[object, str]]]:
    """Rows of a simple table under a header row: {header → (value, ref)}.

    An ``optional`` header missing from the sheet reads as an empty column.
    """
    if grid is None or not headers:  # no such sheet, or the format has none
        return []
    head_r, _ = grid.need(headers[0])
    cols: dict[str, int | None] = {}
    for h in (*headers, *optional):
        found = grid.find(h, head_r - 1)
        if found is None or found[0] != head_r:
            if h in optional:
                cols[h] = None
                continue
            raise WorkbookError(f"{grid.title}!{head_r}行：表头缺少“{h}”")
        cols[h] = found[1]
    rows = []
    for r in range(head_r + 1, grid.height + 1):
        row = {h: (grid.get(r, c), grid.ref(r, c)) if c else (None, "") for h, c in cols.items()}
        if any(v not in (None, "") for v, _ in row.values()):
            rows.append(row)
    return rows


def _list(grid: Grid, sheet: spec.ListSheet) -> list[dict[str, Text | Stated]]:
    return [{h: grid.stated(cell) if h in sheet.amounts else Text(clean_text(cell[0]), cell[1])
             for h, cell in row.items()} for row in _header_table(grid, sheet.headers)]


def _class_budget(grid: Grid | None, sheets: Sheets) -> list[ClassBudget]:
    result = []
    for row in _header_table(grid, sheets.class_budget_headers):
        code_value, code_ref = row["类编码"]
        code = norm(code_value if isinstance(code_value, str) else _int(code_value))
        if not re.fullmatch(r"\d{3}", code):
            raise CellError(code_ref, "三位数字的类编码（如 208）", code_value)
        result.append(ClassBudget(code, clean_text(row["类名称"][0]), grid.stated(row["年初预算"]),
                                  grid.stated(row["上年决算"]), clean_text(row["主要用途"][0]),
                                  clean_text(row["变动原因"][0])))
    return result


def _summaries(grid: Grid | None, sheets: Sheets) -> list[ProjectSummary]:
    return [ProjectSummary(*(clean_text(row[h][0]) for h in sheets.summary_headers),
                           *(grid.stated(row[h]) for h in sheets.summary_amount_headers))
            for row in _header_table(grid, sheets.summary_headers, sheets.summary_amount_headers)]


def _terms(grid: Grid | None, sheets: Sheets) -> list[str]:
    return [clean_text(row[sheets.terms_header][0])
            for row in _header_table(grid, (sheets.terms_header,))]


def _is_project(grid: Grid, sheets: Sheets) -> bool:
    suffix = sheets.project_title_suffix  # "": the format has no 自评表
    return bool(suffix) and any(r <= 3 and text.endswith(suffix) for r, _, text in grid.cells())


_HEAD_LABELS = frozenset(("项目名称", "主管部门及代码", "预算单位"))


def _project(grid: Grid, sheets: Sheets) -> Project | None:
    label_at = grid.need("项目名称")
    name_at = grid.right_of(*label_at, _HEAD_LABELS)
    name = Text(clean_text(grid.get(*name_at)), grid.ref(*name_at))
    supervisor = clean_text(grid.get(*grid.right_of(*grid.need("主管部门及代码"), _HEAD_LABELS)))
    unit = clean_text(grid.get(*grid.right_of(*grid.need("预算单位"), _HEAD_LABELS)))
    funds, after_funds = _funds(grid, sheets)
    goal_r, goal_c = grid.need("年度目标", after_funds - 1)
    achieved_c = grid.need("实际完成情况", goal_r - 1)[1]
    indicators_r = grid.need("一级指标", goal_r)[0]
    text_r = next((r for r in range(goal_r + 1, indicators_r)
                   if grid.get(r, goal_c) or grid.get(r, achieved_c)), goal_r + 1)
    indicators, total_row = _indicators(grid, indicators_r - 1, sheets)
    total_r, total_c = total_row
    total_at = next((c for c in range(total_c + 1, grid.width + 1) if _is_number(grid.get(total_r, c))), None)
    stated_total = (grid.amount(total_r, total_at) if total_at
                    else Stated(None, grid.ref(total_r, total_c + 1)))
    grade_at = next(((total_r, c) for c in range(total_c + 1, grid.width + 1)
                     if grid.text(total_r, c) in ("优", "良", "中", "差")), None)
    grade = Text(grid.text(*grade_at), grid.ref(*grade_at)) if grade_at else Text("", "")
    if not name.value:
        if any(v.value for f in funds for v in (f.budget, f.spent)) or any(i.level3 for i in indicators):
            raise WorkbookError(f"{grid.ref(*label_at)}：“项目名称”右边没有填写项目名称")
        return None  # the blank workbook's unused 自评表
    return Project(
        sheet=grid.title, name=name, supervisor=supervisor, unit=unit, funds=funds,
        target=clean_text(grid.get(text_r, goal_c)), achieved=clean_text(grid.get(text_r, achieved_c)),
        indicators=indicators, stated_total=stated_total, stated_grade=grade,
        analysis=_analysis(grid, total_r, sheets),
    )


def _is_number(value: object) -> bool:
    try:
        return parse_decimal(value) is not None
    except ValueError:
        return False


def _funds(grid: Grid, sheets: Sheets) -> tuple[tuple[FundRow, ...], int]:
    head_r, declared_c = grid.need("目标申报数")
    cols = {"目标申报数": declared_c}
    for label in sheets.fund_headers[1:]:
        found = next(((r, c) for r in (head_r - 1, head_r) for c in range(1, grid.width + 1)
                      if grid.text(r, c) == norm(label)), None)
        if found is None:
            raise WorkbookError(f"{grid.title}!{head_r}行附近：资金表头缺少“{label}”")
        cols[label] = found[1]
    rows = []
    r = head_r + 1
    while r <= grid.height:
        if any(grid.text(r, c) in ("年度目标", "项目年度绩效目标") for c in range(1, grid.width + 1)):
            break
        labels = [clean_text(grid.get(r, c)) for c in range(1, declared_c) if grid.text(r, c)]
        if labels:
            source = _SPACE.sub("", labels[-1]).rstrip("：:")
            rows.append(FundRow(source, *(grid.amount(r, cols[h], percent=h == "执行率") for h in sheets.fund_headers)))
        r += 1
    if not rows:
        raise WorkbookError(f"{grid.ref(head_r + 1, 1)}：项目资金表没有“资金总额”行")
    return tuple(rows), r


def _indicators(grid: Grid, after: int, sheets: Sheets) -> tuple[tuple[Indicator, ...], tuple[int, int]]:
    head_r, first_c = grid.need("一级指标", after)
    cols = {h: grid.need(h, head_r - 1)[1] for h in sheets.indicator_headers}
    result = []
    level1 = level2 = ""
    for r in range(head_r + 1, grid.height + 1):
        total = next((c for c in range(1, grid.width + 1) if grid.text(r, c) == "总分"), None)
        if total is not None:
            return tuple(result), (r, total)
        values = {h: grid.shown(r, c) for h, c in cols.items()}
        if not any(values.values()):
            continue
        level1 = values["一级指标"] or level1
        level2 = values["二级指标"] or level2
        result.append(Indicator(
            level1, level2, values["三级指标"], values["年初指标值"], values["调整后指标值"],
            values["实际完成值"], grid.amount(r, cols["分值"]), grid.amount(r, cols["得分"]),
            Text(values["偏差原因分析及改进措施"], grid.ref(r, cols["偏差原因分析及改进措施"])), grid.ref(r, first_c),
        ))
    raise WorkbookError(f"{grid.title}：绩效指标表后找不到“总分”行")


def _analysis(grid: Grid, after: int, sheets: Sheets) -> dict[str, str]:
    """The 自评结果分析 texts, by label; a label is matched by its distinctive part (the
    variants seen in published sheets differ around it)."""
    found: dict[str, str] = {}
    for r, c, text in grid.cells():
        if r <= after or len(text) > 24:
            continue
        for label, key in sheets.analysis_labels.items():
            if key in text and label not in found:
                found[label] = clean_text(grid.get(*grid.right_of(r, c)))
    return {label: found.get(label, "") for label in sheets.analysis_labels}
