"""Recompute every subtotal and total from the leaf rows.

The figures printed in the report are these recomputed ones. Each stated total that
differs from its recomputation becomes a :class:`Finding` naming the stated cell and the
cells it should add up from.

Where one figure appears in two tables, the more detailed table is the source: 01's
收入 rows 4–8 come from 02, its 支出 类 from 03; 04's 支出 columns from 05, 08 and 09;
04's 收入 rows 1–3 from 01.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from . import layout
from .findings import ERROR, Finding, mismatch
from .model import MISSING, FunctionTable, Stated, Workbook
from .money import fmt_money

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


@dataclass
class Figures:
    """The report's tables as printed: every total recomputed."""

    t01: dict[int, Decimal]
    t02: list[Line]
    t03: list[Line]
    t04_income: dict[int, Decimal]
    t04_expense: dict[int, tuple[Decimal, ...]]
    t05: list[Line]
    t06: dict[str, tuple[Decimal, Decimal | None]]
    t06_personnel: tuple[Decimal, Decimal]
    t06_public: tuple[Decimal, Decimal]
    t07_budget: tuple[Decimal, ...]
    t07_actual: tuple[Decimal, ...]
    t08: list[Line]
    t09: list[Line]
    t10: dict[int, Decimal]
    findings: list[Finding] = field(default_factory=list)
    total_refs: set[str] = field(default_factory=set)  # stated totals, replaced by recomputation

    @staticmethod
    def class_totals(lines: list[Line], column: int) -> dict[str, Decimal]:
        return {line.code: line.values[column] for line in lines if line.level == "类"}


class _Log(list):
    """The findings so far, and the cells checked as totals (recomputed, so never read)."""

    def __init__(self):
        super().__init__()
        self.totals: set[str] = set()


def _check(findings: _Log, rule: str, what: str, stated: Stated, computed: Decimal,
           parts: Sequence[str] = ()) -> None:
    findings.totals.add(stated.ref)
    if stated.formula:
        return  # a total typed as a formula and never calculated: the recomputation stands
    if stated.amount != computed:
        findings.append(mismatch(rule, what, stated.amount, computed, (stated.ref, *parts)))


# Row identities of the function tables: (target column, columns added, columns subtracted).
_IDENTITIES: dict[str, tuple[tuple[int, tuple[int, ...], tuple[int, ...]], ...]] = {
    "02": ((0, (1, 2, 3, 4, 5, 6), ()),),
    "03": ((0, (1, 2, 3, 4, 5), ()),),
    "05": ((0, (1, 2), ()),),
    "08": ((2, (3, 4), ()), (5, (0, 1), (2,))),
    "09": ((0, (1, 2), ()),),
}


def _function_table(table: FunctionTable, findings: _Log) -> list[Line]:
    columns = layout.FUNCTION_COLUMNS[table.key]
    sheet = f"公开{table.key}表"
    identities = _IDENTITIES[table.key]
    derived = {target for target, _, _ in identities}
    children: dict[str, list] = {}
    for row in table.rows:
        parent = layout.function_parent(row.code)
        if parent:
            children.setdefault(parent, []).append(row)

    computed: dict[str, tuple[Decimal, ...]] = {}

    def value(row) -> tuple[Decimal, ...]:
        if row.code in computed:
            return computed[row.code]
        kids = children.get(row.code)
        if kids:
            sums = [sum((value(k)[i] for k in kids), ZERO) for i in range(len(columns))]
        else:
            sums = [v.amount for v in row.values]
        for target, plus, minus in identities:
            sums[target] = sum((sums[i] for i in plus), ZERO) - sum((sums[i] for i in minus), ZERO)
        computed[row.code] = tuple(sums)
        for i, stated in enumerate(row.values):
            if kids and i not in derived:
                parts = [k.values[i].ref for k in kids]
                _check(findings, f"{LEVELS[len(row.code)]}=Σ下级", f"{sheet} {row.code}{row.name}“{columns[i]}”",
                       stated, sums[i], parts)
            elif i in derived:
                target = next(t for t in identities if t[0] == i)
                parts = [row.values[j].ref for j in (*target[1], *target[2])]
                parts += [k.values[i].ref for k in kids or ()]  # the figures it also totals
                _check(findings, f"{sheet}行内关系", f"{sheet} {row.code}{row.name}“{columns[i]}”",
                       stated, sums[i], parts)
        return computed[row.code]

    lines = [Line(row.code, row.name, value(row)) for row in table.rows]
    classes = [line for line in lines if line.level == "类"]
    total = tuple(sum((c.values[i] for c in classes), ZERO) for i in range(len(columns)))
    if table.total is not None:
        class_rows = [r for r in table.rows if len(r.code) == 3]
        for i, stated in enumerate(table.total):
            _check(findings, "合计=Σ类", f"{sheet} 合计“{columns[i]}”", stated, total[i],
                   [r.values[i].ref for r in class_rows])
    if not lines and (table.total is None or not any(v.value for v in table.total)):
        return []
    return [Line("", "合计", total), *lines]


