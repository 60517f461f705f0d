"""A click parameter type for dates given on the command line, read as UTC midnight."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click


class UtcDate(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        try:
            return datetime.strptime(str(value), "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            self.fail(f"{value!r} is not a date like 2024-03-31", param, ctx)


UTC_DATE = UtcDate()
