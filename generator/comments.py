"""Word comments (批注) on marked text: the .docx side of the review draft.

The review draft is rendered with marks in the strings it prints: ``start(n)`` where comment n's
text begins and, for a sentence inside a paragraph, ``end(n)`` where it ends. :func:`attach`
takes every mark out of the rendered document and anchors each comment there through
python-docx's ``add_comment``: on the marked sentence; without an end mark, on the marked run
(a table cell's figure), or, when that prints nothing (a blank cell), on its table row up to it;
on the nearest heading above the mark when asked; on the document's first heading when the
mark was printed nowhere. The marks are characters of Unicode's private use area, which the
report never prints.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime

from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from docx.text.run import Run

_START, _END, _CLOSE = "\ue000", "\ue001", "\ue002"
_MARK = re.compile(f"([{_START}{_END}])(\\d+){_CLOSE}")
_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def start(n: int) -> str:
    return f"{_START}{n}{_CLOSE}"


def end(n: int) -> str:
    return f"{_END}{n}{_CLOSE}"


def position(marked: str, offset: int) -> int:
    """Where character ``offset`` of the text without marks is in ``marked``."""
    at = clean = 0
    for found in _MARK.finditer(marked):
        if clean + found.start() - at >= offset:
            break
        clean += found.start() - at
        at = found.end()
    return at + offset - clean


@dataclass(frozen=True)
class Comment:
    text: str  # its lines, separated by newlines
    heading: bool = False  # anchored on the nearest heading above its mark, not on the mark


def attach(document, comments: list[Comment], author: str, initials: str, dated: datetime) -> None:
    """Remove the marks from ``document`` and add ``comments[n]`` where ``start(n)`` was."""
    body = document.element.body
    starts, ends = _unmark(body)
    paragraphs = list(body.iter(qn("w:p")))
    anchors = []
    for n, comment in enumerate(comments):
        first = starts.get(n)
        if first is None:
            anchors.append(_runs(_first_heading(document, paragraphs)))
        elif comment.heading:
            anchors.append(_runs(_heading_above(document, paragraphs, first)))
        elif n in ends:
            anchors.append((first[0], ends[n]))
        else:
            anchors.append(_cell(*first))
    # Anchors first, comments after: a comment adds runs that must not become another's anchor.
    for comment, (first, last) in zip(comments, anchors):
        runs = [Run(r, Paragraph(r.getparent(), document)) for r in (first, last)]
        added = document.add_comment(runs, text=comment.text, author=author, initials=initials)
        added._comment_elm.date = dated  # python-docx stamps the clock; the same workbook gives the same bytes


def _unmark(body):
    """Take every mark out of the text, splitting runs where a mark stands inside one. Returns
    n → (the run starting at ``start(n)``, the run ending the original run there) and n → the
    run ending at ``end(n)``; the first of each where a string printed twice."""
    starts: dict[int, tuple] = {}
    ends: dict[int, object] = {}
    for t in list(body.iter(qn("w:t"))):
        text = t.text or ""
        if _START not in text and _END not in text:
            continue
        marks, pieces, at = [], [], 0
        for found in _MARK.finditer(text):
            pieces.append(text[at:found.start()])
            marks.append((found.group(1), int(found.group(2)), sum(map(len, pieces))))
            at = found.end()
        pieces.append(text[at:])
        clean = "".join(pieces)
        cuts = sorted({offset for _, _, offset in marks if 0 < offset < len(clean)})
        runs = _split(t, clean, cuts)
        bounds = [0, *cuts]
        for kind, n, offset in marks:
            if kind == _START and n not in starts:
                starts[n] = (runs[max(bisect_right(bounds, offset) - 1, 0)], runs[-1])
            elif kind == _END and n not in ends:
                ends[n] = runs[max(bisect_right(bounds, offset - 1) - 1, 0)] if offset else runs[0]
    return starts, ends


def _split(t, text: str, cuts: list[int]) -> list:
    """The run of ``t`` with ``text`` in it, cut at ``cuts`` (offsets into ``text``): the runs, in
    order, each with the run's properties; the first keeps what came before the text in the run,
    the last what came after it."""
    run = t.getparent()
    if not cuts:
        _set_text(t, text)
        return [run]
    position = list(run).index(t)
    bounds = [0, *cuts, len(text)]
    pieces = [run, *(deepcopy(run) for _ in cuts)]
    for i, piece in enumerate(pieces):
        children = list(piece)
        for j, child in enumerate(children):
            kept = (child.tag == qn("w:rPr") or j == position or (i == 0 and j < position)
                    or (i == len(pieces) - 1 and j > position))
            if not kept:
                piece.remove(child)
        _set_text(children[position], text[bounds[i]:bounds[i + 1]])
    for before, after in zip(pieces, pieces[1:]):
        before.addnext(after)
    return pieces


def _set_text(t, text: str) -> None:
    t.text = text
    if text != text.strip():
        t.set(_SPACE, "preserve")


def _cell(first, last):
    """A mark without an end: its run; a run printing nothing, its table row up to it."""
    printed = "".join(t.text or "" for run in _between(first, last) for t in run.iter(qn("w:t")))
    if printed.strip():
        return first, last
    row = next(first.iterancestors(qn("w:tr")), None)
    if row is None:
        return first, last
    return next(row.iter(qn("w:r"))), last


def _between(first, last):
    run = first
    while run is not None:
        yield run
        if run is last:
            return
        run = run.getnext()


def _runs(paragraph):
    """The first and last run of ``paragraph`` (a paragraph without any gets an empty one)."""
    runs = paragraph.findall(qn("w:r"))
    if not runs:
        runs = [paragraph.makeelement(qn("w:r"), {})]
        paragraph.append(runs[0])
    return runs[0], runs[-1]


def _heading_above(document, paragraphs, anchor):
    paragraph = next(anchor[0].iterancestors(qn("w:p")))
    index = paragraphs.index(paragraph)
    for candidate in reversed(paragraphs[:index + 1]):
        if _is_heading(document, candidate):
            return candidate
    return _first_heading(document, paragraphs)


def _first_heading(document, paragraphs):
    return next((p for p in paragraphs if _is_heading(document, p)), paragraphs[0])


def _is_heading(document, paragraph) -> bool:
    """A paragraph with an outline level, its own or its style's (Heading 1–9, 表标题 …)."""
    properties = paragraph.find(qn("w:pPr"))
    if properties is None:
        return False
    if properties.find(qn("w:outlineLvl")) is not None:
        return True
    named = properties.find(qn("w:pStyle"))
    style_id = named.get(qn("w:val")) if named is not None else None
    styles = document.styles.element
    seen = set()
    while style_id and style_id not in seen:
        seen.add(style_id)
        style = styles.get_by_id(style_id)
        if style is None:
            return False
        if style.pPr is not None and style.pPr.find(qn("w:outlineLvl")) is not None:
            return True
        style_id = style.basedOn_val
    return False
