"""Mistakes clerks really make (issue 11): each is a finding naming the cell to change."""

from decimal import Decimal

from conftest import JINCHENG, XINZHOU, set_cells
from generator.audit import audit
from generator.findings import ERROR, WARNING
from generator.reader import read_workbook

D = Decimal


def _changed(workbook_copy, sample, changes):
    path = workbook_copy(sample)
    set_cells(path, changes(read_workbook(str(path))))
    return path, audit(read_workbook(str(path)))


def _by_rule(result, rule):
    return [f for f in result.findings if f.rule == rule]


def test_a_negative_carried_over_balance_is_an_error_naming_its_cell(workbook_copy):
    path, result = _changed(workbook_copy, JINCHENG, lambda wb: {wb.t01[29].ref: -0.01})
    [finding] = _by_rule(result, "金额不为负")
    assert finding.severity == ERROR
    assert finding.cells == ("公开01表!C36",)
    assert finding.message.startswith("公开01表!C36 为负数 -0.01，此处不能为负")


def test_a_negative_leaf_of_a_function_table_is_an_error(workbook_copy):
    _, result = _changed(workbook_copy, XINZHOU, lambda wb: {wb.t05.rows[-1].values[2].ref: -5})
    [finding] = _by_rule(result, "金额不为负")
    assert finding.cells[0].startswith("公开05表!E")


def test_a_negative_year_end_surplus_is_only_a_warning(workbook_copy):
    _, result = _changed(workbook_copy, JINCHENG, lambda wb: {wb.t01[60].ref: -3})
    assert not _by_rule(result, "金额不为负")
    [finding] = _by_rule(result, "结余为负请核实")
    assert finding.severity == WARNING and "年末结转和结余" in finding.message


def test_an_indicator_below_its_weight_needs_the_deviation_reason(workbook_copy):
    def blank_reason(wb):
        project = wb.projects[2]
        ind = next(i for i in project.indicators if i.score.amount < i.weight.amount)
        return {ind.deviation.ref: None}

    path, result = _changed(workbook_copy, JINCHENG, blank_reason)
    [finding] = result.findings
    assert finding.rule == "扣分须说明原因" and finding.severity == ERROR
    assert finding.cells[0] == "自评表03!J18"
    assert finding.message == ("自评表03（人事人才及社保专项）指标“成本指标”得分 5，低于分值 10，"
                               "但“偏差原因分析及改进措施”未填写：请在 自评表03!J18 写明扣分的原因和改进措施")


def test_a_full_score_needs_no_deviation_reason(workbook_copy):
    def blank_full(wb):
        ind = next(i for i in wb.projects[2].indicators if i.score.amount == i.weight.amount)
        return {ind.deviation.ref: None}

    _, result = _changed(workbook_copy, JINCHENG, blank_full)
    assert result.findings == []


def test_last_years_workbook_with_a_new_year_names_every_leftover(workbook_copy):
    _, result = _changed(workbook_copy, JINCHENG, lambda wb: {wb.unit["年度"].ref: 2023})
    errors = {f.cells[0]: f.message for f in result.findings if f.rule in ("年度一致", "比较的是上年")}
    assert {f"公开{n:02d}表!A4" for n in range(1, 11)} <= set(errors)
    assert {f"自评表{n:02d}!A2" for n in range(1, 14)} <= set(errors)
    assert errors["公开05表!A4"] == ("公开05表!A4 写的是“2022年度”，而单位信息的年度是 2023："
                                   "请改为2023年度（可能是上年工作簿留下的，表中数字也请一并核对）")
    assert errors["情况说明!B14"] == ("“五(三)替换文字”中“较2021年”与上年 2022 不符（单位信息的年度是 2023）："
                                   "请改为“较2022年”，并核对所比较的数字")
    assert len(errors) == 10 + 13 + 1  # 情况说明 mentions 2021 and 2022 elsewhere, rightly


def test_a_comparison_with_last_year_in_free_text_is_accepted(workbook_copy):
    _, result = _changed(workbook_copy, XINZHOU, lambda wb: {
        wb.inputs["收支总体变动原因"].ref: "与2021年决算相比增加，主要是2020年招聘的人员2022年转正"})
    assert result.findings == []


def test_a_comparison_with_another_year_names_the_text(workbook_copy):
    _, result = _changed(workbook_copy, XINZHOU, lambda wb: {
        wb.inputs["收支总体变动原因"].ref: "与2020年相比增加"})
    [finding] = result.findings
    assert finding.rule == "比较的是上年" and finding.cells[0] == "情况说明!B6"
    assert "请改为“与2021年”" in finding.message


def test_every_unreadable_cell_is_reported_in_one_run(runner, workbook_copy, tmp_path):
    from generator.cli import main

    path = workbook_copy(JINCHENG)
    set_cells(path, {"公开05表!D12": "十万", "公开01表!C8": "约10", "情况说明!B4": "1.19亿"})
    result = runner.invoke(main, ["build", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    assert lines[0] == "错误：有 3 个单元格无法读取，请逐一改正后再试："
    assert sorted(line.strip() for line in lines[1:]) == sorted([
        "公开05表!D12：应为金额（数字），实际为“十万”", "公开01表!C8：应为金额（数字），实际为“约10”",
        "情况说明!B4：应为金额（数字），实际为“1.19亿”"])


def test_a_workbook_of_words_lists_twenty_cells_and_counts_the_rest(runner, workbook_copy):
    from generator.cli import main

    path = workbook_copy(JINCHENG)
    wb = read_workbook(str(path))
    leaves = [v.ref for r in wb.t03.rows for v in r.values if v.value][:25]
    set_cells(path, {ref: "若干" for ref in leaves})
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[0] == f"错误：有 {len(leaves)} 个单元格无法读取，请逐一改正后再试："
    assert len(lines) == 1 + 20 + 1 and lines[-1].strip() == f"……另有 {len(leaves) - 20} 个未列出"
