"""The vocabulary a report format is declared in: tables, their rows and columns, the identities
between figures and the rules that check them.

A format (``generator/formats/<name>/``) is made of these declarations and its templates; the
engine (reader, recompute, audit, render, the blank-workbook writer) interprets them and holds
nothing of any one province. Four kinds of table cover the 决算 tables seen so far:

- :class:`LineTable` — rows numbered by 行次, one or two sides (收入 | 支出) each with its columns;
- :class:`FunctionTable` — rows by 功能分类科目编码 (类 3 digits, 款 5, 项 7) under a 合计 row;
- :class:`EconomicTable` — 经济分类 codes in side-by-side blocks, with named totals of classes;
- :class:`RowTable` — one row of figures under grouped column headers (预算数 | 决算数).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from .findings import ERROR
from .money import fmt_table


@dataclass(frozen=True)
class Rule:
    """A relation a correct workbook satisfies. ``name`` is what its findings carry (its formula),
    ``title`` how a clerk says it, ``description`` the relation. ``check`` finds what breaks it,
    over an :class:`audit.Context`; a rule without one is an identity of the declared tables,
    checked as they are recomputed. ``is_sum``: its first figure is a plain sum of the others,
    so a part typed x too high puts the sum off by x."""

    name: str
    title: str
    description: str
    check: Callable | None = None
    severity: str = ERROR
    is_sum: bool = False
    reads: tuple[str, ...] = ()  # the tables its check reads, by key: a format must declare them


@dataclass(frozen=True)
class Sum:
    """A column that is computed from others of the same row: ``target`` = Σ ``plus`` − Σ ``minus``."""

    target: str
    plus: tuple[str, ...]
    minus: tuple[str, ...] = ()
    rule: str = ""  # the finding's rule name; "" for the table kind's default

    def positions(self, columns: tuple[str, ...]) -> tuple[int, tuple[int, ...], tuple[int, ...]]:
        """(target, plus, minus) as places in ``columns``."""
        return columns.index(self.target), tuple(map(columns.index, self.plus)), tuple(map(columns.index, self.minus))


# ---- where a figure of one table comes from in another ----

@dataclass(frozen=True)
class TotalOf:
    """The 合计 row of a function table, in one of its columns."""

    table: str
    column: str
    rule: str
    target: str = ""  # the column of this row it fills; "" for the side's only column


@dataclass(frozen=True)
class ClassOf:
    """A 类 row (by code) of a function table, in one of its columns."""

    table: str
    code: str
    column: str
    rule: str
    target: str = ""


@dataclass(frozen=True)
class LineOf:
    """A row (by name) of another line table."""

    table: str
    row: str
    rule: str
    target: str = ""


Source = TotalOf | ClassOf | LineOf

_PARTS = re.compile(r"^\s*(\d+)\s*(?:\.\.\s*(\d+))?\s*$")


def parse_lines(text: str) -> tuple[int, ...]:
    """"1..8" → 1–8; "27+28+29+30" → those; the 行次 a sum row adds up."""
    lines: list[int] = []
    for part in text.split("+"):
        found = _PARTS.match(part)
        if found is None:
            raise ValueError(f"not a 行次 sum: {text!r}")
        first, last = int(found.group(1)), int(found.group(2) or found.group(1))
        lines += range(first, last + 1)
    return tuple(lines)


@dataclass(frozen=True)
class Row:
    """A 行次 row. ``label`` is printed ("" for an unlabelled line); ``name`` is how rules,
    sentences and findings call it (the label unless given). A row is stated (typed in the
    workbook), or computed: ``sum`` ("1..8", "27+28") of other rows, column by column, or
    ``sources`` from other tables. ``blank`` rows keep the numbering and must stay empty;
    ``signed`` rows may be negative; ``count`` rows hold numbers of things, not money.
    ``part`` and ``head`` print a part heading (and its column headers) above the row."""

    line: int
    label: str
    name: str = ""
    side: int = 0
    sum: str = ""
    rule: str = ""  # of the sum; "" for the table's
    sources: tuple[Source, ...] = ()
    blank: bool = False
    signed: bool = False
    count: bool = False
    part: str = ""
    head: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.name or self.label

    @property
    def parts(self) -> tuple[int, ...]:
        return parse_lines(self.sum) if self.sum else ()


@dataclass(frozen=True)
class Side:
    """One side of a line table (收入 or 支出): its heading and value columns in 栏次 order.
    ``total`` makes the first column the sum of the others on every row that is not a sum row
    (04's 合计 = three kinds of 财政拨款)."""

    heading: str
    columns: tuple[str, ...]
    total: Sum | None = None


class _Table:
    """What every kind of table has: its worksheet's name (公开{key}表 unless ``sheet`` says)."""

    @property
    def name(self) -> str:
        return self.sheet or f"公开{self.key}表"


class _Columns(_Table):
    def column(self, name: str) -> int:
        return self.columns.index(name)


@dataclass(frozen=True)
class LineTable(_Table):
    key: str  # "01"
    title: str
    sides: tuple[Side, ...]
    rows: tuple[Row, ...]
    rule: str = ""  # the rule of its sum rows, e.g. "01合计行" ("": each sum row names its own)
    note: str = ""  # the 注： line under the table (the reader stops there)
    sheet: str = ""  # the worksheet's name; 公开{key}表 unless given
    value_header: str = ""  # the one-sided blank sheet's value column heading

    def row(self, name: str) -> Row:
        for row in self.rows:
            if row.key == name:
                return row
        raise KeyError(f"{self.name}: no row named {name!r}")

    def at(self, line: int) -> Row:
        return next(row for row in self.rows if row.line == line)

    def side_rows(self, side: int) -> list[Row]:
        return [row for row in self.rows if row.side == side]

    def pairs(self) -> list[tuple[Row, Row]]:
        """A two-sided table's printed rows: its sides' rows side by side, in order (a format whose
        sides have not as many rows does not load: see :func:`problems`)."""
        return list(zip(self.side_rows(0), self.side_rows(1)))


@dataclass(frozen=True)
class FunctionTable(_Columns):
    key: str
    title: str
    columns: tuple[str, ...]
    identities: tuple[Sum, ...] = ()
    note: str = ""  # the 注： line under the table (the reader stops there)
    sheet: str = ""

    @property
    def row_rule(self) -> str:
        """The rule of its in-row identities (``identities``), named after its sheet."""
        return f"{self.name}行内关系"


@dataclass(frozen=True)
class EconomicTotal:
    """A closing row of an economic table: the sum of some classes (``classes``; empty: every
    class not in another total), printed under ``label``; ``key`` names it in the context."""

    label: str
    key: str
    classes: tuple[str, ...] = ()


@dataclass(frozen=True)
class EconomicTable(_Table):
    key: str
    title: str
    blocks: tuple[tuple[tuple[str, str], ...], ...]  # side-by-side (code, name) lists
    totals: tuple[EconomicTotal, ...]
    no_basic: frozenset[str] = frozenset()  # classes whose rows have no 基本支出 (printed ——)
    headings: tuple[str, ...] = ()  # above the blocks, e.g. 人员经费 | 公用经费
    class_rule: str = ""
    total_rule: str = ""
    note: str = ""  # the 注： line under the table (the reader stops there)
    sheet: str = ""
    amount_header: str = "金额"
    # The 基本支出 column's header; "" for a table of one column (a 基本支出 table has no such split).
    basic_header: str = "其中：基本支出"
    names: dict[str, str] = field(init=False, compare=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "names", {code: name for block in self.blocks for code, name in block})

    @property
    def classes(self) -> list[str]:
        return sorted(code for code in self.names if len(code) == 3)

    def total_classes(self, total: EconomicTotal) -> tuple[str, ...]:
        if total.classes:
            return total.classes
        taken = {c for t in self.totals for c in t.classes}
        return tuple(c for c in self.classes if c not in taken)

    def has_basic(self, code: str) -> bool:
        return bool(self.basic_header) and code[:3] not in self.no_basic

    @property
    def headers(self) -> tuple[str, ...]:
        """One block's headers: 科目编码, 科目名称 and its value columns."""
        return ("科目编码", "科目名称", self.amount_header, *([self.basic_header] if self.basic_header else ()))

    def grid(self):
        """The printed rows: one (code, name) pair per block, None past a block's end."""
        for i in range(max(len(block) for block in self.blocks)):
            yield [block[i] if i < len(block) else None for block in self.blocks]


@dataclass(frozen=True)
class RowTable(_Columns):
    key: str
    title: str
    groups: tuple[str, ...]  # e.g. 预算数, 决算数: each group has every column
    columns: tuple[str, ...]
    identities: tuple[Sum, ...]  # in the order they are computed
    header: tuple[tuple[str, ...], ...] = ()  # the header rows of one group, as printed
    note: str = ""  # the 注： line under the table (the reader stops there)
    sheet: str = ""


Table = LineTable | FunctionTable | EconomicTable | RowTable


@dataclass(frozen=True)
class Section:
    """A section of 情况说明: the Jinja macro ``key`` of the format's narrative.j2, given the part
    ``figures`` of the narrative's figures; ``label`` is how a clerk names it ("九（一）")."""

    key: str
    label: str
    figures: str = ""

    @property
    def part(self) -> str:
        return self.figures or self.key


def table_rules(table: Table) -> set[str]:
    """The rule names a table's declared identities give their findings."""
    if isinstance(table, LineTable):
        names = {r.rule or table.rule for r in table.rows if r.sum}
        names |= {s.rule for r in table.rows for s in r.sources}
        names |= {side.total.rule for side in table.sides if side.total and side.total.rule}
        if any(r.blank for r in table.rows):
            names.add("空行不填数")
        return names
    if isinstance(table, FunctionTable):
        names = {"类=Σ下级", "款=Σ下级", "合计=Σ类"}
        if table.identities:
            names.add(table.row_rule)
        return names
    if isinstance(table, EconomicTable):
        return {table.class_rule, table.total_rule, *(["空行不填数"] if table.no_basic else [])}
    return {s.rule for s in table.identities}


def function_parent(code: str) -> str | None:
    """The 类 of a 款, the 款 of a 项; None for a 类."""
    return code[:-2] if len(code) > 3 else None


# ---- the workbook's other sheets, each declared by the labels a clerk sees and the role each plays ----

@dataclass(frozen=True)
class UnitSheet:
    """The unit's sheet (单位信息): one label | value row each. ``name`` and ``year`` are the labels
    of the unit's name and its 年度, which every report needs."""

    sheet: str
    header: tuple[str, str]  # above the labels and their values
    labels: tuple[str, ...]  # every label, in the order written
    name: str
    year: str


@dataclass(frozen=True)
class OverviewSheet:
    """The 概况 sheet: under a ``header`` of two columns (section | text), each section's label
    once, then one paragraph a row. ``sections`` are (key, label): the template's ``overview.{key}``."""

    sheet: str
    title: str
    header: tuple[str, str]
    sections: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class InputSheet:
    """The 情况说明 sheet: the figures and texts the tables do not hold, label | value, under headings.
    ``inputs`` is ((heading, ((label, kind), …)), …) with kind amount, count or text; ``percent``
    the amounts typed as 100 or as 100% (1 in a % cell)."""

    sheet: str
    title: str
    header: tuple[str, str]
    inputs: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    percent: frozenset[str] = frozenset()
    kinds: dict[str, str] = field(init=False, compare=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "kinds", {label: kind for _, items in self.inputs for label, kind in items})


@dataclass(frozen=True)
class ListSheet:
    """A sheet of rows under one header row (分类预算, 项目综述, 名词解释). ``columns`` maps each role
    the engine reads to its header, in the order written; ``amounts`` are the roles holding figures
    (in 元), ``optional`` those whose column a workbook may lack (read as empty)."""

    sheet: str
    columns: dict[str, str]
    amounts: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    carried: bool = False  # a format's own list (Format.lists): next year's workbook starts with its rows

    def headers(self, roles) -> tuple[str, ...]:
        return tuple(self.columns[role] for role in roles)


@dataclass(frozen=True)
class Grade:
    """A grade of a 自评表's 总分: ``name`` from ``floor`` up; the last grade of a format has no
    floor (every 总分 below the others)."""

    name: str
    floor: Decimal | None = None


@dataclass(frozen=True)
class ProjectSheets:
    """The 项目支出绩效自评表: one sheet a project, found by its title, its parts by their labels.
    ``head``, ``fund_columns`` and ``indicator_columns`` map roles to labels (the roles are the
    fields of ``model.Project``, ``FundRow`` and ``Indicator``); the sheet's money is in 万元.

    总分 = ``rate_weight`` × min(执行率, 100%) + the indicators' 得分; the grade is the first of
    ``grades`` whose floor the 总分 reaches."""

    called: str  # how a clerk calls one (自评表); the blank workbook's are called 自评表01, 自评表02…
    title_suffix: str  # a sheet whose title (near its top) ends so is a 自评表
    head: dict[str, str]  # name, supervisor, unit
    funds: str  # the heading of the fund rows
    initial: str  # the heading over the declared and planned columns
    fund_columns: dict[str, str]  # declared, planned, budget, spent, balance, rate, score
    total_fund: str  # the fund row whose figures are the project's
    fund_rows: tuple[str, ...]  # the fund rows of a blank sheet
    goals: str  # the heading of the year's goal and what was achieved
    goal: str
    achieved: str
    indicators: str  # the heading of the indicator rows
    indicator_columns: dict[str, str]  # level1, level2, level3, initial, adjusted, actual, weight, score, deviation
    total: str  # the label of the 总分 row
    grades: tuple[Grade, ...]  # from the highest
    rate_weight: Decimal
    analysis: str  # the heading of the analysis texts
    analysis_labels: dict[str, str]  # label → the distinctive part it is matched by (published variants differ)
    problems: str  # the analysis label of the problems found
    measures: str  # the analysis label of the measures taken next
    notes: tuple[str, ...] = ()  # the 备注 lines under every sheet

    def grade_of(self, total: Decimal) -> str:
        return next(g.name for g in self.grades if g.floor is None or total >= g.floor)

    @property
    def scale(self) -> str:
        """The floors of the grades as a clerk reads them: 优≥90，良≥80，中≥60."""
        return "，".join(f"{g.name}≥{g.floor}" for g in self.grades if g.floor is not None)


@dataclass(frozen=True)
class Sheets:
    """The workbook's sheets besides the tables. A format without 分类预算, 项目综述, 名词解释 or
    自评表 leaves them None."""

    unit: UnitSheet
    overview: OverviewSheet
    inputs: InputSheet
    class_budget: ListSheet | None = None  # roles: code, name, initial, prior, purpose, reason
    summaries: ListSheet | None = None  # roles: name, achieved, problems, measures, budget, spent
    terms: ListSheet | None = None  # role: term
    projects: ProjectSheets | None = None

    @property
    def lists(self) -> tuple[ListSheet, ...]:
        return tuple(s for s in (self.class_budget, self.summaries, self.terms) if s is not None)

    @property
    def names(self) -> tuple[str, ...]:
        """The sheets read by name."""
        return (self.unit.sheet, self.overview.sheet, self.inputs.sheet, *(s.sheet for s in self.lists))


def in_order(tables: tuple[Table, ...]) -> list[Table]:
    """The order tables are recomputed in: the function tables first (the others take their 合计
    and 类 figures), then the others as declared (a source names an earlier one)."""
    return sorted(tables, key=lambda t: not isinstance(t, FunctionTable))


def _unpaired(table: LineTable) -> list[str]:
    """A row with no row beside it: the sides of a table are printed and written side by side."""
    sides = [table.side_rows(side) for side in range(len(table.sides))]
    stray = [row for row in table.rows if not 0 <= row.side < len(table.sides)]
    if stray:
        return [f"{table.name} 行{row.line}“{row.label}”: side {row.side}, the table has {len(table.sides)}" for row in stray]
    if len(sides) != 2 or len(sides[0]) == len(sides[1]):
        return []
    longer, shorter = (0, 1) if len(sides[0]) > len(sides[1]) else (1, 0)
    row = sides[longer][len(sides[shorter])]
    return [f"{table.name} 行{row.line}“{row.label}”: no row beside it on the {table.sides[shorter].heading} side "
            f"({table.sides[longer].heading} has {len(sides[longer])} rows, {table.sides[shorter].heading} "
            f"{len(sides[shorter])}; add a blank row there)"]


def problems(tables: tuple[Table, ...]) -> list[str]:
    """What is wrong with a format's tables as declared (a format must not load with any):
    rows named twice, sums of rows that are not there, sources in tables, rows or columns that
    are not there or not declared before the table that takes them."""
    found: list[str] = []
    by_key: dict[str, Table] = {}
    for table in in_order(tables):
        if isinstance(table, LineTable):
            found += _unpaired(table)
            keys = [row.key for row in table.rows]
            found += [f"{table.name}: row name {k!r} twice" for k in sorted({k for k in keys if keys.count(k) > 1})]
            lines = {row.line for row in table.rows}
            for row in table.rows:
                found += [f"{table.name} 行{row.line}: sums 行{p}, not declared" for p in row.parts if p not in lines]
                columns = table.sides[row.side].columns
                for source in row.sources:
                    if source.target and source.target not in columns:
                        found.append(f"{table.name} 行{row.line}: no column {source.target!r}")
                    other = by_key.get(source.table)
                    if other is None:
                        found.append(f"{table.name} 行{row.line}: takes from {source.table!r}, not a table before it")
                    elif isinstance(source, LineOf) and source.row not in {
                            r.key for r in getattr(other, "rows", ())}:
                        found.append(f"{table.name} 行{row.line}: {other.name} has no row {source.row!r}")
                    elif not isinstance(source, LineOf) and source.column not in getattr(other, "columns", ()):
                        found.append(f"{table.name} 行{row.line}: {other.name} has no column {source.column!r}")
        by_key[table.key] = table
    return found


@dataclass(frozen=True, eq=False)  # a format is itself: compared and hashed by identity
class Format:
    """One report format, declared: its tables, its other sheets, its rules and its 情况说明 sections,
    with the folder of its templates (``report.docx``, ``narrative.j2``, ``workbook-guide.txt``).
    ``figures`` are the 情况说明 computations by name, each given a :class:`narrative.Facts` (each
    section names the one it is rendered with); ``prior_year(fig)`` gives next year's 情况说明
    inputs of last year's figures (``disclose init --from``).

    The engine is handed a format by its caller and interprets it; it composes its own rules with
    the format's (``audit.rules``) and a format is checked when it is loaded (``catalog``)."""

    name: str
    title: str  # as a clerk knows it: 山西省单位决算公开
    document: str  # what a unit's report is called after its name and 年度: 单位决算公开
    templates: Path
    tables: tuple[Table, ...]
    sheets: Sheets
    checks: tuple[Rule, ...]  # the format's own rules with a check
    identities: tuple[Rule, ...]  # the names of its tables' identities (no check: recompute checks them)
    sections: tuple[Section, ...]
    figures: dict[str, Callable]
    prior_year: Callable
    carried_texts: tuple[str, ...] = ()  # 情况说明 texts that stay from year to year
    carried_figures: tuple[tuple[str, str], ...] = ()  # (next year's 上年 input, this year's input)
    class_budget_table: str = ""  # the function table whose 类 the 分类预算 sheet lists
    # Its own lists (a row per subordinate unit, per budget item …): read into wb.lists[sheet] as
    # {role → Text, or Stated for the amounts}, printed as lists[sheet], written by init.
    lists: tuple[ListSheet, ...] = ()
    # Figures typed as published, rounded to their last place (万元 to 0.01): half that place.
    # A typed total within ``tolerance`` × (its typed terms + 1) of the sum of its parts is a
    # rounding difference, not an error, and is printed as typed; 0 (元, exact): none allowed.
    tolerance: Decimal = Decimal(0)
    cell: Callable[[Decimal | None], str] = fmt_table  # a table's figure as printed (money.fmt_table_grouped: 2,940.05)

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    @property
    def tables_read(self) -> str:
        """How the build names the tables it read: 公开01–10表."""
        names = [t.name for t in self.tables]
        keys = [t.key for t in self.tables]
        numbered = all(n == f"公开{k}表" and k.isdigit() for n, k in zip(names, keys))
        if numbered and len(keys) > 2 and [int(k) for k in keys] == list(range(int(keys[0]), int(keys[0]) + len(keys))):
            return f"公开{keys[0]}–{keys[-1]}表"
        return "、".join(names)

    @property
    def template(self) -> Path:
        return self.templates / "report.docx"
