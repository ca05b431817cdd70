"""A clerk fills `disclose init`'s blank workbook in LibreOffice Calc (issue 21): rows inserted above
the 注 row of every function table and pasted into, the other sheets typed, a name merged, a figure
typed as text, one slip — saved as .xlsx, .xls and .ods with the values Calc computed. ``check`` then
says exactly what the clerk did, each finding naming the cell the clerk typed."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import JINCHENG
from generator.cli import main

SCRIPT = Path(__file__).with_name("office_clerk.py")
UNO_PYTHON = "/usr/bin/python3"
FUNCTION_TABLES = ("公开02表", "公开03表", "公开05表", "公开08表", "公开09表")
COPIED = ("单位信息", "概况", "情况说明", "分类预算", "项目综述", "名词解释")


def _uno_available() -> bool:
    if shutil.which("soffice") is None or not Path(UNO_PYTHON).exists():
        return False
    return subprocess.run([UNO_PYTHON, "-c", "import uno"], capture_output=True).returncode == 0


def run_office(jobs: list[dict], tmp: Path) -> None:
    """Run the jobs of tests/office_clerk.py in one LibreOffice session."""
    if not _uno_available():
        pytest.skip("LibreOffice with python3-uno is not installed")
    from generator.pdf import find_soffice

    spec = tmp / "jobs.json"
    spec.write_text(json.dumps(jobs, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run([UNO_PYTHON, str(SCRIPT), find_soffice(), str(spec)], capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr
    for job in jobs:
        for path, _ in job["saves"]:
            assert Path(path).exists(), f"Calc did not write {path}"


def _value(value):
    return "" if value is None else value


def clerk_ops(sample: Path, blank: Path) -> list[dict]:
    """What a clerk does to carry ``sample``'s figures into ``blank``: paste each function table's
    rows into rows inserted above its 注 row, type every yellow cell of the other tables, and
    retype the text sheets (单位信息, 概况, 情况说明 …) as they are. 自评表 sheets are left blank."""
    source, target = load_workbook(sample), load_workbook(blank)
    ops = []
    for name in source.sheetnames:
        if name.startswith("自评表"):
            continue
        src, dst = source[name], target[name]
        if name in FUNCTION_TABLES:
            total = next(r for r in range(1, src.max_row + 1) if src.cell(r, 1).value == "合计")
            rows = []
            for r in range(total + 1, src.max_row + 1):
                first = str(src.cell(r, 1).value or "")
                if first.startswith(("注：", "说明：")):
                    break
                rows.append([_value(src.cell(r, c).value) for c in range(1, src.max_column + 1)])
            if rows:
                ops.append({"op": "paste_rows", "sheet": name, "rows": rows})
            continue
        for row in src.iter_rows():
            for cell in row:
                there = dst[cell.coordinate].value
                if name in COPIED:
                    if cell.value != there:
                        ops.append(_typed(name, cell.coordinate, cell.value))
                elif cell.value is not None and there is None:
                    ops.append(_typed(name, cell.coordinate, cell.value))
    return ops


def _typed(sheet: str, cell: str, value) -> dict:
    if isinstance(value, (int, float)):
        return {"op": "set", "sheet": sheet, "cell": cell, "value": value}
    return {"op": "set", "sheet": sheet, "cell": cell, "value": _value(value), "text": True}


# The clerk's own habits on top of the figures: 公开02表's 2080101 name cell merged into the 20801 one
# above it (Excel keeps the first cell only), 公开01表 行1 typed as text with thousands separators,
# and 2080101's 基本支出 in 公开05表 typed 100 too high.
HABITS = [
    {"op": "merge", "sheet": "公开02表", "range": "B10:B11"},
    {"op": "set", "sheet": "公开01表", "cell": "C8", "value": "62,281,177.64", "text": True},
    {"op": "set", "sheet": "公开05表", "cell": "D11", "value": 7518227.01},
]


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    from click.testing import CliRunner

    tmp = tmp_path_factory.mktemp("clerk")
    blank = tmp / "空白.xlsx"
    assert CliRunner().invoke(main, ["init", str(blank)]).exit_code == 0
    run_office([{"source": str(blank), "ops": clerk_ops(JINCHENG, blank) + HABITS,
               "saves": [[str(tmp / "填好.xlsx"), "Calc MS Excel 2007 XML"], [str(tmp / "填好.xls"), "MS Excel 97"],
                         [str(tmp / "填好.ods"), "calc8"]]}],
             tmp)
    return tmp


def _check(runner, path: Path) -> tuple[int, list[dict]]:
    result = runner.invoke(main, ["check", str(path), "--format", "json"])
    return result.exit_code, json.loads(result.output)["findings"]


@pytest.mark.parametrize("suffix", ["xlsx", "xls", "ods"])
def test_a_workbook_filled_in_calc_gives_the_findings_of_what_the_clerk_did(runner, filled, suffix):
    code, findings = _check(runner, filled / f"填好.{suffix}")
    assert code == 1
    by_rule = {}
    for f in findings:
        by_rule.setdefault(f["rule"], []).append(f)
    # Nothing about the inserted rows: every 合计 formula still covers its table.
    assert "合计公式包括各行" not in by_rule
    assert not [f for f in findings if f["cells"][0].endswith(("表!C8", "表!D8")) and f["rule"] == "合计=Σ类"]
    # The merge: the lost name, named with the merge.
    [merge] = by_rule["合并单元格"]
    assert merge["severity"] == "错误" and merge["cells"][0] == "公开02表!B11"
    assert "公开02表!B10:B11" in merge["message"] and "2080101" in merge["message"]
    # The figure typed as text: one warning at that cell, no error blaming 本年收入合计's formula.
    [text] = by_rule["数字不存为文本"]
    assert text["severity"] == "警告" and text["cells"][0] == "公开01表!C8"
    assert not [f for f in findings if f["severity"] == "错误" and "公开01表" in f["cells"][0]]
    # The slip: one group, headed by the cell the clerk typed.
    slipped = [f for f in findings if f["cause"]]
    assert {f["cause"] for f in slipped} == {"公开05表!D11"}
    assert all(f["severity"] == "错误" for f in slipped)
    errors = [f for f in findings if f["severity"] == "错误"]
    assert {f["cause"] or f["rule"] for f in errors} == {"公开05表!D11", "合并单元格"}
    # And nothing else: the two warnings left are the sample's own 十(四) counts, 自评表 not copied.
    warnings = {(f["rule"], f["cells"][0]) for f in findings if f["severity"] == "警告"}
    assert warnings == {("数字不存为文本", "公开01表!C8"), ("自评个数=自评表张数", "情况说明!B54"),
                        ("自评个数=自评表张数", "情况说明!B82")}
