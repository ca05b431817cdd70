"""Where the tool's templates are, what its outputs are called, and writing them.

Every output name comes from :func:`safe_stem`: one path component, whatever a workbook's 单位名称
holds. A build's files are written to temporary files beside their targets and put in place
together at the end (:class:`Outputs`), with the modes a normal file save gives; an OS error is one
Chinese line saying what to do (:func:`os_problem`).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import shutil
import stat
import tempfile
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from .errors import OutputError

_PACKAGE = Path(__file__).resolve().parent
PACKAGE = _PACKAGE
# Installed, the templates are inside the package (see pyproject.toml); in a checkout, beside it.
TEMPLATES = _PACKAGE / "templates" if (_PACKAGE / "templates").is_dir() else _PACKAGE.parent / "templates"

# ext4, XFS, Btrfs, APFS and NTFS all take 255 bytes (NTFS: UTF-16 units) per path component.
NAME_BYTES = 255
# What outputs add to a report's stem: "（草稿）" + ".手工修改备份-20231231-235959-99" + ".docx"
# is 60 bytes, "." + ".figures.json" 14, "审核报告.html" 17; the rest is margin.
STEM_BYTES = NAME_BYTES - 80
_FORBIDDEN = set('\\/:*?"<>|')
_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
TEMP_PREFIX = ".disclose-"  # temporary files beside their targets
WORK_PREFIX = "disclose-"  # work folders in the system's temporary folder
STALE_SECONDS = 3600  # no build holds a temporary file this long; older ones are from killed runs
# What the tool makes carries a proof that it made it, checked before anything is removed: a
# temporary file's name ends in a signature of its random part; a work folder holds a marker file
# whose content is the signature of the folder's name. A user's ".disclose-notes.txt" or
# "disclose-0.1.0/" has neither and is never touched.
_MARKER = ".disclose-work"
_TEMP_NAME = re.compile(r"\.disclose-([0-9a-f]{16})-([0-9a-f]{8})(\.[A-Za-z0-9]{1,10})?")


def cache_root() -> Path:
    """This machine's cache of disclose (compiled templates, formats checked): $XDG_CACHE_HOME/disclose."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "disclose"


