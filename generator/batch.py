"""Many workbooks at once: parallel worker processes, one outcome per workbook.

A bad workbook does not stop the others. When two workbooks would write the same report
name, each report gets its workbook's file stem appended, so nothing is overwritten silently.
"""

from __future__ import annotations

import multiprocessing.util
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from .errors import AuditFailed, DiscloseError, ReportEdited
from .findings import ERROR
from .loader import WORKBOOK_SUFFIXES
from .formats import DEFAULT, load_format
from .reader import read_unit
from .files import STEM_BYTES, safe_stem
from .report import build, report_name


@dataclass(frozen=True)
class Outcome:
    workbook: str
    result: str  # OK, 错误 n, 警告 n, 无法读取, 未覆盖 (edited by hand), 程序出错
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


def _crashed(workbook: Path, exc: BaseException) -> Outcome:
    """A fault of the tool itself on one workbook: its row says so, the others go on."""
    return Outcome(str(workbook), "程序出错", "",
                   f"处理这个工作簿时程序出错（{type(exc).__name__}），其他工作簿不受影响；"
                   "请把这个工作簿和这一行发给维护人员", 2)


def _peek(workbook: Path, spec: str) -> str | Outcome:
    try:
        fmt = load_format(spec)
        return report_name(*read_unit(str(workbook), fmt), fmt)
    except DiscloseError as exc:
        return Outcome(str(workbook), "无法读取", "", exc.message, exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - one workbook's crash must not end the batch
        return _crashed(workbook, exc)


def _names(workbooks: list[Path], pool: ProcessPoolExecutor, spec: str) -> dict[Path, str | Outcome]:
    """Each workbook's report name, stem-suffixed where names collide; an Outcome if unreadable."""
    futures = [pool.submit(_peek, w, spec) for w in workbooks]
    names = {w: _result(f, w) for w, f in zip(workbooks, futures)}
    counts = Counter(n for n in names.values() if isinstance(n, str))
    taken = set(counts)
    for workbook, name in names.items():
        if isinstance(name, str) and counts[name] > 1:
            unique = stem = safe_stem(name[: -len(".docx")], tail=f"-{workbook.stem}", limit=STEM_BYTES - 8)
            n = 1
            while f"{unique}.docx" in taken:  # stems cut to fit can meet again
                n += 1
                unique = f"{stem}-{n}"
            taken.add(f"{unique}.docx")
            names[workbook] = f"{unique}.docx"
    return names


def _result(future: Future, workbook: Path):
    """The future's result; a worker process that died (BrokenProcessPool) is that workbook's
    failure."""
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - one workbook's crash must not end the batch
        return _crashed(workbook, exc)


_office = None  # this worker's LibreOffice, kept running across its reports (see pdf.Office)


def _start_worker(soffice: str | None) -> None:
    """A worker of a --pdf batch holds one LibreOffice for its lifetime, started at its first
    report and stopped when the worker ends (normally, or by Ctrl+C; if the worker is killed,
    the helper driving LibreOffice stops it when its pipe closes)."""
    global _office
    if soffice is not None:
        from .pdf import Office

        _office = Office(soffice)
        multiprocessing.util.Finalize(_office, _office.close, exitpriority=10)


def _build_one(workbook: Path, outdir: Path, name: str, options: dict) -> Outcome:
    try:
        built = build(str(workbook), outdir, name=name, office=_office, **options)
    except AuditFailed as exc:
        errors = sum(1 for f in exc.findings if f.severity == ERROR)
        label = f"错误 {errors}" if errors else f"警告 {len(exc.findings)}"
        return Outcome(str(workbook), label, "", exc.message, exc.exit_code)
    except ReportEdited as exc:
        return Outcome(str(workbook), "未覆盖", "", exc.message, exc.exit_code)
    except DiscloseError as exc:
        return Outcome(str(workbook), "无法读取", "", exc.message, exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - one workbook's crash must not end the batch
        return _crashed(workbook, exc)
    result = built.result
    if built.draft:
        label = f"错误 {len(result.errors)}（草稿）" if result.errors else f"警告 {len(result.warnings)}（草稿）"
    else:
        label = f"警告 {len(result.warnings)}" if result.warnings else "OK"
    return Outcome(str(workbook), label, str(built.report))


def run(workbooks: list[Path], outdir: Path, jobs: int, options: dict,
        progress: Callable[[], None] = lambda: None) -> list[Outcome]:
    """Build every workbook with ``jobs`` worker processes; outcomes in the workbooks' order.
    With ``options["pdf"]``, ``options["soffice"]`` is the LibreOffice each worker keeps running."""
    soffice = options.get("soffice") if options.get("pdf") else None
    with ProcessPoolExecutor(max_workers=jobs, initializer=_start_worker, initargs=(soffice,)) as pool:
        names = _names(workbooks, pool, options.get("spec", DEFAULT))
        outcomes: dict[Path, Outcome] = {w: n for w, n in names.items() if isinstance(n, Outcome)}
        for _ in outcomes:
            progress()
        todo = [(w, n) for w, n in names.items() if isinstance(n, str)]
        futures = {pool.submit(_build_one, w, outdir, n, options): w for w, n in todo}
        for future in as_completed(futures):
            outcomes[futures[future]] = _result(future, futures[future])
            progress()
    return [outcomes[w] for w in workbooks]
