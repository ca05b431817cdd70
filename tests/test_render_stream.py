"""The report body is rendered, parsed and written piece by piece (so that a 1,000-project
report never sits whole in memory): it must come out exactly as docxtpl renders it whole."""

import importlib.util
import re
import subprocess
import sys
import zipfile

import pytest

from generator import context as content, render
from generator.audit import audit
from generator.catalog import load_format
from generator.reader import read_workbook
from generator.template_workbook import write_workbook

from conftest import JINCHENG, ROOT, SHANXI


@pytest.fixture(scope="module")
def context():
    wb = read_workbook(str(JINCHENG), SHANXI)
    result = audit(wb, SHANXI)
    return content.report_context(wb, result.figures, result.projects, None, SHANXI)


def _document_xml(context, path) -> bytes:
    render.write_docx(context, path, load_format().template, "报告")
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
    monkeypatch.setattr(render._Template, "_HELD", 0)  # and what is finished serialized at each
    streamed = _document_xml(context, tmp_path / "streamed.docx")
    # A {%tc %} column loop makes the body render whole, through docxtpl's own path.
    monkeypatch.setattr(render._Template, "_COLUMN_LOOP", re.compile(""))
    whole = _document_xml(context, tmp_path / "whole.docx")
    assert streamed == whole
    assert shown.encode() in streamed


def _bench():
    spec = importlib.util.spec_from_file_location("bench", ROOT / "bench" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak memory as Linux reports it")
def test_a_build_of_many_projects_never_holds_the_whole_report(tmp_path):
    # 300 自评表: the report's body is 17 MB of XML, about 200 MB as one lxml tree (a build that
    # held it whole peaked at 323 MB; streamed, the build stays near 115 MB).
    workbook = tmp_path / "300.xlsx"
    write_workbook(_bench().synthetic(300), str(workbook), SHANXI)
    peak = subprocess.run(
        [sys.executable, "-c", "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
         "stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
         sys.executable, "-c", "from generator.cli import main; main()", "build", str(workbook),
         "-o", str(tmp_path / "out")], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert int(peak) / 1024 < 200
    assert len(list((tmp_path / "out").glob("*.docx"))) == 1
