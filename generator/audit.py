"""The audit: every relation a correct workbook satisfies, each a declared :class:`Rule`.

The rules of any format are the engine's own (below: formulas, years, signs, the 自评表 sheets)
plus the format's: the identities its tables declare (checked as :mod:`recompute` recomputes
them) and its cross-table checks. :func:`audit` runs them all; nothing stops at the first problem.
"""

from __future__ import annotations

from collections.abc import Iterator
import re
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache

from . import spec
from .causes import attribute
from .findings import ERROR, WARNING, Finding, mismatch
from .model import FunctionRows, Lines, Stated, Text, Workbook, stated_cells
from .money import fmt_money, fmt_plain, wan_to_yuan
from .projects import ProjectFigures, project_figures, rule_names
from .recompute import Figures, recompute
from .spec import Format, ListSheet, ProjectSheets, Rule


@dataclass(frozen=True)
class Context:
    """What a rule's check is given: the workbook, its recomputed figures and 自评表, its format."""

    wb: Workbook
    fig: Figures
    projects: list[ProjectFigures]
    fmt: Format


def equal(rule: str, what: str, left: Decimal, right: Decimal, cells, left_label: str,
          label: str) -> Iterator[Finding]:
    """Two figures the tool recomputed that must agree: neither is "填列"."""
    if left != right:
        yield mismatch(rule, what, left, right, cells, stated_label=left_label, computed_label=label)


def _no_negative(c: Context):
    inputs = {value.ref for value in c.wb.inputs.values() if isinstance(value, Stated)}
    for label, value in c.wb.inputs.items():
        if isinstance(value, Stated) and value.value is not None and value.value < 0:
            yield Finding(ERROR, "金额不为负", f"“{label}”为负数 {fmt_money(value.value)}，此处不能为负",
                          (value.ref,))
    for stated in _table_cells(c.wb):
        if stated.value is not None and stated.value < 0 and stated.ref not in inputs:
            yield Finding(ERROR, "金额不为负", f"{stated.ref} 为负数 {fmt_money(stated.value)}，此处不能为负"
                          "（请核对是否多输了负号或录错了栏）", (stated.ref,))


def _signed(wb: Workbook) -> Iterator[tuple[spec.LineTable, spec.Row, Stated]]:
    """The typed figures of rows declared ``signed`` (01's 结余 go below zero with a 经营 loss)."""
    for table in wb.tables.values():
        if isinstance(table, Lines):
            for row in table.spec.rows:
                if row.signed:
                    for cell in table.cells.get(row.line, ()):
                        yield table.spec, row, cell


def _missing_rows(c: Context):
    """One warning for every row of the format the workbook's tables lack, read as blank."""
    gaps = [(table.spec, table.spec.at(line)) for table in c.wb.tables.values() if isinstance(table, Lines)
            for line in table.missing]
    if gaps:
        rows = "、".join(f"{table.name} 行次 {row.line}“{row.label}”" for table, row in gaps[:_SHOWN_ROWS])
        more = f"等 {len(gaps)} 行" if len(gaps) > _SHOWN_ROWS else ""
        yield Finding(WARNING, "缺行按空白", f"工作簿中没有{rows}{more}（可能是报告格式增加这些行之前做的工作簿），"
                      "这些行按空白计算；请在表中补上这些行并填数（disclose init 生成的空白工作簿里有这些行）",
                      tuple(dict.fromkeys(table.name for table, _ in gaps)))


_SHOWN_ROWS = 5


def _surplus_sign(c: Context):
    for table, row, stated in _signed(c.wb):
        if stated.value is not None and stated.value < 0:
            yield Finding(WARNING, "结余为负请核实", f"{stated.ref}（{table.name} 行{row.line}{row.label}）"
                          f"为负数 {fmt_money(stated.value)}：只有经营亏损等情况下才为负，请核实", (stated.ref,))


def _table_cells(wb: Workbook) -> Iterator[Stated]:
    # A 自评表's 结（转）余 is negative when more was spent than budgeted (and is recomputed anyway).
    signed = {cell.ref for _, _, cell in _signed(wb)}
    signed |= {fund.balance.ref for project in wb.projects for fund in project.funds}
    for stated in stated_cells((wb.tables, wb.class_budget, wb.summaries, wb.projects)):
        if stated.ref not in signed:
            yield stated


def _summary_rule(summaries: ListSheet, projects: ProjectSheets) -> str:
    return f"{summaries.sheet}元={projects.called}万元"


