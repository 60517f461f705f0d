"""Cross-sectional ranks: a per-symbol feature ranked across the universe at each timestamp."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from quantcli.application.features.definition import (
    CrossSection,
    FeatureDefinition,
    FeatureFamily,
)

RANK_PREFIX = "rank_"


def rank_feature(source: FeatureDefinition) -> FeatureDefinition:
    """rank_<source>: the per-symbol pass computes `source`; the cross-section ranks it."""
    return FeatureDefinition(
        name=f"{RANK_PREFIX}{source.name}",
        version=1,
        family=FeatureFamily.CROSS_SECTIONAL,
        inputs=source.inputs,
        lookback=source.lookback,
        params={"of": source.describe()},
        compute=source.compute,
        cross_section=CrossSection.RANK,
    )


def rank_across_symbols(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Replace each column by its rank among the symbols at the same timestamp, in [0, 1].

    The lowest value is 0 and the highest 1, ties share their average rank; a lone symbol
    (or a timestamp where only one symbol has a value) gets 0.5. Missing values stay missing.
    """
    if not columns or table.empty:
        return table
    by_time = table.groupby("timestamp", sort=False)
    for column in columns:
        ranks = by_time[column].rank(method="average")
        counts = by_time[column].transform("count")
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = (ranks - 1) / (counts - 1)
        table[column] = np.where(counts == 1, 0.5, scaled).astype(np.float64)
        table.loc[ranks.isna(), column] = np.nan
    return table
