"""The Shanxi 情况说明: each section's figures, computed from the recomputed tables, the
情况说明 inputs and the 自评表 sheets. The sentences are in templates/shanxi/narrative.j2."""

from __future__ import annotations

from decimal import Decimal

from generator.money import ZERO, wan_to_yuan
from generator.narrative import Change, Facts, Inputs, clause, share
from generator.projects import ProjectFigures
from generator.recompute import Figures
from generator.spec import Format
from .sheets import GRADES
from .tables import EXPENSE_CLASSES, T01, T03, T05, T06, T07, T08, T09, T10

_APPROPRIATION_ROWS = ("一、一般公共预算财政拨款收入", "二、政府性基金预算财政拨款收入", "三、国有资本经营预算财政拨款收入")


def running_costs(fig: Figures) -> Decimal:
    """机关运行经费: 公开10表 行政单位 + 参照公务员法管理事业单位."""
    return fig["10"]["（一）行政单位"] + fig["10"]["（二）参照公务员法管理事业单位"]


def _totals(f: Facts, key: str, prior: str, reason: str) -> dict:
    """收入总计 and 支出总计 of a table against last year's (``prior`` + 收入总计 / 支出总计)."""
    table, inp = f.fig[key], f.inp
    return {
        "income": table["收入总计"], "expense": table["支出总计"],
        "income_change": Change(table["收入总计"], inp.value(f"{prior}收入总计")),
        "expense_change": Change(table["支出总计"], inp.value(f"{prior}支出总计")),
        "reason": inp.text(reason),
    }


def _s1(f: Facts) -> dict:
    return _totals(f, "01", "上年", "收支总体变动原因")


def _s2(f: Facts) -> dict:
    t01 = f.fig["01"]
    # 财政拨款 together, then each income 01 takes from 02, named by its 02 column.
    incomes = [
        ("财政拨款收入", sum((t01[name] for name in _APPROPRIATION_ROWS), ZERO)),
        *((row.sources[0].column, t01[row.key]) for row in T01.side_rows(0) if row.sources),
    ]
    income_total = t01["本年收入合计"]
    return {"total": income_total, "items": [(n, v, share(v, income_total)) for n, v in incomes]}


def _s3(f: Facts) -> dict:
    expense_total = f.fig["03"].total
    return {"total": expense_total[0],
            "items": [(n, v, share(v, expense_total[0])) for n, v in zip(T03.columns[1:], expense_total[1:])]}


def _s4(f: Facts) -> dict:
    return _totals(f, "04", "上年财政拨款", "财政拨款收支变动原因")


def _basic(fig: Figures) -> tuple[Decimal, Decimal]:
    """公开06表's 人员经费 and 公用经费 基本支出."""
    totals = fig["06"].totals
    return totals["人员经费合计"][1], totals["公用经费合计"][1]


def _s5_1(f: Facts) -> dict:
    g = f.fig["05"].total[0]
    personnel, public = _basic(f.fig)
    return {
        "total": g, "share": share(g, f.fig["04"]["本年支出合计"]),
        "change": Change(g, f.inp.value("上年一般公共预算财政拨款支出")),
        "reason": f.inp.text("一般公共预算财政拨款支出变动原因"),
        "personnel": personnel, "personnel_share": share(personnel, g),
        "public": public, "public_share": share(public, g),
    }


def _s5_2(f: Facts) -> dict:
    g = f.fig["05"].total[0]
    names = dict(EXPENSE_CLASSES)
    classes = [(line.name or names.get(line.code, ""), line.values[0]) for line in f.fig["05"]
               if line.level == "类" and line.values[0]]
    return {"total": g, "items": [(n, v, share(v, g)) for n, v in classes]}


def _s6(f: Facts) -> dict:
    personnel, public = _basic(f.fig)
    return {
        "basic": f.fig["05"].total[T05.column("基本支出")], "personnel": personnel,
        "public": public,
        "personnel_items": f.inp.text("人员经费主要包括") or _t06_names(f.fig, personnel=True),
        "public_items": f.inp.text("公用经费主要包括") or _t06_names(f.fig, personnel=False),
    }


def _s10_1(f: Facts) -> dict:
    return {"total": running_costs(f.fig), "change": Change(running_costs(f.fig), f.inp.value("上年机关运行经费")),
            "reason": f.inp.text("机关运行经费变动原因")}


def _s10_3(f: Facts) -> dict:
    t10 = f.fig["10"]
    return {"vehicles": t10["车辆数合计"], "kinds": [t10[T10.at(n).key] for n in T10.row("车辆数合计").parts],
            "other_use": f.inp.text("其他用车主要用途"), "equipment": t10["大型设备"]}


