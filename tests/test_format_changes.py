"""docs/formats.md followed on a scratch copy of Shanxi's format: a row added, a rule added, a
table's sides unbalanced, a check's reads misdeclared. What the format gains, a workbook made
before still builds with (one warning); what cannot go round does not load (one line)."""

import json
import re
import shutil

import openpyxl
import pytest

from conftest import JINCHENG, ROOT, docx_lines
from generator.cli import main

SHANXI = ROOT / "generator" / "formats" / "shanxi"


def _copy(tmp_path, name: str, edits: dict[str, tuple[str, str]]):
    """Shanxi's folder copied to ``name`` with ``edits`` {file: (old, new)} made in it."""
    folder = tmp_path / name
    shutil.copytree(SHANXI, folder, ignore=shutil.ignore_patterns("__pycache__"))
    for file, (old, new) in edits.items():
        text = (folder / file).read_text("utf-8")
        assert old in text, (file, old)
        (folder / file).write_text(text.replace(old, new, 1), "utf-8")
    return folder


_NEW_ROW = ('        Row(17, "（二）单价100万元（含）以上设备（不含车辆）", name="大型设备", count=True),\n',
            '        Row(17, "（二）单价100万元（含）以上设备（不含车辆）", name="大型设备", count=True),\n'
            '        Row(18, "（三）单价50万元（含）以上的无形资产", name="大额无形资产", count=True),\n')


def test_a_workbook_made_before_the_format_gained_a_row_still_builds(runner, tmp_path):
    grown = _copy(tmp_path, "新增一行", {"tables.py": _NEW_ROW})
    out = tmp_path / "out"
    result = runner.invoke(main, ["build", str(JINCHENG), "-o", str(out), "--spec", str(grown)])
    assert result.exit_code == 0, result.output
    missing = [line for line in result.output.splitlines() if "缺少表中的行" in line]
    assert len(missing) == 1 and "公开10表 行次 18“（三）单价50万元（含）以上的无形资产”" in missing[0]
    [report] = out.glob("*.docx")
    assert any(line.startswith("（三）单价50万元（含）以上的无形资产|18|") for line in docx_lines(report))
    checked = runner.invoke(main, ["check", str(JINCHENG), "--spec", str(grown), "--format", "json"])
    assert checked.exit_code == 0
    assert [f["rule"] for f in json.loads(checked.output)["findings"]].count("缺行按空白") == 1
    # Next year's workbook from last year's has the row, and reads without the warning.
    new = tmp_path / "2023.xlsx"
    assert runner.invoke(main, ["init", str(new), "--from", str(JINCHENG), "--spec", str(grown)]).exit_code == 0
    sheet = openpyxl.load_workbook(new)["公开10表"]
    assert [r[1].value for r in sheet.iter_rows() if r[0].value and "无形资产" in str(r[0].value)] == [18]
    again = runner.invoke(main, ["check", str(new), "--spec", str(grown), "--format", "json"])
    assert "缺行按空白" not in [f["rule"] for f in json.loads(again.output)["findings"]]


def test_a_table_whose_sides_do_not_pair_does_not_load(runner, tmp_path):
    lopsided = _copy(tmp_path, "两边不齐", {"tables.py": (
        'Row(31, "总计", name="收入总计", sum="27..30"),', 'Row(31, "总计", name="收入总计", sum="27..30"), Row(63, "九、新增收入"),')})
    result = runner.invoke(main, ["check", str(JINCHENG), "--spec", str(lopsided)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert "公开01表 行63“九、新增收入”: no row beside it on the 支出 side" in lines[0]


@pytest.mark.parametrize("old,new,said", [
    ('_t10_vs_t06, reads=("10", "06"))', '_t10_vs_t06, reads=("10",))',
     "rule 10机关运行经费=06公用经费基本 reads tables ['06', '10'], its reads= says ['10']"),
    ('_t04_balance, reads=("04",))', '_t04_balance, reads=("04", "05"))',
     "rule 04收支平衡 reads tables ['04'], its reads= says ['04', '05']"),
], ids=["reads one it does not name", "names one it does not read"])
def test_a_check_that_reads_other_tables_than_it_says_does_not_load(runner, tmp_path, old, new, said):
    wrong = _copy(tmp_path, "读表不符", {"rules.py": (old, new)})
    result = runner.invoke(main, ["check", str(JINCHENG), "--spec", str(wrong)])
    assert result.exit_code == 2
    assert said in result.output and len(result.output.strip().splitlines()) == 1


def test_a_rule_added_as_the_guide_says_is_checked_and_listed(runner, tmp_path):
    """docs/formats.md: a relation between tables is a Rule with its check, in CHECKS."""
    rule = (
        "\n\ndef _vehicles_need_running_costs(c: Context):\n"
        "    if c.fig[\"10\"][\"车辆数合计\"] and not c.fig[\"07\"][\"决算数\"][T07.column(\"公务用车运行维护费\")]:\n"
        "        yield Finding(WARNING, \"有车须有运行费\", \"公开10表有车辆，公开07表公务用车运行维护费却为 0\", (\"公开07表\",))\n"
        "\n\nCHECKS = (*CHECKS, Rule(\"有车须有运行费\", \"有车辆而无运行维护费\", \"公开10表 有车辆时 公开07表 运行维护费不为 0\",\n"
        "                          _vehicles_need_running_costs, WARNING, reads=(\"10\", \"07\")))\n")
    folder = _copy(tmp_path, "新增规则", {})
    with (folder / "rules.py").open("a", encoding="utf-8") as f:
        f.write(rule)
    book = openpyxl.load_workbook(JINCHENG)
    sheet = book["公开07表"]
    rows = list(sheet.iter_rows())
    numbers = next(i for i, r in enumerate(rows) if [c.value for c in r if c.value is not None] == list(range(1, 13)))
    for cell in rows[numbers + 1]:  # the figures under the 栏次 row
        cell.value = None
    workbook = tmp_path / "无运行费.xlsx"
    book.save(workbook)
    result = runner.invoke(main, ["check", str(workbook), "--spec", str(folder)])
    assert "有车辆而无运行维护费：公开10表有车辆，公开07表公务用车运行维护费却为 0" in result.output
