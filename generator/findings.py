"""What the audit reports: one finding per broken relation, with every cell involved."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from .money import fmt_money

ERROR = "错误"
WARNING = "警告"


@dataclass(frozen=True)
class Finding:
    severity: str  # 错误 or 警告
    rule: str  # the rule's name, e.g. "合计=Σ类"
    message: str  # one Chinese line with the figures on both sides and the difference
    cells: tuple[str, ...]  # sheet!cell of every figure involved, the stated one first
    difference: Decimal | None = None  # of a mismatch: the first figure minus the second

    @property
    def table(self) -> str:
        """The sheet of the first cell: findings are grouped by it."""
        return self.cells[0].split("!")[0] if self.cells else "其他"


def mismatch(rule: str, what: str, stated: Decimal, computed: Decimal, cells, *,
             severity: str = ERROR, computed_label: str = "按明细重算", stated_label: str = "填列") -> Finding:
    """A figure that differs from the one its relation gives. ``stated_label`` says where the
    first figure comes from: "填列" only when it is the typed value of the first cell."""
    difference = stated - computed
    more = "多" if difference > 0 else "少"
    return Finding(
        severity, rule,
        f"{what}：{stated_label} {fmt_money(stated)}，{computed_label} {fmt_money(computed)}，"
        f"前者比后者{more} {fmt_money(abs(difference))}",
        tuple(dict.fromkeys(c for c in cells if c)),
        difference,
    )


@dataclass(frozen=True)
class Group:
    """Findings one cell explains (``cause``: change it and they all go), or one finding alone."""

    cause: str | None
    findings: tuple[Finding, ...]


def by_cause(findings: list[Finding]) -> list[Group]:
    """The findings grouped under the cell most likely to need changing.

    A figure typed wrong breaks its row, its 款, 类 and 合计, and each table that repeats them:
    every one of those findings names the wrong cell or a total built on it. So the cause is the
    cell named most often that no finding reports as a wrong total itself, and its group is every
    finding that names it or names a total already in the group. Findings no such cell explains
    stay one by one, in their order."""
    totals = {f.cells[0] for f in findings if len(f.cells) > 1}
    remaining = list(range(len(findings)))
    groups: dict[int, Group] = {}
    while True:
        counts: dict[str, int] = {}
        for i in remaining:
            for cell in findings[i].cells:
                if cell not in totals:
                    counts[cell] = counts.get(cell, 0) + 1
        cause = max(counts, key=lambda c: counts[c], default=None)
        if cause is None or counts[cause] < 2:
            break
        reached, members = {cause}, set()
        grown = True
        while grown:
            grown = False
            for i in remaining:
                if i not in members and reached.intersection(findings[i].cells):
                    members.add(i)
                    reached.add(findings[i].cells[0])
                    grown = True
        ordered = sorted(members, key=lambda i: (findings[i].cells[0] != cause, i))
        groups[min(members)] = Group(cause, tuple(_cause_first(findings[i], cause) for i in ordered))
        remaining = [i for i in remaining if i not in members]
    for i in remaining:
        groups[i] = Group(None, (findings[i],))
    return [groups[i] for i in sorted(groups)]


def _cause_first(finding: Finding, cause: str) -> Finding:
    if cause not in finding.cells:
        return finding
    return replace(finding, cells=(cause, *(c for c in finding.cells if c != cause)))
