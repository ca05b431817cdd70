"""The report formats a command can name: the shipped ones and any folder holding a format.

A format folder holds ``format.py``, which defines ``FORMAT``, a :class:`spec.Format`, and its
templates: ``report.docx``, ``narrative.j2`` and ``workbook-guide.txt``. The formats shipped
with the package are ``generator/formats/<name>/`` (templates in ``templates/<name>/``); any other
folder can be given by its path (docs/formats.md).

Only the commands (cli, report, batch) load a format, here; every stage of the engine is handed
the one loaded. A format is checked as it is loaded, so that a maintainer's slip is said then,
not at a clerk's build.
"""

from __future__ import annotations

import hashlib
import importlib
import sys
import types
from functools import lru_cache
from pathlib import Path

from .errors import FormatError
from .spec import Format, problems, table_rules

DEFAULT = "shanxi"
TEMPLATE_FILES = ("report.docx", "narrative.j2", "workbook-guide.txt")  # in each format's templates folder
_SHIPPED = Path(__file__).resolve().parent / "formats"


@lru_cache(maxsize=None)
def load_format(name_or_folder: str | Path = DEFAULT) -> Format:
    """The format called ``name_or_folder`` among the shipped ones, or the one in that folder.

    A folder is loaded as a package of its own, so its modules import each other relatively
    (``from . import tables``) wherever it lies: a copy of ``generator/formats/shanxi/`` is a
    format as it stands."""
    text = str(name_or_folder)
    if text.isidentifier() and (_SHIPPED / text / "format.py").is_file():
        where, module = f"报告格式“{text}”", f"{__package__}.formats.{text}.format"
    else:
        folder = Path(text).resolve()
        if not (folder / "format.py").is_file():
            shipped = "、".join(sorted(p.name for p in _SHIPPED.iterdir() if (p / "format.py").is_file()))
            raise FormatError(f"找不到报告格式“{text}”：可用的格式有 {shipped}，或给出含 format.py 的格式文件夹")
        package = f"disclose_format_{hashlib.sha256(str(folder).encode('utf-8')).hexdigest()[:12]}"
        namespace = types.ModuleType(package)
        namespace.__path__ = [str(folder)]
        sys.modules[package] = namespace
        where, module = f"报告格式文件夹 {folder}", f"{package}.format"
    try:
        fmt = importlib.import_module(module).FORMAT
        check_format(fmt)
    except (ImportError, SyntaxError, AttributeError, ValueError) as exc:
        # A maintainer's folder, not a clerk's workbook: still one line, with what Python said.
        raise FormatError(f"{where} 无法载入（{type(exc).__name__}：{exc}）：请检查其中的 format.py") from exc
    missing = [name for name in TEMPLATE_FILES if not (fmt.templates / name).is_file()]
    if missing:
        raise FormatError(f"报告格式“{fmt.name}”的文件夹 {fmt.templates} 缺少 {'、'.join(missing)}")
    return fmt


def check_format(fmt: Format) -> None:
    """Raise ValueError saying all that is wrong with ``fmt`` as declared: rules named twice or
    used and not declared, sections without figures, tables that do not hold together, checks
    reading tables the format does not declare."""
    from .audit import rules  # the engine's rules, composed with the format's

    names = [r.name for r in rules(fmt)]
    doubled = {n for n in names if names.count(n) > 1}
    undeclared = {n for t in fmt.tables for n in table_rules(t)} - set(names)
    uncomputed = {s.part for s in fmt.sections} - set(fmt.figures)
    keys = {t.key for t in fmt.tables}
    wrong = problems(fmt.tables) + [f"rule {r.name} reads table {k}, which the format does not declare"
                                    for r in fmt.checks for k in r.reads if k not in keys]
    if doubled or undeclared or uncomputed or wrong:
        raise ValueError(f"format {fmt.name}: rules declared twice {sorted(doubled)}, "
                         f"used but not declared {sorted(undeclared)}, sections without figures "
                         f"{sorted(uncomputed)}; {'; '.join(wrong)}")
