"""The Shanghai 情况说明: each section's figures, computed from the recomputed tables, the
情况说明 inputs and the 年初预算 list. The sentences are in templates/shanghai/narrative.j2."""

from __future__ import annotations

from decimal import Decimal

from generator.model import Stated
from generator.money import ZERO
from generator.narrative import Change, Facts, clause, share
from generator.recompute import FunctionLines
from .sheets import BUDGETS, EQUIPMENT, VEHICLES
from .tables import T01, T03, T06, T07

_APPROPRIATIONS = tuple(T01.at(n).key for n in (1, 2, 3))


def _against_last_year(f: Facts, current: Decimal, prior: str, reason: str) -> dict:
    return {"total": current, "change": Change(current, f.inp.value(prior)), "reason": f.inp.text(reason)}


def _s1(f: Facts) -> dict:
    return _against_last_year(f, f.fig["01"]["收入总计"], "上年收入支出总计", "收入支出总计变动原因")


def _s2(f: Facts) -> dict:
    t01 = f.fig["01"]
    incomes = [("财政拨款收入", sum((t01[name] for name in _APPROPRIATIONS), ZERO)),
               *((row.sources[0].column, t01[row.key]) for row in T01.side_rows(0) if row.sources)]
    total = t01["本年收入合计"]
    return {"total": total, "items": [(n, v, share(v, total)) for n, v in incomes if v]}


def _s3(f: Facts) -> dict:
    total = f.fig["03"].total
    return {"total": total[0],
            "items": [(n, v, share(v, total[0])) for n, v in zip(T03.columns[1:], total[1:]) if v]}


def _s4(f: Facts) -> dict:
    return _against_last_year(f, f.fig["04"]["收入总计"], "上年财政拨款收入支出总计", "财政拨款收入支出总计变动原因")


def _s5_1(f: Facts) -> dict:
    spent = f.fig["05"].total[0]
    return {**_against_last_year(f, spent, "上年一般公共预算财政拨款支出", "一般公共预算财政拨款支出变动原因"),
            "share": share(spent, f.fig["01"]["本年支出合计"])}


def _s5_2(f: Facts) -> dict:
    lines = f.fig["05"]
    total = lines.total[0]
    return {"total": total,
            "items": [(line.name, line.values[0], share(line.values[0], total))
                      for line in lines if line.level == "类" and line.values[0]]}


def budgets(f: Facts) -> dict[str, tuple[Stated, str, str]]:
    """The 年初预算 list by 功能分类科目编码: (年初预算, 主要用途, 差异原因)."""
    found = {}
    for row in f.wb.lists.get(BUDGETS.sheet, []):
        code = row["code"].value
        if code:
            found[code] = (row["budget"], clause(row["purpose"].value), clause(row["reason"].value))
    return found


def _items(f: Facts, lines: FunctionLines, column: int) -> list[dict]:
    """Each 项 (a row with nothing under it) of a function table: its 类/款/项 names, its 年初预算
    (from the list; 0 when the list has none), its 决算 in ``column`` and why they differ."""
    names = {line.code: line.name for line in lines if line.code}
    codes = [line.code for line in lines if line.code]
    planned = budgets(f)
    items = []
    for line in lines:
        if not line.code or any(c != line.code and c.startswith(line.code) for c in codes):
            continue
        budget, purpose, reason = planned.get(line.code, (Stated(None, ""), "", ""))
        items.append({
            "code": line.code, "path": [names.get(line.code[:n], "") for n in range(3, len(line.code) + 1, 2)],
            "budget": budget.amount, "actual": line.values[column], "purpose": purpose, "reason": reason,
            "change": Change(line.values[column], budget.amount),
        })
    return items


def _s5_3(f: Facts) -> dict:
    lines = f.fig["05"]
    actual = lines.total[0]
    items = _items(f, lines, 0)
    typed = f.inp.value("一般公共预算财政拨款支出年初预算")
    budget = typed if typed is not None else sum((i["budget"] for i in items), ZERO)
    return {"budget": budget, "actual": actual, "completion": share(actual, budget),
            "change": Change(actual, budget), "reason": f.inp.text("决算数与年初预算数差异原因"), "items": items}


def _names(f: Facts, total: int) -> str:
    """The 款 of 06's ``total``-th closing row (人员经费, 公用经费) that have a figure, 、-joined."""
    rows = f.fig["06"].rows
    classes = T06.total_classes(T06.totals[total])
    return "、".join(name for block in T06.blocks for code, name in block
                    if len(code) == 5 and code[:3] in classes and rows.get(code, (ZERO,))[0])


def _s6(f: Facts) -> dict:
    totals = f.fig["06"].totals
    return {
        "basic": f.fig["05"].total[1],
        "personnel": totals["人员经费合计"][0], "public": totals["公用经费合计"][0],
        "personnel_items": f.inp.text("人员经费主要包括") or _names(f, 0),
        "public_items": f.inp.text("公用经费主要包括") or _names(f, 1),
    }


