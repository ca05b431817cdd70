"""The Shanxi format's rules: the names of the identities its tables declare, and its checks
across tables and of the 情况说明 inputs against the tables and the 自评表 sheets."""

from __future__ import annotations

from decimal import Decimal

from generator.audit import Context, equal
from generator.findings import ERROR, WARNING, Finding, mismatch
from generator.model import MISSING, Text
from generator.money import ZERO, fmt_money, wan_to_yuan
from generator.projects import ProjectFigures
from generator.spec import Rule
from .narrative import OVERALL_FIGURES, OVERALL_TEXTS, grades
from .tables import T01, T04, T05, T06, T07, T10

# The identities of tables.py, by the rule names they declare.
IDENTITIES = (
    Rule("01收入=02合计", "公开01表的收入与公开02表合计不一致", "公开01表 行4–8 各项收入 = 公开02表 合计的对应栏"),
    Rule("01支出类=03类", "公开01表的支出与公开03表各类不一致", "公开01表 支出各类 = 公开03表 对应类的本年支出合计"),
    Rule("01合计行", "公开01表的合计、总计行对不上", "公开01表 本年收入合计、收入总计、本年支出合计、支出总计 = 其各行之和",
         is_sum=True),
    Rule("04收入=01收入", "公开04表的收入与公开01表不一致", "公开04表 行1–3 财政拨款收入 = 公开01表 行1–3"),
    Rule("04合计行", "公开04表的合计、总计行对不上", "公开04表 本年收入合计、年初结转和结余、收入总计、本年支出合计、总计 = 其各行之和",
         is_sum=True),
    Rule("04类=05类", "公开04表的一般公共预算支出与公开05表不一致", "公开04表 各类的一般公共预算财政拨款 = 公开05表 对应类"),
    Rule("04类=08类", "公开04表的政府性基金支出与公开08表不一致", "公开04表 各类的政府性基金预算财政拨款 = 公开08表 对应类的本年支出"),
    Rule("04类=09类", "公开04表的国有资本经营支出与公开09表不一致", "公开04表 各类的国有资本经营预算财政拨款 = 公开09表 对应类"),
    Rule("04合计=三项之和", "公开04表一行的“合计”不等于三种拨款之和", "公开04表 每行 合计 = 三种财政拨款之和", is_sum=True),
    Rule("06类=Σ款", "公开06表的类不等于其下各款之和", "公开06表 每个类（金额、基本支出）= 其下各款之和", is_sum=True),
    Rule("06经费合计", "公开06表人员经费合计或公用经费合计对不上", "公开06表 人员经费合计 = 301 + 303；公用经费合计 = 其余各类",
         is_sum=True),
    Rule("07小计=购置+运行", "公开07表公务用车小计不等于购置费加运行费", "公开07表 公务用车小计 = 购置费 + 运行维护费",
         is_sum=True),
    Rule("07合计=三项之和", "公开07表合计不等于三项之和", "公开07表 合计 = 因公出国（境）费 + 公务用车小计 + 公务接待费", is_sum=True),
    Rule("10采购合计", "公开10表政府采购合计不等于货物、工程、服务之和", "公开10表 政府采购合计 = 货物 + 工程 + 服务", is_sum=True),
    Rule("10车辆合计", "公开10表车辆数合计不等于各类车辆之和", "公开10表 车辆数合计 = 各类用车之和", is_sum=True),
)


def _current_year_present(c: Context):
    t01, stated = c.fig["01"], c.wb["01"]
    if t01["收入总计"] or t01["支出总计"]:
        return
    cells = tuple(ref for ref in (stated.get("一、一般公共预算财政拨款收入").ref, stated.get("收入总计").ref) if ref)
    yield Finding(ERROR, "本年决算数已填", f"工作簿中没有{c.wb.year}年度的决算数：公开01表收入总计、支出总计都是空白或 0。"
                  f"请把{c.wb.year}年度决算数填入公开01–10表（公开01表从行1“一般公共预算财政拨款收入”起）", cells or ("公开01表",))


