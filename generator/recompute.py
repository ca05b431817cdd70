"""Recompute every subtotal and total from the leaf rows, as the format declares them.

The figures printed in the report are these recomputed ones. Each stated total that
differs from its recomputation becomes a :class:`Finding` naming the stated cell and the
cells it should add up from, under the rule its declaration names.

Where one figure appears in two tables, the more detailed table is the source (a row's
``sources``): in Shanxi's, 01's 收入 rows 4–8 come from 02, its 支出 类 from 03.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import reduce
from dataclasses import dataclass, field
from decimal import Decimal

from . import spec
from .findings import ERROR, WARNING, Finding, mismatch
from .model import MISSING, ByTableKey, EconomicRows, FunctionRows, GroupedRow, Lines, Stated, Workbook, stated_cells
from .money import fmt_money
from .spec import Format

ZERO = Decimal(0)
LEVELS = {3: "类", 5: "款", 7: "项"}


@dataclass(frozen=True)
class Line:
    """A printed row of a function-code table; ``code`` is "" for the 合计 row."""

    code: str
    name: str
    values: tuple[Decimal, ...]

    @property
    def level(self) -> str:
        return LEVELS.get(len(self.code), "合计")


class FunctionLines(list):
    """A function table as printed: its 合计 line, then its 类, 款 and 项; no line at all when the
    table has no data (it then prints 说明：本表无数据)."""

    def __init__(self, lines: list[Line], width: int):
        super().__init__(lines)
        self.width = width

    @property
    def total(self) -> tuple[Decimal, ...]:
        """The 合计 line's figures (zeros for a table without data)."""
        return self[0].values if self else (ZERO,) * self.width

    def class_totals(self, column: int) -> dict[str, Decimal]:
        """The 类 figures in one column, by code."""
        return {line.code: line.values[column] for line in self if line.level == "类"}


@dataclass(frozen=True)
class LineFigures:
    """A 行次 table as printed: 行次 → its side's figures (a blank row has none)."""

    spec: spec.LineTable
    values: dict[int, tuple[Decimal, ...]]

    def row(self, name: str) -> tuple[Decimal, ...]:
        row = self.spec.row(name)
        width = len(self.spec.sides[row.side].columns)
        return self.values.get(row.line, (ZERO,) * width)

    def __getitem__(self, name: str) -> Decimal:
        """The first column of the row called ``name``."""
        return self.row(name)[0]


@dataclass(frozen=True)
class EconomicFigures:
    """公开06表 as printed: code → (金额, 其中：基本支出 or None where it prints ——), and the
    closing rows by label."""

    rows: dict[str, tuple[Decimal, Decimal | None]]
    totals: dict[str, tuple[Decimal, Decimal]]


@dataclass
class Figures(ByTableKey):
    """The report's tables as printed, every total recomputed, by the format's table key."""

    tables: dict[str, LineFigures | FunctionLines | EconomicFigures | dict[str, tuple[Decimal, ...]]]
    findings: list[Finding] = field(default_factory=list)
    total_refs: set[str] = field(default_factory=set)  # stated totals, replaced by recomputation


class _Log(list):
    """The findings so far, the cells checked as totals (recomputed, so never read), and every
    stated cell by its reference (what a total's parts are)."""

    def __init__(self, wb: Workbook, tolerance: Decimal = ZERO):
        super().__init__()
        self.totals: set[str] = set()
        self.cells = {cell.ref: cell for cell in stated_cells(wb.tables)}
        self.as_text: set[str] = set()  # text cells already reported
        self.tolerance = tolerance  # the format's rounding tolerance (Format.tolerance)


# A cell reference or range in a formula, as Excel (C9:C20, $A$9) or ODF ([.C9:.C20]) spells it.
_RANGE = re.compile(r"(?<![A-Za-z_$])\$?([A-Z]{1,3})\$?([0-9]+)(?::\.?\$?([A-Z]{1,3})\$?([0-9]+))?(?![0-9(A-Za-z_])")
_AT = re.compile(r"!([A-Z]+)([0-9]+)$")
# Formulas whose reach depends on values: which cells they read cannot be told from their text.
_DYNAMIC = re.compile(r"OFFSET|INDIRECT|INDEX|!", re.IGNORECASE)


