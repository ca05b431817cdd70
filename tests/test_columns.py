"""A table's column widths come from the texts it holds (generator.columns, render.fit_columns):
no cell ends on a line of one character where the widths — or setting that cell a little closer —
can avoid it, the table keeps its width, and no figure is made to wrap. What the PDF shows is
checked in tests/test_pdf.py; here the width computation and the .docx it writes."""

from __future__ import annotations

import shutil
import zipfile

import pytest
from docx import Document
from docx.oxml.ns import qn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import columns, render
from generator.columns import Cell, Paragraph, closer, fit, refit

from conftest import JINCHENG, SHANXI, XINZHOU

NINE, SEVEN_HALF = 18, 15  # 9 pt and 7.5 pt, in half points (the tables' text sizes)
MARGINS = 124  # 57 twips each side and a border, as the Shanxi template's tables have


def cell(row: int, column: int, text: str, size: int = NINE, span: int = 1) -> Cell:
    return Cell(row, column, span, (Paragraph(((text, size),)),), MARGINS)


def ends_alone(table: list[Cell], widths: list[int], mended: bool = True) -> list[str]:
    """The cells ending on a line of one character, as printed: set closer where that mends them
    (as render.fit_columns does), unless not ``mended``."""
    found = []
    for c in table:
        width = sum(widths[c.column:c.column + c.span])
        if fit(c, width, spacing=closer(c, width) if mended else 0).lone:
            found.append("".join(p.text for p in c.paragraphs))
    return found


def figures_wrapped(table: list[Cell], widths: list[int]) -> list[str]:
    return ["".join(p.text for p in c.paragraphs) for c in table
            if fit(c, sum(widths[c.column:c.column + c.span])).wraps]


def test_the_header_that_wrapped_its_last_character_is_mended_from_the_figures_room():
    # 公开02表 of the 晋城 sample: 附属单位上缴收/入 in the template's 1463-twip column
    widths = [1133, 3758, 1463, 1463, 1463, 1463, 1463, 1463, 1463]
    heads = ["科目编码", "科目名称", "本年收入合计", "财政拨款收入", "上级补助收入", "事业收入", "经营收入",
             "附属单位上缴收入", "其他收入"]
    table = [cell(0, k, text) for k, text in enumerate(heads)]
    table += [cell(1, 0, "2080505"), cell(1, 1, "机关事业单位基本养老保险缴费支出")]
    table += [cell(1, k, "48,831,608.03") for k in range(2, 9)]
    assert ends_alone(table, widths, mended=False) == ["附属单位上缴收入"]
    fitted = refit(widths, table)
    assert sum(fitted) == sum(widths)
    assert ends_alone(table, fitted) == [] and figures_wrapped(table, fitted) == []


def test_a_table_whose_cells_end_well_keeps_its_widths():
    widths = [1200, 3000, 1500]
    table = [cell(0, 0, "合计"), cell(0, 1, "一般公共服务支出"), cell(0, 2, "1,234.56")]
    assert refit(widths, table) == widths


def test_a_cell_widths_cannot_mend_is_set_a_little_closer():
    债务 = cell(0, 0, "债务利息及费用支出", SEVEN_HALF)  # eight to a line at 1371 twips: 出 alone
    assert fit(债务, 1371).lone
    spacing = closer(债务, 1371)
    assert -SEVEN_HALF * 10 * columns.CLOSER // 100 <= spacing < 0
    assert not fit(债务, 1371, spacing=spacing).lone
    assert closer(cell(0, 0, "一般公共服务支出"), 3000) == 0  # nothing to mend: as it was


def test_punctuation_goes_with_its_character():
    # （万/元） is one character and its bracket alone: a break before 元 leaves 元） alone
    label = cell(0, 0, "项目资金预算安排及执行进度（万元）")
    room = 3 * 180 + MARGINS + 40  # three to a line: …度（万/元）
    assert fit(label, room).lone and fit(label, room).lines == 6
    # at six to a line the bracket's 万 stays with 度 on the last line
    assert not fit(label, 6 * 180 + MARGINS + 40).lone


CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
TEXTS = st.text(alphabet=st.one_of(CJK, st.sampled_from("（）、，：；。")), min_size=1, max_size=28)
FIGURES = st.builds(lambda n: f"{n:,}.00", st.integers(min_value=0, max_value=99_999_999))


