"""The PDF reads like the published report: 目录 page numbers, landscape tables, header and
footer, no text lost. Needs LibreOffice (``.ci/run`` installs it)."""

import functools
import re
import shutil
import struct
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from conftest import JINCHENG, XINZHOU
from generator.cli import main
from generator.catalog import load_format

PROJECT_NOTES = load_format().sheets.projects.notes
from generator.pdf import find_soffice

pytestmark = pytest.mark.skipif(find_soffice() is None, reason="LibreOffice is not installed: no PDF to check")
FOOTER = re.compile(r"-\s*(\d+)\s*-\s*$")


def squeeze(text):
    return re.sub(r"\s+", "", text)


def letters(text):
    """Letters and digits only: extraction varies on quotes and brackets."""
    return re.sub(r"[\W_]+", "", text)


@pytest.fixture(scope="module", params=[JINCHENG, XINZHOU], ids=["jincheng", "xinzhou"])
def built(request, tmp_path_factory):
    from click.testing import CliRunner

    out = tmp_path_factory.mktemp("pdf")
    result = CliRunner().invoke(main, ["build", str(request.param), "-o", str(out), "--pdf"])
    assert result.exit_code == 0, result.output
    [docx] = out.glob("*.docx")
    [pdf] = out.glob("*.pdf")
    reader = PdfReader(str(pdf))
    from openxml_audit import OpenXmlValidator

    validation = OpenXmlValidator().validate(str(docx))  # the 目录 now holds entries and numbers
    assert validation.is_valid, [str(e) for e in validation.errors[:5]]
    return Document(str(docx)), reader, [p.extract_text() for p in reader.pages], pdf


def _numbered_pages(pages):
    return [(i, int(FOOTER.search(text.strip()).group(1))) for i, text in enumerate(pages)
            if FOOTER.search(text.strip())]


def test_toc_page_numbers_match_the_pages(built):
    doc, _, pages, _ = built
    entries = [p.text.split("\t") for p in doc.paragraphs
               if p.style.name in ("toc 1", "toc 2") and "\t" in p.text]
    assert len(entries) == 27  # five parts, 2 + 10 sections and the ten tables
    # The tables are listed 一、… 十、 as in the published 目录; their pages print the bare title.
    tables = [title for title, _ in entries[3:14] if not title.startswith("第")]
    assert [t.split("、", 1)[0] for t in tables] == ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]
    assert tables[0] == "一、收入支出决算总表" and tables[9] == "十、部门决算公开相关信息统计表"
    numbered = _numbered_pages(pages)
    position = 0
    for title, page in entries:
        assert page.isdigit(), (title, page)
        printed = title.split("、", 1)[1] if title in tables else title
        index = next(k for k in range(position, len(numbered)) if letters(printed) in letters(pages[numbered[k][0]]))
        assert numbered[index][1] == int(page), title
        position = index


def test_wide_tables_are_on_landscape_pages(built):
    _, reader, pages, _ = built
    for key, landscape in (("公开06表", True), ("公开04表", True), ("公开02表", True), ("公开05表", False)):
        i = next(i for i, text in enumerate(pages) if key in squeeze(text))
        box = reader.pages[i].mediabox
        assert (box.width > box.height) == landscape, key


def test_header_and_footer_on_every_body_page(built):
    doc, _, pages, _ = built
    numbered = _numbered_pages(pages)
    first = numbered[0][0]
    assert first >= 2  # cover and 目录 carry neither
    assert [n for _, n in numbered] == list(range(1, len(pages) - first + 1))
    header = doc.sections[1].header.paragraphs[0].text
    assert header.endswith("年单位决算公开报告")
    for i, _ in numbered:
        assert squeeze(header) in squeeze(pages[i])
    assert not any(squeeze(header) in squeeze(pages[i]) for i in range(first))


def test_no_table_text_is_lost(built):
    doc, _, pages, _ = built
    in_tables = Counter()
    for table in doc.tables:
        # Merged cells appear once per row they span: count each cell element once.
        cells = {id(c._tc): c for row in table.rows for c in row.cells}
        for cell in cells.values():
            in_tables.update(squeeze(cell.text))
    in_pdf = Counter(squeeze("".join(pages)))
    missing = {ch: n - in_pdf[ch] for ch, n in in_tables.items() if in_pdf[ch] < n}
    assert not missing


def _face(family, style):
    """(file, index in a collection) of an installed font, or None."""
    out = subprocess.run(["fc-list", "-f", "%{file}|%{index}|%{style}\\n", family],
                         capture_output=True, text=True).stdout
    return next(((f, int(i)) for f, i, s in (line.split("|", 2) for line in out.splitlines())
                 if style in s.split(",")), None)


