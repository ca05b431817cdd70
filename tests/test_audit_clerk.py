"""Mistakes clerks really make (issue 11): each is a finding naming the cell to change."""

from decimal import Decimal

from conftest import JINCHENG, SHANXI, XINZHOU, set_cells
from generator.audit import audit
from generator.findings import ERROR, WARNING
from generator.reader import read_workbook

D = Decimal


def _new_findings(path, sample):
    """The audit of ``path`` without the sample's own findings (the samples carry two 十(四)
    count warnings, transcribed from the published reports)."""
    from dataclasses import replace

    known = {(f.rule, f.cells) for f in audit(read_workbook(str(sample), SHANXI), SHANXI).findings}
    result = audit(read_workbook(str(path), SHANXI), SHANXI)
    return replace(result, findings=[f for f in result.findings if (f.rule, f.cells) not in known])


def _changed(workbook_copy, sample, changes):
    path = workbook_copy(sample)
    set_cells(path, changes(read_workbook(str(path), SHANXI)))
    return path, _new_findings(path, sample)


def _by_rule(result, rule):
    return [f for f in result.findings if f.rule == rule]


def test_a_negative_carried_over_balance_is_an_error_naming_its_cell(workbook_copy):
    path, result = _changed(workbook_copy, JINCHENG, lambda wb: {wb["01"].cells[29][0].ref: -0.01})
    [finding] = _by_rule(result, "金额不为负")
    assert finding.severity == ERROR
    assert finding.cells == ("公开01表!C36",)
    assert finding.message.startswith("公开01表!C36 为负数 -0.01，此处不能为负")


def test_a_negative_leaf_of_a_function_table_is_an_error(workbook_copy):
    _, result = _changed(workbook_copy, XINZHOU, lambda wb: {wb["05"].rows[-1].values[2].ref: -5})
    [finding] = _by_rule(result, "金额不为负")
    assert finding.cells[0].startswith("公开05表!E")


def test_a_negative_year_end_surplus_is_only_a_warning(workbook_copy):
    _, result = _changed(workbook_copy, JINCHENG, lambda wb: {wb["01"].cells[60][0].ref: -3})
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
    wb = read_workbook(str(path), SHANXI)
    leaves = [v.ref for r in wb["03"].rows for v in r.values if v.value][:25]
    set_cells(path, {ref: "若干" for ref in leaves})
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[0] == f"错误：有 {len(leaves)} 个单元格无法读取，请逐一改正后再试："
    assert len(lines) == 1 + 20 + 1 and lines[-1].strip() == f"……另有 {len(leaves) - 20} 个未列出"


def _d11_typo(workbook_copy):
    """A 基本支出 leaf of 公开05表 typed 100 too high: every total above it and 04 disagree."""
    def bump(wb):
        leaf = next(r for r in wb["05"].rows if r.code == "2080101").values[1]
        return {leaf.ref: float(leaf.amount + 100)}
    path, result = _changed(workbook_copy, JINCHENG, bump)
    return path, result


def test_one_typo_is_one_group_under_the_typed_cell(workbook_copy):
    from generator.auditlog import sections

    _, result = _d11_typo(workbook_copy)
    [section] = sections(result.findings, SHANXI)
    assert section.cause == "公开05表!D11"
    assert len(section.findings) == len(result.findings) == 16
    assert section.heading.startswith("最可能需要修改：公开05表!D11（按各合计，它多填了 100.00，请核对；")
    assert all(f.cells[0] == "公开05表!D11" for f in section.findings if "公开05表!D11" in f.cells)
    assert section.findings[0].cells[0] == "公开05表!D11"


def test_a_recomputed_figure_is_not_called_typed_and_the_difference_has_one_direction(workbook_copy):
    _, result = _d11_typo(workbook_copy)
    [t05_vs_t06] = _by_rule(result, "05基本支出=06经费合计")
    assert t05_vs_t06.message.endswith("公开05表按明细为 8,714,263.94，公开06表按明细为 8,714,163.94，前者比后者多 100.00")
    assert all("相差" not in f.message for f in result.findings)
    [balance] = _by_rule(result, "04收支平衡")
    assert "收入总计 62,281,177.64，支出总计 62,281,277.64，前者比后者少 100.00" in balance.message


