"""The Shanghai format's rules: the names of the identities its tables declare, and its checks
across tables and of the 情况说明 inputs. Figures are 万元 rounded from 元, so two figures that
should agree may differ by the rounding of each: :func:`agree` allows the format's tolerance."""

from __future__ import annotations

from decimal import Decimal

from generator.audit import Context
from generator.findings import WARNING, Finding, mismatch
from generator.money import ZERO
from generator.spec import Rule
from .narrative import budgets
from .sheets import BUDGETS
from .tables import T01

IDENTITIES = (
    Rule("01收入=02合计", "收入支出决算总表的收入与收入决算表合计不一致",
         "收入支出决算总表 上级补助收入…其他收入 = 收入决算表 合计的对应栏"),
    Rule("01支出类=03类", "收入支出决算总表的支出与支出决算表各类不一致",
         "收入支出决算总表 支出各类 = 支出决算表 对应类的本年支出合计"),
    Rule("01合计行", "收入支出决算总表的合计、总计行对不上",
         "收入支出决算总表 本年收入合计、总计、本年支出合计、总计 = 其各行之和", is_sum=True),
    Rule("04收入=01收入", "财政拨款收入支出决算总表的收入与收入支出决算总表不一致",
         "财政拨款收入支出决算总表 三项财政拨款收入 = 收入支出决算总表 对应收入"),
    Rule("04合计行", "财政拨款收入支出决算总表的合计、总计行对不上",
         "财政拨款收入支出决算总表 本年收入合计、年初结转和结余、总计、本年支出合计 = 其各行之和", is_sum=True),
    Rule("04类=05类", "财政拨款收入支出决算总表的一般公共预算支出与一般公共预算财政拨款支出决算表不一致",
         "财政拨款收入支出决算总表 各类的一般公共预算财政拨款 = 一般公共预算财政拨款支出决算表 对应类的合计"),
    Rule("04类=08类", "财政拨款收入支出决算总表的政府性基金支出与政府性基金决算表不一致",
         "财政拨款收入支出决算总表 各类的政府性基金预算财政拨款 = 政府性基金预算财政拨款收入支出决算表 对应类的本年支出"),
    Rule("04类=09类", "财政拨款收入支出决算总表的国有资本经营支出与国有资本经营决算表不一致",
         "财政拨款收入支出决算总表 各类的国有资本经营预算财政拨款 = 国有资本经营预算财政拨款收入支出决算表 对应类的本年支出"),
    Rule("04合计=三项之和", "财政拨款收入支出决算总表一行的“合计”不等于三种拨款之和",
         "财政拨款收入支出决算总表 每行 合计 = 三种财政拨款之和", is_sum=True),
    Rule("06类=Σ款", "基本支出决算表的类不等于其下各款之和", "一般公共预算财政拨款基本支出决算表 每个类 = 其下各款之和",
         is_sum=True),
    Rule("06经费合计", "基本支出决算表人员经费合计或公用经费合计对不上",
         "一般公共预算财政拨款基本支出决算表 人员经费合计 = 301 + 303；公用经费合计 = 302 + 310", is_sum=True),
    Rule("07小计=购置+运行", "“三公”经费表公务用车小计不等于购置费加运行维护费",
         "财政拨款“三公”经费支出决算表 公务用车小计 = 购置费 + 运行维护费", is_sum=True),
    Rule("07合计=三项之和", "“三公”经费表合计不等于三项之和",
         "财政拨款“三公”经费支出决算表 合计 = 因公出国（境）费 + 公务用车小计 + 公务接待费", is_sum=True),
)


def agree(c: Context, rule: str, what: str, left: Decimal, right: Decimal, cells, left_label: str,
          right_label: str, terms: int = 1):
    """Two figures that must agree, each rounded (``left`` a sum of ``terms`` rounded figures):
    a difference within the rounding of them all is not a finding."""
    if abs(left - right) > c.fmt.tolerance * (terms + 1):
        yield mismatch(rule, what, left, right, cells, stated_label=left_label, computed_label=right_label)


def _balance(key: str, name: str):
    def check(c: Context):
        table, stated = c.fig[key], c.wb[key]
        yield from agree(c, f"{key}收支平衡", f"{name} 收入总计与支出总计", table["收入总计"], table["支出总计"],
                         (stated.get("收入总计").ref, stated.get("支出总计").ref), "收入总计", "支出总计")
    return check


