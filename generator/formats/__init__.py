"""Report formats: each a folder that declares one published report (its tables, rules,
情况说明 sections and templates); the engine builds any of them.

A format folder holds ``format.py``, which defines ``FORMAT``, a :class:`Format`, and its
templates: ``report.docx``, ``narrative.j2`` and ``workbook-guide.txt``. The formats shipped
with the package are ``generator/formats/<name>/`` (templates in ``templates/<name>/``); any other
folder can be given by its path (docs/formats.md).
"""

from __future__ import annotations

import hashlib
import importlib
import sys
import types
from functools import lru_cache
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..errors import FormatError
from ..money import fmt_table
from ..spec import FunctionTable, ListSheet, Rule, Section, Sheets, Table, problems, table_rules

DEFAULT = "shanxi"
TEMPLATE_FILES = ("report.docx", "narrative.j2", "workbook-guide.txt")  # in each format's templates folder
_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Format:
    """One report format. ``figures`` are the 情况说明 computations by name, each given a
    :class:`narrative.Facts` (each section names the one it is rendered with); ``prior_year(fig)``
    gives next year's 情况说明 inputs of last year's figures (``disclose init --from``)."""

    name: str
    title: str  # as a clerk knows it: 山西省单位决算公开
    document: str  # what a unit's report is called after its name and 年度: 单位决算公开
    templates: Path
    tables: tuple[Table, ...]
    sheets: Sheets
    checks: tuple[Rule, ...]  # the format's own rules with a check
    identities: tuple[Rule, ...]  # the names of its tables' identities (no check: recompute checks them)
    sections: tuple[Section, ...]
    figures: dict[str, Callable]
    prior_year: Callable
    carried_texts: tuple[str, ...] = ()  # 情况说明 texts that stay from year to year
    class_budget_table: str = ""  # the function table whose 类 the 分类预算 sheet lists
    lists: tuple[ListSheet, ...] = ()  # sheets of rows under a header (spec.ListSheet)
    # Figures typed as published, rounded to their last place (万元 to 0.01): half that place.
    # A typed total within ``tolerance`` × (its terms + 1) of the sum of its typed parts is a
    # rounding difference, not an error, and is printed as typed; 0 (元, exact): none allowed.
    tolerance: Decimal = Decimal(0)
    cell: Callable = fmt_table  # how a table prints a figure (money.fmt_table_grouped: 2,940.05)
    rules: tuple[Rule, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self):
        from .. import audit

        functions = tuple(r for t in self.tables if isinstance(t, FunctionTable) for r in audit.function_rules(t))
        rules = (*audit.RULES, *functions, *self.identities, *self.checks)
        names = [r.name for r in rules]
        doubled = {n for n in names if names.count(n) > 1}
        undeclared = {n for t in self.tables for n in table_rules(t)} - set(names)
        uncomputed = {s.part for s in self.sections} - set(self.figures)
        keys = {t.key for t in self.tables}
        wrong = problems(self.tables) + [f"rule {r.name} reads table {k}, which the format does not declare"
                                         for r in self.checks for k in r.reads if k not in keys]
        if doubled or undeclared or uncomputed or wrong:
            # A maintainer's mistake in the declaration: said in full, on loading, not at a clerk's build.
            raise ValueError(f"format {self.name}: rules declared twice {sorted(doubled)}, "
                             f"used but not declared {sorted(undeclared)}, sections without figures "
                             f"{sorted(uncomputed)}; {'; '.join(wrong)}")
        object.__setattr__(self, "rules", rules)
        missing = [name for name in TEMPLATE_FILES if not (self.templates / name).is_file()]
        if missing:
            raise FormatError(f"报告格式“{self.name}”的文件夹 {self.templates} 缺少 {'、'.join(missing)}")

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    def rule(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)

    @property
    def tables_read(self) -> str:
        """How the build names the tables it read: 公开01–10表."""
        names = [t.name for t in self.tables]
        keys = [t.key for t in self.tables]
        numbered = all(n == f"公开{k}表" and k.isdigit() for n, k in zip(names, keys))
        if numbered and len(keys) > 2 and [int(k) for k in keys] == list(range(int(keys[0]), int(keys[0]) + len(keys))):
            return f"公开{keys[0]}–{keys[-1]}表"
        return "、".join(names)

    @property
    def template(self) -> Path:
        return self.templates / "report.docx"


def chosen(fmt: Format | None) -> Format:
    """``fmt``, or the default format when None: the engine's calls take either."""
    return fmt or load_format()


@lru_cache(maxsize=None)
def load_format(name_or_folder: str | Path = DEFAULT) -> Format:
    """The format called ``name_or_folder`` among the shipped ones, or the one in that folder.

    A folder is loaded as a package of its own, so its modules import each other relatively
    (``from . import tables``) wherever it lies: a copy of ``generator/formats/shanxi/`` is a
    format as it stands."""
    text = str(name_or_folder)
    if text.isidentifier() and (_HERE / text / "format.py").is_file():
        return importlib.import_module(f"{__name__}.{text}.format").FORMAT
    folder = Path(text).resolve()
    if not (folder / "format.py").is_file():
        shipped = "、".join(sorted(p.name for p in _HERE.iterdir() if (p / "format.py").is_file()))
        raise FormatError(f"找不到报告格式“{text}”：可用的格式有 {shipped}，或给出含 format.py 的格式文件夹")
    package = f"disclose_format_{hashlib.sha256(str(folder).encode('utf-8')).hexdigest()[:12]}"
    module = types.ModuleType(package)
    module.__path__ = [str(folder)]
    sys.modules[package] = module
    try:
        return importlib.import_module(f"{package}.format").FORMAT
    except (ImportError, SyntaxError, AttributeError, ValueError) as exc:
        # A maintainer's folder, not a clerk's workbook: still one line, with what Python said.
        raise FormatError(f"报告格式文件夹 {folder} 无法载入（{type(exc).__name__}：{exc}）："
                          "请检查其中的 format.py") from exc
