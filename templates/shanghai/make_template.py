"""Make templates/shanghai/report.docx, the 上海市部门决算 template, from Shanxi's.

The styles, header, footer, page set-up, cover and 目录 are Shanxi's (so both formats restyle
alike); the body is the Shanghai report's: 第一部分 概况 with the 单位构成 table, the nine tables
in 万元 (portrait and landscape pages as the published reports have them), 第三部分 情况说明 in
eleven sections, 第四部分 名词解释. Run once from the repository root and commit its output; after
that the .docx is the template (restyle it in Word/WPS, keeping the {{ }}/{% %} tags).
"""

from copy import deepcopy
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm

HERE = Path(__file__).resolve().parent
doc = Document(str(HERE.parent / "shanxi" / "report.docx"))
body = doc.element.body
children = list(body.iterchildren())
sections = [el for el in children if el.tag == qn("w:p") and el.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None]
cover = children[:children.index(sections[0]) + 1]  # cover, 目录 and their section break
breaks = [deepcopy(el) for el in sections]  # [cover, body (header, footer, numbering), landscape, portrait, …]
PORTRAIT_BODY, LANDSCAPE, PORTRAIT = breaks[1], breaks[2], breaks[3]
for el in children:
    if el not in cover and el.tag != qn("w:sectPr"):
        body.remove(el)
final = body.find(qn("w:sectPr"))
for el in cover:  # the title: "{{ unit.year }}年度单位决算公开"
    for t in el.iter(qn("w:t")):
        t.text = t.text.replace("年度单位决算公开", "年度部门决算") if t.text else t.text
for part in doc.part.package.iter_parts():  # the running head of every body page
    if part.partname.startswith("/word/header"):
        for t in part.element.iter(qn("w:t")):
            t.text = t.text.replace("年单位决算公开报告", "年度部门决算") if t.text else t.text


def add(el):
    final.addprevious(el)
    return el


def para(text: str = "", style: str | None = None, align=None):
    p = doc.add_paragraph(text, style)
    if align is not None:
        p.alignment = align
    return add(p._p)


def loop(items: str, style: str | None = None):
    para(f"{{%p for line in {items} %}}", style)
    para("{{ line }}", style)
    para("{%p endfor %}", style)


def section_break(template):
    add(deepcopy(template))


def table(widths_cm, header, rows, number_columns=()):
    """A table: ``header`` rows of (text, span) cells; ``rows`` of plain cell texts (a loop tag
    row is one text). The body cells of ``number_columns`` are right-aligned figures."""
    columns = len(widths_cm)
    t = doc.add_table(rows=0, cols=columns)
    t.style = doc.styles["Table Grid"]
    t.alignment = 1
    for cells in header:
        row = t.add_row()
        at = 0
        for text, span in cells:
            cell = row.cells[at]
            if span > 1:
                cell = cell.merge(row.cells[at + span - 1])
            cell.paragraphs[0].text = text
            cell.paragraphs[0].style = doc.styles["表头"]
            at += span
        row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for cells in rows:
        row = t.add_row()
        if isinstance(cells, str):  # a {%tr %} tag: one cell across the row
            merged = row.cells[0].merge(row.cells[-1])
            merged.paragraphs[0].text = cells
            continue
        at = 0
        for text in cells:  # a text, or (text, span) for a cell across columns
            text, span = text if isinstance(text, tuple) else (text, 1)
            cell = row.cells[at] if span == 1 else row.cells[at].merge(row.cells[at + span - 1])
            cell.paragraphs[0].text = text
            cell.paragraphs[0].style = doc.styles["表格数字" if at in number_columns else "表格文字"]
            at += span
    for row in t.rows:
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        for i, cell in enumerate(row.cells):
            cell.width = Cm(widths_cm[i])
    for i, column in enumerate(t.columns):
        column.width = Cm(widths_cm[i])
    add(t._tbl)


def table_block(title: str, note: str, widths, header, rows, number_columns, empty_note: str = "",
                same_page: bool = False):
    heading = doc.paragraphs[0].__class__(para(title, "表标题"), None)
    if same_page:  # right under its part's heading, as the published reports print 01
        heading.paragraph_format.page_break_before = False
    para("单位：万元", "表信息", WD_ALIGN_PARAGRAPH.RIGHT)
    table(widths, header, rows, number_columns)
    para(note, "表注")
    if empty_note:
        para(f"{{%p if {empty_note} %}}", "表注")
        para(empty_note_text[empty_note], "表注")
        para("{%p endif %}", "表注")


empty_note_text = {
    "t08.empty": "说明：{{ unit.name }}本年度没有政府性基金预算财政拨款收入和支出，故本表无数据。",
    "t09.empty": "说明：{{ unit.name }}本年度没有国有资本经营预算财政拨款收入和支出，故本表无数据。",
}

# ---- 第一部分 概况
para("第一部分 {{ unit.name }}概况", "Heading 1")
para("一、主要职能", "Heading 2")
loop("overview.duties")
para("二、部门决算单位构成", "Heading 2")
loop("overview.organization")
table((2.0, 9.0, 5.0), [[("序号", 1), ("单位名称", 1), ("备注", 1)]],
      ['{%tr for u in lists["单位构成"] %}', ["{{ loop.index }}", "{{ u.name }}", "{{ u.note }}"],
       "{%tr endfor %}"])

