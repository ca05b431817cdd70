"""Read a standard workbook into the model, finding everything by its labels.

Nothing here depends on fixed coordinates: tables are located by their header labels
(科目编码, 栏次, 行次 …), so an extra blank row, a title row more or less, codes stored
as numbers and names wrapped with spaces or newlines all read the same.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from collections.abc import Iterator
from functools import lru_cache
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

from .errors import CellError, WorkbookError
from .text import cell_text, quoted
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
from .spec import Format, InputSheet, ListSheet, OverviewSheet, ProjectSheets, UnitSheet

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
        self.formulas: dict[str, str] = {}  # coordinate → formula (see Stated.entry)
        self.merges: list[tuple[int, int, int, int]] = []  # merged ranges: first row, col, last row, col

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
        formula = self.formulas.get(at, "")
        if raw is None and at in self.uncached:
            return Stated(None, self.ref(row, col), formula=True, entry=formula)
        if formula and isinstance(raw, str) and not _is_number(raw):
            # An error value (#VALUE!, #REF!) or text a formula gave: it has no figure to offer.
            return Stated(None, self.ref(row, col), formula=True, entry=formula)
        if formula and type(raw) is float:
            # A computed binary float (4798914.949999999): as Excel shows it, to 15 significant digits.
            raw = Decimal(f"{raw:.15g}")
        if at in self.percent:
            if percent:
                stated = self.stated((raw, self.ref(row, col)))
                return stated if stated.value is None else replace(stated, value=stated.value * 100)
            self.unreadable.append(CellError(self.ref(row, col), "金额（数字；这一格设成了百分比格式，请改为数值格式）",
                                             self.shown(row, col)))
            return Stated(None, self.ref(row, col))
        stated = self.stated((raw, self.ref(row, col)))
        return replace(stated, entry=formula) if formula else stated

    def shown(self, row: int, col: int) -> str:
        """A cell's text as Excel shows it: a percentage with its % (1 in a 0% cell is 100%)."""
        at = f"{column_letter(col)}{row}"
        if at in self.percent:
            try:
                number = parse_decimal(self.get(row, col))
            except ValueError:
                number = None
            if number is not None:
                places = Decimal(1).scaleb(-self.percent[at])
                return f"{number.scaleb(2).quantize(places, rounding=ROUND_HALF_UP)}%"
        return clean_text(self.get(row, col))

    def stated(self, cell: tuple[object, str]) -> Stated:
        """A figure as typed; an unreadable one is recorded and reads as empty; a formula without
        a saved result is marked so (its value is unknown, not empty)."""
        value, ref = cell
        if value is None and ref.rpartition("!")[2] in self.uncached:
            return Stated(None, ref, formula=True)
        try:
            number = parse_decimal(value)
        except ValueError:
            self.unreadable.append(CellError(ref, "金额（数字）", value))
            return Stated(None, ref)
        return Stated(number, ref, entry="text" if isinstance(value, str) and number is not None else "")

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
    unit = _unit(_sheet(grids, sheets.unit.sheet), sheets.unit)
    table_grids = {table.key: _sheet(grids, table.name) for table in fmt.tables}
    project_grids = [g for g in grids.values() if _is_project(g, sheets.projects)]
    wb = Workbook(
        path=path,
        unit=unit,
        unit_name=unit[sheets.unit.name],
        unit_year=unit[sheets.unit.year],
        overview=_overview(_sheet(grids, sheets.overview.sheet), sheets.overview),
        tables={table.key: _READERS[type(table)](table_grids[table.key], table) for table in fmt.tables},
        inputs=_inputs(_sheet(grids, sheets.inputs.sheet), sheets.inputs),
        class_budget=_class_budget(_optional(grids, sheets.class_budget), sheets.class_budget),
        summaries=_summaries(_optional(grids, sheets.summaries), sheets.summaries),
        extra_terms=_terms(_optional(grids, sheets.terms), sheets.terms),
        projects=[p for p in (_project(g, sheets.projects) for g in project_grids) if p is not None],
        year_cells=[*_year_cells(list(table_grids.values()), 6, _TABLE_YEAR),
                    *_year_cells(project_grids, 3, _PROJECT_YEAR)],
        merged={covered: merge for grid in grids.values() for covered, merge in _covered(grid)},
        lists={declared.sheet: _list(_sheet(grids, declared.sheet), declared) for declared in fmt.lists},
    )
    if unreadable:
        raise _all_unreadable(unreadable)
    return wb


