"""Many workbooks at once: parallel worker processes, one outcome per workbook.

A bad workbook does not stop the others, nor does one that makes its worker process die. When
two workbooks would write the same report name (ignoring letter case), each report gets its
workbook's file stem appended, so nothing is overwritten silently. Ctrl+C stops the batch at once.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from .errors import AuditFailed, DiscloseError, OutputError, ReportEdited
from .findings import ERROR
from .loader import WORKBOOK_SUFFIXES
from .catalog import DEFAULT, load_format
from .reader import read_unit
from .files import STEM_BYTES, safe_stem
from .report import build, report_name


@dataclass(frozen=True)
class Outcome:
    workbook: str
    result: str  # OK, 错误 n, 警告 n, 无法读取, 无法写入, 未覆盖 (edited by hand), 程序出错
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


def _died(workbook: Path) -> Outcome:
    """The process building this workbook ended without a word (the system stopped it: out of
    memory, or a fault in a library written in another language)."""
    return Outcome(str(workbook), "程序出错", "",
                   "处理这个工作簿时程序异常退出（工作簿可能已损坏或过大），其他工作簿不受影响；"
                   "请把这个工作簿和这一行发给维护人员", 2)


def _stopped(workbook: Path) -> Outcome:
    return Outcome(str(workbook), "已中断", "", "按了 Ctrl+C：这个工作簿的报告没有生成", 130)


class Interrupted(Exception):
    """Ctrl+C during a batch: the workers are stopped; ``outcomes`` holds every workbook's row."""

    def __init__(self, outcomes: list[Outcome]):
        super().__init__("interrupted")
        self.outcomes = outcomes


# ---- the worker processes --------------------------------------------------------------------

_busy = False  # in a worker: building now (an interruption must let the build clean up)
_stopping = False  # in a worker: the batch was interrupted, start nothing more
_office = None  # in a worker of a --pdf batch: its LibreOffice, kept running across its reports


def _worker_started(soffice: str | None = None) -> None:
    # Ctrl+C is the main process's to handle: it stops the workers with SIGTERM, which ends a
    # build as an exception does (its temporary files and LibreOffice go) and starts no other.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _on_terminate)
    if soffice is not None:
        from .pdf import kept_office

        global _office
        _office = kept_office(soffice)  # one LibreOffice per worker, for all its reports
        _office.start()  # starting now, while the worker reads its first workbook


def _on_terminate(signum, frame) -> None:
    global _stopping
    _stopping = True
    if not _busy:
        if _office is not None:
            _office.close()
        os._exit(130)
    raise KeyboardInterrupt


def _task(fn: Callable, workbook: Path, *args):
    global _busy
    if _stopping:
        return _stopped(workbook)
    _busy = True
    try:
        return fn(workbook, *args)
    finally:
        _busy = False