@functools.lru_cache(maxsize=None)
def _glyph_ids(path, index, chars):
    """Each character's glyph id in the font's Unicode cmap (format 12)."""
    data = Path(path).read_bytes()
    offset = struct.unpack_from(">I", data, 12 + 4 * index)[0] if data[:4] == b"ttcf" else 0
    tables = {data[offset + 12 + 16 * i:offset + 16 + 16 * i]: struct.unpack_from(">I", data, offset + 20 + 16 * i)[0]
              for i in range(struct.unpack_from(">H", data, offset + 4)[0])}
    cmap = tables[b"cmap"]
    for i in range(struct.unpack_from(">H", data, cmap + 2)[0]):
        table = cmap + struct.unpack_from(">I", data, cmap + 8 + 8 * i)[0]
        if struct.unpack_from(">H", data, table)[0] == 12:
            groups = [struct.unpack_from(">III", data, table + 16 + 12 * g)
                      for g in range(struct.unpack_from(">I", data, table + 12)[0])]
            return {c: gid + ord(c) - start for c in chars for start, end, gid in groups if start <= ord(c) <= end}
    return {}


def _drawn_glyphs(reader, chars):
    """(font, character) → the ids of the glyphs the PDF draws for it, read from each embedded
    Noto CJK subset (LibreOffice names its glyphs by id) and its ToUnicode map."""
    drawn = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            name = str(font["/BaseFont"])
            if "CJK" not in name or "/ToUnicode" not in font:
                continue
            unicode_map = font["/ToUnicode"].get_object().get_data().decode("latin-1")
            codes = {chr(int(u, 16)): int(c, 16)
                     for c, u in re.findall(r"<([0-9A-F]{2})>\s*<([0-9A-F]{4})>", unicode_map)}
            program = font["/FontDescriptor"]["/FontFile"].get_object().get_data().decode("latin-1")
            ids = {int(code): int(cid) for code, cid in re.findall(r"dup (\d+) /cid(\d+) put", program)}
            face = ("Noto Sans CJK SC" if "Sans" in name else "Noto Serif CJK SC", "Bold" if "Bold" in name else "Regular")
            for ch in chars:
                if codes.get(ch) in ids:
                    drawn.setdefault((face, ch), set()).add(ids[codes[ch]])
    return drawn


def test_chinese_is_drawn_in_simplified_forms(built):
    # 所, ： and ； have their own Simplified and Japanese glyphs in the Noto CJK collections;
    # LibreOffice calls every subset "…CJKjp…", so only the glyph ids tell which were drawn.
    _, reader, _, _ = built
    chars = "所：；"
    drawn = _drawn_glyphs(reader, chars)
    assert {ch for _, ch in drawn} == set(chars)
    for (face, ch), ids in drawn.items():
        found = _face(*face)
        if found is None:
            pytest.skip(f"{face[0]} {face[1]} is not installed")
        japanese = _glyph_ids(*_face(face[0].replace("SC", "JP"), face[1]), ch)
        simplified = _glyph_ids(*found, ch)
        assert simplified[ch] != japanese[ch]
        assert ids == {simplified[ch]}, (face, ch)


def _fonts_of(reader, pages, text):
    """The embedded fonts (without their subset tag) that draw ``text`` on the body pages."""
    found = set()

    def visit(chunk, cm, tm, font, size):
        if font is not None and letters(text) in letters(chunk):
            found.add(str(font["/BaseFont"]).split("+", 1)[-1])

    for index, _ in _numbered_pages(pages):
        reader.pages[index].extract_text(visitor_text=visit)
    return found


def test_heading_levels_are_set_in_different_faces(built):
    # 一、 in 黑体, （一） in 楷体 (GB/T 9704): different fonts in the PDF too.
    _, reader, pages, _ = built
    level2 = _fonts_of(reader, pages, "五、一般公共预算财政拨款支出决算情况说明")
    level3 = _fonts_of(reader, pages, "（一）财政拨款支出决算总体情况")
    body = _fonts_of(reader, pages, "财政拨款决算支出")
    assert level2 and level3 and body
    assert not level2 & level3 and not level2 & body and not level3 & body