def _covered(grid: Grid) -> Iterator[tuple[str, str]]:
    """(cell, its merged range) for every cell of a merge but its first, which alone keeps a value."""
    for r0, c0, r1, c1 in grid.merges:
        merge = f"{grid.ref(r0, c0)}:{column_letter(c1)}{r1}"
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    yield grid.ref(r, c), merge


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
    declared = fmt.sheets.unit
    grids = _grids(load(path, want=lambda title: norm(title) == norm(declared.sheet)), fmt)
    unit = _unit(_sheet(grids, declared.sheet), declared)
    return unit[declared.name].value, int(unit[declared.year].value)


def _unit(grid: Grid, declared: UnitSheet) -> dict[str, Text]:
    unit = _label_values(grid, declared.labels)
    for label in (declared.name, declared.year):
        value = unit.get(label)
        if value is None or not value.value:
            ref = value.ref if value else declared.sheet
            raise WorkbookError(f"{ref}：“{label}”未填写")
    year = unit[declared.year]
    number = _int(year.value)
    if number is None or not FIRST_YEAR <= number <= LAST_YEAR:
        raise WorkbookError(f"{year.ref}：应为{declared.year}（{FIRST_YEAR}–{LAST_YEAR} 之间的四位整数，如 2022），"
                            f"实际为“{quoted(year.value)}”")
    unit[declared.year] = Text(str(number), year.ref)
    return unit


# The 年度 a 决算 can be for: a typo beyond these (20222, 2022.5, 22) is not read as some year.
FIRST_YEAR, LAST_YEAR = 1990, 2100


def _optional(grids: dict[str, Grid], declared: ListSheet | None) -> Grid | None:
    """A sheet the format declares that a workbook may leave out (its rows are then none)."""
    return grids.get(norm(declared.sheet)) if declared else None


def _load(path: str, fmt: Format) -> dict[str, Grid]:
    """The sheets the format reads by name, and any other that is small enough to be a 自评表, a
    renamed table or a hidden copy of data (a big helper sheet is not walked)."""
    named = _named(fmt)
    return _grids(load(path, want=lambda title: True if norm(title) in named else None), fmt)


def _named(fmt: Format) -> set[str]:
    """The sheets the format reads by name, normalised."""
    return {norm(n) for n in (*fmt.sheets.names, *(s.sheet for s in fmt.lists), *(table.name for table in fmt.tables))}


_COPY = re.compile(r"（\d+）$")  # what Excel adds to a copied sheet's title: "公开01表 (2)"


