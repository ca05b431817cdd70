"""The report's content: figures → the template's context, and 情况说明's sentences (Jinja).

What is printed is made here, from the format's declaration; how it becomes a .docx (docxtpl,
WordprocessingML, the zip) is :mod:`render`'s, so that the content and the file format change apart.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
)

from . import spec
from .auditlog import cells_text, sections
from .findings import Finding
from .model import EconomicRows, FunctionRows, GroupedRow, Lines, Project, Stated, Text, Workbook
from .money import chinese_number, fmt_count, fmt_figure, fmt_money, fmt_percent, fmt_plain, fmt_table
from .narrative import narrative_figures
from .projects import ProjectFigures
from .recompute import EconomicFigures, Figures, FunctionLines, LineFigures
from .spec import Format, ProjectSheets
from .render import cache_dir  # the compiled narrative is cached beside the compiled template

_END = "。！？；：”」）)"


def _sentence(text: str) -> str:
    """A typed paragraph printed as a sentence: ends with one full stop."""
    text = text.strip()
    return text if not text or text[-1] in _END else text + "。"


def narrative_env(templates: Path) -> Environment:
    # Plain text: the docx stage escapes it. Workbook text is data in the context,
    # never part of a template, so it cannot run as template code.
    cache = cache_dir()
    env = Environment(loader=FileSystemLoader(str(templates)), autoescape=False,
                      undefined=StrictUndefined, keep_trailing_newline=False,
                      bytecode_cache=FileSystemBytecodeCache(str(cache)) if cache else None)
    env.filters.update(money=fmt_money, figure=fmt_figure, pct=fmt_percent, count=fmt_count, plain=fmt_plain,
                       chinese=chinese_number, sentence=_sentence)
    return env


def render_narrative(fmt: Format, context: dict) -> dict[str, list[str]]:
    """Each 情况说明 section of ``fmt`` as its list of paragraphs, from the section's figures."""
    module = narrative_env(fmt.templates).get_template("narrative.j2").make_module()
    paragraphs = {}
    for section in fmt.sections:
        text = str(getattr(module, section.key)(context[section.part], context))
        paragraphs[section.key] = [line.strip() for line in text.splitlines() if line.strip()]
    return paragraphs


def _function_table(declared: spec.FunctionTable, lines: FunctionLines, cell=fmt_table) -> dict:
    """A table of 功能分类 rows; ``empty`` (说明：本表无数据) when it has no row but its 合计, which
    it then prints empty."""
    if not lines:
        rows = [{"code": "合计", "name": "", "v": [""] * len(declared.columns)}]
    else:
        rows = [{"code": line.code or "合计", "name": line.name if line.code else "",
                 "v": [cell(v) for v in line.values]} for line in lines]
    return {"rows": rows, "empty": len(lines) <= 1}


def _line_table(declared: spec.LineTable, fig: LineFigures, cell=fmt_table) -> list[dict]:
    """Two sides: one printed row per 行次 pair, ``{ll, ln, lv, rl, rn, rv}`` (left/right label,
    行次, figure — a list where the side has several columns). One side: its rows in order,
    ``{kind, label, line, value, v}``, each part heading (kind ``part``) and column header
    (``head``) before its first row."""
    def cells(row: spec.Row) -> list[str]:
        values = fig.values.get(row.line)
        width = len(declared.sides[row.side].columns)
        return [_line_value(row, None if values is None else values[c], cell) for c in range(width)]

    def shown(row: spec.Row):
        return cells(row)[0] if len(declared.sides[row.side].columns) == 1 else cells(row)

    if len(declared.sides) == 2:
        return [{"ll": a.label, "ln": str(a.line), "lv": shown(a), "rl": b.label, "rn": str(b.line), "rv": shown(b)}
                for a, b in declared.pairs()]
    rows = []
    for kind, row in _one_side(declared):
        if kind == "part":
            rows.append({"kind": "part", "label": row.part, "line": "", "value": "", "v": []})
        elif kind == "head":
            label, line, *heads = row.head
            rows.append({"kind": "head", "label": label, "line": line, "value": heads[0], "v": heads})
        else:
            printed = cells(row)
            rows.append({"kind": "line", "label": row.label, "line": str(row.line), "value": printed[0], "v": printed})
    return rows


