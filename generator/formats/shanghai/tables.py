"""The nine tables of the 上海市部门决算 (the national 部门决算 template, 附件2), every row and
column, and where each computed figure comes from. Figures are in 万元 as published.

The function tables (02, 03, 05, 08, 09) have whatever 功能分类科目 the unit has; the 行次 tables
(01, 04) have the template's rows. The workbook numbers those rows by 行次 (the report prints
none): 收入 rows 1–…, 支出 rows after them, as the blank workbook lays them out.
"""

from __future__ import annotations

from generator.money import chinese_number
from generator.spec import (
    ClassOf,
    EconomicTable,
    EconomicTotal,
    FunctionTable,
    LineOf,
    LineTable,
    Row,
    RowTable,
    Side,
    Sum,
    TotalOf,
)

# The 24 expenditure 类 of 01 and 04 in the template's order (附件2, 2024 on), with their codes.
EXPENSE_CLASSES: tuple[tuple[str, str], ...] = (
    ("201", "一般公共服务支出"), ("202", "外交支出"), ("203", "国防支出"),
    ("204", "公共安全支出"), ("205", "教育支出"), ("206", "科学技术支出"),
    ("207", "文化旅游体育与传媒支出"), ("208", "社会保障和就业支出"), ("210", "卫生健康支出"),
    ("211", "节能环保支出"), ("212", "城乡社区支出"), ("213", "农林水支出"),
    ("214", "交通运输支出"), ("215", "资源勘探工业信息等支出"), ("216", "商业服务业等支出"),
    ("217", "金融支出"), ("219", "援助其他地区支出"), ("220", "自然资源海洋气象等支出"),
    ("221", "住房保障支出"), ("222", "粮油物资储备支出"), ("223", "国有资本经营预算支出"),
    ("224", "灾害防治及应急管理支出"), ("229", "其他支出"), ("234", "抗疫特别国债安排的支出"),
)
_N = len(EXPENSE_CLASSES)


def _classes(first_line: int, sources) -> tuple[Row, ...]:
    """The 类 rows from ``first_line`` on, printed 一、…, named by the bare 类 name."""
    return tuple(Row(first_line + i, f"{chinese_number(i + 1)}、{name}", name=name, side=1, sources=sources(code))
                 for i, (code, name) in enumerate(EXPENSE_CLASSES))


def _blank(lines, side: int = 0) -> tuple[Row, ...]:
    return tuple(Row(n, "", name=f"行{n}", side=side, blank=True) for n in lines)


_INCOMES = ("财政拨款收入", "上级补助收入", "事业收入", "经营收入", "附属单位上缴收入", "其他收入")
T02 = FunctionTable(
    "02", "收入决算表", ("本年收入合计", *_INCOMES), (Sum("本年收入合计", _INCOMES),),
    note="注：本表反映部门本年度取得的各项收入情况。", sheet="收入决算表",
)
_EXPENSES = ("基本支出", "项目支出", "上缴上级支出", "经营支出", "对附属单位补助支出")
T03 = FunctionTable(
    "03", "支出决算表", ("本年支出合计", *_EXPENSES), (Sum("本年支出合计", _EXPENSES),),
    note="注：本表反映部门本年度各项支出情况。", sheet="支出决算表",
)
T05 = FunctionTable(
    "05", "一般公共预算财政拨款支出决算表", ("合计", "基本支出", "项目支出"), (Sum("合计", ("基本支出", "项目支出")),),
    note="注：本表反映部门本年度一般公共预算财政拨款支出情况。", sheet="一般公共预算财政拨款支出决算表",
)
_FUND_COLUMNS = ("年初结转和结余", "本年收入", "本年支出合计", "基本支出", "项目支出", "年末结转和结余")
_FUND_SUMS = (Sum("本年支出合计", ("基本支出", "项目支出")),
              Sum("年末结转和结余", ("年初结转和结余", "本年收入"), ("本年支出合计",)))
