"""The backtest report names the model version whose predictions it traded."""

from __future__ import annotations

import numpy as np
import pandas as pd

from quantcli.adapters.reporting import HtmlReportWriter
from quantcli.application.backtest.ports import BacktestReport


def report(model_version: str | None) -> BacktestReport:
    index = pd.date_range("2021-01-04", periods=30, freq="B", tz="UTC")
    equity = pd.Series(1e5 * np.cumprod(np.full(30, 1.001)), index=index)
    return BacktestReport(
        title="QuantCLI backtest: out-of-sample predictions",
        equity=equity,
        drawdown=equity / equity.cummax() - 1.0,
        metrics={"sharpe": 1.0},
        trades=pd.DataFrame(columns=["timestamp", "symbol", "quantity", "price", "commission"]),
        configuration={"strategy": "model"},
        model_version=model_version,
    )


def test_the_model_version_is_shown_under_the_period_line() -> None:
    html = HtmlReportWriter().render(report("direction-ensemble v2 (production)"))

    period = html.index('<p class="period">Data 2021-01-04')
    model = html.index('<p class="period model">Model: direction-ensemble v2 (production)</p>')
    assert period < model < html.index("<h2>Metrics</h2>")


def test_a_backtest_without_a_model_has_no_model_line() -> None:
    html = HtmlReportWriter().render(report(None))

    assert 'class="period model"' not in html


def test_the_model_label_is_html_escaped() -> None:
    html = HtmlReportWriter().render(report("<m> v1 (candidate)"))

    assert "Model: &lt;m&gt; v1 (candidate)" in html
