"""What a walk-forward report shows: each window's in-sample and out-of-sample Sharpe, the
stitched out-of-sample curve and its drawdown, and the Sharpe efficiency ratio.

The efficiency ratio is the mean out-of-sample Sharpe of the windows over their mean in-sample
Sharpe (both annualized the same way, each window measured on its own bars): near 1 the
optimized edge carried over to unseen bars, near 0 or below it did not. It is undefined (NaN)
when the mean in-sample Sharpe is not positive, since then there was no edge to carry over; a
window's own ratio likewise needs a positive in-sample Sharpe. Windows where either Sharpe is not
a finite number are left out of the means.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from quantcli.application.analytics.performance import drawdown_series
from quantcli.application.backtest.ports import WalkForwardRun
from quantcli.application.backtest.walk_forward import WalkForwardResult
from quantcli.domain.errors import ValidationError

WINDOW_RANGE_COLUMNS = ("window", "train_start", "train_end", "test_start", "test_end")
WINDOW_RESULT_COLUMNS = (
    "in_sample_sharpe",
    "oos_sharpe",
    "oos_return",
    "oos_max_drawdown",
    "efficiency_ratio",
)


def efficiency_ratio(in_sample_sharpe: npt.ArrayLike, out_of_sample_sharpe: npt.ArrayLike) -> float:
    """Mean out-of-sample Sharpe / mean in-sample Sharpe over the windows where both are
    finite; NaN unless that mean in-sample Sharpe is positive."""
    in_sample = np.asarray(in_sample_sharpe, dtype=np.float64).reshape(-1)
    out_of_sample = np.asarray(out_of_sample_sharpe, dtype=np.float64).reshape(-1)
    if in_sample.shape != out_of_sample.shape:
        raise ValidationError(
            f"{in_sample.size} in-sample Sharpe ratios for {out_of_sample.size} out-of-sample ones"
        )
    both = np.isfinite(in_sample) & np.isfinite(out_of_sample)
    in_sample, out_of_sample = in_sample[both], out_of_sample[both]
    if in_sample.size == 0:
        return math.nan
    mean_in_sample = float(in_sample.mean())
    return float(out_of_sample.mean()) / mean_in_sample if mean_in_sample > 0 else math.nan


def window_table(
    walk: WalkForwardResult,
    *,
    parameters: Sequence[Mapping[str, Any]],
    in_sample_sharpe: Sequence[float],
) -> pd.DataFrame:
    """One row per window: WINDOW_RANGE_COLUMNS, one column per chosen parameter, then
    WINDOW_RESULT_COLUMNS (out-of-sample figures from the window's own test bars)."""
    count = len(walk.windows)
    if len(parameters) != count or len(in_sample_sharpe) != count:
        raise ValidationError(
            f"{count} windows but {len(parameters)} parameter sets and "
            f"{len(in_sample_sharpe)} in-sample Sharpe ratios"
        )
    rows = []
    for result, chosen, sharpe in zip(walk.windows, parameters, in_sample_sharpe, strict=True):
        window = result.window
        oos_sharpe = result.metrics["sharpe"]
        rows.append(
            {
                "window": window.number,
                "train_start": window.train.first_at,
                "train_end": window.train.last_at,
                "test_start": window.test.first_at,
                "test_end": window.test.last_at,
                **chosen,
                "in_sample_sharpe": float(sharpe),
                "oos_sharpe": oos_sharpe,
                "oos_return": result.metrics["total_return"],
                "oos_max_drawdown": result.metrics["max_drawdown"],
                "efficiency_ratio": efficiency_ratio([sharpe], [oos_sharpe]),
            }
        )
    names = list(dict.fromkeys(name for chosen in parameters for name in chosen))
    clashing = sorted(set(names) & {*WINDOW_RANGE_COLUMNS, *WINDOW_RESULT_COLUMNS})
    if clashing:
        raise ValidationError(f"parameter {clashing[0]!r} clashes with a window table column")
    return pd.DataFrame(rows, columns=[*WINDOW_RANGE_COLUMNS, *names, *WINDOW_RESULT_COLUMNS])


def walk_forward_run(
    name: str,
    walk: WalkForwardResult,
    *,
    parameters: Sequence[Mapping[str, Any]],
    in_sample_sharpe: Sequence[float],
) -> WalkForwardRun:
    """The report's view of one walk-forward run: curve, drawdown, windows and metrics.

    Metrics are the stitched curve's (`walk.metrics`) plus n_windows, mean_in_sample_sharpe,
    mean_oos_sharpe and efficiency_ratio.
    """
    windows = window_table(walk, parameters=parameters, in_sample_sharpe=in_sample_sharpe)
    equity = walk.equity_series()
    # The initial equity is the first peak, as in the stitched metrics' max drawdown.
    drawdown = drawdown_series(np.concatenate([[walk.initial_equity], walk.equity]))[1:]
    metrics: dict[str, float] = {
        "n_windows": float(len(walk.windows)),
        **walk.metrics,
        "mean_in_sample_sharpe": float(windows["in_sample_sharpe"].mean()),
        "mean_oos_sharpe": float(windows["oos_sharpe"].mean()),
        "efficiency_ratio": efficiency_ratio(windows["in_sample_sharpe"], windows["oos_sharpe"]),
    }
    return WalkForwardRun(
        name=name,
        equity=equity,
        drawdown=pd.Series(drawdown, index=equity.index, name="drawdown"),
        windows=windows,
        metrics=metrics,
    )
