"""The Shanxi workbook's other sheets: 单位信息, 概况, 情况说明, 分类预算, 项目综述, 名词解释 and the
项目支出绩效自评表 sheets, by their labels."""

from __future__ import annotations

from decimal import Decimal

from generator.spec import Grade, InputSheet, ListSheet, OverviewSheet, ProjectSheets, Sheets, UnitSheet

# The grades of a 自评表's 总分, from the highest: the scoring, the blank workbook's formula, the
# 十(四) inputs below and the audit's words all take them from here.
GRADES = (Grade("优", Decimal(90)), Grade("良", Decimal(80)), Grade("中", Decimal(60)), Grade("差"))


def inputs(grades: tuple[Grade, ...]) -> tuple:
    """The 情况说明 sheet's inputs under their headings; 十(四) counts the projects of each grade."""
    return (
        ("一、收入支出决算总体情况", (
            ("上年收入总计", "amount"), ("上年支出总计", "amount"), ("收支总体变动原因", "text"))),
        ("四、财政拨款收支决算总体情况", (
            ("上年财政拨款收入总计", "amount"), ("上年财政拨款支出总计", "amount"),
            ("财政拨款收支变动原因", "text"))),
        ("五、一般公共预算财政拨款支出决算情况", (
            ("上年一般公共预算财政拨款支出", "amount"), ("一般公共预算财政拨款支出变动原因", "text"),
            ("五(三)替换文字", "text"))),
        ("六、一般公共预算财政拨款基本支出", (
            ("人员经费主要包括", "text"), ("公用经费主要包括", "text"))),
        ("九、“三公”经费", (
            ("上年“三公”经费合计", "amount"), ("“三公”经费变动原因", "text"),
            ("上年因公出国（境）费", "amount"), ("因公出国（境）费变动原因", "text"),
            ("上年公务用车购置费", "amount"), ("公务用车购置费变动原因", "text"),
            ("上年公务用车运行维护费", "amount"), ("公务用车运行维护费变动原因", "text"),
            ("上年公务接待费", "amount"), ("公务接待费变动原因", "text"),
            ("出国团组数", "count"), ("出国人次", "count"), ("因公出国（境）费主要用途", "text"),
            ("购置公务用车数", "count"), ("公务用车购置主要用途", "text"),
            ("公务用车保有量", "count"), ("公务用车运行维护费主要用途", "text"),
            ("国内接待批次", "count"), ("国内接待人次", "count"),
            ("外事接待费", "amount"), ("外事接待批次", "count"), ("外事接待人次", "count"),
            ("国内接待主要内容", "text"),
            ("国（境）外接待费", "amount"), ("国（境）外接待批次", "count"),
            ("国（境）外接待人次", "count"), ("国（境）外接待主要内容", "text"))),
        ("十、其他重要事项", (
            ("上年机关运行经费", "amount"), ("机关运行经费变动原因", "text"),
            ("授予中小企业合同金额", "amount"), ("授予小微企业合同金额", "amount"),
            ("其他用车主要用途", "text"))),
        ("十(四)、预算绩效情况", (
            ("一级项目自评个数", "count"), ("二级项目自评个数", "count"),
            ("项目自评涉及资金", "amount"), ("项目自评占项目支出总额比例", "amount"),
            ("项目自评一般公共预算项目支出", "amount"), ("项目自评政府性基金预算项目支出", "amount"),
            ("项目自评国有资本经营预算项目支出", "amount"), ("项目自评社会保险基金预算项目支出", "amount"),
            ("整体自评涉及资金", "amount"), ("整体自评一般公共预算支出", "amount"),
            ("整体自评政府性基金预算支出", "amount"), ("整体自评国有资本经营预算支出", "amount"),
            ("整体自评社会保险基金预算支出", "amount"),
            ("部门评价项目名称", "text"), ("部门评价项目个数", "count"), ("部门评价项目级次", "text"),
            ("部门评价涉及资金", "amount"), ("部门评价一般公共预算支出", "amount"),
            ("部门评价政府性基金预算支出", "amount"), ("部门评价国有资本经营预算支出", "amount"),
            ("部门评价社会保险基金预算支出", "amount"), ("部门评价结果", "text"),
            ("一级项目个数", "count"), ("一级项目涉及资金", "amount"),
            *((f"一级项目{grade.name}", "count") for grade in grades),
            ("一级项目改进措施", "text"),
            ("二级项目个数", "count"), ("二级项目涉及资金", "amount"),
            *((f"二级项目{grade.name}", "count") for grade in grades),
            ("二级项目改进措施", "text"),
            ("项目自评结果替换文字", "text"),
            ("整体自评得分", "amount"), ("整体全年预算数", "amount"), ("整体执行数", "amount"),
            ("整体年度绩效目标完成情况", "text"), ("整体主要问题及原因", "text"),
            ("整体下一步改进措施", "text"),
            ("部门评价项目绩效评价结果", "text"), ("其他需要说明的事项", "text"))),
    )


