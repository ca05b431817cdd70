"""The ``disclose`` command as a clerk uses it: exit codes, messages, files written."""

import hashlib

import pytest
from openxml_audit import OpenXmlValidator

from conftest import JINCHENG, XINZHOU, docx_lines, set_cells
from generator.cli import main

JC_REPORT = "晋城市人力资源和社会保障局2022年度单位决算公开.docx"


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("command", ["build", "check", "init"])
def test_every_command_has_help(runner, command):
    result = runner.invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "示例：" in result.output


def test_build_writes_the_named_report_and_leaves_the_workbook_alone(runner, tmp_path):
    before = _digest(JINCHENG)
    result = runner.invoke(main, ["build", str(JINCHENG), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "13 张项目绩效自评表" in result.output
    assert "审核共 0 个错误、" in result.output
    assert (tmp_path / JC_REPORT).exists()
    assert (tmp_path / "晋城市人力资源和社会保障局2022年度单位决算公开审核报告.html").exists()
    assert not list(tmp_path.glob(".disclose-*"))  # no temporary file left behind
    assert _digest(JINCHENG) == before


def test_default_output_folder_is_output(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(main, ["build", str(XINZHOU)]).exit_code == 0
    assert (tmp_path / "output" / "忻州市人力资源和社会保障局2022年度单位决算公开.docx").exists()


@pytest.mark.parametrize("sample", [JINCHENG, XINZHOU])
def test_report_is_valid_wordprocessingml(runner, tmp_path, sample):
    assert runner.invoke(main, ["build", str(sample), "-o", str(tmp_path)]).exit_code == 0
    [report] = tmp_path.glob("*.docx")
    result = OpenXmlValidator().validate(str(report))
    assert result.is_valid, [str(e) for e in result.errors[:5]]


def test_not_an_xlsx_is_one_line_exit_2(runner, tmp_path):
    bad = tmp_path / "报表.xlsx"
    bad.write_text("这不是 Excel 文件", encoding="utf-8")
    result = runner.invoke(main, ["build", str(bad), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output.startswith("错误：") and result.output.count("\n") == 1
    assert "不是 Excel 工作簿" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_bad_cell_is_one_line_with_sheet_and_cell(runner, workbook_copy, tmp_path):
    path = workbook_copy()
    set_cells(path, {"公开05表!D12": "约五万"})
    before = _digest(path)
    result = runner.invoke(main, ["build", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output == "错误：公开05表!D12：应为金额（数字），实际为“约五万”\n"
    assert _digest(path) == before
    assert not (tmp_path / "out").exists()


def test_debug_shows_the_traceback(runner, workbook_copy):
    path = workbook_copy()
    set_cells(path, {"公开05表!D12": "约五万"})
    result = runner.invoke(main, ["--debug", "build", str(path)])
    assert result.exit_code != 0
    assert result.exception is not None and "D12" in str(result.exception)


def test_workbook_text_is_data_not_template_code(runner, workbook_copy, tmp_path):
    path = workbook_copy(XINZHOU)
    nasty = "A&B <b>粗</b> {{ unit.name }} {% if 1 %}x{% endif %}"
    set_cells(path, {"概况!B3": nasty, "情况说明!B6": "原因 & <理由>"})
    result = runner.invoke(main, ["build", str(path), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    text = "\n".join(docx_lines(tmp_path / "忻州市人力资源和社会保障局2022年度单位决算公开.docx"))
    assert nasty in text
    assert "主要原因是原因 & <理由>。" in text


def test_rebuilding_overwrites_the_report(runner, tmp_path):
    for _ in range(2):
        assert runner.invoke(main, ["build", str(JINCHENG), "-o", str(tmp_path)]).exit_code == 0
    assert len(list(tmp_path.glob("*.docx"))) == 1


def test_pdf_without_libreoffice_writes_the_docx_and_says_so(runner, tmp_path, monkeypatch):
    monkeypatch.setattr("generator.pdf.find_soffice", lambda *_: None)
    result = runner.invoke(main, ["build", str(XINZHOU), "-o", str(tmp_path), "--pdf"])
    assert result.exit_code == 0
    assert "未找到 LibreOffice，只生成了 .docx" in result.output
    assert list(tmp_path.glob("*.docx")) and not list(tmp_path.glob("*.pdf"))


def test_a_clean_build_is_not_a_draft(runner, tmp_path):
    from docx import Document

    assert runner.invoke(main, ["build", str(XINZHOU), "-o", str(tmp_path)]).exit_code == 0
    [report] = tmp_path.glob("*.docx")
    doc = Document(str(report))
    assert doc.sections[1].header.paragraphs[0].text == "忻州市人力资源和社会保障局2022年单位决算公开报告"
    assert "草稿" not in "\n".join(docx_lines(report))