def _grids(sheets: list[Sheet], fmt: Format) -> dict[str, Grid]:
    """The visible sheets that were read, by normalised title.

    Two sheets whose titles normalise alike would be one sheet to the reader, and so would a
    sheet and its copy ("公开01表" and "公开01表 (2)"): that is an error naming both. A hidden sheet is never the clerk's data unseen: one that looks like
    report data (a sheet the report reads, or a 自评表) is an error saying so; any other hidden
    sheet (a helper or lookup sheet) is left out."""
    # A hidden sheet under a name the format reads is the clerk's data hidden, not a helper sheet.
    named = _named(fmt)
    seen: dict[str, str] = {}
    for sheet in sheets:
        key = norm(sheet.title)
        if key in seen:
            raise WorkbookError(f"工作表“{seen[key]}”与“{sheet.title}”的名称只差空格或全角/半角，"
                                "无法分辨哪张是要用的；请删除或改名其中一张（隐藏的工作表也算）")
        seen[key] = sheet.title
    for key, title in seen.items():
        original = _COPY.sub("", key)
        if original != key and original in seen:
            raise WorkbookError(f"工作表“{title}”像是“{seen[original]}”的副本（Excel 复制工作表时加上的“(2)”），"
                                "无法分辨哪张是要用的；请删除副本，或给它改一个不同的名称（隐藏的工作表也算）")
    grids: dict[str, Grid] = {}
    for sheet in sheets:
        if sheet.rows is None:
            continue
        grid = Grid(sheet.title, sheet.rows)
        grid.uncached = sheet.uncached
        grid.percent = sheet.percent
        grid.formulas = sheet.formulas
        grid.merges = sheet.merges
        if not sheet.hidden:
            grids[norm(sheet.title)] = grid
        elif norm(sheet.title) in named or _is_project(grid, fmt.sheets.projects) or any(
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


def _overview(grid: Grid, declared: OverviewSheet) -> dict[str, list[str]]:
    """Each section's paragraphs, by its key."""
    head_r, head_c = grid.need(declared.header[0])
    _, text_c = grid.need(declared.header[1], head_r - 1)
    sections: dict[str, list[str]] = {key: [] for key, _ in declared.sections}
    current = None
    for r in range(head_r + 1, grid.height + 1):
        label = grid.text(r, head_c)
        for key, section in declared.sections:
            if label and label == norm(section):
                current = key
        text = clean_text(grid.get(r, text_c))
        if text and current:
            sections[current].append(text)
    return sections


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
    seen: dict[int, str] = {}
    for r in range(first, _end_row(grid, first) + 1):
        for line_col, cols in zip(line_cols, value_cols):
            line = _int(grid.get(r, line_col))
            if line is not None:
                if line in seen:  # a pasted or hidden copy of a row: which one holds the figures?
                    raise WorkbookError(f"{grid.ref(r, line_col)}：行次 {line} 重复（已见于 {seen[line]}；隐藏的行也算），"
                                        "无法分辨哪一行是要用的；请删除多余的一行后保存再试")
                seen[line] = grid.ref(r, line_col)
                cells[line] = tuple(grid.amount(r, c) for c in cols)
    # A labelled row the sheet lacks (one the format gained after the workbook was made, or one
    # deleted) reads as blank; the audit warns of it, so its totals never change unseen.
    return Lines(table, cells, tuple(row.line for row in table.rows if row.label and row.line not in cells))


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
        raise WorkbookError(f"{grid.title}!{col_row}行：栏次应为 1–{width}，缺少 {'、'.join(map(str, missing))}")
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
            rows.append(FunctionRow(code, _SPACE.sub("", name), values, grid.ref(r, code_col), grid.ref(r, name_col)))
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


def _inputs(grid: Grid, declared: InputSheet) -> dict[str, Stated | Text]:
    found: dict[str, Stated | Text] = {}
    kinds = declared.kinds
    wanted = {norm(label): label for label in kinds}
    for r, c, text in grid.cells():
        label = wanted.get(text)
        if not label or label in found:
            continue
        kind = kinds[label]
        if kind == "text":
            found[label] = Text(clean_text(grid.get(r, c + 1)), grid.ref(r, c + 1))
            continue
        value = grid.amount(r, c + 1, percent=label in declared.percent)
        if kind == "count" and value.value is not None and value.value != value.value.to_integral_value():
            grid.unreadable.append(CellError(value.ref, f"“{label}”的整数个数", grid.get(r, c + 1)))
        found[label] = value
    return found


def _header_table(grid: Grid | None, declared: ListSheet) -> list[dict[str, tuple[object, str]]]:
    """Rows of a simple table under a header row: {role → (value, ref)}.

    An ``optional`` role's column missing from the sheet reads as an empty column.
    """
    if grid is None:
        return []
    headers = declared.columns
    head_r, _ = grid.need(next(iter(headers.values())))
    cols: dict[str, int | None] = {}
    for role, h in headers.items():
        found = grid.find(h, head_r - 1)
        if found is None or found[0] != head_r:
            if role in declared.optional:
                cols[role] = None
                continue
            raise WorkbookError(f"{grid.title}!{head_r}行：表头缺少“{h}”")
        cols[role] = found[1]
    rows = []
    for r in range(head_r + 1, grid.height + 1):
        row = {h: (grid.get(r, c), grid.ref(r, c)) if c else (None, "") for h, c in cols.items()}
        if any(v not in (None, "") for v, _ in row.values()):
            rows.append(row)
    return rows


def _list(grid: Grid, declared: ListSheet) -> list[dict[str, Text | Stated]]:
    """A format's own list: each row {role → Text, or Stated for its amounts}."""
    return [{role: grid.stated(cell) if role in declared.amounts else Text(clean_text(cell[0]), cell[1])
             for role, cell in row.items()} for row in _header_table(grid, declared)]


def _class_budget(grid: Grid | None, declared: ListSheet | None) -> list[ClassBudget]:
    result = []
    for row in _header_table(grid, declared):
        code_value, code_ref = row["code"]
        code = norm(code_value if isinstance(code_value, str) else _int(code_value))
        if not re.fullmatch(r"\d{3}", code):
            raise CellError(code_ref, f"三位数字的{declared.columns['code']}（如 208）", code_value)
        result.append(ClassBudget(code=code, **_values(grid, declared, row, ("code",))))
    return result


def _values(grid: Grid, declared: ListSheet, row: dict, apart=()) -> dict:
    """A listed row's values by role: figures for its amounts, texts for the others."""
    return {role: grid.stated(cell) if role in declared.amounts else clean_text(cell[0])
            for role, cell in row.items() if role not in apart}


def _summaries(grid: Grid | None, declared: ListSheet | None) -> list[ProjectSummary]:
    return [ProjectSummary(**_values(grid, declared, row)) for row in _header_table(grid, declared)]


def _terms(grid: Grid | None, declared: ListSheet | None) -> list[str]:
    return [clean_text(row["term"][0]) for row in _header_table(grid, declared)]


def _is_project(grid: Grid, declared: ProjectSheets | None) -> bool:
    return declared is not None and any(r <= 3 and text.endswith(declared.title_suffix) for r, _, text in grid.cells())


def _project(grid: Grid, declared: ProjectSheets) -> Project | None:
    head = frozenset(map(norm, declared.head.values()))
    label_at = grid.need(declared.head["name"])
    name_at = grid.right_of(*label_at, head)
    name = Text(clean_text(grid.get(*name_at)), grid.ref(*name_at))
    supervisor = clean_text(grid.get(*grid.right_of(*grid.need(declared.head["supervisor"]), head)))
    unit = clean_text(grid.get(*grid.right_of(*grid.need(declared.head["unit"]), head)))
    funds, after_funds = _funds(grid, declared)
    goal_r, goal_c = grid.need(declared.goal, after_funds - 1)
    achieved_c = grid.need(declared.achieved, goal_r - 1)[1]
    indicators_r = grid.need(declared.indicator_columns["level1"], goal_r)[0]
    text_r = next((r for r in range(goal_r + 1, indicators_r)
                   if grid.get(r, goal_c) or grid.get(r, achieved_c)), goal_r + 1)
    indicators, total_row = _indicators(grid, indicators_r - 1, declared)
    total_r, total_c = total_row
    total_at = next((c for c in range(total_c + 1, grid.width + 1) if _is_number(grid.get(total_r, c))), None)
    stated_total = (grid.amount(total_r, total_at) if total_at
                    else Stated(None, grid.ref(total_r, total_c + 1)))
    # The grade is the text after the 总分 (any word: one that is not a grade of the format is wrong).
    grade_at = next(((total_r, c) for c in range((total_at or total_c) + 1, grid.width + 1)
                     if grid.text(total_r, c) and not _is_number(grid.get(total_r, c))), None)
    grade = Text(grid.text(*grade_at), grid.ref(*grade_at)) if grade_at else Text("", "")
    if not name.value:
        if any(v.value for f in funds for v in (f.budget, f.spent)) or any(i.level3 for i in indicators):
            raise WorkbookError(f"{grid.ref(*label_at)}：“{declared.head['name']}”右边没有填写{declared.head['name']}")
        return None  # the blank workbook's unused 自评表
    return Project(
        sheet=grid.title, name=name, supervisor=supervisor, unit=unit, funds=funds,
        target=clean_text(grid.get(text_r, goal_c)), achieved=clean_text(grid.get(text_r, achieved_c)),
        indicators=indicators, stated_total=stated_total, stated_grade=grade,
        analysis=_analysis(grid, total_r, declared),
    )


def _is_number(value: object) -> bool:
    try:
        return parse_decimal(value) is not None
    except ValueError:
        return False


def _funds(grid: Grid, declared: ProjectSheets) -> tuple[tuple[FundRow, ...], int]:
    columns = declared.fund_columns
    first, *others = columns
    head_r, declared_c = grid.need(columns[first])
    cols = {first: declared_c}
    for role in others:
        found = next(((r, c) for r in (head_r - 1, head_r) for c in range(1, grid.width + 1)
                      if grid.text(r, c) == norm(columns[role])), None)
        if found is None:
            raise WorkbookError(f"{grid.title}!{head_r}行附近：资金表头缺少“{columns[role]}”")
        cols[role] = found[1]
    goals = {norm(declared.goal), norm(declared.goals)}
    rows = []
    r = head_r + 1
    while r <= grid.height:
        if any(grid.text(r, c) in goals for c in range(1, grid.width + 1)):
            break
        labels = [clean_text(grid.get(r, c)) for c in range(1, declared_c) if grid.text(r, c)]
        if labels:
            source = _SPACE.sub("", labels[-1]).rstrip("：:")
            rows.append(FundRow(source, **{role: grid.amount(r, c, percent=role == "rate") for role, c in cols.items()}))
        r += 1
    if not rows:
        raise WorkbookError(f"{grid.ref(head_r + 1, 1)}：项目资金表没有“{declared.total_fund}”行")
    return tuple(rows), r


def _indicators(grid: Grid, after: int, declared: ProjectSheets) -> tuple[tuple[Indicator, ...], tuple[int, int]]:
    columns = declared.indicator_columns
    head_r, first_c = grid.need(columns["level1"], after)
    cols = {role: grid.need(label, head_r - 1)[1] for role, label in columns.items()}
    total_label = norm(declared.total)
    result = []
    level1 = level2 = ""
    for r in range(head_r + 1, grid.height + 1):
        total = next((c for c in range(1, grid.width + 1) if grid.text(r, c) == total_label), None)
        if total is not None:
            return tuple(result), (r, total)
        values = {role: grid.shown(r, c) for role, c in cols.items()}
        if not any(values.values()):
            continue
        level1 = values["level1"] or level1
        level2 = values["level2"] or level2
        result.append(Indicator(
            level1, level2, values["level3"], values["initial"], values["adjusted"],
            values["actual"], grid.amount(r, cols["weight"]), grid.amount(r, cols["score"]),
            Text(values["deviation"], grid.ref(r, cols["deviation"])), grid.ref(r, first_c),
        ))
    raise WorkbookError(f"{grid.title}：{declared.indicators}表后找不到“{declared.total}”行")


def _analysis(grid: Grid, after: int, declared: ProjectSheets) -> dict[str, str]:
    """The 自评结果分析 texts, by label; a label is matched by its distinctive part (the
    variants seen in published sheets differ around it)."""
    found: dict[str, str] = {}
    for r, c, text in grid.cells():
        if r <= after or len(text) > 24:
            continue
        for label, key in declared.analysis_labels.items():
            if key in text and label not in found:
                found[label] = clean_text(grid.get(*grid.right_of(r, c)))
    return {label: found.get(label, "") for label in declared.analysis_labels}
