"""The .docx as Word, WPS and LibreOffice read it: language, styles, page furniture, table
structure. (What the PDF looks like is checked in test_pdf.py.)"""

import re
import zipfile

import pytest
from click.testing import CliRunner

from conftest import XINZHOU
from generator.cli import main


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    out = tmp_path_factory.mktemp("print")
    result = CliRunner().invoke(main, ["build", str(XINZHOU), "-o", str(out)])
    assert result.exit_code == 0, result.output
    [docx] = out.glob("*.docx")
    with zipfile.ZipFile(docx) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xml")}


def test_the_language_is_simplified_chinese(parts):
    defaults = re.search(r"<w:docDefaults>.*?</w:docDefaults>", parts["word/styles.xml"]).group(0)
    assert 'w:eastAsia="zh-CN"' in re.search(r"<w:lang [^>]*>", defaults).group(0)
    assert re.search(r'<w:themeFontLang [^>]*w:eastAsia="zh-CN"', parts["word/settings.xml"])
    for name, xml in parts.items():
        assert not re.search(r'w:eastAsia="(?!zh-CN)[a-z]{2}-[A-Z]{2}"', xml), name


def test_the_named_fonts_are_not_overridden_by_theme_fonts(parts):
    styles = parts["word/styles.xml"]
    assert not re.search(r"w:(ascii|eastAsia|hAnsi)Theme=", styles)
    for style_id, font in (("Title", "方正小标宋简体"), ("Heading2", "黑体"), ("Heading3", "楷体_GB2312")):
        style = re.search(r'<w:style [^>]*w:styleId="%s".*?</w:style>' % style_id, styles).group(0)
        assert f'w:eastAsia="{font}"' in style, style_id


def test_only_the_reports_own_styles_are_shipped(parts):
    styles = parts["word/styles.xml"]
    ids = re.findall(r'<w:style [^>]*w:styleId="([^"]+)"', styles)
    used = {v for name, xml in parts.items() if name != "word/styles.xml"
            for v in re.findall(r'<w:(?:pStyle|rStyle|tblStyle) w:val="([^"]+)"', xml)}
    based = set(re.findall(r'<w:basedOn w:val="([^"]+)"', styles))
    defaults = set(re.findall(r'<w:style [^>]*w:default="1"[^>]*w:styleId="([^"]+)"', styles))
    toc = {"toc1", "toc2"}  # what Word writes the 目录 in when it updates the field
    assert "LightShading-Accent1" not in ids
    assert set(ids) <= used | based | defaults | toc, set(ids) - used - based - defaults - toc