T08 = FunctionTable(
    "08", "政府性基金预算财政拨款收入支出决算表", _FUND_COLUMNS, _FUND_SUMS,
    note="注：本表反映部门本年度政府性基金预算财政拨款收入支出及结转和结余情况。",
    sheet="政府性基金预算财政拨款收入支出决算表",
)
T09 = FunctionTable(
    "09", "国有资本经营预算财政拨款收入支出决算表", _FUND_COLUMNS, _FUND_SUMS,
    note="注：本表反映部门本年度国有资本经营预算财政拨款收入支出及结转和结余情况。",
    sheet="国有资本经营预算财政拨款收入支出决算表",
)

_APPROPRIATIONS = ("一般公共预算财政拨款", "政府性基金预算财政拨款", "国有资本经营预算财政拨款")
# 01's 收入 rows 4–8, each the 合计 of a column of 02.
_FROM_02 = {4: "上级补助收入", 5: "事业收入", 6: "经营收入", 7: "附属单位上缴收入", 8: "其他收入"}
_IN = _N + 1  # the 收入 side's closing rows come after as many rows as the 支出 side's 类

T01 = LineTable(
    "01", "收入支出决算总表",
    (Side("收入", ("决算数",)), Side("支出", ("决算数",))),
    (
        *(Row(n, f"{chinese_number(n)}、{kind}收入") for n, kind in enumerate(_APPROPRIATIONS, start=1)),
        *(Row(n, f"{chinese_number(n)}、{column}", sources=(TotalOf("02", column, "01收入=02合计"),))
          for n, column in _FROM_02.items()),
        *_blank(range(9, _IN)),
        Row(_IN, "本年收入合计", sum="1..8"), Row(_IN + 1, "使用非财政拨款结余"),
        Row(_IN + 2, "年初结转和结余"), Row(_IN + 3, "总计", name="收入总计", sum=f"{_IN}..{_IN + 2}"),
        *_classes(_IN + 4, lambda code: (ClassOf("03", code, "本年支出合计", "01支出类=03类"),)),
        Row(_IN + 4 + _N, "本年支出合计", side=1, sum=f"{_IN + 4}..{_IN + 3 + _N}"),
        Row(_IN + 5 + _N, "结余分配", side=1, signed=True),
        Row(_IN + 6 + _N, "年末结转和结余", side=1, signed=True),
        Row(_IN + 7 + _N, "总计", name="支出总计", side=1, sum=f"{_IN + 4 + _N}..{_IN + 6 + _N}"),
    ),
    rule="01合计行",
    note="注：本表反映部门本年度的总收支和年末结转结余情况。",
    sheet="收入支出决算总表",
)

_F = _N + 1  # 04's 收入 side: three kinds, blank rows to the 类's length, then 本年收入合计 …
T04 = LineTable(
    "04", "财政拨款收入支出决算总表",
    (Side("收入", ("决算数",)),
     Side("支出", ("合计", *_APPROPRIATIONS), total=Sum("合计", _APPROPRIATIONS, rule="04合计=三项之和"))),
    (
        *(Row(n, f"{chinese_number(n)}、{kind}", sources=(LineOf("01", T01.at(n).key, "04收入=01收入"),))
          for n, kind in enumerate(_APPROPRIATIONS, start=1)),
        *_blank(range(4, _F)),
        Row(_F, "本年收入合计", sum="1..3"),
        Row(_F + 1, "年初财政拨款结转和结余", sum=f"{_F + 2}..{_F + 4}"),
        *(Row(_F + 2 + i, f"{chinese_number(i + 1)}、{kind}", name=f"年初{kind}结转和结余")
          for i, kind in enumerate(_APPROPRIATIONS)),
        Row(_F + 5, "总计", name="收入总计", sum=f"{_F}+{_F + 1}"),
        *_classes(_F + 6, lambda code: (
            ClassOf("05", code, "合计", "04类=05类", target="一般公共预算财政拨款"),
            ClassOf("08", code, "本年支出合计", "04类=08类", target="政府性基金预算财政拨款"),
            ClassOf("09", code, "本年支出合计", "04类=09类", target="国有资本经营预算财政拨款"))),
        Row(_F + 6 + _N, "本年支出合计", side=1, sum=f"{_F + 6}..{_F + 5 + _N}"),
        Row(_F + 7 + _N, "年末财政拨款结转和结余", side=1),
        *_blank(range(_F + 8 + _N, _F + 11 + _N), side=1),
        Row(_F + 11 + _N, "总计", name="支出总计", side=1, sum=f"{_F + 6 + _N}+{_F + 7 + _N}"),
    ),
    rule="04合计行",
    note="注：本表反映部门本年度财政拨款总收支和结转结余情况。",
    sheet="财政拨款收入支出决算总表",
)

