"""What a zero, a blank or a missing figure means is said, not computed (issue 11: 1, 3, 5, 6).

An empty year is an error; a blank last year makes no comparison (0 is a real last year); a rate
or share of a zero base is never printed; the 十(四) counts are checked against the 自评表 sheets.
"""

from decimal import Decimal

from openpyxl import load_workbook

from conftest import JINCHENG, SHANXI, XINZHOU, docx_lines, set_cells, split_parts
from generator.audit import audit
from generator.cli import main
from generator.money import fmt_money
from generator.reader import read_workbook

D = Decimal


def _build(runner, path, out, force=False):
    args = ["build", str(path), "-o", str(out)] + (["--force"] if force else [])
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    [report] = out.glob("*.docx")
    return "\n".join(docx_lines(report))


def _section(text, start, end):
    part3 = split_parts(text)["第三部分"]
    return part3[part3.index(start):part3.index(end)]


def _edit(path, changes):
    """Inputs by 情况说明 label (or sheet!cell) → value."""
    wb = read_workbook(str(path), SHANXI)
    set_cells(path, {wb.inputs[k].ref if k in wb.inputs else k: v for k, v in changes.items()})


def _delete_sheets(path, keep=0):
    book = load_workbook(path)
    for name in [n for n in book.sheetnames if n.startswith("自评表")][keep:]:
        del book[name]
    book.save(path)


# 1. An empty year ---------------------------------------------------------------------------

def test_a_workbook_without_current_year_figures_is_an_error_and_its_tables_say_so(runner, tmp_path):
    path = tmp_path / "新年度.xlsx"
    assert runner.invoke(main, ["init", "--from", str(JINCHENG), str(path)]).exit_code == 0
    first_cell = read_workbook(str(path), SHANXI)["01"].cells[1][0].ref
    check = runner.invoke(main, ["check", str(path)])
    assert check.exit_code == 1
    assert "错误 本年决算数未填：工作簿中没有2023年度的决算数" in check.output
    assert "请把2023年度决算数填入公开01–10表" in check.output and first_cell in check.output
    refused = runner.invoke(main, ["build", str(path), "-o", str(tmp_path / "out")])
    assert refused.exit_code == 1 and "未生成报告" in refused.output

    lines = _build(runner, path, tmp_path / "draft", force=True).splitlines()
    for note in ("注：本表反映部门本年度取得的各项收入情况。", "注：本表反映部门本年度各项支出情况。",
                 "注：本表反映部门本年度一般公共预算财政拨款支出情况。"):
        assert lines[lines.index(note) + 1] == "说明：本表无数据", note
    text = "\n".join(lines)
    part3 = split_parts(text)["第三部分"]
    assert "占比0.00%" not in part3 and "主要用于以下方面" not in part3
    assert "二、收入决算情况说明\n本年度无此项收入。" in part3
    assert "三、支出决算情况说明\n本年度无此项支出。" in part3
    assert "如下表述" not in part3 and "本年度未开展项目支出绩效自评。" in part3
    assert split_parts(text)["第五部分"].splitlines()[1] == "本年度无公开的项目支出绩效自评表。"


# 3. Counts against the 自评表 sheets ---------------------------------------------------------

def test_a_deleted_self_evaluation_sheet_is_a_warning_on_the_count(workbook_copy):
    path = workbook_copy(JINCHENG)
    _delete_sheets(path, keep=12)
    wb = read_workbook(str(path), SHANXI)
    [hit] = [f for f in audit(wb, SHANXI).warnings if wb.inputs["二级项目个数"].ref in f.cells]
    assert hit.rule == "自评个数=自评表张数"
    assert "“二级项目个数”填 13 个，工作簿中的项目绩效自评表有 12 张" in hit.message
    assert hit.cells == (wb.inputs["二级项目个数"].ref,)


