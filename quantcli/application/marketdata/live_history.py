"""The stored history a live session continues from: it must be current, and it grows by the
daily bars the session builds (a vendor's bar for the same session replaces them later)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime

import pandas as pd

from quantcli.application.marketdata.live_bars import SessionCloseSchedule
from quantcli.application.marketdata.ports import BAR_COLUMNS, BarReplay, BarStore
from quantcli.domain.bar import Bar
from quantcli.domain.errors import DataError


def recorded_bars(feed: BarReplay, store: BarStore) -> Iterator[tuple[datetime, Mapping[str, Bar]]]:
    """Write each slice to the bar store before the session trades it."""
    for timestamp, bars in feed:
        store.write_bars(_bar_frame(bars.values()))
        yield timestamp, bars


def _bar_frame(bars: Iterable[Bar]) -> pd.DataFrame:
    rows = [
        (bar.symbol, bar.timestamp, bar.open, bar.high, bar.low, bar.close, bar.volume)
        for bar in bars
    ]
    frame = pd.DataFrame(rows, columns=list(BAR_COLUMNS))
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return frame


def require_current_history(
    schedule: SessionCloseSchedule, history: pd.DataFrame, now: datetime
) -> None:
    """Daily features continue from the stored bars: sessions missing between the last stored
    bar and the first live one would be read as one long bar. Refuse, naming them."""
    calendar = schedule.calendar
    first_live = calendar.session_of(schedule.next_close(now)[1])
    last_stored = history.groupby("symbol")["timestamp"].max()
    stale = []
    for symbol, stamp in sorted(last_stored.items()):
        missing = calendar.sessions_between(calendar.session_of(stamp.to_pydatetime()), first_live)
        if missing:
            stale.append(f"{symbol} ends {stamp:%Y-%m-%d} ({missing} session(s) missing)")
    if stale:
        raise DataError(
            f"stored history is not current before the first live bar {first_live}: "
            f"{'; '.join(stale)}. Ingest the missing {calendar.name} sessions first "
            "(quantcli data import ...)"
        )
