"""The PDF reads like the published report: 目录 page numbers, landscape tables, header and
footer, no text lost. Needs LibreOffice (``.ci/run`` installs it)."""

import re
from collections import Counter

import pytest
from docx import Document
from pypdf import PdfReader

from conftest import JINCHENG, XINZHOU
from generator.cli import main
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
    return Document(str(docx)), reader, [p.extract_text() for p in reader.pages]


def _numbered_pages(pages):
    return [(i, int(FOOTER.search(text.strip()).group(1))) for i, text in enumerate(pages)
            if FOOTER.search(text.strip())]


def test_toc_page_numbers_match_the_pages(built):
    doc, _, pages = built
    entries = [p.text.split("\t") for p in doc.paragraphs
               if p.style.name in ("toc 1", "toc 2") and "\t" in p.text]
    assert len(entries) == 27  # five parts, 2 + 10 sections and the ten tables
    numbered = _numbered_pages(pages)
    position = 0
    for title, page in entries:
        assert page.isdigit(), (title, page)
        index = next(k for k in range(position, len(numbered)) if letters(title) in letters(pages[numbered[k][0]]))
        assert numbered[index][1] == int(page), title
        position = index


def test_wide_tables_are_on_landscape_pages(built):
    _, reader, pages = built
    for key, landscape in (("公开06表", True), ("公开04表", True), ("公开02表", True), ("公开05表", False)):
        i = next(i for i, text in enumerate(pages) if key in squeeze(text))
        box = reader.pages[i].mediabox
        assert (box.width > box.height) == landscape, key


def test_header_and_footer_on_every_body_page(built):
    doc, _, pages = built
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
    doc, _, pages = built
    in_tables = Counter()
    for table in doc.tables:
        # Merged cells appear once per row they span: count each cell element once.
        cells = {id(c._tc): c for row in table.rows for c in row.cells}
        for cell in cells.values():
            in_tables.update(squeeze(cell.text))
    in_pdf = Counter(squeeze("".join(pages)))
    missing = {ch: n - in_pdf[ch] for ch, n in in_tables.items() if in_pdf[ch] < n}
    assert not missing
