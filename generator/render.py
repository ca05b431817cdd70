"""Render the report's content: figures → the template's context, and 情况说明's sentences (Jinja).

What is printed lives here; how it becomes a .docx (docxtpl, WordprocessingML, the zip) is
``oxml``'s, so that the content and the file format change apart.
"""

from __future__ import annotations

from decimal import Decimal

from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
)

from . import layout
from .files import TEMPLATES
from .auditlog import cells_text, sections
from .findings import Finding
from .model import Workbook
from .money import fmt_count, fmt_money, fmt_percent, fmt_plain, fmt_table
from .narrative import narrative_context
from .oxml import _cache_dir  # the compiled narrative is cached beside the compiled template
from .projects import ProjectFigures
from .recompute import Figures, Line

# Macro of templates/narrative.j2 → the part of the narrative context it is given.
NARRATIVE_SECTIONS = {
    **{key: key for key in ("s1", "s2", "s3", "s4", "s5_1", "s5_2", "s5_3", "s6", "s7", "s8",
                            "s10_1", "s10_2", "s10_3")},
    "s9_1": "s9", "s9_2": "s9",
    **{f"s10_4_{i}": "s10_4" for i in range(1, 6)},
}
# How a clerk names each part of 情况说明 (in "what changed" lists).
SECTION_LABELS = {
    "s1": "一", "s2": "二", "s3": "三", "s4": "四", "s5_1": "五（一）", "s5_2": "五（二）",
    "s5_3": "五（三）", "s6": "六", "s7": "七", "s8": "八", "s9_1": "九（一）", "s9_2": "九（二）",
    "s10_1": "十（一）", "s10_2": "十（二）", "s10_3": "十（三）",
    **{f"s10_4_{i}": f"十（四）（{i}）" for i in range(1, 6)},
}
_END = "。！？；：”」）)"


def _sentence(text: str) -> str:
    """A typed paragraph printed as a sentence: ends with one full stop."""
    text = text.strip()
    return text if not text or text[-1] in _END else text + "。"


def narrative_env() -> Environment:
    # Plain text: the docx stage escapes it. Workbook text is data in the context,
    # never part of a template, so it cannot run as template code.
    cache = _cache_dir()
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=False,
                      undefined=StrictUndefined, keep_trailing_newline=False,
                      bytecode_cache=FileSystemBytecodeCache(str(cache)) if cache else None)
    env.filters.update(money=fmt_money, pct=fmt_percent, count=fmt_count, plain=fmt_plain,
                       chinese=layout.chinese_number, sentence=_sentence)
    return env


def render_narrative(context: dict) -> dict[str, list[str]]:
    """Each 情况说明 section as its list of paragraphs."""
    module = narrative_env().get_template("narrative.j2").make_module()
    sections = {}
    for key, part in NARRATIVE_SECTIONS.items():
        text = str(getattr(module, key)(context[part], context))
        sections[key] = [line.strip() for line in text.splitlines() if line.strip()]
    return sections


def _function_rows(lines: list[Line], key: str) -> list[dict]:
    """A function table's rows; a table without data still prints its (empty) 合计 row."""
    if not lines:
        return [{"code": "合计", "name": "", "v": [""] * len(layout.FUNCTION_COLUMNS[key])}]
    return [{"code": line.code or "合计", "name": line.name if line.code else "",
             "v": [fmt_table(v) for v in line.values]} for line in lines]


def _function_table(lines: list[Line], key: str) -> dict:
    """A table of 功能分类 rows; ``empty`` (说明：本表无数据) when it has no row but its 合计."""
    return {"rows": _function_rows(lines, key), "empty": len(lines) <= 1}


def _t01_rows(fig: Figures) -> list[dict]:
    labels = layout.T01_LABELS
    return [{"ll": labels.get(i + 1, ""), "ln": str(i + 1), "lv": fmt_table(fig.t01.get(i + 1)),
             "rl": labels.get(i + 32, ""), "rn": str(i + 32), "rv": fmt_table(fig.t01.get(i + 32))}
            for i in range(31)]


def _t04_rows(fig: Figures) -> list[dict]:
    labels, empty = layout.T04_LABELS, (None,) * 4
    return [{"ll": labels.get(i + 1, ""), "ln": str(i + 1),
             "lv": fmt_table(fig.t04_income.get(i + 1)), "rl": labels.get(i + 33, ""), "rn": str(i + 33),
             "rv": [fmt_table(v) for v in fig.t04_expense.get(i + 33, empty)]}
            for i in range(32)]


def _t06_rows(fig: Figures) -> list[dict]:
    rows = []
    for pairs in layout.t06_grid():
        cells: list[str] = []
        for pair in pairs:
            if pair is None:
                cells += ["", "", "", ""]
                continue
            code, name = pair
            amount, basic = fig.t06[code]
            cells += [code, name, fmt_table(amount), "——" if basic is None else fmt_table(basic)]
        rows.append({"c": cells})
    return rows