# ---- 第二部分 the nine tables
para("第二部分 {{ unit.name }}{{ unit.year }}年度部门决算表", "Heading 1")
table_block("收入支出决算总表", "注：本表反映部门本年度的总收支和年末结转结余情况。", (5.6, 2.4, 5.6, 2.4),
            [[("收入", 2), ("支出", 2)], [("项目", 1), ("决算数", 1), ("项目", 1), ("决算数", 1)]],
            ["{%tr for r in t01 %}", ["{{ r.ll }}", "{{ r.lv }}", "{{ r.rl }}", "{{ r.rv }}"], "{%tr endfor %}"], (1, 3),
            same_page=True)
section_break(PORTRAIT_BODY)


def function_block(title, note, key, columns, widths, empty_note="", total_last=False, header=None):
    count = len(columns)
    rows = f"{key}.rows[1:]" if total_last else f"{key}.rows"
    body_rows = [f"{{%tr for r in {rows} %}}",
                 ["{{ r.code }}", "{{ r.name }}", *[f"{{{{ r.v[{i}] }}}}" for i in range(count)]], "{%tr endfor %}"]
    if total_last:
        body_rows.append([("合计", 2), *[f"{{{{ {key}.rows[0].v[{i}] }}}}" for i in range(count)]])
    header = header or [[("项目", 2), *((c, 1) for c in columns)],
                        [("功能分类科目编码", 1), ("科目名称", 1), *(("", 1) for _ in columns)]]
    table_block(title, note, widths, header, body_rows, tuple(range(2, 2 + count)), empty_note)


function_block("收入决算表", "注：本表反映部门本年度取得的各项收入情况。", "t02",
               ("本年收入合计", "财政拨款收入", "上级补助收入", "事业收入", "经营收入", "附属单位上缴收入", "其他收入"),
               (2.2, 6.2, 2.6, 2.6, 2.3, 2.0, 2.0, 2.3, 2.0))
function_block("支出决算表", "注：本表反映部门本年度各项支出情况。", "t03",
               ("本年支出合计", "基本支出", "项目支出", "上缴上级支出", "经营支出", "对附属单位补助支出"),
               (2.2, 6.6, 2.8, 2.6, 2.6, 2.4, 2.2, 2.6))
table_block("财政拨款收入支出决算总表", "注：本表反映部门本年度财政拨款总收支和结转结余情况。",
            (5.2, 2.4, 5.6, 2.4, 2.6, 2.6, 2.6),
            [[("收入", 2), ("支出", 5)],
             [("项目", 1), ("决算数", 1), ("项目", 1), ("合计", 1), ("一般公共预算财政拨款", 1),
              ("政府性基金预算财政拨款", 1), ("国有资本经营预算财政拨款", 1)]],
            ["{%tr for r in t04 %}",
             ["{{ r.ll }}", "{{ r.lv }}", "{{ r.rl }}", "{{ r.rv[0] }}", "{{ r.rv[1] }}", "{{ r.rv[2] }}", "{{ r.rv[3] }}"],
             "{%tr endfor %}"], (1, 3, 4, 5, 6))
section_break(LANDSCAPE)
function_block("一般公共预算财政拨款支出决算表", "注：本表反映部门本年度一般公共预算财政拨款支出情况。", "t05",
               ("合计", "基本支出", "项目支出"), (2.0, 6.6, 2.5, 2.5, 2.5), total_last=True)
table_block("一般公共预算财政拨款基本支出决算表", "注：本表反映部门本年度一般公共预算财政拨款基本支出明细情况。",
            (1.6, 4.5, 2.1, 1.6, 4.5, 2.1),
            [[("经济分类科目编码", 1), ("科目名称", 1), ("决算数", 1), ("经济分类科目编码", 1), ("科目名称", 1), ("决算数", 1)]],
            ["{%tr for r in t06.rows %}", [f"{{{{ r.c[{i}] }}}}" for i in range(6)], "{%tr endfor %}",
             [("人员经费合计", 2), "{{ t06.personnel[0] }}", ("公用经费合计", 2), "{{ t06.public[0] }}"]], (2, 5))
section_break(PORTRAIT)
three = [("预算数", 1), ("决算数", 1)] * 6
table_block("财政拨款“三公”经费支出决算表", "注：本表反映部门本年度“三公”经费支出预决算情况。", (2.0,) * 12,
            [[("财政拨款“三公”经费", 12)],
             [("合计", 2), ("因公出国（境）费", 2), ("公务用车购置及运行维护费", 6), ("公务接待费", 2)],
             [("", 2), ("", 2), ("小计", 2), ("公务用车购置费", 2), ("公务用车运行维护费", 2), ("", 2)], three],
            [[f"{{{{ t07[{i % 2 * 6 + i // 2}] }}}}" for i in range(12)]], tuple(range(12)))