def test_typed_amount_differing_from_the_sheets_budgets_is_a_warning(workbook_copy):
    path = workbook_copy(JINCHENG)
    wb = read_workbook(str(path), SHANXI)
    result = audit(wb, SHANXI)
    [hit] = [f for f in result.warnings if f.cells[0] == wb.inputs["二级项目涉及资金"].ref]
    assert "填列 45,802,600.00，自评表合计 33,126,070.00" in hit.message
    assert hit.cells == (wb.inputs["二级项目涉及资金"].ref,)
    _edit(path, {"二级项目涉及资金": 33126070})
    assert not [f for f in audit(read_workbook(str(path), SHANXI), SHANXI).findings
                if wb.inputs["二级项目涉及资金"].ref in f.cells]


def test_a_fund_split_not_adding_up_is_an_error(workbook_copy):
    path = workbook_copy(JINCHENG)
    _edit(path, {"整体自评政府性基金预算支出": 100})
    wb = read_workbook(str(path), SHANXI)
    [hit] = audit(wb, SHANXI).errors
    assert hit.rule == "涉及资金=各预算之和"
    assert hit.cells[0] == wb.inputs["整体自评涉及资金"].ref
    assert wb.inputs["整体自评政府性基金预算支出"].ref in hit.cells
    assert "填列 45,802,600.00，四项之和 45,802,700.00" in hit.message


def test_counts_left_blank_are_computed_from_the_sheets(runner, workbook_copy, tmp_path):
    path = workbook_copy(JINCHENG)
    _edit(path, {"二级项目自评个数": None, "项目自评涉及资金": None, "二级项目个数": None, "二级项目涉及资金": None})
    text = _build(runner, path, tmp_path)
    assert "二级项目13个，共涉及资金33,126,070.00元" in text
    assert "部门预算二级项目绩效自评个数13个，涉及资金33,126,070.00元" in text


# 5. A blank prior year ----------------------------------------------------------------------

def test_a_blank_prior_year_makes_no_comparison_and_zero_is_a_real_one(runner, workbook_copy, tmp_path):
    path = workbook_copy(XINZHOU)
    income = fmt_money(audit(read_workbook(str(path), SHANXI), SHANXI).figures["01"]["收入总计"])
    _edit(path, {"上年收入总计": None, "上年“三公”经费合计": None, "上年公务用车运行维护费": None,
                 "上年机关运行经费": None})
    text = _build(runner, path, tmp_path / "blank")
    s1 = _section(text, "一、收入支出决算总体情况说明", "二、收入决算情况说明")
    assert "收入总计增加" not in s1 and "收入总计减少" not in s1
    assert "与2021年相比，支出总计" in s1
    s9 = _section(text, "（一）“三公”经费财政拨款支出决算总体情况说明", "（二）“三公”经费")
    assert "比上年度" not in s9.splitlines()[1]
    assert "公务用车运行维护费支出59,913.20元，完成全年预算的99.86%，主要原因是" in s9
    s10 = _section(text, "（一）机关运行经费支出情况说明", "（二）政府采购情况说明")
    assert "比2021年" not in s10 and "机关运行经费支出1,183,793.33元，主要原因是" in s10

    _edit(path, {"上年收入总计": 0})
    s1 = _section(_build(runner, path, tmp_path / "zero"), "一、收入支出决算总体情况说明", "二、收入决算情况说明")
    assert f"与2021年相比，收入总计增加{income}元，支出总计" in s1


# 6. Zero bases ------------------------------------------------------------------------------

def test_three_public_items_without_budget_say_nothing_was_spent(runner, tmp_path):
    s9 = _section(_build(runner, JINCHENG, tmp_path), "（一）“三公”经费财政拨款支出决算总体情况说明", "（二）“三公”经费")
    assert "因公出国（境）费支出0.00元，完成全年预算的0.00%" not in s9
    assert "未发生因公出国（境）费支出，与上年相同" in s9
    assert "未发生公务用车购置费支出，与上年相同" in s9


