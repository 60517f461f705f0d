"""Market data: ingest, stored symbols, bar replay and live bars.

A use case named like its module (e.g. `ingest_market_data`) is imported from the module itself
(`from quantcli.application.marketdata.ingest_market_data import ingest_market_data`):
re-exporting it here would hide the module.
"""

from quantcli.application.marketdata.bar_replay import FrameBarReplay
from quantcli.application.marketdata.ingest_market_data import IngestSummary
from quantcli.application.marketdata.live_bars import (
    BarBuilder,
    IntervalSchedule,
    LiveBarFeed,
    SessionCloseSchedule,
)
from quantcli.application.marketdata.live_history import recorded_bars, require_current_history
from quantcli.application.marketdata.stored_symbols import describe_symbols

__all__ = [
    "BarBuilder",
    "FrameBarReplay",
    "IngestSummary",
    "IntervalSchedule",
    "LiveBarFeed",
    "SessionCloseSchedule",
    "describe_symbols",
    "recorded_bars",
    "require_current_history",
]
