"""The 审核报告: every finding with its cells, as an HTML page a clerk can open and print.

Findings one typed figure explains are listed together under that cell ("最可能需要修改"), the
others by the sheet of their first cell. Rules are named for the clerk, not by their formula.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path

from .audit import RULES, AuditResult
from .files import write_atomically
from .findings import Finding, by_cause
from .model import Workbook
from .money import fmt_money

# What each rule checks, as a clerk would say it (the rule's own name is its formula).
TITLES = {
    "款=Σ下级": "款不等于其下各项之和", "类=Σ下级": "类不等于其下各款之和",
    "合计=Σ类": "合计不等于各类之和", "行内关系": "同一行的各栏对不上",
    "01收入=02合计": "公开01表的收入与公开02表合计不一致", "01支出类=03类": "公开01表的支出与公开03表各类不一致",
    "01合计行": "公开01表的合计、总计行对不上", "04收入=01收入": "公开04表的收入与公开01表不一致",
    "04合计行": "公开04表的合计、总计行对不上", "04类=05类": "公开04表的一般公共预算支出与公开05表不一致",
    "04类=08类": "公开04表的政府性基金支出与公开08表不一致", "04类=09类": "公开04表的国有资本经营支出与公开09表不一致",
    "04合计=三项之和": "公开04表一行的“合计”不等于三种拨款之和", "06类=Σ款": "公开06表的类不等于其下各款之和",
    "06经费合计": "公开06表人员经费合计或公用经费合计对不上", "07小计=购置+运行": "公开07表公务用车小计不等于购置费加运行费",
    "07合计=三项之和": "公开07表合计不等于三项之和", "10采购合计": "公开10表政府采购合计不等于货物、工程、服务之和",
    "10车辆合计": "公开10表车辆数合计不等于各类车辆之和", "空行不填数": "不该填数的空行填了数",
    "附件资金结（转）余": "自评表的结（转）余算得不对", "附件执行率": "自评表的执行率算得不对",
    "附件得分": "自评表的执行率得分算得不对", "附件总分": "自评表的总分算得不对", "附件等级": "自评表的等级与总分不符",
    "附件指标得分≤分值": "自评表指标得分超过分值",
    "公式有计算结果": "公式没有保存计算结果", "01收支平衡": "公开01表收入总计不等于支出总计",
    "01财政拨款=02财政拨款收入": "公开01表财政拨款收入与公开02表不一致", "04收支平衡": "公开04表收入总计不等于支出总计",
    "05基本支出=06经费合计": "公开05表基本支出与公开06表经费合计不一致",
    "05合计=06经费合计": "公开05表合计与公开06表经费合计不一致", "06基本支出≤金额": "公开06表基本支出超过金额",
    "07决算与06对应科目": "公开07表“三公”决算与公开06表对应科目不一致",
    "10机关运行经费=06公用经费基本": "公开10表机关运行经费与公开06表公用经费不一致",
    "小微企业≤中小企业": "小微企业合同金额超过中小企业", "中小企业≤采购合计": "中小企业合同金额超过政府采购总额",
    "金额不为负": "金额为负数", "结余为负请核实": "结余为负数（请核实）", "上年数已填": "上年数未填写",
    "项目综述元=自评表万元": "项目综述的元金额与自评表不一致", "绩效等级个数=自评表": "各等级项目个数与自评表不一致",
    "扣分须说明原因": "扣分的指标没有写原因", "年度一致": "年度与单位信息不一致", "比较的是上年": "比较的年份不是上年",
    "本年决算数已填": "工作簿没有本年的决算数", "自评个数=自评表张数": "自评项目个数或涉及资金与自评表不一致",
    "涉及资金=各预算之和": "涉及资金不等于各类预算资金之和",
    "05与06": "公开05表与公开06表不一致", "政府采购子项": "政府采购中小企业、小微企业金额超过上一级",
}
# Rules whose first figure is a plain sum of the others: a part off by x puts the sum off by x.
_SUMS = frozenset(("类=Σ下级", "款=Σ下级", "合计=Σ类", "06类=Σ款", "06经费合计", "07小计=购置+运行", "07合计=三项之和",
                   "10采购合计", "10车辆合计", "04合计=三项之和", "04合计行", "01合计行",
                   *(f"公开{n}表行内关系" for n in ("02", "03", "05", "09"))))
_SHOWN_CELLS = 6  # a total's 27 parts help no one: the first few and the count


def title(rule: str) -> str:
    """The clerk's name of ``rule``; "公开05表行内关系" and the like share one."""
    return TITLES.get(rule) or TITLES.get(rule.split("表", 1)[-1], rule)


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