def _s5_3(f: Facts) -> dict:
    wb, fig, inp = f.wb, f.fig, f.inp
    g = fig["05"].total[0]
    actual = fig["05"].class_totals(0)
    names = dict(EXPENSE_CLASSES)
    typed = [row.initial.value for row in wb.class_budget if row.initial.value is not None]
    initial_total = sum(typed, ZERO) if typed else None  # none typed: no 年初预算 to state
    items = []
    for row in wb.class_budget:
        spent = actual.get(row.code, ZERO)
        items.append({
            "name": row.name or names.get(row.code, row.code),
            "initial": row.initial.value, "actual": spent,
            "completion": share(spent, row.initial.value) if row.initial.value is not None else None,
            "purpose": clause(row.purpose), "reason": clause(row.reason),
            "change": Change(spent, row.prior.value) if row.prior.value is not None else None,
        })
    return {
        "initial": initial_total, "actual": g,
        "completion": share(g, initial_total) if initial_total is not None else None,
        "items": items, "replacement": inp.paragraphs("五(三)替换文字"),
    }


def _t06_names(fig: Figures, personnel: bool) -> str:
    names = []
    personnel_classes = T06.total_classes(T06.totals[0])
    for block in T06.blocks:
        for code, name in block:
            is_personnel = code[:3] in personnel_classes
            basic = fig["06"].rows.get(code, (ZERO, None))[1]
            if len(code) == 5 and is_personnel == personnel and basic:
                names.append(name)
    return "、".join(names)


def _fund_table(lines, table, order) -> dict:
    """The 合计 figures of 08/09 in the order the sentence says them; ``empty`` when all are 0."""
    if not lines or not any(lines[0].values):
        return {"empty": True}
    return {"empty": False, "values": [lines[0].values[table.column(c)] for c in order]}


def _s9(f: Facts) -> dict:
    fig, inp = f.fig, f.inp
    budget, actual = (dict(zip(T07.columns, fig["07"][group])) for group in T07.groups)
    items = []
    for label in ("因公出国（境）费", "公务用车购置费", "公务用车运行维护费", "公务接待费"):
        items.append({
            "name": label, "budget": budget[label], "actual": actual[label],
            "completion": share(actual[label], budget[label]),
            "change": Change(actual[label], inp.value(f"上年{label}")),
            "reason": inp.text(f"{label}变动原因"),
        })
    foreign = inp.amount("国（境）外接待费")
    return {
        "budget": budget["合计"], "actual": actual["合计"], "completion": share(actual["合计"], budget["合计"]),
        "change": Change(actual["合计"], inp.value("上年“三公”经费合计")),
        "reason": inp.text("“三公”经费变动原因"), "items": items,
        "abroad": actual["因公出国（境）费"], "groups": inp.value("出国团组数"), "travellers": inp.value("出国人次"),
        "abroad_use": inp.text("因公出国（境）费主要用途"),
        "purchase": actual["公务用车购置费"], "purchased": inp.value("购置公务用车数"),
        "purchase_use": inp.text("公务用车购置主要用途"),
        "running": actual["公务用车运行维护费"], "fleet": inp.value("公务用车保有量"),
        "running_use": inp.text("公务用车运行维护费主要用途"),
        "reception": actual["公务接待费"],
        "batches": inp.amount("国内接待批次") + inp.amount("国（境）外接待批次"),
        "guests": inp.amount("国内接待人次") + inp.amount("国（境）外接待人次"),
        "domestic": actual["公务接待费"] - foreign,
        "domestic_batches": inp.amount("国内接待批次"), "domestic_guests": inp.amount("国内接待人次"),
        "foreign_affairs": inp.amount("外事接待费"), "fa_batches": inp.amount("外事接待批次"),
        "fa_guests": inp.amount("外事接待人次"), "domestic_use": inp.text("国内接待主要内容"),
        "foreign": foreign, "foreign_batches": inp.amount("国（境）外接待批次"),
        "foreign_guests": inp.amount("国（境）外接待人次"), "foreign_use": inp.text("国（境）外接待主要内容"),
    }


def _s10_2(f: Facts) -> dict:
    fig, inp = f.fig, f.inp
    t10 = fig["10"]
    procured = t10["政府采购合计"]
    sme, micro = inp.amount("授予中小企业合同金额"), inp.amount("授予小微企业合同金额")
    return {"total": procured, "goods": t10["货物"], "works": t10["工程"],
            "services": t10["服务"], "sme": sme, "sme_share": share(sme, procured),
            "micro": micro, "micro_share": share(micro, procured)}