_INPUTS = inputs(GRADES)

SHEETS = Sheets(
    unit=UnitSheet("单位信息", ("项目", "内容"), ("单位名称", "年度", "主管部门及代码", "预算单位"),
                   name="单位名称", year="年度"),
    overview=OverviewSheet("概况", "第一部分 概况（每行一段）", ("栏目", "内容"),
                           (("duties", "本部门（单位）职责"), ("organization", "机构设置情况"))),
    inputs=InputSheet("情况说明", "第三部分 情况说明：表中没有的数字和文字（上年数按上年决算填列；原因等文字不必以句号结尾）",
                      ("项目", "内容"), _INPUTS, percent=frozenset(("项目自评占项目支出总额比例",))),
    class_budget=ListSheet("分类预算", {"code": "类编码", "name": "类名称", "initial": "年初预算", "prior": "上年决算",
                                        "purpose": "主要用途", "reason": "变动原因"}, amounts=("initial", "prior")),
    # The 附件 states money in 万元, rounded; where the 元 figures are known they go here.
    summaries=ListSheet("项目综述", {"name": "项目名称", "achieved": "绩效目标完成情况", "problems": "存在的问题及原因",
                                     "measures": "改进措施及建议", "budget": "全年预算数（元）", "spent": "全年执行数（元）"},
                        amounts=("budget", "spent"), optional=("budget", "spent")),
    terms=ListSheet("名词解释", {"term": "补充名词解释"}),
    projects=ProjectSheets(
        called="自评表",
        title_suffix="项目支出绩效自评表",
        head={"name": "项目名称", "supervisor": "主管部门及代码", "unit": "预算单位"},
        funds="项目资金预算安排及执行进度（万元）",
        initial="年初预算数",
        fund_columns={"declared": "目标申报数", "planned": "预算编制数", "budget": "全年预算数", "spent": "全年执行数",
                      "balance": "资金结（转）余", "rate": "执行率", "score": "得分"},
        total_fund="资金总额",
        fund_rows=("资金总额", "市县区财政资金"),
        goals="项目年度绩效目标", goal="年度目标", achieved="实际完成情况",
        indicators="绩效指标",
        indicator_columns={"level1": "一级指标", "level2": "二级指标", "level3": "三级指标", "initial": "年初指标值",
                           "adjusted": "调整后指标值", "actual": "实际完成值", "weight": "分值", "score": "得分",
                           "deviation": "偏差原因分析及改进措施"},
        total="总分",
        grades=GRADES,
        rate_weight=Decimal(10),
        analysis="项目绩效自评结果分析",
        # Label variants seen in published sheets, matched by a distinctive part.
        analysis_labels={
            "项目实施和预算执行情况": "预算执行情况", "产出情况及分析": "产出情况",
            "效益情况及分析": "效益情况", "满意度情况及分析": "满意度情况",
            "主要经验做法": "主要经验做法", "项目管理中存在的主要问题及原因分析": "存在的主要问题",
            "下一步改进措施及管理建议": "下一步改进措施",
        },
        problems="项目管理中存在的主要问题及原因分析",
        measures="下一步改进措施及管理建议",
        notes=(
            '备注：1. “年初预算数”项下的“目标申报数”和“预算编制数”为并列关系，其中“目标申报数”的数据来源于项目目标申报表中的项目资金总额表中的年度资金，“预算编制数”数据来源于项目预算支出明细表。',
            '2. “全年预算数”的取数规则，如果年初预算未调整，取预算编制数；如果有调整，取调整后的预算数。',
            '3. “全年执行数”是指预算执行指标确认数。',
            '4. “执行率”是执行数与“全年预算数”相比较。',
        ),
    ),
)
