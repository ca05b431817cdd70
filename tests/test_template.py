"""templates/shanxi/report.docx is the report's one source: its tags and the program's context name the
same things, a tag without data is one Chinese line (never a blank in the report), and a restyle
made in Word is what the built report carries."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.shared import Pt
from lxml import etree

from generator import context as content, render, report
from generator.audit import audit
from generator.cli import main
from generator.errors import TemplateMismatch
from generator.catalog import load_format
from generator.reader import read_workbook

from conftest import JINCHENG, SHANXI, XINZHOU

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
SOLUTION = "（模板与程序不匹配）：请改回模板中的这个标签，或换回原模板"
TEMPLATE = load_format().template


def _context(sample: Path, forced: bool = False) -> dict:
    wb = read_workbook(str(sample), SHANXI)
    result = audit(wb, SHANXI)
    findings = result.findings if forced else None
    return content.report_context(wb, result.figures, result.projects, findings, SHANXI)


@pytest.fixture(scope="module")
def context() -> dict:
    return _context(JINCHENG)


def mismatches(tags: dict[str, set[str]], context: dict) -> list[str]:
    """Names the template reads that the context lacks, and names the context holds that the
    template never reads; within a dict the template reads keys of (``narrative.s10_4_3``), the
    same for its keys."""
    found = [f"template only: {n}" for n in sorted(tags.keys() - context.keys())]
    found += [f"context only: {n}" for n in sorted(context.keys() - tags.keys())]
    for name in sorted(tags.keys() & context.keys()):
        value, read = context[name], tags[name]
        if isinstance(value, dict) and (read or name == "narrative"):
            found += [f"template only: {name}.{k}" for k in sorted(read - value.keys())]
            found += [f"context only: {name}.{k}" for k in sorted(value.keys() - read)]
    return found


def _with_paragraphs(tmp_path: Path, *texts: str) -> Path:
    """A copy of the template with paragraphs added at its end (templates/ is never written)."""
    copy = tmp_path / "report.docx"
    shutil.copy(TEMPLATE, copy)
    document = Document(str(copy))
    for text in texts:
        document.add_paragraph(text)
    document.save(str(copy))
    return copy


@pytest.mark.parametrize("sample, forced", [(JINCHENG, False), (XINZHOU, False), (JINCHENG, True)])
def test_the_template_and_the_context_name_the_same_things(sample, forced):
    tags = render.template_tags(TEMPLATE)
    context = _context(sample, forced)
    assert mismatches(tags, context) == [], "\n".join(mismatches(tags, context))
    # The 情况说明 sections, headers and footers are among what is read.
    assert {"s1", "s9_2", "s10_4_5"} <= tags["narrative"] and {"name", "year"} <= tags["unit"]


def test_a_key_missing_from_the_context_is_a_mismatch(context):
    tags = render.template_tags(TEMPLATE)
    smaller = {k: v for k, v in context.items() if k != "draft_findings"}
    smaller["narrative"] = {k: v for k, v in context["narrative"].items() if k != "s10_4_3"}
    assert mismatches(tags, smaller) == ["template only: draft_findings", "template only: narrative.s10_4_3"]
    assert mismatches(tags, {**context, "spare": 1}) == ["context only: spare"]


def test_a_tag_added_to_the_template_is_a_mismatch(context, tmp_path):
    copy = _with_paragraphs(tmp_path, "{{ extra_tag }}", "{% for p in narrative.s11 %}{{ p }}{% endfor %}")
    assert mismatches(render.template_tags(copy), context) == ["template only: extra_tag",
                                                             "template only: narrative.s11"]


@pytest.mark.parametrize("change, tag", [
    (lambda c: c.pop("t10"), "t10"),
    (lambda c: c.update(narrative={k: v for k, v in c["narrative"].items() if k != "s10_4_3"}),
     "narrative.s10_4_3"),
    (lambda c: c.update(unit={"year": c["unit"]["year"]}), "unit.name"),
])
def test_rendering_without_a_key_names_its_tag(context, tmp_path, change, tag):
    smaller = {**context}
    change(smaller)
    with pytest.raises(TemplateMismatch) as raised:
        render.write_docx(smaller, tmp_path / "report.docx", TEMPLATE, "报告")
    assert raised.value.message == f"报告模板 report.docx 中的标签“{tag}”没有数据{SOLUTION}"
    assert not list(tmp_path.iterdir())


def test_a_tag_the_context_lacks_in_a_copy_of_the_template_is_named(context, tmp_path):
    copy = _with_paragraphs(tmp_path, "见{{ unit.name }}的{{ unit.code }}")
    with pytest.raises(TemplateMismatch) as raised:
        render.write_docx(context, tmp_path / "out.docx", copy, "报告")
    assert raised.value.message == f"报告模板 report.docx 中的标签“unit.code”没有数据{SOLUTION}"


def test_a_malformed_tag_is_one_chinese_line_quoting_it(context, tmp_path):
    copy = _with_paragraphs(tmp_path, "合计 {{ unit.name }")
    with pytest.raises(TemplateMismatch) as raised:
        render.write_docx(context, tmp_path / "out.docx", copy, "报告")
    assert raised.value.message == ("报告模板 report.docx 中有标签写错了（在“合计 {{ unit.name }”处）："
                                    "请改正这个标签，或换回原模板")


def test_through_the_cli_a_missing_key_is_exit_2_and_nothing_is_written(runner, tmp_path, monkeypatch):
    full = report.report_context

    def without_t10(*args, **kwargs):
        context = full(*args, **kwargs)
        del context["t10"]
        return context

    monkeypatch.setattr(report, "report_context", without_t10)
    out = tmp_path / "out"
    result = runner.invoke(main, ["build", str(JINCHENG), "-o", str(out)])
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == f"错误：报告模板 report.docx 中的标签“t10”没有数据{SOLUTION}"
    assert "Traceback" not in result.output
    assert not out.exists() or list(out.iterdir()) == []


def _style(styles: bytes, style_id: str):
    root = etree.fromstring(styles)
    return next(s for s in root.iter(f"{W}style") if s.get(f"{W}styleId") == style_id)


def test_a_restyle_in_the_template_is_what_the_report_carries(context, tmp_path):
    copy = tmp_path / "restyled.docx"
    shutil.copy(TEMPLATE, copy)
    document = Document(str(copy))
    document.styles["Normal"].font.size = Pt(15)  # 三号 (16 pt) in the template
    document.styles["Heading 1"].font.name = "Restyled Serif"
    document.save(str(copy))
    built = tmp_path / "report.docx"
    render.write_docx(context, built, copy, "报告")
    with zipfile.ZipFile(built) as archive:
        styles = archive.read("word/styles.xml")
    normal, heading = _style(styles, "Normal"), _style(styles, "Heading1")
    assert normal.find(f"{W}rPr/{W}sz").get(f"{W}val") == "30"
    assert heading.find(f"{W}rPr/{W}rFonts").get(f"{W}ascii") == "Restyled Serif"
    # and the shipped template's own size is something else: the change came from the copy
    with zipfile.ZipFile(TEMPLATE) as archive:
        assert _style(archive.read("word/styles.xml"), "Normal").find(f"{W}rPr/{W}sz").get(f"{W}val") == "32"
