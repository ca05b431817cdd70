"""The lite test format's workbook: the 晋城 sample without 公开10表, with a 公开11表 资产情况表,
its 单位信息 sheet called 基本信息, its 分类预算 code column 类级科目编码 and its 自评表 graded
优≥95, 良≥85, 合格≥60, else 不合格 (the 情况说明 counts by grade under those names).

Made at test time from the sample (never changed) rather than committed, so it follows the
sample as it evolves; the 公开11表 sheet is laid out like the generator's 公开10表 sheet.
"""

from __future__ import annotations

from collections.abc import Mapping
from copy import copy
from decimal import Decimal
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "sample_inputs" / "jincheng-2022.xlsx"

TITLE = "资产情况表"
NOTE = "注：本表反映部门年末资产情况。"
# 行次 → label; 资产总计 (1) is the sum of 2-4.
ROWS = {1: "资产总计", 2: "流动资产", 3: "固定资产", 4: "无形资产"}
# 行次 → (年初数, 年末数)
VALUES = {
    1: (Decimal("4200000.00"), Decimal("4345678.90")),
    2: (Decimal("1200000.00"), Decimal("1500000.50")),
    3: (Decimal("3000000.00"), Decimal("2845678.40")),
    4: (Decimal("0"), Decimal("0")),
}


def lite_workbook(target: Path, changes: Mapping[int, tuple] | None = None) -> Path:
    """Write the lite workbook to ``target``; ``changes`` {行次: (年初, 年末)} overrides 公开11表's
    figures (e.g. a 资产总计 that is not the sum of its parts)."""
    wb = openpyxl.load_workbook(SAMPLE)
    t10 = wb["公开10表"]
    # Its heading rows say which unit and year; its cells give the look (bold, input fill).
    unit_line, year_line = t10["A3"].value, t10["A4"].value
    assert unit_line.startswith("部门名称：") and year_line.endswith("年度"), (unit_line, year_line)
    bold, fill = copy(t10["A1"].font), copy(t10["C7"].fill)
    index = wb.sheetnames.index("公开10表")
    wb.remove(t10)

    ws = wb.create_sheet("公开11表", index)  # where 10 was: right after 公开09表
    for col, width in zip("ABCD", (44, 8, 18, 18)):
        ws.column_dimensions[col].width = width
    ws.append([TITLE])
    ws.merge_cells("A1:D1")
    ws.append(["公开11表"])
    ws.append([unit_line])
    ws.append([year_line, None, None, "金额单位：元"])
    ws.append(["项目", "行次", "年初数", "年末数"])
    for cell in (ws["A1"], *ws[5]):
        cell.font = copy(bold)
    values = {**VALUES, **(changes or {})}
    for line, label in ROWS.items():
        start, end = (None if v is None else Decimal(str(v)) for v in values[line])
        ws.append([label, line, start, end])
        for cell in ws[ws.max_row][2:4]:
            cell.fill = copy(fill)
    ws.append([NOTE])

    unit = wb["单位信息"]
    unit.title = unit["A1"].value = "基本信息"
    next(c for row in wb["分类预算"].iter_rows() for c in row if c.value == "类编码").value = "类级科目编码"
    graded = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            if ws.title.startswith("自评表") and row[0].value == "总分" and row[9].value:
                row[9].value = grade(Decimal(str(row[8].value)))
                graded.append(row[9].value)
    # 十(四)'s 二级项目 counts by lite's grades, as its 自评表 grade them.
    renamed = {f"{level}项目{old}": f"{level}项目{new}" for level in ("一级", "二级") for old, new in (("中", "合格"), ("差", "不合格"))}
    for row in wb["情况说明"].iter_rows(max_col=2):
        row[0].value = renamed.get(row[0].value, row[0].value)
        if isinstance(row[0].value, str) and row[0].value.startswith("二级项目") and row[0].value[4:] in GRADES:
            row[1].value = graded.count(row[0].value[4:])

    target = Path(target)
    wb.save(target)
    return target


GRADES = {"优": 95, "良": 85, "合格": 60, "不合格": 0}  # as format.py declares them


def grade(total: Decimal) -> str:
    """The lite grade of a 总分."""
    return next(name for name, floor in GRADES.items() if total >= floor)