def _t01_balance(c: Context):
    t01, stated = c.fig["01"], c.wb["01"]
    yield from equal("01收支平衡", f"公开01表 收入总计（行{T01.row('收入总计').line}）与支出总计（行{T01.row('支出总计').line}）", t01["收入总计"], t01["支出总计"],
                     (stated.get("收入总计").ref, stated.get("支出总计").ref), "收入总计", "支出总计")


_APPROPRIATION_ROWS = ("一、一般公共预算财政拨款收入", "二、政府性基金预算财政拨款收入", "三、国有资本经营预算财政拨款收入")


def _t01_vs_t02_appropriation(c: Context):
    t01, t02 = c.fig["01"], c.wb["02"]
    appropriation = sum((t01[name] for name in _APPROPRIATION_ROWS), ZERO)
    column = c.fmt.table("02").column("财政拨款收入")
    t02_total = c.fig["02"].total[column]
    cells = [c.wb["01"].get(name).ref for name in _APPROPRIATION_ROWS]
    if t02.total:
        cells.append(t02.total[column].ref)
    yield from equal("01财政拨款=02财政拨款收入", "公开01表 行1–3财政拨款收入之和与公开02表 合计“财政拨款收入”",
                     appropriation, t02_total, cells, "公开01表为", "公开02表为")


def _t04_balance(c: Context):
    t04, stated = c.fig["04"], c.wb["04"]
    yield from equal("04收支平衡", f"公开04表 收入总计（行{T04.row('收入总计').line}）与总计（行{T04.row('支出总计').line}）", t04["收入总计"], t04["支出总计"],
                     (stated.get("收入总计").ref, stated.get("支出总计").ref), "收入总计", "支出总计")


def _t05_vs_t06(rule: str, column: str, t06_column: int, what: str):
    def check(c: Context):
        g = c.fig["05"].total
        totals = c.wb["05"].total or (MISSING,) * len(T05.columns)
        t06, typed = c.fig["06"].totals, c.wb["06"].totals
        yield from equal(rule, f"公开05表 合计“{column}”与公开06表 人员经费合计+公用经费合计“{what}”",
                         g[T05.column(column)], t06["人员经费合计"][t06_column] + t06["公用经费合计"][t06_column],
                         (totals[T05.column(column)].ref, typed["人员经费合计"][t06_column].ref,
                          typed["公用经费合计"][t06_column].ref), "公开05表按明细为", "公开06表按明细为")
    return check


def _t06_basic_within_amount(c: Context):
    for code, (amount, basic) in c.fig["06"].rows.items():
        if basic is not None and basic > amount:
            stated = c.wb["06"].rows.get(code, (MISSING, MISSING))
            yield mismatch("06基本支出≤金额", f"公开06表 {code}{T06.names[code]}“其中：基本支出”超过“金额”",
                           basic, amount, (stated[1].ref, stated[0].ref), stated_label="基本支出",
                           computed_label="金额")


def _t07_vs_t06(c: Context):
    actual, typed = c.fig["07"]["决算数"], c.wb["07"].groups["决算数"]
    for column, code in (("因公出国（境）费", "30212"), ("公务用车运行维护费", "30231"), ("公务接待费", "30217")):
        i = T07.column(column)
        amount = c.fig["06"].rows.get(code, (ZERO, None))[0]
        if actual[i] != amount:
            yield mismatch("07决算与06对应科目", f"公开07表 决算“{column}”与公开06表 {code}"
                           f"{T06.names[code]}（07含以前年度结转资金时可不同，请核实）", actual[i], amount,
                           (typed[i].ref, c.wb["06"].rows.get(code, (MISSING,))[0].ref),
                           stated_label="公开07表为", computed_label="公开06表为")


_RUNNING_COSTS = ("（一）行政单位", "（二）参照公务员法管理事业单位")


