"""The bureau's view of all its units: each unit's status, sorting and filtering, the rules that
fail most across units, the status table as an Excel workbook, and the finished reports as one zip.

A unit's status is that of its latest upload: a report built from an earlier upload no longer
counts once a newer workbook came in.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..files import atomic_target, safe_stem
from ..findings import ERROR, Finding

NOT_UPLOADED = "未上传"
HAS_ERRORS = "有错误"
WARNINGS_ONLY = "仅有警告"
CLEAN = "审核通过"  # no 错误 and no 警告, report not built yet
BUILT = "已生成报告"
PDF = "已生成 PDF"
STATUSES = (NOT_UPLOADED, HAS_ERRORS, WARNINGS_ONLY, CLEAN, BUILT, PDF)  # the order of progress


def status(uploaded: bool, errors: int, warnings: int, built: bool, pdf: bool) -> str:
    """The status of a unit whose latest upload has ``errors`` and ``warnings``; ``built`` and
    ``pdf``: a final report (not a 草稿) and its PDF were made from that upload."""
    if not uploaded:
        return NOT_UPLOADED
    if errors:
        return HAS_ERRORS
    if built:
        return PDF if pdf else BUILT
    return WARNINGS_ONLY if warnings else CLEAN


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    contact: str
    status: str
    errors: int | None = None  # None: nothing uploaded
    warnings: int | None = None
    uploaded: str = ""  # when the latest workbook came in, "YYYY-MM-DD HH:MM:SS"
    year: int | None = None
    progress: str = ""  # "排队第 3 位", "正在生成" or ""
    reports: tuple[Path, ...] = ()  # the finished report's .docx and .pdf
    findings: tuple[Finding, ...] = field(default=(), repr=False)  # of the latest upload


COLUMNS = {  # query value → (heading, sort key)
    "code": ("单位编码", lambda r: r.code),
    "name": ("单位名称", lambda r: r.name),
    "status": ("状态", lambda r: STATUSES.index(r.status)),
    "errors": ("错误", lambda r: -1 if r.errors is None else r.errors),
    "warnings": ("警告", lambda r: -1 if r.warnings is None else r.warnings),
    "uploaded": ("最近上传", lambda r: r.uploaded),
    "year": ("报告年度", lambda r: r.year or 0),
}


def table(rows: Iterable[UnitRow], sort: str = "code", descending: bool = False, only: str = "",
          text: str = "") -> list[UnitRow]:
    """The rows with status ``only`` (all when empty) whose name or code holds ``text``, sorted by
    the column ``sort`` (one of :data:`COLUMNS`; an unknown one sorts by code), ties by code."""
    key = COLUMNS.get(sort, COLUMNS["code"])[1]
    text = text.strip().casefold()
    kept = [r for r in rows if (not only or r.status == only)
            and (not text or text in r.name.casefold() or text in r.code.casefold())]
    kept.sort(key=lambda r: r.code)
    kept.sort(key=key, reverse=descending)
    return kept


def counts(rows: Iterable[UnitRow]) -> dict[str, int]:
    """How many units are at each status, in :data:`STATUSES` order."""
    found = dict.fromkeys(STATUSES, 0)
    for row in rows:
        found[row.status] += 1
    return found


@dataclass(frozen=True)
class FailingRule:
    rule: str
    severity: str  # 错误 when it is an error for any unit
    units: tuple[str, ...]  # 单位编码 of the units whose latest upload breaks it


def most_failed(rows: Iterable[UnitRow], limit: int = 10) -> list[FailingRule]:
    """The rules broken by the most units (each unit counted once per rule), most first."""
    units: dict[str, list[str]] = {}
    errors: set[str] = set()
    for row in rows:
        for finding in row.findings:
            codes = units.setdefault(finding.rule, [])
            if row.code not in codes:
                codes.append(row.code)
            if finding.severity == ERROR:
                errors.add(finding.rule)
    ranked = sorted(units.items(), key=lambda item: (-len(item[1]), item[0]))[:limit]
    return [FailingRule(rule, "错误" if rule in errors else "警告", tuple(codes)) for rule, codes in ranked]


def status_workbook(rows: Iterable[UnitRow]) -> bytes:
    """The status table as an .xlsx: one row per unit, as the bureau's page shows it."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "各单位进度"
    sheet.append(["单位编码", "单位名称", "联系方式", "状态", "错误", "警告", "最近上传", "报告年度"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.code, row.name, row.contact, row.status, row.errors, row.warnings,
                      row.uploaded or None, row.year])
        sheet.cell(sheet.max_row, 1).number_format = "@"
    for column, width in zip("ABCDEFGH", (14, 40, 24, 12, 8, 8, 20, 10)):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_reports_zip(rows: Iterable[UnitRow], target: Path) -> int:
    """Every finished report (.docx and .pdf) of ``rows`` into the zip ``target``, each in a
    folder "{单位编码} {单位名称}"; written atomically. Returns how many files it holds."""
    written = 0
    with atomic_target(target, "汇总压缩包") as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            for row in rows:
                folder = safe_stem(f"{row.code} {row.name}")
                for report in row.reports:
                    archive.write(report, f"{folder}/{report.name}")
                    written += 1
    return written
