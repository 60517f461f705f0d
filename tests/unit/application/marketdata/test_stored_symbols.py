"""stored_symbols: the symbols a command works on, and a missing one named with what is stored."""

from __future__ import annotations

from types import ModuleType

import pandas as pd
import pytest

from quantcli.application.marketdata.stored_symbols import describe_symbols, stored_symbols
from quantcli.domain.errors import DataError


def store_of(fakes: ModuleType, symbols: list[str]) -> object:
    days = fakes.utc_days(2)
    return fakes.FakeBarStore(
        pd.concat(
            [fakes.bar_frame(symbol, days, [10.0, 11.0], [10.5, 11.5]) for symbol in symbols],
            ignore_index=True,
        )
    )


def test_no_symbols_asked_for_means_every_stored_symbol(fakes: ModuleType) -> None:
    assert stored_symbols(store_of(fakes, ["BBB", "AAA"])) == ["AAA", "BBB"]  # type: ignore[arg-type]


def test_asked_for_symbols_keep_their_order_once_each(fakes: ModuleType) -> None:
    store = store_of(fakes, ["AAA", "BBB", "CCC"])

    assert stored_symbols(store, ["CCC", "AAA", "CCC"]) == ["CCC", "AAA"]  # type: ignore[arg-type]


def test_a_missing_symbol_is_named_with_the_stored_range(fakes: ModuleType) -> None:
    store = store_of(fakes, [f"SYN{i:02d}" for i in range(20)])

    with pytest.raises(DataError) as raised:
        stored_symbols(store, ["SYN03", "NOPE", "ALSO"])  # type: ignore[arg-type]

    assert str(raised.value) == "no bars for NOPE, ALSO (stored: SYN00..SYN19, 20 symbols)"


def test_an_empty_store_says_so(fakes: ModuleType) -> None:
    with pytest.raises(DataError, match=r"^bar store is empty: generate or import data first$"):
        stored_symbols(fakes.FakeBarStore(), ["NOPE"])


@pytest.mark.parametrize(
    ("symbols", "shown"),
    [
        (["MSFT", "AAPL"], "AAPL, MSFT"),
        (["A", "B", "C", "D"], "A, B, C, D"),
        (["E", "A", "B", "C", "D"], "A..E, 5 symbols"),
    ],
)
def test_a_few_symbols_are_listed_and_more_shown_as_a_range(symbols: list[str], shown: str) -> None:
    assert describe_symbols(symbols) == shown
