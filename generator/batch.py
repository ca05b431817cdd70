"""Many workbooks at once: parallel worker processes, one outcome per workbook.

A bad workbook does not stop the others. When two workbooks would write the same report
name, each report gets its workbook's file stem appended, so nothing is overwritten silently.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from .errors import AuditFailed, DiscloseError, ReportEdited
from .findings import ERROR
from .loader import WORKBOOK_SUFFIXES
from .reader import read_unit
from .report import build, report_name


@dataclass(frozen=True)
class Outcome:
    workbook: str
    result: str  # OK, 错误 n, 警告 n, 无法读取, 未覆盖 (edited by hand)
    report: str
    message: str = ""
    exit_code: int = 0


def workbooks_in(paths: list[Path]) -> list[Path]:
    """The files named, and the workbooks (.xlsx, .xlsm, .xls, .ods) directly inside the folders
    named (Excel's ~$ lock files left out), in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix.lower() in WORKBOOK_SUFFIXES
                            and not p.name.startswith("~$") and p.is_file())
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def _peek(workbook: Path) -> str | Outcome:
    try:
        return report_name(*read_unit(str(workbook)))
    except DiscloseError as exc:
        return Outcome(str(workbook), "无法读取", "", exc.message, exc.exit_code)


def _names(workbooks: list[Path], pool: ProcessPoolExecutor) -> dict[Path, str | Outcome]:
    """Each workbook's report name, stem-suffixed where names collide; an Outcome if unreadable."""
    names = dict(zip(workbooks, pool.map(_peek, workbooks)))
    counts = Counter(n for n in names.values() if isinstance(n, str))
    for workbook, name in names.items():
        if isinstance(name, str) and counts[name] > 1:
            names[workbook] = f"{name[: -len('.docx')]}-{workbook.stem}.docx"
    return names


def _build_one(workbook: Path, outdir: Path, name: str, options: dict) -> Outcome:
    try:
        built = build(str(workbook), outdir, name=name, **options)
    except AuditFailed as exc:
        errors = sum(1 for f in exc.findings if f.severity == ERROR)
        label = f"错误 {errors}" if errors else f"警告 {len(exc.findings)}"
        return Outcome(str(workbook), label, "", exc.message, exc.exit_code)
    except ReportEdited as exc:
        return Outcome(str(workbook), "未覆盖", "", exc.message, exc.exit_code)
    except DiscloseError as exc:
        return Outcome(str(workbook), "无法读取", "", exc.message, exc.exit_code)
    result = built.result
    if built.draft:
        label = f"错误 {len(result.errors)}（草稿）" if result.errors else f"警告 {len(result.warnings)}（草稿）"
    else:
        label = f"警告 {len(result.warnings)}" if result.warnings else "OK"
    return Outcome(str(workbook), label, str(built.report))


def run(workbooks: list[Path], outdir: Path, jobs: int, options: dict,
        progress: Callable[[], None] = lambda: None) -> list[Outcome]:
    """Build every workbook with ``jobs`` worker processes; outcomes in the workbooks' order."""
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        names = _names(workbooks, pool)
        outcomes: dict[Path, Outcome] = {w: n for w, n in names.items() if isinstance(n, Outcome)}
        for _ in outcomes:
            progress()
        todo = [(w, n) for w, n in names.items() if isinstance(n, str)]
        futures = {pool.submit(_build_one, w, outdir, n, options): w for w, n in todo}
        for future in as_completed(futures):
            outcomes[futures[future]] = future.result()
            progress()
    return [outcomes[w] for w in workbooks]
