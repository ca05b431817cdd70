"""Totals are recomputed from the leaves, and the recomputed figures are the ones printed."""

from decimal import Decimal

from conftest import SHANXI, XINZHOU, set_cells
from generator.audit import audit
from generator.reader import read_workbook
from generator.recompute import recompute
from generator.context import report_context

D = Decimal


def _row(table, code):
    return next(r for r in table.rows if r.code == code)


def _line(lines, code):
    return next(line for line in lines if line.code == code)


def _context(path):
    wb = read_workbook(str(path), SHANXI)
    result = audit(wb, SHANXI)
    return wb, result, report_context(wb, result.figures, result.projects, None, SHANXI)


def test_a_05_leaf_changes_its_totals_04_and_every_sentence(workbook_copy):
    path = workbook_copy()
    before_wb, before, before_ctx = _context(path)
    leaf = _row(before_wb["05"], "2080101").values[1]  # 行政运行 基本支出, 7,518,127.01
    assert leaf.value == D("7518127.01")
    set_cells(path, {leaf.ref: 7518227.01})

    wb, result, ctx = _context(path)
    fig = result.figures
    assert _line(fig["05"], "20801").values[:2] == (D("11899061.21"), D("7518227.01"))
    assert _line(fig["05"], "208").values[0] == D("61443764.55")
    assert fig["05"][0].values[:2] == (D("62281277.64"), D("8714263.94"))
    # 04: the 类 row and the totals follow 05.
    assert fig["04"].values[40][:2] == (D("61443764.55"), D("61443764.55"))
    assert fig["04"].values[59][0] == fig["04"].values[64][0] == D("62281277.64")
    # The printed tables carry the recomputed figures.
    t05_total = ctx["t05"]["rows"][0]["v"]
    assert t05_total[:2] == ["62281277.64", "8714263.94"]
    # Every sentence built on them changed.
    n, old = ctx["narrative"], before_ctx["narrative"]
    assert "支出总计62,281,277.64元" in n["s4"][0]
    assert n["s5_1"][0].startswith("晋城市人力资源和社会保障局2022年财政拨款决算支出62,281,277.64元")
    assert "社会保障和就业支出(类)61,443,764.55元，占比98.66%" in n["s5_2"][1]
    assert "基本支出8,714,263.94元" in n["s6"][0]
    for key in ("s4", "s5_1", "s5_2", "s5_3", "s6"):
        assert n[key] != old[key], key
    for key in ("s1", "s2", "s3", "s9_1", "s10_1"):
        assert n[key] == old[key], key
    # The stated 款, 类 and 合计 no longer add up: each is reported with the changed cell.
    cells = {c for f in result.findings for c in f.cells}
    assert leaf.ref in cells
    stated_kuan = _row(wb["05"], "20801").values[1].ref
    assert any(f.cells[0] == stated_kuan and leaf.ref in f.cells for f in result.findings)


def test_a_03_leaf_changes_01_totals_and_sentences(workbook_copy):
    path = workbook_copy()
    wb0, _, ctx0 = _context(path)
    leaf = _row(wb0["03"], "2080102").values[2]  # 一般行政管理事务 项目支出
    set_cells(path, {leaf.ref: 1424421.20})
    wb, result, ctx = _context(path)
    t01 = {n: v[0] for n, v in result.figures["01"].values.items()}
    assert t01[39] == D("61449764.55")
    assert t01[58] == D("62287277.64")
    assert t01[62] == D("62373282.64")
    assert "支出总计62,373,282.64元" in ctx["narrative"]["s1"][0]
    assert ctx["narrative"]["s3"][0] == "2022年度支出合计62,287,277.64元，其中："
    assert ctx["narrative"]["s3"][2] == "项目支出53,573,113.70元，占比86.01%；"
    assert ctx["narrative"]["s2"] == ctx0["narrative"]["s2"]
    # 01 收入总计 no longer equals 支出总计.
    assert any(f.rule == "01收支平衡" for f in result.errors)


def test_stated_total_is_replaced_by_the_recomputed_one(workbook_copy):
    path = workbook_copy(XINZHOU)
    wb0 = read_workbook(str(path), SHANXI)
    total = wb0["02"].total[0]
    set_cells(path, {total.ref: 1})
    wb = read_workbook(str(path), SHANXI)
    fig = recompute(wb, SHANXI)
    assert fig["02"][0].values[0] == D("14250607.65")
    finding = next(f for f in fig.findings if f.cells[0] == total.ref)
    assert finding.message == ("公开02表 合计“本年收入合计”：填列 1.00，按明细重算 14,250,607.65，"
                               "前者比后者少 14,250,606.65")


def test_samples_recompute_to_their_stated_totals():
    for path in (XINZHOU,):
        assert recompute(read_workbook(str(path), SHANXI), SHANXI).findings == []
