"""The workbook as typed data: every stated figure with the cell it came from.

The reader fills these; the recompute and audit stages only read them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields, is_dataclass, replace
from decimal import Decimal

from .errors import undeclared
from .spec import LineTable


@dataclass(frozen=True)
class Stated:
    """A figure as typed in the workbook; ``value`` is None for an empty cell.

    ``formula`` marks a formula whose result was never saved: its value is unknown, which a
    recomputed total absorbs and anything else must report. ``entry`` says how the cell holds
    its figure: "" a number, "text" a number stored as text (which Excel's SUM skips), or the
    formula that computed it ("=SUM(C9:C20)"; just "=" where the file does not spell it out).
    """

    value: Decimal | None
    ref: str
    formula: bool = False
    entry: str = ""

    @property
    def amount(self) -> Decimal:
        return self.value if self.value is not None else Decimal(0)

    @property
    def computed(self) -> bool:
        """The sheet computed this figure: no clerk typed it."""
        return self.formula or self.entry.startswith("=")

    @property
    def as_text(self) -> bool:
        return self.entry == "text"


# A figure the workbook does not have at all (a row or sheet left out): empty, at no cell.
MISSING = Stated(None, "")


@dataclass(frozen=True)
class Text:
    value: str
    ref: str


@dataclass(frozen=True)
class FunctionRow:
    """A row of 公开02/03/05/08/09: 类 (3-digit code), 款 (5) or 项 (7)."""

    code: str
    name: str
    values: tuple[Stated, ...]
    ref: str  # the row, e.g. 公开05表!A12
    name_ref: str = ""  # its 科目名称 cell


@dataclass(frozen=True)
class FunctionRows:
    key: str  # "02", "03", …
    rows: tuple[FunctionRow, ...]
    total: tuple[Stated, ...] | None  # the 合计 row as typed


@dataclass(frozen=True)
class Lines:
    """A 行次 table as typed: 行次 → its side's figures, in column order."""

    spec: LineTable
    cells: dict[int, tuple[Stated, ...]]
    missing: tuple[int, ...] = ()  # labelled 行次 of the format the sheet lacks: read as blank

    def get(self, name: str, column: int = 0) -> Stated:
        """The figure of the row called ``name``; :data:`MISSING` when the row is not there."""
        cells = self.cells.get(self.spec.row(name).line)
        return cells[column] if cells else MISSING


@dataclass(frozen=True)
class EconomicRows:
    """公开06表 as typed: economic code → (金额, 其中：基本支出), and each closing row by label."""

    rows: dict[str, tuple[Stated, Stated]]
    totals: dict[str, tuple[Stated, Stated]]


@dataclass(frozen=True)
class GroupedRow:
    """公开07表 as typed: each group (预算数, 决算数) → its figures in column order."""

    groups: dict[str, tuple[Stated, ...]]


@dataclass(frozen=True)
class FundRow:
    source: str  # 资金总额 or a 资金来源 such as 市县区财政资金
    declared: Stated  # 目标申报数
    planned: Stated  # 预算编制数
    budget: Stated  # 全年预算数
    spent: Stated  # 全年执行数
    balance: Stated  # 资金结（转）余
    rate: Stated  # 执行率
    score: Stated  # 得分


@dataclass(frozen=True)
class Indicator:
    level1: str
    level2: str
    level3: str
    initial: str
    adjusted: str
    actual: str
    weight: Stated  # 分值
    score: Stated  # 得分
    deviation: Text  # 偏差原因分析及改进措施
    ref: str


@dataclass(frozen=True)
class Project:
    sheet: str
    name: Text
    supervisor: str
    unit: str
    funds: tuple[FundRow, ...]
    target: str
    achieved: str
    indicators: tuple[Indicator, ...]
    stated_total: Stated
    stated_grade: Text
    analysis: dict[str, str]


@dataclass(frozen=True)
class ClassBudget:
    code: str
    name: str
    initial: Stated  # 年初预算
    prior: Stated  # 上年决算
    purpose: str
    reason: str


@dataclass(frozen=True)
class ProjectSummary:
    name: str
    achieved: str
    problems: str
    measures: str
    budget: Stated  # 全年预算数 in 元, when the clerk knows it more exactly than the 附件's 万元
    spent: Stated


class ByTableKey:
    """``wb["05"]``: a table by the format's key; a key the format does not declare is the
    format's error (:func:`generator.errors.undeclared`), not a KeyError."""

    tables: dict

    def __getitem__(self, key: str):
        try:
            return self.tables[key]
        except KeyError:
            raise undeclared(key) from None


@dataclass
class Workbook(ByTableKey):
    """Everything the report is made of, as read from one standard workbook."""

    path: str
    unit: dict[str, Text]  # by the format's labels
    unit_name: Text
    unit_year: Text  # the 年度, as digits
    overview: dict[str, list[str]]  # the 概况 paragraphs by the format's section key
    tables: dict[str, Lines | FunctionRows | EconomicRows | GroupedRow]  # by the format's key, "01"…
    inputs: dict[str, Stated | Text] = field(default_factory=dict)
    class_budget: list[ClassBudget] = field(default_factory=list)
    summaries: list[ProjectSummary] = field(default_factory=list)
    extra_terms: list[str] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)
    year_cells: list[Text] = field(default_factory=list)  # each table's and 自评表's stated 年度
    # Cells inside a merged range other than its first (which alone keeps a value): sheet!cell →
    # the range, sheet!B9:B10.
    merged: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[dict[str, Text | Stated]]] = field(default_factory=dict)  # the format's ListSheets

    @property
    def name(self) -> str:
        return self.unit_name.value

    @property
    def year(self) -> int:
        return int(self.unit_year.value)

    def figure(self, label: str) -> Stated:
        """A figure typed on the 情况说明 sheet; :data:`MISSING` when the label is left out."""
        value = self.inputs.get(label)
        return value if isinstance(value, Stated) else MISSING


def stated_cells(value) -> Iterator[Stated]:
    """Every stated figure held anywhere in the workbook model."""
    if isinstance(value, Stated):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from stated_cells(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from stated_cells(item)
    elif is_dataclass(value):
        for name in value.__dataclass_fields__:
            if name != "spec":  # a table's declaration holds no figures
                yield from stated_cells(getattr(value, name))


def substituted(value, ref: str, figure: Decimal):
    """``value`` (the workbook or any part of it) with the figure typed at ``ref`` replaced by
    ``figure``, as if the clerk had typed that: what a change to one cell would do. Parts
    without that cell are shared, not copied."""
    if isinstance(value, Stated):
        return Stated(figure, ref) if value.ref == ref else value
    if isinstance(value, dict):
        new = {k: substituted(v, ref, figure) for k, v in value.items()}
        return value if all(new[k] is v for k, v in value.items()) else new
    if isinstance(value, (list, tuple)):
        new = [substituted(v, ref, figure) for v in value]
        if all(a is b for a, b in zip(new, value)):
            return value
        return type(value)(new) if isinstance(value, list) else tuple(new)
    if is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: substituted(getattr(value, f.name), ref, figure) for f in fields(value)
                   if f.init and f.name != "spec"}
        changed = {k: v for k, v in changes.items() if v is not getattr(value, k)}
        return replace(value, **changed) if changed else value
    return value
