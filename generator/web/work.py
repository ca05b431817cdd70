"""The server's work: the audit of an upload, and builds in a bounded pool of worker processes.

The audit is quick (a few hundredths of a second for a 决算 workbook) and the clerk waits for
it, so it runs in a thread as the upload is answered, a few at a time. A build renders the
report and may run LibreOffice for the PDF: it runs in one of ``count`` worker processes, in the
order asked; the rest wait in a queue (rows of the database, so a restart keeps them).
Both go through the same functions as the command line (``generator.report``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import anyio

from .. import changes
from ..errors import DiscloseError
from .store import DONE, FAILED, Build, Store, Unit

log = logging.getLogger("disclose.web")


def shown(message: str, path: Path, name: str) -> str:
    """``message`` with the server's path of a file replaced by the name the clerk knows it by."""
    return message.replace(str(path), name)


@dataclass(frozen=True)
class Audited:
    unit_name: str
    year: int
    errors: int
    warnings: int
    sections: list[dict]


def audit_file(path: Path, spec: str) -> Audited:
    """What ``disclose check`` finds in the workbook at ``path``. Raises WorkbookError."""
    from ..audit import audit
    from ..auditlog import sections_json
    from ..catalog import load_format
    from ..reader import read_workbook

    fmt = load_format(spec)
    wb = read_workbook(str(path), fmt)
    result = audit(wb, fmt)
    return Audited(wb.name, wb.year, len(result.errors), len(result.warnings), sections_json(result.findings, fmt))


def _build(workbook: str, name: str, folder: str, pdf: bool, draft: bool, review: bool, spec: str) -> dict:
    """In a worker process: ``disclose build`` of ``workbook`` into ``folder`` (a new, empty one);
    with ``review``, ``disclose build --review --strict``: every finding, 警告 too, a comment of the
    审阅稿, and the report itself only when there is none. Returns the names of the files written,
    or the clerk's message of why nothing was."""
    from ..errors import AuditFailed
    from ..report import build

    global _building
    pdf = pdf and not review
    _building = True
    try:
        built = build(workbook, Path(folder), force=draft and not review, pdf=pdf, spec=spec,
                      review=review, strict=review, office=_warm_office() if pdf else None)
    except AuditFailed as exc:
        if exc.review is None:
            return {"message": shown(shown(exc.message, Path(workbook), name), Path(folder) / "", "")}
        audit = next(Path(folder).glob("*审核报告.html"))
        return {"review_file": exc.review.name, "audit_file": audit.name}
    except DiscloseError as exc:
        return {"message": shown(shown(exc.message, Path(workbook), name), Path(folder) / "", "")}
    finally:
        _building = False
    return {"report": built.report.name, "pdf_file": built.pdf.name if built.pdf else None,
            "audit_file": built.audit_report.name, "note": built.pdf_note,
            "review_file": built.review.name if built.review else None}


_building = False  # in a worker: a build is under way (a stop interrupts it, see _on_stop)


def _warm_office():
    """In a worker: its LibreOffice for PDF builds (:func:`generator.pdf.kept_office`), started at
    its first PDF build (while the report is written) and kept running for the next ones; None
    when LibreOffice is not installed (the build then says so)."""
    from ..pdf import find_soffice, kept_office

    soffice = find_soffice()
    if soffice is None:
        return None
    office = kept_office(soffice)
    office.start()  # nothing if it runs already
    return office


class Workers:
    """``count`` worker processes taking builds from the queue, oldest first."""

    def __init__(self, store: Store, count: int, spec: str):
        self.store = store
        self.count = count
        self.spec = spec
        self._queue: asyncio.Queue[tuple[int, int]] | None = None
        self._tasks: list[asyncio.Task] = []
        self._pool: ProcessPoolExecutor | None = None

    async def start(self) -> None:
        # spawn, not fork: the server has threads and an event loop that a forked child would copy.
        self._pool = ProcessPoolExecutor(self.count, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=worker_started)
        self._queue = asyncio.Queue()
        self.store.interrupt_running()
        for item in self.store.queued():
            self._queue.put_nowait(item)
        self._tasks = [asyncio.create_task(self._take()) for _ in range(self.count)]

    async def stop(self) -> None:
        """Stop taking builds, interrupt those under way (a restart shows them as not done) and
        end the workers, each stopping its LibreOffice."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._pool is not None:
            for process in list((getattr(self._pool, "_processes", None) or {}).values()):
                if process.is_alive():
                    process.terminate()  # see _on_stop
            self._pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, build: Build) -> None:
        self._queue.put_nowait((build.unit_id, build.id))

    async def _take(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            unit_id, build_id = await self._queue.get()
            unit = Unit(unit_id, "", None)
            build = self.store.build(unit, build_id)
            upload = self.store.upload(unit, build.upload_id)
            folder = self.store.folder(unit, "builds", build.id)
            self.store.start(build.id)
            try:
                folder.mkdir(parents=True)
                made = await loop.run_in_executor(
                    self._pool, _build, str(self.store.path(upload.stored)), upload.filename, str(folder),
                    bool(build.pdf), bool(build.draft), bool(build.review), self.spec)
            except Exception:  # noqa: BLE001 — a bug or a dead worker fails this build, not the server
                log.exception("build %s failed", build.id)
                made = {"message": "生成时发生内部错误，本次未完成；请重试，仍不行请把工作簿发给技术支持"}
            if "message" in made:
                self.store.finish(build.id, FAILED, message=made["message"])
                continue
            if made.get("report"):
                made["changes"] = await anyio.to_thread.run_sync(self._changes, build, folder / made["report"])
            self.store.finish(build.id, DONE, folder=self.store.relative(folder), **made)

    def _changes(self, build: Build, report: Path) -> str | None:
        """What changed since the unit's previous build, in the lines the CLI prints (JSON), or
        None for its first build."""
        previous = self.store.previous_done(build)
        if previous is None:
            return None
        old = changes.load(self.store.path(previous.folder) / previous.report)
        new = changes.load(report)
        if old is None or new is None:
            return None
        return json.dumps(changes.differences(old, new), ensure_ascii=False)


def worker_started() -> None:
    """In a worker process: builds yield the processor to the server's pages (a lower priority),
    and (Linux) the worker ends when the server does, even killed outright (kill -9), so that no
    build of a dead server goes on writing into the data folder after a restart."""
    import ctypes
    import sys

    if hasattr(os, "nice"):
        os.nice(5)
    # Ctrl+C in the server's terminal reaches the workers too: the server decides, and its stop
    # interrupts the builds under way (see Workers.stop).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _on_stop)
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # the server died before the line above took effect
            os._exit(1)


def _on_stop(signum, frame) -> None:
    """SIGTERM from :meth:`Workers.stop`: a build under way ends as on an error (its files and,
    if it was laid out, its LibreOffice go); an idle worker waits for the pool to end it, which
    stops its LibreOffice (see :func:`generator.pdf.kept_office`)."""
    if _building:
        raise KeyboardInterrupt


def workers_default() -> int:
    """Builds in parallel: one per core, at most two (a PDF's LibreOffice is a process of its own)."""
    return max(1, min(2, os.cpu_count() or 1))