@st.composite
def tables(draw, text_columns=st.integers(1, 3), figure_columns=st.integers(1, 3)):
    """A table of text columns then figure columns, rows of random texts, random widths."""
    texts, figures = draw(text_columns), draw(figure_columns)
    rows = draw(st.integers(1, 6))
    size = draw(st.sampled_from([SEVEN_HALF, NINE]))
    widths = [draw(st.integers(700, 3200)) for _ in range(texts)]
    widths += [draw(st.integers(1500, 2600)) for _ in range(figures)]  # room for any figure
    table = [cell(r, k, draw(TEXTS), size) for r in range(rows) for k in range(texts)]
    table += [cell(r, texts + k, draw(FIGURES), size) for r in range(rows) for k in range(figures)]
    return widths, table


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_the_width_is_kept_figures_never_wrap_and_the_same_table_fits_the_same(drawn):
    widths, table = drawn
    fitted = refit(widths, table)
    assert sum(fitted) == sum(widths) and len(fitted) == len(widths)
    assert all(width > 0 for width in fitted)
    wrapped = set(figures_wrapped(table, widths))
    assert set(figures_wrapped(table, fitted)) <= wrapped
    assert refit(widths, table) == fitted


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(text_columns=st.just(1), figure_columns=st.just(1)))
def test_no_cell_ends_alone_when_some_width_within_reach_avoids_it(drawn):
    # One text column and one of figures: every width the fitting may give the text column (whole
    # steps within its reach, the figures keeping their room) is tried; when one of them leaves no
    # cell ending on one character and no figure wrapped, the fitting finds such a width too.
    widths, table = drawn
    size = table[0].paragraphs[0].runs[0][1]
    step, total = size * 10 // columns.STEP_EMS, sum(widths)
    floor = MARGINS + size * 10
    candidates = [[widths[0] + k * step, total - widths[0] - k * step]
                  for k in range(-columns.REACH, columns.REACH + 1)
                  if min(widths[0] + k * step, total - widths[0] - k * step) >= floor]
    possible = any(not ends_alone(table, c, mended=False) and not figures_wrapped(table, c) for c in candidates)
    fitted = refit(widths, table)
    if possible:
        assert ends_alone(table, fitted) == [] and figures_wrapped(table, fitted) == []


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    from click.testing import CliRunner

    from generator.cli import main

    out = tmp_path_factory.mktemp("columns")
    built = {}
    for sample in (JINCHENG, XINZHOU):
        result = CliRunner().invoke(main, ["build", str(sample), "-o", str(out / sample.stem)])
        assert result.exit_code == 0, result.output
        [built[sample.stem]] = (out / sample.stem).glob("*.docx")
    return built


def _grid(table) -> list[int]:
    return [int(col.get(qn("w:w"))) for col in table._tbl.tblGrid.iter(qn("w:gridCol"))]


def _template_grids(template) -> list[list[int]]:
    return [_grid(table) for table in Document(str(template)).tables]


def test_each_table_keeps_its_templates_width_and_its_cells_their_columns(reports):
    designed = _template_grids(SHANXI.template)
    totals = {sum(grid) for grid in designed}
    for report in reports.values():
        for table in Document(str(report)).tables:
            grid = _grid(table)
            assert sum(grid) in totals
            if grid in designed:
                continue  # as designed (the template's own widths are rounded as Word saved them)
            for row in table._tbl.tr_lst:
                column = 0
                for tc in row.tc_lst:
                    width = tc.tcPr.find(qn("w:tcW"))
                    assert int(width.get(qn("w:w"))) == sum(grid[column:column + tc.grid_span])
                    column += tc.grid_span


