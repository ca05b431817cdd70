"""The clerk's own spreadsheet habits (issue 21), each through the CLI as the clerk reads it: totals
that no longer cover inserted rows, numbers stored as text, one slip named at the cell typed,
figures typed in 万元, optional parts left blank, merged cells, a report re-saved by an office
program, and the smaller messages."""

import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import JINCHENG, XINZHOU, Merged, docx_lines, set_cells
from generator.cli import main


def _label_ref(path: Path, sheet: str, label: str) -> str:
    """sheet!cell right of ``label``."""
    ws = load_workbook(path)[sheet]
    cell = next(c for row in ws.iter_rows() for c in row if c.value == label)
    return f"{sheet}!{ws.cell(cell.row, cell.column + 1).coordinate}"


def with_formula(path: Path, ref: str, formula: str, saved) -> None:
    """Put a formula at ``ref`` with ``saved`` as its saved result, as a spreadsheet program
    leaves it (openpyxl writes formulas without results)."""
    sheet, cell = ref.split("!")
    book = load_workbook(path)
    book[sheet][cell] = formula
    index = book.sheetnames.index(sheet) + 1
    book.save(path)
    member = f"xl/worksheets/sheet{index}.xml"
    with zipfile.ZipFile(path) as src:
        parts = {info.filename: src.read(info.filename) for info in src.infolist()}
    xml = parts[member].decode("utf-8")
    xml, n = re.subn(rf'(<c r="{cell}"[^>]*>)(<f>.*?</f>)<v\s*/>|(<c r="{cell}"[^>]*>)(<f>.*?</f>)<v></v>',
                     lambda m: f"{m.group(1) or m.group(3)}{m.group(2) or m.group(4)}<v>{saved}</v>", xml)
    assert n == 1, xml[:300]
    parts[member] = xml.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in parts.items():
            dst.writestr(name, data)


def _check(runner, path) -> tuple[int, str]:
    result = runner.invoke(main, ["check", str(path)])
    return result.exit_code, result.output


# ---- 1. totals and inserted rows -------------------------------------------------------------

def test_the_blank_workbook_s_totals_reach_from_their_own_row(runner, tmp_path):
    assert runner.invoke(main, ["init", str(tmp_path / "空白.xlsx")]).exit_code == 0
    ws = load_workbook(tmp_path / "空白.xlsx")["公开05表"]
    total = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "合计")
    formula = ws.cell(total, 3).value
    # No range starts below 合计: rows inserted under it stay inside what the formula adds.
    assert formula.startswith(f"=SUMPRODUCT(--(LEN(OFFSET($A{total},1,0,")
    assert f"OFFSET($A{total},1,2," in formula and f"C{total + 1}" not in formula


def test_a_total_formula_that_misses_inserted_rows_is_named_with_the_rows(runner, workbook_copy):
    path = workbook_copy(JINCHENG)
    # Rows inserted right under 合计 pushed the formula's range down past the 208 row (row 9).
    with_formula(path, "公开05表!C8", "=SUMPRODUCT(--(LEN($A$10:$A$3006)=3),C10:C3006)", "837513.09")
    code, out = _check(runner, path)
    assert code == 0, out
    assert ("警告 合计公式没有包括所有行：公开05表!C8 的公式 =SUMPRODUCT(--(LEN($A$10:$A$3006)=3),C10:C3006) "
            "没有算到第 9 行（这几行在公式的范围之外），所以它显示 837,513.09；按明细应为 62,281,177.64，报告用按明细重算的数。") in out
    assert "（公开05表!C8、公开05表!C9）" in out
    assert "合计不等于各类之和" not in out


# ---- 2. numbers stored as text -----------------------------------------------------------------

