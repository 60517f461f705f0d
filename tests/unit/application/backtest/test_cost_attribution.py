"""Costs per symbol for the report: cost_attribution and borrow_attribution, worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quantcli.application.analytics.report_analytics import (
    ALL_SYMBOLS,
    ATTRIBUTION_COLUMNS,
    borrow_attribution,
    cost_attribution,
)
from quantcli.domain.errors import ValidationError


def fills() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": ["BBB", "AAA", "BBB"],
            "quantity": [10.0, 5.0, 10.0],
            "price": [100.0, 20.0, 110.0],
            "commission": [1.0, 1.5, 1.0],
            "slippage": [0.5, 0.1, 0.5],
            "impact": [0.0, 0.0, 2.0],
        }
    )


def test_costs_are_summed_per_symbol_with_a_total_row() -> None:
    table = cost_attribution(fills(), {"BBB": 4.0})

    assert list(table.columns) == list(ATTRIBUTION_COLUMNS)
    assert list(table.index) == ["AAA", "BBB", ALL_SYMBOLS]
    aaa, bbb, total = (table.loc[name] for name in table.index)
    # AAA: 5 × 20 = 100 traded; 1.5 + 0.1 = 1.6 of costs, 160 bps.
    assert aaa.tolist() == pytest.approx([1, 100, 1.5, 0.1, 0, 0, 1.6, 160.0])
    # BBB: 1 000 + 1 100 traded; 2 + 1 + 2 + 4 borrow = 9, 9 / 2 100 = 42.857 bps.
    assert bbb.tolist() == pytest.approx([2, 2_100, 2, 1, 2, 4, 9, 9 / 2_100 * 1e4])
    assert total.tolist() == pytest.approx([3, 2_200, 3.5, 1.1, 2, 4, 10.6, 10.6 / 2_200 * 1e4])


def test_a_symbol_with_only_a_borrow_fee_still_gets_a_row() -> None:
    table = cost_attribution(fills(), {"CCC": 3.0})

    assert list(table.index) == ["AAA", "BBB", "CCC", ALL_SYMBOLS]
    assert table.loc["CCC", "borrow"] == 3.0
    assert table.loc["CCC", "n_fills"] == 0.0
    assert table.loc["CCC", "costs_bps_of_notional"] == 0.0  # nothing traded: no division
    assert table.loc[ALL_SYMBOLS, "total_costs"] == pytest.approx(1.6 + 5.0 + 3.0)


def test_no_fills_is_a_zero_total_row() -> None:
    table = cost_attribution(fills().iloc[:0])

    assert list(table.index) == [ALL_SYMBOLS]
    assert table.loc[ALL_SYMBOLS].tolist() == [0.0] * len(ATTRIBUTION_COLUMNS)


def test_bad_input_is_refused_naming_it() -> None:
    with pytest.raises(ValidationError, match="fills has no 'impact' column"):
        cost_attribution(fills().drop(columns="impact"))
    with pytest.raises(ValidationError, match="borrow fee of BBB is nan"):
        cost_attribution(fills(), {"BBB": math.nan})


def test_borrow_is_split_by_short_value_at_the_marks() -> None:
    index = pd.date_range("2024-01-01", periods=3, freq="D", tz="UTC")
    positions = pd.DataFrame({"AAA": [0.0, -10.0, -10.0], "BBB": [-5.0, -5.0, 20.0]}, index)
    # BBB has no bar on day 2: its short is valued at day 1's close, as the simulator does.
    marks = pd.DataFrame({"AAA": [10.0, 10.0, 12.0], "BBB": [40.0, np.nan, 50.0]}, index)

    split = borrow_attribution(positions, marks, total=9.0)

    # Short value: AAA 100 + 120 = 220; BBB 200 + 200 = 400 (long on day 3 pays nothing).
    assert split == pytest.approx({"AAA": 9.0 * 220 / 620, "BBB": 9.0 * 400 / 620})
    assert sum(split.values()) == pytest.approx(9.0)


def test_no_borrow_fee_or_no_short_attributes_nothing() -> None:
    index = pd.date_range("2024-01-01", periods=2, freq="D", tz="UTC")
    longs = pd.DataFrame({"AAA": [1.0, 2.0]}, index)
    marks = pd.DataFrame({"AAA": [10.0, 10.0]}, index)

    assert borrow_attribution(longs, marks, total=0.0) == {}
    assert borrow_attribution(longs, marks, total=5.0) == {}
    with pytest.raises(ValidationError, match="total borrow fee inf"):
        borrow_attribution(longs, marks, total=math.inf)