def _column(letters: str) -> int:
    return reduce(lambda n, ch: n * 26 + ord(ch) - 64, letters, 0)


def _reach(formula: str) -> list[tuple[int, int, int, int]] | None:
    """The ranges (first col, row, last col, row) a formula reads; None when that cannot be told."""
    if formula == "=" or _DYNAMIC.search(formula.replace("[.", "[")):
        return None
    reach = []
    for c0, r0, c1, r1 in _RANGE.findall(formula):
        cols = sorted((_column(c0), _column(c1 or c0)))
        rows = sorted((int(r0), int(r1 or r0)))
        reach.append((cols[0], rows[0], cols[1], rows[1]))
    return reach


def _outside(reach, ref: str) -> bool:
    found = _AT.search(ref)
    col, row = _column(found.group(1)), int(found.group(2))
    return not any(c0 <= col <= c1 and r0 <= row <= r1 for c0, r0, c1, r1 in reach)


def _check(findings: _Log, rule: str, what: str, stated: Stated, computed: Decimal,
           parts: Sequence[Stated | str] = (), *, minus: Sequence[Stated | str] = (), also: Sequence[str] = (),
           computed_label: str = "按明细重算", adds: bool = True) -> Decimal:
    """Check a typed total against its recomputation from ``parts`` (less ``minus``: the typed
    figures, or the cells of figures taken from elsewhere); the figure to print. ``also`` names
    further cells it depends on. ``adds``: the sheet's own formula there, if any, adds up exactly
    ``parts`` less ``minus`` (not so for a figure taken from another table). A typed figure within
    the rounding tolerance of its parts is the better figure: it is printed as typed."""
    findings.totals.add(stated.ref)
    if stated.formula or stated is MISSING:
        return computed  # never calculated, or a row the sheet lacks: the recomputation stands
    refs = [p if isinstance(p, str) else p.ref for p in parts]
    minus_refs = [p if isinstance(p, str) else p.ref for p in minus]
    terms = sum(1 for p in (*parts, *minus) if isinstance(p, str) or p.value is not None)
    printed = _printed(findings.tolerance, stated, computed, terms)
    if printed is not computed or stated.amount == computed:
        return printed
    if stated.computed and adds and _formula_adds_its_cells(findings, stated, computed, refs, minus_refs):
        return computed
    findings.append(mismatch(rule, what, stated.amount, computed, (stated.ref, *refs, *minus_refs, *also),
                             computed_label=computed_label))
    return computed


def _printed(tolerance: Decimal, stated: Stated, computed: Decimal, terms: int) -> Decimal:
    """The typed figure where it is a rounding of ``computed`` (a sum of ``terms`` rounded
    figures), else ``computed`` itself."""
    if (tolerance and stated.value is not None and not stated.formula and stated.value != computed
            and abs(stated.value - computed) <= tolerance * (terms + 1)):
        return stated.value
    return computed


