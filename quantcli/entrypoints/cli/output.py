"""Plain-text rendering for the terminal: aligned tables, progress bars, number formats.

Every number a command prints goes through one of these, so the same kind of number looks the
same everywhere:
- `count`: whole numbers with thousands separators (`1,896`);
- `money`: 2 decimals with thousands separators (`1,011,806.39`);
- `decimal`: a ratio, probability or score with a fixed number of decimals (`0.9780`);
  `ratio` is `decimal` with 2 (Sharpe, Sortino, profit factor);
- `percent`: a fraction as a percentage with 2 decimals (`-12.59%`), `signed=True` for `+5.00%`;
- `number`: a value of unknown kind (metadata): integers as counts, other floats with 4
  significant decimals at most, never a raw float repr.
None shows as `-`, NaN as `n/a`, infinities as `inf`/`-inf`; a value that rounds to zero never
shows a minus sign (`0.00%`, not `-0.00%`).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from numbers import Integral, Real

import click

Number = int | float | Decimal


def _special(value: object) -> str | None:
    """The text for None, NaN and infinities; None for an ordinary number."""
    if value is None:
        return "-"
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return "n/a"
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    return None


def _unsigned_zero(text: str) -> str:
    """`-0.00` and `-0.00%` become `0.00` and `0.00%`: a rounded zero carries no sign."""
    if text.startswith("-") and not any(ch in "123456789" for ch in text):
        return text[1:]
    return text


def count(value: Number | None) -> str:
    """A whole number with thousands separators; a fractional value is rounded."""
    special = _special(value)
    if special is not None:
        return special
    whole = value if isinstance(value, int) else round(float(value))  # type: ignore[arg-type]
    return f"{whole:,}"


def money(value: Number | None) -> str:
    """An amount of money: 2 decimals with thousands separators."""
    special = _special(value)
    if special is not None:
        return special
    return _unsigned_zero(f"{value:,.2f}")


def decimal(value: Number | None, places: int = 4) -> str:
    """A ratio, probability or score with `places` decimals (separators from 1,000 up)."""
    special = _special(value)
    if special is not None:
        return special
    return _unsigned_zero(f"{value:,.{places}f}")


def ratio(value: Number | None) -> str:
    """A ratio such as a Sharpe ratio or a profit factor: 2 decimals."""
    return decimal(value, 2)


def percent(value: Number | None, places: int = 2, *, signed: bool = False) -> str:
    """A fraction as a percentage (`0.1234` → `12.34%`); `signed` adds `+` to non-negatives."""
    special = _special(value)
    if special is not None:
        return special
    text = _unsigned_zero(f"{float(value) * 100:,.{places}f}%")  # type: ignore[arg-type]
    return f"+{text}" if signed and not text.startswith("-") else text


def seconds(value: Number) -> str:
    """A duration in seconds with one decimal (`37.5 s`)."""
    special = _special(value)
    return special if special is not None else f"{value:,.1f} s"


def number(value: object) -> str:
    """Any value as text: integers as counts, floats with at most 4 decimals (trailing zeros
    dropped, at least one kept), never a raw float repr; other values as str."""
    if isinstance(value, bool) or not isinstance(value, Real | Decimal):
        return "-" if value is None else str(value)
    if isinstance(value, Integral):
        return count(int(value))
    special = _special(value)
    if special is not None:
        return special
    magnitude = abs(float(value))
    if magnitude != 0 and magnitude < 1e-4:
        return f"{float(value):.2e}"
    text = f"{value:,.4f}".rstrip("0")
    return _unsigned_zero(text + "0" if text.endswith(".") else text)


def cell(value: object) -> str:
    """A table cell: numbers as `number` formats them, text as it is."""
    if isinstance(value, Real | Decimal) and not isinstance(value, bool):
        return number(value)
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns padded to their widest cell; numbers right-aligned (ints with separators)."""
    cells = [[cell(value) for value in row] for row in rows]
    widths = [
        max([len(header), *(len(row[i]) for row in cells)]) for i, header in enumerate(headers)
    ]
    numeric = [
        bool(rows)
        and all(isinstance(row[i], Real | Decimal) and not isinstance(row[i], bool) for row in rows)
        for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            value.rjust(width) if is_number else value.ljust(width)
            for value, width, is_number in zip(values, widths, numeric, strict=True)
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in cells)])


@contextmanager
def progress(label: str, total: int) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr driven by a use case's (done, total) callback."""
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        shown = 0

        def advance(done: int, _total: int) -> None:
            nonlocal shown
            bar.update(done - shown)
            shown = done

        yield advance


def note(message: str) -> None:
    """A progress line on stderr, so stdout keeps only the results."""
    click.echo(message, err=True)


def quantity(value: Decimal) -> str:
    """Shares with thousands separators; a fractional part is shown, never rounded away."""
    if value == value.to_integral_value():
        return f"{value:,.0f}"
    return f"{value.normalize():,f}"