_KINDS = ("因公出国（境）费", "公务用车购置及运行维护费", "公务接待费")


def _s7(f: Facts) -> dict:
    inp = f.inp
    budget, actual = (dict(zip(T07.columns, f.fig["07"][group])) for group in T07.groups)
    budget["公务用车购置及运行维护费"], actual["公务用车购置及运行维护费"] = budget["小计"], actual["小计"]
    items = [{"name": kind, "budget": budget[kind], "actual": actual[kind],
              "completion": share(actual[kind], budget[kind]), "share": share(actual[kind], actual["合计"]),
              "change": Change(actual[kind], inp.value(f"上年{kind}")), "reason": inp.text(f"{kind}变动原因")}
             for kind in _KINDS]
    return {
        "budget": budget["合计"], "actual": actual["合计"], "completion": share(actual["合计"], budget["合计"]),
        "over": Change(actual["合计"], budget["合计"]), "over_reason": inp.text("“三公”经费决算数与预算数差异原因"),
        "change": Change(actual["合计"], inp.value("上年“三公”经费合计")), "items": items,
        "abroad": actual["因公出国（境）费"], "groups": inp.amount("因公出国（境）团组数"),
        "travellers": inp.amount("因公出国（境）人次"), "abroad_use": inp.text("因公出国（境）费开支内容"),
        "vehicles": actual["小计"], "purchase": actual["公务用车购置费"], "purchased": inp.amount("购置公务用车数"),
        "purchase_use": inp.text("公务用车购置费主要用途"),
        "running": actual["公务用车运行维护费"], "running_use": inp.text("公务用车运行维护费主要用途"),
        "fleet": inp.amount("公务用车保有量"),
        "reception": actual["公务接待费"], "reception_use": inp.text("公务接待费主要用途"),
        "batches": inp.amount("国内公务接待批次"), "guests": inp.amount("国内公务接待人次"),
        "foreign": inp.amount("外宾接待费"), "foreign_batches": inp.amount("外宾接待批次"),
        "foreign_guests": inp.amount("外宾接待人次"),
    }


def _fund(key: str):
    """八、九: a fund's 本年收入 and 本年支出合计 and its 项 (none when the table has no data)."""
    def figures(f: Facts) -> dict:
        lines = f.fig[key]
        if not lines:
            return {"empty": True}
        total = lines.total
        return {"empty": False, "income": total[1], "expense": total[2], "items": _items(f, lines, 2)}
    return figures


def _s10(f: Facts) -> dict:
    inp = f.inp
    counts = {label: inp.amount(label) for label in (
        "编报绩效目标项目个数", "绩效跟踪评价项目个数", "绩效自评项目个数", "绩效评级为优的项目个数",
        "绩效评级为良的项目个数", "绩效评级为合格的项目个数", "绩效评级为不合格的项目个数",
        "绩效自评发现问题个数", "已完成整改问题个数", "正在整改问题个数")}
    amounts = {label: inp.amount(label) for label in (
        "编报绩效目标涉及预算金额", "绩效跟踪评价涉及预算金额", "绩效自评涉及预算金额", "绩效自评平均得分")}
    return {"work": inp.text("预算绩效管理工作开展情况"), **counts, **amounts}


def _s11_1(f: Facts) -> dict:
    return _against_last_year(f, f.inp.amount("机关运行经费支出"), "上年机关运行经费支出", "机关运行经费变动原因")


_PROCUREMENT = ("货物采购金额", "工程采购金额", "服务采购金额")


def procurement(f: Facts) -> Decimal:
    """政府采购金额: as typed when it is (a rounding of the three kinds' sum), else their sum."""
    typed = f.inp.value("政府采购金额")
    return typed if typed is not None else sum((f.inp.amount(k) for k in _PROCUREMENT), ZERO)


def _s11_2(f: Facts) -> dict:
    inp = f.inp
    return {"total": procurement(f), **{k: inp.amount(k) for k in (
        *_PROCUREMENT, "面向中小企业预留项目预算金额", "面向小微企业预留项目预算金额",
        "预留中小企业项目由中小企业中标金额", "预留小微企业项目由小微企业中标金额", "其他项目由中小企业中标金额")}}


def _s11_3(f: Facts) -> dict:
    kinds = [(label.removesuffix("数"), f.inp.amount(label)) for label in VEHICLES]
    return {"vehicles": sum((n for _, n in kinds), ZERO), "kinds": kinds, "equipment": f.inp.amount(EQUIPMENT)}


FIGURES = {
    "s1": _s1, "s2": _s2, "s3": _s3, "s4": _s4, "s5_1": _s5_1, "s5_2": _s5_2, "s5_3": _s5_3, "s6": _s6,
    "s7": _s7, "s8": _fund("08"), "s9": _fund("09"), "s10": _s10,
    "s11_1": _s11_1, "s11_2": _s11_2, "s11_3": _s11_3,
}
