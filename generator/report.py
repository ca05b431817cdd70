"""The pipeline as one call: read → recompute and audit → render. The CLI stays thin."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import changes
from .audit import AuditResult, audit
from .auditlog import write_audit_report
from .errors import AuditFailed, ReportEdited
from .reader import read_workbook
from .render import (
    SECTION_LABELS,
    edited_since_built,
    headings,
    report_context,
    write_docx,
)

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
    pdf: Path | None = None
    pdf_note: str = ""
    # Since the previous build of this report: changed figures and sentences (None: first build).
    changes: tuple[list[str], list[str]] | None = None
    backup: Path | None = None  # where a hand-edited previous report was moved
    draft: bool = False  # written under --force despite blocking findings


def _protect_hand_edits(target: Path, overwrite: bool) -> Path | None:
    if not target.exists() or not edited_since_built(target):
        return None
    if not overwrite:
        raise ReportEdited(f"{target}：这份报告在生成后被手工修改过，为免丢失修改，未覆盖。"
                           "请把修改改到工作簿里；确要覆盖时加 --overwrite（原文件会备份在旁边）")
    stamp = datetime.fromtimestamp(target.stat().st_mtime).strftime("%Y%m%d-%H%M%S")
    backup = target.with_name(f"{target.stem}.手工修改备份-{stamp}{target.suffix}")
    os.replace(target, backup)
    return backup


def build(workbook: str, outdir: Path, *, force: bool = False, strict: bool = False,
          pdf: bool = False, name: str | None = None, overwrite: bool = False) -> BuildResult:
    """Build the report of ``workbook`` into ``outdir``.

    Raises :class:`AuditFailed` (nothing but the 审核报告 written) when the audit finds 错误,
    or 警告 under ``strict``, unless ``force``: then the report is a 草稿 listing the findings.
    A previous report that was edited by hand since it was built is kept: :class:`ReportEdited`
    unless ``overwrite``, and then it is first moved to a backup beside it.
    With ``pdf`` and LibreOffice installed, the PDF is written too and the 目录 of both carries
    page numbers; without LibreOffice only the .docx is written and ``pdf_note`` says why.
    """
    wb = read_workbook(workbook)
    result = audit(wb)
    name = name or report_name(wb.name, wb.year)
    audit_path = write_audit_report(result, wb, outdir / (name[: -len(".docx")] + "审核报告.html"))
    blocking = result.errors + (result.warnings if strict else [])
    if blocking and not force:
        raise AuditFailed(f"审核发现 {len(result.errors)} 个错误、{len(result.warnings)} 个警告，未生成报告"
                          f"（审核报告：{audit_path}）", result.findings)
    context = report_context(wb, result.figures, result.projects, result.findings if blocking else None)
    target = outdir / name
    backup = _protect_hand_edits(target, overwrite)
    write_docx(context, target)
    built = BuildResult(result, target, audit_path, len(wb.projects), backup=backup, draft=bool(blocking))
    record = changes.snapshot(result.figures, result.projects,
                              {SECTION_LABELS[k]: v for k, v in context["narrative"].items()}, wb.inputs)
    previous = changes.load(target)
    if previous is not None:
        built.changes = changes.differences(previous, record)
    changes.save(target, record)
    if pdf:
        from .pdf import find_soffice  # LibreOffice's helpers: only for --pdf

        soffice = find_soffice()
        if soffice is None:
            built.pdf_note = ("未找到 LibreOffice，只生成了 .docx。安装 LibreOffice 后可加 --pdf 生成 PDF，"
                              "或在 Word/WPS 中“另存为 PDF”。")
        else:
            built.pdf = _with_page_numbers(soffice, context, target)
    return built


def _with_page_numbers(soffice: str, context: dict, target: Path) -> Path:
    """Lay the report out once to learn each heading's page, then write .docx and PDF with a
    目录 that carries those page numbers."""
    from .pdf import convert, heading_pages, page_texts

    pdf_path = target.with_suffix(".pdf")
    with tempfile.TemporaryDirectory(prefix="disclose-") as work:
        draft_pdf = convert(soffice, target, Path(work) / "layout.pdf")
        entries = headings(target)
        pages = heading_pages([title for _, title in entries], page_texts(draft_pdf))
    context["toc"] = [{"level": level, "title": title, "page": "" if page is None else str(page)}
                      for (level, title), page in zip(entries, pages)]
    write_docx(context, target)
    return convert(soffice, target, pdf_path)
