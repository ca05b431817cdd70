"""The .docx as Word, WPS and LibreOffice read it: language, styles, page furniture, table
structure. (What the PDF looks like is checked in test_pdf.py.)"""

import re
import zipfile

import pytest
from click.testing import CliRunner

from conftest import XINZHOU, docx_lines
from generator.cli import main


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("print")
    result = CliRunner().invoke(main, ["build", str(XINZHOU), "-o", str(out)])
    assert result.exit_code == 0, result.output
    [docx] = out.glob("*.docx")
    return docx


@pytest.fixture(scope="module")
def parts(report):
    with zipfile.ZipFile(report) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xml")}


def _table_lines(report, key):
    """The lines of 公开{key}表, from its number to its note."""
    lines = docx_lines(report)
    start = lines.index(f"公开{key}表")
    return lines[start:next(i for i in range(start, len(lines)) if lines[i].startswith("注："))]


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
    comments = {"CommentText", "CommentReference"}  # the 审阅稿's comments (build --review)
    assert "LightShading-Accent1" not in ids
    assert set(ids) <= used | based | defaults | toc | comments, set(ids) - used - based - defaults - toc - comments


def test_no_instruction_to_the_clerk_is_printed_in_the_report(parts, tmp_path):
    assert "更新域" not in parts["word/document.xml"]
    result = CliRunner().invoke(main, ["build", str(XINZHOU), "-o", str(tmp_path)])
    assert "目录的页码在 Word/WPS 中打开时更新；若未更新，右键目录，选择“更新域”。" in result.output.splitlines()


def test_the_cover_is_plain(parts):
    title = re.search(r'<w:style [^>]*w:styleId="Title".*?</w:style>', parts["word/styles.xml"]).group(0)
    assert "<w:pBdr>" not in title and "w:color" not in title and "w:themeColor" not in title
    assert '<w:jc w:val="center"/>' in title
    cover = parts["word/document.xml"].split("目  录")[0]
    assert "<w:pBdr>" not in cover and "<w:drawing>" not in cover


@pytest.mark.parametrize("key, columns", [("05", "小计|基本支出|项目支出"), ("09", "合计|基本支出|项目支出")])
def test_the_expenditure_columns_stand_under_one_header(report, key, columns):
    lines = _table_lines(report, key)
    assert lines[3:6] == ["项目|本年支出", f"功能分类科目编码|科目名称|{columns}", "栏次|1|2|3"]


def test_table_08_groups_its_expenditure_columns(report):
    lines = _table_lines(report, "08")
    assert lines[3] == "项目|年初结转和结余|本年收入|本年支出|年末结转和结余"
    assert lines[4] == "功能分类科目编码|科目名称|||小计|基本支出|项目支出|"


@pytest.mark.parametrize("key, cells", [("08", 8), ("09", 5)])
def test_an_empty_table_still_prints_its_total_row(report, key, cells):
    # 忻州 has no 政府性基金 or 国有资本经营 spending: the published tables keep an empty 合计 row.
    lines = _table_lines(report, key)
    assert lines[2].endswith("单位：元") and "金额单位" not in lines[2]
    assert lines[-1] == "合计" + "|" * (cells - 1)


def test_table_10_as_published(report):
    lines = _table_lines(report, "10")
    assert lines[1].startswith("单位名称：")
    assert lines[3:6] == ["一、政府采购情况", "项目|行次|采购金额", "合计|1|2141753.36"]
    assert lines[lines.index("二、机关运行经费") + 1] == "项目||统计数"
    assert lines[lines.index("三、国有资产占用情况") + 1].startswith("（一）车辆数合计（辆）|7|")


def test_annex_amounts_in_wan_yuan_share_one_format(report):
    rows = [line.split("|") for line in docx_lines(report) if line.startswith("|") and "资金" in line.split("|")[1]]
    assert len(rows) >= 3
    for cells in rows:
        amounts = [c for c in cells[:-2] if re.fullmatch(r"\d+(\.\d+)?", c)]  # before 执行率 and 得分
        assert len(amounts) >= 4, cells
        places = {len(c.split(".")[1]) if "." in c else 0 for c in amounts}
        assert len(places) == 1 and places.pop() >= 2, cells
