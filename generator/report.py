"""The pipeline as one call: read → recompute and audit → render. The CLI stays thin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import changes
from .audit import AuditResult, audit
from .auditlog import write_audit_report
from .errors import AuditFailed, ReportEdited
from .context import report_context
from .files import Outputs, digest, refuse_unusual, safe_stem, sibling, sweep
from .catalog import DEFAULT, load_format
from .reader import read_workbook
from .render import edited_since_built, headings, write_docx
from .spec import Format

DRAFT = "（草稿）"
REVIEW = "（审阅稿）"


def report_name(unit: str, year: int, fmt: Format) -> str:
    """``{单位名称}{年度}年度{fmt.document}.docx`` (单位决算公开), made a safe file name (see
    :func:`safe_stem`)."""
    return safe_stem(unit, tail=f"{year}年度{fmt.document}") + ".docx"


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
    record_note: str = ""  # the previous build's record could not be used: why
    draft: bool = False  # written under --force despite blocking findings, as "{name}（草稿）.docx"
    review: Path | None = None  # the review draft, "{name}（审阅稿）.docx" (--review)
    review_comments: int = 0  # how many findings it carries as comments
    review_backup: Path | None = None  # where a hand-edited previous review draft was moved


def _protect_hand_edits(target: Path, overwrite: bool, outputs: Outputs, what: str = "报告") -> Path | None:
    if not target.exists() or not edited_since_built(target):
        return None
    if not overwrite:
        raise ReportEdited(f"{target}：这份{what}在生成后被手工修改过，为免丢失修改，未覆盖。"
                           "请把修改改到工作簿里；确要覆盖时加 --overwrite（原文件会备份在旁边）")
    backup = sibling(target, "手工修改备份")
    outputs.move_aside(target, backup)
    return backup


def build(workbook: str, outdir: Path, *, force: bool = False, strict: bool = False,
          pdf: bool = False, name: str | None = None, overwrite: bool = False, spec: str = DEFAULT,
          review: bool = False, soffice: str | None = None, office=None) -> BuildResult:
    """Build the report of ``workbook`` into ``outdir``.

    Raises :class:`AuditFailed` (nothing but the 审核报告 written) when the audit finds 错误,
    or 警告 under ``strict``, unless ``force``: then the report is a 草稿 listing the findings,
    written as ``{name}（草稿）.docx`` so that it never replaces a final report.
    With ``review``, the review draft ``{name}（审阅稿）.docx`` is written too, whatever the audit
    found: the report as printed, each of those 错误 (and 警告 under ``strict``) a comment on
    what it concerns (:mod:`generator.review`); :class:`AuditFailed` then names it.
    A previous report that was edited by hand since it was built is kept: :class:`ReportEdited`
    unless ``overwrite``, and then it is first moved to a backup beside it.
    With ``pdf`` and LibreOffice installed, the PDF is written too and the 目录 of both carries
    page numbers; without LibreOffice only the .docx is written and ``pdf_note`` says why. The PDF
    is laid out by ``office`` (a running :class:`generator.pdf.Office`, which a caller building
    many reports keeps for all of them) or else by a LibreOffice started for this build: the one
    ``soffice`` names, or the one :func:`generator.pdf.find_soffice` finds. A PDF
    of an earlier build left under the report's name is removed (``pdf_note`` says so).
    Every file of the build is put in place at the end, together (see :class:`Outputs`).
    ``spec`` is the report format, by name or folder (see :mod:`generator.catalog`).
    """
    if pdf and office is None:
        from . import pdf as libreoffice  # LibreOffice's helpers: only for --pdf

        if (soffice := libreoffice.find_soffice(soffice)) is not None:
            with libreoffice.Office(soffice) as own:
                own.start()  # LibreOffice starts while the workbook is read and the .docx written
                return build(workbook, outdir, force=force, strict=strict, pdf=pdf, name=name,
                             overwrite=overwrite, spec=spec, review=review, office=own)
    fmt = load_format(spec)
    sweep(outdir)
    wb = read_workbook(workbook, fmt)
    result = audit(wb, fmt)
    stem = (name or report_name(wb.name, wb.year, fmt))[: -len(".docx")]
    title = f"{wb.name}{wb.year}年度{fmt.document}"
    audit_path = outdir / f"{stem}审核报告.html"
    blocking = result.errors + (result.warnings if strict else [])
    target = outdir / f"{stem}{DRAFT if blocking else ''}.docx"
    refuse_unusual([audit_path, target, target.with_suffix(".pdf"), changes.record_path(target),
                    outdir / f"{stem}{REVIEW}.docx"])
    with Outputs() as outputs:
        write_audit_report(result, wb, outputs.path(audit_path, "审核报告"), fmt)
        review_path = review_backup = None
        if review:
            review_path = outdir / f"{stem}{REVIEW}.docx"
            try:
                review_backup = _protect_hand_edits(review_path, overwrite, outputs, "审阅稿")
            except ReportEdited:
                outputs.commit()
                raise
            from .review import write_review  # the comments' machinery: only for --review
            write_review(wb, result, blocking, fmt, outputs.path(review_path, "审阅稿"), title)
        if blocking and not force:
            outputs.commit()
            reviewed = f"；审阅稿（问题已作为批注标在报告中）：{review_path}" if review_path else ""
            blocked = "" if result.errors else "；加了 --strict，警告也不允许生成"
            raise AuditFailed(f"审核发现 {len(result.errors)} 个错误、{len(result.warnings)} 个警告{blocked}，未生成报告"
                              f"（审核报告：{audit_path}）{reviewed}", result.findings, review_path)
        context = report_context(wb, result.figures, result.projects, result.findings if blocking else None, fmt)
        try:
            backup = _protect_hand_edits(target, overwrite, outputs)
        except ReportEdited:
            outputs.commit()  # the 审核报告 still says what the workbook holds
            raise
        built = BuildResult(result, target, audit_path, len(wb.projects), backup=backup, draft=bool(blocking),
                            review=review_path, review_comments=len(blocking) if review else 0,
                            review_backup=review_backup)
        docx = outputs.path(target, "报告")
        pdf_path = target.with_suffix(".pdf")
        pdf_digest = None
        if pdf and office is not None:
            from . import pdf as libreoffice

            libreoffice.stop_orphans()
            staged_pdf = outputs.path(pdf_path, "PDF")
            write_docx(context, docx, fmt.template, title, for_layout=True, fingerprint=False)  # its headings make the 目录
            _with_page_numbers(office, context, docx, staged_pdf, datetime(wb.year, 12, 31), fmt.template, title,
                               fmt.sheets.projects.title_suffix if fmt.sheets.projects else None)
            pdf_digest = digest(staged_pdf)
            built.pdf = pdf_path
        else:
            write_docx(context, docx, fmt.template, title)
        if pdf and built.pdf is None:
            built.pdf_note = ("未找到 LibreOffice，只生成了 .docx。安装 LibreOffice 后可加 --pdf 生成 PDF，"
                              "或在 Word/WPS 中“另存为 PDF”。")
        previous, built.record_note = changes.read(target)
        if pdf_digest is None and pdf_path.exists():
            built.pdf_note = "\n".join(filter(None, [built.pdf_note, _set_aside_stale_pdf(pdf_path, previous, outputs)]))
        record = changes.snapshot(fmt, result.figures, result.projects,
                                  {section.label: context["narrative"][section.key] for section in fmt.sections},
                                  wb.inputs,
                                  pdf=pdf_digest)
        if previous is not None:
            built.changes = changes.differences(previous, record)
        outputs.write(changes.record_path(target), changes.encode(record), "数字记录", hidden=True)
        outputs.commit()
    return built


def _set_aside_stale_pdf(pdf_path: Path, previous: dict | None, outputs: Outputs) -> str:
    """A PDF under the report's name that this build did not write would be taken for this
    report: an earlier build's is removed; one made some other way is moved aside."""
    if previous is not None and previous.get("pdf") == digest(pdf_path):
        outputs.remove(pdf_path)
        return f"本次没有生成 PDF，已删除上次生成的 PDF（以免与报告不一致）：{pdf_path}；需要 PDF 时请加 --pdf"
    aside = sibling(pdf_path, "旧版")
    outputs.move_aside(pdf_path, aside)
    return f"本次没有生成 PDF，报告旁原有的 PDF 不是本工具生成的，已改名为：{aside}；需要 PDF 时请加 --pdf"


