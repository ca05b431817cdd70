"""A second report format, for the tests: Shanxi's without 公开10表, its 决算表 after 情况说明, one
extra table (公开11表 资产情况表) and one extra computed sentence (十一、资产情况说明). Its workbook
differs from Shanxi's outside the tables too: the unit's sheet is 基本信息, the 分类预算 sheet's code
column is 类级科目编码, and a 自评表's 总分 is graded 优≥95, 良≥85, 合格≥60, else 不合格.

It lives wholly in this folder and reuses what it shares with Shanxi's by importing it: that a
format like this builds through the engine with no change outside its folder is what
tests/test_second_format.py checks. Its report.docx is made by make_template.py.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from generator.formats.shanxi import narrative, rules, sheets, tables
from generator.formats.shanxi.rules import prior_present
from generator.narrative import Change, Facts, share
from generator.recompute import Figures
from generator.spec import Format, Grade, LineTable, Row, Rule, Section, Side

T11 = LineTable(
    "11", "资产情况表", (Side("", ("年初数", "年末数")),),
    (
        Row(1, "资产总计", sum="2..4", head=("项目", "行次", "年初数", "年末数")),
        Row(2, "流动资产"), Row(3, "固定资产"), Row(4, "无形资产"),
    ),
    rule="11资产合计",
    note="注：本表反映部门年末资产情况。",
)

TABLES = (*(t for t in tables.TABLES if t.key != "10"), T11)

GRADES = (Grade("优", Decimal(95)), Grade("良", Decimal(85)), Grade("合格", Decimal(60)), Grade("不合格"))
_SHANXI = sheets.SHEETS
SHEETS = replace(
    _SHANXI,
    unit=replace(_SHANXI.unit, sheet="基本信息"),
    inputs=replace(_SHANXI.inputs, inputs=sheets.inputs(GRADES)),
    class_budget=replace(_SHANXI.class_budget, columns={**_SHANXI.class_budget.columns, "code": "类级科目编码"}),
    projects=replace(_SHANXI.projects, grades=GRADES),
)


def _s11(f: Facts) -> dict:
    assets = f.fig["11"]
    start, end = assets.row("资产总计")
    fixed = assets.row("固定资产")[1]
    return {"total": end, "fixed": fixed, "fixed_share": share(fixed, end), "change": Change(end, start)}


def _prior_year(fig: Figures) -> dict:
    spent = dict(zip(tables.T07.columns, fig["07"]["决算数"]))
    return {
        "上年收入总计": fig["01"]["收入总计"], "上年支出总计": fig["01"]["支出总计"],
        "上年财政拨款收入总计": fig["04"]["收入总计"], "上年财政拨款支出总计": fig["04"]["支出总计"],
        "上年一般公共预算财政拨款支出": fig["05"].total[0],
        "上年“三公”经费合计": spent["合计"],
    }


# Shanxi's checks that read 公开10表 have no place here; 上年数已填 asks only for what is compared.
_PRIOR = (("上年收入总计", "一、收入支出决算总体情况"), ("上年支出总计", "一、收入支出决算总体情况"),
          ("上年“三公”经费合计", "九(一)“三公”经费"))

FORMAT = Format(
    name="lite",
    title="测试用的第二种格式",
    document="单位决算公开",
    templates=Path(__file__).resolve().parent,
    tables=TABLES,
    sheets=SHEETS,
    checks=(*(r for r in rules.CHECKS if "10" not in r.reads and r.name != "上年数已填"),
            Rule("上年数已填", "上年数未填写", "情况说明引用的上年数都已填写", prior_present(_PRIOR), "警告")),
    identities=(*(r for r in rules.IDENTITIES if not r.name.startswith("10")),
                Rule("11资产合计", "公开11表资产总计不等于各项资产之和", "公开11表 资产总计 = 流动资产 + 固定资产 + 无形资产",
                     is_sum=True)),
    sections=(
        Section("s1", "一"), Section("s2", "二"), Section("s3", "三"), Section("s4", "四"),
        Section("s5_1", "五（一）"), Section("s5_2", "五（二）"), Section("s5_3", "五（三）"),
        Section("s6", "六"), Section("s7", "七"), Section("s8", "八"),
        Section("s9_1", "九（一）", "s9"), Section("s9_2", "九（二）", "s9"),
        *(Section(f"s10_4_{i}", f"十（一）（{i}）", "s10_4") for i in range(1, 6)),
        Section("s11", "十一"),
    ),
    figures={**{k: v for k, v in narrative.FIGURES.items() if k not in ("s10_1", "s10_2", "s10_3")}, "s11": _s11},
    prior_year=_prior_year,
    carried_texts=("人员经费主要包括", "公用经费主要包括"),
    class_budget_table="05",
)
