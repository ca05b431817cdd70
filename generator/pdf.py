"""PDF through LibreOffice headless, and what the tool reads back from the PDF.

The template names the fonts of Chinese government publications (仿宋_GB2312, 方正小标宋简体 …),
which few machines have; each conversion runs with a private LibreOffice profile whose
replacement table maps them to CJK fonts that are installed, so no glyph goes missing.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing.util
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path, PureWindowsPath
from urllib.parse import unquote, urlparse
from xml.sax.saxutils import escape

from .errors import DiscloseError, OutputError
from .files import STALE_SECONDS, WORK_PREFIX, cache_root, make_work_folder, os_problem, work_folder, write_atomically

# Template font → installed fonts to try, best first (Windows names, then Linux families). Each
# face keeps its own look (黑体 a sans, 楷体 a brush face), and only Simplified Chinese faces are
# named, so that no fallback draws Japanese or Traditional forms.
FONT_CANDIDATES = {
    "方正小标宋简体": ("SimSun", "Noto Serif CJK SC", "Source Han Serif SC", "AR PL SungtiL GB"),
    "宋体": ("SimSun", "Noto Serif CJK SC", "Source Han Serif SC", "AR PL SungtiL GB"),
    "黑体": ("SimHei", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei"),
    "楷体_GB2312": ("KaiTi", "楷体", "AR PL KaitiM GB", "AR PL UKai CN"),
    # No free 仿宋 is packaged; a Song face of the same build is closest in weight and width.
    "仿宋_GB2312": ("FangSong", "仿宋", "Noto Serif CJK SC", "Source Han Serif SC",
                  "AR PL SungtiL GB"),
    # Figures are set in Times New Roman; Liberation Serif has the same widths.
    "Times New Roman": ("Liberation Serif", "Tinos", "DejaVu Serif"),
}
_FOOTER = re.compile(r"-\s*(\d+)\s*-")
ENVIRONMENT = "DISCLOSE_SOFFICE"  # names the soffice to use, like --soffice


def find_soffice(explicit: str | os.PathLike | None = None) -> str | None:
    """LibreOffice's ``soffice``: ``explicit`` (``--soffice``), else ``$DISCLOSE_SOFFICE``, else
    the one on PATH, else where its installers put it (on Windows: the registry's App Paths, then
    Program Files on every drive; on macOS: /Applications). None when it is not installed; a path
    named explicitly that is not a program is a :class:`DiscloseError`."""
    for named, source in ((explicit, "--soffice"), (os.environ.get(ENVIRONMENT), ENVIRONMENT)):
        if named:
            return _named_soffice(Path(named), source)
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    return next((str(p) for p in _installed_places() if p.is_file()), None)


def _named_soffice(path: Path, source: str) -> str:
    if path.is_dir():  # the installation folder or its program folder
        path = next((p for p in (path / "program" / "soffice.exe", path / "program" / "soffice",
                                 path / "soffice.exe", path / "soffice") if p.is_file()), path)
    if not path.is_file():
        raise DiscloseError(f"{source} 指定的 LibreOffice 程序不存在：{path}；"
                            "请写 soffice 的完整路径（Windows 上如 C:\\Program Files\\LibreOffice\\program\\soffice.exe）")
    return str(path)


def _installed_places() -> list[Path]:
    if sys.platform == "darwin":
        return [Path("/Applications/LibreOffice.app/Contents/MacOS/soffice")]
    if os.name != "nt":
        return []
    drives = [f"{letter}:" for letter in "CDEFGHIJKLMNOPQRSTUVWXYZ" if os.path.exists(f"{letter}:\\")]
    return [Path(p) for p in windows_places(drives, _registered_soffice())]


def windows_places(drives: list[str], registered: list[str]) -> list[str]:
    """Where soffice.exe may be on Windows, in the order looked at: where the registry says the
    installer put it, then LibreOffice's default folders in Program Files on each drive."""
    places = list(registered)
    for drive in drives:
        for folder in ("Program Files", "Program Files (x86)"):
            places.append(str(PureWindowsPath(drive + "\\", folder, "LibreOffice", "program", "soffice.exe")))
    return places