def test_no_three_public_spending_at_all(runner, workbook_copy, tmp_path):
    path = workbook_copy(JINCHENG)
    wb = read_workbook(str(path), SHANXI)
    set_cells(path, {s.ref: 0 for s in (*wb["07"].groups["预算数"], *wb["07"].groups["决算数"])})
    s9 = _section(_build(runner, path, tmp_path), "（一）“三公”经费财政拨款支出决算总体情况说明", "（二）“三公”经费")
    assert "支出预算0.00元" not in s9 and "完成全年预算的" not in s9
    assert "2022年度未发生“三公”经费财政拨款支出，比上年度减少27,856.79元，下降100.00%。" in s9


def test_no_procurement_gives_no_share(runner, workbook_copy, tmp_path):
    path = workbook_copy(JINCHENG)
    wb = read_workbook(str(path), SHANXI)
    set_cells(path, {wb["10"].cells[n][0].ref: 0 for n in (1, 2, 3, 4)})
    _edit(path, {"授予中小企业合同金额": 0, "授予小微企业合同金额": 0})
    s10 = _section(_build(runner, path, tmp_path), "（二）政府采购情况说明", "（三）国有资产占用情况说明")
    assert "政府采购支出总额0.00元" not in s10 and "占政府采购支出总额" not in s10
    assert "晋城市人力资源和社会保障局2022年度未发生政府采购支出。" in s10


def test_a_project_or_the_whole_unit_without_budget_has_no_execution_rate(runner, workbook_copy, tmp_path):
    path = workbook_copy(XINZHOU)
    wb = read_workbook(str(path), SHANXI)
    set_cells(path, {wb.projects[0].funds[0].budget.ref: 0, wb.summaries[0].budget.ref: None})
    text = _build(runner, path, tmp_path, force=True)
    s10 = split_parts(text)["第三部分"].split("（四）预算绩效情况说明")[1]
    project = next(line for line in s10.splitlines() if line.startswith(wb.projects[0].name.value))
    assert "全年预算数0.00元，执行数1,495,800.00元。" in project and "完成预算的" not in project
    # The 忻州 sample's own 整体 self-evaluation states 全年预算数 0.
    assert "执行率为0.00%" not in s10
    assert "部门（单位）全年预算数为0.00元，执行数为0.00元。年度绩效目标完成情况" in s10


def test_a_change_too_small_for_two_decimals_is_not_zero_percent(runner, workbook_copy, tmp_path):
    path = workbook_copy(JINCHENG)
    income = audit(read_workbook(str(path), SHANXI), SHANXI).figures["01"]["收入总计"]
    _edit(path, {"上年收入总计": float(income - 1)})
    s1 = _section(_build(runner, path, tmp_path), "一、收入支出决算总体情况说明", "二、收入决算情况说明")
    assert "增长0.00%" not in s1
    assert "收入总计增加1.00元，增长不足0.01%" in s1


def test_no_projects_at_all(runner, workbook_copy, tmp_path):
    path = workbook_copy(JINCHENG)
    _delete_sheets(path)
    labels = ["一级项目自评个数", "二级项目自评个数", "项目自评涉及资金", "一级项目个数", "一级项目涉及资金",
              "二级项目个数", "二级项目涉及资金", "项目自评结果替换文字"]
    labels += [f"项目自评{f}项目支出" for f in ("一般公共预算", "政府性基金预算", "国有资本经营预算", "社会保险基金预算")]
    labels += [f"{level}级项目{grade}" for level in "一二" for grade in "优良中差"]
    _edit(path, dict.fromkeys(labels))
    text = _build(runner, path, tmp_path)
    s10 = split_parts(text)["第三部分"].split("（四）预算绩效情况说明")[1]
    assert "如下表述" not in s10 and "绩效自评个数0个" not in s10 and "涵盖一级项目0个" not in s10
    assert "（1）预算绩效管理工作开展情况\n本年度未开展项目支出绩效自评。" in s10
    assert "（2）项目绩效自评结果\n本年度未开展项目支出绩效自评。\n（3）" in s10
    assert split_parts(text)["第五部分"].splitlines()[1] == "本年度无公开的项目支出绩效自评表。"
