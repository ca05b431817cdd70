"""The pipeline as one call: read → recompute and audit → render. The CLI stays thin."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .audit import AuditResult, audit
from .errors import AuditFailed
from .auditlog import write_audit_report
from .reader import read_workbook
from .render import report_context, write_docx

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def report_name(unit: str, year: int) -> str:
    """``{单位名称}{年度}年度单位决算公开.docx`` with characters no file system accepts removed."""
    return _UNSAFE.sub("", f"{unit}{year}年度单位决算公开") + ".docx"


@dataclass
class BuildResult:
    result: AuditResult
    report: Path | None
    audit_report: Path
    projects: int


def build(workbook: str, outdir: Path, *, force: bool = False, strict: bool = False) -> BuildResult:
    """Build the report of ``workbook`` into ``outdir``.

    Raises :class:`AuditFailed` (nothing but the 审核报告 written) when the audit finds 错误,
    or 警告 under ``strict``, unless ``force``: then the report is a 草稿 listing the findings.
    """
    wb = read_workbook(workbook)
    result = audit(wb)
    name = report_name(wb.name, wb.year)
    audit_path = write_audit_report(result, wb, outdir / (name[: -len(".docx")] + "审核报告.html"))
    blocking = result.errors + (result.warnings if strict else [])
    if blocking and not force:
        raise AuditFailed(f"审核发现 {len(result.errors)} 个错误、{len(result.warnings)} 个警告，未生成报告"
                          f"（审核报告：{audit_path}）", result.findings)
    context = report_context(wb, result.figures, result.projects, result.findings if blocking else None)
    target = outdir / name
    write_docx(context, target)
    return BuildResult(result, target, audit_path, len(wb.projects))