def test_no_cell_of_the_samples_ends_on_one_character_as_measured(reports):
    from docx.oxml import parse_xml

    for report in reports.values():
        with zipfile.ZipFile(report) as archive:
            body, styles = archive.read("word/document.xml"), archive.read("word/styles.xml")
        sizes = render._StyleSizes(parse_xml(styles))
        root = render.re.search(rb"<w:document\b[^>]*>", body).group()
        alone = []
        for start, end in render._table_runs(body):
            for table in (t for t in parse_xml(root + body[start:end] + b"</w:document>") if t.tag == qn("w:tbl")):
                grid = [int(c.get(qn("w:w"))) for c in table.iter(qn("w:gridCol"))]
                for found, tc in render._cells(table, 0, sizes):
                    spacing = [int(e.get(qn("w:val"))) for e in tc.iter(qn("w:spacing"))
                               if e.getparent().tag == qn("w:rPr")]
                    width = sum(grid[found.column:found.column + found.span])
                    if fit(found, width, spacing=spacing[0] if spacing else 0).lone:
                        alone.append("".join(p.text for p in found.paragraphs))
        assert alone == [], report.name


def test_the_docx_is_valid_wordprocessingml(reports):
    from openxml_audit import OpenXmlValidator

    for report in reports.values():
        validation = OpenXmlValidator().validate(str(report))
        assert validation.is_valid, [str(e) for e in validation.errors[:5]]


def test_a_restyled_templates_widths_are_where_the_fitting_starts(tmp_path):
    # The clerk's IT person widens 公开02表's 科目名称 column in Word, taking it from the figures.
    copy = tmp_path / "restyled.docx"
    shutil.copy(SHANXI.template, copy)
    document = Document(str(copy))
    table = document.tables[1]
    original = _grid(table)
    restyled = [original[0], original[1] + 7 * 60] + [width - 60 for width in original[2:]]
    for col, width in zip(table._tbl.tblGrid.iter(qn("w:gridCol")), restyled):
        col.set(qn("w:w"), str(width))
    for row in table._tbl.tr_lst:
        column = 0
        for tc in row.tc_lst:
            tc.tcPr.find(qn("w:tcW")).set(qn("w:w"), str(sum(restyled[column:column + tc.grid_span])))
            column += tc.grid_span
    document.save(str(copy))

    from generator.audit import audit
    from generator.context import report_context
    from generator.reader import read_workbook

    wb = read_workbook(str(JINCHENG), SHANXI)
    result = audit(wb, SHANXI)
    built = tmp_path / "report.docx"
    render.write_docx(report_context(wb, result.figures, result.projects, None, SHANXI), built, copy, "报告")
    fitted = _grid(Document(str(built)).tables[1])
    assert sum(fitted) == sum(restyled)
    # the fitting moved the restyled widths where a cell needed it, and no further
    assert sum(abs(a - b) for a, b in zip(fitted, restyled)) < sum(abs(a - b) for a, b in zip(fitted, original))
    assert fitted[1] > original[1]  # the restyle's wider 科目名称 stays wider than the template's


def test_two_builds_write_the_same_widths(reports, tmp_path):
    from click.testing import CliRunner

    from generator.cli import main

    result = CliRunner().invoke(main, ["build", str(JINCHENG), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    [again] = tmp_path.glob("*.docx")
    with zipfile.ZipFile(again) as a, zipfile.ZipFile(reports["jincheng-2022"]) as b:
        assert a.read("word/document.xml") == b.read("word/document.xml")


def test_a_table_nested_in_a_cell_is_left_as_it_is():
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    inner = '<w:tbl><w:tblGrid><w:gridCol w:w="500"/></w:tblGrid><w:tr><w:tc><w:p><w:r><w:t>甲</w:t></w:r></w:p></w:tc></w:tr></w:tbl>'
    outer = ('<w:tbl><w:tblGrid><w:gridCol w:w="700"/><w:gridCol w:w="3000"/></w:tblGrid><w:tr>'
             '<w:tc><w:tcPr><w:tcW w:w="700" w:type="dxa"/></w:tcPr><w:p><w:r><w:t>附属单位上缴收入</w:t></w:r></w:p></w:tc>'
             f'<w:tc><w:tcPr><w:tcW w:w="3000" w:type="dxa"/></w:tcPr>{inner}<w:p/></w:tc></w:tr></w:tbl>')
    document = f'<w:document {w}><w:body>{outer}<w:sectPr/></w:body></w:document>'.encode()
    with zipfile.ZipFile(SHANXI.template) as archive:
        styles = archive.read("word/styles.xml")
    assert b"".join(render.fit_columns(document, styles)) == document
