"""Feature ports: the feature store."""

from __future__ import annotations

from typing import Protocol

import pandas as pd


class FeatureStore(Protocol):
    """Named feature tables (one row per symbol and timestamp)."""

    def save(self, name: str, table: pd.DataFrame) -> None:
        """Replace the table atomically: readers see the old or the new one, never half."""
        ...

    def load(self, name: str) -> pd.DataFrame:
        """Raise DataError naming the table when it does not exist."""
        ...

    def names(self) -> list[str]:
        """The stored tables, sorted."""
        ...

    def delete(self, name: str) -> bool:
        """Remove table `name`; False when there was none."""
        ...