class _Workers:
    """``jobs`` worker processes. A worker that dies natively (an abort in a library, the system
    killing it) breaks a process pool and every pending task with it: those tasks are run again,
    each in a process of its own, so that only the workbook that kills its process fails."""

    def __init__(self, jobs: int, soffice: str | None = None):
        self.jobs = jobs
        self.soffice = soffice  # the LibreOffice each worker keeps running (--pdf), or None
        self.pools: list[ProcessPoolExecutor] = []
        self.shared = self._pool(jobs)

    def _pool(self, workers: int) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_started, initargs=(self.soffice,))
        self.pools.append(pool)
        return pool

    def run(self, fn: Callable, tasks: dict[Path, tuple], done: Callable[[Path, object], None]) -> None:
        futures = {self.shared.submit(_task, fn, w, *args): w for w, args in tasks.items()}
        broken = []
        for future in as_completed(futures):
            workbook = futures[future]
            try:
                done(workbook, future.result())
            except BrokenProcessPool:
                broken.append(workbook)
            except Exception as exc:  # noqa: BLE001 - one workbook's crash must not end the batch
                done(workbook, _crashed(workbook, exc))
        if broken:
            self.shared.shutdown(wait=True)
            self.shared = self._pool(self.jobs)
            with ThreadPoolExecutor(self.jobs) as threads:
                for workbook, result in zip(broken, threads.map(lambda w: self._alone(fn, w, tasks[w]), broken)):
                    done(workbook, result)

    def _alone(self, fn: Callable, workbook: Path, args: tuple):
        pool = self._pool(1)
        try:
            return pool.submit(_task, fn, workbook, *args).result()
        except BrokenProcessPool:
            return _died(workbook)
        except Exception as exc:  # noqa: BLE001 - one workbook's crash must not end the batch
            return _crashed(workbook, exc)
        finally:
            pool.shutdown(wait=True)
            self.pools.remove(pool)

    def stop(self) -> None:
        """Ctrl+C: start nothing more, end the builds under way (each cleans up after itself)."""
        processes = []
        for pool in self.pools:
            processes += list((getattr(pool, "_processes", None) or {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.kill()

    def close(self) -> None:
        for pool in self.pools:
            pool.shutdown(wait=True)


# ---- the batch -------------------------------------------------------------------------------

def _peek(workbook: Path, spec: str) -> str | Outcome:
    try:
        fmt = load_format(spec)
        return report_name(*read_unit(str(workbook), fmt), fmt)
    except DiscloseError as exc:
        return Outcome(str(workbook), "无法读取", "", exc.message, exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - one workbook's crash must not end the batch
        return _crashed(workbook, exc)


def _unique(names: dict[Path, str | Outcome]) -> dict[Path, str | Outcome]:
    """Each workbook's report name, stem-suffixed where names collide — ignoring letter case,
    as Windows and macOS compare names (ABC人社局 and abc人社局 would be one file there)."""
    counts = Counter(n.casefold() for n in names.values() if isinstance(n, str))
    taken = set(counts)
    for workbook, name in names.items():
        if isinstance(name, str) and counts[name.casefold()] > 1:
            unique = stem = safe_stem(name[: -len(".docx")], tail=f"-{workbook.stem}", limit=STEM_BYTES - 8)
            n = 1
            while f"{unique}.docx".casefold() in taken:  # stems cut to fit, or stems alike, can meet again
                n += 1
                unique = f"{stem}-{n}"
            taken.add(f"{unique}.docx".casefold())
            names[workbook] = f"{unique}.docx"
    return names


def _build_one(workbook: Path, outdir: Path, name: str, options: dict) -> Outcome:
    try:
        built = build(str(workbook), outdir, name=name, office=_office, **options)
    except AuditFailed as exc:
        errors = sum(1 for f in exc.findings if f.severity == ERROR)
        label = f"错误 {errors}" if errors else f"警告 {len(exc.findings)}"
        return Outcome(str(workbook), label, "", exc.message, exc.exit_code)
    except ReportEdited as exc:
        return Outcome(str(workbook), "未覆盖", "", exc.message, exc.exit_code)
    except OutputError as exc:
        return Outcome(str(workbook), "无法写入", "", exc.message, exc.exit_code)
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


# Windows cannot wait on more than 61 worker processes; no clerk's machine gains from more.
MAX_JOBS = 61


def run(workbooks: list[Path], outdir: Path, jobs: int, options: dict,
        progress: Callable[[], None] = lambda: None) -> list[Outcome]:
    """Build every workbook with up to ``jobs`` worker processes (never more than there are
    workbooks, nor than :data:`MAX_JOBS`); outcomes in the workbooks' order. Ctrl+C stops the
    batch at once: :class:`Interrupted` carries what was built and what was not. With
    ``options["pdf"]``, each worker keeps ``options["soffice"]`` running for its reports."""
    outcomes: dict[Path, Outcome] = {}
    names: dict[Path, str | Outcome] = {}
    soffice = options.get("soffice") if options.get("pdf") else None
    workers = _Workers(max(1, min(jobs, len(workbooks), MAX_JOBS)), soffice)

    def named(workbook: Path, name: str | Outcome) -> None:
        names[workbook] = name
        if isinstance(name, Outcome):
            outcomes[workbook] = name
            progress()

    def built(workbook: Path, outcome: Outcome) -> None:
        outcomes[workbook] = outcome
        progress()

    try:
        workers.run(_peek, {w: (options.get("spec", DEFAULT),) for w in workbooks}, named)
        todo = {w: (outdir, n, options) for w, n in _unique(names).items() if isinstance(n, str)}
        workers.run(_build_one, todo, built)
    except KeyboardInterrupt:
        workers.stop()
        raise Interrupted([outcomes.get(w) or _stopped(w) for w in workbooks]) from None
    finally:
        workers.close()
    return [outcomes[w] for w in workbooks]
