"""``disclose init --from``: last year's workbook becomes the start of this year's.

The unit information and 概况 texts carry over as they are; every prior-year input of 情况说明
is filled from last year's recomputed figures; the year advances. Figures and reasons of the new
year are left for the clerk.
"""

from __future__ import annotations

from decimal import Decimal

from .model import Text, Workbook
from .recompute import Figures

CARRIED_TEXTS = ("其他用车主要用途", "人员经费主要包括", "公用经费主要包括")


def _plain(value: Decimal) -> str:
    return f"{value:f}"


def next_year_source(wb: Workbook, fig: Figures) -> dict:
    """A transcript (see docs/sample-source.md) of next year's workbook, for ``write_workbook``."""
    unit = {label: text.value for label, text in wb.unit.items()}
    unit["年度"] = str(wb.year + 1)
    g = fig.t05[0].values[0] if fig.t05 else Decimal(0)
    actual = fig.t07_actual
    prior = {
        "上年收入总计": fig.t01[31], "上年支出总计": fig.t01[62],
        "上年财政拨款收入总计": fig.t04_income[32], "上年财政拨款支出总计": fig.t04_expense[64][0],
        "上年一般公共预算财政拨款支出": g,
        "上年“三公”经费合计": actual[0], "上年因公出国（境）费": actual[1],
        "上年公务用车购置费": actual[3], "上年公务用车运行维护费": actual[4], "上年公务接待费": actual[5],
        "上年机关运行经费": fig.t10.get(5, Decimal(0)) + fig.t10.get(6, Decimal(0)),
    }
    inputs: dict[str, str] = {label: _plain(value) for label, value in prior.items()}
    for label in CARRIED_TEXTS:
        value = wb.inputs.get(label)
        if isinstance(value, Text) and value.value:
            inputs[label] = value.value
    classes = [{"类编码": line.code, "类名称": line.name, "年初预算": "", "上年决算": _plain(line.values[0]),
                "主要用途": "", "变动原因": ""}
               for line in fig.t05 if line.level == "类"]
    return {
        "unit": unit,
        "overview": {"职责": wb.duties, "机构设置": wb.organization},
        "inputs": inputs,
        "class_budget": classes,
        "extra_terms": wb.extra_terms,
    }
