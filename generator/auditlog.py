"""The 审核报告: every finding with its cells, as an HTML page a clerk can open and print."""

from __future__ import annotations

import html
import os
from collections import defaultdict
from pathlib import Path

from .audit import RULES, AuditResult
from .files import write_atomically
from .findings import Finding
from .model import Workbook


def grouped(findings: list[Finding]) -> dict[str, list[Finding]]:
    """Findings by the sheet of their first cell, in workbook order of first appearance."""
    groups: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        groups[finding.table].append(finding)
    return dict(groups)


def summary_line(result: AuditResult) -> str:
    return f"共 {len(result.errors)} 个错误、{len(result.warnings)} 个警告"


def write_audit_report(result: AuditResult, wb: Workbook, target: Path) -> Path:
    rows = []
    for table, findings in grouped(result.findings).items():
        rows.append(f"<tr><th colspan='4'>{html.escape(table)}</th></tr>")
        for f in findings:
            rows.append("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in (
                f.severity, f.rule, f.message, "、".join(f.cells))) + "</tr>")
    body = "\n".join(rows) or "<tr><td colspan='4'>未发现问题。</td></tr>"
    rules = "".join(f"<li>{html.escape(r.name)}：{html.escape(r.description)}</li>" for r in RULES)
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(wb.name)}{wb.year}年度决算公开审核报告</title>
<style>body{{font-family:"SimSun","Songti SC",serif;margin:2em}}table{{border-collapse:collapse;width:100%}}
td,th{{border:1px solid #444;padding:4px 6px;vertical-align:top;font-size:10.5pt}}th{{background:#eee;text-align:left}}</style>
</head><body>
<h1>{html.escape(wb.name)}{wb.year}年度决算公开审核报告</h1>
<p>工作簿：{html.escape(os.path.basename(wb.path))}。{summary_line(result)}。错误须改正后才能生成报告；警告请核实。</p>
<table><tr><th>级别</th><th>规则</th><th>说明</th><th>涉及单元格</th></tr>
{body}
</table>
<h2>本次审核的规则</h2>
<p>另有：各表的合计、小计与明细重算一致（类＝Σ款，款＝Σ项，合计＝Σ类，行内关系），附件的结余、执行率、得分、总分、等级。</p>
<ul>{rules}</ul>
</body></html>
"""
    write_atomically(target, page.encode("utf-8"), "审核报告")
    return target
