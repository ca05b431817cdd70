"""The Shanghai workbook's other sheets: 单位信息, 概况 (主要职能, 部门决算单位构成), 情况说明 (the
figures and texts the nine tables do not hold), and two lists: the units of the 部门 and the
年初预算 of each 项. There is no 自评表: the 部门决算 states its 绩效 as counts (十、)."""

from __future__ import annotations

from generator.spec import InputSheet, ListSheet, OverviewSheet, Sheets, UnitSheet

_VEHICLES = ("部级领导干部用车", "主要领导干部用车", "机要通信用车", "应急保障用车", "执法执勤用车",
             "特种专业技术用车", "离退休干部用车", "其他用车")
EQUIPMENT = "单价100万元（含）以上设备（不含车辆）"

_INPUTS = (
    ("一、收入支出决算总体情况", (
        ("上年收入支出总计", "amount"), ("收入支出总计变动原因", "text"))),
    ("四、财政拨款收入支出决算总体情况", (
        ("上年财政拨款收入支出总计", "amount"), ("财政拨款收入支出总计变动原因", "text"))),
    ("五、一般公共预算财政拨款支出决算情况", (
        ("上年一般公共预算财政拨款支出", "amount"), ("一般公共预算财政拨款支出变动原因", "text"),
        ("一般公共预算财政拨款支出年初预算", "amount"), ("决算数与年初预算数差异原因", "text"))),
    ("六、一般公共预算财政拨款基本支出决算情况（不填则按基本支出决算表列出有数的科目）", (
        ("人员经费主要包括", "text"), ("公用经费主要包括", "text"))),
    ("七、财政拨款“三公”经费支出决算情况", (
        ("“三公”经费决算数与预算数差异原因", "text"),
        ("上年“三公”经费合计", "amount"), ("上年因公出国（境）费", "amount"),
        ("上年公务用车购置及运行维护费", "amount"), ("上年公务接待费", "amount"),
        ("因公出国（境）费变动原因", "text"), ("公务用车购置及运行维护费变动原因", "text"),
        ("公务接待费变动原因", "text"),
        ("因公出国（境）团组数", "count"), ("因公出国（境）人次", "count"), ("因公出国（境）费开支内容", "text"),
        ("购置公务用车数", "count"), ("公务用车购置费主要用途", "text"),
        ("公务用车运行维护费主要用途", "text"), ("公务用车保有量", "count"),
        ("公务接待费主要用途", "text"), ("国内公务接待批次", "count"), ("国内公务接待人次", "count"),
        ("外宾接待费", "amount"), ("外宾接待批次", "count"), ("外宾接待人次", "count"))),
    ("十、预算绩效管理情况", (
        ("预算绩效管理工作开展情况", "text"),
        ("编报绩效目标项目个数", "count"), ("编报绩效目标涉及预算金额", "amount"),
        ("绩效跟踪评价项目个数", "count"), ("绩效跟踪评价涉及预算金额", "amount"),
        ("绩效自评项目个数", "count"), ("绩效自评涉及预算金额", "amount"), ("绩效自评平均得分", "amount"),
        ("绩效评级为优的项目个数", "count"), ("绩效评级为良的项目个数", "count"),
        ("绩效评级为合格的项目个数", "count"), ("绩效评级为不合格的项目个数", "count"),
        ("绩效自评发现问题个数", "count"), ("已完成整改问题个数", "count"), ("正在整改问题个数", "count"))),
    ("十一、其他重要事项", (
        ("机关运行经费支出", "amount"), ("上年机关运行经费支出", "amount"), ("机关运行经费变动原因", "text"),
        ("政府采购金额", "amount"), ("货物采购金额", "amount"), ("工程采购金额", "amount"),
        ("服务采购金额", "amount"),
        ("面向中小企业预留项目预算金额", "amount"), ("面向小微企业预留项目预算金额", "amount"),
        ("预留中小企业项目由中小企业中标金额", "amount"), ("预留小微企业项目由小微企业中标金额", "amount"),
        ("其他项目由中小企业中标金额", "amount"),
        *((f"{kind}数", "count") for kind in _VEHICLES), (EQUIPMENT, "count"))),
)
VEHICLES = tuple(f"{kind}数" for kind in _VEHICLES)

UNITS = ListSheet("单位构成", {"name": "单位名称", "note": "备注"}, carried=True)
BUDGETS = ListSheet("年初预算", {"code": "功能分类科目编码", "name": "科目名称", "budget": "年初预算", "purpose": "主要用途",
                              "reason": "差异原因"}, amounts=("budget",))

SHEETS = Sheets(
    unit=UnitSheet("单位信息", ("项目", "内容"), ("单位名称", "年度"), name="单位名称", year="年度"),
    overview=OverviewSheet("概况", "第一部分 概况（每行一段）", ("栏目", "内容"),
                           (("duties", "主要职能"), ("organization", "部门决算单位构成"))),
    inputs=InputSheet("情况说明", "第三部分 情况说明：表中没有的数字和文字（上年数按上年决算填列；原因等文字不必以句号结尾）",
                      ("项目", "内容"), _INPUTS),
    terms=ListSheet("名词解释", {"term": "补充名词解释"}),
    # No 分类预算, 项目综述 or 自评表: 五（三） is per 项 (BUDGETS), 十 gives 绩效 as counts.
)
