"""Signals: what a model wants the portfolio to hold."""

from __future__ import annotations

from datetime import datetime

import attrs

from quantcli.domain.bar import require_utc
from quantcli.domain.errors import ValidationError
from quantcli.domain.instrument import check_symbol


@attrs.frozen
class Signal:
    """A target weight for one symbol as of a bar close, with the model's probability of up."""

    symbol: str
    as_of: datetime
    target_weight: float
    probability_up: float

    def __attrs_post_init__(self) -> None:
        check_symbol(self.symbol)
        require_utc(self.as_of, f"signal {self.symbol}")
        if not -1.0 <= self.target_weight <= 1.0:
            raise ValidationError(
                f"signal {self.symbol}: target_weight {self.target_weight} outside [-1, 1]"
            )
        if not 0.0 <= self.probability_up <= 1.0:
            raise ValidationError(
                f"signal {self.symbol}: probability_up {self.probability_up} outside [0, 1]"
            )

    @property
    def direction(self) -> int:
        """+1 long, -1 short, 0 flat."""
        return (self.target_weight > 0) - (self.target_weight < 0)