def _summary_amounts(c: Context):
    summaries, projects = c.fmt.sheets.summaries, c.fmt.sheets.projects
    by_name = {p.name: p for p in c.projects}
    for summary in c.wb.summaries:
        project = by_name.get(summary.name)
        if project is None:
            continue
        for stated, row_cell in ((summary.budget, project.project.funds[0].budget),
                                 (summary.spent, project.project.funds[0].spent)):
            if stated.value is None or row_cell.value is None:
                continue
            # The sheet's 万元 figure is rounded at its last decimal place.
            tolerance = Decimal(10000) * Decimal("0.5").scaleb(row_cell.value.as_tuple().exponent)
            if abs(stated.value - wan_to_yuan(row_cell.value)) > tolerance:
                yield mismatch(_summary_rule(summaries, projects),
                               f"{summaries.sheet}“{summary.name}”的元金额与{projects.called}的万元金额",
                               stated.value, wan_to_yuan(row_cell.value), (stated.ref, row_cell.ref),
                               computed_label=f"{projects.called}折合")


def _deviation_explained(c: Context):
    columns = c.fmt.sheets.projects.indicator_columns
    for project in c.wb.projects:
        for ind in project.indicators:
            if ind.score.value is not None and ind.score.amount < ind.weight.amount and not ind.deviation.value:
                yield Finding(ERROR, "扣分须说明原因",
                              f"{project.sheet}（{project.name.value}）指标“{ind.level3}”{columns['score']} "
                              f"{fmt_plain(ind.score.value)}，低于{columns['weight']} {fmt_plain(ind.weight.value)}，"
                              f"但“{columns['deviation']}”未填写：请在 {ind.deviation.ref} 写明扣分的原因和改进措施",
                              (ind.deviation.ref, ind.score.ref))


_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
# What this year is compared with ("较2021年决算", "与2021年相比"): last year. Free texts mention
# other years for good reasons ("做好2021年就业专项资金清算"); a comparison has only one year.
_COMPARISON = re.compile(r"(较|比)\s*((?:19|20)\d{2})\s*年|(与)\s*((?:19|20)\d{2})\s*年[^，。；]{0,8}?相比")


def _unit_year(c: Context) -> str:
    """How the clerk finds the year: 单位信息的年度."""
    return f"{c.fmt.sheets.unit.sheet}的{c.fmt.sheets.unit.year}"


def _heading_years(c: Context):
    year, unit_ref = c.wb.year, c.wb.unit_year.ref
    for cell in c.wb.year_cells:
        stated = int(_YEAR.search(cell.value).group(1))
        if stated != year:
            yield Finding(ERROR, "年度一致", f"{cell.ref} 写的是“{cell.value}”，而{_unit_year(c)}是 {year}："
                          f"请改为{year}年度（可能是上年工作簿留下的，表中数字也请一并核对）", (cell.ref, unit_ref))


def _compared_years(c: Context):
    year, unit_ref = c.wb.year, c.wb.unit_year.ref
    for label, text in c.wb.inputs.items():
        if not isinstance(text, Text):
            continue
        for match in _COMPARISON.finditer(text.value):
            word, stated = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
            if int(stated) != year - 1:
                yield Finding(ERROR, "比较的是上年", f"“{label}”中“{word}{stated}年”与上年 {year - 1} 不符"
                              f"（{_unit_year(c)}是 {year}）：请改为“{word}{year - 1}年”，并核对所比较的数字",
                              (text.ref, unit_ref))


def _uncalculated_formulas(c: Context):
    computed = set(c.fig.total_refs)  # the tool recomputes these, so their value is not needed
    for project in c.wb.projects:
        computed.add(project.stated_total.ref)
        computed.update(cell.ref for fund in project.funds for cell in (fund.balance, fund.rate, fund.score))
    for stated in stated_cells(c.wb):
        if stated.formula and stated.ref not in computed:
            yield Finding(ERROR, "公式有计算结果", f"{stated.ref} 是公式，但文件里没有保存它的计算结果，无法得知数值"
                          "（请在 Excel 中打开、重算并保存，或直接填入数字）", (stated.ref,))


def _cell_names(c: Context) -> dict[str, tuple[str, bool]]:
    """What each cell of the model holds, as a clerk names it, and whether it is empty."""
    names: dict[str, tuple[str, bool]] = {}
    for key, table in c.wb.tables.items():
        if isinstance(table, FunctionRows):
            columns = c.fmt.table(key).columns
            for row in table.rows:
                names[row.name_ref] = (f"科目 {row.code} 的科目名称", not row.name)
                for column, stated in zip(columns, row.values):
                    names[stated.ref] = (f"科目 {row.code}“{column}”", stated.value is None)
    for label, value in c.wb.inputs.items():
        names[value.ref] = (f"“{label}”", not value.value if isinstance(value, Text) else value.value is None)
    for stated in stated_cells(c.wb):
        names.setdefault(stated.ref, ("金额", stated.value is None))
    return names


