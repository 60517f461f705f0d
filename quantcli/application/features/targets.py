"""Targets: forward return or direction over a horizon, or triple-barrier labels, with end times.

A label looks forward by construction. Its end time, the moment the label becomes known, travels
with it so that training can purge samples whose labels overlap a test window.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from quantcli import kernels
from quantcli.application.common.ports import FloatArray
from quantcli.application.features.definition import SymbolBars
from quantcli.domain.errors import ValidationError

TimeArray = npt.NDArray[np.datetime64]

PROFIT_TAKE = 1.0
STOP_LOSS = -1.0
VERTICAL = 0.0


class TargetKind(StrEnum):
    DIRECTION = "direction"  # 1 when the close `horizon` bars later is higher, else 0
    FORWARD_RETURN = "forward_return"  # that return itself
    TRIPLE_BARRIER = "triple_barrier"  # 1 when the first barrier touched ends in a gain, else 0


def _positive(_instance: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if not value > 0:
        raise ValidationError(f"target {attribute.name} {value} is not positive")


def _non_negative(_instance: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if not value >= 0:
        raise ValidationError(f"target {attribute.name} {value} is negative")


def _at_least_two(_instance: Any, attribute: attrs.Attribute[Any], value: int) -> None:
    if value < 2:
        raise ValidationError(f"target {attribute.name} {value} is below 2")


@attrs.frozen
class TargetDefinition:
    """What the model learns; the barriers are multiples of the rolling volatility at the start.

    Triple barrier (on closes): profit-take at close·(1 + profit_take·σ), stop-loss at
    close·(1 - stop_loss·σ), vertical barrier `horizon` bars later; σ is the sample std of the
    last `volatility_window` one-bar returns. A multiple of 0 switches that barrier off.
    """

    kind: TargetKind = attrs.field(default=TargetKind.DIRECTION, converter=TargetKind)
    horizon: int = attrs.field(default=1, validator=_positive)
    profit_take: float = attrs.field(default=2.0, converter=float, validator=_non_negative)
    stop_loss: float = attrs.field(default=2.0, converter=float, validator=_non_negative)
    volatility_window: int = attrs.field(default=20, validator=_at_least_two)
    version: int = 1

    @property
    def is_binary(self) -> bool:
        """Whether `target` is a 0/1 label (a classifier can learn it)."""
        return self.kind is not TargetKind.FORWARD_RETURN

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "kind": self.kind.value,
            "version": self.version,
            "horizon": self.horizon,
        }
        if self.kind is TargetKind.TRIPLE_BARRIER:
            described |= {
                "profit_take": self.profit_take,
                "stop_loss": self.stop_loss,
                "volatility_window": self.volatility_window,
                "price": "close",
            }
        return described


@attrs.frozen(eq=False)
class Labels:
    """Per bar: the return to the label end, the target, the end time and the barrier touched."""

    forward_return: FloatArray
    target: FloatArray
    label_end: TimeArray  # datetime64[ns] UTC, NaT while the label is not known yet
    barrier: FloatArray  # PROFIT_TAKE, STOP_LOSS, VERTICAL or NaN


def compute_labels(bars: SymbolBars, target: TargetDefinition) -> Labels:
    timestamps = bars.timestamps.as_unit("ns").tz_convert("UTC").tz_localize(None).to_numpy()
    if target.kind is TargetKind.TRIPLE_BARRIER:
        n = len(bars)
        volatility = np.full(n, np.nan)
        if n > target.volatility_window:
            daily = kernels.pct_return(bars.close, 1)
            volatility = kernels.rolling_std(daily, target.volatility_window)
        labels = triple_barrier_labels(
            bars.close,
            timestamps,
            volatility,
            horizon=target.horizon,
            profit_take=target.profit_take,
            stop_loss=target.stop_loss,
        )
    else:
        labels = horizon_labels(bars.close, timestamps, target.horizon)
    if target.kind is TargetKind.FORWARD_RETURN:
        return attrs.evolve(labels, target=labels.forward_return.copy())
    return labels


def _direction(forward_return: FloatArray) -> FloatArray:
    return np.where(np.isnan(forward_return), np.nan, (forward_return > 0).astype(np.float64))


def _labels_ending_at(
    close: FloatArray, timestamps: TimeArray, end: npt.NDArray[np.int64]
) -> tuple[FloatArray, TimeArray]:
    """Return from each bar to its end bar (-1: no end yet) and the end's timestamp."""
    known = end >= 0
    forward = np.full(len(close), np.nan)
    forward[known] = close[end[known]] / close[known] - 1
    label_end = np.full(len(close), np.datetime64("NaT"), dtype="datetime64[ns]")
    label_end[known] = timestamps[end[known]]
    return forward, label_end


def horizon_labels(close: FloatArray, timestamps: TimeArray, horizon: int) -> Labels:
    """Return `horizon` bars ahead and its direction; the label ends at that bar."""
    n = len(close)
    end = np.arange(n, dtype=np.int64) + horizon
    end[end >= n] = -1
    forward, label_end = _labels_ending_at(close, timestamps, end)
    barrier = np.where(end >= 0, VERTICAL, np.nan)
    return Labels(forward, _direction(forward), label_end, barrier)


def triple_barrier_labels(
    close: FloatArray,
    timestamps: TimeArray,
    volatility: FloatArray,
    *,
    horizon: int,
    profit_take: float,
    stop_loss: float,
) -> Labels:
    """First barrier each bar's close path touches within `horizon` bars (closes only).

    A bar whose barriers are not all known (NaN volatility) or whose path ends before a barrier
    or the vertical one is reached gets no label. When both are touched on one bar, which can
    happen only with zero volatility, the stop-loss counts: the conservative reading.
    """
    n = len(close)
    end = np.full(n, -1, dtype=np.int64)
    barrier = np.full(n, np.nan)
    usable = ~np.isnan(volatility)
    for step in range(1, min(horizon, n - 1) + 1):
        starts = np.arange(n - step)
        move = close[step:] / close[:-step] - 1
        open_ = usable[:-step] & (end[:-step] < 0)
        down = open_ & (stop_loss > 0) & (move <= -stop_loss * volatility[:-step])
        up = open_ & ~down & (profit_take > 0) & (move >= profit_take * volatility[:-step])
        end[starts[down]] = starts[down] + step
        barrier[starts[down]] = STOP_LOSS
        end[starts[up]] = starts[up] + step
        barrier[starts[up]] = PROFIT_TAKE
    if horizon < n:
        starts = np.arange(n - horizon)
        vertical = usable[: n - horizon] & (end[: n - horizon] < 0)
        end[starts[vertical]] = starts[vertical] + horizon
        barrier[starts[vertical]] = VERTICAL
    forward, label_end = _labels_ending_at(close, timestamps, end)
    return Labels(forward, _direction(forward), label_end, barrier)


def label_end_series(labels: Labels) -> pd.Series:
    """The label end times as a UTC series (NaT where unknown)."""
    return pd.Series(pd.DatetimeIndex(labels.label_end).tz_localize("UTC"))