def _t10_vs_t06(c: Context):
    t10, stated = c.fig["10"], c.wb["10"]
    yield from equal("10机关运行经费=06公用经费基本", f"公开10表 机关运行经费（{'+'.join(f'行{T10.row(n).line}' for n in _RUNNING_COSTS)}）与公开06表 公用经费合计“基本支出”",
                     sum((t10[name] for name in _RUNNING_COSTS), ZERO), c.fig["06"].totals["公用经费合计"][1],
                     (*(stated.get(name).ref for name in _RUNNING_COSTS), c.wb["06"].totals["公用经费合计"][1].ref),
                     "公开10表为", "公开06表按明细为")


def _micro_within_sme(c: Context):
    sme, micro = c.wb.figure("授予中小企业合同金额"), c.wb.figure("授予小微企业合同金额")
    if micro.amount > sme.amount:
        yield mismatch("小微企业≤中小企业", "授予小微企业合同金额超过授予中小企业合同金额（小微企业是中小企业的一部分）",
                       micro.amount, sme.amount, (micro.ref, sme.ref), stated_label="小微企业",
                       computed_label="中小企业")


def _sme_within_procurement(c: Context):
    sme, procurement = c.wb.figure("授予中小企业合同金额"), c.fig["10"]["政府采购合计"]
    if sme.amount > procurement:
        yield mismatch("中小企业≤采购合计", f"授予中小企业合同金额超过政府采购支出总额（公开10表行{T10.row('政府采购合计').line}）",
                       sme.amount, procurement, (sme.ref, c.wb["10"].get("政府采购合计").ref), stated_label="中小企业",
                       computed_label="采购合计")


# Sentences and the prior-year input each one compares against.
_PRIOR_NEEDED = (
    ("上年收入总计", "一、收入支出决算总体情况"), ("上年支出总计", "一、收入支出决算总体情况"),
    ("上年财政拨款收入总计", "四、财政拨款收支决算总体情况"), ("上年财政拨款支出总计", "四、财政拨款收支决算总体情况"),
    ("上年一般公共预算财政拨款支出", "五(一)财政拨款支出决算总体情况"), ("上年“三公”经费合计", "九(一)“三公”经费"),
    ("上年机关运行经费", "十(一)机关运行经费"),
)


def prior_present(needed):
    """The rule that every prior-year input a sentence compares against is filled in: ``needed``
    is ((label, the section comparing against it), …)."""
    def check(c: Context):
        for label, section in needed:
            value = c.wb.figure(label)
            if value.value is None:
                yield Finding(WARNING, "上年数已填", f"“{label}”未填写：{section}将不与上年比较（上年确为 0 时请填 0）",
                              (value.ref or "情况说明",))
    return check


# How far a figure may plausibly move in a year, either way: beyond it, one of the two was typed
# in 万元 (10000 times smaller) or with digits missing.
PLAUSIBLE_CHANGE = Decimal(100)


def _this_year(c: Context) -> list[tuple[str, str, Decimal]]:
    """(last year's input, what this year's figure is, this year's figure) for every figure the
    情况说明 compares with last year."""
    fig = c.fig
    actual = dict(zip(T07.columns, fig["07"]["决算数"]))
    pairs = [("上年收入总计", "公开01表 收入总计", fig["01"]["收入总计"]),
             ("上年支出总计", "公开01表 支出总计", fig["01"]["支出总计"]),
             ("上年财政拨款收入总计", "公开04表 收入总计", fig["04"]["收入总计"]),
             ("上年财政拨款支出总计", "公开04表 支出总计", fig["04"]["支出总计"]),
             ("上年一般公共预算财政拨款支出", "公开05表 合计", fig["05"].total[0]),
             ("上年“三公”经费合计", "公开07表 决算合计", actual["合计"]),
             ("上年机关运行经费", "公开10表 机关运行经费", sum((fig["10"][n] for n in _RUNNING_COSTS), ZERO))]
    pairs += [(f"上年{label}", f"公开07表 决算“{label}”", actual[label])
              for label in ("因公出国（境）费", "公务用车购置费", "公务用车运行维护费", "公务接待费")]
    return pairs


def _implausible(stated: Decimal, current: Decimal) -> bool:
    return stated > 0 and current > 0 and not current / PLAUSIBLE_CHANGE <= stated <= current * PLAUSIBLE_CHANGE