def _formula_adds_its_cells(findings: _Log, stated: Stated, computed: Decimal, parts: Sequence[str],
                            minus: Sequence[str]) -> bool:
    """Whether a formula total is exactly what its sheet's cells add up to, as a spreadsheet adds
    them: without rows outside the formula's ranges (inserted beyond them) and without numbers
    stored as text (SUM skips them). Then no typed figure is wrong here: the difference from the
    recomputation is in its parts (reported where they are recomputed), in rows it misses or in
    text cells, each said as a warning. The report prints the recomputed total either way."""
    sheet = stated.ref.split("!")[0] + "!"
    reach = _reach(stated.entry)
    terms = [(findings.cells.get(ref), sign) for refs, sign in ((parts, 1), (minus, -1)) for ref in refs]
    if any(cell is None for cell, _ in terms) or not terms:
        return False
    missed = [c for c, _ in terms if reach is not None and c.ref.startswith(sheet) and _outside(reach, c.ref)]
    as_text = [c for c, _ in terms if c.as_text and c not in missed]
    added = sum((sign * c.amount for c, sign in terms if c not in missed and c not in as_text), ZERO)
    if stated.amount != added:
        return False
    if missed:
        rows = "、".join(dict.fromkeys(_AT.search(c.ref).group(2) for c in missed))
        findings.append(Finding(
            WARNING, "合计公式包括各行",
            f"{stated.ref} 的公式 {stated.entry} 没有算到第 {rows} 行（这几行在公式的范围之外），所以它显示 "
            f"{fmt_money(stated.amount)}；按明细应为 {fmt_money(computed)}，报告用按明细重算的数。"
            "请把公式的范围改为包括这些行（或从 disclose init 生成的空白工作簿复制这一行的公式）",
            (stated.ref, *(c.ref for c in missed))))
    for cell in as_text:
        if cell.ref not in findings.as_text:
            findings.as_text.add(cell.ref)
            findings.append(Finding(
                WARNING, "数字不存为文本",
                f"{cell.ref} 的 {fmt_money(cell.amount)} 存成了文本：这一格是文本，Excel 的合计不会算它，所以 "
                f"{stated.ref} 的公式少算了它。工具已按数字计算，报告不受影响；请把它改为数字"
                "（选中这一格，点旁边的黄色感叹号→“转换为数字”）", (cell.ref, stated.ref)))
    return True


def _apply(positions: tuple[int, tuple[int, ...], tuple[int, ...]], values: list[Decimal]) -> None:
    """values[target] = Σ plus − Σ minus (a :meth:`spec.Sum.positions`)."""
    target, plus, minus = positions
    values[target] = sum((values[i] for i in plus), ZERO) - sum((values[i] for i in minus), ZERO)


def _function_table(declared: spec.FunctionTable, table: FunctionRows, figures, findings: _Log, wb,
                    fmt: Format) -> FunctionLines:
    columns = declared.columns
    sheet = declared.name
    identities = [s.positions(columns) for s in declared.identities]
    derived = {target for target, _, _ in identities}
    children: dict[str, list] = {}
    for row in table.rows:
        parent = spec.function_parent(row.code)
        if parent:
            children.setdefault(parent, []).append(row)

    computed: dict[str, tuple[Decimal, ...]] = {}

    def value(row) -> tuple[Decimal, ...]:
        if row.code in computed:
            return computed[row.code]
        kids = children.get(row.code)
        if kids:
            added = [sum((value(k)[i] for k in kids), ZERO) for i in range(len(columns))]
            sums = [added[i] if i in derived else
                    _printed(findings.tolerance, row.values[i], added[i], sum(k.values[i].value is not None for k in kids))
                    for i in range(len(columns))]
        else:
            sums = [v.amount for v in row.values]
        for positions in identities:
            _apply(positions, sums)
        for i, stated in enumerate(row.values):
            if kids and i not in derived:
                parts = [k.values[i] for k in kids]
                _check(findings, f"{LEVELS[len(row.code)]}=Σ下级", f"{sheet} {row.code}{row.name}“{columns[i]}”",
                       stated, added[i], parts)
            elif i in derived:
                _, plus, minus = next(t for t in identities if t[0] == i)
                sums[i] = _check(findings, declared.row_rule, f"{sheet} {row.code}{row.name}“{columns[i]}”",
                                 stated, sums[i], [row.values[j] for j in plus], minus=[row.values[j] for j in minus],
                                 also=[k.values[i].ref for k in kids or ()])  # the figures it also totals
        computed[row.code] = tuple(sums)
        return computed[row.code]

    lines = [Line(row.code, row.name, value(row)) for row in table.rows]
    classes = [line for line in lines if line.level == "类"]
    total = [sum((c.values[i] for c in classes), ZERO) for i in range(len(columns))]
    if table.total is not None:
        class_rows = [r for r in table.rows if len(r.code) == 3]
        for i, stated in enumerate(table.total):
            total[i] = _check(findings, "合计=Σ类", f"{sheet} 合计“{columns[i]}”", stated, total[i],
                              [r.values[i] for r in class_rows])
    total = tuple(total)
    if not lines and (table.total is None or not any(v.value for v in table.total)):
        return FunctionLines([], len(columns))
    return FunctionLines([Line("", "合计", total), *lines], len(columns))


