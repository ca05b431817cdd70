"""The review draft (审阅稿): the report as it would be printed, each finding of the audit a Word
comment (批注) on the printed figure, row or sentence it concerns.

A finding's place is found from its cells, in their order (the first is the figure as typed):

- a cell printed in a table or a 自评表 — where the format's tables print it, each by its kind
  (:func:`context.printed_places`): the comment sits on that figure, or on its row when the cell
  prints nothing (a 偏差原因 left blank);
- a cell a 情况说明 sentence is built from (the 情况说明 sheet, 分类预算, 项目综述): the sentence
  that changes when that cell changes — the format's own computations and wording run again with
  the cell altered, so whatever figure a format's sentence reads is found without being declared
  twice;
- otherwise the nearest heading above what its sheet prints (its table, its 自评表, 情况说明).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, fields, is_dataclass, replace
from datetime import datetime
from decimal import Decimal
from difflib import SequenceMatcher
from pathlib import Path

from . import comments
from .audit import AuditResult
from .auditlog import cells_text, sections, title
from .context import printed_places, render_narrative, report_context
from .findings import Finding
from .model import Stated, Text, Workbook
from .narrative import narrative_figures
from .projects import project_figures
from .recompute import recompute
from .render import write_docx
from .spec import Format

AUTHOR, INITIALS = "审核", "审"
_ENDS = "。！？"
_ALTERED_BY = Decimal(1234567)  # added to a figure to see which sentence prints it: shows at any precision


@dataclass(frozen=True)
class Place:
    """Where a comment goes: the strings of the context at ``paths`` (the first that prints),
    characters ``span`` of it (a sentence of a paragraph), or the nearest heading above it."""

    paths: tuple[tuple, ...]
    span: tuple[int, int] | None = None
    heading: bool = False


def write_review(wb: Workbook, result: AuditResult, findings: list[Finding], fmt: Format, target: Path,
                 document_title: str) -> None:
    """Write the review draft of ``wb`` to ``target``: the report, marked 审阅稿, with one comment
    per finding of ``findings``."""
    context = report_context(wb, result.figures, result.projects, None, fmt)
    context["review"] = True
    placed = _Places(wb, fmt, context)
    causes = {(f.rule, f.message): section.cause for section in sections(findings, fmt) for f in section.findings}
    notes = []
    marked = copy.deepcopy(context)
    for n, finding in enumerate(findings):
        place = placed.of(finding)
        _mark(marked, place, n)
        notes.append(comments.Comment(_text(finding, causes.get((finding.rule, finding.message)), fmt),
                                      heading=place.heading))
    dated = datetime(wb.year, 12, 31)

    def finish(document) -> None:
        comments.attach(document, notes, AUTHOR, INITIALS, dated)

    # Without comments the body is written as the report's is, in pieces (a large one takes less memory).
    write_docx(marked, target, fmt.template, document_title, finish if notes else None)


def _text(finding: Finding, cause: str | None, fmt: Format) -> str:
    """What the 审核报告 says of ``finding``: level and rule, what is wrong, the cells to fix."""
    lines = [f"【{finding.severity}】{title(finding.rule, fmt)}", finding.message, f"涉及单元格：{cells_text(finding)}"]
    if cause:
        lines.append(f"最可能需要修改：{cause}")
    return "\n".join(lines)


class _Places:
    def __init__(self, wb: Workbook, fmt: Format, context: dict):
        self.wb, self.fmt, self.context = wb, fmt, context
        self.printed = printed_places(wb, fmt)
        self.narrative = context["narrative"]
        self.sentences: dict[str, Place | None] = {}  # by cell: several findings may name one
        self.checked = False

    def of(self, finding: Finding) -> Place:
        for ref in finding.cells:
            if ref in self.printed:
                return Place(tuple(self.printed[ref]))
            sentence = self._sentence(ref)
            if sentence is not None:
                return sentence
        for ref in finding.cells:
            region = self._region(ref.split("!")[0])
            if region is not None:
                return Place((region,), heading=True)
        return Place((), heading=True)

    def _sentence(self, ref: str) -> Place | None:
        """The 情况说明 sentence that changes when the cell ``ref`` changes."""
        if ref not in self.sentences:
            self.sentences[ref] = self._changed_by(ref)
        return self.sentences[ref]

    def _changed_by(self, ref: str) -> Place | None:
        if not self.checked:  # the computation run again gives what the report prints (or fails here, loudly)
            assert _narrative(self.fmt, self.wb) == self.narrative
            self.checked = True
        for altered in _altered(self.wb, ref):
            try:
                after = _narrative(self.fmt, altered)
            except (ArithmeticError, ValueError, TypeError):
                continue  # an altered figure a format's computation cannot take: try the next alteration
            place = _first_difference(self.fmt, self.narrative, after)
            if place is not None:
                return place
        return None

    def _region(self, sheet: str) -> tuple | None:
        """A path printed under the heading of what ``sheet`` holds: its table, its 自评表, or
        (the 情况说明 sheet and the others that feed sentences) the 情况说明."""
        for table in self.fmt.tables:
            if table.name == sheet:
                return _first_string(self.context[f"t{table.key}"], (f"t{table.key}",))
        for i, project in enumerate(self.wb.projects):
            if project.sheet == sheet:
                return ("projects", i, "name")
        return next((("narrative", s.key, 0) for s in self.fmt.sections if self.narrative[s.key]), None)


def _narrative(fmt: Format, wb: Workbook) -> dict[str, list[str]]:
    """The 情况说明 of ``wb`` as the report prints it (from the figures as the audit recomputes them;
    its rules, which an altered cell may not suit, are not run)."""
    projects = [project_figures(project, fmt.sheets.projects)[0] for project in wb.projects]
    return render_narrative(fmt, narrative_figures(fmt, wb, recompute(wb, fmt), projects))


def _altered(wb: Workbook, ref: str):
    """Copies of ``wb`` with the cell ``ref`` changed: its figure much larger, then blank (or 0
    when it is blank); its text longer, then blank."""
    for change in (_larger, _emptied):
        altered, found = _replaced(wb, ref, change)
        if not found:
            return
        yield altered


def _larger(value: Stated | Text) -> Stated | Text:
    if isinstance(value, Text):
        return replace(value, value=value.value + "审")
    return replace(value, value=(value.value or Decimal(0)) + _ALTERED_BY, formula=False)


def _emptied(value: Stated | Text) -> Stated | Text:
    if isinstance(value, Text):
        return replace(value, value="")
    return replace(value, value=None if value.value is not None else Decimal(0), formula=False)


def _replaced(value, ref: str, change):
    """``value`` with every Stated or Text at ``ref`` inside it changed; and whether there was one."""
    if isinstance(value, (Stated, Text)):
        return (change(value), True) if value.ref == ref else (value, False)
    if isinstance(value, dict):
        items = {k: _replaced(v, ref, change) for k, v in value.items()}
        return ({k: v for k, (v, _) in items.items()}, any(found for _, found in items.values()))
    if isinstance(value, (list, tuple)):
        items = [_replaced(v, ref, change) for v in value]
        return (type(value)(v for v, _ in items), any(found for _, found in items))
    if is_dataclass(value) and not isinstance(value, type):
        changed = {}
        for field in fields(value):
            if field.init and field.name != "spec":  # a table's declaration holds no figures
                new, found = _replaced(getattr(value, field.name), ref, change)
                if found:
                    changed[field.name] = new
        return (replace(value, **changed), True) if changed else (value, False)
    return value, False


def _first_difference(fmt: Format, before: dict[str, list[str]], after: dict[str, list[str]]) -> Place | None:
    """The first printed paragraph of ``before`` that ``after`` changes, in the sections' order: the
    sentence that changes in it, or the whole paragraph where paragraphs come or go."""
    for section in fmt.sections:
        old, new = before[section.key], after[section.key]
        if old == new or not old:
            continue
        tag, i1, i2, j1, j2 = next(op for op in SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
                                   if op[0] != "equal")
        path = ("narrative", section.key)
        if tag == "replace":
            return Place((path + (i1,),), span=_changed_sentence(old[i1], new[j1]))
        index = min(i1, len(old) - 1) if tag == "delete" else max(i1 - 1, 0)
        return Place((path + (index,),), span=(0, len(old[index])))
    return None


def _changed_sentence(old: str, new: str) -> tuple[int, int]:
    """The characters of ``old`` of the sentence where ``new`` differs from it (a sentence added
    after one: that one)."""
    same = min(len(old), len(new))
    prefix = next((i for i in range(same) if old[i] != new[i]), same)
    suffix = next((i for i in range(same - prefix) if old[-1 - i] != new[-1 - i]), same - prefix)
    begin, stop = prefix, len(old) - suffix
    if begin == stop and begin > 0 and old[begin - 1] in _ENDS:
        begin = stop = begin - 1  # a sentence inserted after this one: this one
    first = max(old.rfind(c, 0, begin) for c in _ENDS) + 1
    last = min((i for i in (old.find(c, max(stop, begin + 1) - 1) for c in _ENDS) if i >= 0), default=len(old) - 1)
    return first, last + 1


def _first_string(value, path: tuple) -> tuple | None:
    """The path of the first string inside ``value`` (at ``path``)."""
    if isinstance(value, str):
        return path
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _first_string(item, path + (key,))
        if found is not None:
            return found
    return None


def _mark(context: dict, place: Place, n: int) -> None:
    """Put comment n's marks into the strings of ``context`` at the place's paths."""
    for path in place.paths:
        *parents, last = path
        holder = context
        for key in parents:
            holder = holder[key]
        text = holder[last]
        if not isinstance(text, str):
            continue
        if place.span is None:
            holder[last] = comments.start(n) + text
        else:
            # Positions counted in the unmarked text: skip marks already put in.
            begin, stop = (comments.position(text, i) for i in place.span)
            holder[last] = text[:begin] + comments.start(n) + text[begin:stop] + comments.end(n) + text[stop:]
