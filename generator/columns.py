"""Column widths from the texts a table holds: no cell ends on a line of one character.

A template fixes its tables' column widths when it is designed, for the texts its designer had in
mind; a workbook's own texts (a 科目名称, a 项目名称, a 自评表's analysis) then wrap where they
wrap, and a cell whose last line holds one character (…上缴收/入) looks like a mistake in a
published report. :func:`refit` moves width between a table's columns so that no cell does, taking
it where it costs least (usually a column of figures with room to spare) and keeping the table's
total width; a figure never wraps because of it.

Pure: cells, widths and sizes in, widths out (in twips, 1/20 pt). Reading them from and writing
them to WordprocessingML is :mod:`generator.render`'s. Lines are laid out here as Word and
LibreOffice lay them out — greedy, CJK characters breakable anywhere, Latin words and figures
whole, closing punctuation never starting a line nor opening punctuation ending one — and a cell
is judged under several slightly different measures (a little more or less room, punctuation
hanging in the margin or not), so that a width judged good is good in both programs.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Hashable
from dataclasses import dataclass

_ASCII = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"
# Advance widths (1/1000 em) of printable ASCII in Times New Roman (Liberation Serif's, the same
# metrics), the larger of regular and bold. Other characters are set full width by the CJK font.
_LATIN = dict(zip(_ASCII, (
    250, 333, 555, 500, 500, 1000, 833, 278, 333, 333, 500, 570, 250, 333, 250, 278, 500, 500, 500, 500,
    500, 500, 500, 500, 500, 500, 333, 333, 570, 570, 570, 500, 930, 722, 667, 722, 722, 667, 611, 778,
    778, 389, 500, 778, 667, 944, 722, 778, 611, 778, 722, 556, 667, 722, 722, 1000, 722, 722, 667, 333,
    278, 333, 581, 500, 333, 500, 556, 444, 556, 444, 333, 500, 556, 278, 333, 556, 278, 833, 556, 500,
    556, 556, 444, 389, 333, 556, 500, 722, 500, 500, 444, 480, 220, 480, 541)))
# Next to Chinese, LibreOffice sets digits and symbols (characters of no script of their own) in
# the Chinese font (Noto Serif CJK's proportional forms, wider), Word in Times New Roman: the
# larger of the two.
_BESIDE_CJK = dict(zip(_ASCII, (
    256, 355, 555, 615, 589, 1000, 833, 278, 400, 400, 500, 603, 335, 370, 335, 400, 593, 500, 594, 593,
    593, 594, 594, 588, 594, 596, 335, 335, 603, 603, 603, 500, 970, 746, 708, 722, 789, 667, 648, 778,
    864, 426, 500, 778, 667, 1001, 815, 785, 673, 785, 751, 597, 695, 818, 734, 1091, 726, 722, 667, 372,
    400, 372, 603, 593, 447, 585, 672, 565, 658, 572, 402, 596, 687, 349, 335, 651, 355, 1008, 685, 623,
    671, 640, 500, 499, 393, 678, 578, 874, 599, 582, 517, 480, 338, 480, 603)))

# Never at the start of a line (they stay with the character before) / never at its end.
_CLOSING = set("，。、；：？！）》」』】〕〉”’…%‰,.;:?!)]}·～—")
_OPENING = set("（《「『【〔〈“‘([{")
_FIGURE = re.compile(r"[-+−]?[\d,，]*\d(?:\.\d+)?%?")

# The measures a cell is judged under: its room less or more by this share and these twips
# (LibreOffice breaks within 10 twips of the room worked out here, Word has a border's more).
_ROOM_SHARE = 0.005  # float-ok: layout tolerance, not money
_ROOM_TWIPS = 15
STEP_EMS = 4  # widths are tried in steps of a quarter of the smallest text size of the table


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of a cell: its text (``\\n`` a line break) as runs of (text, size in half
    points), and the room its indents take: ``indent`` on every line, ``first`` more on the first
    (negative: a hanging indent)."""

    runs: tuple[tuple[str, int], ...]
    indent: int = 0
    first: int = 0

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.runs)

    def __hash__(self) -> int:  # a key of the caches below, hashed once
        return self._hash

    @functools.cached_property
    def _hash(self) -> int:
        return hash((self.runs, self.indent, self.first))


