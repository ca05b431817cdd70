"""The figures of 第三部分 情况说明, computed from the recomputed tables and the inputs.

Only figures and choices are made here; the sentences are in
``templates/narrative.j2`` so that wording can change without touching Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from . import layout
from .model import Text, Workbook
from .money import ZERO, percent, wan_to_yuan
from .projects import ProjectFigures
from .recompute import Figures

_TRAILING = re.compile(r"[。；;，,、.\s]+$")


def clause(text: str) -> str:
    """A typed text made ready for the template to add its own punctuation (no 。。)."""
    return _TRAILING.sub("", text.strip())


@dataclass(frozen=True)
class Change:
    """This year against last year: direction 增加/减少/持平, amount and percentage.

    ``prior`` is None when last year's figure was left blank: no comparison is made (``known``
    is False), since blank is not 0. ``pct`` is None when last year was 0 (no growth rate on a
    zero base).
    """

    current: Decimal
    prior: Decimal | None

    @property
    def known(self) -> bool:
        return self.prior is not None

    @property
    def direction(self) -> str:
        if self.prior is None or self.current == self.prior:
            return "flat"  # an unknown last year is never worded (see ``known``)
        return "up" if self.current > self.prior else "down"

    @property
    def amount(self) -> Decimal:
        return abs(self.current - self.prior) if self.prior is not None else ZERO

    @property
    def pct(self) -> Decimal | None:
        if not self.prior:
            return None
        return percent(self.amount, abs(self.prior))


def share(part: Decimal, whole: Decimal) -> Decimal | None:
    """``part`` as a percentage of ``whole``; None on a zero base, whose share is never printed."""
    return percent(part, whole) if whole else None


class Inputs:
    """Typed access to the 情况说明 sheet; a label left out reads as 0 or ""."""

    def __init__(self, wb: Workbook):
        self.wb = wb
        self.values = wb.inputs

    def amount(self, label: str) -> Decimal:
        return self.wb.figure(label).amount

    def value(self, label: str) -> Decimal | None:
        """A typed figure, None when left blank (a blank last year means no comparison; 0 is a real year)."""
        return self.wb.figure(label).value

    def given(self, label: str) -> bool:
        return self.wb.figure(label).value is not None

    def text(self, label: str) -> str:
        value = self.values.get(label)
        return clause(value.value) if isinstance(value, Text) else ""

    def paragraphs(self, label: str) -> list[str]:
        value = self.values.get(label)
        if not isinstance(value, Text):
            return []
        return [line.strip() for line in value.value.splitlines() if line.strip()]


def narrative_context(wb: Workbook, fig: Figures, projects: list[ProjectFigures]) -> dict:
    """Everything the 情况说明 sentences need, as Decimals, counts, Changes and texts."""
    inp = Inputs(wb)
    t01, t03, t05 = fig.t01, fig.t03, fig.t05
    income_total = t01[27]
    expense_total = t03[0].values if t03 else (ZERO,) * 6
    g = t05[0].values if t05 else (ZERO,) * 3
    personnel_basic, public_basic = fig.t06_personnel[1], fig.t06_public[1]
    t04_expense_total = fig.t04_expense[59][0]

    incomes = [
        ("财政拨款收入", t01[1] + t01[2] + t01[3]), ("上级补助收入", t01[4]), ("事业收入", t01[5]),
        ("经营收入", t01[6]), ("附属单位上缴收入", t01[7]), ("其他收入", t01[8]),
    ]
    expenses = list(zip(layout.FUNCTION_COLUMNS["03"][1:], expense_total[1:]))
    class_names = dict(layout.EXPENSE_CLASSES)
    classes = [(line.name or class_names.get(line.code, ""), line.values[0]) for line in t05
               if line.level == "类" and line.values[0]]

    return {
        "unit": wb.name, "year": wb.year, "prior_year": wb.year - 1,
        "s1": {
            "income": t01[31], "expense": t01[62],
            "income_change": Change(t01[31], inp.value("上年收入总计")),
            "expense_change": Change(t01[62], inp.value("上年支出总计")),
            "reason": inp.text("收支总体变动原因"),
        },
        "s2": {"total": income_total,
               "items": [(n, v, share(v, income_total)) for n, v in incomes]},
        "s3": {"total": expense_total[0],
               "items": [(n, v, share(v, expense_total[0])) for n, v in expenses]},
        "s4": {
            "income": fig.t04_income[32], "expense": fig.t04_expense[64][0],
            "income_change": Change(fig.t04_income[32], inp.value("上年财政拨款收入总计")),
            "expense_change": Change(fig.t04_expense[64][0], inp.value("上年财政拨款支出总计")),
            "reason": inp.text("财政拨款收支变动原因"),
        },
        "s5_1": {
            "total": g[0], "share": share(g[0], t04_expense_total),
            "change": Change(g[0], inp.value("上年一般公共预算财政拨款支出")),
            "reason": inp.text("一般公共预算财政拨款支出变动原因"),
            "personnel": personnel_basic, "personnel_share": share(personnel_basic, g[0]),
            "public": public_basic, "public_share": share(public_basic, g[0]),
        },
        "s5_2": {"total": g[0], "items": [(n, v, share(v, g[0])) for n, v in classes]},
        "s5_3": _class_budget(wb, fig, inp),
        "s6": {
            "basic": g[1], "personnel": personnel_basic, "public": public_basic,
            "personnel_items": inp.text("人员经费主要包括") or _t06_names(fig, personnel=True),
            "public_items": inp.text("公用经费主要包括") or _t06_names(fig, personnel=False),
        },
        "s7": _fund_table(fig.t08, (2, 3, 4, 0, 1, 5)),
        "s8": _fund_table(fig.t09, (0, 1, 2)),
        "s9": _three_public(fig, inp),
        "s10_1": {"total": fig.t10[5] + fig.t10[6],
                  "change": Change(fig.t10[5] + fig.t10[6], inp.value("上年机关运行经费")),
                  "reason": inp.text("机关运行经费变动原因")},
        "s10_2": _procurement(fig, inp),
        "s10_3": {"vehicles": fig.t10[7], "kinds": [fig.t10.get(n, ZERO) for n in layout.T10_VEHICLE_KINDS],
                  "other_use": inp.text("其他用车主要用途"), "equipment": fig.t10.get(17, ZERO)},
        "s10_4": _performance(wb, inp, projects),
    }


def _class_budget(wb: Workbook, fig: Figures, inp: Inputs) -> dict:
    g = fig.t05[0].values[0] if fig.t05 else ZERO
    actual = Figures.class_totals(fig.t05, 0)
    names = dict(layout.EXPENSE_CLASSES)
    initial_total = sum((row.initial.amount for row in wb.class_budget), ZERO)
    items = []
    for row in wb.class_budget:
        spent = actual.get(row.code, ZERO)
        items.append({
            "name": row.name or names.get(row.code, row.code),
            "initial": row.initial.amount, "actual": spent,
            "completion": share(spent, row.initial.amount),
            "purpose": clause(row.purpose), "reason": clause(row.reason),
            "change": Change(spent, row.prior.value) if row.prior.value is not None else None,
        })
    return {
        "initial": initial_total, "actual": g,
        "completion": share(g, initial_total),
        "items": items, "replacement": inp.paragraphs("五(三)替换文字"),
    }


def _t06_names(fig: Figures, personnel: bool) -> str:
    names = []
    for block in layout.T06_BLOCKS:
        for code, name in block:
            is_personnel = code[:3] in layout.T06_PERSONNEL_CLASSES
            basic = fig.t06.get(code, (ZERO, None))[1]
            if len(code) == 5 and is_personnel == personnel and basic:
                names.append(name)
    return "、".join(names)


def _fund_table(lines, order) -> dict:
    if not lines or not any(lines[0].values):
        return {"empty": True}
    return {"empty": False, "values": [lines[0].values[i] for i in order]}


def _three_public(fig: Figures, inp: Inputs) -> dict:
    budget, actual = fig.t07_budget, fig.t07_actual
    items = []
    for column, label in ((1, "因公出国（境）费"), (3, "公务用车购置费"), (4, "公务用车运行维护费"),
                          (5, "公务接待费")):
        items.append({
            "name": label, "budget": budget[column], "actual": actual[column],
            "completion": share(actual[column], budget[column]),
            "change": Change(actual[column], inp.value(f"上年{label}")),
            "reason": inp.text(f"{label}变动原因"),
        })
    foreign = inp.amount("国（境）外接待费")
    return {
        "budget": budget[0], "actual": actual[0], "completion": share(actual[0], budget[0]),
        "change": Change(actual[0], inp.value("上年“三公”经费合计")),
        "reason": inp.text("“三公”经费变动原因"), "items": items,
        "abroad": actual[1], "groups": inp.amount("出国团组数"), "travellers": inp.amount("出国人次"),
        "abroad_use": inp.text("因公出国（境）费主要用途"),
        "purchase": actual[3], "purchased": inp.amount("购置公务用车数"),
        "purchase_use": inp.text("公务用车购置主要用途"),
        "running": actual[4], "fleet": inp.amount("公务用车保有量"),
        "running_use": inp.text("公务用车运行维护费主要用途"),
        "reception": actual[5],
        "batches": inp.amount("国内接待批次") + inp.amount("国（境）外接待批次"),
        "guests": inp.amount("国内接待人次") + inp.amount("国（境）外接待人次"),
        "domestic": actual[5] - foreign,
        "domestic_batches": inp.amount("国内接待批次"), "domestic_guests": inp.amount("国内接待人次"),
        "foreign_affairs": inp.amount("外事接待费"), "fa_batches": inp.amount("外事接待批次"),
        "fa_guests": inp.amount("外事接待人次"), "domestic_use": inp.text("国内接待主要内容"),
        "foreign": foreign, "foreign_batches": inp.amount("国（境）外接待批次"),
        "foreign_guests": inp.amount("国（境）外接待人次"), "foreign_use": inp.text("国（境）外接待主要内容"),
    }


def _procurement(fig: Figures, inp: Inputs) -> dict:
    total = fig.t10[1]
    sme, micro = inp.amount("授予中小企业合同金额"), inp.amount("授予小微企业合同金额")
    return {"total": total, "goods": fig.t10.get(2, ZERO), "works": fig.t10.get(3, ZERO),
            "services": fig.t10.get(4, ZERO), "sme": sme, "sme_share": share(sme, total),
            "micro": micro, "micro_share": share(micro, total)}


def _grade_counts(projects: list[ProjectFigures]) -> dict[str, Decimal]:
    return {grade: Decimal(sum(1 for p in projects if p.grade == grade)) for grade in "优良中差"}


def _level(inp: Inputs, level: str, projects: list[ProjectFigures] | None, amount: Decimal = ZERO) -> dict:
    """一级/二级 counts by grade: typed in, or (二级, when left blank) counted from the sheets,
    whose 全年预算数 add up to ``amount``."""
    prefix = f"{level}项目"
    if projects is not None and not inp.given(f"{prefix}个数"):
        counts = _grade_counts(projects)
        return {"count": Decimal(len(projects)), "amount": amount,
                "grades": [(grade, counts[grade]) for grade in "优良中差"],
                "measures": inp.text(f"{prefix}改进措施")}
    return {"count": inp.amount(f"{prefix}个数"), "amount": inp.amount(f"{prefix}涉及资金"),
            "grades": [(grade, inp.amount(f"{prefix}{grade}")) for grade in "优良中差"],
            "measures": inp.text(f"{prefix}改进措施")}


def _typed_or(inp: Inputs, label: str, computed: Decimal) -> Decimal:
    value = inp.value(label)
    return computed if value is None else value


def _performance(wb: Workbook, inp: Inputs, projects: list[ProjectFigures]) -> dict:
    summaries = {s.name: s for s in wb.summaries}
    per_project = []
    for number, p in enumerate(projects, start=1):
        summary = summaries.get(p.name)
        budget, spent = wan_to_yuan(p.budget), wan_to_yuan(p.spent)
        if summary and summary.budget.value is not None:
            budget = summary.budget.value
        if summary and summary.spent.value is not None:
            spent = summary.spent.value
        per_project.append({
            "name": p.name, "score": p.total, "budget": budget, "spent": spent,
            "rate": share(spent, budget), "annex": number,
            "achieved": clause(summary.achieved if summary else p.achieved),
            "problems": clause(summary.problems if summary else p.problems),
            "measures": clause(summary.measures if summary else p.measures),
        })
    # What the 自评表 sheets give stands in for a figure left blank.
    sheets_amount = sum((p["budget"] for p in per_project), ZERO)
    funds = ("一般公共预算", "政府性基金预算", "国有资本经营预算", "社会保险基金预算")
    overall_budget, overall_spent = inp.amount("整体全年预算数"), inp.amount("整体执行数")
    return {
        "level1_projects": inp.amount("一级项目自评个数"),
        "level2_projects": _typed_or(inp, "二级项目自评个数", Decimal(len(projects))),
        "amount": _typed_or(inp, "项目自评涉及资金", sheets_amount),
        "share": inp.amount("项目自评占项目支出总额比例"),
        "funds": [inp.amount(f"项目自评{f}项目支出") for f in funds],
        "overall_amount": inp.amount("整体自评涉及资金"),
        "overall_funds": [inp.amount(f"整体自评{f}支出") for f in funds],
        "review_names": inp.text("部门评价项目名称"), "review_count": inp.amount("部门评价项目个数"),
        "review_level": inp.text("部门评价项目级次").rstrip("级"),
        "review_amount": inp.amount("部门评价涉及资金"),
        "review_funds": [inp.amount(f"部门评价{f}支出") for f in funds],
        "review_result": inp.text("部门评价结果"),
        "level1": _level(inp, "一级", None), "level2": _level(inp, "二级", projects, sheets_amount),
        "projects": per_project, "replacement": inp.paragraphs("项目自评结果替换文字"),
        "overall_score": inp.amount("整体自评得分"), "overall_budget": overall_budget,
        "overall_spent": overall_spent, "overall_rate": share(overall_spent, overall_budget),
        "overall_achieved": inp.text("整体年度绩效目标完成情况"),
        "overall_problems": inp.text("整体主要问题及原因"),
        "overall_measures": inp.text("整体下一步改进措施"),
        "review_results": inp.paragraphs("部门评价项目绩效评价结果"),
        "other": inp.paragraphs("其他需要说明的事项"),
    }