def _registered_soffice() -> list[str]:
    """Where Windows' registry says soffice.exe is (App Paths, written by LibreOffice's installer)."""
    import winreg

    found = []
    for root in (winreg.HKEY_LOCAL_MACHINE, winreg.HKEY_CURRENT_USER):
        try:
            with winreg.OpenKey(root, r"SOFTWARE\Microsoft\Windows\CurrentVersion\App Paths\soffice.exe") as key:
                found.append(winreg.QueryValue(key, None).strip('"'))
        except OSError:
            continue
    return found


def _installed_families() -> set[str]:
    try:
        out = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    return {name.strip() for line in out.splitlines() for name in line.split(",")}


def font_substitutions(installed: set[str] | None = None) -> dict[str, str]:
    """Template font → the installed font LibreOffice should use instead."""
    installed = _installed_families() if installed is None else installed
    chosen = {}
    for font, candidates in FONT_CANDIDATES.items():
        if font in installed:
            continue
        pick = next((c for c in candidates if c in installed), None)
        if pick is None and not installed:  # no fontconfig (Windows): its own font names
            pick = candidates[0]
        if pick:
            chosen[font] = pick
    return chosen


def _profile(directory: Path, substitutions: dict[str, str]) -> None:
    pairs = "".join(
        f'<item oor:path="/org.openoffice.Office.Common/Font/Substitution/FontPairs">'
        f'<node oor:name="_{i}" oor:op="replace">'
        f'<prop oor:name="Always" oor:op="fuse"><value>true</value></prop>'
        f'<prop oor:name="OnScreenOnly" oor:op="fuse"><value>false</value></prop>'
        f'<prop oor:name="ReplaceFont" oor:op="fuse"><value>{escape(src)}</value></prop>'
        f'<prop oor:name="SubstituteFont" oor:op="fuse"><value>{escape(dst)}</value></prop>'
        f"</node></item>"
        for i, (src, dst) in enumerate(substitutions.items()))
    user = directory / "user"
    user.mkdir(parents=True)
    (user / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<item oor:path="/org.openoffice.Office.Common/Font/Substitution">'
        '<prop oor:name="Replacement" oor:op="fuse"><value>true</value></prop></item>'
        f"{pairs}</oor:items>\n", encoding="utf-8")


def _new_profile(directory: Path, soffice: str) -> None:
    """A private profile for LibreOffice at ``directory``, with the fonts' substitutions: a copy
    of one that LibreOffice has set up on this machine (a start in a new profile sets it up
    first, a tenth of a second of every start), else a new one."""
    substitutions = font_substitutions()
    ready = _ready_profile(soffice, substitutions)
    if ready is not None:
        try:
            shutil.copytree(ready, directory)
            return
        except OSError:
            shutil.rmtree(directory, ignore_errors=True)
    _profile(directory, substitutions)


def _ready_profile(soffice: str, substitutions: dict[str, str]) -> Path | None:
    """The profile ``soffice`` set up in its first start with these substitutions, kept in the
    cache (set up now, once, if need be: LibreOffice started until it is ready, and quit);
    None where it cannot be kept."""
    try:
        program = os.path.realpath(soffice)
        installed = os.stat(program)
    except OSError:
        return None
    key = repr((program, installed.st_size, installed.st_mtime_ns, sorted(substitutions.items())))
    ready = cache_root() / f"libreoffice-profile-{hashlib.sha256(key.encode()).hexdigest()[:16]}"
    failed = ready.with_name(f"{ready.name}.failed")  # not tried again at every start
    if (ready / "user").is_dir():
        return ready
    if failed.exists():
        return None
    try:
        ready.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{ready.name}-", dir=ready.parent))
    except OSError:
        return None
    try:
        with work_folder("lo-") as work:
            _profile(staging / "profile", substitutions)
            _run([soffice, f"{_MARKER}{(staging / 'profile').as_uri()}", "--headless", "--norestore",
                  "--terminate_after_init"], _private_temp(work), cwd=work)
        if (staging / "profile" / "user" / "extensions").is_dir():  # set up by LibreOffice
            os.rename(staging / "profile", ready)  # another process may have kept one first
        else:
            failed.touch()
    except (OSError, subprocess.SubprocessError):
        pass
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ready if (ready / "user").is_dir() else None


