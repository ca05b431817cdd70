"""Every audit rule: one change to a sample breaks it, and the finding names the changed cell."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docx import Document
from openxml_audit import OpenXmlValidator

from conftest import Merged, JINCHENG, XINZHOU, set_cells
from generator.audit import audit, rules
from generator.cli import main
from generator.findings import ERROR
from generator.catalog import load_format
from generator.reader import read_workbook

SHANXI = load_format()

D = Decimal


def row(table, code):
    return next(r for r in table.rows if r.code == code)


def bump(stated, delta="100"):
    return float(stated.amount + D(delta))  # written as Excel writes numbers


# (id, sample, changes(wb) -> {ref: value}, rule expected, the only rule that breaks?)
CASES = [
    ("款=Σ下级", JINCHENG, lambda wb: {row(wb["05"], "20801").values[1].ref: 1}, "款=Σ下级", True),
    ("类=Σ下级", JINCHENG, lambda wb: {row(wb["03"], "210").values[1].ref: 1}, "类=Σ下级", True),
    ("合计=Σ类", JINCHENG, lambda wb: {wb["05"].total[2].ref: 1}, "合计=Σ类", True),
    ("02行内", JINCHENG, lambda wb: {row(wb["02"], "2080101").values[0].ref: 1}, "公开02表行内关系", True),
    ("05行内", XINZHOU, lambda wb: {wb["05"].rows[-1].values[0].ref: 1}, "公开05表行内关系", True),
    ("08合计", JINCHENG, lambda wb: {wb["08"].total[1].ref: 5}, "合计=Σ类", True),
    ("09合计", XINZHOU, lambda wb: {wb["09"].total[0].ref: 5}, "合计=Σ类", True),
    ("01收入=02", JINCHENG, lambda wb: {wb["01"].cells[8][0].ref: 1}, "01收入=02合计", True),
    ("01支出类=03", JINCHENG, lambda wb: {wb["01"].cells[40][0].ref: 1}, "01支出类=03类", True),
    ("01合计行", JINCHENG, lambda wb: {wb["01"].cells[27][0].ref: 1}, "01合计行", True),
    ("01收支平衡", JINCHENG, lambda wb: {wb["01"].cells[29][0].ref: bump(wb["01"].cells[29][0]), wb["01"].cells[31][0].ref: bump(wb["01"].cells[31][0])},
     "01收支平衡", True),
    ("01财政拨款=02", XINZHOU, lambda wb: {wb["01"].cells[1][0].ref: 1}, "01财政拨款=02财政拨款收入", False),
    ("04收入=01", JINCHENG, lambda wb: {wb["04"].cells[1][0].ref: 1}, "04收入=01收入", True),
    ("04合计行", JINCHENG, lambda wb: {wb["04"].cells[27][0].ref: 1}, "04合计行", True),
    ("04收支平衡", JINCHENG, lambda wb: {wb["04"].cells[n][0].ref: bump(wb["04"].cells[n][0]) for n in (29, 28, 32)},
     "04收支平衡", True),
    ("04类=05", JINCHENG, lambda wb: {wb["04"].cells[41][1].ref: 1}, "04类=05类", True),
    ("04合计=三项", JINCHENG, lambda wb: {wb["04"].cells[41][0].ref: 1}, "04合计=三项之和", True),
    ("04空行", JINCHENG, lambda wb: {wb["04"].cells[62][0].ref: 5}, "空行不填数", True),
    ("01空行", XINZHOU, lambda wb: {wb["01"].cells[12][0].ref: 5}, "空行不填数", True),
    ("06类=Σ款", JINCHENG, lambda wb: {wb["06"].rows["301"][0].ref: 1}, "06类=Σ款", True),
    ("06经费合计", JINCHENG, lambda wb: {wb["06"].totals["公用经费合计"][0].ref: 1}, "06经费合计", True),
    ("05合计与06", JINCHENG, lambda wb: {r.ref: bump(r) for r in (wb["06"].rows["30101"][0], wb["06"].rows["301"][0],
                                                                  wb["06"].totals["人员经费合计"][0])},
     "05合计=06经费合计", False),
    ("自评涉及资金", JINCHENG, lambda wb: {wb.inputs["二级项目涉及资金"].ref: 45802700}, "自评涉及资金=自评表预算数", False),
    ("05与06", JINCHENG, lambda wb: {r.ref: bump(r) for r in (wb["06"].rows["30101"][1], wb["06"].rows["301"][1],
                                                              wb["06"].totals["人员经费合计"][1])},
     "05基本支出=06经费合计", True),
    ("06基本≤金额", XINZHOU, lambda wb: {wb["06"].rows["30101"][1].ref: bump(wb["06"].rows["30101"][1])},
     "06基本支出≤金额", False),
    ("07小计", JINCHENG, lambda wb: {wb["07"].groups["决算数"][2].ref: 1}, "07小计=购置+运行", True),
    ("07合计", JINCHENG, lambda wb: {wb["07"].groups["预算数"][0].ref: 1}, "07合计=三项之和", True),
    ("07与06", JINCHENG, lambda wb: {wb["07"].groups["决算数"][5].ref: bump(wb["07"].groups["决算数"][5]),
                                     wb["07"].groups["决算数"][0].ref: bump(wb["07"].groups["决算数"][0])}, "07决算与06对应科目", True),
    ("10采购合计", JINCHENG, lambda wb: {wb["10"].cells[1][0].ref: 1}, "10采购合计", True),
    ("10车辆合计", JINCHENG, lambda wb: {wb["10"].cells[7][0].ref: 8}, "10车辆合计", True),
    ("10机关运行经费", JINCHENG, lambda wb: {wb["10"].cells[5][0].ref: bump(wb["10"].cells[5][0])},
     "10机关运行经费=06公用经费基本", True),
    ("上年数量级", JINCHENG, lambda wb: {wb.inputs["上年收入总计"].ref: 11890.65}, "上年数量级", True),
    ("可选项已填", JINCHENG, lambda wb: {wb.inputs["整体自评得分"].ref: None}, "可选项已填", True),
    ("小微≤中小", JINCHENG, lambda wb: {wb.inputs["授予小微企业合同金额"].ref: 70000}, "小微企业≤中小企业", True),
    ("中小≤采购", XINZHOU, lambda wb: {wb.inputs["授予中小企业合同金额"].ref: 3000000}, "中小企业≤采购合计", True),
    ("金额不为负", JINCHENG, lambda wb: {wb.inputs["上年机关运行经费"].ref: -1}, "金额不为负", True),
    ("表中负数", JINCHENG, lambda wb: {wb["01"].cells[29][0].ref: -0.01}, "金额不为负", False),
    ("结余为负", JINCHENG, lambda wb: {wb["01"].cells[60][0].ref: -3}, "结余为负请核实", False),
    ("扣分须说明原因", JINCHENG, lambda wb: {wb.projects[2].indicators[6].deviation.ref: None}, "扣分须说明原因",
     True),
    ("年度一致", XINZHOU, lambda wb: {"公开07表!A4": "2021年度"}, "年度一致", True),
    ("比较的是上年", JINCHENG, lambda wb: {wb.inputs["五(三)替换文字"].ref: "较2020年决算减少"}, "比较的是上年", True),
    ("上年数已填", XINZHOU, lambda wb: {wb.inputs["上年收入总计"].ref: None}, "上年数已填", True),
    ("个数已填", JINCHENG, lambda wb: {wb.inputs["国内接待批次"].ref: None}, "个数已填", True),
    ("比例不超过100%", JINCHENG, lambda wb: {wb.inputs["项目自评占项目支出总额比例"].ref: 150}, "比例不超过100%", True),
    ("绩效等级个数", JINCHENG, lambda wb: {wb.inputs["二级项目优"].ref: 9}, "绩效等级个数=自评表", True),
    ("项目综述元", XINZHOU, lambda wb: {wb.summaries[1].spent.ref: 489921.85}, "项目综述元=自评表万元", True),
    ("公式无结果", JINCHENG, lambda wb: {row(wb["05"], "2080101").values[1].ref: "=7518127.01"},
     "公式有计算结果", False),
    ("附件结余", JINCHENG, lambda wb: {wb.projects[0].funds[0].balance.ref: 1}, "附件资金结（转）余", True),
    ("附件执行率", XINZHOU, lambda wb: {wb.projects[0].funds[1].rate.ref: 99.7}, "附件执行率", True),
    ("附件得分", XINZHOU, lambda wb: {wb.projects[2].funds[0].score.ref: 9.06}, "附件得分", True),
    ("附件总分", JINCHENG, lambda wb: {wb.projects[6].stated_total.ref: 66.3}, "附件总分", True),
    ("附件等级", JINCHENG, lambda wb: {wb.projects[4].stated_grade.ref: "优"}, "附件等级", True),
    ("本年决算数已填", JINCHENG, lambda wb: {s.ref: None for s in _figure_cells(wb)}, "本年决算数已填", False),
    ("自评个数", JINCHENG, lambda wb: {wb.inputs["二级项目个数"].ref: 12}, "自评个数=自评表张数", False),
    ("涉及资金分预算", JINCHENG, lambda wb: {wb.inputs["项目自评政府性基金预算项目支出"].ref: 100},
     "涉及资金=各预算之和", True),
    ("附件指标得分≤分值", JINCHENG, lambda wb: {wb.projects[0].indicators[0].score.ref: 25},
     "附件指标得分≤分值", False),
    ("科目名称已填", XINZHOU, lambda wb: {wb["03"].rows[-1].name_ref: None}, "科目名称已填", True),
    ("合并单元格", JINCHENG, lambda wb: {row(wb["02"], "2080101").name_ref: Merged("B10:B11")}, "合并单元格", True),
]


# The published samples evaluated more projects than they publish 自评表 for: warnings of their own.
SAMPLE_WARNINGS = {"自评个数=自评表张数", "自评涉及资金=自评表预算数"}


def _apply(workbook_copy, sample, changes):
    path = workbook_copy(sample)
    changes = changes(read_workbook(str(path), SHANXI))
    set_cells(path, changes)
    return path, changes


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_each_rule_names_the_changed_cell(workbook_copy, case):
    _, sample, changes, rule, only = case
    path, changes = _apply(workbook_copy, sample, changes)
    findings = audit(read_workbook(str(path), SHANXI), SHANXI).findings
    hits = [f for f in findings if f.rule == rule]
    assert hits, [f.message for f in findings]
    # Every finding carries the name of a rule the format declares (and the 审核报告 lists).
    assert [f.rule for f in findings if f.rule not in {r.name for r in rules(SHANXI)}] == []
    assert any(ref in f.cells for f in hits for ref in changes)
    if only:
        assert {f.rule for f in findings} - SAMPLE_WARNINGS == {rule}, [f.message for f in findings]


# Rules no typed cell breaks, each exercised where a row is taken out of a sheet.
ROW_RULES = {"缺行按空白": "tests/test_reader.py, tests/test_format_changes.py"}


def test_every_declared_rule_is_exercised():
    exercised = {c[3] for c in CASES} | set(ROW_RULES)
    declared = {r.name for r in rules(SHANXI) if r.check is not None}
    assert declared - exercised == set()


def test_uncalculated_formula_totals_are_absorbed_by_recomputation(workbook_copy):
    """A total saved as a formula without its result (openpyxl, some web tools) is recomputed."""
    path = workbook_copy()
    wb = read_workbook(str(path), SHANXI)
    totals = {wb["05"].total[0].ref: "=SUM(C9:C12)", row(wb["05"], "208").values[1].ref: "=D10+D16",
              wb["01"].cells[27][0].ref: "=SUM(C8:C15)"}
    set_cells(path, totals)
    result = audit(read_workbook(str(path), SHANXI), SHANXI)
    assert {f.rule for f in result.findings} <= SAMPLE_WARNINGS
    assert result.figures["05"][0].values[0] == D("62281177.64")


def test_samples_check_clean(runner):
    for sample in (JINCHENG, XINZHOU):
        result = runner.invoke(main, ["check", str(sample)])
        assert result.exit_code == 0, result.output
        assert "共 0 个错误" in result.output
        assert {f.rule for f in audit(read_workbook(str(sample), SHANXI), SHANXI).warnings} <= SAMPLE_WARNINGS


def test_the_published_sme_defect_is_flagged(workbook_copy):
    """晋城 printed 授予中小企业合同金额0元 beside 其中小微企业67,980元 (spec §6)."""
    path, _ = _apply(workbook_copy, JINCHENG, lambda wb: {wb.inputs["授予中小企业合同金额"].ref: 0})
    [finding] = audit(read_workbook(str(path), SHANXI), SHANXI).errors
    assert finding.message == ("授予小微企业合同金额超过授予中小企业合同金额（小微企业是中小企业的一部分）："
                               "小微企业 67,980.00，中小企业 0.00，前者比后者多 67,980.00")
    assert finding.cells == ("情况说明!B50", "情况说明!B49")


def test_finding_message_gives_both_sides_and_the_difference(workbook_copy):
    path, _ = _apply(workbook_copy, JINCHENG, lambda wb: {wb["05"].total[0].ref: 62281178.64})
    [finding] = audit(read_workbook(str(path), SHANXI), SHANXI).errors
    assert finding.severity == ERROR
    assert finding.message == "公开05表 合计“小计”：填列 62,281,178.64，按明细重算 62,281,177.64，前者比后者多 1.00"
    assert finding.cells[0] == "公开05表!C8"


def test_check_json_and_exit_code(runner, workbook_copy):
    import json

    path, _ = _apply(workbook_copy, JINCHENG, lambda wb: {wb["10"].cells[1][0].ref: 1})
    result = runner.invoke(main, ["check", str(path), "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["errors"] == 1 and data["findings"][0]["cells"][0] == "公开10表!C7"
    text = runner.invoke(main, ["check", str(path)])
    assert text.exit_code == 1
    assert text.output.splitlines()[0] == "[公开10表]"
    assert text.output.splitlines()[-1].startswith("审核完成：共 1 个错误、")


BUILD_CASES = [c for c in CASES if c[0] in (
    "01合计行", "合计=Σ类", "类=Σ下级", "08合计", "09合计", "02行内", "04类=05", "05行内", "06类=Σ款", "07小计", "10采购合计", "附件总分")]


@pytest.mark.parametrize("case", BUILD_CASES, ids=[c[0] for c in BUILD_CASES])
def test_build_refuses_and_force_writes_a_draft(runner, workbook_copy, tmp_path, case):
    _, sample, changes, _, _ = case
    path, _ = _apply(workbook_copy, sample, changes)
    out = tmp_path / "out"
    result = runner.invoke(main, ["build", str(path), "-o", str(out)])
    assert result.exit_code == 1
    assert "未生成报告" in result.output
    assert not list(out.glob("*.docx"))
    assert list(out.glob("*审核报告.html"))
    forced = runner.invoke(main, ["build", str(path), "-o", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    [report] = out.glob("*.docx")
    from conftest import docx_lines

    text = "\n".join(docx_lines(report))
    assert "草稿（审核未通过，不得公开）" in text
    header = Document(str(report)).sections[1].header.paragraphs[0].text  # [0]: cover and 目录
    assert header.endswith("年单位决算公开报告（草稿）")
    assert OpenXmlValidator().validate(str(report)).is_valid
    assert "附：审核发现的问题（草稿）" in text


def test_warnings_block_only_with_strict(runner, workbook_copy, tmp_path):
    path, _ = _apply(workbook_copy, XINZHOU, lambda wb: {wb.inputs["上年收入总计"].ref: None})
    assert runner.invoke(main, ["build", str(path), "-o", str(tmp_path)]).exit_code == 0
    strict = runner.invoke(main, ["build", str(path), "-o", str(tmp_path / "s"), "--strict"])
    assert strict.exit_code == 1
    assert not list((tmp_path / "s").glob("*.docx"))


def _figure_cells(wb):
    """Stated table and 附件 figures that take part in at least one relation."""
    cells = []
    cells += [s for n, ss in wb["01"].cells.items() for s in ss]
    for table in (wb["02"], wb["03"], wb["05"]):
        cells += [v for r in table.rows for v in r.values] + list(table.total or ())
    cells += [v for n, vs in wb["04"].cells.items() for v in vs]
    cells += [v for pair in wb["06"].rows.values() for v in pair if v.value is not None]
    cells += list(wb["06"].totals["人员经费合计"] + wb["06"].totals["公用经费合计"] + wb["07"].groups["预算数"] + wb["07"].groups["决算数"])
    cells += [s for n, ss in wb["10"].cells.items() if n != 17 for s in ss]  # 17: equipment count, related to nothing
    for p in wb.projects:
        for f in p.funds:
            cells += [f.budget, f.spent, f.balance, f.rate, f.score]
        cells += [i.score for i in p.indicators]
    return cells


SAMPLE_CELLS = {path: _figure_cells(read_workbook(str(path), SHANXI)) for path in (JINCHENG, XINZHOU)}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_changes_are_always_reported(workbook_copy, data):
    sample = data.draw(st.sampled_from([JINCHENG, XINZHOU]))
    picks = data.draw(st.lists(st.sampled_from(SAMPLE_CELLS[sample]), min_size=1, max_size=3,
                               unique_by=lambda s: s.ref))
    # Distinct deltas: equal changes to a figure and its own total would be a consistent edit,
    # which no audit can (or should) tell from a correction.
    deltas = data.draw(st.lists(st.decimals(min_value=D("0.01"), max_value=D("99999"), places=2),
                                min_size=len(picks), max_size=len(picks), unique=True))
    path = workbook_copy(sample)
    set_cells(path, {s.ref: float(s.amount + d) for s, d in zip(picks, deltas)})
    findings = audit(read_workbook(str(path), SHANXI), SHANXI).findings
    reported = {c for f in findings for c in f.cells}
    for stated in picks:
        assert stated.ref in reported, (stated, [f.message for f in findings])


def test_every_declared_rule_has_a_name_for_the_clerk():
    from generator.auditlog import title

    assert [r.name for r in rules(SHANXI) if title(r.name, SHANXI) in ("", r.name) or not r.description] == []