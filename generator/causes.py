"""Which typed cell explains a set of findings: the one whose change would clear them all.

A figure typed wrong breaks its row, its 款, 类 and 合计, and each table that repeats it. The
cause of those findings is found by trying: each cell a clerk typed that the findings name is
given, in turn, the value each finding's difference points to, and the audit is run again on
that workbook. The cell whose change clears the most findings (and breaks nothing new) heads
them as one group; the others are tried again for what is left. A formula or a figure the tool
recomputes is never the cause: no clerk typed it, and changing it changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from .findings import ERROR, Finding
from .model import Workbook, stated_cells, substituted

_CANDIDATES = 40  # the cells tried, most often named first: a slip is named by most of its findings
_VALUES = 4  # the values tried for each, most often pointed to first: a slip's findings agree on it


def _key(finding: Finding) -> tuple:
    return finding.rule, finding.cells


def attribute(findings: list[Finding], wb: Workbook, recomputed: set[str],
              rerun: Callable[[Workbook], list[Finding]]) -> list[Finding]:
    """``findings`` with ``cause`` and ``off`` set on each one that a single typed cell explains;
    ``recomputed`` are the stated totals the tool recomputes, ``rerun`` audits a workbook."""
    cells = {cell.ref: cell for cell in stated_cells(wb)}
    named: dict[str, Counter[Decimal]] = {}
    for finding in findings:
        if finding.difference is None:
            continue
        for ref in finding.cells:
            cell = cells.get(ref)
            if cell is None or (cell.computed and (not cell.formula or ref in recomputed)):
                continue  # a formula (or a total the tool recomputes) is no clerk's slip
            named.setdefault(ref, Counter()).update((cell.amount - finding.difference, cell.amount + finding.difference))
    counts = {ref: sum(ref in f.cells for f in findings) for ref in named}
    # The cells most findings name, and each finding's own first typed cell: a slip that breaks
    # one relation (and a warning or two) must not be crowded out by one that breaks many.
    tried = dict.fromkeys(sorted(named, key=lambda ref: -counts[ref])[:_CANDIDATES])
    tried.update(dict.fromkeys(next(ref for ref in f.cells if ref in named) for f in findings
                               if any(ref in named for ref in f.cells)))
    before = {_key(f): f for f in findings}
    trials: list[tuple[str, Decimal, set[tuple]]] = []
    for ref in tried:
        values = [v for v, _ in named[ref].most_common() if v != cells[ref].value][:_VALUES]
        for value in values:
            after = {_key(f): f for f in rerun(substituted(wb, ref, value))}
            if any(f.severity == ERROR and key not in before for key, f in after.items()):
                continue  # the change breaks something else: not the figure the clerk meant
            cleared = set(before) - set(after)
            if any(ref in before[key].cells for key in cleared):
                trials.append((ref, value, cleared))
    causes: dict[tuple, tuple[str, Decimal]] = {}
    left = set(before)
    while True:
        best = max(((len(cleared & left), counts[ref], ref, value, cleared) for ref, value, cleared in trials),
                   key=lambda t: (t[0], t[1]), default=None)
        if best is None or best[0] < 2:
            break
        _, _, ref, value, cleared = best
        for key in cleared & left:
            causes[key] = (ref, cells[ref].amount - value)
        left -= cleared
    return [replace(f, cause=causes[_key(f)][0], off=causes[_key(f)][1]) if _key(f) in causes else f
            for f in findings]
