"""山西省单位决算公开 (the 2022 provincial format): ten 公开表, 情况说明 in ten sections, 名词解释,
one 项目支出绩效自评表 per project. Its templates are in templates/shanxi/."""

from __future__ import annotations

from generator.files import TEMPLATES
from generator.spec import Format, Section

from . import carryover, narrative, rules, sheets, tables

FORMAT = Format(
    name="shanxi",
    title="山西省单位决算公开",
    document="单位决算公开",
    templates=TEMPLATES / "shanxi",
    tables=tables.TABLES,
    sheets=sheets.SHEETS,
    checks=rules.CHECKS,
    identities=rules.IDENTITIES,
    # Each section of 情况说明: the macro of narrative.j2, how a clerk names it, the figures it is given.
    sections=(
        Section("s1", "一"), Section("s2", "二"), Section("s3", "三"), Section("s4", "四"),
        Section("s5_1", "五（一）"), Section("s5_2", "五（二）"), Section("s5_3", "五（三）"),
        Section("s6", "六"), Section("s7", "七"), Section("s8", "八"),
        Section("s9_1", "九（一）", "s9"), Section("s9_2", "九（二）", "s9"),
        Section("s10_1", "十（一）"), Section("s10_2", "十（二）"), Section("s10_3", "十（三）"),
        *(Section(f"s10_4_{i}", f"十（四）（{i}）", "s10_4") for i in range(1, 6)),
    ),
    figures=narrative.FIGURES,
    prior_year=carryover.prior_year,
    carried_texts=("其他用车主要用途", "人员经费主要包括", "公用经费主要包括"),
    class_budget_table="05",
)