def _plausible_prior(c: Context):
    for label, what, current in _this_year(c):
        stated = c.wb.figure(label)
        if stated.value is not None and _implausible(stated.value, current):
            yield Finding(WARNING, "上年数量级", f"“{label}”填 {fmt_money(stated.value)}，而本年{what}为 {fmt_money(current)}，"
                          f"相差 {PLAUSIBLE_CHANGE:,} 倍以上：请核对是否按万元填写了或少输了位数（金额一律按元填写）",
                          (stated.ref,))
    classes = c.fig["05"].class_totals(0)
    for budget in c.wb.class_budget:
        for stated, what in ((budget.initial, "年初预算"), (budget.prior, "上年决算")):
            current = classes.get(budget.code, ZERO)
            if stated.value is not None and _implausible(stated.value, current):
                yield Finding(WARNING, "上年数量级", f"分类预算 {budget.code}{budget.name}“{what}”填 {fmt_money(stated.value)}，"
                              f"而本年公开05表 {budget.code} 为 {fmt_money(current)}，相差 {PLAUSIBLE_CHANGE:,} 倍以上："
                              "请核对是否按万元填写了或少输了位数（金额一律按元填写）", (stated.ref,))


# What the report leaves out for each blank part of 十(四)'s 整体支出绩效自评.
_OVERALL_LEFT_OUT = {"整体自评涉及资金": "十(四)（1）不写整体自评涉及的资金",
                     "整体自评得分": "十(四)（3）不写整体绩效自评得分",
                     "整体全年预算数": "十(四)（3）不写全年预算数和执行率",
                     "整体执行数": "十(四)（3）不写执行数和执行率"}


# The 情况说明 counts of 九（二） and the 公开07表 决算 figure that, spent, makes them worth saying.
_COUNTS_OF = (("出国团组数", "因公出国（境）费"), ("出国人次", "因公出国（境）费"), ("购置公务用车数", "公务用车购置费"),
              ("公务用车保有量", "公务用车运行维护费"))


def _blank_optional(c: Context):
    """Optional inputs a published report normally carries, left blank: one warning each, saying
    what the report then leaves out."""
    wb = c.wb
    if not wb.class_budget and not wb.inputs.get("五(三)替换文字", MISSING).value:
        yield Finding(WARNING, "可选项已填", "“分类预算”表没有填写：五（三）只写财政拨款支出决算数，不与年初预算比较，"
                      "也不逐类说明（可以不填；公开的报告通常有这一段，要写请填分类预算表）", ("分类预算",))
    for row in wb.class_budget:
        if row.initial.value is None:
            yield Finding(WARNING, "可选项已填", f"分类预算 {row.code}{row.name}的“年初预算”未填写：五（三）这一类"
                          "不写年初预算和完成比例", (row.initial.ref,))
    actual = dict(zip(T07.columns, c.fig["07"]["决算数"]))
    for label, spent in _COUNTS_OF:
        stated = wb.figure(label)
        if stated.value is None and actual[spent]:
            yield Finding(WARNING, "可选项已填", f"“{label}”未填写：九（二）不写这个数（{spent}支出 "
                          f"{fmt_money(actual[spent])} 元）", (stated.ref or "情况说明",))
    share = wb.figure("项目自评占项目支出总额比例")
    if share.value is None and wb.figure("项目自评涉及资金").value:
        yield Finding(WARNING, "可选项已填", "“项目自评占项目支出总额比例”未填写：十(四)（1）不写项目自评资金占项目支出总额的比例",
                      (share.ref or "情况说明",))
    overall = {label: wb.figure(label) for label in OVERALL_FIGURES}
    if not any(v.value is not None for v in overall.values()) and not any(
            isinstance(wb.inputs.get(label), Text) and wb.inputs[label].value for label in OVERALL_TEXTS):
        cell = overall["整体自评得分"].ref or "情况说明"
        yield Finding(WARNING, "可选项已填", "十(四) 部门（单位）整体支出绩效自评没有填写（涉及资金、得分、全年预算数、执行数都是空白）："
                      "报告写“本年度未开展部门（单位）整体支出绩效自评。”；开展了的请填写", (cell,))
        return
    for label, stated in overall.items():
        if stated.value is None:
            yield Finding(WARNING, "可选项已填", f"“{label}”未填写：{_OVERALL_LEFT_OUT[label]}", (stated.ref or "情况说明",))


