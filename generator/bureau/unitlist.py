"""The bureau's list of units, from an Excel sheet: 单位名称, 单位编码 and how to reach the unit.

The columns are found by their labels in a header row near the top of the first sheet that has
both 单位名称 and 单位编码, in any order, among other columns; 联系人, 联系电话 and the like are
joined into one contact line. The file is untrusted and read like a workbook (:func:`loader.load`).
Every problem is collected and reported at once, each with its sheet!cell.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from ..errors import DiscloseError
from ..loader import column_letter, load

NAME_LABELS = ("单位名称", "单位全称", "预算单位名称", "单位")
CODE_LABELS = ("单位编码", "单位代码", "预算单位编码", "预算单位代码", "编码", "代码")
CONTACT_LABELS = ("联系人", "联系电话", "联系方式", "电话", "手机", "邮箱", "电子邮箱")
_HEADER_ROWS = 10
_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$")
_NAME_CHARS = 100
_SHOWN = 10  # problems named in the message; the rest counted


class UnitListError(DiscloseError):
    """The list of units cannot be imported; the message names every cell to fix."""


@dataclass(frozen=True)
class UnitEntry:
    name: str
    code: str
    contact: str


def _text(value: object) -> str:
    return "" if value is None else " ".join(str(value).split())


def _labels(row: tuple) -> dict[str, int]:
    return {_text(v).replace(" ", ""): i for i, v in enumerate(row) if _text(v)}


def _find(labels: dict[str, int], wanted: tuple[str, ...]) -> int | None:
    return next((labels[w] for w in wanted if w in labels), None)


def read_units(path: str) -> list[UnitEntry]:
    """The units listed in the workbook at ``path``, in its order. Raises :class:`UnitListError`
    (or :class:`~generator.errors.WorkbookError` for a file that is no workbook)."""
    for sheet in load(path):
        rows = sheet.rows or []
        for r, row in enumerate(rows[:_HEADER_ROWS]):
            labels = _labels(row)
            name_col, code_col = _find(labels, NAME_LABELS), _find(labels, CODE_LABELS)
            if name_col is not None and code_col is not None and name_col != code_col:
                contacts = [labels[w] for w in CONTACT_LABELS if w in labels]
                return _entries(sheet.title, rows, r, name_col, code_col, contacts)
    raise UnitListError("单位名单中找不到表头：请在第一行写上“单位名称”“单位编码”（可再加“联系人”“联系电话”），"
                        "每个单位一行")


def _entries(title: str, rows: list[tuple], header: int, name_col: int, code_col: int,
             contacts: list[int]) -> list[UnitEntry]:
    entries: list[UnitEntry] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for r in range(header + 1, len(rows)):
        row = rows[r]
        cell = lambda c: row[c] if c < len(row) else None  # noqa: E731 - rows are ragged
        ref = lambda c: f"{title}!{column_letter(c + 1)}{r + 1}"  # noqa: E731
        name, code = _text(cell(name_col)), _text(cell(code_col))
        if not name and not code:
            continue
        if not name:
            problems.append(f"{ref(name_col)}：单位名称为空")
            continue
        if len(name) > _NAME_CHARS:
            problems.append(f"{ref(name_col)}：单位名称超过 {_NAME_CHARS} 个字")
            continue
        if not code:
            problems.append(f"{ref(code_col)}：“{name}”没有单位编码")
            continue
        if not _CODE.match(code):
            problems.append(f"{ref(code_col)}：单位编码“{code[:40]}”只能由字母、数字和 . _ - 组成（最多 40 个）")
            continue
        if code.casefold() in seen:
            problems.append(f"{ref(code_col)}：单位编码“{code}”与 {seen[code.casefold()]} 重复")
            continue
        seen[code.casefold()] = ref(code_col)
        contact = "，".join(t for t in (_text(cell(c)) for c in contacts) if t)
        entries.append(UnitEntry(name, code, contact))
    if problems:
        more = f"；另有 {len(problems) - _SHOWN} 处" if len(problems) > _SHOWN else ""
        raise UnitListError("单位名单有问题，未导入任何单位，请改正后重新导入：" + "；".join(problems[:_SHOWN]) + more)
    if not entries:
        raise UnitListError(f"单位名单“{title}”表头下面没有单位，请每个单位填一行")
    return entries


def blank_list() -> bytes:
    """An empty list for the bureau to fill in: the header row, 单位编码 typed as text (so that
    leading zeros stay)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "单位名单"
    sheet.append(["单位名称", "单位编码", "联系人", "联系电话"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCD", (40, 14, 12, 16)):
        sheet.column_dimensions[column].width = width
    for row in range(2, 1001):
        sheet.cell(row, 2).number_format = "@"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