TIMEOUT = 300  # seconds one conversion may take before LibreOffice is stopped
_MARKER = "-env:UserInstallation="
_DATE = re.compile(rb"/(?:CreationDate|ModDate)\s*\(D:(\d{14})")
_IDENTITY = re.compile(rb"/ID\s*\[\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*\]|/DocChecksum\s*/([0-9A-Fa-f]+)")


def convert(soffice: str, docx: Path, target: Path, dated: datetime | None = None) -> Path:
    """Convert ``docx`` to the PDF ``target`` (written atomically); with ``dated``, the PDF
    carries that date and is byte-for-byte the same for the same ``docx``."""
    with work_folder() as work_dir:
        source = work_dir / "report.docx"
        shutil.copyfile(docx, source)
        try:
            convert_files(soffice, [source], "pdf", work_dir)
        except subprocess.TimeoutExpired:
            raise OutputError(f"{docx}：LibreOffice 转换 PDF 超过 {TIMEOUT} 秒仍未完成，已停止；"
                              "请检查 LibreOffice 能否正常启动，或在 Word/WPS 中另存为 PDF") from None
        except OSError as exc:
            raise OutputError(f"{docx}：LibreOffice 无法启动：{os_problem(exc)}") from None
        produced = work_dir / "report.pdf"
        if not produced.exists():
            raise OutputError(f"{docx}：LibreOffice 没有生成 PDF（请检查 LibreOffice 能否正常启动，或在 Word/WPS 中另存为 PDF）")
        data = produced.read_bytes()
        write_atomically(target, data if dated is None else stable_pdf(data, dated), "PDF")
    return target


def convert_files(soffice: str, sources: list[Path], to: str, outdir: Path) -> None:
    """``soffice --convert-to {to}`` (pdf, xls, ods …) of ``sources`` into ``outdir``, in one
    LibreOffice run with a private profile (parallel runs do not collide) and temporary folder
    (its lu*.tmp files go with it), stopped with every process it started at the end. Raises
    OSError when soffice cannot be started, TimeoutExpired after :data:`TIMEOUT` seconds."""
    with work_folder("lo-") as work:
        _new_profile(work / "profile", soffice)
        _run([soffice, f"{_MARKER}{(work / 'profile').as_uri()}", "--headless", "--norestore",
              "--convert-to", to, "--outdir", str(outdir), *map(str, sources)], _private_temp(work))


def _private_temp(work: Path) -> dict[str, str]:
    """soffice's environment with its temporary folder inside ``work``: LibreOffice's own
    temporary files (lu*.tmp) go with the work folder, even when LibreOffice is killed."""
    temp = work / "tmp"
    temp.mkdir(exist_ok=True)
    return dict(os.environ, TMPDIR=str(temp), TMP=str(temp), TEMP=str(temp))


def _run(command: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
    """LibreOffice in a process group of its own (``soffice`` starts ``soffice.bin`` and helpers),
    stopped as a whole when the conversion ends, times out, fails or is interrupted (Ctrl+C)."""
    if os.name == "nt":
        options = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    else:
        options = {"start_new_session": True}
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=env, cwd=cwd, **options)
    try:
        process.wait(timeout=TIMEOUT)
    finally:
        _stop_group(process.pid)
        process.wait()


def _stop_group(pid: int) -> None:
    if os.name == "nt":
        subprocess.run(["taskkill", "/F", "/T", "/PID", str(pid)], capture_output=True, check=False)
        return
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group has already ended


_HELPER = Path(__file__).with_name("lo_uno.py")
_UNO_PYTHONS: dict[str, str | None] = {}