def test_a_number_stored_as_text_is_read_and_warned_once_never_an_error(runner, workbook_copy):
    path = workbook_copy(JINCHENG)
    set_cells(path, {"公开10表!C8": "67,980.00"})  # 货物, typed as text with a separator
    with_formula(path, "公开10表!C7", "=SUM(C8:C10)", "0")  # 合计: the sheet's SUM skips it
    code, out = _check(runner, path)
    assert code == 0, out
    assert ("警告 数字存成了文本：公开10表!C8 的 67,980.00 存成了文本：这一格是文本，Excel 的合计不会算它，所以 "
            "公开10表!C7 的公式少算了它。工具已按数字计算，报告不受影响；请把它改为数字") in out
    assert out.count("公开10表!C8 的 67,980.00 存成了文本") == 1
    assert "  错误 " not in out


def test_a_number_stored_as_text_that_no_formula_skips_is_no_finding(runner, workbook_copy):
    path = workbook_copy(JINCHENG)
    set_cells(path, {"公开10表!C8": "67,980.00"})  # 合计 typed, not a formula
    code, out = _check(runner, path)
    assert code == 0 and "文本" not in out


# ---- 3. the root cause is a cell the clerk typed -----------------------------------------------

def _slip_and_wan(path: Path) -> None:
    book = load_workbook(path)
    book["公开05表"]["D11"] = book["公开05表"]["D11"].value + 100
    book["公开10表"]["C12"] = 105.03  # 1,050,304.34 元 typed in 万元
    book.save(path)


def test_one_slip_is_one_group_headed_by_the_typed_cell(runner, workbook_copy):
    path = workbook_copy(JINCHENG)
    _slip_and_wan(path)
    # The totals the slip breaks are formulas here, as in the blank workbook: never the cause.
    with_formula(path, "公开05表!D8", "=D9+D22+D28", "8714163.94")  # what its cells add up to
    code, out = _check(runner, path)
    assert code == 1
    headings = [line for line in out.splitlines() if line.startswith("[最可能需要修改")]
    assert headings[0].startswith("[最可能需要修改：公开05表!D11（按各合计，它多填了 100.00，请核对；")
    # The other slip heads its own group: the 万元 figure and the warning it causes.
    assert headings[1].startswith("[最可能需要修改：公开10表!C12（按各合计，它少填了 1,050,199.31，请核对；改正后，下面 2 个问题")
    assert len(headings) == 2
    # A figure compared across tables names the other table's figure and its cell.
    assert ("错误 公开04表的一般公共预算支出与公开05表不一致：公开04表 行40社会保障和就业支出“一般公共预算财政拨款”："
            "填列 61,443,664.55，公开05表 208“小计”为 61,443,764.55，前者比后者少 100.00（公开04表!G15、公开05表!C9）") in out


def test_the_cause_is_named_only_when_changing_it_clears_its_whole_group(runner, workbook_copy):
    from generator.audit import audit
    from generator.model import stated_cells, substituted
    from generator.reader import read_workbook
    from conftest import SHANXI

    path = workbook_copy(JINCHENG)
    _slip_and_wan(path)
    wb = read_workbook(str(path), SHANXI)
    findings = audit(wb, SHANXI).findings
    for cause in {f.cause for f in findings if f.cause}:
        group = [f for f in findings if f.cause == cause]
        cell = next(s for s in stated_cells(wb) if s.ref == cause)
        fixed = audit(substituted(wb, cause, cell.amount - group[0].off), SHANXI).findings
        assert not {(f.rule, f.cells) for f in fixed} & {(f.rule, f.cells) for f in findings if f.cause == cause}


# ---- 4. plausibility --------------------------------------------------------------------------