def _t10_rows(fig: Figures) -> list[dict]:
    """公开10表 as published: a row per part, the column headers of 一、 and 二、, then the lines."""
    parts = {1: ("一、政府采购情况", ("项目", "行次", "采购金额")), 5: ("二、机关运行经费", ("项目", "", "统计数")),
             7: ("三、国有资产占用情况", None)}
    rows = []
    for line, label in layout.T10_ROWS.items():
        if line in parts:
            part, head = parts[line]
            rows.append({"kind": "part", "label": part, "line": "", "value": ""})
            if head:
                rows.append(dict(zip(("label", "line", "value"), head), kind="head"))
        value = fig.t10.get(line)
        shown = (fmt_count(value) if value else "") if line in layout.T10_COUNT_ROWS else fmt_table(value)
        rows.append({"kind": "line", "label": label, "line": str(line), "value": shown})
    return rows


def _project_context(number: int, pf: ProjectFigures) -> dict:
    p = pf.project
    indicators, previous = [], ("", "")
    for ind in p.indicators:
        first1 = ind.level1 != previous[0]
        first2 = first1 or ind.level2 != previous[1]
        indicators.append({
            "m1": "restart" if first1 else "continue", "l1": ind.level1 if first1 else "",
            "m2": "restart" if first2 else "continue", "l2": ind.level2 if first2 else "",
            "l3": ind.level3, "initial": ind.initial, "adjusted": ind.adjusted, "actual": ind.actual,
            "weight": fmt_plain(ind.weight.value), "score": fmt_plain(ind.score.value),
            "deviation": ind.deviation.value,
        })
        previous = (ind.level1, ind.level2)
    amounts = [v for f in pf.funds for v in (f.declared, f.planned, f.budget, f.spent, f.balance) if v is not None]
    # One format for the 万元 cells: two decimals, or as many as the most precise figure has
    # (18.451 stays exact, and 50 beside it prints 50.000).
    places = max([2, *(-v.normalize().as_tuple().exponent for v in amounts)])

    def wan(value: Decimal | None) -> str:
        return "" if value is None else f"{value:.{places}f}"

    funds = [{"source": f.source + ("：" if f.source == "资金总额" else ""),
              "declared": wan(f.declared), "planned": wan(f.planned), "budget": wan(f.budget),
              "spent": wan(f.spent), "balance": wan(f.balance),
              "rate": fmt_percent(f.rate), "score": fmt_percent(f.score)} for f in pf.funds]
    weight = sum((i.weight.amount for i in p.indicators), Decimal(10))
    analysis = [{"m": "restart" if i == 0 else "continue", "part": "项目绩效自评结果分析" if i == 0 else "",
                 "label": label, "text": p.analysis.get(label, "")}
                for i, label in enumerate(layout.ANALYSIS_LABELS)]
    return {"annex": f"附件{layout.chinese_number(number)}", "name": pf.name, "supervisor": p.supervisor,
            "unit": p.unit, "funds": funds, "target": p.target, "achieved": p.achieved,
            "indicators": indicators, "weight": fmt_plain(weight), "total": fmt_plain(pf.total),
            "grade": pf.grade, "analysis": analysis}


def _draft_findings(findings: list[Finding]) -> list[str]:
    lines = []
    for section in sections(findings):
        if section.cause:
            lines.append(section.heading)
        lines += [f"【{f.severity}】{f.message}（{cells_text(f)}）" for f in section.findings]
    return lines


def report_context(wb: Workbook, fig: Figures, projects: list[ProjectFigures],
                   findings: list[Finding] | None = None) -> dict:
    """The docx template's context; every figure already formatted for its place."""
    return {
        "unit": {"name": wb.name, "year": wb.year},
        "overview": {"duties": wb.duties, "organization": wb.organization},
        "t01": _t01_rows(fig),
        "t02": _function_table(fig.t02, "02"),
        "t03": _function_table(fig.t03, "03"),
        "t04": _t04_rows(fig),
        "t05": _function_table(fig.t05, "05"),
        "t06": {"rows": _t06_rows(fig), "personnel": [fmt_table(v) for v in fig.t06_personnel],
                "public": [fmt_table(v) for v in fig.t06_public]},
        "t07": [fmt_table(v) for v in (*fig.t07_budget, *fig.t07_actual)],
        "t08": _function_table(fig.t08, "08"),
        "t09": _function_table(fig.t09, "09"),
        "t10": _t10_rows(fig),
        "narrative": render_narrative(narrative_context(wb, fig, projects)),
        "extra_terms": wb.extra_terms,
        "projects": [_project_context(i, pf) for i, pf in enumerate(projects, start=1)],
        "project_notes": layout.PROJECT_NOTES,
        "toc": [],
        "draft": bool(findings),
        "draft_findings": _draft_findings(findings or []),
    }