def _one_side(declared: spec.LineTable):
    """The printed rows of a one-sided table: ("part" | "head" | "line", its row)."""
    for row in declared.rows:
        if row.blank:
            continue
        if row.part:
            yield "part", row
        if row.head:
            yield "head", row
        yield "line", row


def _line_value(row: spec.Row, value: Decimal | None, cell) -> str:
    if row.count:
        return fmt_count(value) if value else ""
    return cell(value)


def _economic_table(declared: spec.EconomicTable, fig: EconomicFigures, cell=fmt_table) -> dict:
    rows = []
    width = len(declared.headers)  # a block's cells: code, name, 金额 (and 其中：基本支出)
    for pairs in declared.grid():
        cells: list[str] = []
        for pair in pairs:
            if pair is None:
                cells += [""] * width
                continue
            code, name = pair
            amount, basic = fig.rows[code]
            cells += [code, name, cell(amount), "——" if basic is None else cell(basic)][:width]
        rows.append({"c": cells})
    return {"rows": rows, **{t.key: [cell(v) for v in fig.totals[t.label]][:width - 2] for t in declared.totals}}


def _grouped_row(declared: spec.RowTable, fig: dict, cell=fmt_table) -> list[str]:
    return [cell(v) for group in declared.groups for v in fig[group]]


_KINDS = {spec.LineTable: _line_table, spec.FunctionTable: _function_table, spec.EconomicTable: _economic_table,
          spec.RowTable: _grouped_row}


def _project_context(number: int, pf: ProjectFigures, declared: ProjectSheets) -> dict:
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

    funds = [{"source": f.source + ("：" if f.source == declared.total_fund else ""),
              "declared": wan(f.declared), "planned": wan(f.planned), "budget": wan(f.budget),
              "spent": wan(f.spent), "balance": wan(f.balance),
              "rate": fmt_percent(f.rate), "score": fmt_percent(f.score)} for f in pf.funds]
    weight = sum((i.weight.amount for i in p.indicators), declared.rate_weight)
    analysis = [{"m": "restart" if i == 0 else "continue", "part": declared.analysis if i == 0 else "",
                 "label": label, "text": p.analysis.get(label, "")}
                for i, label in enumerate(declared.analysis_labels)]
    return {"annex": f"附件{chinese_number(number)}", "name": pf.name, "supervisor": p.supervisor,
            "unit": p.unit, "funds": funds, "target": p.target, "achieved": p.achieved,
            "indicators": indicators, "weight": fmt_plain(weight), "total": fmt_plain(pf.total),
            "grade": pf.grade, "analysis": analysis}


def _draft_findings(findings: list[Finding], fmt: Format) -> list[str]:
    lines = []
    for section in sections(findings, fmt):
        if section.cause:
            lines.append(section.heading)
        lines += [f"【{f.severity}】{f.message}（{cells_text(f)}）" for f in section.findings]
    return lines


def report_context(wb: Workbook, fig: Figures, projects: list[ProjectFigures],
                   findings: list[Finding] | None, fmt: Format) -> dict:
    """The docx template's context; every figure already formatted for its place. Each table
    is ``t{key}`` (t01 …), shaped by its kind (templates/README.md). ``findings``: those a 草稿
    lists (None for a final report)."""
    return {
        "unit": {"name": wb.name, "year": wb.year},
        "overview": wb.overview,
        **{f"t{table.key}": _KINDS[type(table)](table, fig[table.key], fmt.cell) for table in fmt.tables},
        "narrative": render_narrative(fmt, narrative_figures(fmt, wb, fig, projects)),
        "extra_terms": wb.extra_terms,
        # A format without 自评表 has none to print: its template need not name them.
        "projects": [_project_context(i, pf, pf.declared) for i, pf in enumerate(projects, start=1)],
        "project_notes": fmt.sheets.projects.notes if fmt.sheets.projects else (),
        "toc": [],
        "draft": bool(findings),
        "draft_findings": _draft_findings(findings or [], fmt),
        "review": False,  # the review draft (审阅稿, generator.review) sets it
        **({"lists": {name: [{role: _listed(v) for role, v in row.items()} for row in rows]
                      for name, rows in wb.lists.items()}} if fmt.lists else {}),
    }