def _lines(pdf, page):
    """(text, xMin, yMin, xMax, yMax) of each text line of a page, and the page width."""
    out = subprocess.run(["pdftotext", "-bbox-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    width = float(re.search(r'<page width="([\d.]+)"', out).group(1))
    lines = []
    for attrs, body in re.findall(r"<line ([^>]*)>(.*?)</line>", out, re.DOTALL):
        box = dict(re.findall(r'(\w+)="([\d.]+)"', attrs))
        text = "".join(re.findall(r">([^<]*)</word>", body))
        lines.append((text, *(float(box[k]) for k in ("xMin", "yMin", "xMax", "yMax"))))
    return lines, width


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler's pdftotext is not installed")
def test_header_is_small_and_centred_and_the_page_number_centred(built):
    doc, _, pages, pdf = built
    header = squeeze(doc.sections[1].header.paragraphs[0].text)
    for index, number in _numbered_pages(pages):
        lines, width = _lines(pdf, index + 1)
        top = next(line for line in lines if squeeze(line[0]) == header)
        foot = next(line for line in lines if squeeze(line[0]) == f"-{number}-")
        for text, x0, _, x1, _ in (top, foot):
            assert abs((x0 + x1) / 2 - width / 2) < 2, (index + 1, text)  # within 0.7 mm of the centre
        rest = [line for line in lines if line not in (top, foot)]
        assert all(line[2] > top[4] + 6 for line in rest), index + 1  # space under the header
        if number == 1:  # a page of body text: the header is smaller
            heights = Counter(round(line[4] - line[2]) for line in rest)
            assert top[4] - top[2] < 0.8 * heights.most_common(1)[0][0]


def test_no_body_page_holds_only_the_annex_notes(built):
    doc, _, pages, _ = built
    header = squeeze(doc.sections[1].header.paragraphs[0].text)
    notes = letters("".join(PROJECT_NOTES))
    for index, number in _numbered_pages(pages):
        content = letters(squeeze(pages[index]).replace(header, "", 1)[:-len(f"-{number}-")])
        assert content and content not in notes, index + 1


def _header_rows_head_rows(pdf, pages):
    annex = next(i for i, _ in _numbered_pages(pages) if "第五部分附件" in squeeze(pages[i]))
    for index, number in _numbered_pages(pages):
        if index >= annex and "总分" in squeeze(pages[index]):  # a continued indicator table repeats its header
            assert "三级指标" in squeeze(pages[index]), index + 1
        if "三级指标" not in squeeze(pages[index]):
            continue
        lines, _ = _lines(pdf, index + 1)
        for head in (line for line in lines if line[0] == "三级指标"):
            below = [line for line in lines if line[2] > head[4] + 30 and squeeze(line[0]) != f"-{number}-"]
            assert below, index + 1  # the header row heads at least one indicator on its page


def _no_lone_tails(pdf, pages):
    """A page that begins with table rows or notes (no title above them) holds at least a fifth
    of a page: a table's last rows and its 注 are not left alone on a page."""
    for index, number in _numbered_pages(pages):
        lines, _ = _lines(pdf, index + 1)
        lines.sort(key=lambda line: line[2])
        foot = next(line for line in lines if squeeze(line[0]) == f"-{number}-")
        content = [line for line in lines[1:] if line is not foot]  # below the header
        body = foot[2] - lines[0][4]
        first = content[0]
        titled = first[4] - first[2] >= 12  # a heading or a table's title, not 9 pt rows or 10.5 pt notes
        used = max(line[4] for line in content) - first[2]
        assert titled or used >= body / 5, (index + 1, first[0])


def _words(pdf):
    """(page, [(word, xMin, yMin, xMax, yMax), …]) of each page of ``pdf``."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for number, page in enumerate(re.findall(r"<page [^>]*>(.*?)</page>", out, re.DOTALL), 1):
        yield number, [(word, *(float(v) for v in box)) for *box, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page)]


def _set_smaller(doc) -> set[str]:
    """The texts of the cells of tables whose text the layout set smaller to fit a page (their
    runs carry a size below their style's; the templates' table runs carry none)."""
    def style_size(style):
        while style is not None and style.font.size is None:
            style = style.base_style
        return style.font.size if style is not None else None

    found = set()
    for table in doc.tables:
        paragraphs = [p for row in table.rows for c in row.cells for p in c.paragraphs]
        if any(r.font.size is not None and style_size(p.style) and r.font.size < style_size(p.style)
               for p in paragraphs for r in p.runs):
            found |= {squeeze(p.text) for p in paragraphs}
    return found


def _single_characters(pdf, doc, but=frozenset()):
    """(page, line above / line) of each table cell of ``doc`` whose last line in ``pdf`` holds one
    character, or one and punctuation: a word alone on its line, under a line of the same cell,
    the two ending a paragraph of a table cell (other than those in ``but``)."""
    texts = {squeeze(p.text) for table in doc.tables for row in table.rows for c in row.cells
             for p in c.paragraphs} - {""}
    ends = [t for t in texts if t not in but]
    found = []
    for number, words in _words(pdf):
        for word, x0, y0, x1, _ in words:
            if len(re.sub(r"[\W_]", "", word)) != 1 or word in texts:
                continue
            if any(abs(b0 - y0) < 1 and (0 <= a0 - x1 < 12 or 0 <= x0 - a1 < 12) for _, a0, b0, a1, _ in words):
                continue  # a word among others on its line
            above = [m for m, a0, _, a1, b1 in words if abs(b1 - y0) < 3 and a0 < x1 and x0 < a1]
            if any(t.endswith(m + word) for m in above for t in ends):
                found.append((number, f"{above[0]}/{word}"))
    return found


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler's pdftotext is not installed")
def test_the_check_for_single_characters_finds_them(tmp_path, monkeypatch):
    # The 晋城 sample as the template's fixed widths printed it: 附属单位上缴收/入 and others
    from click.testing import CliRunner

    from generator import render

    monkeypatch.setattr(render, "fit_columns", lambda document, styles: [document])
    result = CliRunner().invoke(main, ["build", str(JINCHENG), "-o", str(tmp_path), "--pdf"])
    assert result.exit_code == 0, result.output
    [docx], [pdf] = tmp_path.glob("*.docx"), tmp_path.glob("*.pdf")
    found = _single_characters(pdf, Document(str(docx)))
    assert (12, "附属单位上缴收/入") in found and len(found) > 20


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler's pdftotext is not installed")
def test_no_table_cell_ends_on_a_line_of_one_character(built):
    doc, _, _, pdf = built
    # Where the layout set a table's text smaller to keep it on its page, its cells wrap anew
    # after their widths were fitted (see NOTICES: the layout's part).
    assert _single_characters(pdf, doc, but=_set_smaller(doc)) == []


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler's pdftotext is not installed")
def test_no_page_ends_on_an_annex_column_header_row(built):
    _, _, pages, pdf = built
    _header_rows_head_rows(pdf, pages)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler's pdftotext is not installed")
def test_no_page_holds_only_the_tail_of_a_table(built):
    _, _, pages, pdf = built
    _no_lone_tails(pdf, pages)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler's pdftotext is not installed")
def test_many_projects_with_long_texts_are_laid_out_as_well(tmp_path):
    # 25 自评表 whose analysis texts are one to three times as long as the sample's, so that
    # their tables end at every height of a page.
    import copy
    import json

    from click.testing import CliRunner

    from generator.template_workbook import write_workbook

    source = json.loads((XINZHOU.parent / "source" / "xinzhou-2022.json").read_text(encoding="utf-8"))
    projects = []
    for i in range(25):
        project = copy.deepcopy(source["projects"][i % len(source["projects"])])
        project["项目名称"] = f"{project['项目名称']}（{i + 1}）"
        project["analysis"] = {k: v * (1 + i % 3) if v else v for k, v in project["analysis"].items()}
        projects.append(project)
    source["projects"] = projects
    workbook = tmp_path / "25个项目.xlsx"
    write_workbook(source, str(workbook), load_format())
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(workbook), "-o", str(out), "--pdf", "--force"])
    assert result.exit_code == 0, result.output
    [pdf] = out.glob("*.pdf")
    pages = [page.extract_text() for page in PdfReader(str(pdf)).pages]
    assert len(pages) > 60
    _no_lone_tails(pdf, pages)
    _header_rows_head_rows(pdf, pages)
    [docx] = out.glob("*.docx")
    doc = Document(str(docx))
    assert _single_characters(pdf, doc, but=_set_smaller(doc)) == []


@pytest.mark.parametrize("workbook", [JINCHENG, XINZHOU], ids=["jincheng", "xinzhou"])
def test_the_docx_as_written_lays_out_as_the_pdf(tmp_path, workbook):
    """The .docx carries the fits LibreOffice made (page breaks, smaller text, closer spacing):
    laid out anew from the file, by a LibreOffice that never saw the report, it has the PDF's
    pages, each with the PDF's text."""
    from click.testing import CliRunner

    from generator.pdf import convert, page_texts

    result = CliRunner().invoke(main, ["build", str(workbook), "-o", str(tmp_path / "out"), "--pdf"])
    assert result.exit_code == 0, result.output
    [docx] = (tmp_path / "out").glob("*.docx")
    pages = page_texts(docx.with_suffix(".pdf"))
    again = page_texts(convert(find_soffice(), docx, tmp_path / "again.pdf"))
    assert len(again) == len(pages)
    assert [squeeze(text) for text in again] == [squeeze(text) for text in pages]