@dataclass(frozen=True)
class Cell:
    """A cell spanning grid columns ``column`` … ``column + span - 1`` of row ``row``; ``margins``
    is the room its left and right margins and borders take (twips)."""

    row: Hashable
    column: int
    span: int
    paragraphs: tuple[Paragraph, ...]
    margins: int = 0

    @functools.cached_property
    def figure(self) -> bool:
        """A figure (an amount, a count, a rate): it must never wrap."""
        text = "".join(p.text for p in self.paragraphs).strip()
        return bool(text) and _FIGURE.fullmatch(text) is not None


def _width(char: str, size: int, beside_cjk: bool = False) -> int:
    """``char``'s advance at ``size`` half points, in twips (1 em = size × 10 twips), rounded up;
    ``beside_cjk``: in a paragraph with Chinese in it."""
    em = size * 10
    latin = (_BESIDE_CJK if beside_cjk and not char.isalpha() else _LATIN).get(char)
    if latin is not None:
        return -(-em * latin // 1000)
    if char in "\t":
        return em
    return 0 if unicodedata.combining(char) or unicodedata.category(char) == "Cf" else em


def _units(runs: tuple[tuple[str, int], ...], spacing: int = 0) -> list[list[tuple[int, int, int]]]:
    """The paragraph's forced lines, each a list of unbreakable units (width, characters counted,
    width at its end that may hang past the line's end): a CJK character, or a Latin word or
    figure with the spaces after it, each with the opening punctuation before it and the closing
    punctuation after it; every character ``spacing`` twips wider (narrower)."""
    chars = [(c, size) for text, size in runs for c in text]
    chinese = any(c not in _LATIN and not c.isspace() for c, _ in chars)

    def width_of(char: str, size: int) -> int:
        return _width(char, size, chinese) + spacing

    lines: list[list[tuple[int, int, int]]] = [[]]
    units = lines[0]
    opening = 0  # the width of opening punctuation waiting for the unit it belongs to
    i = 0
    while i < len(chars):
        char, size = chars[i]
        i += 1
        if char == "\n":
            lines.append([])
            units, opening = lines[-1], 0
        elif char in _OPENING:
            opening += width_of(char, size)
        elif char in _CLOSING and units:
            width, count, hang = units[-1]
            units[-1] = (width + width_of(char, size), count, hang + width_of(char, size))
        elif char in _LATIN:
            start = i - 1
            while char != " " and i < len(chars) and chars[i][0] in _LATIN and chars[i][0] != " " and chars[i][0] not in _OPENING:
                i += 1
            word = i - start if char != " " else 0
            while i < len(chars) and chars[i][0] == " ":
                i += 1
            widths = [width_of(c, s) for c, s in chars[start:i]]
            units.append((opening + sum(widths), word, sum(widths[word:])))
            opening = 0
        else:
            units.append((opening + width_of(char, size), 1, 0))
            opening = 0
    if opening:
        units.append((opening, 0, 0))
    return lines


@functools.lru_cache(maxsize=1 << 11)  # a long paragraph's units are large
def _laid(runs: tuple[tuple[str, int], ...], spacing: int = 0) -> tuple[int, tuple, bool]:
    """The paragraph's whole width; for each of its forced lines its units (see :func:`_units`),
    their running widths, running widths to each unit's end less what may hang there, running
    character counts, and its widest unit; and whether any unit may hang: worked out once."""
    lines = []
    for units in _units(runs, spacing):
        ends, hung, counts, total, chars = [0], [], [0], 0, 0
        for width, count, hang in units:
            hung.append(total + width - hang)
            total += width
            chars += count
            ends.append(total)
            counts.append(chars)
        lines.append((tuple(units), ends, hung, counts, max((w - h for w, _, h in units), default=0)))
    return (sum(line[1][-1] for line in lines), tuple(lines),
            any(hang for line in lines for _, _, hang in line[0]))


@functools.lru_cache(maxsize=1 << 13)
def _lines(runs: tuple[tuple[str, int], ...], first: int, rest: int, hanging: bool, spacing: int = 0) -> tuple[int, bool]:
    """(lines, whether a line the paragraph wraps onto holds one character only) of a paragraph
    set greedily in lines of ``first`` twips, then ``rest``; closing punctuation may hang past
    the end when ``hanging``."""
    total, lone = 0, False
    for units, ends, hung, counts, widest in _laid(runs, spacing)[1]:
        if widest > min(first, rest):
            more, alone = _broken(units, first if total == 0 else rest, rest, hanging)
            total, lone = total + more, lone or alone
            continue
        # Where each line ends: the first unit that does not fit (a unit's end, less what may
        # hang there, never comes before the end of the unit before it, so bisection finds it).
        reach = hung if hanging else ends[1:]
        start, at, room = total, 0, first if total == 0 else rest
        while True:
            total += 1
            end = bisect.bisect_right(reach, ends[at] + room, at + 1)
            if end >= len(units):
                lone = lone or (total - start > 1 and counts[-1] - counts[at] == 1)
                break
            at, room = end, rest
    return total, lone


def _broken(units, first: int, rest: int, hanging: bool) -> tuple[int, bool]:
    """:func:`_lines` of one forced line with a word longer than a line, broken where it must be."""
    room, used, count, total = first, 0, 0, 1
    for width, chars, hang in units:
        if chars > 1 and width - hang > room:
            each = (width - hang) // chars
            for _ in range(chars - 1):
                if used and used + each > room:
                    total, used, count, room = total + 1, 0, 0, rest
                used += each
                count += 1
            width, chars = width - each * (chars - 1), 1
        if used and used + width - (hang if hanging else 0) > room:
            total, used, count, room = total + 1, 0, 0, rest
        used += width
        count += chars
    return total, total > 1 and count == 1


def _measures(room: int, spacing: int = 0) -> tuple[int, ...]:
    # Characters set closer are placed a little less exactly (LibreOffice keeps spacing in
    # 1/100 mm): half a spacing's worth more either way.
    slack = _ROOM_TWIPS + int(room * _ROOM_SHARE) + abs(spacing) // 2  # float-ok: layout tolerance
    return (room - slack, room, room + slack)


@dataclass(frozen=True)
class Fit:
    """How a cell sits at a width: ``lines`` (as laid out at that width), ``lone`` (some paragraph
    ends on a line of one character, under some measure), ``wraps`` (a figure takes more than one
    line, under some measure)."""

    lines: int
    lone: bool
    wraps: bool


def fit(cell: Cell, width: int, scale: float = 1, spacing: int = 0) -> Fit:  # float-ok: a text size factor
    """How ``cell`` sits in ``width`` twips, its text at ``scale`` of its size, its characters
    ``spacing`` twips closer (negative) or further apart."""
    return _fit(cell.paragraphs, cell.margins, cell.figure, width, scale, spacing)


@functools.lru_cache(maxsize=1 << 13)
def _fit(paragraphs: tuple[Paragraph, ...], margins: int, figure: bool, width: int,
         scale: float, spacing: int = 0) -> Fit:  # float-ok: a text size factor
    lines, lone, wraps = 0, False, False
    for paragraph in paragraphs:
        runs = paragraph.runs if scale == 1 else tuple(
            (text, max(1, round(size * scale))) for text, size in paragraph.runs)  # float-ok: half points
        room = width - margins - paragraph.indent
        measures = _measures(room, spacing)
        whole, forced, hangs = _laid(runs, spacing)
        first = max(paragraph.first, 0)
        if len(forced) == 1 and whole <= measures[0] - first:
            lines += 1  # on one line however measured
            continue
        for measure in measures:
            for hanging in (True, False) if hangs else (True,):
                count, alone = _lines(runs, measure - first, measure, hanging, spacing)
                lone = lone or alone
                wraps = wraps or (figure and count > 1)
        lines += _lines(runs, room - first, room, True, spacing)[0]
    return Fit(lines, lone, wraps)


CLOSER_STEP = 1  # twips: the spacings tried
CLOSER = 15  # percent of its size a character may be set closer, to mend a cell that widths could not


def closer(cell: Cell, width: int) -> int:
    """The character spacing (twips, negative: closer) at which ``cell``, ``width`` twips wide,
    ends on a line of one character neither at its size nor at the smaller :data:`SCALES`
    (those first), set the least closer, and no closer than :data:`CLOSER` percent of its
    smallest text; 0 when it does at none, or no such spacing mends it."""
    return _closer(cell.paragraphs, cell.margins, cell.figure, width)


@functools.lru_cache(maxsize=1 << 12)
def _closer(paragraphs: tuple[Paragraph, ...], margins: int, figure: bool, width: int) -> int:
    def lone(spacing: int) -> tuple[bool, int]:
        return (_fit(paragraphs, margins, figure, width, 1, spacing).lone,
                sum(_fit(paragraphs, margins, figure, width, scale, spacing).lone for scale in SCALES))

    at = _fit(paragraphs, margins, figure, width, 1)
    if not at.lone and at.lines == len(paragraphs):
        return 0  # on one line each: at a smaller size too
    best, chosen = lone(0), 0
    least = min((size for p in paragraphs for _, size in p.runs), default=0)
    for spacing in range(-CLOSER_STEP, -least * 10 * CLOSER // 100 - 1, -CLOSER_STEP):
        if best == (False, 0):
            break
        found = lone(spacing)
        if found < best:
            best, chosen = found, spacing
    return chosen


# The scales a table's text may later be set at to fit a page (see generator.lo_uno.SMALLER):
# a width good at these too is preferred.
SCALES = (0.9, 0.8)  # float-ok: text size factors


_TERMS = 5  # in what a cell is judged by (see _Shape.judge)


def _ranked(totals) -> tuple[int, ...]:
    """:meth:`_Shape.judge`'s terms (or their sums) in the order they weigh: a row grown by a
    line counts before a cell that would end on one character only at a smaller scale."""
    wraps, hard, soft, scaled, lines = totals
    return wraps, hard, lines, soft, scaled


class _Shape:
    """What a cell's fit depends on (its paragraphs, margins, whether a figure), with its fits at
    the widths asked about so far: cells alike (the labels of every 自评表) are judged once."""

    def __init__(self, paragraphs: tuple[Paragraph, ...], margins: int, figure: bool):
        self.paragraphs, self.margins, self.figure = paragraphs, margins, figure
        self.known: dict[int, tuple[int, int, int, int, int]] = {}
        self.closest = -min((size for p in paragraphs for _, size in p.runs), default=0) * 10 * CLOSER // 100
        # From this width on, every paragraph is on one line however measured, at any scale.
        self.wide = margins + max((p.indent + (_laid(p.runs)[0] + max(p.first, 0) + _ROOM_TWIPS + 1) * 200 // 199 + 1
                                   if len(_laid(p.runs)[1]) == 1 else 1 << 30 for p in paragraphs), default=0)

    def judge(self, width: int) -> tuple[int, int, int, int, int]:
        """(figure wrapped, ends on one character even set closer, ends on one character unless
        set closer, does so at a smaller scale, lines) at ``width``."""
        if width >= self.wide:
            return 0, 0, 0, 0, len(self.paragraphs)
        found = self.known.get(width)
        if found is None:
            at = _fit(self.paragraphs, self.margins, self.figure, width, 1)
            hard = at.lone and _fit(self.paragraphs, self.margins, self.figure, width, 1, self.closest).lone
            # smaller text on one line at full size is on one line too
            scaled = not at.lone and at.lines > len(self.paragraphs) and any(
                _fit(self.paragraphs, self.margins, self.figure, width, scale).lone for scale in SCALES)
            found = self.known[width] = (int(at.wraps), int(hard), int(at.lone and not hard), int(scaled), at.lines)
        return found


@functools.lru_cache(maxsize=1 << 10)
def _shape(paragraphs: tuple[Paragraph, ...], margins: int, figure: bool) -> _Shape:
    return _Shape(paragraphs, margins, figure)


class _Table:
    """The cells of a table, their fits at widths, and the score of a set of widths, worked out
    again only for the cells whose width changes."""

    def __init__(self, cells: list[Cell], columns: int):
        self.cells = cells
        self.shapes = [_shape(cell.paragraphs, cell.margins, cell.figure) for cell in cells]
        self.crossing = [[i for i, c in enumerate(cells) if c.column <= k < c.column + c.span]
                         for k in range(columns)]
        self.rows: dict[Hashable, list[int]] = {}
        for index, cell in enumerate(cells):
            self.rows.setdefault(cell.row, []).append(index)

    def judge(self, index: int, width: int) -> tuple[int, int, int, int, int]:
        """What :meth:`_Shape.judge` says of a cell."""
        return self.shapes[index].judge(width)

    def width(self, index: int, widths: list[int]) -> int:
        cell = self.cells[index]
        return sum(widths[cell.column:cell.column + cell.span])

    def score(self, widths: list[int], original: list[int], base: list[int] | None = None,
              known: tuple | None = None) -> tuple[int, ...]:
        """Lower is better: figures wrapped, cells ending on one character even set closer, those
        that would unless set closer, the rows' height in lines, the cells that would at a smaller
        scale, how far the widths moved. Given the score ``known`` of widths ``base``, only the cells
        whose width changed are judged again."""
        moved = sum(abs(a - b) for a, b in zip(widths, original))
        last = _TERMS - 1
        if base is None:
            cells, rows = range(len(self.cells)), self.rows
            totals = [0] * _TERMS
        else:
            changed = [k for k, (a, b) in enumerate(zip(widths, base)) if a != b]
            cells = sorted({i for k in changed for i in self.crossing[k]})
            rows = {self.cells[i].row: self.rows[self.cells[i].row] for i in cells}
            wraps, hard, lines, soft, scaled = known[:_TERMS]
            totals = [wraps, hard, soft, scaled, lines]
            for i in cells:
                old = self.judge(i, self.width(i, base))
                for n in range(last):
                    totals[n] -= old[n]
            for members in rows.values():
                totals[last] -= max(1, *(self.judge(i, self.width(i, base))[last] for i in members))
        for i in cells:
            new = self.judge(i, self.width(i, widths))
            for n in range(last):
                totals[n] += new[n]
        for members in rows.values():
            totals[last] += max(1, *(self.judge(i, self.width(i, widths))[last] for i in members))
        return _ranked(totals) + (moved,)


FLOOR = 200  # twips: no column is made narrower (a column under spanning cells only has no floor of its own)

# How far a column's width is moved, in steps: a cell ending on one character mends within an
# em or two.
REACH = 8 * STEP_EMS
PLANS = 3  # plans made, each from the one before (see _plan)
ROUNDS = 2  # moves tried after the plan, for what it could not see (cells spanning columns)
_WEIGHT = 10 ** 6  # of each term of a score over the next (see _plan)
_NEVER = _WEIGHT ** 6  # a cost above any (see _plan)
_CODES = 1 << 10  # above 3 * REACH (see _plan)


def refit(widths: list[int], cells: list[Cell], step: int | None = None, tried=()) -> list[int]:
    """Column widths (twips) summing to ``sum(widths)``, as close to ``widths`` as serves, at
    which no cell of ``cells`` ends on a line of one character where that can be had, no figure
    wraps that did not, and rows grow as little as may be; ``widths`` itself when no cell does.

    Widths move in steps of ``step`` twips (default: a quarter of the table's smallest text
    size), at most :data:`REACH` steps a column: first as planned for the cells within one
    column each (:func:`_plan`), then by single moves between columns for the cells spanning
    several. ``tried``: widths found for other tables of the same columns (the report's other
    自评表): the first at which no cell ends on one character that closer spacing cannot mend,
    and no more figures wrap, is taken as it is, so that alike tables keep alike columns (and the many of a large report are quick)."""
    table = _Table(list(cells), len(widths))
    original = list(widths)
    best = table.score(original, original)
    if not best[1] and not any(best[3:5]):
        return original
    for other in tried:
        if len(other) == len(widths) and sum(other) == sum(widths):
            wraps, hard = table.score(list(other), original)[:2]
            if wraps <= best[0] and not hard:  # what is left, a little closer spacing mends
                return list(other)
    if step is None:
        sizes = [size for cell in cells for p in cell.paragraphs for _, size in p.runs] or [20]
        step = max(1, min(sizes) * 10 // STEP_EMS)
    floors = [0] * len(widths)
    for cell in cells:
        if cell.span == 1 and cell.paragraphs:
            em = max((size for p in cell.paragraphs for _, size in p.runs), default=0) * 10
            floors[cell.column] = max(floors[cell.column], cell.margins + em)
    floors = [max(floor, min(width, FLOOR)) for floor, width in zip(floors, widths)]
    current = original
    for _ in range(PLANS):
        planned = [width + moved * step for width, moved in zip(original, _plan(table, original, current, floors, step))]
        score = table.score(planned, original)
        if not score < best:
            break
        current, best = planned, score
    for _ in range(ROUNDS):
        if not best[1] and not any(best[3:5]):
            break
        found = _best_move(table, current, original, floors, step, best)
        if found is None:
            break
        current, best = found
    return current


def _plan(table: _Table, widths: list[int], current: list[int], floors: list[int], step: int) -> list[int]:
    """The steps each column moves from ``widths`` (at most :data:`REACH` of them, in all none)
    in the plan of least cost, found by dynamic programming over the columns and the steps
    moved so far. A column's cost is, in this order: its figures wrapped, its cells ending on
    one character (even set closer, unless), its lines, the same at the smaller scales, and the
    steps it moved. A cell
    spanning columns counts in the widest of them, the others of its span taken as they are in
    ``current``: planning again from the plan mends what that missed."""
    owners = {i: max(range(cell.column, cell.column + cell.span), key=lambda k: (widths[k], -k))
              for i, cell in enumerate(table.cells)}
    options = []
    for column, width in enumerate(widths):
        mine = [(i, table.width(i, current) - current[column])
                for i in table.crossing[column] if owners[i] == column]
        choices = []
        for moved in range(-REACH, REACH + 1):
            if moved < 0 and width + moved * step < floors[column]:
                continue
            totals = [0] * _TERMS
            for index, others in mine:
                for n, value in enumerate(table.judge(index, others + width + moved * step)):
                    totals[n] += value
            cost = 0
            for total in _ranked(totals):
                cost = cost * _WEIGHT + total
            choices.append((moved, cost * _WEIGHT + abs(moved)))
        options.append(choices)
    # The columns so far may have moved ``limit`` steps either way in all. An entry of ``best``
    # is the least cost of having moved ``total - limit`` steps, times _CODES, plus the steps
    # the last column moved (+ 2 * REACH): min() picks both at once.
    limit = 2 * REACH
    size = 2 * limit + 1
    costs = [0 if total == limit else _NEVER for total in range(size)]
    trail = []
    for choices in options:
        shifted = []
        for moved, cost in choices:
            code = moved + 2 * REACH
            if moved >= 0:
                shifted.append([_NEVER * _CODES] * moved
                               + [(before + cost) * _CODES + code for before in costs[:size - moved]])
            else:
                shifted.append([(before + cost) * _CODES + code for before in costs[-moved:]]
                               + [_NEVER * _CODES] * -moved)
        best = list(map(min, zip(*shifted)))
        trail.append(best)
        costs = [value // _CODES for value in best]
    if costs[limit] >= _NEVER:
        return [0] * len(widths)
    plan, total = [], limit
    for best in reversed(trail):
        moved = best[total] % _CODES - 2 * REACH
        plan.append(moved)
        total -= moved
    return plan[::-1]


def _best_move(table: _Table, widths: list[int], original: list[int], floors: list[int], step: int,
               best: tuple) -> tuple[list[int], tuple] | None:
    """The best move of width into or out of a column holding a cell that ends on one character
    (or a figure that wraps): for each such column the change of its width best for its own
    cells, each way, is tried with the width taken from (or given to) each other column or all
    of them in proportion; None when no move scores better than ``best``."""
    known = best
    columns = sorted({column for index, cell in enumerate(table.cells)
                      for column in range(cell.column, cell.column + cell.span)
                      if _needs_room(table, index, widths)})
    chosen = None
    for column in columns:
        for delta in _local_moves(table, widths, column, floors, step):
            for donor in [*range(len(widths)), None]:
                if donor == column:
                    continue
                moved = _moved(widths, column, donor, delta, floors)
                if moved is None:
                    continue
                score = table.score(moved, original, widths, known)
                if score < best:
                    best, chosen = score, moved
    return None if chosen is None else (chosen, best)


def _local_moves(table: _Table, widths: list[int], column: int, floors: list[int], step: int) -> list[int]:
    """The changes of ``column``'s width, one narrower and one wider, best for the cells crossing
    it alone (the nearest of the best), within :data:`REACH` steps; none that is no better."""
    def local(delta: int) -> tuple[int, int, int, int]:
        moved = list(widths)
        moved[column] += delta
        totals = [0] * _TERMS
        for index in table.crossing[column]:
            for n, value in enumerate(table.judge(index, table.width(index, moved))):
                totals[n] += value
        return _ranked(totals)

    here = local(0)
    found = []
    for direction in (-1, 1):
        best = None
        for k in range(1, REACH + 1):
            delta = direction * k * step
            if widths[column] + delta < floors[column]:
                break
            score = local(delta)
            if score < here and (best is None or score < best[0]):
                best = (score, delta)
        if best is not None:
            found.append(best[1])
    return found


def _needs_room(table: _Table, index: int, widths: list[int]) -> bool:
    return any(table.judge(index, table.width(index, widths))[:-1])


def _moved(widths: list[int], column: int, donor: int | None, delta: int, floors: list[int]) -> list[int] | None:
    """``widths`` with ``delta`` twips more in ``column``, taken from ``donor`` (or, None, from
    every other column in proportion to its room above its floor); None when a floor would break."""
    moved = list(widths)
    moved[column] += delta
    if moved[column] < floors[column] and delta < 0:
        return None
    if donor is not None:
        moved[donor] -= delta
        return moved if moved[donor] >= floors[donor] or delta < 0 else None
    others = [k for k in range(len(widths)) if k != column]
    rooms = [max(widths[k] - floors[k], 0) if delta > 0 else max(widths[k], 1) for k in others]
    total = sum(rooms)
    if total <= 0:
        return None
    shares = [delta * room // total for room in rooms]
    shares[max(range(len(others)), key=lambda i: rooms[i])] += delta - sum(shares)
    for k, share in zip(others, shares):
        moved[k] -= share
        if moved[k] < floors[k] and share > 0:
            return None
    return moved
