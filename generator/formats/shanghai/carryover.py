"""Last year's figures that next year's Shanghai 情况说明 compares against (``disclose init --from``)."""

from __future__ import annotations

from decimal import Decimal

from generator.recompute import Figures
from .tables import T07


def prior_year(fig: Figures) -> dict[str, Decimal]:
    """情况说明 label of a 上年 input → last year's recomputed figure."""
    spent = dict(zip(T07.columns, fig["07"]["决算数"]))
    return {
        "上年收入支出总计": fig["01"]["收入总计"], "上年财政拨款收入支出总计": fig["04"]["收入总计"],
        "上年一般公共预算财政拨款支出": fig["05"].total[0],
        "上年“三公”经费合计": spent["合计"], "上年因公出国（境）费": spent["因公出国（境）费"],
        "上年公务用车购置及运行维护费": spent["小计"], "上年公务接待费": spent["公务接待费"],
    }
