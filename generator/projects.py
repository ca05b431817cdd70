"""The computed columns of each 项目支出绩效自评表 (spec §4).

资金结（转）余 = 全年预算数 − 全年执行数; 执行率 = 执行数 ÷ 预算数 × 100 (0 without a budget);
执行率得分 = 10 × min(执行率, 100%); 总分 = 执行率得分 + the indicators' 得分; grade from 总分.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .findings import ERROR, Finding, mismatch
from .model import FundRow, Project
from .money import ZERO, cents, percent

GRADES = ((Decimal(90), "优"), (Decimal(80), "良"), (Decimal(60), "中"))
RATE_WEIGHT = Decimal(10)


def grade_of(total: Decimal) -> str:
    return next((grade for floor, grade in GRADES if total >= floor), "差")


@dataclass(frozen=True)
class FundFigures:
    source: str
    declared: Decimal | None
    planned: Decimal | None
    budget: Decimal
    spent: Decimal
    balance: Decimal
    rate: Decimal
    score: Decimal


def fund_figures(row: FundRow) -> FundFigures:
    budget, spent = row.budget.amount, row.spent.amount
    ratio = min(spent / budget, Decimal(1)) if budget else ZERO
    return FundFigures(row.source, row.declared.value, row.planned.value, budget, spent,
                       budget - spent, percent(spent, budget), cents(RATE_WEIGHT * ratio))


@dataclass(frozen=True)
class ProjectFigures:
    project: Project
    funds: tuple[FundFigures, ...]
    total: Decimal
    grade: str

    @property
    def name(self) -> str:
        return self.project.name.value

    @property
    def budget(self) -> Decimal:
        """全年预算数 of the 资金总额 row, in 万元 as the sheet states it."""
        return self.funds[0].budget

    @property
    def spent(self) -> Decimal:
        return self.funds[0].spent

    @property
    def rate(self) -> Decimal:
        return self.funds[0].rate

    @property
    def achieved(self) -> str:
        return self.project.achieved

    @property
    def problems(self) -> str:
        return self.project.analysis.get("项目管理中存在的主要问题及原因分析", "")

    @property
    def measures(self) -> str:
        return self.project.analysis.get("下一步改进措施及管理建议", "")


def project_figures(project: Project) -> tuple[ProjectFigures, list[Finding]]:
    funds = tuple(fund_figures(row) for row in project.funds)
    total = funds[0].score + sum((i.score.amount for i in project.indicators), ZERO)
    figures = ProjectFigures(project, funds, total, grade_of(total))
    return figures, _findings(project, figures)


def _findings(project: Project, fig: ProjectFigures) -> list[Finding]:
    found: list[Finding] = []
    where = f"{project.sheet}（{fig.name}）"
    for row, computed in zip(project.funds, fig.funds):
        for label, stated, value, parts in (
            ("资金结（转）余", row.balance, computed.balance, (row.budget.ref, row.spent.ref)),
            ("执行率", row.rate, computed.rate, (row.budget.ref, row.spent.ref)),
            ("得分", row.score, computed.score, (row.rate.ref,)),
        ):
            if stated.value is not None and stated.value != value:
                # 执行率 is stated to any precision; compare it at two decimals.
                if label == "执行率" and cents(stated.value) == value:
                    continue
                found.append(mismatch(f"附件{label}", f"{where} {row.source}“{label}”", stated.value,
                                      value, (stated.ref, *parts), computed_label="应为"))
    if project.stated_total.value is not None and project.stated_total.value != fig.total:
        found.append(mismatch("附件总分", f"{where} 总分", project.stated_total.value, fig.total,
                              (project.stated_total.ref, project.funds[0].score.ref,
                               *(i.score.ref for i in project.indicators)),
                              computed_label="执行率得分加各指标得分为"))
    if project.stated_grade.value and project.stated_grade.value != fig.grade:
        found.append(Finding(ERROR, "附件等级", f"{where} 等级填“{project.stated_grade.value}”，"
                             f"总分 {fig.total} 对应“{fig.grade}”（优≥90，良≥80，中≥60）",
                             (project.stated_grade.ref, project.stated_total.ref)))
    for ind in project.indicators:
        if ind.score.amount > ind.weight.amount:
            found.append(mismatch("附件指标得分≤分值", f"{where} 指标“{ind.level3}”得分超过分值",
                                  ind.score.amount, ind.weight.amount, (ind.score.ref, ind.weight.ref),
                                  computed_label="分值"))
    return found


