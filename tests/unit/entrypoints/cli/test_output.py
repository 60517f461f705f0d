"""The terminal's number formats: a quantity is never rounded away."""

from __future__ import annotations

from decimal import Decimal

import pytest

from quantcli.entrypoints.cli.output import quantity


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
