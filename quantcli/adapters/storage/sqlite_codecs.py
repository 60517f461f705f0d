"""Exact conversions between domain values and SQLite columns (Decimal ↔ TEXT, datetime ↔ ns)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

import pandas as pd

from quantcli.domain.errors import DataError, StorageError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def datetime_to_ns(value: datetime, what: str) -> int:
    """Nanoseconds since the epoch in UTC; a naive datetime is refused because it is ambiguous."""
    if not isinstance(value, datetime):
        raise DataError(f"{what}: expected a timezone-aware datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise DataError(f"{what}: {value.isoformat()} is naive; pass a timezone-aware datetime")
    try:
        # Via pandas so a pandas Timestamp keeps its nanoseconds.
        return int(pd.Timestamp(value).tz_convert("UTC").as_unit("ns").value)
    except (OverflowError, ValueError) as exc:
        raise DataError(f"{what}: {value.isoformat()} is outside the storable range") from exc


def ns_to_datetime(ns: int) -> datetime:
    """A UTC datetime; a pandas Timestamp only when sub-microsecond precision must survive."""
    if ns % 1_000 == 0:
        return _EPOCH + timedelta(microseconds=ns // 1_000)
    return pd.Timestamp(ns, unit="ns", tz="UTC")


def optional_ns(value: datetime | None, what: str) -> int | None:
    return None if value is None else datetime_to_ns(value, what)


def optional_datetime(ns: int | None) -> datetime | None:
    return None if ns is None else ns_to_datetime(ns)


def decimal_to_text(value: Decimal | int, what: str) -> str:
    """The exact text of a Decimal (or int); floats are refused as they are not exact."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise StorageError(
            f"{what}: {value!r} is a {type(value).__name__}; only Decimal or int is stored exactly"
        )
    if isinstance(value, Decimal) and not value.is_finite():
        raise StorageError(f"{what}: {value} is not a finite number")
    return str(value)


def optional_text(value: Decimal | None, what: str) -> str | None:
    return None if value is None else decimal_to_text(value, what)


def text_to_decimal(text: str, what: str) -> Decimal:
    try:
        return Decimal(text)
    except (InvalidOperation, TypeError) as exc:
        raise StorageError(f"{what}: stored value {text!r} is not a decimal number") from exc


def optional_decimal(text: str | None, what: str) -> Decimal | None:
    return None if text is None else text_to_decimal(text, what)
