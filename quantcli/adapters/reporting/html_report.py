"""Backtest and walk-forward reports as self-contained HTML files with interactive plotly
charts (plotly.js embedded once in the head: one file that works offline).

A backtest report (a tearsheet) shows a header line (data range, model version, benchmark,
currency), the metrics in words, equity against its benchmark (linear/log switch) and drawdown,
then the optional sections it carries: a look-ahead warning banner at the top, the worst
drawdowns, the returns distribution, the monthly returns heatmap and table, rolling Sharpe,
rolling volatility and beta, exposure over time, P&L by symbol, trade statistics, the cost
breakdown and its split by symbol, the Monte Carlo bootstraps of returns and of trades, and the
fills (in place of the trade list when the report has them: the first and last `max_fills` / 2
rows, the complete table written beside the report as ``<report stem>_fills.csv``); then the
configuration.

A walk-forward report shows a summary row per run (symbol) with its efficiency ratio, then per
run its metrics, stitched out-of-sample equity and drawdown, and the table of its windows.

Metric names and numbers follow `metric_labels` (words, units, integer counts); other cells
`format_metric` (see `markup`). Daily bars (every timestamp at midnight UTC) show as dates.
"""

from __future__ import annotations

from pathlib import Path

from quantcli.adapters.reporting import backtest_sections as sections
from quantcli.adapters.reporting import tearsheet_sections as tearsheet
from quantcli.adapters.reporting.charts import drawdown_chart, equity_chart
from quantcli.adapters.reporting.markup import (
    definition_list,
    esc,
    format_metric,
    page,
    write_atomically,
)
from quantcli.adapters.reporting.walk_forward_sections import run_section, summary_section
from quantcli.application.backtest.ports import BacktestReport, WalkForwardReport
from quantcli.domain.errors import ValidationError

__all__ = ["HtmlReportWriter", "fills_csv_path", "format_metric"]


def fills_csv_path(report_path: Path) -> Path:
    """Where the complete fills table of the report at `report_path` goes: beside it."""
    report_path = Path(report_path)
    return report_path.with_name(f"{report_path.stem}_fills.csv")


class HtmlReportWriter:
    """ReportWriter producing one HTML file with interactive charts and plotly.js embedded."""

    def __init__(self, max_trades: int = 200, max_fills: int = 200) -> None:
        for name, value in (("max_trades", max_trades), ("max_fills", max_fills)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValidationError(f"{name} {value!r} must be a positive integer")
        self.max_trades = max_trades
        self.max_fills = max_fills

    def write(self, report: BacktestReport, path: Path) -> Path:
        """Render the report and write it atomically, creating parent folders; with fills,
        write the complete fills table beside it first (see `fills_csv_path`)."""
        path = Path(path)
        csv_name = None
        if report.fills is not None and not report.fills.empty:
            table = fills_csv_path(path)
            write_atomically(table, report.fills.to_csv(index=False), "fills table")
            csv_name = table.name
        return write_atomically(path, self.render(report, fills_csv=csv_name))

    def render(self, report: BacktestReport, *, fills_csv: str | None = None) -> str:
        """Return the report as an HTML document string; `fills_csv` names the fills CSV."""
        trades = (
            sections.fills_section(report.fills, self.max_fills, fills_csv)
            if report.fills is not None
            else sections.trades_section(report.trades, self.max_trades)
        )
        sheet = report.tearsheet
        return page(
            report.title,
            [
                f"<h1>{esc(report.title)}</h1>",
                sections.lookahead_banner(report.lookahead_warning),
                tearsheet.header(report),
                "<h2>Metrics</h2>",
                tearsheet.metrics_table(report.metrics, report.currency),
                "<h2>Equity</h2>",
                equity_chart(
                    report.equity,
                    "equity",
                    title=tearsheet.equity_title(report.metrics),
                    currency=report.currency,
                    benchmark=None if sheet is None else sheet.benchmark,
                    benchmark_name="benchmark" if sheet is None else sheet.benchmark_name,
                ),
                "<h2>Drawdown</h2>",
                drawdown_chart(report.drawdown, "drawdown"),
                *tearsheet.drawdowns_section(sheet),
                *tearsheet.returns_distribution_section(sheet),
                *sections.monthly_section(report.monthly_returns),
                *sections.rolling_sharpe_section(
                    report.rolling_sharpe, sheet.rolling_window if sheet else None
                ),
                *tearsheet.rolling_risk_section(sheet),
                *tearsheet.exposure_section(sheet),
                *tearsheet.pnl_by_symbol_section(sheet, report.currency),
                *tearsheet.trade_statistics_section(sheet, report.currency),
                *sections.costs_section(report.cost_breakdown, report.currency),
                *sections.cost_attribution_section(report.cost_attribution),
                *sections.monte_carlo_section(report.monte_carlo, report.trade_monte_carlo),
                *trades,
                "<h2>Configuration</h2>",
                definition_list(report.configuration),
            ],
        )

    def write_walk_forward(self, report: WalkForwardReport, path: Path) -> Path:
        """Render the walk-forward report and write it atomically, creating parent folders."""
        return write_atomically(Path(path), self.render_walk_forward(report))

    def render_walk_forward(self, report: WalkForwardReport) -> str:
        """Return the walk-forward report as an HTML document string."""
        runs = tuple(report.runs)
        return page(
            report.title,
            [
                f"<h1>{esc(report.title)}</h1>",
                sections.lookahead_banner(report.lookahead_warning),
                *summary_section(runs),
                *(part for number, run in enumerate(runs) for part in run_section(run, number)),
                "<h2>Configuration</h2>",
                definition_list(report.configuration),
            ],
        )
