"""What the audit reports: one finding per broken relation, with every cell involved."""

from __future__ import annotations

from dataclasses import dataclass
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

    @property
    def table(self) -> str:
        """The sheet of the first cell: findings are grouped by it."""
        return self.cells[0].split("!")[0] if self.cells else "其他"


def mismatch(rule: str, what: str, stated: Decimal, computed: Decimal, cells, *,
             severity: str = ERROR, computed_label: str = "按明细重算") -> Finding:
    """A stated figure that differs from the one its relation gives."""
    difference = stated - computed
    return Finding(
        severity, rule,
        f"{what}：填列 {fmt_money(stated)}，{computed_label} {fmt_money(computed)}，"
        f"相差 {fmt_money(difference)}",
        tuple(dict.fromkeys(c for c in cells if c)),
    )