# 附件2's 基本支出 table: 人员经费 (301, 303) on the left, 公用经费 (302, 310) on the right.
_T06_BLOCKS = (
    (
        ("301", "工资福利支出"), ("30101", "基本工资"), ("30102", "津贴补贴"), ("30103", "奖金"),
        ("30106", "伙食补助费"), ("30107", "绩效工资"), ("30108", "机关事业单位基本养老保险缴费"),
        ("30109", "职业年金缴费"), ("30110", "职工基本医疗保险缴费"), ("30111", "公务员医疗补助缴费"),
        ("30112", "其他社会保障缴费"), ("30113", "住房公积金"), ("30114", "医疗费"),
        ("30199", "其他工资福利支出"), ("303", "对个人和家庭的补助"), ("30301", "离休费"),
        ("30302", "退休费"), ("30303", "退职（役）费"), ("30304", "抚恤金"), ("30305", "生活补助"),
        ("30306", "救济费"), ("30307", "医疗费补助"), ("30308", "助学金"), ("30309", "奖励金"),
        ("30310", "个人农业生产补贴"), ("30311", "代缴社会保险费"), ("30399", "其他对个人和家庭的补助"),
    ),
    (
        ("302", "商品和服务支出"), ("30201", "办公费"), ("30202", "印刷费"), ("30203", "咨询费"),
        ("30204", "手续费"), ("30205", "水费"), ("30206", "电费"), ("30207", "邮电费"),
        ("30208", "取暖费"), ("30209", "物业管理费"), ("30211", "差旅费"),
        ("30212", "因公出国（境）费用"), ("30213", "维修（护）费"), ("30214", "租赁费"),
        ("30215", "会议费"), ("30216", "培训费"), ("30217", "公务接待费"), ("30218", "专用材料费"),
        ("30224", "被装购置费"), ("30225", "专用燃料费"), ("30226", "劳务费"), ("30227", "委托业务费"),
        ("30228", "工会经费"), ("30229", "福利费"), ("30231", "公务用车运行维护费"),
        ("30239", "其他交通费用"), ("30240", "税金及附加费用"), ("30299", "其他商品和服务支出"),
        ("310", "资本性支出"), ("31001", "房屋建筑物购建"), ("31002", "办公设备购置"),
        ("31003", "专用设备购置"), ("31007", "信息网络及软件购置更新"), ("31013", "公务用车购置"),
        ("31019", "其他交通工具购置"), ("31021", "文物和陈列品购置"), ("31022", "无形资产购置"),
        ("31099", "其他资本性支出"),
    ),
)

T06 = EconomicTable(
    "06", "一般公共预算财政拨款基本支出决算表", _T06_BLOCKS,
    (EconomicTotal("人员经费合计", "personnel", ("301", "303")), EconomicTotal("公用经费合计", "public")),
    class_rule="06类=Σ款", total_rule="06经费合计",
    note="注：本表反映部门本年度一般公共预算财政拨款基本支出明细情况。",
    sheet="一般公共预算财政拨款基本支出决算表", amount_header="决算数", basic_header="",
)

T07 = RowTable(
    "07", "财政拨款“三公”经费支出决算表", ("预算数", "决算数"),
    ("合计", "因公出国（境）费", "小计", "公务用车购置费", "公务用车运行维护费", "公务接待费"),
    (Sum("小计", ("公务用车购置费", "公务用车运行维护费"), rule="07小计=购置+运行"),
     Sum("合计", ("因公出国（境）费", "小计", "公务接待费"), rule="07合计=三项之和")),
    header=(("合计", "因公出国（境）费", "公务用车购置及运行维护费", "", "", "公务接待费"),
            ("", "", "小计", "公务用车购置费", "公务用车运行维护费", "")),
    note="注：本表反映部门本年度“三公”经费支出预决算情况。",
    sheet="财政拨款“三公”经费支出决算表",
)

# In the order the report prints them.
TABLES = (T01, T02, T03, T04, T05, T06, T07, T08, T09)
