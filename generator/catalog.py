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

import dataclasses
import hashlib
import importlib
import sys
import types
from dataclasses import replace
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from .errors import DiscloseError, FormatError
from .files import PACKAGE, cache_root, work_folder
from .model import ClassBudget, FundRow, Indicator, Project, ProjectSummary, Stated
from .spec import Format, Sheets, problems, table_rules

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
    _checked_once(fmt, Path(sys.modules[module].__file__).parent, where)
    return fmt


def _checked_once(fmt: Format, folder: Path, where: str) -> None:
    """:func:`round_trip` ``fmt``, once for the engine and format as they are on this machine
    (the check writes and reads a workbook: it is remembered in the cache, by their sources)."""
    sources = sorted(PACKAGE.rglob("*.py")) + sorted(folder.glob("*.py")) + [fmt.templates / TEMPLATE_FILES[2]]
    digest = hashlib.sha256()
    for path in sources:
        digest.update(str(path).encode("utf-8") + b"\0" + path.read_bytes())
    done = cache_root() / "formats" / f"{digest.hexdigest()[:32]}.checked"
    if done.is_file():
        return
    try:
        round_trip(fmt)
    except ValueError as exc:
        raise FormatError(f"{where} 无法载入（ValueError：{exc}）：请检查其中的 format.py") from exc
    try:
        done.parent.mkdir(parents=True, exist_ok=True)
        done.touch()
    except OSError:
        pass  # no cache: checked again next time


class _Traced(dict):
    """A check's tables, recording which it reads."""

    def __init__(self, tables: dict, read: set[str]):
        super().__init__(tables)
        self.read = read

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)


def round_trip(fmt: Format) -> None:
    """Write ``fmt``'s blank workbook, read it back, audit it and compute its 情况说明, tracing
    the tables each check reads. Raise ValueError where the declaration does not go round or a
    check's ``reads`` is not what it reads; a 情况说明 part that reads an undeclared table raises
    the FormatError a build would."""
    from .audit import Context, audit
    from .narrative import narrative_figures
    from .reader import read_workbook
    from .recompute import recompute
    from .template_workbook import write_workbook

    unit = fmt.sheets.unit
    with work_folder("format") as work:
        path = work / "blank.xlsx"
        try:
            write_workbook({"unit": {unit.name: "格式自检", unit.year: "2000"}}, str(path), fmt, formulas=True)
            wb = read_workbook(str(path), fmt)
        except (DiscloseError, KeyError, IndexError, TypeError, ValueError) as exc:
            raise ValueError(f"format {fmt.name}: its blank workbook does not read back "
                             f"({type(exc).__name__}: {exc})") from exc
    result = audit(wb, fmt)
    narrative_figures(fmt, wb, result.figures, result.projects)
    # A check may read a table only when some figure is not 0: its reads are traced on the blank
    # workbook and on the same with every figure 1.
    ones = _ones(wb)
    runs = [(wb, result.figures, result.projects), (ones, recompute(ones, fmt), audit(ones, fmt).projects)]
    wrong = []
    for rule in fmt.checks:
        read: set[str] = set()
        for book, figures, projects in runs:
            traced = Context(replace(book, tables=_Traced(book.tables, read)),
                             replace(figures, tables=_Traced(figures.tables, read)), projects, fmt)
            try:
                list(rule.check(traced))
            except Exception:  # noqa: BLE001 - a workbook of ones is no clerk's: only its reads count
                if book is wb:
                    raise
        if read != set(rule.reads):
            wrong.append(f"rule {rule.name} reads tables {sorted(read)}, its reads= says {sorted(rule.reads)}")
    if wrong:
        raise ValueError(f"format {fmt.name}: {'; '.join(wrong)}")


def _ones(value):
    """``value`` (a workbook) with every figure 1."""
    if isinstance(value, Stated):
        return Stated(Decimal(1), value.ref)
    if isinstance(value, dict):
        return {key: _ones(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_ones(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: _ones(getattr(value, f.name)) for f in dataclasses.fields(value)
                                 if f.init and f.name != "spec"})
    return value


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
                                    for r in fmt.checks for k in r.reads if k not in keys] + _sheet_problems(fmt.sheets)
    if doubled or undeclared or uncomputed or wrong:
        raise ValueError(f"format {fmt.name}: rules declared twice {sorted(doubled)}, "
                         f"used but not declared {sorted(undeclared)}, sections without figures "
                         f"{sorted(uncomputed)}; {'; '.join(wrong)}")


def _roles(model) -> set[str]:
    return {f.name for f in dataclasses.fields(model)}


def _sheet_problems(sheets: Sheets) -> list[str]:
    """What the other sheets' declarations lack: each role the engine reads, the unit's name and
    year among its labels, grades from the highest with one lowest grade below every floor."""
    wanted = [(sheets.class_budget, "class_budget columns", _roles(ClassBudget)),
              (sheets.summaries, "summaries columns", _roles(ProjectSummary)), (sheets.terms, "terms columns", {"term"})]
    found = [f"{what}: roles {sorted(roles - set(declared.columns))} missing, {sorted(set(declared.columns) - roles)} unknown"
             for declared, what, roles in wanted if declared is not None and set(declared.columns) != roles]
    found += [f"unit: {label!r} is not among its labels" for label in (sheets.unit.name, sheets.unit.year)
              if label not in sheets.unit.labels]
    projects = sheets.projects
    if projects is not None:
        for what, declared, roles in (("head", projects.head, _roles(Project) & {"name", "supervisor", "unit"}),
                                      ("fund_columns", projects.fund_columns, _roles(FundRow) - {"source"}),
                                      ("indicator_columns", projects.indicator_columns, _roles(Indicator) - {"ref"})):
            if set(declared) != roles:
                found.append(f"projects {what}: roles {sorted(roles - set(declared))} missing, "
                             f"{sorted(set(declared) - roles)} unknown")
        found += [f"projects: {label!r} is not among its analysis_labels" for label in (projects.problems, projects.measures)
                  if label not in projects.analysis_labels]
        floors = [g.floor for g in projects.grades]
        if not floors or floors[-1] is not None or None in floors[:-1] or floors[:-1] != sorted(floors[:-1], reverse=True):
            found.append("projects grades: from the highest floor down, the last one without a floor")
    return found
