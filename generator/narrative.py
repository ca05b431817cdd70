"""What the 情况说明 computations of every format are made of: comparisons with last year,
shares that are never taken of a zero base, and the 情况说明 sheet's inputs.

A format computes its sections' figures with these (``formats/<name>/narrative.py``); its
sentences are in its ``narrative.j2``, so that wording changes without touching Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from .model import Text, Workbook
from .money import ZERO, percent
from .spec import Format

_TRAILING = re.compile(r"[。；;，,、.\s]+$")


def clause(text: str) -> str:
    """A typed text made ready for the template to add its own punctuation (no 。。)."""
    return _TRAILING.sub("", text.strip())


@dataclass(frozen=True)
class Change:
    """This year against last year: direction 增加/减少/持平, amount and percentage.

    ``prior`` is None when last year's figure was left blank: no comparison is made (``known``
    is False), since blank is not 0. ``pct`` is None when last year was 0 (no growth rate on a
    zero base).
    """

    current: Decimal
    prior: Decimal | None

    @property
    def known(self) -> bool:
        return self.prior is not None

    @property
    def direction(self) -> str:
        if self.prior is None or self.current == self.prior:
            return "flat"  # an unknown last year is never worded (see ``known``)
        return "up" if self.current > self.prior else "down"

    @property
    def amount(self) -> Decimal:
        return abs(self.current - self.prior) if self.prior is not None else ZERO

    @property
    def pct(self) -> Decimal | None:
        if not self.prior:
            return None
        return percent(self.amount, abs(self.prior))


def share(part: Decimal, whole: Decimal) -> Decimal | None:
    """``part`` as a percentage of ``whole``; None on a zero base, whose share is never printed."""
    return percent(part, whole) if whole else None


@dataclass(frozen=True)
class Facts:
    """What a section's figures are computed from: the workbook, its recomputed tables and
    自评表 sheets, and the 情况说明 sheet's inputs."""

    wb: Workbook
    fig: object  # recompute.Figures
    projects: list  # of projects.ProjectFigures
    fmt: Format  # the declarations the section reads (its grades, its sheets' labels)

    @property
    def inp(self) -> "Inputs":
        return Inputs(self.wb)


def narrative_figures(fmt: Format, wb: Workbook, fig, projects) -> dict:
    """Every figure the 情况说明 sentences of ``fmt`` need, by part, with the unit and years:
    had without rendering (``check``, the change record)."""
    facts = Facts(wb, fig, projects, fmt)
    parts = dict.fromkeys(section.part for section in fmt.sections)
    return {"unit": wb.name, "year": wb.year, "prior_year": wb.year - 1,
            **{part: fmt.figures[part](facts) for part in parts}}


class Inputs:
    """Typed access to the 情况说明 sheet; a label left out reads as 0 or ""."""

    def __init__(self, wb: Workbook):
        self.wb = wb
        self.values = wb.inputs

    def amount(self, label: str) -> Decimal:
        return self.wb.figure(label).amount

    def value(self, label: str) -> Decimal | None:
        """A typed figure, None when left blank (a blank last year means no comparison; 0 is a real year)."""
        return self.wb.figure(label).value

    def given(self, label: str) -> bool:
        return self.wb.figure(label).value is not None

    def text(self, label: str) -> str:
        value = self.values.get(label)
        return clause(value.value) if isinstance(value, Text) else ""

    def paragraphs(self, label: str) -> list[str]:
        value = self.values.get(label)
        if not isinstance(value, Text):
            return []
        return [line.strip() for line in value.value.splitlines() if line.strip()]