def _listed(value: Text | Stated) -> str:
    """A list's cell as printed: its text, or its figure as a table prints it."""
    return value.value if isinstance(value, Text) else fmt_table(value.value)


# ---- where each typed cell is printed: paths into the context above ----

def _line_places(declared: spec.LineTable, typed: Lines):
    def cells(row: spec.Row):
        return typed.cells.get(row.line, ())

    if len(declared.sides) == 2:
        for i, pair in enumerate(declared.pairs()):
            for row, key in zip(pair, ("lv", "rv")):
                several = len(declared.sides[row.side].columns) > 1
                for c, cell in enumerate(cells(row)):
                    yield cell.ref, [(i, key, c) if several else (i, key)]
        return
    for i, (kind, row) in enumerate(_one_side(declared)):
        if kind == "line":
            for c, cell in enumerate(cells(row)):
                yield cell.ref, [(i, "v", c), *([(i, "value")] if c == 0 else [])]


def _function_places(declared: spec.FunctionTable, typed: FunctionRows):
    # Printed: the 合计 row, then the typed rows in their order (see FunctionLines).
    for c, cell in enumerate(typed.total or ()):
        yield cell.ref, [("rows", 0, "v", c)]
    for i, row in enumerate(typed.rows, start=1):
        yield row.ref, [("rows", i, "code")]
        for c, cell in enumerate(row.values):
            yield cell.ref, [("rows", i, "v", c)]


def _economic_places(declared: spec.EconomicTable, typed: EconomicRows):
    for i, pairs in enumerate(declared.grid()):
        for block, pair in enumerate(pairs):
            if pair is not None and pair[0] in typed.rows:
                for c, cell in enumerate(typed.rows[pair[0]]):
                    yield cell.ref, [("rows", i, "c", block * len(declared.headers) + 2 + c)]
    for total in declared.totals:
        for c, cell in enumerate(typed.totals.get(total.label, ())):
            yield cell.ref, [(total.key, c)]


def _grouped_places(declared: spec.RowTable, typed: GroupedRow):
    for g, group in enumerate(declared.groups):
        for c, cell in enumerate(typed.groups.get(group, ())):
            yield cell.ref, [(g * len(declared.columns) + c,)]


def _project_places(project: Project):
    yield project.name.ref, [("name",)]
    for i, fund in enumerate(project.funds):
        for name in ("declared", "planned", "budget", "spent", "balance", "rate", "score"):
            yield getattr(fund, name).ref, [("funds", i, name)]
    for i, indicator in enumerate(project.indicators):
        yield indicator.ref, [("indicators", i, "l3")]
        for name in ("weight", "score", "deviation"):
            yield getattr(indicator, name).ref, [("indicators", i, name)]
    yield project.stated_total.ref, [("total",)]
    yield project.stated_grade.ref, [("grade",)]


_PLACES = {spec.LineTable: _line_places, spec.FunctionTable: _function_places, spec.EconomicTable: _economic_places,
           spec.RowTable: _grouped_places}


def printed_places(wb: Workbook, fmt: Format) -> dict[str, list[tuple]]:
    """sheet!cell → the paths in :func:`report_context` of the strings that print it (a table's
    figure, a 自评表's cell): ``("t05", "rows", 3, "v", 1)``. A cell printed nowhere (a blank row
    of a one-sided table, a sheet's title) is not in it."""
    places: dict[str, list[tuple]] = {}
    for table in fmt.tables:
        for ref, paths in _PLACES[type(table)](table, wb[table.key]):
            if ref:
                places.setdefault(ref, []).extend((f"t{table.key}", *path) for path in paths)
    for i, project in enumerate(wb.projects):
        for ref, paths in _project_places(project):
            if ref:
                places.setdefault(ref, []).extend(("projects", i, *path) for path in paths)
    return places
