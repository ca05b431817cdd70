"""Decimal arithmetic and the number formats of the published report.

Money stays ``Decimal`` from the cell to the page. Percentages are rounded half-up
(四舍五入) to two decimals; Python's ``round`` would round half to even.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ZERO = Decimal("0")
CENT = Decimal("0.01")
HUNDRED = Decimal("100")
TEN_THOUSAND = Decimal("10000")

# What clerks type for "nothing here" in a money cell.
_BLANKS = {"", "-", "—", "——", "－", "/", "无"}
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


# No 决算 figure comes near 10^15 元; beyond it Decimal's 28 digits would overflow when rounded
# to 分, so such a cell is unreadable, not a number.
_LIMIT = Decimal(10) ** 15


# Nor does any figure need more than six decimals (a percentage typed as a fraction has four);
# beyond them a value such as 1E-300 would make a rate of it (x ÷ 1E-300) too long to round.
_FINEST = Decimal("1e-6")


def _bounded(value: Decimal, raw: object) -> Decimal:
    if not value.is_finite() or abs(value) >= _LIMIT:
        raise ValueError(raw)
    if value.as_tuple().exponent < _FINEST.as_tuple().exponent:
        value = value.quantize(_FINEST, rounding=ROUND_HALF_UP)
    return value


def parse_decimal(raw: object) -> Decimal | None:
    """Read a cell value as Decimal; ``None`` for a blank-like cell.

    Accepts numbers typed as text with thousands separators, full-width digits and
    surrounding spaces. Raises ``ValueError`` for anything else.
    """
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueError(raw)
    if isinstance(raw, (int, Decimal)):
        return _bounded(Decimal(raw), raw)
    if not isinstance(raw, str):
        # openpyxl gives binary floats; their shortest repr is the figure Excel shows.
        try:
            return _bounded(Decimal(repr(raw)), raw)
        except InvalidOperation as exc:
            raise ValueError(raw) from exc
    text = unicodedata.normalize("NFKC", raw).strip().replace(",", "").replace(" ", "")
    if text in _BLANKS:
        return None
    if not _NUMBER.match(text):
        raise ValueError(raw)
    return _bounded(Decimal(text), raw)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def percent(part: Decimal, whole: Decimal) -> Decimal:
    """``part`` as a percentage of ``whole``, two decimals, half-up; 0 when whole is 0."""
    if not whole:
        return cents(ZERO)
    return cents(part * HUNDRED / whole)


def fmt_table(value: Decimal | None) -> str:
    """Table cell: ``62281177.64``; zero or empty prints as an empty cell."""
    if value is None or value == 0:
        return ""
    return f"{cents(value):f}"


def fmt_table_grouped(value: Decimal | None) -> str:
    """Table cell with thousands separators: ``2,940.05``; zero or empty prints as an empty cell."""
    if value is None or value == 0:
        return ""
    return f"{cents(value):,f}"


def fmt_figure(value: Decimal | None) -> str:
    """Prose amount without separators, as 万元 reports print them: ``2940.05``, ``0.00``."""
    return f"{cents(value or ZERO):f}"


def fmt_money(value: Decimal | None) -> str:
    """Prose amount: ``62,373,182.64`` (the template adds 元)."""
    return f"{cents(value or ZERO):,f}"


def fmt_percent(value: Decimal) -> str:
    """``47.54`` (the template adds %)."""
    return f"{cents(value):f}"


def fmt_count(value: Decimal | None) -> str:
    """Counts are whole numbers: ``7``, never ``7.00``."""
    return str(int(value or 0))


def fmt_plain(value: Decimal | None) -> str:
    """A figure as printed in the 附件 tables (万元, no padding): ``97.2``, ``0``."""
    if value is None:
        return ""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def wan_to_yuan(value: Decimal) -> Decimal:
    """万元 → 元, exact."""
    return value * TEN_THOUSAND


_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 105 → 一百零五, 230 → 二百三十: for 附件 and row numbering."""
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    for unit, size in (("千", 1000), ("百", 100), ("十", 10)):
        if n >= size:
            head, rest = divmod(n, size)
            tail = ""
            if rest:
                tail = chinese_number(rest)
                if 10 <= rest < 20:
                    tail = "一" + tail  # 一百一十五, not 一百十五
                if rest < size // 10:
                    tail = "零" + tail
            return _DIGITS[head] + unit + tail
    raise ValueError(n)
