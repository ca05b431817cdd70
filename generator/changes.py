"""What changed since the previous build: a small record of the report's figures beside it.

``build`` writes ``.{report}.figures.json`` next to the report: every printed figure under a
readable key (table, row, column) and every 情况说明 paragraph. A rebuild compares against it
and lists the figures that changed (old → new) and the sentences that changed with them.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import spec
from .files import regular_file
from .model import Stated, Text
from .money import cents, fmt_plain
from .projects import ProjectFigures
from .recompute import Figures
from .spec import Format

RECORD_VERSION = 1


def record_path(report: Path) -> Path:
    return report.with_name(f".{report.stem}.figures.json")


def _money(value) -> str:
    return "" if value is None else fmt_plain(cents(value))


def snapshot(fmt: Format, fig: Figures, projects: list[ProjectFigures], narrative: dict[str, list[str]],
             inputs: dict[str, Stated | Text], pdf: str | None = None) -> dict:
    """Every printed figure by (table, row, column) — the tables, the 附件 and the figures typed
    on the 情况说明 sheet — the 情况说明 paragraphs by section, and the SHA-256 of the PDF
    written with the report (so a later build knows that PDF is its own)."""
    figures: dict[str, str] = {}

    def put(table: str, row: str, column: str, value) -> None:
        figures[f"{table}｜{row}｜{column}"] = _money(value)

    for table in fmt.tables:
        printed = fig[table.key]
        if isinstance(table, spec.LineTable):
            for line, values in printed.values.items():
                row = table.at(line)
                columns = table.sides[row.side].columns
                if len(columns) == 1 and table.value_header:
                    columns = (table.value_header,)
                for column, value in zip(columns, values):
                    put(table.name, f"行{line} {row.label}".strip(), column, value)
        elif isinstance(table, spec.FunctionTable):
            for line in printed:
                for column, value in zip(table.columns, line.values):
                    put(table.name, f"{line.code} {line.name}".strip(), column, value)
        elif isinstance(table, spec.EconomicTable):
            for code, (amount, basic) in printed.rows.items():
                put(table.name, f"{code} {table.names[code]}", "金额", amount)
                put(table.name, f"{code} {table.names[code]}", "其中：基本支出", basic)
            for label, pair in printed.totals.items():
                put(table.name, label, "金额", pair[0])
                put(table.name, label, "其中：基本支出", pair[1])
        else:
            for group, values in printed.items():
                for column, value in zip(table.columns, values):
                    put(table.name, group, column, value)
    for number, p in enumerate(projects, start=1):
        columns = p.declared.fund_columns
        for fund in p.funds:
            for role in ("budget", "spent", "balance", "rate", "score"):
                put(f"附件{number} {p.name}", fund.source, columns[role], getattr(fund, role))
        put(f"附件{number} {p.name}", p.declared.total, p.declared.total, p.total)
    sheet, (_, column) = fmt.sheets.inputs.sheet, fmt.sheets.inputs.header
    for label, value in inputs.items():
        if isinstance(value, Stated):
            put(sheet, label, column, value.value)
    return {"version": RECORD_VERSION, "figures": figures, "narrative": narrative, "pdf": pdf}


MAX_RECORD = 32 * 1024 * 1024  # a 1,000-project report's record is under 2 MB


def load(report: Path) -> dict | None:
    """The record of the previous build of ``report``, or None (see :func:`read`)."""
    return read(report)[0]


def read(report: Path) -> tuple[dict | None, str]:
    """The record of the previous build, or None; and, when there is a record that cannot be
    used (not a regular file, too big, not JSON, not of the shape :func:`snapshot` writes), the
    line saying so: the build then lists no changes and writes a new record in its place."""
    path = record_path(report)
    problem = regular_file(path, MAX_RECORD)
    if problem is None:
        return None, ""
    if problem:
        return None, f"上次生成的数字记录 {path} {problem}，本次不列出与上次相比的变化，并以本次的记录代替它"
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        data = None
    if isinstance(data, dict) and data.get("version") != RECORD_VERSION:
        return None, ""  # written by another version of the tool: nothing to compare with
    if not _well_formed(data):
        return None, (f"上次生成的数字记录 {path} 已损坏（内容不是本工具写出的格式），本次不列出与上次相比的变化，"
                      "并以本次的记录代替它")
    return data, ""


def _well_formed(data: object) -> bool:
    """The shape :func:`snapshot` writes: figures by "table｜row｜column", paragraphs by section."""
    if not isinstance(data, dict):
        return False
    figures, narrative, pdf = data.get("figures"), data.get("narrative"), data.get("pdf")
    return (isinstance(figures, dict)
            and all(isinstance(v, str) and k.count("｜") == 2 for k, v in figures.items())
            and isinstance(narrative, dict)
            and all(isinstance(v, list) and all(isinstance(p, str) for p in v) for v in narrative.values())
            and (pdf is None or isinstance(pdf, str)))


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


def described(figures: list[str], sentences: list[str]) -> list[tuple[str, list[str]]]:
    """The changes as the clerk reads them (the CLI and the page): (heading, lines) blocks."""
    if not figures and not sentences:
        return [("与上次生成相比：数字和文字都没有变化。", [])]
    blocks = [(f"与上次生成相比，{len(figures)} 个数字有变化：" if figures else "与上次生成相比，数字没有变化。", figures)]
    if sentences:
        blocks.append((f"因此改变的报告文字（{len(sentences)} 段）：", sentences))
    return blocks
