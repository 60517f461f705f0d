"""Reporting adapters: backtest reports as self-contained HTML."""

from quantcli.adapters.reporting.html_report import HtmlReportWriter, format_metric

__all__ = ["HtmlReportWriter", "format_metric"]