def _performance_vs_sheets(c: Context):
    count = c.wb.figure("二级项目个数")
    if count.value is None or count.value != len(c.projects):
        return
    for grade in grades(c.fmt):
        stated = c.wb.figure(f"二级项目{grade}")
        actual = Decimal(sum(1 for p in c.projects if p.grade == grade))
        if stated.amount != actual:
            cells = (stated.ref, *(p.project.stated_total.ref for p in c.projects))
            yield mismatch("绩效等级个数=自评表", f"二级项目自评等级为“{grade}”的个数（自评表共 {len(c.projects)} 张）",
                           stated.amount, actual, cells, computed_label="按自评表总分计")


def _sheets_budget(projects: list[ProjectFigures]) -> tuple[Decimal, Decimal]:
    """Σ 全年预算数 of the 自评表 sheets in 元, and how far it may be off: each sheet's 万元 figure
    is rounded at its last decimal place."""
    amount = sum((wan_to_yuan(p.budget) for p in projects), ZERO)
    slack = sum((Decimal(10000) * Decimal("0.5").scaleb(p.budget.as_tuple().exponent) for p in projects), ZERO)
    return amount, slack


# 十(四) figures that count the 自评表 sheets and add up their 全年预算数.
_PERFORMANCE_TOTALS = (("二级项目自评个数", "项目自评涉及资金", "（1）预算绩效管理工作开展情况"),
                       ("二级项目个数", "二级项目涉及资金", "（2）项目绩效自评结果"))


def _performance_counts(c: Context):
    sheets = len(c.projects)
    for count_label, _, section in _PERFORMANCE_TOTALS:
        count = c.wb.figure(count_label)
        if count.value is not None and count.value != sheets:
            yield Finding(WARNING, "自评个数=自评表张数",
                          f"十(四){section}“{count_label}”填 {int(count.value)} 个，工作簿中的项目绩效自评表有 {sheets} 张"
                          "（只公开部分项目的自评表时可以不同；否则请改正个数或补齐自评表）", (count.ref,))


def _performance_amounts(c: Context):
    sheets = len(c.projects)
    amount_total, slack = _sheets_budget(c.projects)
    for count_label, amount_label, section in _PERFORMANCE_TOTALS:
        count, amount = c.wb.figure(count_label), c.wb.figure(amount_label)
        if count.value is not None and count.value != sheets:
            continue  # the count is off already: the sheets are not all there
        if amount.value is not None and abs(amount.value - amount_total) > slack:
            yield mismatch("自评涉及资金=自评表预算数", f"十(四){section}“{amount_label}”与 {sheets} 张项目绩效自评表"
                           "“全年预算数”之和", amount.value, amount_total, (amount.ref,), computed_label="自评表合计")


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


# The counts 九(二) prints as they are typed ("共接待3批次，62人次"): a blank one would read 0.
_PRINTED_COUNTS = ("出国团组数", "出国人次", "购置公务用车数", "公务用车保有量", "国内接待批次", "国内接待人次",
                   "外事接待批次", "外事接待人次", "国（境）外接待批次", "国（境）外接待人次")


def _counts_present(c: Context):
    for label in _PRINTED_COUNTS:
        value = c.wb.figure(label)
        if value is not MISSING and value.value is None:
            yield Finding(WARNING, "个数已填", f"“{label}”未填写：九(二)“三公”经费的说明会写成 0（确为 0 时请填 0）",
                          (value.ref,))


