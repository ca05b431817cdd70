"""Wording rules of 情况说明: 增加/减少/持平, zero base, 。。, escaping."""

from decimal import Decimal

from generator.narrative import Change, clause
from generator.catalog import load_format
from generator.context import narrative_env

D = Decimal


def _change(current, prior, flat="与上年持平"):
    module = narrative_env(load_format().templates).get_template("narrative.j2").make_module()
    return str(module.change(Change(D(current), D(prior)), flat))


def test_increase_decrease_flat():
    assert _change("110", "100") == "增加10.00元，增长10.00%"
    assert _change("90", "100") == "减少10.00元，下降10.00%"
    assert _change("100", "100") == "与上年持平"
    assert _change("100", "100", "与上年相同") == "与上年相同"


def test_zero_prior_leaves_out_the_percentage():
    assert _change("100", "0") == "增加100.00元"
    assert Change(D(100), D(0)).pct is None


def test_typed_text_loses_trailing_punctuation():
    assert clause("22年度项目支出减少。") == "22年度项目支出减少"
    assert clause("一是…；二是无。；") == "一是…；二是无"


def test_annex_numbers_in_chinese():
    from generator.money import chinese_number

    assert [chinese_number(n) for n in (1, 10, 13, 26, 40, 105, 110, 115, 200, 1010)] == [
        "一", "十", "十三", "二十六", "四十", "一百零五", "一百一十", "一百一十五", "二百", "一千零一十"]


def test_blank_prior_says_nothing_and_a_tiny_change_is_not_zero_percent():
    module = narrative_env(load_format().templates).get_template("narrative.j2").make_module()
    assert str(module.change(Change(D("100"), None))) == ""
    assert str(module.vs_last_year(Change(D("100"), None))) == ""
    assert _change("1000000.01", "1000000") == "增加0.01元，增长不足0.01%"
    assert _change("999999.99", "1000000") == "减少0.01元，下降不足0.01%"
    assert _change("100050", "100000") == "增加50.00元，增长0.05%"