def uno_python(soffice: str) -> str | None:
    """A Python that can ``import uno`` for this LibreOffice: the one it bundles (Windows, macOS),
    else Debian's /usr/bin/python3 with python3-uno, else this one; None when there is none (the
    PDF is then made through soffice's command line, more slowly)."""
    if soffice not in _UNO_PYTHONS:
        program = Path(os.path.realpath(soffice)).parent
        candidates = [program / "python.exe", program / "python", program.parent / "Resources" / "python",
                      Path("/usr/bin/python3"), Path(sys.executable)]
        _UNO_PYTHONS[soffice] = next((str(c) for c in dict.fromkeys(candidates) if c.is_file() and _imports_uno(c)), None)
    return _UNO_PYTHONS[soffice]


def _uno_environment() -> dict[str, str]:
    """This environment for LibreOffice's Python, without what would make it another Python's
    (this tool's own may be a virtualenv's, or set PYTHONHOME)."""
    return {name: value for name, value in os.environ.items() if name not in ("PYTHONHOME", "PYTHONPATH")}


def _imports_uno(python: Path) -> bool:
    try:
        return subprocess.run([str(python), "-c", "import uno"], stdin=subprocess.DEVNULL, capture_output=True,
                              env=_uno_environment(), timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


class _LayoutFailed(Exception):
    """LibreOffice did not lay the report out (it failed, or it died)."""


class Office:
    """One LibreOffice kept running for the reports laid out through it: a worker of a batch
    or of the web server holds one for its lifetime, a single build for its own.

    ``with Office(soffice) as office: office.lay_out(...)`` — LibreOffice starts in the
    background at :meth:`start` (or the first :meth:`lay_out`) and is stopped, with every process
    it started and its temporary files, at :meth:`close`: at the end of the ``with``, on an
    error and on Ctrl+C. Should the process holding it be killed, the helper that drives
    LibreOffice sees its pipe close and stops LibreOffice itself.

    LibreOffice is driven through its UNO API by :mod:`generator.lo_uno`, run in LibreOffice's own
    Python (:func:`uno_python`), the layout itself inside soffice where its Python script provider
    is installed (``in_process``), else over the pipe; where there is no such Python, each report
    is converted by soffice's command line instead (cold, twice: once to learn the pages, once for
    the PDF).
    """

    def __init__(self, soffice: str, in_process: bool = True):
        self.soffice = soffice
        self.in_process = in_process  # False: the layout is driven over the pipe even where it could run inside soffice
        self.inside: bool | None = None  # whether it does run inside soffice (known once LibreOffice answers)
        self.why_outside: str | None = None  # and if not, why (for a maintainer)
        self._work: Path | None = None
        self._helper: subprocess.Popen | None = None
        self._replies: queue.Queue | None = None
        self._pid: int | None = None  # soffice's, as the helper reported it
        self._busy = False  # a report is being laid out: close() stops LibreOffice at once
        self._laid_out = 0  # reports the running LibreOffice has laid out
        self._closed = threading.Event()

    def __enter__(self) -> "Office":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        """Start LibreOffice without waiting for it (nothing, if it runs or UNO is unavailable)."""
        if self._helper is not None or (python := uno_python(self.soffice)) is None:
            return
        self._work = work = make_work_folder("lo-")
        _new_profile(work / "profile", self.soffice)
        options = ({"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if os.name == "nt"
                   else {"start_new_session": True})
        self._helper = subprocess.Popen(
            [python, str(_HELPER), self.soffice, f"{(work / 'profile').as_uri()}", f"disclose-{os.getpid()}-{id(self)}",
             _private_temp(work)["TMPDIR"], "in-process" if self.in_process else "pipe"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, encoding="utf-8",
            env=_uno_environment(), **options)
        self._replies = queue.Queue()
        self._laid_out = 0
        self._reader = threading.Thread(target=_read_lines, args=(self._helper.stdout, self._replies), daemon=True)
        self._reader.start()
        self._closed = threading.Event()
        threading.Thread(target=_keep_fresh, args=(work, self._closed), daemon=True).start()

    def _reply(self) -> dict:
        try:
            line = self._replies.get(timeout=TIMEOUT)
        except queue.Empty:
            self.close()
            raise OutputError(f"LibreOffice 排版 PDF 超过 {TIMEOUT} 秒仍未完成，已停止；"
                              "请检查 LibreOffice 能否正常启动，或在 Word/WPS 中另存为 PDF") from None
        if line is None:
            return {"error": "the helper ended"}
        return json.loads(line)

    def _ready(self) -> bool:
        """Whether LibreOffice answers through UNO (it is started and waited for if need be)."""
        self.start()
        if self._helper is None:
            return False
        if self._pid is None:
            reply = self._reply()
            if "ready" not in reply:
                self.close()
                return False
            self._pid, self.inside, self.why_outside = reply["ready"], reply["inside"], reply["why"]
        return True

    def lay_out(self, docx: Path, target: Path, headings: list[str], dated: datetime | None = None,
                refill: Callable[[list[int | None], list], None] | None = None) -> list[int | None]:
        """Lay ``docx`` out once: its tables fitted to the pages (see :mod:`generator.lo_uno`),
        the printed page of each of ``headings`` (its paragraphs' texts, in order; None where one
        is not found) written into the document's 目录 (the entries of its table of contents, in
        the same order), and the PDF ``target`` written (atomically; with ``dated``, byte-for-byte
        the same for the same ``docx``). ``refill(pages, fixes)`` is then asked to rewrite
        ``docx`` with those page numbers in its 目录 and those fixes of its tables (see
        :func:`generator.render.fit_tables`), so that both files agree."""
        for attempt in (1, 2):
            if not self._ready():
                return self._lay_out_by_command_line(docx, target, headings, dated, refill)
            warm = self._laid_out > 0
            try:
                pages = self._lay_out_once(docx, target, headings, dated, refill)
            except _LayoutFailed:
                # A LibreOffice kept running since earlier reports may have died while it waited:
                # this report is given to a fresh one, once.
                if warm and attempt == 1:
                    continue
                raise OutputError("LibreOffice 没有生成 PDF（请检查 LibreOffice 能否正常启动，"
                                  "或在 Word/WPS 中另存为 PDF）") from None
            self._laid_out += 1
            return pages

    def _lay_out_once(self, docx, target, headings, dated, refill) -> list[int | None]:
        with work_folder() as work:
            source, produced = work / "report.docx", work / "report.pdf"
            shutil.copyfile(docx, source)  # LibreOffice's lock file goes there, not beside the report
            request = {"docx": str(source), "pdf": str(produced), "headings": headings}
            self._busy = True
            try:
                self._helper.stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
                self._helper.stdin.flush()
                laid_out = self._reply()
                if "pages" not in laid_out:
                    raise _LayoutFailed
                if refill is not None:  # while LibreOffice exports the PDF
                    refill(laid_out["pages"], laid_out["fixes"])
                if "exported" not in self._reply() or not produced.exists():
                    raise _LayoutFailed
            except BaseException:
                self.close()  # stopped at once; a LibreOffice that failed is not given the next report
                raise
            finally:
                self._busy = False
            data = produced.read_bytes()
        write_atomically(target, data if dated is None else stable_pdf(data, dated), "PDF")
        return laid_out["pages"]

    def _lay_out_by_command_line(self, docx, target, headings, dated, refill):
        with work_folder() as work:
            draft = convert(self.soffice, docx, work / "layout.pdf")
            pages = heading_pages(headings, page_texts(draft))
        if refill is not None:
            refill(pages, [])  # without UNO the tables are not fitted
        convert(self.soffice, docx, target, dated)
        return pages

    def close(self) -> None:
        """Stop LibreOffice and the helper, and remove their files (more than once is harmless)."""
        helper, self._helper = self._helper, None
        self._closed.set()
        if helper is not None:
            if self._pid is not None:
                _stop_group(self._pid)  # nothing of LibreOffice's is kept: no need to ask it to quit
            try:
                helper.stdin.close()  # the helper then stops LibreOffice (one it may be starting still)
                if not self._busy and self._pid is None:
                    helper.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
            _stop_group(helper.pid)
            helper.wait()
            self._reader.join(timeout=10)  # the pipe has ended with the helper
            helper.stdout.close()
        self._pid = None
        if self._work is not None:
            shutil.rmtree(self._work, ignore_errors=True)
            self._work = None


_KEPT: dict[str, Office] = {}


def kept_office(soffice: str) -> Office:
    """This process's :class:`Office` for ``soffice``: the one a worker process (of a batch, of
    the web server) keeps for all the reports it lays out, started at its first layout and closed
    when the process ends (killed outright, its helper stops LibreOffice). One that failed has
    stopped its LibreOffice, and the next layout starts a fresh one."""
    if soffice not in _KEPT:
        office = _KEPT[soffice] = Office(soffice)
        multiprocessing.util.Finalize(office, office.close, exitpriority=10)
    return _KEPT[soffice]


def _keep_fresh(work: Path, closed: threading.Event) -> None:
    """Touch the work folder while its LibreOffice runs (a web server's, for days), so that no
    other run takes it for a killed run's leftovers (see :func:`stop_orphans`, ``files.sweep``)."""
    while not closed.wait(STALE_SECONDS / 4):
        try:
            os.utime(work)
        except OSError:
            return


def _read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def stop_orphans() -> None:
    """Stop the LibreOffice processes a killed run left behind: those whose private profile is
    one of our work folders that is gone or stale (a live conversion never is). Linux only: other
    systems have no /proc to find them by."""
    proc = Path("/proc")
    if not proc.is_dir() or not hasattr(os, "getuid"):
        return
    cutoff = time.time() - STALE_SECONDS
    prefix = f"{_MARKER}{Path(tempfile.gettempdir()).as_uri()}/{WORK_PREFIX}lo-"
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != os.getuid():
                continue
            arguments = (entry / "cmdline").read_bytes().decode("utf-8", "replace").split("\0")
        except OSError:
            continue
        profile = next((a[len(_MARKER):] for a in arguments if a.startswith(prefix)), None)
        if profile is None:
            continue
        folder = Path(unquote(urlparse(profile).path)).parent
        try:
            if folder.stat().st_mtime > cutoff:
                continue
        except OSError:
            pass  # its folder is gone: the run that made it is over
        try:
            os.kill(int(entry.name), signal.SIGKILL)
        except OSError:
            continue


def stable_pdf(data: bytes, dated: datetime) -> bytes:
    """The PDF with its dates set to ``dated``, its fonts' /UniqueID numbered in order (a running
    LibreOffice counts them across documents) and its file identifier (and LibreOffice's
    /DocChecksum) derived from its content instead of the clock."""
    data = _numbered_font_ids(data)
    stamp = dated.strftime("%Y%m%d%H%M%S").encode()
    data = _DATE.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + stamp, data)
    digest = hashlib.md5(_IDENTITY.sub(b"", data), usedforsecurity=False).hexdigest().upper().encode()

    def fixed(m: re.Match) -> bytes:
        text = m.group(0)
        for group in (1, 2, 3):
            if m.group(group):
                start, end = m.start(group) - m.start(0), m.end(group) - m.start(0)
                text = text[:start] + (digest * 2)[: end - start] + text[end:]
        return text

    return _IDENTITY.sub(fixed, data)


_TYPE1_FONT = re.compile(rb"\n(\d+) 0 obj\n<</Length (\d+) 0 R/Filter/FlateDecode/Length1 (\d+)/Length2 (\d+)[^>]*>>\nstream\n")
_UNIQUE_ID = re.compile(rb"/UniqueID (\d+) def")
_FIRST_UNIQUE_ID = 4100000  # LibreOffice numbers a process's Type 1 fonts from 4100001


def _numbered_font_ids(data: bytes) -> bytes:
    """LibreOffice writes CFF fonts as Type 1 fonts whose /UniqueID comes from a counter of the
    whole process, so the same document exported by a LibreOffice that exported others before
    differs: the k-th font program is numbered as a LibreOffice exporting its first document
    numbers it (same digits, so its lengths hold); the font streams are compressed anew, alike,
    and their /Length objects and the cross-reference table rewritten to match."""
    fonts = list(_TYPE1_FONT.finditer(data))
    lengths = {m.group(2): re.search(rb"\n%s 0 obj\n(\d+)\nendobj" % m.group(2), data) for m in fonts}
    if not fonts or None in lengths.values() or b"\nxref\n" not in data:
        return data
    edits: list[tuple[int, int, bytes]] = []  # (start, end, new bytes), in file order
    for k, font in enumerate(fonts, start=1):
        length = lengths[font.group(2)]
        start = font.end()
        end = start + int(length.group(1))
        try:
            program = zlib.decompress(data[start:end])
        except zlib.error:
            return data
        clear, secret = int(font.group(3)), int(font.group(4))
        found = _UNIQUE_ID.search(program, 0, clear)
        if found is None:
            continue
        renumbered = program
        if int(found.group(1)) != _FIRST_UNIQUE_ID + k:  # not as in a LibreOffice's first document
            number = b"/UniqueID %d def" % (_FIRST_UNIQUE_ID + k)
            renumbered = (_UNIQUE_ID.sub(number, program[:clear], count=1)
                          + _renumbered_secret(program[clear:clear + secret], number) + program[clear + secret:])
            if len(renumbered) != len(program):
                return data  # not LibreOffice's numbering: left as it is
        packed = zlib.compress(renumbered)  # every one compressed alike, renumbered or not
        edits += [(start, end, packed), (length.start(1), length.end(1), str(len(packed)).encode())]
    return _patched(data, sorted(edits)) if edits else data


def _renumbered_secret(secret: bytes, number: bytes) -> bytes:
    """The eexec-encrypted part of a Type 1 font with its first ``/UniqueID … def`` replaced by
    ``number``: decrypted, renumbered and encrypted again (each byte's key follows the bytes
    before it, so everything after the change is encrypted anew)."""
    return _eexec(_UNIQUE_ID.sub(number, _eexec(secret, decrypt=True), count=1))


def _eexec(data: bytes, decrypt: bool = False) -> bytes:
    """Type 1 eexec encryption (Adobe Type 1 Font Format, 7.2), or its decryption."""
    r, out = 55665, bytearray(data)
    for i, byte in enumerate(data):
        out[i] = code = byte ^ (r >> 8)
        r = (((byte if decrypt else code) + r) * 52845 + 22719) & 0xFFFF
    return bytes(out)


def _patched(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """``data`` with ``edits`` made, its cross-reference table and startxref moved to match."""
    def moved(offset: int) -> int:
        return offset + sum(len(new) - (end - start) for start, end, new in edits if end <= offset)

    pieces, last = [], 0
    for start, end, new in edits:
        pieces += [data[last:start], new]
        last = end
    out = b"".join(pieces) + data[last:]
    table = out.rindex(b"\nxref\n") + 1
    head = re.match(rb"xref\n(\d+) (\d+)\n", out[table:])
    entries_at = table + head.end()
    count = int(head.group(2))
    entries = out[entries_at:entries_at + 20 * count]
    fixed = b"".join(b"%010d" % moved(int(e[:10])) + e[10:] if e[17:18] == b"n" else e
                     for e in (entries[i:i + 20] for i in range(0, len(entries), 20)))
    out = out[:entries_at] + fixed + out[entries_at + 20 * count:]
    return re.sub(rb"startxref\n(\d+)", lambda m: b"startxref\n%d" % moved(int(m.group(1))), out)


def page_texts(pdf: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(str(pdf)).pages]


def printed_number(text: str) -> int | None:
    """The ``- N -`` page number printed in a page's footer."""
    found = _FOOTER.findall(text)
    return int(found[-1]) if found else None


def _letters(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


def heading_pages(headings: list[str], pages: list[str]) -> list[int | None]:
    """The printed page number of each heading, found in order on the numbered pages."""
    # Letters and digits only: PDF text extraction varies on spaces, quotes and brackets.
    squeezed = [_letters(text) for text in pages]
    numbers = [printed_number(text) for text in pages]
    result: list[int | None] = []
    index = next((i for i, n in enumerate(numbers) if n is not None), len(pages))
    for heading in headings:
        want = _letters(heading)
        found = next((i for i in range(index, len(pages)) if want in squeezed[i]), None)
        if found is None:
            result.append(None)
            continue
        index = found
        result.append(numbers[found])
    return result