CHECKS = (
    Rule("本年决算数已填", "本年决算数未填", "工作簿有本年决算数（公开01表收入总计、支出总计不都为空白或 0）",
         _current_year_present, reads=("01",)),
    Rule("01收支平衡", "公开01表收入总计不等于支出总计", "公开01表 收入总计 = 支出总计", _t01_balance, reads=("01",)),
    Rule("01财政拨款=02财政拨款收入", "公开01表财政拨款收入与公开02表不一致", "公开01表 行1–3 之和 = 公开02表 合计的财政拨款收入",
         _t01_vs_t02_appropriation, reads=("01", "02")),
    Rule("04收支平衡", "公开04表收入总计不等于支出总计", "公开04表 收入总计 = 总计", _t04_balance, reads=("04",)),
    Rule("05基本支出=06经费合计", "公开05表基本支出与公开06表经费合计不一致",
         "公开05表 合计的基本支出 = 公开06表 人员经费合计 + 公用经费合计的基本支出",
         _t05_vs_t06("05基本支出=06经费合计", "基本支出", 1, "基本支出"), reads=("05", "06")),
    Rule("05合计=06经费合计", "公开05表合计与公开06表经费合计不一致", "公开05表 合计的小计 = 公开06表 人员经费合计 + 公用经费合计的金额",
         _t05_vs_t06("05合计=06经费合计", "小计", 0, "金额"), reads=("05", "06")),
    Rule("06基本支出≤金额", "公开06表基本支出超过金额", "公开06表 每行“其中：基本支出”不超过“金额”", _t06_basic_within_amount, reads=("06",)),
    Rule("07决算与06对应科目", "公开07表“三公”决算与公开06表对应科目不一致",
         "公开07表 决算的出国、运行维护、接待 = 公开06表 30212/30231/30217", _t07_vs_t06, WARNING,
         reads=("07", "06")),
    Rule("10机关运行经费=06公用经费基本", "公开10表机关运行经费与公开06表公用经费不一致",
         "公开10表 机关运行经费 = 公开06表 公用经费合计的基本支出", _t10_vs_t06, reads=("10", "06")),
    Rule("小微企业≤中小企业", "小微企业合同金额超过中小企业", "授予小微企业合同金额 ≤ 授予中小企业合同金额", _micro_within_sme),
    Rule("中小企业≤采购合计", "中小企业合同金额超过政府采购总额", "授予中小企业合同金额 ≤ 公开10表 政府采购合计",
         _sme_within_procurement, reads=("10",)),
    Rule("上年数已填", "上年数未填写", "情况说明引用的上年数都已填写", prior_present(_PRIOR_NEEDED), WARNING),
    Rule("可选项已填", "可不填的内容没有填写", "分类预算、十(四) 整体支出绩效自评等报告通常写明的内容已填写", _blank_optional,
         WARNING, reads=("07",)),
    Rule("上年数量级", "上年数与本年相差过大（是否按万元填写）",
         f"情况说明的上年数、分类预算的年初预算和上年决算与本年对应的数相差不超过 {PLAUSIBLE_CHANGE:,} 倍",
         _plausible_prior, WARNING, reads=("01", "04", "05", "07", "10")),
    Rule("个数已填", "个数未填写", "“三公”经费的团组、人次、车辆、批次数都已填写", _counts_present, WARNING),
    Rule("自评个数=自评表张数", "自评项目个数或涉及资金与自评表不一致",
         "十(四) 二级项目个数与项目绩效自评表的张数一致（只公开部分自评表时可不同）", _performance_counts, WARNING),
    Rule("自评涉及资金=自评表预算数", "涉及资金与自评表全年预算数之和不一致",
         "十(四) 涉及资金 = 项目绩效自评表“全年预算数”之和（个数与张数一致时）", _performance_amounts, WARNING),
    Rule("涉及资金=各预算之和", "涉及资金不等于各类预算资金之和",
         "十(四) 各涉及资金 = 其中一般公共预算、政府性基金预算、国有资本经营预算、社会保险基金预算之和", _fund_split),
    Rule("绩效等级个数=自评表", "各等级项目个数与自评表不一致", "二级项目按等级的个数与自评表一致（个数等于自评表张数时）",
         _performance_vs_sheets),
)