def _source(source: spec.Source, wb: Workbook, figures: dict, fmt: Format) -> tuple[Decimal, str]:
    """The figure a row takes from another table, and the cell it is typed in there."""
    if isinstance(source, spec.LineOf):
        return figures[source.table][source.row], wb[source.table].get(source.row).ref
    column = fmt.table(source.table).column(source.column)
    stated: FunctionRows = wb[source.table]
    if isinstance(source, spec.TotalOf):
        return figures[source.table].total[column], stated.total[column].ref if stated.total else ""
    value = figures[source.table].class_totals(column).get(source.code, ZERO)
    ref = next((r.values[column].ref for r in stated.rows if r.code == source.code), "")
    return value, ref


def _source_label(source: spec.Source, fmt: Format) -> str:
    """How a finding names the figure a row takes from another table: 公开05表 208类为."""
    table = fmt.table(source.table)
    if isinstance(source, spec.LineOf):
        return f"{table.name} {source.row}为"
    if isinstance(source, spec.TotalOf):
        return f"{table.name} 合计“{source.column}”为"
    return f"{table.name} {source.code}“{source.column}”为"


def _line_table(declared: spec.LineTable, stated: Lines, figures: dict, findings: _Log, wb: Workbook,
                fmt: Format) -> LineFigures:
    sheet = declared.name
    values: dict[int, list[Decimal]] = {}

    def what(row: spec.Row, column: int) -> str:
        columns = declared.sides[row.side].columns
        return f"{sheet} 行{row.line}{row.key}" + (f"“{columns[column]}”" if len(columns) > 1 else "")

    def cells(row: spec.Row) -> tuple[Stated, ...]:
        return stated.cells.get(row.line, (MISSING,) * len(declared.sides[row.side].columns))

    taken: dict[int, dict[int, str]] = {}  # 行次 → column → the cell in another table it is taken from

    def sources_of(lines, column: int) -> list[str]:
        return [taken[line][column] for line in lines if column in taken.get(line, {})]

    for row in declared.rows:
        typed = cells(row)
        if row.blank:
            for cell in typed:
                if cell.amount:
                    findings.append(Finding(ERROR, "空行不填数", f"{sheet} 行{row.line}是空行，不应填数"
                                            f"（填了 {fmt_money(cell.amount)}，报告中不会出现）", (cell.ref,)))
            continue
        if row.sum:
            continue
        side = declared.sides[row.side]
        row_values = [cell.amount for cell in typed]
        for source in row.sources:
            column = side.columns.index(source.target) if source.target else 0
            value, ref = _source(source, wb, figures, fmt)
            taken.setdefault(row.line, {})[column] = ref
            row_values[column] = _check(findings, source.rule, what(row, column), typed[column], value, [ref],
                                        computed_label=_source_label(source, fmt), adds=False)
        if side.total is not None:
            target, plus, minus = side.total.positions(side.columns)
            _apply((target, plus, minus), row_values)
            row_values[target] = _check(findings, side.total.rule, what(row, target), typed[target], row_values[target],
                                        [typed[c] for c in plus], minus=[typed[c] for c in minus],
                                        also=[ref for c in (*plus, *minus) for ref in sources_of([row.line], c)])
        values[row.line] = row_values
    # Sum rows, each once the rows it adds are known (a total may stand above its parts, as 04's
    # 年初财政拨款结转和结余 does).
    pending = [row for row in declared.rows if row.sum]
    while pending:
        ready = [row for row in pending if all(p in values or not declared.at(p).sum for p in row.parts)]
        if not ready:
            raise ValueError(f"{sheet}: sum rows refer to each other in a circle: {[r.line for r in pending]}")
        for row in ready:
            typed = cells(row)
            width = len(declared.sides[row.side].columns)
            row_values = [sum((values.get(p, [ZERO] * width)[c] for p in row.parts), ZERO) for c in range(width)]
            for c in range(width):
                row_values[c] = _check(findings, row.rule or declared.rule, what(row, c), typed[c], row_values[c],
                                       [cells(declared.at(p))[c] for p in row.parts], also=sources_of(row.parts, c))
            values[row.line] = row_values
            pending.remove(row)
    return LineFigures(declared, {line: tuple(v) for line, v in sorted(values.items())})