def _appropriation_vs_t02(c: Context):
    t01 = c.fig["01"]
    appropriation = sum((t01[T01.at(n).key] for n in (1, 2, 3)), ZERO)
    stated = c.wb["02"]
    cell = stated.total[1].ref if stated.total else "收入决算表"
    yield from agree(c, "02财政拨款=01三项", "收入决算表 合计的财政拨款收入与收入支出决算总表三项财政拨款收入之和",
                     c.fig["02"].total[1], appropriation,
                     (cell, *(c.wb["01"].get(T01.at(n).key).ref for n in (1, 2, 3))),
                     "收入决算表", "收入支出决算总表三项之和", terms=3)


def _basic_vs_t06(c: Context):
    totals = c.fig["06"].totals
    personnel, public = totals["人员经费合计"][0], totals["公用经费合计"][0]
    stated = c.wb["05"]
    cell = stated.total[1].ref if stated.total else "一般公共预算财政拨款支出决算表"
    yield from agree(c, "05基本支出=06经费合计", "一般公共预算财政拨款支出决算表 合计的基本支出与基本支出决算表人员经费、公用经费之和",
                     personnel + public, c.fig["05"].total[1],
                     (c.wb["06"].totals["人员经费合计"][0].ref, c.wb["06"].totals["公用经费合计"][0].ref, cell),
                     "人员经费合计 + 公用经费合计", "基本支出", terms=2)


def _fund_income(key: str, row: int, name: str):
    def check(c: Context):
        lines, stated = c.fig[key], c.wb[key]
        cell = stated.total[1].ref if stated.total else name
        yield from agree(c, f"{key}本年收入=04收入", f"{name} 合计的本年收入与财政拨款收入支出决算总表的对应收入",
                         lines.total[1], c.fig["04"][c.fmt.table("04").at(row).key],
                         (cell, c.wb["04"].get(c.fmt.table("04").at(row).key).ref), name, "财政拨款收入支出决算总表")
    return check


def _budget_total(c: Context):
    typed = c.wb.figure("一般公共预算财政拨款支出年初预算")
    listed = c.wb.lists.get(BUDGETS.sheet, [])
    codes = {line.code for line in c.fig["05"] if line.code}
    parts = [row["budget"] for row in listed if row["code"].value in codes]
    if typed.value is None or not parts:
        return
    added = sum((p.amount for p in parts), ZERO)
    if abs(typed.value - added) > c.fmt.tolerance * (len(parts) + 1):
        yield mismatch("年初预算=各项之和", "情况说明 一般公共预算财政拨款支出年初预算与年初预算表各项之和",
                       typed.value, added, (typed.ref, *(p.ref for p in parts)), computed_label="各项之和")


def _budget_codes(c: Context):
    """A 年初预算 row whose code is in no table: its 项 would never be said."""
    codes = {line.code for key in ("05", "08", "09") for line in c.fig[key] if line.code}
    for row in c.wb.lists.get(BUDGETS.sheet, []):
        code = row["code"]
        if code.value and code.value not in codes:
            yield Finding(WARNING, "年初预算科目在表中", f"{code.ref}：年初预算表的科目编码 {code.value} 不在一般公共预算、"
                          "政府性基金或国有资本经营预算财政拨款支出决算表中，情况说明不会说到它（请核对编码是否写错）",
                          (code.ref,))


def _procurement(c: Context):
    typed = c.wb.figure("政府采购金额")
    kinds = [c.wb.figure(k) for k in ("货物采购金额", "工程采购金额", "服务采购金额")]
    if typed.value is None:
        return
    yield from agree(c, "采购金额=三类之和", "情况说明 政府采购金额与货物、工程、服务采购金额之和",
                     typed.value, sum((k.amount for k in kinds), ZERO), (typed.ref, *(k.ref for k in kinds)),
                     "政府采购金额", "三类之和", terms=len(kinds))


def _counts(total: str, parts: tuple[str, ...], rule: str):
    def check(c: Context):
        stated = c.wb.figure(total)
        cells = [c.wb.figure(p) for p in parts]
        if stated.value is None:
            return
        added = sum((p.amount for p in cells), ZERO)
        if added != stated.value:
            yield mismatch(rule, f"情况说明 {total}与{'、'.join(parts)}之和", stated.value, added,
                           (stated.ref, *(p.ref for p in cells)), computed_label="各项之和")
    return check


