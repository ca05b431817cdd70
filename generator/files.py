"""Where the tool's templates are, and writing outputs: every file appears complete or not at all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import OutputError

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@contextmanager
def atomic_target(target: Path, what: str) -> Iterator[Path]:
    """A temporary path beside ``target``, moved into place only when the block completes; any
    OS error becomes one :class:`OutputError` line naming ``target`` and ``what`` it is."""
    tmp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".disclose-", suffix=target.suffix, dir=target.parent)
        os.close(fd)
        yield Path(tmp)
        os.replace(tmp, target)
    except OSError as exc:
        raise OutputError(f"{target}：无法写入{what}：{exc.strerror or exc}") from None
    finally:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)


def write_atomically(target: Path, data: bytes, what: str) -> None:
    with atomic_target(target, what) as tmp:
        tmp.write_bytes(data)
