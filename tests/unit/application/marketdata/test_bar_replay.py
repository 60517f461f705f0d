"""FrameBarReplay: time-ordered slices of domain Bars, all symbols of a timestamp together."""

from __future__ import annotations

from datetime import UTC, datetime
from types import ModuleType

import pandas as pd
import pytest

from quantcli.application.marketdata.bar_replay import FrameBarReplay
from quantcli.domain.bar import Bar
from quantcli.domain.errors import DataError


@pytest.fixture
def frame(fakes: ModuleType) -> pd.DataFrame:
    days = fakes.utc_days(3, "2024-06-03")
    aaa = fakes.bar_frame("AAA", days, [10.0, 11.0, 12.0], [10.5, 11.5, 12.5])
    bbb = fakes.bar_frame("BBB", days[1:], [20.0, 21.0], [20.5, 21.5])
    # Shuffled on purpose: the replay orders by time.
    return pd.concat([aaa, bbb], ignore_index=True).iloc[[4, 0, 2, 3, 1]]


def test_replay_yields_one_slice_per_timestamp_in_time_order(frame: pd.DataFrame) -> None:
    slices = list(FrameBarReplay(frame))

    assert [moment for moment, _ in slices] == [
        datetime(2024, 6, 3, tzinfo=UTC),
        datetime(2024, 6, 4, tzinfo=UTC),
        datetime(2024, 6, 5, tzinfo=UTC),
    ]
    assert [sorted(bars) for _, bars in slices] == [["AAA"], ["AAA", "BBB"], ["AAA", "BBB"]]


def test_replay_slices_hold_domain_bars_with_utc_datetimes(frame: pd.DataFrame) -> None:
    moment, bars = list(FrameBarReplay(frame))[1]

    assert type(moment) is datetime
    assert moment.utcoffset().total_seconds() == 0
    assert bars["BBB"] == Bar("BBB", moment, 20.0, 21.5, 19.5, 20.5, 1_000.0)
    assert bars["AAA"] == Bar("AAA", moment, 11.0, 12.5, 10.5, 11.5, 1_000.0)
    for bar in bars.values():
        assert bar.timestamp == moment
        assert type(bar.timestamp) is datetime
        assert type(bar.close) is float


def test_replay_timestamps_lists_every_moment_once(frame: pd.DataFrame) -> None:
    assert FrameBarReplay(frame).timestamps == [
        datetime(2024, 6, 3, tzinfo=UTC),
        datetime(2024, 6, 4, tzinfo=UTC),
        datetime(2024, 6, 5, tzinfo=UTC),
    ]


def test_replay_can_be_iterated_again(frame: pd.DataFrame) -> None:
    replay = FrameBarReplay(frame)
    assert list(replay) == list(replay)


def test_replay_keeps_intraday_times(fakes: ModuleType) -> None:
    stamps = pd.DatetimeIndex(["2024-06-03 14:30", "2024-06-03 14:31"], tz="UTC")
    replay = FrameBarReplay(fakes.bar_frame("AAA", stamps, [10.0, 10.1], [10.1, 10.2]))

    assert [moment for moment, _ in replay] == [
        datetime(2024, 6, 3, 14, 30, tzinfo=UTC),
        datetime(2024, 6, 3, 14, 31, tzinfo=UTC),
    ]


def test_replay_rejects_a_bad_frame_up_front(frame: pd.DataFrame) -> None:
    broken = frame.copy()
    broken.loc[2, "low"] = 99.0
    with pytest.raises(DataError, match="replay row 2: high < low"):
        FrameBarReplay(broken)
