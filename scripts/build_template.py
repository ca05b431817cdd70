"""Build templates/report.docx, the docxtpl template of the whole report.

The .docx is what ships and what a clerk's IT person restyles in Word or WPS (styles
正文, 表格文字, 部分标题 …); this script only makes the first version of it and is kept
so that structural changes can be redone. Run from the repository root:
``python scripts/build_template.py``.
"""

import pathlib
import sys

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator import layout  # noqa: E402

doc = Document()


def name_fonts(fonts, east_asia, latin="Times New Roman"):
    """Set ``w:rFonts`` to named fonts; a theme attribute would override the names."""
    for theme in ("asciiTheme", "eastAsiaTheme", "hAnsiTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{theme}"), None)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)


def chinese_language():
    """zh-CN wherever a language is declared: Word, WPS and LibreOffice then draw the Simplified
    forms (所, 、, ：) of a CJK font that has several, not the Japanese ones of the default template."""
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    name_fonts(defaults.find(qn("w:rFonts")), "宋体")
    defaults.find(qn("w:lang")).set(qn("w:eastAsia"), "zh-CN")
    doc.settings.element.find(qn("w:themeFontLang")).set(qn("w:eastAsia"), "zh-CN")


chinese_language()
section = doc.sections[0]
section.page_width, section.page_height = Cm(21), Cm(29.7)
section.orientation = WD_ORIENT.PORTRAIT
section.top_margin = section.bottom_margin = Cm(2.54)
section.header_distance = section.footer_distance = Cm(1.5)
section.left_margin = section.right_margin = Cm(2.2)
CONTENT = Cm(21 - 4.4)
WIDE = Cm(29.7 - 3)  # a landscape page's text width (1.5 cm side margins)


def set_fonts(style, east_asia, latin="Times New Roman", size=None, bold=None):
    font = style.font
    font.name = latin
    if size:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    name_fonts(fonts, east_asia, latin)


def paragraph_style(name, base, east_asia, size, *, bold=False, align=None, indent=False,
                    page_break=False, outline=None, before=0, after=0, line=None):
    """A paragraph style made from scratch: a style the default template already has (Title,
    Heading n, Header …) loses its borders, theme fonts and spacing first."""
    styles = doc.styles
    if name in [s.name for s in styles]:
        style = styles[name]
        for tag in ("w:pPr", "w:rPr"):
            for el in style.element.findall(qn(tag)):
                style.element.remove(el)
    else:
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if base:
        style.base_style = styles[base]
    set_fonts(style, east_asia, size=size, bold=bold)
    style.font.color.rgb = None
    pf = style.paragraph_format
    if align is not None:
        pf.alignment = align
    pf.first_line_indent = Pt(size * 2) if indent else Pt(0)
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(line or size * 1.75)
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    pf.page_break_before = page_break
    if outline is not None:  # a heading: in the navigation pane, never alone at a page's foot
        pf.keep_with_next = True
        pf.keep_together = True
        style.element.get_or_add_pPr().get_or_add_outlineLvl().set(qn("w:val"), str(outline))
    return style


