"""A quote: the top of book and last trade of one symbol, as a live feed reports it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs


@attrs.frozen
class Quote:
    """The latest top of book and last trade of one symbol; None where the feed sent nothing yet."""

    symbol: str
    bid: Decimal | None
    ask: Decimal | None
    last: Decimal | None
    bid_size: Decimal | None
    ask_size: Decimal | None
    last_size: Decimal | None
    timestamp: datetime