def _umask() -> int:
    """The process's umask, read where the system allows without changing it (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return next(int(line.split()[1], 8) for line in status if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError):
        mask = os.umask(0o22)
        os.umask(mask)
        return mask


def safe_stem(text: str, tail: str = "", limit: int = STEM_BYTES) -> str:
    """``text`` + ``tail`` as a file name (without suffix) every common file system accepts: no
    path separators or characters Windows forbids, no control or invisible format characters, no
    ``..``, no leading or trailing dots and spaces, at most ``limit`` bytes of UTF-8 — ``text``
    is cut to make room, so ``tail`` (the year, a workbook's name) is always kept."""
    tail = _cut(_clean(tail), limit // 2)
    stem = (_cut(_clean(text), limit - len(tail.encode("utf-8"))) + tail).strip(" .")
    if stem.split(".")[0].upper() in _DEVICES:
        stem = "_" + stem
    return stem or "未命名"


def _cut(text: str, size: int) -> str:
    """The longest start of ``text`` of at most ``size`` bytes of UTF-8, whole characters only."""
    return text.encode("utf-8")[:size].decode("utf-8", "ignore")


def _clean(text: str) -> str:
    kept = "".join(ch for ch in text
                   if ch.isspace() or ch not in _FORBIDDEN and unicodedata.category(ch)[0] != "C")
    kept = " ".join(kept.split())  # newlines and tabs become one space
    while ".." in kept:
        kept = kept.replace("..", ".")
    return kept.strip(" .")


def sibling(target: Path, label: str) -> Path:
    """A new name beside ``target`` for moving it aside: ``{stem}.{label}-{mtime}{suffix}``,
    numbered when that name is taken, so no earlier backup is ever replaced."""
    stamp = datetime.fromtimestamp(target.stat().st_mtime).strftime("%Y%m%d-%H%M%S")
    for n in range(1, 10_000):
        candidate = target.with_name(f"{target.stem}.{label}-{stamp}{'' if n == 1 else f'-{n}'}{target.suffix}")
        if not candidate.exists() and not candidate.is_symlink():
            return candidate
    raise OutputError(f"{target}：旁边的备份文件太多，请先清理旧备份")


_FULL = "磁盘空间不足，请清理磁盘或换一个输出文件夹后重试"
_DENIED = "没有权限，或文件正被 Word/WPS 打开：请关闭该文件后重试，或检查文件和文件夹的权限、换一个输出文件夹"
_IN_USE = "文件正被其他程序使用，请关闭后重试"
# errno → what the clerk reads. The one place OS errors are put into words.
_OS_PROBLEMS = {
    errno.ENOSPC: _FULL, getattr(errno, "EDQUOT", errno.ENOSPC): _FULL,
    errno.EACCES: _DENIED, errno.EPERM: _DENIED,
    errno.EBUSY: _IN_USE, errno.ETXTBSY: _IN_USE,
    errno.EROFS: "所在磁盘是只读的，请换一个输出文件夹",
    errno.EEXIST: "同名的文件已存在",
    errno.ENAMETOOLONG: "文件名或路径太长，请把文件夹放在路径较短的位置",
    errno.ENOENT: "文件或文件夹不存在",
    errno.ENOTDIR: "路径中有一项是文件而不是文件夹，请换一个输出文件夹",
    errno.EISDIR: "同名的是一个文件夹",
    errno.EIO: "读写磁盘出错（网络盘断开或磁盘故障），请检查后重试",
}


def os_problem(exc: OSError) -> str:
    """What an OS error means for the clerk and what to do about it, in Chinese."""
    if getattr(exc, "winerror", None) in (32, 33):  # ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION
        return "文件正被 Word/WPS 或其他程序打开，请关闭后重试"
    return _OS_PROBLEMS.get(exc.errno, f"系统错误（代码 {exc.errno}），请检查磁盘和文件夹后重试")


_FILE_ATTRIBUTE_HIDDEN, _FILE_ATTRIBUTE_NORMAL = 0x2, 0x80


def set_hidden(path: Path, hidden: bool) -> None:
    """Mark a file hidden (or not) in Windows Explorer, where a leading dot hides nothing; elsewhere
    the dot does it. A failure leaves the file visible, nothing worse."""
    if os.name == "nt":
        import ctypes

        ctypes.windll.kernel32.SetFileAttributesW(str(path), _FILE_ATTRIBUTE_HIDDEN if hidden else _FILE_ATTRIBUTE_NORMAL)


def ensure_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"{folder}：无法写入：这里已有一个同名文件，不是文件夹；请换一个输出文件夹") from None
    except OSError as exc:
        raise OutputError(f"{folder}：无法写入：无法创建文件夹：{os_problem(exc)}") from None


def _mode_for(target: Path) -> int:
    """A rebuilt file keeps its mode; a new one gets what the umask gives (0644 under 022)."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return 0o666 & ~_umask()


class Outputs:
    """The files of one build. Each is written to a temporary file beside its target; nothing is
    in place until :meth:`commit`, which moves (renames: no disk space needed) every file into
    place. A failure before that leaves every target as it was; one during it names exactly what
    was and was not put in place."""

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path, str]] = []  # (temporary, target, what it is)
        self._aside: list[tuple[Path, Path]] = []  # (existing file, where it is moved first)
        self._remove: list[Path] = []
        self._hidden: set[Path] = set()  # targets to mark hidden where a leading dot does not hide (Windows)

    def __enter__(self) -> Outputs:
        return self

    def __exit__(self, kind, exc, traceback) -> None:
        folder = self._staged[0][1].parent if self._staged else None
        self.discard()
        if isinstance(exc, OSError) and folder is not None:  # raised writing a staged file
            raise OutputError(f"{folder}：无法写入：{os_problem(exc)}。本次没有写入或替换任何文件") from None

    def path(self, target: Path, what: str) -> Path:
        """A temporary path to write ``target`` to."""
        ensure_folder(target.parent)
        suffix = target.suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,10}", target.suffix) else ""
        try:
            tmp = _new_temporary(target.parent, suffix)
        except OSError as exc:
            raise self._failed(target, what, exc) from None
        self._staged.append((tmp, target, what))
        return tmp

    def write(self, target: Path, data: bytes, what: str, *, hidden: bool = False) -> None:
        if hidden:
            self._hidden.add(target)
        tmp = self.path(target, what)
        try:
            tmp.write_bytes(data)
        except OSError as exc:
            raise self._failed(target, what, exc) from None

    def move_aside(self, existing: Path, to: Path) -> None:
        self._aside.append((existing, to))

    def remove(self, existing: Path) -> None:
        self._remove.append(existing)

    def _failed(self, target: Path, what: str, exc: OSError) -> OutputError:
        return OutputError(f"{target}：无法写入{what}：{os_problem(exc)}。本次没有写入或替换任何文件")

    def commit(self) -> None:
        done: list[str] = []
        steps = ([(lambda a=a, b=b: os.replace(a, b), f"{b.name}（原文件移为备份）", a) for a, b in self._aside]
                 + [(lambda t=t, g=g: self._place(t, g, g in self._hidden), f"{g.name}（{w}）", g)
                    for t, g, w in self._staged]
                 + [(lambda r=r: r.unlink(missing_ok=True), f"删除 {r.name}", r) for r in self._remove])
        for i, (step, label, path) in enumerate(steps):
            try:
                step()
            except OSError as exc:
                written = "、".join(done) or "无"
                missing = "、".join(lbl for _, lbl, _ in steps[i:])
                raise OutputError(f"{path}：无法写入：{os_problem(exc)}。已完成：{written}；"
                                  f"未完成：{missing}。请处理后重新生成") from None
            done.append(label)
        self._staged.clear()

    @staticmethod
    def _place(tmp: Path, target: Path, hidden: bool = False) -> None:
        os.chmod(tmp, _mode_for(target))
        if hidden and target.exists():
            set_hidden(target, False)  # Windows refuses to replace a hidden file
        os.replace(tmp, target)
        if hidden:
            set_hidden(target, True)

    def discard(self) -> None:
        for tmp, _, _ in self._staged:
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass  # swept as stale by a later run
        self._staged.clear()


@contextmanager
def atomic_target(target: Path, what: str) -> Iterator[Path]:
    """A temporary path beside ``target``, moved into place only when the block completes."""
    with Outputs() as outputs:
        tmp = outputs.path(target, what)
        try:
            yield tmp
        except OSError as exc:
            raise outputs._failed(target, what, exc) from None
        outputs.commit()


def write_atomically(target: Path, data: bytes, what: str) -> None:
    if _is_our_temporary(target):  # already a staged file of a build, private to it
        target.write_bytes(data)
        return
    with Outputs() as outputs:
        outputs.write(target, data, what)
        outputs.commit()


def _signature(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=4, person=b"disclose").hexdigest()


def _new_temporary(folder: Path, suffix: str) -> Path:
    """A new empty file in ``folder`` named so that :func:`sweep` can tell it is ours."""
    while True:
        token = secrets.token_hex(8)
        path = folder / f"{TEMP_PREFIX}{token}-{_signature(token)}{suffix}"
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600))
            return path
        except FileExistsError:
            continue


def _is_our_temporary(path: Path) -> bool:
    found = _TEMP_NAME.fullmatch(path.name)
    return found is not None and found.group(2) == _signature(found.group(1))


def make_work_folder(tag: str = "") -> Path:
    """A new private folder in the system's temporary folder, marked as the tool's own."""
    folder = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{tag}"))
    (folder / _MARKER).write_text(_signature(folder.name), encoding="ascii")
    return folder


@contextmanager
def work_folder(tag: str = "") -> Iterator[Path]:
    """A marked work folder (:func:`make_work_folder`), removed when the block ends."""
    folder = make_work_folder(tag)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _is_our_work_folder(path: Path) -> bool:
    marker = path / _MARKER
    try:
        info = marker.lstat()
        return stat.S_ISREG(info.st_mode) and info.st_size < 64 and \
            marker.read_text(encoding="ascii") == _signature(path.name)
    except (OSError, ValueError):
        return False


NOT_REGULAR = "不是普通文件（是管道、设备或指向它们的链接）"


def regular_file(path: Path, limit: int | None = None) -> str | None:
    """Whether an existing entry can be read or replaced as a file: None when there is nothing
    there; "" for a regular file (through a link, too) of at most ``limit`` bytes; else what it
    is instead, in words. A FIFO would hang a read, a device (or a link to /dev/zero) never ends."""
    try:
        info = path.stat()
    except OSError:
        return None
    if stat.S_ISDIR(info.st_mode):
        return "是一个文件夹"
    if not stat.S_ISREG(info.st_mode):
        return NOT_REGULAR
    if limit is not None and info.st_size > limit:
        return f"超过 {limit // 2**20} MB，不像本工具写出的文件"
    return ""


def refuse_unusual(paths: list[Path]) -> None:
    """Refuse to build over an output-folder entry that is not a regular file."""
    for path in paths:
        problem = regular_file(path)
        if problem == NOT_REGULAR:
            raise OutputError(f"{path}：不是普通文件（是管道、设备或指向它们的链接），为安全起见既不读取也不替换它；请删除或改名后重试")
        if problem:
            raise OutputError(f"{path}：{problem}，为安全起见既不读取也不替换它；请删除或改名后重试")


def digest(path: Path) -> str:
    """The SHA-256 of a file, read in pieces (a PDF may be large)."""
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        while piece := fh.read(1 << 20):
            sha.update(piece)
    return sha.hexdigest()


def sweep(folder: Path) -> None:
    """Remove what killed runs left, and only what the tool provably made (see :data:`_MARKER`):
    our stale temporary files in ``folder`` and our stale work folders in the system's temporary
    folder (only this user's, only older than any build)."""
    cutoff = time.time() - STALE_SECONDS
    candidates = [(p, False) for p in _listing(folder, TEMP_PREFIX)]
    candidates += [(p, True) for p in _listing(Path(tempfile.gettempdir()), WORK_PREFIX)]
    for path, is_dir in candidates:
        try:
            info = path.lstat()
            if info.st_mtime > cutoff or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
                continue
            if is_dir and stat.S_ISDIR(info.st_mode) and _is_our_work_folder(path):
                shutil.rmtree(path, ignore_errors=True)
            elif not is_dir and stat.S_ISREG(info.st_mode) and _is_our_temporary(path):
                path.unlink()
        except OSError:
            continue  # another run cleaned it first, or it is not ours to remove


def _listing(folder: Path, prefix: str) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return []