def grades(fmt: Format) -> list[str]:
    """The grade names of the format's 自评表 (Shanxi's where it has none)."""
    declared = fmt.sheets.projects
    return [grade.name for grade in (declared.grades if declared else GRADES)]


def _level(f: Facts, level: str, projects: list[ProjectFigures] | None, amount: Decimal = ZERO) -> dict:
    """一级/二级 counts by grade: typed in, or (二级, when left blank) counted from the sheets,
    whose 全年预算数 add up to ``amount``."""
    inp, prefix = f.inp, f"{level}项目"
    if projects is not None and not inp.given(f"{prefix}个数"):
        return {"count": Decimal(len(projects)), "amount": amount,
                "grades": [(grade, Decimal(sum(1 for p in projects if p.grade == grade))) for grade in grades(f.fmt)],
                "measures": inp.text(f"{prefix}改进措施")}
    return {"count": inp.amount(f"{prefix}个数"), "amount": inp.amount(f"{prefix}涉及资金"),
            "grades": [(grade, inp.amount(f"{prefix}{grade}")) for grade in grades(f.fmt)],
            "measures": inp.text(f"{prefix}改进措施")}


def _typed_or(inp: Inputs, label: str, computed: Decimal) -> Decimal:
    value = inp.value(label)
    return computed if value is None else value


# 十(四)'s 整体支出绩效自评: its figures and texts; all blank means it was not done.
OVERALL_FIGURES = ("整体自评涉及资金", "整体自评得分", "整体全年预算数", "整体执行数")
OVERALL_TEXTS = ("整体年度绩效目标完成情况", "整体主要问题及原因", "整体下一步改进措施")


def _s10_4(f: Facts) -> dict:
    wb, inp, projects = f.wb, f.inp, f.projects
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
    overall_budget, overall_spent = inp.value("整体全年预算数"), inp.value("整体执行数")
    overall = [inp.value(label) for label in OVERALL_FIGURES]
    return {
        "level1_projects": inp.amount("一级项目自评个数"),
        "level2_projects": _typed_or(inp, "二级项目自评个数", Decimal(len(projects))),
        "amount": _typed_or(inp, "项目自评涉及资金", sheets_amount),
        "share": inp.value("项目自评占项目支出总额比例"),
        "funds": [inp.amount(f"项目自评{f}项目支出") for f in funds],
        "overall_amount": inp.value("整体自评涉及资金"),
        "overall_done": any(v is not None for v in overall) or any(inp.text(label) for label in OVERALL_TEXTS),
        "overall_funds": [inp.amount(f"整体自评{f}支出") for f in funds],
        "review_names": inp.text("部门评价项目名称"), "review_count": inp.amount("部门评价项目个数"),
        "review_level": inp.text("部门评价项目级次").rstrip("级"),
        "review_amount": inp.amount("部门评价涉及资金"),
        "review_funds": [inp.amount(f"部门评价{f}支出") for f in funds],
        "review_result": inp.text("部门评价结果"),
        "level1": _level(f, "一级", None), "level2": _level(f, "二级", projects, sheets_amount),
        "projects": per_project, "replacement": inp.paragraphs("项目自评结果替换文字"),
        "overall_score": inp.value("整体自评得分"), "overall_budget": overall_budget,
        "overall_spent": overall_spent,
        "overall_rate": share(overall_spent, overall_budget) if None not in (overall_spent, overall_budget) else None,
        "overall_achieved": inp.text("整体年度绩效目标完成情况"),
        "overall_problems": inp.text("整体主要问题及原因"),
        "overall_measures": inp.text("整体下一步改进措施"),
        "review_results": inp.paragraphs("部门评价项目绩效评价结果"),
        "other": inp.paragraphs("其他需要说明的事项"),
    }


# Each part of the 情况说明 figures by name (a Section's ``figures``), computed only where a
# section of the format uses it.
FIGURES = {
    "s1": _s1, "s2": _s2, "s3": _s3, "s4": _s4, "s5_1": _s5_1, "s5_2": _s5_2, "s5_3": _s5_3, "s6": _s6,
    "s7": lambda f: _fund_table(f.fig["08"], T08, ("小计", "基本支出", "项目支出", "年初结转和结余", "本年收入",
                                                  "年末结转和结余")),
    "s8": lambda f: _fund_table(f.fig["09"], T09, ("合计", "基本支出", "项目支出")),
    "s9": _s9, "s10_1": _s10_1, "s10_2": _s10_2, "s10_3": _s10_3, "s10_4": _s10_4,
}