def test_an_unsaved_formula_comes_first_in_its_group(workbook_copy):
    from generator.auditlog import sections

    path = workbook_copy(JINCHENG)
    leaf = next(r for r in read_workbook(str(path), SHANXI)["05"].rows if r.code == "2080101").values[1]
    set_cells(path, {leaf.ref: "=1+1"})
    [section] = sections(_new_findings(path, JINCHENG).findings, SHANXI)
    assert section.cause == leaf.ref and section.findings[0].rule == "公式有计算结果"


def test_unrelated_mistakes_stay_apart(workbook_copy):
    from generator.auditlog import sections

    _, result = _changed(workbook_copy, JINCHENG, lambda wb: {wb["10"].cells[1][0].ref: 1, wb["07"].groups["决算数"][2].ref: 1})
    assert [s.cause for s in sections(result.findings, SHANXI)] == [None, None]
    assert [s.heading for s in sections(result.findings, SHANXI)] == ["公开07表", "公开10表"]


def test_the_audit_report_is_written_for_the_clerk(workbook_copy, tmp_path):
    import re

    from generator.auditlog import write_audit_report

    path, result = _d11_typo(workbook_copy)
    page = write_audit_report(result, read_workbook(str(path), SHANXI), tmp_path / "审核报告.html", SHANXI).read_text("utf-8")
    assert re.search(r"\.level\{[^}]*white-space:nowrap", page)
    assert "<td class='level'>错误</td>" in page
    rows = re.findall(r"<tr><td class='level'>.*?</tr>", page)
    assert len(rows) == 16
    assert all(row.count("!") <= 6 for row in rows), max(rows, key=lambda r: r.count("!"))
    assert "等 27 个单元格" in page
    assert "Σ" not in page and "款=Σ下级" not in page
    assert "<td>款不等于其下各项之和</td>" in page
    assert "最可能需要修改：公开05表!D11" in page


def _formatted(path, ref, value, number_format):
    from openpyxl import load_workbook

    book = load_workbook(path)
    sheet, cell = ref.split("!")
    book[sheet][cell].value = value
    book[sheet][cell].number_format = number_format
    book.save(path)


def test_a_percent_typed_as_a_percentage_reads_as_excel_shows_it(runner, workbook_copy, tmp_path):
    from conftest import docx_lines
    from generator.cli import main

    path = workbook_copy(JINCHENG)
    share = read_workbook(str(path), SHANXI).inputs["项目自评占项目支出总额比例"].ref
    _formatted(path, share, 0.9954, "0.00%")
    assert read_workbook(str(path), SHANXI).figure("项目自评占项目支出总额比例").value == D("99.54")
    out = tmp_path / "out"
    assert runner.invoke(main, ["build", str(path), "-o", str(out)]).exit_code == 0
    [report] = out.glob("*.docx")
    text = "\n".join(docx_lines(report))
    assert "占本部门（单位）项目支出总额的99.54%" in text


def test_a_self_evaluation_value_formatted_as_percent_keeps_its_percent_sign(workbook_copy):
    path = workbook_copy(XINZHOU)
    from openpyxl import load_workbook

    ind = read_workbook(str(path), SHANXI).projects[0].indicators[0]
    sheet, cell = ind.ref.split("!")
    header = next(c for row in load_workbook(path)[sheet].iter_rows() for c in row if c.value == "实际完成值")
    _formatted(path, f"{sheet}!{header.column_letter}{cell[1:]}", 0.95, "0%")
    assert read_workbook(str(path), SHANXI).projects[0].indicators[0].actual == "95%"


def test_a_money_cell_formatted_as_percent_is_unreadable(runner, workbook_copy):
    from generator.cli import main

    path = workbook_copy(JINCHENG)
    _formatted(path, "公开05表!D12", 1.0, "0%")
    result = runner.invoke(main, ["check", str(path)])
    assert result.exit_code == 2
    assert result.output == "错误：公开05表!D12：应为金额（数字；这一格设成了百分比格式，请改为数值格式），实际为“100%”\n"