def _merged(c: Context):
    lost: dict[str, list[str]] = {}
    for ref, (name, empty) in _cell_names(c).items():
        if empty and ref in c.wb.merged:
            lost.setdefault(c.wb.merged[ref], []).append(ref)
    for merge, refs in lost.items():
        sheet, cells = merge.split("!")
        names = _cell_names(c)
        what = "、".join(f"{ref.split('!')[1]}（{names[ref][0]}）" for ref in refs)
        yield Finding(ERROR, "合并单元格", f"{merge} 是合并单元格：合并后只保留左上角 {cells.split(':')[0]} 的内容，"
                      f"{what}成了空白。请取消合并（选中后再点一次“合并后居中”），把每一格的内容填回", tuple(refs))


def _function_names(c: Context):
    for table in c.wb.tables.values():
        if isinstance(table, FunctionRows):
            for row in table.rows:
                if not row.name and row.name_ref not in c.wb.merged:
                    yield Finding(ERROR, "科目名称已填", f"{row.name_ref}：科目 {row.code} 没有填科目名称，"
                                  "报告中这一行会没有名称；请照决算软件导出的表填上", (row.name_ref,))


def _shares_within_whole(c: Context):
    for label in sorted(c.fmt.sheets.inputs.percent):
        value = c.wb.figure(label)
        if value.value is not None and value.value > 100:
            yield Finding(ERROR, "比例不超过100%", f"“{label}”填 {fmt_plain(value.value)}%，超过 100%：占比不会超过全部"
                          "（单元格设为百分比格式时，100% 应填 1），请核对", (value.ref,))


def _general_rules(fmt: Format) -> tuple[Rule, ...]:
    """The engine's rules of every workbook, in the words of ``fmt``'s sheets."""
    sheets = fmt.sheets
    unit, inputs = sheets.unit, sheets.inputs.sheet
    annexes = f"、{sheets.projects.called}" if sheets.projects else ""
    signed = [(t.name, [r.label for r in t.rows if r.signed]) for t in fmt.tables if isinstance(t, spec.LineTable)]
    examples = "；".join(f"{name} {'、'.join(labels)}" for name, labels in signed if labels)
    return (
        Rule("公式有计算结果", "公式没有保存计算结果", "非合计单元格的公式都保存了计算结果（合计由工具重算，不受影响）",
             _uncalculated_formulas),
        Rule("合并单元格", "合并单元格丢了内容", "表中填数、填名称的单元格没有被合并（合并只保留左上角一格的内容）", _merged),
        Rule("科目名称已填", "科目名称未填", "功能分类表每个科目编码都有科目名称", _function_names),
        Rule("年度一致", f"年度与{unit.sheet}不一致",
             f"各表{annexes}标题的年度与{unit.sheet}的{unit.year}一致", _heading_years),
        Rule("比较的是上年", "比较的年份不是上年", f"{inputs}文字中“较××年”“比××年”的年份是上年", _compared_years),
        Rule("金额不为负", "金额为负数", f"各表{annexes}和{inputs}中的金额、个数不为负", _no_negative),
        Rule("比例不超过100%", "比例超过 100%", f"{inputs}中填写的占比不超过 100%", _shares_within_whole),
        Rule("结余为负请核实", "结余为负数（请核实）",
             f"可为负的行{f'（如{examples}）' if examples else ''}为负时请核实", _surplus_sign, WARNING),
        Rule("缺行按空白", "工作簿缺少表中的行（按空白计算）", "格式中表的每一行都在工作簿中（缺的行按空白计算，例如报告格式更新之前做的工作簿）",
             _missing_rows, WARNING),
    )


