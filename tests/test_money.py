from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.money import (
    fmt_count, fmt_money, fmt_percent, fmt_plain, fmt_table, parse_decimal, percent, wan_to_yuan,
)

D = Decimal


def test_percent_rounds_half_up_at_005():
    assert percent(D("1.005"), D("100")) == D("1.01")  # round() would give 1.00
    assert percent(D("2.675"), D("100")) == D("2.68")
    assert percent(D("1"), D("3")) == D("33.33")
    assert percent(D("5"), D("0")) == D("0.00")


def test_seed_percentages():
    assert percent(D("56533273.95"), D("118906456.59")) == D("47.54")
    assert percent(D("2917.00"), D("11620.00")) == D("25.10")  # the seed printed 25.1
    assert percent(D("15283.24"), D("180939.50")) == D("8.45")  # the seed truncated to 8.44


def test_formats():
    assert fmt_money(D("62373182.64")) == "62,373,182.64"
    assert fmt_money(D("0")) == "0.00"
    assert fmt_table(D("62281177.64")) == "62281177.64"
    assert fmt_table(D("0")) == "" and fmt_table(None) == ""
    assert fmt_table(D("7663859.6")) == "7663859.60"
    assert fmt_percent(D("100")) == "100.00"
    assert fmt_count(D("7")) == "7"
    assert fmt_plain(D("97.200")) == "97.2" and fmt_plain(D("0")) == "0"


def test_wan_to_yuan_is_exact():
    assert wan_to_yuan(D("149.58")) == D("1495800")
    assert wan_to_yuan(D("2125.867")) == D("21258670")


@pytest.mark.parametrize("raw,expected", [
    ("1,234.56", D("1234.56")), ("１２３", D("123")), (" 12 ", D("12")), ("-", None),
    ("—", None), ("", None), (None, None), (17000, D("17000")), (7663859.6, D("7663859.6")),
])
def test_parse_decimal(raw, expected):
    assert parse_decimal(raw) == expected


def test_parse_decimal_rejects_words():
    with pytest.raises(ValueError):
        parse_decimal("约五万")


@given(st.decimals(min_value=0, max_value=10**9, places=2), st.decimals(min_value=D("0.01"), max_value=10**9, places=2))
def test_percent_is_the_half_up_rounding_of_the_exact_ratio(part, whole):
    exact = part * 100 / whole
    result = percent(part, whole)
    assert abs(result - exact) <= D("0.005")
    assert result.as_tuple().exponent == -2


@pytest.mark.parametrize("raw", [10**26, 1e26, "1e999", Decimal("1E+30"), float("inf"), -1e308])
def test_an_amount_beyond_any_budget_is_unreadable_not_a_crash(raw):
    with pytest.raises(ValueError):
        parse_decimal(raw)