def _sum_rows(values: dict[int, Decimal], rows) -> Decimal:
    return sum((values.get(r, ZERO) for r in rows), ZERO)


# Rows the template leaves blank (行次 kept only for numbering): a figure there is lost.
_BLANK_ROWS = (
    ("公开01表", "t01", frozenset(range(9, 27))),
    ("公开04表", "t04_income", frozenset(range(4, 27))),
    ("公开04表", "t04_expense", frozenset((61, 62, 63))),
    ("公开10表", "t10", frozenset((16,))),
)


def _blank_rows(wb: Workbook, findings: _Log) -> None:
    for sheet, attr, rows in _BLANK_ROWS:
        for line, value in getattr(wb, attr).items():
            cells = value if isinstance(value, tuple) else (value,)
            for cell in cells:
                if line in rows and cell.amount:
                    findings.append(Finding(ERROR, "空行不填数", f"{sheet} 行{line}是空行，不应填数"
                                            f"（填了 {fmt_money(cell.amount)}，报告中不会出现）", (cell.ref,)))
    for code, (_, basic) in wb.t06.rows.items():
        if layout.t06_no_basic(code) and basic.amount:
            findings.append(Finding(ERROR, "空行不填数", f"公开06表 {code}的“其中：基本支出”应为——"
                                    f"（资本性支出没有基本支出），填了 {fmt_money(basic.amount)}", (basic.ref,)))


def recompute(wb: Workbook) -> Figures:
    findings = _Log()
    _blank_rows(wb, findings)
    t02 = _function_table(wb.t02, findings)
    t03 = _function_table(wb.t03, findings)
    t05 = _function_table(wb.t05, findings)
    t08 = _function_table(wb.t08, findings)
    t09 = _function_table(wb.t09, findings)
    t01 = _t01(wb, t02, t03, findings)
    t04_income, t04_expense = _t04(wb, t01, t05, t08, t09, findings)
    t06, personnel, public = _t06(wb, findings)
    budget, actual = _t07(wb, findings)
    t10 = _t10(wb, findings)
    return Figures(t01, t02, t03, t04_income, t04_expense, t05, t06, personnel, public,
                   budget, actual, t08, t09, t10, list(findings), findings.totals)


