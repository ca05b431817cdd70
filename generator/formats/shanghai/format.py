"""上海市部门决算 (the national 部门决算 template as Shanghai's units publish it): 第一部分 概况,
第二部分 nine tables in 万元, 第三部分 情况说明 in eleven sections, 第四部分 名词解释; no 自评表.
Its templates are in templates/shanghai/."""

from __future__ import annotations

from decimal import Decimal

from generator.files import TEMPLATES
from generator.money import fmt_table_grouped
from generator.spec import Format, Section

from . import carryover, narrative, rules, sheets, tables

FORMAT = Format(
    name="shanghai",
    title="上海市部门决算",
    document="部门决算",
    templates=TEMPLATES / "shanghai",
    tables=tables.TABLES,
    sheets=sheets.SHEETS,
    checks=rules.CHECKS,
    identities=rules.IDENTITIES,
    sections=(
        Section("s1", "一"), Section("s2", "二"), Section("s3", "三"), Section("s4", "四"),
        Section("s5_1", "五（一）"), Section("s5_2", "五（二）"), Section("s5_3", "五（三）"), Section("s6", "六"),
        Section("s7_1", "七（一）", "s7"), Section("s7_2", "七（二）", "s7"),
        Section("s8", "八"), Section("s9", "九"), Section("s10", "十"),
        Section("s11_1", "十一（一）"), Section("s11_2", "十一（二）"), Section("s11_3", "十一（三）"),
    ),
    figures=narrative.FIGURES,
    prior_year=carryover.prior_year,
    carried_texts=("预算绩效管理工作开展情况", "公务用车运行维护费主要用途"),
    carried_figures=(("上年机关运行经费支出", "机关运行经费支出"),),
    lists=(sheets.UNITS, sheets.BUDGETS),
    # The workbook holds 万元 as published, rounded to 0.01 from 元: half a 分 of 万元 per figure.
    tolerance=Decimal("0.005"),
    cell=fmt_table_grouped,
)