def sections(findings: list[Finding]) -> list[Section]:
    """Groups one cell explains first, each under that cell, then the others by sheet."""
    caused, alone = [], {}
    for group in by_cause(findings):
        if group.cause is not None:
            caused.append(Section(f"最可能需要修改：{group.cause}（{_off_by(group)}改正后，下面 {len(group.findings)} "
                                  "个问题应一并消失；若它本来就对，再逐个核对下面的合计）", group.cause, group.findings))
        else:
            alone.setdefault(group.findings[0].table, []).extend(group.findings)
    return caused + [Section(table, None, tuple(items)) for table, items in alone.items()]


def _off_by(group) -> str:
    """How far the cause is off, where the sums it is part of all say the same."""
    offs = {-f.difference for f in group.findings
            if f.rule in _SUMS and f.difference is not None and f.cells[0] == group.cause}
    if len(offs) != 1:
        return ""
    off = offs.pop()
    return f"按各合计，它{'多' if off > 0 else '少'}填了 {fmt_money(abs(off))}，请核对；"


def summary_line(result: AuditResult) -> str:
    return f"共 {len(result.errors)} 个错误、{len(result.warnings)} 个警告"


def write_audit_report(result: AuditResult, wb: Workbook, target: Path) -> Path:
    rows = []
    for section in sections(result.findings):
        rows.append(f"<tr><th colspan='4'>{html.escape(section.heading)}</th></tr>")
        for f in section.findings:
            rows.append("<tr>" + "".join(f"<td{cls}>{html.escape(v)}</td>" for cls, v in (
                (" class='level'", f.severity), ("", title(f.rule)), ("", f.message), ("", cells_text(f)))) + "</tr>")
    body = "\n".join(rows) or "<tr><td colspan='4'>未发现问题。</td></tr>"
    rules = "".join(f"<li>{html.escape(title(r.name))}：{html.escape(r.description)}</li>" for r in RULES)
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(wb.name)}{wb.year}年度决算公开审核报告</title>
<style>body{{font-family:"SimSun","Songti SC",serif;margin:2em}}table{{border-collapse:collapse;width:100%}}
td,th{{border:1px solid #444;padding:4px 6px;vertical-align:top;font-size:10.5pt}}th{{background:#eee;text-align:left}}
.level{{white-space:nowrap;width:3em}}</style>
</head><body>
<h1>{html.escape(wb.name)}{wb.year}年度决算公开审核报告</h1>
<p>工作簿：{html.escape(os.path.basename(wb.path))}。{summary_line(result)}。错误须改正后才能生成报告；警告请核实。
“填列”是工作簿里填的数，“按明细重算”是本工具由明细加总得到的数；先改“最可能需要修改”的单元格，再重新审核。</p>
<table><tr><th class='level'>级别</th><th>问题</th><th>说明</th><th>涉及单元格</th></tr>
{body}
</table>
<h2>本次审核的内容</h2>
<p>另有：各表的合计、小计与明细重算一致（合计等于各类之和，类等于各款之和，款等于各项之和，同一行各栏相符），
自评表的结（转）余、执行率、得分、总分、等级。</p>
<ul>{rules}</ul>
</body></html>
"""
    write_atomically(target, page.encode("utf-8"), "审核报告")
    return target
