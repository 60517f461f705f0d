"""Reporting adapters: backtest and walk-forward reports as self-contained HTML."""

from quantcli.adapters.reporting.html_report import HtmlReportWriter, fills_csv_path, format_metric

__all__ = ["HtmlReportWriter", "fills_csv_path", "format_metric"]