def test_last_years_totals_typed_in_wan_are_a_warning_before_anything_is_printed(runner, workbook_copy, tmp_path):
    path = workbook_copy(JINCHENG)
    set_cells(path, {_label_ref(path, "情况说明", "上年收入总计"): 11890.65})
    result = runner.invoke(main, ["build", str(path), "-o", str(tmp_path / "out"), "--strict"])
    assert result.exit_code == 1
    assert ("警告 上年数与本年相差过大（是否按万元填写）：“上年收入总计”填 11,890.65，而本年公开01表 收入总计为 "
            "62,373,182.64，相差 100 倍以上：请核对是否按万元填写了或少输了位数（金额一律按元填写）（情况说明!B4）") in result.output
    assert not list((tmp_path / "out").glob("*.docx"))


def test_a_table_figure_typed_in_wan_is_said_so(runner, workbook_copy):
    path = workbook_copy(JINCHENG)
    set_cells(path, {"公开10表!C12": 105.03})
    code, out = _check(runner, path)
    assert code == 1
    assert "（前者像是按万元填写的：乘以 10000 是 1,050,300.00；金额一律按元填写）（公开10表!C12" in out


# ---- 5. blank optional inputs -----------------------------------------------------------------

def _blank(path: Path, sheet: str, labels=None) -> None:
    book = load_workbook(path)
    ws = book[sheet]
    for row in ws.iter_rows(min_row=2):
        if labels is None:
            for cell in row:
                cell.value = None
        elif row[0].value in labels:
            row[1].value = None
    book.save(path)


