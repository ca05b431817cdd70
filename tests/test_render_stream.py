"""The report body is rendered, parsed and written piece by piece (so that a 1,000-project
report never sits whole in memory): it must come out exactly as docxtpl renders it whole."""

import re
import zipfile

import pytest

from generator import render
from generator.audit import audit
from generator.reader import read_workbook

from conftest import JINCHENG


@pytest.fixture(scope="module")
def context():
    wb = read_workbook(str(JINCHENG))
    result = audit(wb)
    return render.report_context(wb, result.figures, result.projects)


def _document_xml(context, path) -> bytes:
    render.write_docx(context, path)
    with zipfile.ZipFile(path) as archive:
        return archive.read("word/document.xml")


@pytest.mark.parametrize("typed, shown", [
    ("第一行\n第二行\t制表符", "第二行"),  # docxtpl turns these into <w:br/> and <w:tab/>
    ("{_{ 不是模板 }_}", "{{ 不是模板 }}"),  # docxtpl's escaped braces
    ('<w:p xmlns:w="x">照抄的标记</w:p>', "&lt;w:p"),  # a namespace declaration stops the streaming
])
def test_streamed_body_is_the_whole_body_rendered(context, typed, shown, tmp_path, monkeypatch):
    context = {**context, "overview": {**context["overview"],
                                       "duties": [typed, *context["overview"]["duties"]]}}
    monkeypatch.setattr(render._Template, "_BATCH", 1)  # a cut wherever Jinja's output allows one
    streamed = _document_xml(context, tmp_path / "streamed.docx")
    # A {%tc %} column loop makes the body render whole, through docxtpl's own path.
    monkeypatch.setattr(render._Template, "_COLUMN_LOOP", re.compile(""))
    whole = _document_xml(context, tmp_path / "whole.docx")
    assert streamed == whole
    assert shown.encode() in streamed
