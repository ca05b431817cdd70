"""``disclose init --from``: last year's workbook becomes the start of this year's.

The unit information and 概况 texts carry over as they are; every prior-year input of 情况说明
is filled from last year's recomputed figures; the year advances. Figures and reasons of the new
year are left for the clerk.
"""

from __future__ import annotations

from decimal import Decimal

from .files import safe_stem
from .model import Text, Workbook
from .recompute import Figures, recompute
from .spec import Format


def _plain(value: Decimal) -> str:
    return f"{value:f}"


def next_year_source(wb: Workbook, fig: Figures, fmt: Format) -> dict:
    """A transcript (see docs/sample-source.md) of next year's workbook, for ``write_workbook``."""
    unit = {label: text.value for label, text in wb.unit.items()}
    unit[fmt.sheets.unit.year] = str(wb.year + 1)
    inputs: dict[str, str] = {label: _plain(value) for label, value in fmt.prior_year(fig).items()}
    for label in fmt.carried_texts:
        value = wb.inputs.get(label)
        if isinstance(value, Text) and value.value:
            inputs[label] = value.value
    for prior, label in fmt.carried_figures:  # a 情况说明 figure that is next year's 上年 figure
        if wb.figure(label).value is not None:
            inputs[prior] = _plain(wb.figure(label).value)
    lists = {declared.sheet: [{declared.columns[role]: v.value if isinstance(v, Text) else
                               _plain(v.value) if v.value is not None else "" for role, v in row.items()}
                              for row in wb.lists.get(declared.sheet, [])]
             for declared in fmt.lists if declared.carried}
    classes = []
    if fmt.sheets.class_budget is not None:
        headers = fmt.sheets.class_budget.columns
        classes = [{headers["code"]: line.code, headers["name"]: line.name, headers["prior"]: _plain(line.values[0])}
                   for line in fig[fmt.class_budget_table] if line.level == "类"]
    return {
        "unit": unit,
        "overview": wb.overview,
        "inputs": inputs,
        "class_budget": classes,
        "extra_terms": wb.extra_terms,
        **({"lists": lists} if lists else {}),
    }


BLANK_NAME = "决算公开工作簿.xlsx"  # what `init` writes without a name, and the page's blank workbook


def next_year(last_year: str, fmt: Format) -> tuple[dict, str]:
    """The source of the workbook that follows ``last_year`` (a workbook's path) and its file name,
    ``{单位名称}{年度+1}年度决算公开工作簿.xlsx``."""
    from .reader import read_workbook

    wb = read_workbook(last_year, fmt)
    name = safe_stem(wb.name, tail=f"{wb.year + 1}年度决算公开工作簿") + ".xlsx"
    return next_year_source(wb, recompute(wb, fmt), fmt), name