def _project_rules(fmt: Format) -> tuple[Rule, ...]:
    """The rules of the 自评表 sheets, where the format has them: their columns are checked as they
    are recomputed (projects.py), in the words and with the grades the format declares."""
    declared, summaries = fmt.sheets.projects, fmt.sheets.summaries
    if declared is None:
        return ()
    called, total, names = declared.called, declared.total, rule_names(declared)
    funds, indicators = declared.fund_columns, declared.indicator_columns
    balance, rate, score, budget, spent = (funds[k] for k in ("balance", "rate", "score", "budget", "spent"))
    weight = f"{declared.rate_weight}"
    scale = "、".join(f"{g.floor} 以上{g.name}" if g.floor is not None else f"其余{g.name}" for g in declared.grades)
    together = ()
    if summaries is not None:
        together = (Rule(_summary_rule(summaries, declared), f"{summaries.sheet}的元金额与{called}不一致",
                         f"{summaries.sheet}中的元金额与{called}的万元金额一致（按万元的精度）", _summary_amounts),)
    return (
        *together,
        Rule("扣分须说明原因", "扣分的指标没有写原因",
             f"{called}中{indicators['score']}低于{indicators['weight']}的指标都填写了“{indicators['deviation']}”",
             _deviation_explained),
        Rule(names["balance"], f"{called}的{balance}算得不对", f"{called} {balance} = {budget} − {spent}"),
        Rule(names["rate"], f"{called}的{rate}算得不对", f"{called} {rate} = {spent} ÷ {budget}"),
        Rule(names["score"], f"{called}的{rate}{score}算得不对",
             f"{called} {rate}{score} = {weight} × {rate}（最多 {weight} 分）"),
        Rule(names["total"], f"{called}的{total}算得不对", f"{called} {total} = {rate}{score} + 各指标{score}",
             is_sum=True),
        Rule(names["grade"], f"{called}的等级与{total}不符", f"{called} 等级按{total}：{scale}"),
        Rule(names["indicator"], f"{called}指标{indicators['score']}超过{indicators['weight']}",
             f"{called} 每个指标的{indicators['score']}不超过{indicators['weight']}"),
    )


# The function tables' identities, named by the engine (recompute.py), and the blank rows.
_TABLE_RULES: tuple[Rule, ...] = (
    Rule("类=Σ下级", "类不等于其下各款之和", "功能分类表 每个类 = 其下各款之和", is_sum=True),
    Rule("款=Σ下级", "款不等于其下各项之和", "功能分类表 每个款 = 其下各项之和", is_sum=True),
    Rule("合计=Σ类", "合计不等于各类之和", "功能分类表 合计 = 各类之和", is_sum=True),
    Rule("空行不填数", "不该填数的空行填了数", "表中留作空行的行次（及不列基本支出的类的“其中：基本支出”）不填数"),
    # Formula totals, checked as they are recomputed (recompute.py).
    Rule("合计公式包括各行", "合计公式没有包括所有行", "工作簿里的合计公式包括了它所合计的每一行（报告用按明细重算的数）",
         severity=WARNING),
    Rule("数字不存为文本", "数字存成了文本", "被合计的数字是数值，不是文本（Excel 的合计不算文本）", severity=WARNING),
)


def function_rules(table: spec.FunctionTable) -> tuple[Rule, ...]:
    """A function table's 行内关系 rule (its columns that are sums of others), named after its sheet."""
    if not table.identities:
        return ()
    relation = "；".join(f"{s.target} = {' + '.join(s.plus)}{''.join(' − ' + m for m in s.minus)}" for s in table.identities)
    return (Rule(table.row_rule, "同一行的各栏对不上", f"{table.name} 每行 {relation}", is_sum=True),)


@lru_cache(maxsize=None)
def rules(fmt: Format) -> tuple[Rule, ...]:
    """Every rule ``fmt`` is audited by: the engine's own (of every workbook, of the 自评表 sheets, of
    the tables' kinds and each function table's 行内关系), the identities its tables declare and its
    checks."""
    functions = tuple(r for t in fmt.tables if isinstance(t, spec.FunctionTable) for r in function_rules(t))
    return (*_general_rules(fmt), *_project_rules(fmt), *_TABLE_RULES, *functions, *fmt.identities, *fmt.checks)


def rule(fmt: Format, name: str) -> Rule | None:
    return next((r for r in rules(fmt) if r.name == name), None)


@dataclass
class AuditResult:
    figures: Figures
    projects: list[ProjectFigures]
    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]


def audit(wb: Workbook, fmt: Format) -> AuditResult:
    """Recompute the workbook as ``fmt`` declares it and run every rule of ``fmt``; returns the
    figures and all findings, each group of findings that one typed cell explains marked with
    that cell (:mod:`causes`)."""
    result = _audit(wb, fmt)
    result.findings = attribute(result.findings, wb, result.figures.total_refs,
                                lambda changed: _audit(changed, fmt).findings)
    return result


def _audit(wb: Workbook, fmt: Format) -> AuditResult:
    fig = recompute(wb, fmt)
    findings = list(fig.findings)
    projects = []
    for project in wb.projects:
        pf, project_findings = project_figures(project, fmt.sheets.projects)
        projects.append(pf)
        findings += project_findings
    context = Context(wb, fig, projects, fmt)
    for declared in rules(fmt):
        if declared.check is not None:
            findings += (replace(f, severity=declared.severity) for f in declared.check(context))
    return AuditResult(fig, projects, findings)