def _t01(wb: Workbook, t02: list[Line], t03: list[Line], findings: _Log) -> dict[int, Decimal]:
    stated = wb.t01
    ref = {n: s.ref for n, s in stated.items()}
    values = {n: s.amount for n, s in stated.items() if n in (1, 2, 3, 28, 29, 30, 59, 60, 61)}
    income_total = t02[0].values if t02 else (ZERO,) * 7
    t02_ref = {i: wb.t02.total[i].ref for i in range(7)} if wb.t02.total else {}
    for row, column in zip(range(4, 9), range(2, 7)):
        values[row] = income_total[column]
        _check(findings, "01收入=02合计", f"公开01表 行{row}{layout.T01_INCOME[row]}",
               stated.get(row, MISSING), values[row], [t02_ref.get(column, "")])
    by_class = Figures.class_totals(t03, 0)
    t03_refs = {r.code: r.values[0].ref for r in wb.t03.rows}
    for i, (code, name) in enumerate(layout.EXPENSE_CLASSES):
        row = layout.T01_EXPENSE_FIRST + i
        values[row] = by_class.get(code, ZERO)
        _check(findings, "01支出类=03类", f"公开01表 行{row}{name}", stated.get(row, MISSING),
               values[row], [t03_refs.get(code, "")])
    values[27] = _sum_rows(values, range(1, 9))
    values[31] = _sum_rows(values, (27, 28, 29, 30))
    values[58] = _sum_rows(values, range(32, 58))
    values[62] = _sum_rows(values, (58, 59, 60, 61))
    for row, parts, label in ((27, range(1, 9), "本年收入合计"), (31, (27, 28, 29, 30), "收入总计"),
                              (58, range(32, 58), "本年支出合计"), (62, (58, 59, 60, 61), "支出总计")):
        _check(findings, "01合计行", f"公开01表 行{row}{label}", stated.get(row, MISSING),
               values[row], [ref.get(p, "") for p in parts])
    return values


def _t04(wb, t01, t05, t08, t09, findings):
    income_stated = wb.t04_income
    income = {n: income_stated[n].amount for n in (29, 30, 31) if n in income_stated}
    for n in (1, 2, 3):
        income[n] = t01.get(n, ZERO)
        _check(findings, "04收入=01收入", f"公开04表 行{n}{layout.T04_INCOME[n]}",
               income_stated.get(n, MISSING), income[n], [wb.t01.get(n, MISSING).ref])
    income[27] = _sum_rows(income, (1, 2, 3))
    income[28] = _sum_rows(income, (29, 30, 31))
    income[32] = _sum_rows(income, (27, 28))
    for row, parts in ((27, (1, 2, 3)), (28, (29, 30, 31)), (32, (27, 28))):
        _check(findings, "04合计行", f"公开04表 行{row}{layout.T04_INCOME[row]}",
               income_stated.get(row, MISSING), income[row],
               [income_stated[p].ref for p in parts if p in income_stated])

    sources = (
        (Figures.class_totals(t05, 0), {r.code: r.values[0].ref for r in wb.t05.rows}, "05"),
        (Figures.class_totals(t08, 2), {r.code: r.values[2].ref for r in wb.t08.rows}, "08"),
        (Figures.class_totals(t09, 0), {r.code: r.values[0].ref for r in wb.t09.rows}, "09"),
    )
    headers = layout.T04_COLUMNS
    expense: dict[int, tuple[Decimal, ...]] = {}
    blank = (MISSING,) * 4
    for i, (code, name) in enumerate(layout.EXPENSE_CLASSES):
        row = layout.T04_EXPENSE_FIRST + i
        funds = [totals.get(code, ZERO) for totals, _, _ in sources]
        expense[row] = (sum(funds, ZERO), *funds)
        stated = wb.t04_expense.get(row, blank)
        for col, (totals_refs, key) in enumerate(((s[1], s[2]) for s in sources), start=1):
            _check(findings, f"04类={key}类", f"公开04表 行{row}{name}“{headers[col]}”", stated[col],
                   expense[row][col], [totals_refs.get(code, "")])
        _check(findings, "04合计=三项之和", f"公开04表 行{row}{name}“合计”", stated[0], expense[row][0],
               [s.ref for s in stated[1:]])
    class_rows = range(layout.T04_EXPENSE_FIRST, layout.T04_EXPENSE_FIRST + 26)
    expense[59] = tuple(sum((expense[r][c] for r in class_rows), ZERO) for c in range(4))
    end_stated = wb.t04_expense.get(60, blank)
    end = [s.amount for s in end_stated]
    end[0] = sum(end[1:], ZERO)
    expense[60] = tuple(end)
    expense[64] = tuple(expense[59][c] + expense[60][c] for c in range(4))
    for row, label, parts in ((59, "本年支出合计", class_rows), (60, "年末财政拨款结转和结余", ()),
                              (64, "总计", (59, 60))):
        stated = wb.t04_expense.get(row, blank)
        for col in range(4):
            if row == 60 and col > 0:
                continue
            cells = ([wb.t04_expense.get(p, blank)[col].ref for p in parts] if parts
                     else [s.ref for s in end_stated[1:]])
            _check(findings, "04合计行", f"公开04表 行{row}{label}“{headers[col]}”", stated[col],
                   expense[row][col], cells)
    return income, expense


