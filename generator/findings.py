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
    # The typed cell whose change clears this finding and those grouped with it (causes.py), and
    # how far that cell is off (its figure minus the one that clears them).
    cause: str | None = None
    off: Decimal | None = None

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
        f"前者比后者{more} {fmt_money(abs(difference))}{_in_wan(stated, computed)}",
        tuple(dict.fromkeys(c for c in cells if c)),
        difference,
    )


# A figure typed in 万元 to two decimals is its 元 figure to within 50 元, divided by 10000.
_WAN, _WAN_SLACK = Decimal(10000), Decimal(50)


def _in_wan(first: Decimal, second: Decimal) -> str:
    """A hint when one figure looks like the other typed in 万元."""
    for small, name in ((first, "前者"), (second, "后者")):
        large = second if small is first else first
        if small > 0 and large >= _WAN and abs(small * _WAN - large) <= _WAN_SLACK:
            return f"（{name}像是按万元填写的：乘以 10000 是 {fmt_money(small * _WAN)}；金额一律按元填写）"
    return ""


@dataclass(frozen=True)
class Group:
    """Findings one cell explains (``cause``: change it and they all go), or one finding alone."""

    cause: str | None
    findings: tuple[Finding, ...]


def by_cause(findings: list[Finding]) -> list[Group]:
    """The findings of one cause together (see :mod:`causes`), in the order of their first; each
    finding that names the cause first, and the cause first among its cells. Findings no cell
    explains stand alone, in their order."""
    groups: dict[str | int, list[Finding]] = {}
    for i, finding in enumerate(findings):
        groups.setdefault(finding.cause if finding.cause is not None else i, []).append(finding)
    result = []
    for key, members in groups.items():
        if isinstance(key, int):
            result.append(Group(None, tuple(members)))
        else:
            ordered = sorted(members, key=lambda f: f.cells[0] != key)
            result.append(Group(key, tuple(_cause_first(f, key) for f in ordered)))
    return result


def _cause_first(finding: Finding, cause: str) -> Finding:
    if cause not in finding.cells:
        return finding
    return replace(finding, cells=(cause, *(c for c in finding.cells if c != cause)))
