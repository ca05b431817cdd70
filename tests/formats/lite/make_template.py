"""Make tests/formats/lite/report.docx, the template of the "lite" test format, from Shanxi's.

The lite format exists to prove that a report format is data (#13): Shanxi without 公开10表,
情况说明 before the tables, one extra table (公开11表 资产情况表, two value columns) and one extra
section (十一、资产情况说明). Deriving it from templates/shanxi/report.docx keeps its styles, header,
footer and page set-up identical, so a difference in a built report comes from the format only.
A fixture maker: run once from the repository root, commit its output; templates/ is only read.
"""

from copy import deepcopy
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]

doc = Document(str(ROOT / "templates" / "shanxi" / "report.docx"))
body = doc.element.body


def text(el) -> str:
    return "".join(t.text or "" for t in el.iter(qn("w:t")))


def style(el) -> str:
    found = el.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
    return found.get(qn("w:val")) if found is not None else ""


def paragraph(start: str, style_id: str | None = None):
    """The one body paragraph whose text starts with ``start`` (and has that style)."""
    found = [p for p in body.iterchildren(qn("w:p"))
             if text(p).startswith(start) and style_id in (None, style(p))]
    assert len(found) == 1, (start, len(found))
    return found[0]


def replace(el, old: str, new: str) -> None:
    """Replace ``old`` in the one w:t holding it (a tag split over runs would not render anyway)."""
    hits = [t for t in el.iter(qn("w:t")) if old in (t.text or "")]
    assert hits, (old, text(el))
    for t in hits:
        t.text = t.text.replace(old, new)


def span(first, stop) -> list:
    """The body elements from ``first`` up to, not including, ``stop``."""
    out, el = [], first
    while el is not stop:
        out.append(el)
        el = el.getnext()
    return out


# --- 公开10表's block: 表标题, 表信息 ×3, the table, 表注 (it sits in the last, portrait section,
# after 公开09表, with no section break of its own).
number10 = paragraph("公开10表", "表信息")
title10 = number10.getprevious()
table10 = next(number10.itersiblings(qn("w:tbl")))
note10 = table10.getnext()
assert style(title10) == "表标题" and style(note10) == "表注"
block10 = span(title10, note10.getnext())

# --- 公开11表 资产情况表: a copy of 10's block, 项目 | 行次 | 年初数 | 年末数.
block11 = [deepcopy(el) for el in block10]
title11, number11, name11, _, table11, note11 = block11
replace(title11, "部门决算公开相关信息统计表", "资产情况表")
replace(number11, "公开10表", "公开11表")
replace(name11, "单位名称：", "部门名称：")  # 10 alone says 单位名称 (as published); 11 is like the others
replace(note11, text(note11), "注：本表反映部门年末资产情况。")
replace(table11, "in t10", "in t11")
# A fourth column: the value cell of each row copied; 项目 narrowed so the four keep the text
# width (9411 twips, what 10's merged part row already spans).
WIDTHS = (3969, 1134, 2154, 2154)
assert sum(WIDTHS) == 9411
grid = table11.find(qn("w:tblGrid"))
for col in list(grid):
    grid.remove(col)
for width in WIDTHS:
    grid.append(grid.makeelement(qn("w:gridCol"), {qn("w:w"): str(width)}))
for row in table11.iter(qn("w:tr")):
    cells = row.findall(qn("w:tc"))
    if len(cells) == 1:  # the part row (一、…): one cell over every column
        cells[0].find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}").set(qn("w:val"), str(len(WIDTHS)))
        continue
    assert len(cells) == 3
    cells[2].addnext(deepcopy(cells[2]))
    for cell, width in zip(row.findall(qn("w:tc")), WIDTHS):
        cell.find(f"{qn('w:tcPr')}/{qn('w:tcW')}").set(qn("w:w"), str(width))
    start, end = row.findall(qn("w:tc"))[2:]
    if "{{ r.value }}" in text(start):  # t11's rows carry v = [年初数, 年末数]
        replace(start, "{{ r.value }}", "{{ r.v[0] }}")
        replace(end, "{{ r.value }}", "{{ r.v[1] }}")
assert "r.value" not in text(table11)

# 11 goes where 10 was (last of the tables), and 10 goes.
for el in block11:
    title10.addprevious(el)
for el in block10:
    body.remove(el)

# --- 情况说明: no 十（一）（二）（三） (they describe 公开10表); （四）预算绩效 becomes （一）.
first_gone = paragraph("（一）机关运行经费", "Heading3")
kept = paragraph("（四）预算绩效", "Heading3")
for el in span(first_gone, kept):
    body.remove(el)
replace(kept, "（四）", "（一）")

# --- 十一、资产情况说明 at the end of 情况说明: 十、's heading and the last section's loop, copied.
names = paragraph("第四部分", "Heading1")  # what follows 情况说明 now
heading11 = deepcopy(paragraph("十、其他重要事项情况说明", "Heading2"))
replace(heading11, "十、其他重要事项情况说明", "十一、资产情况说明")
loop = paragraph("{%p for line in narrative.s10_4_5 %}")
loop11 = [deepcopy(el) for el in (loop, loop.getnext(), loop.getnext().getnext())]
assert [text(el) for el in loop11] == ["{%p for line in narrative.s10_4_5 %}", "{{ line }}", "{%p endfor %}"]
replace(loop11[0], "narrative.s10_4_5", "narrative.s11")
for el in (heading11, *loop11):
    names.addprevious(el)

# --- Parts in another order: the tables part moves, whole, after 情况说明. Its section breaks
# (the w:sectPr in the pPr of the empty paragraph after 01, 04, 05 and 08) move with it: each ends
# the section of what precedes it, so 02-04 and 06-08 stay landscape, and the first of them (with
# the header, footer and page numbering from 1) now ends the section 概况 + 情况说明 + 01 — the
# body still starts its page numbers at 概况. 09 and 11 fall in the last section, portrait, as 09
# and 10 did.
tables = paragraph("第二部分", "Heading1")
narrative = paragraph("第三部分 情况说明", "Heading1")
for el in span(tables, narrative):
    names.addprevious(el)
replace(tables, "第二部分", "第三部分")
replace(narrative, "第三部分", "第二部分")

parts = [text(p) for p in body.iterchildren(qn("w:p")) if style(p) == "Heading1"]
assert parts[:5] == ["第一部分 概况", "第二部分 情况说明", "第三部分 {{ unit.year }}年部门决算表",
                     "第四部分 名词解释", "第五部分 附件"], parts
doc.save(str(HERE / "report.docx"))