# GB/T 9704's hierarchy: title 方正小标宋, 一、 黑体, （一） 楷体, 1./（1） 仿宋 bold, body 仿宋, all 三号.
normal = paragraph_style("Normal", None, "仿宋_GB2312", 16, indent=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
paragraph_style("Title", "Normal", "方正小标宋简体", 26, align=WD_ALIGN_PARAGRAPH.CENTER)  # cover: 一号
paragraph_style("目录标题", "Normal", "方正小标宋简体", 22, align=WD_ALIGN_PARAGRAPH.CENTER, page_break=True,
                after=16)
paragraph_style("Heading 1", "Normal", "方正小标宋简体", 22, align=WD_ALIGN_PARAGRAPH.CENTER, page_break=True,
                outline=0, before=12, after=16)
paragraph_style("Heading 2", "Normal", "黑体", 16, indent=True, outline=1)
paragraph_style("Heading 3", "Normal", "楷体_GB2312", 16, indent=True, outline=2)
paragraph_style("Heading 4", "Normal", "仿宋_GB2312", 16, bold=True, indent=True, outline=3)
# Page furniture: a small centred header over a thin rule, the page number centred in 四号 宋体.
header_style = paragraph_style("Header", "Normal", "宋体", 10.5, align=WD_ALIGN_PARAGRAPH.CENTER, line=15)
rule = OxmlElement("w:pBdr")
bottom = OxmlElement("w:bottom")
for key, value in (("val", "single"), ("sz", "4"), ("space", "1"), ("color", "auto")):
    bottom.set(qn(f"w:{key}"), value)
rule.append(bottom)
header_style.element.get_or_add_pPr().insert_element_before(rule, "w:shd", "w:tabs", "w:spacing", "w:ind", "w:jc")
paragraph_style("Footer", "Normal", "宋体", 14, align=WD_ALIGN_PARAGRAPH.CENTER, line=18)
table_title = paragraph_style("表标题", "Normal", "方正小标宋简体", 18, align=WD_ALIGN_PARAGRAPH.CENTER,
                              page_break=True)
outline = OxmlElement("w:outlineLvl")  # listed in the 目录 and the navigation pane, as in the seeds
outline.set(qn("w:val"), "1")
table_title.element.get_or_add_pPr().append(outline)
table_title.paragraph_format.keep_with_next = True
paragraph_style("表信息", "Normal", "宋体", 10.5, align=WD_ALIGN_PARAGRAPH.LEFT)
paragraph_style("表注", "Normal", "宋体", 10.5, align=WD_ALIGN_PARAGRAPH.LEFT)
cell_style = paragraph_style("表格文字", "Normal", "宋体", 9, align=WD_ALIGN_PARAGRAPH.LEFT)
cell_style.paragraph_format.line_spacing = Pt(11.5)  # exact: rows as compact as print allows
for name, align in (("表格数字", WD_ALIGN_PARAGRAPH.RIGHT), ("表格居中", WD_ALIGN_PARAGRAPH.CENTER)):
    s = paragraph_style(name, "表格文字", "宋体", 9, align=align)
    s.paragraph_format.line_spacing = Pt(11.5)
head = paragraph_style("表头", "表格居中", "宋体", 9, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
head.paragraph_format.line_spacing = Pt(11.5)


def para(text="", style="Normal"):
    return doc.add_paragraph(text, style=style)


def heading(text, level):
    return para(text, f"Heading {level}")


def loop(body_macro, items, style="Normal"):
    """Paragraph loop: one paragraph per item of ``items``."""
    para(f"{{%p for line in {items} %}}", style)
    para("{{ line }}", style)
    para("{%p endfor %}", style)


def repeat_header(row):
    """A column-header row: repeated on every page the table continues on, never split, and kept
    with the row it heads (never the last line of a page)."""
    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    no_split(row)
    keep_with_next(row)


def no_split(row):
    tr_pr = row._tr.get_or_add_trPr()
    if tr_pr.find(qn("w:cantSplit")) is None:
        tr_pr.append(OxmlElement("w:cantSplit"))


def keep_with_next(row):
    for tc in row._tr.tc_lst:  # the row's own cells (row.cells gives the top of a vertical merge)
        for p in tc.iter(qn("w:p")):
            p.get_or_add_pPr().get_or_add_keepNext()


def table(widths, header_rows, loop_expr=None, cells=None, styles=None, footer_rows=(), long_text=False):
    """A table: static header rows, one templated row repeated by ``{%tr for %}``.

    Rows never break across pages, except in a ``long_text`` table: a free text may be taller
    than a page, and Word clips a row that may not break.
    """
    n_rows = len(header_rows) + (3 if loop_expr else 0) + len(footer_rows)
    t = doc.add_table(rows=n_rows, cols=len(widths))
    t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    margins = OxmlElement("w:tblCellMar")  # narrow cell padding, as printed tables have
    for side in ("left", "right"):
        m = OxmlElement(f"w:{side}")
        m.set(qn("w:w"), "57")
        m.set(qn("w:type"), "dxa")
        margins.append(m)
    look = t._tbl.tblPr.find(qn("w:tblLook"))  # CT_TblPr is a sequence: tblCellMar before tblLook
    if look is None:
        t._tbl.tblPr.append(margins)
    else:
        look.addprevious(margins)
    for w, col in zip(widths, t._tbl.tblGrid.findall(qn("w:gridCol"))):
        col.set(qn("w:w"), str(int(w) // 635))  # EMU → twips
    for row in t.rows:
        for w, cell in zip(widths, row.cells):
            cell.width = w
    for r, values in enumerate(header_rows):
        row = t.rows[r]
        for c, value in enumerate(values):
            # An empty header cell too: a body paragraph (三号, 28 pt line) would make the row tall.
            row.cells[c].paragraphs[0].style = doc.styles["表头"]
            if value is not None:
                row.cells[c].paragraphs[0].text = value
        repeat_header(row)
    r = len(header_rows)
    if loop_expr:
        t.rows[r].cells[0].paragraphs[0].text = f"{{%tr for r in {loop_expr} %}}"
        data = t.rows[r + 1]
        if not long_text:
            no_split(data)
        for c, value in enumerate(cells):
            data.cells[c].paragraphs[0].text = value
            data.cells[c].paragraphs[0].style = doc.styles[(styles or {}).get(c, "表格文字")]
        t.rows[r + 2].cells[0].paragraphs[0].text = "{%tr endfor %}"
        r += 3
    for values, value_styles in footer_rows:
        row = t.rows[r]
        if not long_text:
            no_split(row)
        for c, value in enumerate(values):
            row.cells[c].paragraphs[0].style = doc.styles[value_styles.get(c, "表格文字")]
            if value is not None:
                row.cells[c].paragraphs[0].text = value
        r += 1
    return t


def continue_merge(cell):
    cell._tc.get_or_add_tcPr().append(OxmlElement("w:vMerge"))


def merge(t, r1, c1, r2, c2):
    a, b = t.cell(r1, c1), t.cell(r2, c2)
    text = a.text
    merged = a.merge(b)
    for p in merged.paragraphs[1:]:
        p._p.getparent().remove(p._p)
    merged.paragraphs[0].text = text
    merged.paragraphs[0].style = doc.styles["表格文字" if "{{" in text else "表头"]
    return merged


def table_heading(key, new_page=True):
    title = para(layout.TABLE_TITLES[key], "表标题")
    if not new_page:  # right after a part heading or a section break, which start the page
        title.paragraph_format.page_break_before = False
    para(f"公开{key}表", "表信息").alignment = WD_ALIGN_PARAGRAPH.RIGHT
    # As the published tables have them: 10 names the 单位, 08 and 09 say 单位：元.
    para(("单位名称" if key == "10" else "部门名称") + "：{{ unit.name }}", "表信息")
    para("{{ unit.year }}年度\t" + ("单位：元" if key in ("08", "09") else "金额单位：元"), "表信息")


def table_note(key, empty_flag=None):
    para(layout.TABLE_NOTES[key], "表注")
    if empty_flag:
        para(f"{{%p if {empty_flag} %}}", "表注")
        para("说明：本表无数据", "表注")
        para("{%p endif %}", "表注")


# ---- cover and 目录: their own section, without header, footer or page number ----
for _ in range(6):
    para("", "Title")
para("{{ unit.name }}", "Title")
para("{{ unit.year }}年度单位决算公开", "Title")
para("{%p if draft %}", "Title")
para("草稿（审核未通过，不得公开）", "Title")
para("{%p endif %}", "Title")
para("目  录", "目录标题")


def field_char(run, kind):
    el = OxmlElement("w:fldChar")
    el.set(qn("w:fldCharType"), kind)
    run._r.append(el)


def instruction(run, text):
    el = OxmlElement("w:instrText")
    el.set(qn("xml:space"), "preserve")
    el.text = text
    run._r.append(el)


for name, indent in (("toc 1", 0), ("toc 2", 2)):
    style = paragraph_style(name, "Normal", "仿宋_GB2312", 14, align=WD_ALIGN_PARAGRAPH.LEFT)
    style.paragraph_format.line_spacing = Pt(20)  # the whole 目录 on one page
    style.paragraph_format.left_indent = Pt(14 * indent)
    style.paragraph_format.tab_stops.add_tab_stop(CONTENT, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
# A TOC field whose result the renderer fills with the headings and, when LibreOffice has laid
# the report out, their page numbers; Word/WPS rebuild it on "更新域".
run = para("", "toc 1").add_run()
field_char(run, "begin")
instruction(run, ' TOC \\o "1-2" \\h \\z \\u ')
field_char(run, "separate")
para("{%p for e in toc %}", "toc 1")
para("{%p if e.level == 1 %}", "toc 1")
para("{{ e.title }}\t{{ e.page }}", "toc 1")
para("{%p else %}", "toc 2")
para("{{ e.title }}\t{{ e.page }}", "toc 2")
para("{%p endif %}", "toc 2")
para("{%p endfor %}", "toc 2")
field_char(para("", "toc 1").add_run(), "end")

# ---- the body: page header and a "- N -" footer, pages numbered from 1 ----
body = doc.add_section(WD_SECTION.NEW_PAGE)
body.header.is_linked_to_previous = False
body.footer.is_linked_to_previous = False
header = body.header.paragraphs[0]
header.text = "{{ unit.name }}{{ unit.year }}年单位决算公开报告{% if draft %}（草稿）{% endif %}"
header.alignment = WD_ALIGN_PARAGRAPH.CENTER
footer = body.footer.paragraphs[0]
footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
footer.add_run("- ")
page_run = footer.add_run()
field_char(page_run, "begin")
instruction(page_run, " PAGE ")
field_char(page_run, "separate")
page_run._r.append(OxmlElement("w:t"))
page_run._r[-1].text = "1"
field_char(page_run, "end")
footer.add_run(" -")
number_type = OxmlElement("w:pgNumType")
number_type.set(qn("w:start"), "1")
body._sectPr.find(qn("w:pgMar")).addnext(number_type)  # CT_SectPr order: pgMar … pgNumType, cols


def new_section(landscape):
    """Start a section on a new page; header and footer continue from the one before."""
    sec = doc.add_section(WD_SECTION.NEW_PAGE)
    for el in sec._sectPr.findall(qn("w:pgNumType")):
        sec._sectPr.remove(el)
    for tag in ("w:headerReference", "w:footerReference"):
        for el in sec._sectPr.findall(qn(tag)):
            sec._sectPr.remove(el)
    sec.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    long_side, short_side = Cm(29.7), Cm(21)
    sec.page_width, sec.page_height = (long_side, short_side) if landscape else (short_side, long_side)
    sec.left_margin = sec.right_margin = Cm(1.5) if landscape else Cm(2.2)
    sec.top_margin = sec.bottom_margin = Cm(2.1) if landscape else Cm(2.54)
    # The header line and its rule end about 0.6 cm below header_distance: clear of the text.
    sec.header_distance = sec.footer_distance = Cm(1.1) if landscape else Cm(1.5)
    return sec


# ---- 第一部分 ----
heading("第一部分 概况", 1)
heading("一、本部门（单位）职责", 2)
loop(None, "overview.duties")
heading("二、机构设置情况", 2)
loop(None, "overview.organization")

# ---- 第二部分 ----
heading("第二部分 {{ unit.year }}年部门决算表", 1)
NUM = "表格数字"
CENTER = "表格居中"

def text_width(texts, size=9):
    """The width a cell needs to hold the longest of ``texts`` on one line at ``size`` pt."""
    longest = max(sum(0.5 if ch.isascii() else 1 for ch in text) for text in texts)
    return Pt(longest * size) + Cm(0.25)  # and the cell's padding


AMOUNT = text_width(["62281177.64"]) + Cm(0.15)  # a 元 amount below 10^9, with room to spare
NAME = text_width(["机关事业单位基本养老保险缴费支出"]) + Cm(1.3)  # the long 项 names, on one line


table_heading("01", new_page=False)
heading_rows = [["收入", None, None, "支出", None, None],
                ["项目", "行次", "决算数", "项目", "行次", "决算数"],
                ["栏次", None, "1", "栏次", None, "2"]]
label_w = text_width(layout.T01_LABELS.values())  # every 项目 on one line
line_w = Cm(0.9)
amount_w = int((CONTENT - 2 * label_w - 2 * line_w) / 2)
t = table([label_w, line_w, amount_w] * 2, heading_rows, "t01",
          ["{{ r.ll }}", "{{ r.ln }}", "{{ r.lv }}", "{{ r.rl }}", "{{ r.rn }}", "{{ r.rv }}"],
          {1: CENTER, 2: NUM, 4: CENTER, 5: NUM})
merge(t, 0, 0, 0, 2)
merge(t, 0, 3, 0, 5)
table_note("01")


def function_table(key, width=CONTENT):
    """02, 03, 05, 08, 09: the 科目名称 column as wide in each (long 项 names on one line); the
    amounts share what is left of the page. 本年支出 heads its three columns, as published."""
    columns = layout.FUNCTION_COLUMNS[key]
    n = len(columns)
    code_w = Cm(2)  # a 7-digit 项 code on one line
    amount_w = max(AMOUNT, int((width - code_w - NAME) / n))
    name_w = width - code_w - amount_w * n
    group = layout.FUNCTION_GROUPS.get(key)
    top, sub = ["项目", None, *columns], ["功能分类科目编码", "科目名称", *[None] * n]
    if group:
        label, first = group
        top[first + 2:first + 5] = [label, None, None]
        sub[first + 2:first + 5] = columns[first:first + 3]
    rows = [top, sub, ["栏次", None, *[str(i) for i in range(1, n + 1)]]]
    t = table([code_w, name_w, *[amount_w] * n], rows, f"t{key}.rows",
              ["{{ r.code }}", "{{ r.name }}", *[f"{{{{ r.v[{i}] }}}}" for i in range(n)]],
              {i + 2: NUM for i in range(n)})
    merge(t, 0, 0, 0, 1)
    merge(t, 2, 0, 2, 1)
    for i in range(n):
        if group and group[1] <= i < group[1] + 3:
            continue
        merge(t, 0, i + 2, 1, i + 2)
    if group:
        merge(t, 0, group[1] + 2, 0, group[1] + 4)
    return t


new_section(landscape=True)  # 02–04 are too wide for a portrait page
table_heading("02", new_page=False)
function_table("02", WIDE)
table_note("02", "t02.empty")
table_heading("03")
function_table("03", WIDE)
table_note("03", "t03.empty")

table_heading("04")
heading_rows = [["收入", None, None, "支出", None, None, None, None, None],
                ["项目", "行次", "金额", "项目", "行次", "合计", "一般公共预算财政拨款",
                 "政府性基金预算财政拨款", "国有资本经营预算财政拨款"],
                ["栏次", None, "1", "栏次", None, "2", "3", "4", "5"]]
t = table([Cm(5.6), Cm(1.1), Cm(2.7), Cm(5.8), Cm(1.1), Cm(2.7), Cm(2.6), Cm(2.5), Cm(2.6)],
          heading_rows, "t04",
          ["{{ r.ll }}", "{{ r.ln }}", "{{ r.lv }}", "{{ r.rl }}", "{{ r.rn }}",
           "{{ r.rv[0] }}", "{{ r.rv[1] }}", "{{ r.rv[2] }}", "{{ r.rv[3] }}"],
          {1: CENTER, 2: NUM, 4: CENTER, 5: NUM, 6: NUM, 7: NUM, 8: NUM})
merge(t, 0, 0, 0, 2)
merge(t, 0, 3, 0, 8)
table_note("04")
new_section(landscape=False)

table_heading("05", new_page=False)
function_table("05")
table_note("05", "t05.empty")

new_section(landscape=True)  # 06–08 likewise
table_heading("06", new_page=False)
# Code and amounts as wide as their longest figure; the names share the rest, each block's in
# proportion to the length four in five of its names keep within: those stay on one line.
fixed = [text_width(["30108"], 7.5), text_width(["30603667.43"], 7.5), text_width(["30603667.43"], 7.5)]
typical = [sorted(len(name) for _, name in block)[len(block) * 4 // 5] for block in layout.T06_BLOCKS]
names = WIDE - 4 * sum(fixed)
w = [[fixed[0], int(names * n / sum(typical)), fixed[1], fixed[2]] for n in typical]
t06_cells = [f"{{{{ r.c[{i}] }}}}" for i in range(16)]
for name, base in (("表格文字小", "表格文字"), ("表格数字小", "表格数字")):  # 16 columns on one page
    small = paragraph_style(name, base, "宋体", 7.5, align=doc.styles[base].paragraph_format.alignment)
    small.paragraph_format.line_spacing = Pt(10)
t = table([x for block in w for x in block], [["人员经费", None, None, None, "公用经费", *[None] * 11],
                  ["科目编码", "科目名称", "金额", "其中：基本支出"] * 4],
          "t06.rows", t06_cells, {i: "表格数字小" if i % 4 in (2, 3) else "表格文字小" for i in range(16)},
          footer_rows=[(["人员经费合计", None, "{{ t06.personnel[0] }}", "{{ t06.personnel[1] }}",
                         "公用经费合计", *[None] * 9, "{{ t06.public[0] }}", "{{ t06.public[1] }}"],
                        {2: NUM, 3: NUM, 14: NUM, 15: NUM})])
merge(t, 0, 0, 0, 3)
merge(t, 0, 4, 0, 15)
last = len(t.rows) - 1
merge(t, last, 0, last, 1)
merge(t, last, 4, last, 13)
table_note("06")

table_heading("07")
top = ["合计", "因公出国（境）费", "公务用车购置及运行维护费", None, None, "公务接待费"]
sub = [None, None, "小计", "公务用车购置费", "公务用车运行维护费", None]
t = table([int(WIDE / 12)] * 12,
          [["预算数", *[None] * 5, "决算数", *[None] * 5], top + top, sub + sub,
           [str(i) for i in range(1, 13)]],
          footer_rows=[([f"{{{{ t07[{i}] }}}}" for i in range(12)], {i: NUM for i in range(12)})])
merge(t, 0, 0, 0, 5)
merge(t, 0, 6, 0, 11)
for base in (0, 6):
    merge(t, 1, base + 2, 1, base + 4)
    for c in (0, 1, 5):
        merge(t, 1, base + c, 2, base + c)
table_note("07")

table_heading("08")
function_table("08", WIDE)
table_note("08", "t08.empty")
new_section(landscape=False)
table_heading("09", new_page=False)
function_table("09")
table_note("09", "t09.empty")

table_heading("10")
# As published: each part a row of its own, then (一、 and 二、) the column headers of its rows.
t10 = table([Cm(10), Cm(2), Cm(4.6)], [], footer_rows=[
    (["{%tr for r in t10 %}"], {}), (["{%tr if r.kind == 'part' %}"], {}),
    (["{{ r.label }}", None, None], {}), (["{%tr elif r.kind == 'head' %}"], {}),
    (["{{ r.label }}", "{{ r.line }}", "{{ r.value }}"], {0: "表头", 1: "表头", 2: "表头"}),
    (["{%tr else %}"], {}),
    (["{{ r.label }}", "{{ r.line }}", "{{ r.value }}"], {1: CENTER, 2: NUM}),
    (["{%tr endif %}"], {}), (["{%tr endfor %}"], {})])
merge(t10, 2, 0, 2, 2)
table_note("10")

# ---- 第三部分 ----
heading("第三部分 情况说明", 1)
SECTIONS = [
    ("一、收入支出决算总体情况说明", [(None, "s1")]),
    ("二、收入决算情况说明", [(None, "s2")]),
    ("三、支出决算情况说明", [(None, "s3")]),
    ("四、财政拨款收支决算总体情况说明", [(None, "s4")]),
    ("五、一般公共预算财政拨款支出决算情况说明", [
        ("（一）财政拨款支出决算总体情况", "s5_1"), ("（二）财政拨款支出决算结构情况", "s5_2"),
        ("（三）财政拨款支出决算具体情况", "s5_3")]),
    ("六、一般公共预算财政拨款支出决算情况说明", [(None, "s6")]),
    ("七、政府性基金预算财政拨款收支决算情况说明", [(None, "s7")]),
    ("八、国有资本经营预算财政拨款支出决算情况说明", [(None, "s8")]),
    ("九、财政拨款“三公”经费支出决算情况说明", [
        ("（一）“三公”经费财政拨款支出决算总体情况说明", "s9_1"),
        ("（二）“三公”经费财政拨款支出决算具体情况说明", "s9_2")]),
    ("十、其他重要事项情况说明", [
        ("（一）机关运行经费支出情况说明", "s10_1"), ("（二）政府采购情况说明", "s10_2"),
        ("（三）国有资产占用情况说明", "s10_3"), ("（四）预算绩效情况说明", None),
        ("（1）预算绩效管理工作开展情况", "s10_4_1"), ("（2）项目绩效自评结果", "s10_4_2"),
        ("（3）部门（单位）整体支出绩效自评结果", "s10_4_3"),
        ("（4）部门评价项目绩效评价结果", "s10_4_4"), ("（5）其他需要说明的事项", "s10_4_5")]),
]
for title, parts in SECTIONS:
    heading(title, 2)
    for sub_title, key in parts:
        if sub_title:  # （1）… under （四）: the fourth level
            para(sub_title, "Heading 4" if sub_title[1].isdigit() else "Heading 3")
        if key:
            loop(None, f"narrative.{key}")

# ---- 第四部分 ----
heading("第四部分 名词解释", 1)
TERMS = [
    "一、财政拨款收入：指单位从同级财政部门取得的财政预算资金。",
    "二、事业收入：指事业单位开展专业业务活动及辅助活动取得的收入。",
    "三、经营收入：指事业单位在专业业务活动及其辅助活动之外开展非独立核算经营活动取得的收入。",
    "四、其他收入：指单位取得的除上述收入以外的各项收入。主要是事业单位固定资产出租收入、存款利息收入等。",
    "五、使用非财政拨款结余：指事业单位使用以前年度积累的非财政拨款结余弥补当年收支差额的金额。",
    "六、年初结转和结余：指单位以前年度尚未完成、结转到本年仍按原规定用途继续使用的资金，或项目已完成等产生的结余资金。",
    "七、结余分配：指事业单位按照会计制度规定缴纳的所得税、提取的专用结余以及转入非财政拨款结余的金额等。",
    "八、年末结转和结余：指单位按有关规定结转到下年或以后年度继续使用的资金，或项目已完成等产生的结余资金。",
    "九、基本支出：指为保障机构正常运转、完成日常工作任务而发生的人员支出和公用支出。",
    "十、项目支出：指在基本支出之外为完成特定行政任务和事业发展目标所发生的支出。",
    "十一、“三公”经费：指各级部门、单位用财政拨款安排的因公出国（境）费、公务用车购置及运行费和公务接待费支出。其中，因公出国（境）费反映单位公务出国（境）的国际旅费、国外城市间交通费、住宿费、伙食费、培训费、公杂费等支出；公务用车购置费反映公务用车车辆购置支出（含车辆购置税）；公务用车运行维护费反映单位按规定保留的公务用车燃料费、维修费、过路过桥费、保险费、安全奖励费用等支出；公务接待费反映单位按规定开支的各类公务接待（含外宾接待）支出。",
    "十二、机关运行经费：指行政单位和参照公务员法管理的事业单位财政拨款基本支出中的公用经费支出。",
]
for term in TERMS:
    para(term)
loop(None, "extra_terms")

# ---- 第五部分 ----
heading("第五部分 附件", 1)
para("{%p if not projects %}", "Normal")
para("本年度无公开的项目支出绩效自评表。", "Normal")
para("{%p endif %}", "Normal")
para("{%p for p in projects %}", "Normal")
para("{%p if loop.first %}", "表信息")  # the part heading has just started a page
para("{{ p.annex }}", "表信息")
para("{%p else %}", "表信息")
para("{{ p.annex }}", "表信息").paragraph_format.page_break_before = True
para("{%p endif %}", "表信息")
para("{{ p.name }}项目支出绩效自评表", "表标题").paragraph_format.page_break_before = False
para("（{{ unit.year }}年度）", "表信息").alignment = WD_ALIGN_PARAGRAPH.CENTER
cols = [Cm(1.4), Cm(1.3), Cm(1.6), Cm(2.5), Cm(1.6), Cm(1.6), Cm(1.7), Cm(1.4), Cm(1.5), CONTENT - Cm(14.6)]
pt = table(cols, [
    ["项目名称", None, "{{ p.name }}"] + [None] * 7,
    ["主管部门及代码", None, "{{ p.supervisor }}", None, None, None, "预算单位", "{{ p.unit }}", None, None],
    ["项目资金预算安排及执行进度（万元）", None, None, "年初预算数", None, "全年预算数", "全年执行数",
     "资金结（转）余", "执行率", "得分"],
    [None, None, None, "目标申报数", "预算编制数", None, None, None, None, None],
], "p.funds", ["", "{{ r.source }}", "", "{{ r.declared }}", "{{ r.planned }}", "{{ r.budget }}",
               "{{ r.spent }}", "{{ r.balance }}", "{{ r.rate }}", "{{ r.score }}"],
    {i: NUM for i in range(3, 10)})
for r in range(4):  # the 附件's identity and fund rows: one block, kept with the goals below
    tr_pr = pt.rows[r]._tr.trPr
    for el in tr_pr.findall(qn("w:tblHeader")):
        tr_pr.remove(el)
keep_with_next(pt.rows[5])
merge(pt, 0, 0, 0, 1)
merge(pt, 0, 2, 0, 9)
merge(pt, 1, 0, 1, 1)
merge(pt, 1, 2, 1, 5)
merge(pt, 1, 7, 1, 9)
merge(pt, 2, 0, 3, 0)
merge(pt, 2, 1, 3, 2)
merge(pt, 2, 3, 2, 4)
for c in range(5, 10):
    merge(pt, 2, c, 3, c)
for r in (0, 1):
    for cell in (pt.cell(r, 2), pt.cell(r, 7)):
        for p in cell.paragraphs:
            p.style = doc.styles["表格文字"]
data = pt.rows[5]
merge(pt, 5, 1, 5, 2)
data.cells[1].paragraphs[0].style = doc.styles["表格文字"]
continue_merge(data.cells[0])  # the fund rows continue the label cell above

goals = table(cols, [["项目年度绩效目标", "年度目标", None, None, None, None, "实际完成情况", None, None, None]],
              footer_rows=[(["", "{{ p.target }}", None, None, None, None, "{{ p.achieved }}", None, None, None],
                            {})], long_text=True)
for r in (0, 1):
    merge(goals, r, 1, r, 5)
    merge(goals, r, 6, r, 9)
merge(goals, 0, 0, 1, 0)
goals.rows[0]._tr.trPr.remove(goals.rows[0]._tr.trPr.find(qn("w:tblHeader")))  # its label spans the text



def separate_tables():
    """Tables that touch are one table to Word and LibreOffice, and a table's header rows are its
    first rows only: a hairline paragraph keeps the next one a table of its own."""
    split = para("", "表格文字")
    split.paragraph_format.line_spacing = Pt(1)
    split.paragraph_format.keep_with_next = True


separate_tables()  # the indicators repeat their column headers on a continued page
ind = table(cols, [["绩效指标", *layout.INDICATOR_HEADERS]], "p.indicators",
            ["", "{% vmerge r.m1 %}{{ r.l1 }}", "{% vmerge r.m2 %}{{ r.l2 }}", "{{ r.l3 }}",
             "{{ r.initial }}", "{{ r.adjusted }}", "{{ r.actual }}", "{{ r.weight }}", "{{ r.score }}",
             "{{ r.deviation }}"], {7: NUM, 8: NUM},
            footer_rows=[(["总分", None, None, None, None, None, None, "{{ p.weight }}", "{{ p.total }}",
                           "{{ p.grade }}"], {7: NUM, 8: NUM, 9: CENTER})])
# 绩效指标 labels the whole indicator block. Its header cell stays out of the body's vertical
# merge, or no application could repeat the header row on a continued page; the label column
# below it is one merged cell, drawn without the line between them.
def no_border(cell, side):
    borders = cell._tc.get_or_add_tcPr().first_child_found_in("w:tcBorders")
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        cell._tc.get_or_add_tcPr().insert_element_before(borders, "w:shd", "w:noWrap", "w:tcMar",
                                                         "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark")
    line = OxmlElement(f"w:{side}")
    line.set(qn("w:val"), "nil")
    borders.append(line)


no_border(ind.rows[0].cells[0], "bottom")
no_border(ind.rows[2].cells[0], "top")
no_border(ind.rows[2].cells[0], "bottom")
merge(ind, len(ind.rows) - 1, 0, len(ind.rows) - 1, 6)

# The last analysis row is kept with the 备注 below it, which never start a page alone.
separate_tables()  # the indicators' header does not repeat over the analysis
ana = table(cols, [], "p.analysis[:-1]", ["{% vmerge r.m %}{{ r.part }}", "{{ r.label }}", None, "{{ r.text }}",
                                          None, None, None, None, None, None], long_text=True,
            footer_rows=[(["", "{{ p.analysis[-1].label }}", None, "{{ p.analysis[-1].text }}",
                           None, None, None, None, None, None], {})])
for r in (1, 3):
    merge(ana, r, 1, r, 2)
    merge(ana, r, 3, r, 9)
continue_merge(ana.rows[3].cells[0])
keep_with_next(ana.rows[3])
notes = paragraph_style("附件备注", "表注", "宋体", 9, align=WD_ALIGN_PARAGRAPH.LEFT)
notes.paragraph_format.line_spacing = Pt(12)
para("{%p for line in project_notes[:-1] %}", "附件备注")
para("{{ line }}", "附件备注").paragraph_format.keep_with_next = True
para("{%p endfor %}", "附件备注")
para("{{ project_notes[-1] }}", "附件备注")
para("{%p endfor %}", "Normal")

# ---- findings of a forced draft ----
para("{%p if draft %}", "Normal")
heading("附：审核发现的问题（草稿）", 1)
loop(None, "draft_findings")
para("{%p endif %}", "Normal")

# The default template's thumbnail shows some other document.
for rel_id, rel in list(doc.part.package.rels.items()):
    if rel.reltype.endswith("/thumbnail"):
        doc.part.package.rels.pop(rel_id)
# The default template's stylesWithEffects (Word 2010) would disagree with the styles added here.
for rel_id, rel in list(doc.part.rels.items()):
    if rel.reltype.endswith("/stylesWithEffects"):
        doc.part.drop_rel(rel_id)



def only_used_styles():
    """Drop the default template's styles that the report never uses (Light Shading Accent 1 …):
    a clerk restyling in Word sees the report's own styles. Kept: those the parts name, what
    they are based on, and the defaults Word falls back to."""
    styles = doc.styles.element
    by_id = {s.get(qn("w:styleId")): s for s in styles.findall(qn("w:style"))}
    parts = [doc.element, doc.sections[1].header._element, doc.sections[1].footer._element]
    wanted = {v for part in parts for tag in ("w:pStyle", "w:rStyle", "w:tblStyle")
              for v in (el.get(qn("w:val")) for el in part.iter(qn(tag)))}
    wanted |= {s.get(qn("w:styleId")) for s in by_id.values() if s.get(qn("w:default")) == "1"}
    pending = list(wanted)
    while pending:
        based = by_id[pending.pop()].find(qn("w:basedOn"))
        if based is not None and based.get(qn("w:val")) not in wanted:
            wanted.add(based.get(qn("w:val")))
            pending.append(based.get(qn("w:val")))
    for style_id, style in by_id.items():
        if style_id not in wanted:
            styles.remove(style)
            continue
        for tag in ("w:link", "w:next"):  # a link to a dropped style would dangle
            el = style.find(qn(tag))
            if el is not None and el.get(qn("w:val")) not in wanted:
                style.remove(el)


only_used_styles()
out = ROOT / "templates" / "report.docx"
doc.save(out)
print(out.relative_to(ROOT))