fund = ("年初结转和结余", "本年收入", "本年支出", "", "", "年末结转和结余")
fund_header = [[("项目", 2), ("年初结转和结余", 1), ("本年收入", 1), ("本年支出", 3), ("年末结转和结余", 1)],
               [("功能分类科目编码", 1), ("科目名称", 1), ("", 1), ("", 1), ("合计", 1), ("基本支出", 1), ("项目支出", 1),
                ("", 1)]]
function_block("政府性基金预算财政拨款收入支出决算表", "注：本表反映部门本年度政府性基金预算财政拨款收入支出及结转和结余情况。",
               "t08", fund, (2.2, 6.4, 2.6, 2.6, 2.6, 2.6, 2.6, 2.6), "t08.empty", header=fund_header)
function_block("国有资本经营预算财政拨款收入支出决算表", "注：本表反映部门本年度国有资本经营预算财政拨款收入支出及结转和结余情况。",
               "t09", fund, (2.2, 6.4, 2.6, 2.6, 2.6, 2.6, 2.6, 2.6), "t09.empty", header=fund_header)
section_break(LANDSCAPE)

# ---- 第三部分 情况说明
para("第三部分 {{ unit.name }}{{ unit.year }}年度部门决算情况说明", "Heading 1")
for title, parts in (
    ("一、收入支出决算总体情况说明", "s1"), ("二、收入决算情况说明", "s2"), ("三、支出决算情况说明", "s3"),
    ("四、财政拨款收入支出决算总体情况说明", "s4"),
    ("五、一般公共预算财政拨款支出决算情况说明", (
        ("（一）一般公共预算财政拨款支出决算总体情况", "s5_1"), ("（二）一般公共预算财政拨款支出决算结构情况", "s5_2"),
        ("（三）一般公共预算财政拨款支出决算具体情况", "s5_3"))),
    ("六、一般公共预算财政拨款基本支出决算情况说明", "s6"),
    ("七、财政拨款“三公”经费支出决算情况说明", (
        ("（一）“三公”经费财政拨款支出决算总体情况说明。", "s7_1"), ("（二）“三公”经费财政拨款支出决算具体情况说明。", "s7_2"))),
    ("八、政府性基金预算财政拨款收入支出决算情况说明", "s8"),
    ("九、国有资本经营预算财政拨款收入支出决算情况说明", "s9"),
    ("十、预算绩效管理情况", "s10"),
    ("十一、其他重要事项的情况说明", (
        ("（一）机关运行经费支出情况", "s11_1"), ("（二）政府采购支出情况", "s11_2"), ("（三）国有资产占有使用情况说明", "s11_3"))),
):
    para(title, "Heading 2")
    if isinstance(parts, str):
        loop(f"narrative.{parts}")
        continue
    for sub, key in parts:
        para(sub, "Heading 3")
        loop(f"narrative.{key}")

# ---- 第四部分 名词解释
para("第四部分 名词解释", "Heading 1")
for term in (
    "一、财政拨款收入：指单位本年度从本级财政部门取得的财政拨款，包括一般公共预算财政拨款、政府性基金预算财政拨款和国有资本经营预算财政拨款。",
    "二、事业收入：指事业单位开展专业业务活动及其辅助活动取得的收入。",
    "三、经营收入：指事业单位在专业业务活动及其辅助活动之外开展非独立核算经营活动取得的收入。",
    "四、其他收入：指单位取得的除“财政拨款收入”、“事业收入”、“经营收入”等以外的收入。",
    "五、年初结转和结余：指以前年度尚未完成、结转到本年按有关规定继续使用的资金。",
    "六、年末结转和结余：指本年度或以前年度预算安排、因客观条件发生变化无法按原计划实施，需延迟到以后年度按有关规定继续使用的资金。",
    "七、基本支出：指单位为保障机构正常运转、完成日常工作任务而发生的各项支出。",
    "八、项目支出：指单位为完成特定的行政工作任务或事业发展目标，在基本支出之外发生的各项支出。",
    "九、经营支出：指事业单位在专业活动及辅助活动之外开展非独立核算经营活动发生的支出。",
    "十、“三公”经费：指单位使用本级财政拨款安排的因公出国（境）费、公务用车购置及运行维护费和公务接待费。其中:因公出国（境）费反映单位参加国际合作交流、重大项目洽谈、境外培训研修等的国际旅费、国外城市间交通费、住宿费、伙食费、培训费、公杂费等支出；公务接待费反映全国性专业会议、国家重大政策调研、专项检查以及外事团组接待交流等执行公务或开展业务所需住宿费、交通费、伙食费等支出；公务用车购置及运行维护费反映编制内公务车辆的报废更新，以及用于安排市内因公出差、公务文件交换、日常工作开展等所需公务用车燃料费、维修费、过路过桥费、保险费等支出。",
    "十一、机关运行经费：指行政单位和参照公务员法管理的事业单位使用一般公共预算财政拨款安排的基本支出中的日常公用经费支出。",
):
    para(term)
loop("extra_terms")

# ---- the audit's findings, printed only on a draft
para("{%p if draft %}")
para("附：审核发现的问题（草稿）", "Heading 1")
loop("draft_findings")
para("{%p endif %}")

doc.save(str(HERE / "report.docx"))
