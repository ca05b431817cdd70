"""The audit: every relation a correct workbook satisfies, declared as data.

Each :class:`Rule` has a name, a Chinese description and a check over the workbook and
its recomputed figures. :func:`audit` runs them all (nothing stops at the first problem)
and adds the stated-vs-recomputed findings of :mod:`recompute` and :mod:`projects`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import re
from dataclasses import dataclass, replace
from decimal import Decimal

from . import layout
from .findings import ERROR, WARNING, Finding, mismatch
from .model import MISSING, Stated, Text, Workbook
from .money import ZERO, fmt_money, fmt_plain, wan_to_yuan
from .projects import ProjectFigures, project_figures
from .recompute import Figures, recompute


@dataclass(frozen=True)
class Context:
    wb: Workbook
    fig: Figures
    projects: list[ProjectFigures]


@dataclass(frozen=True)
class Rule:
    """A relation a correct workbook satisfies; every finding of ``check`` has ``severity``."""

    name: str
    description: str
    check: Callable[[Context], Iterator[Finding]]
    severity: str = ERROR


def _equal(rule: str, what: str, left: Decimal, right: Decimal, cells, left_label: str,
           label: str) -> Iterator[Finding]:
    """Two figures the tool recomputed that must agree: neither is "填列"."""
    if left != right:
        yield mismatch(rule, what, left, right, cells, stated_label=left_label, computed_label=label)


def _t01_balance(c: Context):
    t = c.wb.t01
    yield from _equal("01收支平衡", "公开01表 收入总计（行31）与支出总计（行62）", c.fig.t01[31], c.fig.t01[62],
                      (t.get(31, MISSING).ref, t.get(62, MISSING).ref), "收入总计", "支出总计")


def _t01_vs_t02_appropriation(c: Context):
    fig = c.fig
    appropriation = fig.t01[1] + fig.t01[2] + fig.t01[3]
    t02_total = fig.t02[0].values[1] if fig.t02 else ZERO
    cells = [c.wb.t01.get(n, MISSING).ref for n in (1, 2, 3)]
    if c.wb.t02.total:
        cells.append(c.wb.t02.total[1].ref)
    yield from _equal("01财政拨款=02财政拨款收入", "公开01表 行1–3财政拨款收入之和与公开02表 合计“财政拨款收入”",
                      appropriation, t02_total, cells, "公开01表为", "公开02表为")


def _t04_balance(c: Context):
    yield from _equal("04收支平衡", "公开04表 收入总计（行32）与总计（行64）", c.fig.t04_income[32],
                      c.fig.t04_expense[64][0],
                      (c.wb.t04_income.get(32, MISSING).ref, c.wb.t04_expense.get(64, (MISSING,))[0].ref),
                      "收入总计", "支出总计")


def _t05_vs_t06(c: Context):
    fig = c.fig
    g = fig.t05[0].values if fig.t05 else (ZERO,) * 3
    total_refs = c.wb.t05.total or (MISSING,) * 3
    t06 = c.wb.t06
    yield from _equal("05基本支出=06经费合计", "公开05表 合计“基本支出”与公开06表 人员经费合计+公用经费合计“基本支出”",
                      g[1], fig.t06_personnel[1] + fig.t06_public[1],
                      (total_refs[1].ref, t06.personnel_total[1].ref, t06.public_total[1].ref),
                      "公开05表按明细为", "公开06表按明细为")
    yield from _equal("05合计=06经费合计", "公开05表 合计“小计”与公开06表 人员经费合计+公用经费合计“金额”",
                      g[0], fig.t06_personnel[0] + fig.t06_public[0],
                      (total_refs[0].ref, t06.personnel_total[0].ref, t06.public_total[0].ref),
                      "公开05表按明细为", "公开06表按明细为")


def _t06_basic_within_amount(c: Context):
    for code, (amount, basic) in c.fig.t06.items():
        if basic is not None and basic > amount:
            stated = c.wb.t06.rows.get(code, (MISSING, MISSING))
            yield mismatch("06基本支出≤金额", f"公开06表 {code}{layout.T06_NAMES[code]}“其中：基本支出”超过“金额”",
                           basic, amount, (stated[1].ref, stated[0].ref), stated_label="基本支出",
                           computed_label="金额")


def _t07_vs_t06(c: Context):
    actual = c.fig.t07_actual
    for column, code in ((1, "30212"), (4, "30231"), (5, "30217")):
        amount = c.fig.t06.get(code, (ZERO, None))[0]
        if actual[column] != amount:
            yield mismatch("07决算与06对应科目", f"公开07表 决算“{layout.T07_COLUMNS[column]}”与公开06表 {code}"
                           f"{layout.T06_NAMES[code]}（07含以前年度结转资金时可不同，请核实）",
                           actual[column], amount,
                           (c.wb.t07.actual[column].ref, c.wb.t06.rows.get(code, (MISSING,))[0].ref),
                           stated_label="公开07表为", computed_label="公开06表为")


def _t10_vs_t06(c: Context):
    fig, t10 = c.fig, c.wb.t10
    yield from _equal("10机关运行经费=06公用经费基本", "公开10表 机关运行经费（行5+行6）与公开06表 公用经费合计“基本支出”",
                      fig.t10.get(5, ZERO) + fig.t10.get(6, ZERO), fig.t06_public[1],
                      (t10.get(5, MISSING).ref, t10.get(6, MISSING).ref, c.wb.t06.public_total[1].ref),
                      "公开10表为", "公开06表按明细为")


def _procurement_subsets(c: Context):
    sme, micro = c.wb.figure("授予中小企业合同金额"), c.wb.figure("授予小微企业合同金额")
    total = c.fig.t10[1]
    if micro.amount > sme.amount:
        yield mismatch("小微企业≤中小企业", "授予小微企业合同金额超过授予中小企业合同金额（小微企业是中小企业的一部分）",
                       micro.amount, sme.amount, (micro.ref, sme.ref), stated_label="小微企业",
                       computed_label="中小企业")
    if sme.amount > total:
        yield mismatch("中小企业≤采购合计", "授予中小企业合同金额超过政府采购支出总额（公开10表行1）",
                       sme.amount, total, (sme.ref, c.wb.t10.get(1, MISSING).ref), stated_label="中小企业",
                       computed_label="采购合计")


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


def _surplus_sign(c: Context):
    for line in _SIGNED_T01:
        stated = c.wb.t01.get(line, MISSING)
        if stated.value is not None and stated.value < 0:
            yield Finding(WARNING, "结余为负请核实", f"{stated.ref}（公开01表 行{line}{layout.T01_LABELS[line]}）"
                          f"为负数 {fmt_money(stated.value)}：只有经营亏损等情况下才为负，请核实", (stated.ref,))


# 01's 结余分配 and 年末结转和结余 go below zero with a 经营 loss; nothing else in the tables does
# (a 自评表's 结（转）余 is negative when more was spent than budgeted, and is recomputed anyway).
_SIGNED_T01 = (59, 60)


def _table_cells(wb: Workbook) -> Iterator[Stated]:
    signed = {wb.t01[n].ref for n in _SIGNED_T01 if n in wb.t01}
    signed |= {fund.balance.ref for project in wb.projects for fund in project.funds}
    for stated in _stated_cells((wb.t01, wb.t02, wb.t03, wb.t04_income, wb.t04_expense, wb.t05, wb.t06,
                                 wb.t07, wb.t08, wb.t09, wb.t10, wb.class_budget, wb.summaries, wb.projects)):
        if stated.ref not in signed:
            yield stated


# Sentences and the prior-year input each one compares against.
_PRIOR_NEEDED = (
    ("上年收入总计", "一、收入支出决算总体情况"), ("上年支出总计", "一、收入支出决算总体情况"),
    ("上年财政拨款收入总计", "四、财政拨款收支决算总体情况"), ("上年财政拨款支出总计", "四、财政拨款收支决算总体情况"),
    ("上年一般公共预算财政拨款支出", "五(一)财政拨款支出决算总体情况"), ("上年“三公”经费合计", "九(一)“三公”经费"),
    ("上年机关运行经费", "十(一)机关运行经费"),
)


def _prior_present(c: Context):
    for label, section in _PRIOR_NEEDED:
        value = c.wb.figure(label)
        if value.value is None:
            yield Finding(WARNING, "上年数已填", f"“{label}”未填写：{section}将不与上年比较（上年确为 0 时请填 0）",
                          (value.ref or "情况说明",))


def _performance_vs_sheets(c: Context):
    count = c.wb.figure("二级项目个数")
    if count.value is None or count.value != len(c.projects):
        return
    for grade in "优良中差":
        stated = c.wb.figure(f"二级项目{grade}")
        actual = Decimal(sum(1 for p in c.projects if p.grade == grade))
        if stated.amount != actual:
            cells = (stated.ref, *(p.project.stated_total.ref for p in c.projects))
            yield mismatch("绩效等级个数=自评表", f"二级项目自评等级为“{grade}”的个数（自评表共 {len(c.projects)} 张）",
                           stated.amount, actual, cells, computed_label="按自评表总分计")


def _current_year_present(c: Context):
    if c.fig.t01[31] or c.fig.t01[62]:
        return
    cells = tuple(ref for ref in (c.wb.t01.get(1, MISSING).ref, c.wb.t01.get(31, MISSING).ref) if ref)
    yield Finding(ERROR, "本年决算数已填", f"工作簿中没有{c.wb.year}年度的决算数：公开01表收入总计、支出总计都是空白或 0。"
                  f"请把{c.wb.year}年度决算数填入公开01–10表（公开01表从行1“一般公共预算财政拨款收入”起）", cells or ("公开01表",))


def _sheets_budget(projects: list[ProjectFigures]) -> tuple[Decimal, Decimal]:
    """Σ 全年预算数 of the 自评表 sheets in 元, and how far it may be off: each sheet's 万元 figure
    is rounded at its last decimal place."""
    total = sum((wan_to_yuan(p.budget) for p in projects), ZERO)
    slack = sum((Decimal(10000) * Decimal("0.5").scaleb(p.budget.as_tuple().exponent) for p in projects), ZERO)
    return total, slack


# 十(四) figures that count the 自评表 sheets and add up their 全年预算数.
_PERFORMANCE_TOTALS = (("二级项目自评个数", "项目自评涉及资金", "（1）预算绩效管理工作开展情况"),
                       ("二级项目个数", "二级项目涉及资金", "（2）项目绩效自评结果"))


def _performance_counts(c: Context):
    sheets = len(c.projects)
    total, slack = _sheets_budget(c.projects)
    for count_label, amount_label, section in _PERFORMANCE_TOTALS:
        count, amount = c.wb.figure(count_label), c.wb.figure(amount_label)
        if count.value is not None and count.value != sheets:
            yield Finding(WARNING, "自评个数=自评表张数",
                          f"十(四){section}“{count_label}”填 {int(count.value)} 个，工作簿中的项目绩效自评表有 {sheets} 张"
                          "（只公开部分项目的自评表时可以不同；否则请改正个数或补齐自评表）", (count.ref,))
        elif amount.value is not None and abs(amount.value - total) > slack:
            yield mismatch("自评涉及资金=自评表预算数", f"十(四){section}“{amount_label}”与 {sheets} 张项目绩效自评表"
                           "“全年预算数”之和", amount.value, total, (amount.ref,), computed_label="自评表合计")


_FUNDS = ("一般公共预算", "政府性基金预算", "国有资本经营预算", "社会保险基金预算")


def _fund_split(c: Context):
    for amount_label, part in (("项目自评涉及资金", "项目自评{}项目支出"), ("整体自评涉及资金", "整体自评{}支出"),
                               ("部门评价涉及资金", "部门评价{}支出")):
        amount = c.wb.figure(amount_label)
        parts = [c.wb.figure(part.format(f)) for f in _FUNDS]
        if amount.value is None:
            continue
        split = sum((p.amount for p in parts), ZERO)
        if split != amount.value:
            yield mismatch("涉及资金=各预算之和", f"“{amount_label}”与其中{'、'.join(_FUNDS)}之和",
                           amount.value, split, (amount.ref, *(p.ref for p in parts)), computed_label="四项之和")


def _summary_amounts(c: Context):
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
                yield mismatch("项目综述元=自评表万元", f"项目综述“{summary.name}”的元金额与自评表的万元金额",
                               stated.value, wan_to_yuan(row_cell.value), (stated.ref, row_cell.ref),
                               computed_label="自评表折合")


def _deviation_explained(c: Context):
    for project in c.wb.projects:
        for ind in project.indicators:
            if ind.score.value is not None and ind.score.amount < ind.weight.amount and not ind.deviation.value:
                yield Finding(ERROR, "扣分须说明原因",
                              f"{project.sheet}（{project.name.value}）指标“{ind.level3}”得分 "
                              f"{fmt_plain(ind.score.value)}，低于分值 {fmt_plain(ind.weight.value)}，"
                              f"但“偏差原因分析及改进措施”未填写：请在 {ind.deviation.ref} 写明扣分的原因和改进措施",
                              (ind.deviation.ref, ind.score.ref))


_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
# What this year is compared with ("较2021年决算", "与2021年相比"): last year. Free texts mention
# other years for good reasons ("做好2021年就业专项资金清算"); a comparison has only one year.
_COMPARISON = re.compile(r"(较|比)\s*((?:19|20)\d{2})\s*年|(与)\s*((?:19|20)\d{2})\s*年[^，。；]{0,8}?相比")


def _heading_years(c: Context):
    year, unit_ref = c.wb.year, c.wb.unit["年度"].ref
    for cell in c.wb.year_cells:
        stated = int(_YEAR.search(cell.value).group(1))
        if stated != year:
            yield Finding(ERROR, "年度一致", f"{cell.ref} 写的是“{cell.value}”，而单位信息的年度是 {year}："
                          f"请改为{year}年度（可能是上年工作簿留下的，表中数字也请一并核对）", (cell.ref, unit_ref))


def _compared_years(c: Context):
    year, unit_ref = c.wb.year, c.wb.unit["年度"].ref
    for label, text in c.wb.inputs.items():
        if not isinstance(text, Text):
            continue
        for match in _COMPARISON.finditer(text.value):
            word, stated = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
            if int(stated) != year - 1:
                yield Finding(ERROR, "比较的是上年", f"“{label}”中“{word}{stated}年”与上年 {year - 1} 不符"
                              f"（单位信息的年度是 {year}）：请改为“{word}{year - 1}年”，并核对所比较的数字",
                              (text.ref, unit_ref))


def _stated_cells(value) -> Iterator[Stated]:
    """Every stated figure held anywhere in the workbook model."""
    if isinstance(value, Stated):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _stated_cells(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _stated_cells(item)
    elif hasattr(value, "__dataclass_fields__"):
        for name in value.__dataclass_fields__:
            yield from _stated_cells(getattr(value, name))


def _uncalculated_formulas(c: Context):
    computed = set(c.fig.total_refs)  # the tool recomputes these, so their value is not needed
    for project in c.wb.projects:
        computed.add(project.stated_total.ref)
        computed.update(cell.ref for fund in project.funds for cell in (fund.balance, fund.rate, fund.score))
    for stated in _stated_cells(c.wb):
        if stated.formula and stated.ref not in computed:
            yield Finding(ERROR, "公式有计算结果", f"{stated.ref} 是公式，但文件里没有保存它的计算结果，无法得知数值"
                          "（请在 Excel 中打开、重算并保存，或直接填入数字）", (stated.ref,))


RULES: tuple[Rule, ...] = (
    Rule("本年决算数已填", "工作簿有本年决算数（公开01表收入总计、支出总计不都为空白或 0）", _current_year_present),
    Rule("公式有计算结果", "非合计单元格的公式都保存了计算结果（合计由工具重算，不受影响）", _uncalculated_formulas),
    Rule("年度一致", "各表、自评表标题的年度与单位信息的年度一致", _heading_years),
    Rule("比较的是上年", "情况说明文字中“较××年”“比××年”的年份是上年", _compared_years),
    Rule("01收支平衡", "公开01表 收入总计 = 支出总计", _t01_balance),
    Rule("01财政拨款=02财政拨款收入", "公开01表 行1–3 之和 = 公开02表 合计的财政拨款收入", _t01_vs_t02_appropriation),
    Rule("04收支平衡", "公开04表 收入总计 = 总计", _t04_balance),
    Rule("05与06", "公开05表 合计（小计、基本支出）= 公开06表 人员经费合计 + 公用经费合计", _t05_vs_t06),
    Rule("06基本支出≤金额", "公开06表 每行“其中：基本支出”不超过“金额”", _t06_basic_within_amount),
    Rule("07决算与06对应科目", "公开07表 决算的出国、运行维护、接待 = 公开06表 30212/30231/30217", _t07_vs_t06,
         WARNING),
    Rule("10机关运行经费=06公用经费基本", "公开10表 机关运行经费 = 公开06表 公用经费合计的基本支出", _t10_vs_t06),
    Rule("政府采购子项", "小微企业 ≤ 中小企业 ≤ 政府采购合计", _procurement_subsets),
    Rule("金额不为负", "各表、自评表和情况说明中的金额、个数不为负", _no_negative),
    Rule("结余为负请核实", "公开01表 结余分配、年末结转和结余为负时请核实", _surplus_sign, WARNING),
    Rule("上年数已填", "情况说明引用的上年数都已填写", _prior_present, WARNING),
    Rule("项目综述元=自评表万元", "项目综述中的元金额与自评表的万元金额一致（按万元的精度）", _summary_amounts),
    Rule("扣分须说明原因", "自评表中得分低于分值的指标都填写了“偏差原因分析及改进措施”", _deviation_explained),
    Rule("自评个数=自评表张数", "十(四) 二级项目个数、涉及资金与项目绩效自评表的张数、全年预算数之和一致"
         "（只公开部分自评表时可不同）", _performance_counts, WARNING),
    Rule("涉及资金=各预算之和", "十(四) 各涉及资金 = 其中一般公共预算、政府性基金预算、国有资本经营预算、社会保险基金预算之和",
         _fund_split),
    Rule("绩效等级个数=自评表", "二级项目按等级的个数与自评表一致（个数等于自评表张数时）", _performance_vs_sheets),
)


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


def audit(wb: Workbook) -> AuditResult:
    """Recompute the workbook and run every rule; returns figures and all findings."""
    fig = recompute(wb)
    findings = list(fig.findings)
    projects = []
    for project in wb.projects:
        pf, project_findings = project_figures(project)
        projects.append(pf)
        findings += project_findings
    context = Context(wb, fig, projects)
    for rule in RULES:
        findings += (replace(f, severity=rule.severity) for f in rule.check(context))
    return AuditResult(fig, projects, findings)