def _running_costs(c: Context):
    """机关运行经费 is the 日常公用经费 of 行政单位 and 参公事业单位: part of 公用经费合计."""
    stated = c.wb.figure("机关运行经费支出")
    public = c.fig["06"].totals["公用经费合计"][0]
    if stated.value is not None and stated.value > public + c.fmt.tolerance:
        yield mismatch("机关运行经费≤公用经费", "情况说明 机关运行经费支出超过基本支出决算表的公用经费合计", stated.value, public,
                       (stated.ref, c.wb["06"].totals["公用经费合计"][0].ref), computed_label="公用经费合计")


_PRIOR = ("上年收入支出总计", "上年财政拨款收入支出总计", "上年一般公共预算财政拨款支出", "上年“三公”经费合计",
          "上年机关运行经费支出")


def _prior_present(c: Context):
    for label in _PRIOR:
        stated = c.wb.figure(label)
        if stated.value is None:
            ref = stated.ref or "情况说明"
            yield Finding(WARNING, "上年数已填", f"“{label}”未填写：情况说明将不与上年比较（上年为 0 请填 0）", (ref,))


CHECKS = (
    Rule("01收支平衡", "收入支出决算总表收入总计与支出总计不等", "收入支出决算总表 收入总计 = 支出总计", _balance("01", "收入支出决算总表"),
         reads=("01",)),
    Rule("04收支平衡", "财政拨款收入支出决算总表收入总计与支出总计不等", "财政拨款收入支出决算总表 收入总计 = 支出总计",
         _balance("04", "财政拨款收入支出决算总表"), reads=("04",)),
    Rule("02财政拨款=01三项", "收入决算表的财政拨款收入与收入支出决算总表不一致",
         "收入决算表 合计的财政拨款收入 = 收入支出决算总表 三项财政拨款收入之和", _appropriation_vs_t02, reads=("01", "02")),
    Rule("05基本支出=06经费合计", "一般公共预算基本支出与基本支出决算表不一致",
         "一般公共预算财政拨款支出决算表 合计的基本支出 = 基本支出决算表 人员经费合计 + 公用经费合计", _basic_vs_t06,
         reads=("05", "06")),
    Rule("08本年收入=04收入", "政府性基金决算表的本年收入与财政拨款收入支出决算总表不一致",
         "政府性基金预算财政拨款收入支出决算表 合计的本年收入 = 财政拨款收入支出决算总表 政府性基金预算财政拨款收入",
         _fund_income("08", 2, "政府性基金预算财政拨款收入支出决算表"), reads=("08", "04")),
    Rule("09本年收入=04收入", "国有资本经营决算表的本年收入与财政拨款收入支出决算总表不一致",
         "国有资本经营预算财政拨款收入支出决算表 合计的本年收入 = 财政拨款收入支出决算总表 国有资本经营预算财政拨款收入",
         _fund_income("09", 3, "国有资本经营预算财政拨款收入支出决算表"), reads=("09", "04")),
    Rule("年初预算=各项之和", "年初预算合计与各项之和不一致",
         "情况说明 一般公共预算财政拨款支出年初预算 = 年初预算表中一般公共预算各项之和（按万元尾数允许误差）", _budget_total,
         reads=("05",)),
    Rule("年初预算科目在表中", "年初预算表的科目不在支出决算表中", "年初预算表的每个科目编码都在财政拨款支出决算表中",
         _budget_codes, WARNING, reads=("05", "08", "09")),
    Rule("采购金额=三类之和", "政府采购金额与货物、工程、服务之和不一致", "政府采购金额 = 货物 + 工程 + 服务采购金额",
         _procurement),
    Rule("绩效评级个数=自评个数", "各评级项目个数之和与绩效自评项目个数不一致",
         "绩效评级为优、良、合格、不合格的项目个数之和 = 绩效自评项目个数",
         _counts("绩效自评项目个数", ("绩效评级为优的项目个数", "绩效评级为良的项目个数", "绩效评级为合格的项目个数",
                                 "绩效评级为不合格的项目个数"), "绩效评级个数=自评个数")),
    Rule("整改个数=发现问题个数", "已整改与正在整改的问题个数之和与发现问题个数不一致",
         "已完成整改 + 正在整改的问题个数 = 绩效自评发现问题个数",
         _counts("绩效自评发现问题个数", ("已完成整改问题个数", "正在整改问题个数"), "整改个数=发现问题个数")),
    Rule("机关运行经费≤公用经费", "机关运行经费超过公用经费（请核实）",
         "情况说明 机关运行经费支出 ≤ 基本支出决算表 公用经费合计", _running_costs, WARNING, reads=("06",)),
    Rule("上年数已填", "上年数未填写", "情况说明比较的上年数都已填写", _prior_present, WARNING),
)