def _economic_table(declared: spec.EconomicTable, stated: EconomicRows, figures, findings: _Log,
                    wb, fmt: Format) -> EconomicFigures:
    sheet = declared.name
    rows: dict[str, tuple[Decimal, Decimal | None]] = {}
    blank = (MISSING, MISSING)
    for code, (_, basic) in stated.rows.items():
        if not declared.has_basic(code) and basic.amount:
            findings.append(Finding(ERROR, "空行不填数", f"{sheet} {code}的“其中：基本支出”应为——"
                                    f"（这一类不列基本支出），填了 {fmt_money(basic.amount)}", (basic.ref,)))
    for block in declared.blocks:
        for code, _ in block:
            if len(code) == 5:
                amount, basic = stated.rows.get(code, blank)
                rows[code] = (amount.amount, basic.amount if declared.has_basic(code) else None)
    for cls in declared.classes:
        kids = [c for c in rows if c.startswith(cls)]
        amount = sum((rows[k][0] for k in kids), ZERO)
        basic = sum((rows[k][1] or ZERO for k in kids), ZERO) if declared.has_basic(cls) else None
        s_amount, s_basic = stated.rows.get(cls, blank)
        name = declared.names[cls]
        amount = _check(findings, declared.class_rule, f"{sheet} {cls}{name}“{declared.amount_header}”", s_amount,
                        amount, [stated.rows.get(k, blank)[0] for k in kids])
        if basic is not None:
            basic = _check(findings, declared.class_rule, f"{sheet} {cls}{name}“{declared.basic_header}”", s_basic,
                           basic, [stated.rows.get(k, blank)[1] for k in kids])
        rows[cls] = (amount, basic)
    totals = {}
    columns = (declared.amount_header, declared.basic_header)[:2 if declared.basic_header else 1]
    for closing in declared.totals:
        codes = declared.total_classes(closing)
        computed = [sum((rows[c][0] for c in codes), ZERO), sum((rows[c][1] or ZERO for c in codes), ZERO)]
        typed = stated.totals[closing.label]
        for i, column in enumerate(columns):
            computed[i] = _check(findings, declared.total_rule, f"{sheet} {closing.label}“{column}”", typed[i],
                                 computed[i], [stated.rows.get(c, blank)[i] for c in codes])
        totals[closing.label] = tuple(computed)
    return EconomicFigures(rows, totals)


def _grouped_row(declared: spec.RowTable, stated: GroupedRow, figures, findings: _Log, wb,
                 fmt: Format) -> dict[str, tuple[Decimal, ...]]:
    result = {}
    for group in declared.groups:
        typed = stated.groups[group]
        v = [s.amount for s in typed]
        for identity in declared.identities:
            target, plus, minus = identity.positions(declared.columns)
            _apply((target, plus, minus), v)
            v[target] = _check(findings, identity.rule, f"{declared.name} {group}“{identity.target}”", typed[target],
                               v[target], [typed[c] for c in plus], minus=[typed[c] for c in minus])
        result[group] = tuple(v)
    return result


# Each kind recomputed with (declaration, typed table, the figures so far, findings, workbook, format).
_KINDS = {spec.LineTable: _line_table, spec.FunctionTable: _function_table, spec.EconomicTable: _economic_table,
          spec.RowTable: _grouped_row}


def recompute(wb: Workbook, fmt: Format) -> Figures:
    """Every table of ``fmt`` recomputed, in :func:`spec.in_order`."""
    findings = _Log(wb, fmt.tolerance)
    figures: dict = {}
    for declared in spec.in_order(fmt.tables):
        figures[declared.key] = _KINDS[type(declared)](declared, wb[declared.key], figures, findings, wb, fmt)
    return Figures({t.key: figures[t.key] for t in fmt.tables}, list(findings), findings.totals)
