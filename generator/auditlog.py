"""The 审核报告: every finding with its cells, as an HTML page a clerk can open and print.

Findings one typed figure explains are listed together under that cell ("最可能需要修改"), the
others by the sheet of their first cell. Rules are named for the clerk, not by their formula.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path

from .audit import AuditResult, rule, rules
from .files import write_atomically
from .findings import Finding, by_cause
from .model import Workbook
from .money import fmt_money
from .spec import Format

_SHOWN_CELLS = 6  # a total's dozens of parts help no one: the first few and the count


def title(name: str, fmt: Format) -> str:
    """The clerk's name of the rule ``name`` (as ``fmt`` declares it)."""
    declared = rule(fmt, name)
    return declared.title if declared else name


def cells_text(finding: Finding) -> str:
    cells = finding.cells
    if len(cells) <= _SHOWN_CELLS:
        return "、".join(cells)
    return "、".join(cells[:_SHOWN_CELLS - 1]) + f" 等 {len(cells)} 个单元格"


@dataclass(frozen=True)
class Section:
    heading: str
    cause: str | None  # the cell to change first, when one explains every finding below
    findings: tuple[Finding, ...]


def sections(findings: list[Finding], fmt: Format) -> list[Section]:
    """Groups one cell explains first, each under that cell, then the others by sheet."""
    caused, alone = [], {}
    for group in by_cause(findings):
        if group.cause is not None:
            caused.append(Section(f"最可能需要修改：{group.cause}（{_off_by(group)}改正后，下面 {len(group.findings)} "
                                  "个问题应一并消失；若它本来就对，再逐个核对下面的合计）", group.cause, group.findings))
        else:
            alone.setdefault(group.findings[0].table, []).extend(group.findings)
    return caused + [Section(table, None, tuple(items)) for table, items in alone.items()]


def finding_json(f: Finding, fmt: Format) -> dict:
    """One finding as ``check --format json`` and the web page's API give it."""
    return {"severity": f.severity, "rule": f.rule, "title": title(f.rule, fmt), "message": f.message,
            "cells": list(f.cells), "cells_text": cells_text(f)}


def sections_json(findings: list[Finding], fmt: Format) -> list[dict]:
    """The 审核报告's sections (see :func:`sections`) as JSON."""
    return [{"heading": s.heading, "cause": s.cause, "findings": [finding_json(f, fmt) for f in s.findings]}
            for s in sections(findings, fmt)]


def _off_by(group) -> str:
    """How far the cause is off: the change that clears the group."""
    off = group.findings[0].off
    if not off:
        return ""
    return f"按各合计，它{'多' if off > 0 else '少'}填了 {fmt_money(abs(off))}，请核对；"


def summary_line(result: AuditResult) -> str:
    return f"共 {len(result.errors)} 个错误、{len(result.warnings)} 个警告"


def write_audit_report(result: AuditResult, wb: Workbook, target: Path, fmt: Format) -> Path:
    rows = []
    for section in sections(result.findings, fmt):
        rows.append(f"<tr><th colspan='4'>{html.escape(section.heading)}</th></tr>")
        for f in section.findings:
            rows.append("<tr>" + "".join(f"<td{cls}>{html.escape(v)}</td>" for cls, v in (
                (" class='level'", f.severity), ("", title(f.rule, fmt)), ("", f.message), ("", cells_text(f)))) + "</tr>")
    body = "\n".join(rows) or "<tr><td colspan='4'>未发现问题。</td></tr>"
    checked = "".join(f"<li>{html.escape(r.title)}：{html.escape(r.description)}</li>" for r in rules(fmt))
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(wb.name)}{wb.year}年度{fmt.document}审核报告</title>
<style>body{{font-family:"SimSun","Songti SC",serif;margin:2em}}table{{border-collapse:collapse;width:100%}}
td,th{{border:1px solid #444;padding:4px 6px;vertical-align:top;font-size:10.5pt}}th{{background:#eee;text-align:left}}
.level{{white-space:nowrap;width:3em}}</style>
</head><body>
<h1>{html.escape(wb.name)}{wb.year}年度{fmt.document}审核报告</h1>
<p>工作簿：{html.escape(os.path.basename(wb.path))}。{summary_line(result)}。错误须改正后才能生成报告；警告请核实。
“填列”是工作簿里填的数，“按明细重算”是本工具由明细加总得到的数；先改“最可能需要修改”的单元格，再重新审核。</p>
<table><tr><th class='level'>级别</th><th>问题</th><th>说明</th><th>涉及单元格</th></tr>
{body}
</table>
<h2>本次审核的内容</h2>
<p>下列每一条都已逐一核对（合计、小计都由明细重新加总后比较）：</p>
<ul>{checked}</ul>
</body></html>
"""
    write_atomically(target, page.encode("utf-8"), "审核报告")
    return target