def _with_page_numbers(office, context: dict, docx: Path, pdf_path: Path, dated: datetime,
                       template: Path, document_title: str, annex: str | None) -> None:
    """Lay the report out once (see :meth:`generator.pdf.Office.lay_out`): the 目录's entries are
    the headings of ``docx`` as written (the 自评表, titled ``annex``, are not in it); the PDF
    carries each heading's page in its 目录 and its tables as fitted to the pages, and the .docx
    is rewritten with the same numbers and fits."""
    entries = headings(docx, annex)

    def write(pages: list[int | None], fixes: list | None = None, for_layout: bool = False,
              fingerprint: bool | str = True) -> str | None:
        context["toc"] = [{"level": level, "title": entry, "page": "" if page is None else str(page)}
                          for (level, _, entry), page in zip(entries, pages)]
        return write_docx(context, docx, template, document_title, for_layout=for_layout, fixes=fixes,
                          fingerprint=fingerprint)

    # The 目录 as it will be, its numbers still blank. The fingerprint of the report's text (the
    # laid-out report's: page numbers and fits change no text) is worked out while LibreOffice
    # starts, not after it has laid the report out.
    text = write([None] * len(entries), for_layout=True)
    office.lay_out(docx, pdf_path, [title for _, title, _ in entries], dated,
                   lambda pages, fixes: write(pages, fixes, fingerprint=text))
