"""The CLI's number formats: one look per kind of number, never a raw float or a signed zero."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest

from quantcli.entrypoints.cli.output import (
    count,
    decimal,
    money,
    number,
    percent,
    quantity,
    ratio,
    seconds,
    table,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (908, "908"),
        (5_700, "5,700"),
        (1896.0, "1,896"),
        (-1_234_567, "-1,234,567"),
        (np.int64(37_920), "37,920"),
        (Decimal("12000"), "12,000"),
        (-0.4, "0"),
    ],
)
def test_count_has_thousands_separators_and_no_decimals(value: object, text: str) -> None:
    assert count(value) == text  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1011806.3949, "1,011,806.39"),
        (-0.001, "0.00"),
        (Decimal("-0.004"), "0.00"),
        (-1816.34, "-1,816.34"),
        (0, "0.00"),
        (2288.0175924188866, "2,288.02"),
    ],
)
def test_money_has_two_decimals_and_separators(value: object, text: str) -> None:
    assert money(value) == text  # type: ignore[arg-type]


def test_decimal_and_ratio_have_fixed_places_and_no_signed_zero() -> None:
    assert decimal(0.9780278192222216) == "0.9780"
    assert decimal(0.95) == "0.9500"
    assert decimal(-0.00001) == "0.0000"
    assert decimal(0.5, 2) == "0.50"
    assert ratio(1.120931118826476) == "1.12"
    assert ratio(-0.001) == "0.00"


def test_percent_has_two_decimals_never_minus_zero_and_an_optional_sign() -> None:
    assert percent(-0.12594) == "-12.59%"
    assert percent(-0.00001) == "0.00%"
    assert percent(0.4407, signed=True) == "+44.07%"
    assert percent(0.05, signed=True) == "+5.00%"
    assert percent(-0.0, signed=True) == "+0.00%"
    assert percent(-0.00004, signed=True) == "+0.00%"
    assert percent(-0.02, signed=True) == "-2.00%"
    assert percent(12.5) == "1,250.00%"


@pytest.mark.parametrize("kind", [count, money, decimal, ratio, percent, number])
def test_missing_and_non_finite_values_read_as_words(kind: object) -> None:
    assert kind(None) == "-"  # type: ignore[operator]
    assert kind(math.nan) == "n/a"  # type: ignore[operator]
    assert kind(math.inf) == "inf"  # type: ignore[operator]
    assert kind(-math.inf) == "-inf"  # type: ignore[operator]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (118.74500000000002, "118.745"),
        (2288.0175924188866, "2,288.0176"),
        (0.95, "0.95"),
        (1.0, "1.0"),
        (-0.0, "0.0"),
        (1264, "1,264"),
        (np.float64(0.5153776282122401), "0.5154"),
        (0.00001234, "1.23e-05"),
        (True, "True"),
        ("text", "text"),
        (Decimal("0.0005"), "0.0005"),
    ],
)
def test_number_never_prints_a_raw_float_repr(value: object, text: str) -> None:
    assert number(value) == text


def test_seconds_has_one_decimal() -> None:
    assert seconds(117.19104286700002) == "117.2 s"


def test_table_formats_int_and_float_cells_and_right_aligns_them() -> None:
    rendered = table(
        ("metric", "value", "note"),
        [("trades", 6791, True), ("ratio", 118.74500000000002, False)],
    )

    assert rendered.splitlines() == [
        "metric    value  note",
        "------  -------  -----",
        "trades    6,791  True",
        "ratio   118.745  False",
    ]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("-10", "-10"),
        ("1234", "1,234"),
        ("10.000", "10"),
        ("-10.5", "-10.5"),
        ("1234.250", "1,234.25"),
        ("0.001", "0.001"),
    ],
)
def test_a_quantity_shows_its_fractional_part_and_never_rounds_it(value: str, shown: str) -> None:
    assert quantity(Decimal(value)) == shown
