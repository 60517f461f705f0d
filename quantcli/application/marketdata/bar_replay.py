"""Replay stored bars in time order, one slice of all symbols per timestamp."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime

import attrs
import numpy as np
import pandas as pd

from quantcli.application.marketdata.ports import check_bar_frame
from quantcli.domain.bar import Bar


def _checked(frame: pd.DataFrame) -> pd.DataFrame:
    return check_bar_frame(frame, "replay")


@attrs.frozen
class FrameBarReplay:
    """A BarReplay over a bar frame held in memory."""

    bars: pd.DataFrame = attrs.field(converter=_checked)

    @property
    def timestamps(self) -> list[datetime]:
        return [t.to_pydatetime() for t in sorted(self.bars["timestamp"].unique())]

    def __iter__(self) -> Iterator[tuple[datetime, Mapping[str, Bar]]]:
        frame = self.bars.sort_values(["timestamp", "symbol"], kind="stable")
        times = frame["timestamp"].to_numpy(dtype="datetime64[ns]")
        if times.size == 0:
            return
        symbols = frame["symbol"].astype(str).tolist()
        ohlcv = frame[["open", "high", "low", "close", "volume"]].to_numpy(dtype="float64")
        starts = np.flatnonzero(np.r_[True, times[1:] != times[:-1]])
        stops = np.r_[starts[1:], len(times)]
        for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
            moment = pd.Timestamp(times[start]).tz_localize("UTC").to_pydatetime()
            yield (
                moment,
                {
                    symbols[i]: Bar(symbols[i], moment, *(float(v) for v in ohlcv[i]))
                    for i in range(start, stop)
                },
            )
