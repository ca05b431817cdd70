"""Workbook text on its way out, cleaned in one place.

A cell can hold characters that XML cannot carry (Excel stores them as ``_x000B_``: Word's manual
line break pasted into a cell is a vertical tab) and characters a terminal acts on (ESC starts a
control sequence that can retitle the window or clear the screen; a newline can forge another
“错误：” line). :func:`cell_text` is how the reader takes every text from a cell, so that check,
build and init see the same text and every .docx and workbook written can carry it;
:func:`quoted` is how a message shows a cell's value; :func:`for_terminal` is applied to every
line the CLI prints.
"""

from __future__ import annotations

import re

# XML 1.0 allows TAB, LF, CR and everything from U+0020 except surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("[\x0b\x0c\x85\u2028\u2029]|\r\n?")  # Word's and Unicode's line breaks
# What a terminal acts on or reorders: C0 and C1 controls, DEL, and the bidirectional overrides.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_TERMINAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def cell_text(value: object) -> str:
    """A cell's text as the clerk typed it, minus surrounding blanks, with line breaks as ``\\n``
    and nothing that XML cannot carry."""
    if value is None:
        return ""
    text = _LINE_BREAKS.sub("\n", str(value))
    return _NOT_XML.sub("", text).strip()


def _escaped(match: re.Match) -> str:
    ch = match.group(0)
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch, f"\\u{ord(ch):04x}" if ord(ch) > 0xFF else f"\\x{ord(ch):02x}")


def quoted(value: object, limit: int = 30) -> str:
    """A cell's value as a message quotes it: on one line, every control character written out
    (``\\n``, ``\\x1b``), cut to ``limit`` characters; an empty cell is “空”."""
    text = "空" if value is None else str(value).strip()
    if len(text) > limit:
        text = text[:limit] + "…"
    return _CONTROL.sub(_escaped, text)


def for_terminal(text: str) -> str:
    """A line (or lines) the CLI prints, with every control character but the newlines and tabs
    of its own layout written out, so that nothing in it acts on the terminal."""
    return _TERMINAL.sub(_escaped, text)
