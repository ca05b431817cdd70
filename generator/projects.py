"""The computed columns of each 项目支出绩效自评表 (spec §4), as the format declares the sheet
(:class:`spec.ProjectSheets`): its labels, its grades and the 执行率's weight.

资金结（转）余 = 全年预算数 − 全年执行数; 执行率 = 执行数 ÷ 预算数 × 100 (0 without a budget);
执行率得分 = weight × min(执行率, 100%); 总分 = 执行率得分 + the indicators' 得分; grade from 总分.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .findings import ERROR, Finding, mismatch
from .model import FundRow, Project
from .money import ZERO, cents, percent
from .spec import ProjectSheets


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


def fund_figures(row: FundRow, declared: ProjectSheets) -> FundFigures:
    budget, spent = row.budget.amount, row.spent.amount
    ratio = min(spent / budget, Decimal(1)) if budget else ZERO
    return FundFigures(row.source, row.declared.value, row.planned.value, budget, spent,
                       budget - spent, percent(spent, budget), cents(declared.rate_weight * ratio))


@dataclass(frozen=True)
class ProjectFigures:
    project: Project
    funds: tuple[FundFigures, ...]
    total: Decimal
    grade: str
    declared: ProjectSheets = field(compare=False, repr=False)

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
        return self.project.analysis.get(self.declared.problems, "")

    @property
    def measures(self) -> str:
        return self.project.analysis.get(self.declared.measures, "")


def project_figures(project: Project, declared: ProjectSheets) -> tuple[ProjectFigures, list[Finding]]:
    funds = tuple(fund_figures(row, declared) for row in project.funds)
    total = funds[0].score + sum((i.score.amount for i in project.indicators), ZERO)
    figures = ProjectFigures(project, funds, total, declared.grade_of(total), declared)
    return figures, _findings(project, figures, declared)


def rule_names(declared: ProjectSheets) -> dict[str, str]:
    """The names of the findings a 自评表 gives, by what they check: the 附件's columns, its 总分, its
    grade and an indicator's 得分 against its 分值."""
    columns, indicators = declared.fund_columns, declared.indicator_columns
    return {"balance": f"附件{columns['balance']}", "rate": f"附件{columns['rate']}", "score": f"附件{columns['score']}",
            "total": f"附件{declared.total}", "grade": "附件等级",
            "indicator": f"附件指标{indicators['score']}≤{indicators['weight']}"}


def _findings(project: Project, fig: ProjectFigures, declared: ProjectSheets) -> list[Finding]:
    found: list[Finding] = []
    names, columns = rule_names(declared), declared.fund_columns
    where = f"{project.sheet}（{fig.name}）"
    for row, computed in zip(project.funds, fig.funds):
        for role, stated, value, parts in (
            ("balance", row.balance, computed.balance, (row.budget.ref, row.spent.ref)),
            ("rate", row.rate, computed.rate, (row.budget.ref, row.spent.ref)),
            ("score", row.score, computed.score, (row.rate.ref,)),
        ):
            if stated.value is not None and stated.value != value:
                # 执行率 is stated to any precision; compare it at two decimals.
                if role == "rate" and cents(stated.value) == value:
                    continue
                found.append(mismatch(names[role], f"{where} {row.source}“{columns[role]}”", stated.value,
                                      value, (stated.ref, *parts), computed_label="应为"))
    if project.stated_total.value is not None and project.stated_total.value != fig.total:
        found.append(mismatch(names["total"], f"{where} {declared.total}", project.stated_total.value, fig.total,
                              (project.stated_total.ref, project.funds[0].score.ref,
                               *(i.score.ref for i in project.indicators)),
                              computed_label=f"{columns['rate']}{columns['score']}加各指标{columns['score']}为"))
    if project.stated_grade.value and project.stated_grade.value != fig.grade:
        found.append(Finding(ERROR, names["grade"], f"{where} 等级填“{project.stated_grade.value}”，"
                             f"{declared.total} {fig.total} 对应“{fig.grade}”（{declared.scale}）",
                             (project.stated_grade.ref, project.stated_total.ref)))
    weight, score = declared.indicator_columns["weight"], declared.indicator_columns["score"]
    for ind in project.indicators:
        if ind.score.amount > ind.weight.amount:
            found.append(mismatch(names["indicator"], f"{where} 指标“{ind.level3}”{score}超过{weight}",
                                  ind.score.amount, ind.weight.amount, (ind.score.ref, ind.weight.ref),
                                  computed_label=weight))
    return found