def _report_text(runner, path: Path, out: Path) -> tuple[str, str]:
    result = runner.invoke(main, ["build", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    [report] = out.glob("*单位决算公开.docx")
    return result.output, "\n".join(docx_lines(report))


def test_a_blank_class_budget_prints_no_broken_sentence_and_warns_once(runner, workbook_copy, tmp_path):
    path = workbook_copy(JINCHENG)
    _blank(path, "分类预算")
    _blank(path, "情况说明", {"五(三)替换文字"})
    out, text = _report_text(runner, path, tmp_path / "out")
    assert out.count("“分类预算”表没有填写：五（三）只写财政拨款支出决算数") == 1
    assert "晋城市人力资源和社会保障局2022年度财政拨款支出决算62,281,177.64元。\n" in text
    assert "年初预算0.00元" not in text and "其中：\n（四）" not in text


def test_a_blank_overall_self_evaluation_is_said_plainly(runner, workbook_copy, tmp_path):
    path = workbook_copy(JINCHENG)
    _blank(path, "情况说明", {"整体自评涉及资金", "整体自评一般公共预算支出", "整体自评得分", "整体全年预算数",
                            "整体执行数", "整体年度绩效目标完成情况", "整体主要问题及原因", "整体下一步改进措施"})
    out, text = _report_text(runner, path, tmp_path / "out")
    assert out.count("十(四) 部门（单位）整体支出绩效自评没有填写") == 1
    assert text.count("本年度未开展部门（单位）整体支出绩效自评。") == 2
    assert "得分为0分" not in text and "全年预算数为0.00元" not in text


def test_a_blank_overall_score_leaves_out_its_clause_with_one_warning(runner, workbook_copy, tmp_path):
    path = workbook_copy(JINCHENG)
    _blank(path, "情况说明", {"整体自评得分"})
    out, text = _report_text(runner, path, tmp_path / "out")
    assert "警告 可不填的内容没有填写：“整体自评得分”未填写：十(四)（3）不写整体绩效自评得分（情况说明!B" in out
    assert "整体绩效自评得分为" not in text and "部门（单位）整体支出绩效自评综述：部门（单位）全年预算数为" in text


# ---- 6. merged cells ---------------------------------------------------------------------------

def test_a_merged_name_is_an_error_naming_the_merge_and_what_was_lost(runner, workbook_copy):
    path = workbook_copy(JINCHENG)
    set_cells(path, {"公开02表!B11": Merged("B10:B11"), "公开05表!D12": Merged("D11:D12")})
    code, out = _check(runner, path)
    assert code == 1
    assert ("错误 合并单元格丢了内容：公开02表!B10:B11 是合并单元格：合并后只保留左上角 B10 的内容，"
            "B11（科目 2080101 的科目名称）成了空白。请取消合并（选中后再点一次“合并后居中”），把每一格的内容填回（公开02表!B11）") in out
    assert "公开05表!D11:D12 是合并单元格：合并后只保留左上角 D11 的内容，D12（科目 2080102“基本支出”）成了空白" in out


# ---- 7. a report re-saved by an office program --------------------------------------------------

def test_a_report_resaved_with_fields_updated_is_not_hand_edited_but_a_changed_figure_is(runner, tmp_path):
    from test_clerk_calc import run_office

    out = tmp_path / "报告"
    assert runner.invoke(main, ["build", str(XINZHOU), "-o", str(out)]).exit_code == 0
    [report] = out.glob("*单位决算公开.docx")
    figure = next(line for line in docx_lines(report) if "收入总计" in line and re.search(r"\d,\d{3}\.\d\d", line))
    amount = re.search(r"\d[\d,]*\.\d\d", figure).group(0)
    resaved, edited = tmp_path / "重存.docx", tmp_path / "改过.docx"
    run_office([{"source": str(report), "ops": [{"op": "update"}], "saves": [[str(resaved), "MS Word 2007 XML"]]},
                {"source": str(report), "ops": [{"op": "update"}, {"op": "replace", "old": amount, "new": "1.00"}],
                 "saves": [[str(edited), "MS Word 2007 XML"]]}], tmp_path)
    shutil.copy(resaved, report)
    result = runner.invoke(main, ["build", str(XINZHOU), "-o", str(out)])
    assert result.exit_code == 0, result.output
    shutil.copy(edited, report)
    result = runner.invoke(main, ["build", str(XINZHOU), "-o", str(out)])
    assert result.exit_code == 2
    assert "这份报告在生成后被手工修改过，为免丢失修改，未覆盖" in result.output


# ---- 8. the smaller messages ------------------------------------------------------------------

@pytest.mark.parametrize("name, content, message", [
    ("~$晋城.xlsx", b"\x0bdisclose   \x00\x00" + b"\x00" * 150,
     "这是 Excel/WPS 打开工作簿时留下的临时文件（文件名以 ~$ 开头），不是工作簿本身；请给出不带 ~$ 的那个文件（晋城.xlsx）"),
    ("单位.xlsx", "单位名称,年度\n晋城,2022\n".encode("gbk"),
     "这是文本文件（例如 CSV），不是 Excel 工作簿；请用 Excel/WPS 打开它，“另存为” .xlsx 工作簿后再试"),
    ("单位.csv", "单位名称,年度\n晋城,2022\n".encode("utf-8"),
     "这是文本文件（例如 CSV），不是 Excel 工作簿；请用 Excel/WPS 打开它，“另存为” .xlsx 工作簿后再试"),
])
def test_a_file_that_is_no_workbook_gets_its_own_plain_sentence(runner, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    code, out = _check(runner, path)
    assert code == 2 and out == f"错误：{path}：{message}\n"
    assert not re.search(r"[A-Za-z]{4,}", out.replace(str(path), "").replace("Excel", "").replace("WPS", "")
                         .replace("CSV", "").replace("xlsx", ""))


def test_a_word_document_given_as_the_workbook_is_said_so(runner, tmp_path):
    out = tmp_path / "报告"
    assert runner.invoke(main, ["build", str(XINZHOU), "-o", str(out)]).exit_code == 0
    [report] = out.glob("*单位决算公开.docx")
    code, text = _check(runner, report)
    assert code == 2
    assert text == f"错误：{report}：这是 Word 文档，不是 Excel 工作簿；请给出决算公开工作簿（.xlsx、.xls 或 .ods）\n"


def test_a_file_name_with_an_unquoted_space_is_told_to_take_quotes(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(JINCHENG, tmp_path / "本单位 2022.xlsx")
    result = runner.invoke(main, ["check", "本单位", "2022.xlsx"])
    assert result.exit_code == 2
    assert result.output == "错误：文件名“本单位 2022.xlsx”里有空格，要用英文双引号把整个文件名括起来：disclose check \"本单位 2022.xlsx\"\n"


def test_two_workbooks_given_to_check_mention_quotes(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(JINCHENG, tmp_path / "甲.xlsx")
    shutil.copy(JINCHENG, tmp_path / "乙.xlsx")
    result = runner.invoke(main, ["check", "甲.xlsx", "乙.xlsx"])
    assert result.exit_code == 2 and "文件名里有空格时，要用英文双引号把整个文件名括起来" in result.output


def test_strict_says_the_warnings_blocked(runner, tmp_path):
    result = runner.invoke(main, ["build", str(JINCHENG), "-o", str(tmp_path), "--strict"])
    assert result.exit_code == 1
    assert "错误：审核发现 0 个错误、2 个警告；加了 --strict，警告也不允许生成，未生成报告（审核报告：" in result.output


def test_the_batch_says_it_could_not_write_and_aligns_its_table_by_display_width(runner, tmp_path):
    folder = tmp_path / "各单位"
    folder.mkdir()
    shutil.copy(JINCHENG, folder / "晋城市人社局.xlsx")
    shutil.copy(XINZHOU, folder / "xz.xlsx")
    blocked = tmp_path / "报告"
    blocked.write_text("这是一个文件，不是文件夹")
    result = runner.invoke(main, ["build", str(folder), "-o", str(blocked), "-j", "1"])
    assert result.exit_code == 2
    rows = [line for line in result.output.splitlines() if "无法写入" in line or line.startswith("工作簿")]
    assert len(rows) == 3 and all("无法读取" not in line for line in rows)

    def column(line: str, text: str) -> int:  # display columns before ``text``
        import unicodedata

        head = line[:line.index(text)]
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in head)

    assert column(rows[0], "结果") == column(rows[1], "无法写入") == column(rows[2], "无法写入")


def test_the_figures_record_is_hidden_where_a_dot_does_not_hide_it(runner, tmp_path, monkeypatch):
    from generator import files

    hidden = []
    monkeypatch.setattr(files, "set_hidden", lambda path, on: hidden.append((path.name, on)))
    assert runner.invoke(main, ["build", str(XINZHOU), "-o", str(tmp_path)]).exit_code == 0
    assert runner.invoke(main, ["build", str(XINZHOU), "-o", str(tmp_path)]).exit_code == 0
    record = ".忻州市人力资源和社会保障局2022年度单位决算公开.figures.json"
    # Made hidden when written; shown again just before a rebuild replaces it (Windows refuses to
    # replace a hidden file), then hidden again.
    assert hidden == [(record, True), (record, False), (record, True)]


def test_the_guide_installs_from_the_wheel_ci_builds():
    from conftest import ROOT

    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip wheel -q --no-deps -w dist ." in ci
    guide = (ROOT / "docs" / "使用说明.md").read_text(encoding="utf-8")
    installs = [i for i in re.findall(r"pip[x]? install [^\n`]*", guide) if "disclose" in i]
    assert len(installs) >= 4
    assert all(re.search(r"dist[\\/]disclose-[\d.]+-py3-none-any\.whl$", i) for i in installs), installs


def test_a_blank_count_beside_money_spent_is_left_out_with_a_warning(runner, workbook_copy, tmp_path):
    path = workbook_copy(JINCHENG)
    _blank(path, "情况说明", {"公务用车保有量"})
    out, text = _report_text(runner, path, tmp_path / "out")
    assert "警告 可不填的内容没有填写：“公务用车保有量”未填写：九（二）不写这个数（公务用车运行维护费支出 " in out
    line = next(line for line in text.splitlines() if line.startswith("3、公务用车运行维护费支出"))
    assert "保有量" not in line and "0辆" not in line