def _t06(wb: Workbook, findings: _Log):
    rows: dict[str, tuple[Decimal, Decimal | None]] = {}
    stated = wb.t06.rows
    blank = (MISSING, MISSING)
    for block in layout.T06_BLOCKS:
        for code, _ in block:
            if len(code) == 5:
                amount, basic = stated.get(code, blank)
                rows[code] = (amount.amount, None if layout.t06_no_basic(code) else basic.amount)
    classes = sorted({code for code in layout.T06_NAMES if len(code) == 3})
    for cls in classes:
        kids = [c for c in rows if c.startswith(cls)]
        amount = sum((rows[k][0] for k in kids), ZERO)
        basic = None if cls in layout.T06_NO_BASIC_CLASSES else sum((rows[k][1] or ZERO for k in kids), ZERO)
        rows[cls] = (amount, basic)
        s_amount, s_basic = stated.get(cls, blank)
        name = layout.T06_NAMES[cls]
        _check(findings, "06类=Σ款", f"公开06表 {cls}{name}“金额”", s_amount, amount,
               [stated.get(k, blank)[0].ref for k in kids])
        if basic is not None:
            _check(findings, "06类=Σ款", f"公开06表 {cls}{name}“其中：基本支出”", s_basic, basic,
                   [stated.get(k, blank)[1].ref for k in kids])

    def total(codes) -> tuple[Decimal, Decimal]:
        return (sum((rows[c][0] for c in codes), ZERO), sum((rows[c][1] or ZERO for c in codes), ZERO))

    personnel_codes = layout.T06_PERSONNEL_CLASSES
    public_codes = [c for c in classes if c not in personnel_codes]
    personnel, public = total(personnel_codes), total(public_codes)
    for label, stated_pair, computed, codes in (("人员经费合计", wb.t06.personnel_total, personnel, personnel_codes),
                                                ("公用经费合计", wb.t06.public_total, public, public_codes)):
        for i, column in enumerate(("金额", "基本支出")):
            _check(findings, "06经费合计", f"公开06表 {label}“{column}”", stated_pair[i], computed[i],
                   [stated.get(c, blank)[i].ref for c in codes])
    return rows, personnel, public


def _t07(wb: Workbook, findings: _Log):
    result = []
    for label, stated in (("预算数", wb.t07.budget), ("决算数", wb.t07.actual)):
        v = [s.amount for s in stated]
        v[2] = v[3] + v[4]
        v[0] = v[1] + v[2] + v[5]
        _check(findings, "07小计=购置+运行", f"公开07表 {label}“小计”", stated[2], v[2],
               [stated[3].ref, stated[4].ref])
        _check(findings, "07合计=三项之和", f"公开07表 {label}“合计”", stated[0], v[0],
               [stated[1].ref, stated[2].ref, stated[5].ref])
        result.append(tuple(v))
    return result[0], result[1]


def _t10(wb: Workbook, findings: _Log) -> dict[int, Decimal]:
    stated = wb.t10
    values = {n: s.amount for n, s in stated.items()}
    values[1] = _sum_rows(values, (2, 3, 4))
    values[7] = _sum_rows(values, layout.T10_VEHICLE_KINDS)
    _check(findings, "10采购合计", "公开10表 行1政府采购合计", stated.get(1, MISSING), values[1],
           [stated[n].ref for n in (2, 3, 4) if n in stated])
    _check(findings, "10车辆合计", "公开10表 行7车辆数合计", stated.get(7, MISSING), values[7],
           [stated[n].ref for n in layout.T10_VEHICLE_KINDS if n in stated])
    return values
