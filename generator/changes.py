"""What changed since the previous build: a small record of the report's figures beside it.

``build`` writes ``.{report}.figures.json`` next to the report: every printed figure under a
readable key (table, row, column) and every 情况说明 paragraph. A rebuild compares against it
and lists the figures that changed (old → new) and the sentences that changed with them.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import layout
from .model import Stated, Text
from .money import cents, fmt_plain
from .projects import ProjectFigures
from .recompute import Figures

RECORD_VERSION = 1


def record_path(report: Path) -> Path:
    return report.with_name(f".{report.stem}.figures.json")


def _money(value) -> str:
    return "" if value is None else fmt_plain(cents(value))


def snapshot(fig: Figures, projects: list[ProjectFigures], narrative: dict[str, list[str]],
             inputs: dict[str, Stated | Text], pdf: str | None = None) -> dict:
    """Every printed figure by (table, row, column) — the tables, the 附件 and the figures typed
    on the 情况说明 sheet — the 情况说明 paragraphs by section, and the SHA-256 of the PDF
    written with the report (so a later build knows that PDF is its own)."""
    figures: dict[str, str] = {}

    def put(table: str, row: str, column: str, value) -> None:
        figures[f"{table}｜{row}｜{column}"] = _money(value)

    for line, value in fig.t01.items():
        put("公开01表", f"行{line} {layout.T01_LABELS.get(line, '')}".strip(), "决算数", value)
    for key, lines in (("02", fig.t02), ("03", fig.t03), ("05", fig.t05), ("08", fig.t08), ("09", fig.t09)):
        for line in lines:
            for column, value in zip(layout.FUNCTION_COLUMNS[key], line.values):
                put(f"公开{key}表", f"{line.code} {line.name}".strip(), column, value)
    for line, value in fig.t04_income.items():
        put("公开04表", f"行{line} {layout.T04_LABELS.get(line, '')}".strip(), "金额", value)
    for line, values in fig.t04_expense.items():
        for column, value in zip(layout.T04_COLUMNS, values):
            put("公开04表", f"行{line} {layout.T04_LABELS.get(line, '')}".strip(), column, value)
    for code, (amount, basic) in fig.t06.items():
        put("公开06表", f"{code} {layout.T06_NAMES[code]}", "金额", amount)
        put("公开06表", f"{code} {layout.T06_NAMES[code]}", "其中：基本支出", basic)
    for label, pair in (("人员经费合计", fig.t06_personnel), ("公用经费合计", fig.t06_public)):
        put("公开06表", label, "金额", pair[0])
        put("公开06表", label, "其中：基本支出", pair[1])
    for side, values in (("预算数", fig.t07_budget), ("决算数", fig.t07_actual)):
        for column, value in zip(layout.T07_COLUMNS, values):
            put("公开07表", side, column, value)
    for line, value in fig.t10.items():
        put("公开10表", f"行{line} {layout.T10_ROWS.get(line, '')}".strip(), "金额/统计数", value)
    for number, p in enumerate(projects, start=1):
        for fund in p.funds:
            for column, value in (("全年预算数", fund.budget), ("全年执行数", fund.spent),
                                  ("资金结（转）余", fund.balance), ("执行率", fund.rate), ("得分", fund.score)):
                put(f"附件{number} {p.name}", fund.source, column, value)
        put(f"附件{number} {p.name}", "总分", "总分", p.total)
    for label, value in inputs.items():
        if isinstance(value, Stated):
            put("情况说明", label, "内容", value.value)
    return {"version": RECORD_VERSION, "figures": figures, "narrative": narrative, "pdf": pdf}


def load(report: Path) -> dict | None:
    try:
        data = json.loads(record_path(report).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("version") == RECORD_VERSION else None


def encode(record: dict) -> bytes:
    return json.dumps(record, ensure_ascii=False, indent=0, sort_keys=True).encode("utf-8")


def differences(old: dict, new: dict) -> tuple[list[str], list[str]]:
    """(changed figures, changed sentences), each as lines a clerk can read."""
    figures = []
    for key in sorted(set(old["figures"]) | set(new["figures"])):
        before, after = old["figures"].get(key, ""), new["figures"].get(key, "")
        if before != after:
            table, row, column = key.split("｜")
            figures.append(f"{table} {row}“{column}”：{before or '空'} → {after or '空'}")
    sentences = []
    for section, paragraphs in new["narrative"].items():
        previous = old["narrative"].get(section, [])
        for i, paragraph in enumerate(paragraphs):
            if i >= len(previous) or previous[i] != paragraph:
                sentences.append(f"{section}：{paragraph}")
    return figures, sentences
