"""No English from click reaches the clerk: help pages, usage errors, crashes, --format json."""

import json
import re

import pytest

from conftest import JINCHENG, set_cells
from generator.cli import main

# The English words a Chinese help page or message may carry: the command's own names, options,
# file types and the programs it names. Anything else (Usage, Options, Show, default, Error,
# Try, Invalid, …) is click's English reaching the clerk.
ALLOWED = {
    "disclose", "build", "check", "init", "help", "debug", "force", "strict", "pdf", "PDF", "overwrite",
    "outdir", "jobs", "format", "text", "json", "JSON", "version", "from", "output", "sample", "inputs",
    "jincheng", "xinzhou", "xlsx", "xls", "ods", "docx", "Word", "WPS", "LibreOffice", "Python", "nope",
    "extra", "bogus", "chek", "xml", "CPU", "spec", "shanxi", "serve", "data", "port", "browser", "Ctrl",
    "bureau", "host", "certfile", "keyfile", "HTTPS", "https", "PEM", "new", "admin", "password",
    "review", "soffice", "DISCLOSE", "SOFFICE",
}


def english_words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z]{3,}", text)) - ALLOWED


@pytest.mark.parametrize("args", [[], ["--help"], ["-h"], ["build", "--help"], ["check", "--help"],
                                  ["init", "--help"], ["build", "-h"], ["serve", "--help"]])
def test_help_pages_are_chinese(runner, args):
    result = runner.invoke(main, args)
    assert result.exit_code == 0
    assert result.output.startswith("用法：disclose")
    assert "选项：" in result.output and "示例：" in result.output
    assert english_words(result.output) == set()


def test_help_columns_line_up_with_chinese_metavars(runner):
    lines = [line for line in runner.invoke(main, ["build", "--help"]).output.splitlines()
             if line.startswith("  -")]
    # Every option's text starts in the same terminal column, Chinese characters counted as two.
    from generator.clickzh import _columns

    starts = {_columns(re.match(r"(\s+\S.*?\s{2,})\S", line).group(1)) for line in lines}
    assert len(starts) == 1, lines


def test_version_is_the_bare_number(runner):
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and re.fullmatch(r"disclose \d+\.\d+\.\d+\S*\n", result.output)


@pytest.mark.parametrize(("args", "line"), [
    (["check", "不存在.xlsx"], "错误：不存在.xlsx：找不到这个文件；请检查文件名和所在文件夹（可以把文件拖进命令窗口，得到完整路径）"),
    (["build", "不存在.xlsx"], "错误：不存在.xlsx：找不到这个文件；请检查文件名和所在文件夹（可以把文件拖进命令窗口，得到完整路径）"),
    (["check"], "错误：缺少参数“工作簿”；例如：disclose check 本单位2022.xlsx"),
    (["build"], "错误：缺少参数“工作簿…”；例如：disclose build 本单位2022.xlsx"),
    (["check", str(JINCHENG), "--bogus"], "错误：没有选项 --bogus；可用的选项见 disclose check --help"),
    (["--bogus"], "错误：没有选项 --bogus；可用的选项见 disclose --help"),
    (["chek"], "错误：没有命令“chek”；可用的命令：build（审核并生成报告）、check（只审核）、init（生成工作簿）"),
    (["check", str(JINCHENG), "extra"], "错误：多余的参数：extra；一个命令只给一个工作簿（要一次生成整个文件夹，用 disclose build 文件夹）；"
     "文件名里有空格时，要用英文双引号把整个文件名括起来，例如 disclose check \"本单位 2023.xlsx\""),
    (["check", "--format", "xml", str(JINCHENG)], "错误：选项 --format 的值不对：只能是 text、json；用法见 disclose check --help"),
    (["build", "-j", "0", str(JINCHENG)], "错误：选项 --jobs 应为不小于 1 的整数，实际为“0”"),
    (["build", str(JINCHENG), "-o"], "错误：选项 -o 后面缺少取值；用法见 disclose build --help"),
    (["check", "--debug=yes", str(JINCHENG)], "错误：选项 --debug 不带取值；请去掉“=”及其后的内容"),
    (["--debug"], "错误：缺少命令；可用的命令：build（审核并生成报告）、check（只审核）、init（生成工作簿）；"
                  "例如：disclose build 本单位2022.xlsx"),
    (["check", "sample_inputs"], "错误：sample_inputs：这是文件夹，不是工作簿；请给出 .xlsx、.xls 或 .ods 文件"),
])
def test_usage_errors_are_one_chinese_line_exit_2(runner, args, line, monkeypatch):
    from conftest import ROOT

    monkeypatch.chdir(ROOT)
    result = runner.invoke(main, args)
    assert result.exit_code == 2
    assert result.output == line + "\n"
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_debug_works_after_the_command(runner, workbook_copy):
    path = workbook_copy()
    set_cells(path, {"公开05表!D12": "约五万"})
    quiet = runner.invoke(main, ["check", str(path)])
    assert quiet.exit_code == 2 and quiet.output == "错误：公开05表!D12：应为金额（数字），实际为“约五万”\n"
    for args in (["check", str(path), "--debug"], ["--debug", "check", str(path)], ["build", "--debug", str(path)]):
        loud = runner.invoke(main, args)
        assert loud.exception is not None and "D12" in str(loud.exception), args


def _json(result) -> dict:
    return json.loads(result.stdout)


def test_check_json_is_json_even_when_the_workbook_cannot_be_read(runner, workbook_copy, tmp_path):
    path = workbook_copy()
    set_cells(path, {"公开05表!D12": "约五万"})
    bad = runner.invoke(main, ["check", str(path), "--format", "json"])
    assert bad.exit_code == 2
    assert _json(bad) == {"error": "公开05表!D12：应为金额（数字），实际为“约五万”", "exit_code": 2}

    missing = runner.invoke(main, ["check", "--format=json", str(tmp_path / "不存在.xlsx")])
    assert missing.exit_code == 2 and "找不到这个文件" in _json(missing)["error"]

    text = tmp_path / "报表.xlsx"
    text.write_text("不是工作簿", encoding="utf-8")
    unreadable = runner.invoke(main, ["check", str(text), "--format", "json"])
    assert unreadable.exit_code == 2 and "不是 Excel 工作簿" in _json(unreadable)["error"]

    good = runner.invoke(main, ["check", str(JINCHENG), "--format", "json"])
    assert good.exit_code == 0 and _json(good)["errors"] == 0


def test_a_fault_of_the_tool_is_one_chinese_line(runner, tmp_path, monkeypatch):
    def crash(*_args, **_kwargs):
        raise KeyError(1)

    monkeypatch.setattr("generator.report.build", crash)
    result = runner.invoke(main, ["build", str(JINCHENG), "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output == ("错误：程序内部出错（KeyError），没有写入任何报告；请把工作簿和这一行发给维护人员"
                             "（加 --debug 可看到详细信息）\n")
    assert "Traceback" not in result.output and not list(tmp_path.iterdir())
    assert isinstance(runner.invoke(main, ["build", str(JINCHENG), "--debug"]).exception, KeyError)


def test_an_os_error_names_the_file_and_what_to_do(runner, tmp_path, monkeypatch):
    def locked(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied", "报告.docx")

    monkeypatch.setattr("generator.report.build", locked)
    result = runner.invoke(main, ["build", str(JINCHENG), "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.startswith("错误：报告.docx：") and result.output.count("\n") == 1
    assert english_words(result.output) == set()
